// Revocation from CRLs supplied by the caller: the RFC 5280 6.3.3 CRL processing algorithm, as
// a RevocationSource for path validation (path.h).
//
// For each distribution point of the certificate (or, without cRLDistributionPoints, one
// whose CRL issuer is the certificate issuer), every complete CRL in scope is used until all
// reasons are covered or the certificate is found revoked:
//   (b)(1) the CRL issuer is the certificate issuer, or, when the DP names a cRLIssuer, one of
//          those names on an indirect CRL (issuingDistributionPoint indirectCRL; else
//          crl_not_indirect); no fallback to the issuer's own CRLs for such a DP;
//   (b)(2) issuingDistributionPoint names (fullName or nameRelativeToCRLIssuer) against the
//          DP's, onlyContainsUserCerts (not a CA, not v1/v2) / onlyContainsCACerts /
//          onlyContainsAttributeCerts;
//   (c), (d) reasons (DP reasons and IDP onlySomeReasons) accumulate in a reasons mask;
//   (a), (e)-(h) currency at the validation time, signatureAlgorithm consistency and support
//          (crl_signature_algorithm_unsupported), no unknown critical CRL or entry extension
//          (nor a critical cRLNumber), a cRLNumber (RFC 5280 5.2.3; a CRL without one is not
//          used: e_crl_number_missing), certificateIssuer only in indirect CRLs and
//          parsable, a signer certificate with the CRL issuer's name, cRLSign when it has
//          keyUsage, a valid path to the same anchors (the certificate's issuer on the path, or
//          any other certificate given here that validates through RevocationQuery::
//          validate_other, else crl_issuer_path_invalid; a CRL issuer's own certificate whose
//          DP names it as cRLIssuer is not validated again while its path is being validated),
//          signature;
//   (i), (j) a delta CRL (deltaCRLIndicator) of the same issuer and scope whose base is not newer
//          than the complete CRL, itself usable as above, is applied first (removeFromCRL
//          un-revokes); a delta CRL alone is not used (crl_delta_unsupported);
//   (k) entries: an entry's certificateIssuer names the issuer of it and the following entries
//          (before the first: the CRL issuer); the entry must name the certificate's issuer.
// Revoked (including certificateHold) wins; all reasons covered without an entry is good; else
// unknown with the most telling diagnostic (diag::kCrl* ids, x509/diag.h).
#pragma once

#include <vector>

#include "x509/certificate.h"
#include "x509/crl.h"
#include "x509/path.h"

namespace hpki::x509 {

class CrlRevocationSource final : public RevocationSource {
 public:
  // `crls`: complete and delta CRLs. `certificates`: certificates that may have signed them
  // (e.g. the path's intermediates and anchors, separate CRL signing certificates).
  CrlRevocationSource(std::vector<CrlPtr> crls, std::vector<CertificatePtr> certificates)
      : crls_(std::move(crls)), certificates_(std::move(certificates)) {}

  [[nodiscard]] RevocationAnswer check(const RevocationQuery& query) const override;

 private:
  std::vector<CrlPtr> crls_;
  std::vector<CertificatePtr> certificates_;
};

// Several sources asked in order (e.g. OCSP responses, then CRLs, then hpki's store): the first
// good or revoked answer wins; when all are unknown, the first source's answer is returned.
class CombinedRevocationSource final : public RevocationSource {
 public:
  explicit CombinedRevocationSource(std::vector<const RevocationSource*> sources)
      : sources_(std::move(sources)) {}

  [[nodiscard]] RevocationAnswer check(const RevocationQuery& query) const override;

 private:
  std::vector<const RevocationSource*> sources_;
};

}  // namespace hpki::x509
