// Key-use interfaces. A key file, a PKCS#11 token, or later a two-party co-signing protocol
// are interchangeable behind these: callers never need the key to be an OpenSSL object.
#pragma once

#include <memory>
#include <string>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/algorithm.h"

namespace hpki::crypto {

class Signer {
 public:
  virtual ~Signer() = default;
  [[nodiscard]] virtual SignatureAlg algorithm() const = 0;
  // DER SubjectPublicKeyInfo of the signing key.
  [[nodiscard]] virtual const Bytes& public_key_der() const = 0;
  // Signs `message` (the signer hashes it; for SM2 the hash covers Z_A computed with the
  // signer's distinguishing ID). Returns the signature as it goes into a BIT STRING:
  // PKCS#1 / PSS bytes for RSA, DER SEQUENCE{r, s} for ECDSA and SM2. Thread-safe.
  [[nodiscard]] virtual Result<Bytes> sign(BytesView message) const = 0;
};

class Decrypter {
 public:
  virtual ~Decrypter() = default;
  [[nodiscard]] virtual const Bytes& public_key_der() const = 0;
  // RSA: OAEP (SHA-256); SM2: GM/T 0009 ciphertext (ASN.1 C1C3C2, or raw C1C3C2 / C1C2C3).
  [[nodiscard]] virtual Result<SecretBytes> decrypt(BytesView ciphertext) const = 0;
};

// Verifies `signature` over `message` with the public key `spki_der`. For SM2 the
// distinguishing ID is `sm2_id` (default GM/T 0009). Fails with kBadSignature when the
// signature does not verify, with other codes for unusable keys or algorithm mismatches.
[[nodiscard]] Result<void> verify_signature(BytesView spki_der, SignatureAlg alg, BytesView message,
                                            BytesView signature,
                                            std::string_view sm2_id = kSm2DefaultId);

// RSA PKCS#1 v1.5 with SHA-1, for VERIFYING only: OCSP responses and CRLs of existing
// responders still carry sha1WithRSAEncryption (RFC 6960 test data, older public CAs). hpki
// never signs with SHA-1 (there is no SignatureAlg for it). kKeyMismatch for a non-RSA key.
[[nodiscard]] Result<void> verify_rsa_pkcs1_sha1(BytesView spki_der, BytesView message,
                                                 BytesView signature);

struct VerifyPolicy;  // key.h
// The same under an explicit verification policy (e.g. legacy RSA key sizes, key.h).
[[nodiscard]] Result<void> verify_signature(BytesView spki_der, SignatureAlg alg, BytesView message,
                                            BytesView signature, std::string_view sm2_id,
                                            const VerifyPolicy& policy);
// The same for a signature that will not be seen again (a document's own signature): always
// verified, never remembered; with policy.cache only the decoded key comes from the cache.
[[nodiscard]] Result<void> verify_signature_once(BytesView spki_der, SignatureAlg alg,
                                                 BytesView message, BytesView signature,
                                                 std::string_view sm2_id,
                                                 const VerifyPolicy& policy);

}  // namespace hpki::crypto
