// Software private keys: generation, PKCS#8 import / export (plain and passphrase-encrypted),
// and the Signer / Decrypter backed by them. The key material lives in OpenSSL memory behind a
// pimpl; no OpenSSL type appears here.
//
// Supported keys: RSA 2048..16384 bits (generation: 2048, 3072, 4096), ECDSA P-256 and P-384,
// SM2 (sm2p256v1, GM/T 0003). Anything else fails with kUnsupportedAlgorithm.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "crypto/signer.h"
#include "crypto/sm2_ciphertext.h"

namespace hpki::ossl {
class RepeatSigner;
}  // namespace hpki::ossl

namespace hpki::crypto {

// An immutable private key. Copies share the same key (cheap, thread-safe).
class PrivateKey {
 public:
  // Fresh key. RSA sizes other than 2048 / 3072 / 4096 are kInvalidArgument.
  [[nodiscard]] static Result<PrivateKey> generate(const KeySpec& spec);
  // DER PKCS#8 PrivateKeyInfo (RFC 5208). Bad DER: kMalformed; trailing bytes: kTrailingData.
  [[nodiscard]] static Result<PrivateKey> from_pkcs8_der(BytesView der);
  // PEM "PRIVATE KEY" (unencrypted PKCS#8; the passphrase is ignored) or "ENCRYPTED PRIVATE
  // KEY" (RFC 5958 EncryptedPrivateKeyInfo, any PBES2 scheme OpenSSL knows). An encrypted key
  // with a wrong or missing passphrase is kBadPassphrase. Other labels are kUnexpectedType.
  [[nodiscard]] static Result<PrivateKey> from_pem(std::string_view pem);
  [[nodiscard]] static Result<PrivateKey> from_pem(std::string_view pem,
                                                   const SecretBytes& passphrase);

  // PEM "ENCRYPTED PRIVATE KEY": PBES2 (RFC 8018) with scrypt N=2^14, r=8, p=1 (RFC 7914),
  // 16-byte random salt, AES-256-CBC. Readable by `openssl pkey -passin`. An empty passphrase
  // is kInvalidArgument.
  [[nodiscard]] Result<std::string> to_encrypted_pem(const SecretBytes& passphrase) const;
  // Unencrypted DER PKCS#8 (for imports into a token; handle with care).
  [[nodiscard]] Result<SecretBytes> to_pkcs8_der() const;

  // DER SubjectPublicKeyInfo (SM2: id-ecPublicKey + sm2p256v1, GM/T 0015).
  [[nodiscard]] const Bytes& public_key_der() const;
  [[nodiscard]] KeySpec spec() const;

  // A Signer for this key; `alg` defaults to default_signature_alg(spec().type). A mismatching
  // algorithm is kInvalidArgument; an empty sm2_id is kInvalidArgument (GM/T 0009 requires one).
  [[nodiscard]] Result<std::unique_ptr<Signer>> signer(
      std::optional<SignatureAlg> alg = std::nullopt,
      std::string_view sm2_id = kSm2DefaultId) const;
  // A Decrypter (RSA-OAEP-SHA256 or SM2); P-256 / P-384 keys are kUnsupportedAlgorithm.
  [[nodiscard]] Result<std::unique_ptr<Decrypter>> decrypter() const;

  struct Impl;  // defined in key.cpp (holds the OpenSSL key)

 private:
  friend class SoftwareSigner;
  friend class SoftwareDecrypter;
  explicit PrivateKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

class SoftwareSigner final : public Signer {
 public:
  // See PrivateKey::signer.
  [[nodiscard]] static Result<std::unique_ptr<SoftwareSigner>> create(
      PrivateKey key, std::optional<SignatureAlg> alg = std::nullopt,
      std::string_view sm2_id = kSm2DefaultId);

  [[nodiscard]] SignatureAlg algorithm() const override { return alg_; }
  [[nodiscard]] const Bytes& public_key_der() const override { return key_.public_key_der(); }
  // SM2 signs with the ID given at creation, set explicitly on every context.
  [[nodiscard]] Result<Bytes> sign(BytesView message) const override;

 private:
  SoftwareSigner(PrivateKey key, SignatureAlg alg, std::string sm2_id,
                 std::shared_ptr<const ossl::RepeatSigner> repeat)
      : key_(std::move(key)), alg_(alg), sm2_id_(std::move(sm2_id)), repeat_(std::move(repeat)) {}
  PrivateKey key_;
  SignatureAlg alg_;
  std::string sm2_id_;
  // Signs with contexts set up once (ossl/pkey.h): a signer usually signs many times.
  std::shared_ptr<const ossl::RepeatSigner> repeat_;
};

class SoftwareDecrypter final : public Decrypter {
 public:
  [[nodiscard]] static Result<std::unique_ptr<SoftwareDecrypter>> create(PrivateKey key);

  [[nodiscard]] const Bytes& public_key_der() const override { return key_.public_key_der(); }
  // RSA: OAEP-SHA256. SM2: any accepted layout (Sm2CiphertextFormat::kAuto).
  [[nodiscard]] Result<SecretBytes> decrypt(BytesView ciphertext) const override;
  // SM2 with an explicit layout (RSA ignores `format`). Any failure is kDecryptFailed, except
  // kTooLarge for oversized input.
  [[nodiscard]] Result<SecretBytes> decrypt(BytesView ciphertext, Sm2CiphertextFormat format) const;

 private:
  explicit SoftwareDecrypter(PrivateKey key) : key_(std::move(key)) {}
  PrivateKey key_;
};

// Key policy for signature verification only. The defaults are hpki's policy (RSA keys of at
// least 2048 bits); anything weaker is opt-in and says so in its name. It never applies to keys
// hpki generates, imports or signs with.
class SignatureCache;  // signature_cache.h

struct VerifyPolicy {
  // Accept RSA public keys of kMinLegacyRsaBits..2047 bits, for validating historic or
  // third-party chains (e.g. NIST PKITS, whose CAs use 1024-bit RSA). Insecure: a 1024-bit RSA
  // signature is no longer proof of anything; use only when the caller accepts that.
  bool allow_legacy_rsa_insecure = false;
  // Remembers successful checks and decoded keys across calls (signature_cache.h); none: every
  // call decodes and verifies. Not owned; must outlive the calls.
  const SignatureCache* cache = nullptr;
};
inline constexpr int kMinLegacyRsaBits = 1024;

// A parsed public key (SPKI decoded once; decoding costs about as much as an ECDSA verify in
// OpenSSL 3.0, so hot paths keep a PublicKey rather than calling verify_signature on bytes).
// Immutable; copies share the key; thread-safe.
class PublicKey {
 public:
  // DER SubjectPublicKeyInfo; errors as key_spec_of.
  [[nodiscard]] static Result<PublicKey> from_spki(BytesView spki_der);
  // The same under an explicit verification policy (see VerifyPolicy).
  [[nodiscard]] static Result<PublicKey> from_spki(BytesView spki_der, const VerifyPolicy& policy);
  [[nodiscard]] const Bytes& der() const;
  [[nodiscard]] KeySpec spec() const;
  // As crypto::verify_signature (signer.h).
  [[nodiscard]] Result<void> verify(SignatureAlg alg, BytesView message, BytesView signature,
                                    std::string_view sm2_id = kSm2DefaultId) const;
  // As crypto::encrypt below.
  [[nodiscard]] Result<Bytes> encrypt(BytesView plaintext) const;

  struct Impl;

 private:
  explicit PublicKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// The key type and size of a DER SubjectPublicKeyInfo. kMalformed / kTrailingData for bad DER,
// kUnsupportedAlgorithm for other key types or curves and RSA under 2048 bits.
[[nodiscard]] Result<KeySpec> key_spec_of(BytesView spki_der);

// Public-key encryption to `spki_der`: RSA-OAEP (SHA-256, MGF1-SHA256, RFC 8017 7.1) or SM2
// (GM/T 0003.4 with SM3; output ASN.1 C1C3C2, GM/T 0009 7.2). EC keys: kUnsupportedAlgorithm.
[[nodiscard]] Result<Bytes> encrypt(BytesView spki_der, BytesView plaintext);

}  // namespace hpki::crypto
