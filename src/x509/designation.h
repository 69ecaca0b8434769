// Designated trust-service certificates (issue 16). RFC 6960 4.2.2.2 accepts as a delegated OCSP
// responder any certificate the CA issued with id-kp-OCSPSigning, and RFC 3161 2.3 accepts as a
// TSA any certificate with the critical id-kp-timeStamping EKU that chains to a trust anchor. A
// relying party that knows which of those certificates the operator of a CA actually designated
// (hpki for its own CAs: the OCSP responder and TSA records of its store,
// revocation/store_designation.h) refuses the others, so a trust-service certificate obtained
// outside that designation (mis-issued, or requested by someone who should not have had it)
// cannot answer for the CA or vouch for a time.
//
// Used by OcspRevocationSource (ocsp_source.h, OcspSourceOptions::designation) for delegated
// responders and by tsp::verify_token (tsp.h, TokenVerifyOptions::designation) for TSA
// certificates. A CA signing its own OCSP responses and the responders configured as trusted
// (OcspSourceOptions::trusted_responders) are no delegates and are not asked about; issuers the
// source does not know keep the RFC rules alone.
#pragma once

#include <string_view>
#include <vector>

#include "core/error.h"
#include "x509/certificate.h"

namespace hpki::x509 {

enum class TrustService { kOcspSigning, kTimeStamping };
[[nodiscard]] std::string_view trust_service_name(TrustService s);  // "OCSP responder", "TSA"

enum class Designation {
  kUnknownIssuer,  // no designation is known for this issuer: the RFC rules alone apply
  kDesignated,     // the issuer's operator designated this certificate for the service
  kNotDesignated,  // the issuer is known and this certificate is none of its designated ones
};

class DesignationSource {
 public:
  virtual ~DesignationSource() = default;
  // Whether `cert` is a designated `service` certificate of `issuer`, the CA whose key signed
  // `cert` (the caller has checked that signature). An error means the designation could not
  // be read (e.g. the database is unreachable): callers then refuse the certificate (fail
  // closed) and say why. Implementations are thread-safe.
  [[nodiscard]] virtual Result<Designation> designation(TrustService service,
                                                        const Certificate& cert,
                                                        const Certificate& issuer) const = 0;
};

// Whether two certificates name the same CA: equal subject Name and equal SubjectPublicKeyInfo
// (a CA is its name and key; a re-issued or cross certificate of it is the same CA).
[[nodiscard]] bool same_subject_and_key(const Certificate& a, const Certificate& b);

// Designations given as data: for each listed issuer (matched with same_subject_and_key), the
// designated certificates of each service (matched by DER). An issuer never listed is
// kUnknownIssuer for every service; a listed issuer designates for a service exactly the
// certificates listed for it (none when only the other service was listed). Immutable after
// setup, so thread-safe for designation().
class DesignationList final : public DesignationSource {
 public:
  // Adds `certs` as designated `service` certificates of `issuer` (an empty list makes the
  // issuer known with none).
  DesignationList& designate(CertificatePtr issuer, TrustService service,
                             std::vector<CertificatePtr> certs);

  [[nodiscard]] Result<Designation> designation(TrustService service, const Certificate& cert,
                                                const Certificate& issuer) const override;

 private:
  struct Entry {
    CertificatePtr issuer;
    TrustService service;
    std::vector<CertificatePtr> certs;
  };
  std::vector<Entry> entries_;
};

}  // namespace hpki::x509
