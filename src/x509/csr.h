// PKCS#10 certification requests (RFC 2986). Parsed strictly with size limits; the proof of
// possession (the request's self-signature) is checked with the request's own key — for SM2
// with the standard distinguishing ID (OpenSSL 3.0 would need X509_REQ_set0_distinguishing_id;
// hpki verifies the CertificationRequestInfo bytes itself).
#pragma once

#include <memory>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "x509/certificate.h"
#include "x509/extensions.h"
#include "x509/name.h"

namespace hpki::x509 {

inline constexpr std::size_t kMaxCsrSize = 32 * 1024;

class CertificationRequest {
 public:
  // DER or PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST"). Errors: kBadCsr, kTooLarge.
  [[nodiscard]] static Result<std::shared_ptr<const CertificationRequest>> parse_any(
      BytesView data);
  [[nodiscard]] static Result<std::shared_ptr<const CertificationRequest>> parse(BytesView der);

  [[nodiscard]] const Bytes& der() const { return der_; }
  [[nodiscard]] BytesView info_der() const { return info_; }  // CertificationRequestInfo
  [[nodiscard]] const Name& subject() const { return subject_; }
  [[nodiscard]] const Bytes& spki_der() const { return spki_; }
  [[nodiscard]] const AlgorithmIdentifier& signature_algorithm() const { return sig_alg_; }
  [[nodiscard]] const Bytes& signature() const { return signature_; }
  // Extensions from a PKCS#9 extensionRequest attribute (empty if none).
  [[nodiscard]] const std::vector<Extension>& requested_extensions() const { return requested_; }
  [[nodiscard]] Result<crypto::KeySpec> key_spec() const;

  // Proof of possession. kProofOfPossession when the signature does not verify.
  [[nodiscard]] Result<void> verify_pop(std::string_view sm2_id = crypto::kSm2DefaultId) const;

 private:
  CertificationRequest() = default;
  Bytes der_;
  BytesView info_;
  Name subject_;
  Bytes spki_;
  AlgorithmIdentifier sig_alg_;
  Bytes signature_;
  std::vector<Extension> requested_;
};

using CsrPtr = std::shared_ptr<const CertificationRequest>;

// RFC 2986 4.1 CertificationRequestInfo: version 0, `subject`, the SubjectPublicKeyInfo
// `spki_der`, no attributes ([0] empty). For a request whose signature is made elsewhere (issue
// 19: jointly by a phone and hpki).
[[nodiscard]] Result<Bytes> build_csr_info(const Name& subject, BytesView spki_der);
// RFC 2986 4.2 CertificationRequest: `info_der` with `signature` (as it goes into the BIT STRING:
// DER SEQUENCE{r, s} for ECDSA and SM2) under `alg`.
[[nodiscard]] Result<Bytes> assemble_csr(BytesView info_der, crypto::SignatureAlg alg,
                                         BytesView signature);

}  // namespace hpki::x509
