// Revocation from OCSP responses supplied by the caller (RFC 6960), as a RevocationSource for
// path validation (path.h); `hpki verify cert --ocsp FILE` uses it in front of the CRLs
// (CombinedRevocationSource in revocation.h).
//
// For one certificate of the path, every BasicOCSPResponse given is checked with
// check_ocsp_response() (ocsp.h) against the certificate's issuer on the path:
//   - a SingleResponse whose CertID matches (SHA-1, SHA-256 or SM3 hashes over the issuer's
//     name and key, and the serial),
//   - the signature over ResponseData (SM2 with the query's ID: hpki's own check, never
//     OpenSSL's OCSP_basic_verify, which uses the empty ID),
//   - RFC 6960 4.2.2.2 the responder is authorised: the issuer itself, or a delegate issued by
//     the issuer (signature checked with the issuer's key) with EKU id-kp-OCSPSigning, valid at
//     producedAt and at the validation time; a delegate without id-pkix-ocsp-nocheck (4.2.2.2.1)
//     must itself validate, revocation included, through RevocationQuery::validate_other;
//     or one of the configured trusted responders,
//   - issue 16: with OcspSourceOptions::designation, a delegate of an issuer whose designations
//     the caller knows (for hpki's own CAs: the OCSP responder records of its store) must be
//     one the issuer designated, else it is refused (diag kOcspResponderNotDesignated); the
//     issuer signing itself and the trusted responders are not delegates; issuers the
//     designation source does not know keep the RFC 6960 rules alone,
//   - RFC 6960 4.2.2.1 thisUpdate <= validation time <= nextUpdate, both with a tolerance, and
//     an optional maximum age of thisUpdate; producedAt within the certificate's validity; no
//     unhandled critical extension.
// The status maps onto RevocationStatus at the validation time: good -> kGood; revoked ->
// kRevoked only when revocationTime <= the validation time (a later revocation is kGood at
// that time); unknown -> kUnknown. With several usable answers revoked wins over good. When no
// response is usable the answer is kUnknown with the most telling failure (diag ids: diag.h), so
// a CombinedRevocationSource asks the next source. A delegate refused because the issuer's key did
// not sign it is reported as kOcspDelegateSameKey, one refused because it does not validate
// itself (no nocheck) as kOcspResponderRevocation.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "x509/certificate.h"
#include "x509/designation.h"
#include "x509/diag.h"
#include "x509/ocsp.h"
#include "x509/path.h"

namespace hpki::x509 {

// Diagnostic ids (diag::kOcsp*): x509/diag.h, "OCSP answers".

struct OcspSourceOptions {
  // Clock tolerance on thisUpdate / nextUpdate (responders and relying parties drift).
  std::chrono::seconds tolerance{0};
  // A response whose thisUpdate is older than this (at the validation time) is not used.
  std::optional<std::chrono::seconds> max_age = {};
  // Responder certificates trusted in addition to the issuer and its delegates (RFC 6960
  // 4.2.2.2 "local configuration").
  std::vector<CertificatePtr> trusted_responders = {};
  // Which delegated responders the issuers designated (designation.h; issue 16). For an issuer
  // the source knows, a delegate it did not designate is refused, and so is every delegate
  // when the source fails (fail closed); the issuer's own responses and trusted_responders are
  // unaffected; for issuers it does not know the RFC 6960 rules alone apply. None (default):
  // RFC 6960 rules for every issuer. Not owned: must outlive the OcspRevocationSource.
  const DesignationSource* designation = nullptr;
};

// The diagnostic id of a check_ocsp_response() outcome (kValid maps to kOcspGood).
[[nodiscard]] std::string_view ocsp_validity_diag(OcspValidity v);

class OcspRevocationSource final : public RevocationSource {
 public:
  explicit OcspRevocationSource(std::vector<BasicOcspResponsePtr> responses,
                                OcspSourceOptions options = {})
      : responses_(std::move(responses)), options_(std::move(options)) {}

  [[nodiscard]] RevocationAnswer check(const RevocationQuery& query) const override;

 private:
  std::vector<BasicOcspResponsePtr> responses_;
  OcspSourceOptions options_;
};

}  // namespace hpki::x509
