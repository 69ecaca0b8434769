// Revocation from CRLs supplied by the caller (RFC 5280 6.3), as a RevocationSource for path
// validation (path.h). Each certificate of a path is looked up in the CRLs whose issuer name
// matches its issuer; every CRL is checked by check_crl_for (crl_check.h): currency at the
// validation time, scope (issuingDistributionPoint against the certificate's
// cRLDistributionPoints), critical extensions, cRLSign, signature. The CRL signer may be the
// certificate's issuer on the path or another certificate with the issuer's name (a separate
// CRL-signing key, RFC 5280 6.3.3 (f)) that itself validates to the same anchors.
//
// A revoked entry in any usable CRL wins; otherwise one usable CRL that does not list the
// certificate makes it good; otherwise the status is unknown with the most telling diagnostic.
// Not supported: delta CRLs (ignored: a delta is never used as a complete CRL), indirect CRLs
// and reason-partitioned CRLs (reported as unknown).
#pragma once

#include <vector>

#include "x509/certificate.h"
#include "x509/crl.h"
#include "x509/path.h"

namespace hpki::x509 {

class CrlRevocationSource final : public RevocationSource {
 public:
  // `crls`: complete CRLs to use. `certificates`: further certificates that may have signed
  // them (e.g. the same pool as the path's intermediates and anchors).
  CrlRevocationSource(std::vector<CrlPtr> crls, std::vector<CertificatePtr> certificates)
      : crls_(std::move(crls)), certificates_(std::move(certificates)) {}

  [[nodiscard]] RevocationAnswer check(const RevocationQuery& query) const override;

 private:
  std::vector<CrlPtr> crls_;
  std::vector<CertificatePtr> certificates_;
};

}  // namespace hpki::x509
