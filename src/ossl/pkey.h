// Asymmetric keys through OpenSSL 3.0 EVP_PKEY: generation, SPKI / PKCS#8 (plain and
// scrypt-encrypted) import and export, sign / verify, encrypt / decrypt.
//
// SM2 (GM/T 0003, GM/T 0009): keys are always of EVP_PKEY type "SM2" here. OpenSSL 3.0 writes
// an SM2 key as id-ecPublicKey + curve sm2p256v1 (1.2.156.10197.1.301); on import a key whose
// curve is sm2p256v1 but whose type came out as "EC" is converted to type "SM2" (otherwise
// EVP_DigestSign would do ECDSA-with-SM3). Every SM2 sign / verify context gets the
// distinguishing ID explicitly (EVP_PKEY_CTX_set1_id): OpenSSL 3.0's silent default is the EMPTY
// ID, so SignOptions::sm2_id is mandatory for SM2 keys.
//
// Callers above ossl never see these types: crypto/ wraps them behind pimpl classes.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "ossl/ptr.h"
#include "ossl/spki.h"

namespace hpki::ossl {

// Input size limits for key material read from files or the network.
inline constexpr std::size_t kMaxKeyDer = 64 * 1024;

enum class PkeyFamily { kRsa, kEc, kSm2 };

struct PkeyInfo {
  PkeyFamily family = PkeyFamily::kEc;
  int bits = 0;       // RSA modulus size, EC field size
  std::string group;  // "P-256", "P-384", "SM2" for EC / SM2 keys (OpenSSL group name); else ""
};

// Family, size and curve. Fails with kUnsupportedAlgorithm for other key types (DSA, Ed25519,
// RSA-PSS-restricted keys ...).
[[nodiscard]] Result<PkeyInfo> pkey_info(const EVP_PKEY* pkey);

// RSA with e = 65537; `bits` in 2048..16384.
[[nodiscard]] Result<Ptr<EVP_PKEY>> generate_rsa(int bits);
// EC key on P-256 / P-384, or an SM2 key (type "SM2") for EcCurve::kSm2.
[[nodiscard]] Result<Ptr<EVP_PKEY>> generate_ec(EcCurve curve);
// A key pair from a private scalar (big-endian, at most the field size), public point computed.
// For known-answer tests and imports of raw keys. kInvalidArgument when out of range.
[[nodiscard]] Result<Ptr<EVP_PKEY>> pkey_from_private_scalar(EcCurve curve, BytesView scalar);

// DER SubjectPublicKeyInfo (RFC 5280 4.1.2.7). Trailing bytes are kTrailingData, bad DER
// kMalformed (also a point off the curve). The result is public only. Named-curve P-256, P-384
// and SM2 keys with an uncompressed point are imported with EVP_PKEY_fromdata (about 5x cheaper
// than OpenSSL 3.0's d2i_PUBKEY decoder chain, which decodes everything else); same key, same
// checks.
[[nodiscard]] Result<Ptr<EVP_PKEY>> pkey_from_spki(BytesView der);
[[nodiscard]] Result<Bytes> pkey_to_spki(const EVP_PKEY* pkey);

// PKCS#8 PrivateKeyInfo (RFC 5208 / RFC 5958 OneAsymmetricKey), unencrypted DER.
[[nodiscard]] Result<Ptr<EVP_PKEY>> pkey_from_pkcs8(BytesView der);
[[nodiscard]] Result<SecretBytes> pkey_to_pkcs8(const EVP_PKEY* pkey);

// RFC 8018 PBES2 with the scrypt KDF (RFC 7914 section 7, id-scrypt 1.3.6.1.4.1.11591.4.11)
// and AES-256-CBC, random 16-byte salt and IV. The defaults equal `openssl pkcs8 -scrypt`
// (N = 2^14, r = 8, p = 1: 16 MiB of memory, about 50 ms); OpenSSL refuses to decrypt with
// more than 32 MiB (N * r * 128 bytes).
struct ScryptParams {
  std::uint64_t n = 1u << 14;
  std::uint64_t r = 8;
  std::uint64_t p = 1;
};
// DER EncryptedPrivateKeyInfo (RFC 5958 section 3), PEM label "ENCRYPTED PRIVATE KEY".
[[nodiscard]] Result<Bytes> pkey_to_encrypted_pkcs8(const EVP_PKEY* pkey, BytesView passphrase,
                                                    const ScryptParams& params = {});
// Decrypts any PKCS#5 / PKCS#12 scheme OpenSSL knows (PBES2 with PBKDF2 or scrypt, ...). A wrong
// passphrase (or a corrupted ciphertext, which cannot be told apart) is kBadPassphrase; bad outer
// DER is kMalformed.
[[nodiscard]] Result<Ptr<EVP_PKEY>> pkey_from_encrypted_pkcs8(BytesView der, BytesView passphrase);

enum class RsaPadding { kPkcs1, kPss };

struct SignOptions {
  // OpenSSL digest name: "SHA256", "SHA384", "SHA512", "SM3".
  std::string_view digest = "SHA256";
  // RSA keys only. PSS uses MGF1 with the same digest and a salt of pss_salt_len bytes (on
  // verify exactly that salt length is required).
  RsaPadding rsa_padding = RsaPadding::kPkcs1;
  int pss_salt_len = 32;
  // SM2 keys: the distinguishing ID, required (nullopt is kInvalidArgument). An explicitly empty
  // ID is allowed here only so tests can show that it differs; crypto/ refuses it.
  std::optional<std::string_view> sm2_id;
};

// Signs `message` (hashed inside). RSA: PKCS#1 v1.5 or PSS bytes; EC / SM2: DER SEQUENCE{r, s}.
[[nodiscard]] Result<Bytes> digest_sign(const EVP_PKEY* pkey, const SignOptions& opts,
                                        BytesView message);

// digest_sign for a key that signs many times (a CA, TSA or OCSP key): the message is hashed
// here — for SM2 e = SM3(Z_A || M) with Z_A computed once for the key and ID (GM/T 0003.2 6.1)
// — and the hash signed with EVP_PKEY_sign on a context set up once, instead of OpenSSL 3.0's
// EVP_DigestSignInit per signature (which fetches the implementations and builds the context
// each time). Same signatures as digest_sign. Thread-safe: the contexts are pooled, one per
// signature in progress. Holds its own reference to the key.
class RepeatSigner {
 public:
  // Errors as digest_sign (e.g. SM2 without an ID: kInvalidArgument).
  [[nodiscard]] static Result<std::unique_ptr<RepeatSigner>> create(const EVP_PKEY* pkey,
                                                                    const SignOptions& opts);
  ~RepeatSigner();
  RepeatSigner(const RepeatSigner&) = delete;
  RepeatSigner& operator=(const RepeatSigner&) = delete;

  [[nodiscard]] Result<Bytes> sign(BytesView message) const;

 private:
  struct State;
  explicit RepeatSigner(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};
// kBadSignature when the signature does not verify (including malformed signature bytes).
[[nodiscard]] Result<void> digest_verify(const EVP_PKEY* pkey, const SignOptions& opts,
                                         BytesView message, BytesView signature);
// Verifies over an already computed digest (for SM2: e = H(Z_A || M)), as OpenSSL's evp_test
// Verify stanzas do. `digest` names the hash that produced `digest_value`.
[[nodiscard]] Result<void> verify_prehashed(const EVP_PKEY* pkey, std::string_view digest,
                                            BytesView digest_value, BytesView signature);

// RSA: RSAES-OAEP with SHA-256 and MGF1-SHA256, empty label (RFC 8017 7.1).
// SM2: GM/T 0009 public-key encryption with SM3; the output is ASN.1 C1C3C2 DER
// SEQUENCE{INTEGER x, INTEGER y, OCTET STRING C3, OCTET STRING C2}.
[[nodiscard]] Result<Bytes> pkey_encrypt(const EVP_PKEY* pkey, BytesView plaintext);
// The inverse; any failure (bad padding, bad C3, C1 not on the curve, bad DER) is
// kDecryptFailed.
[[nodiscard]] Result<SecretBytes> pkey_decrypt(const EVP_PKEY* pkey, BytesView ciphertext);

}  // namespace hpki::ossl
