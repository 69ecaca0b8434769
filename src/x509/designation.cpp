#include "x509/designation.h"

#include <algorithm>
#include <utility>

namespace hpki::x509 {

std::string_view trust_service_name(TrustService s) {
  switch (s) {
    case TrustService::kOcspSigning:
      return "OCSP responder";
    case TrustService::kTimeStamping:
      return "TSA";
  }
  return "trust service";
}

bool same_subject_and_key(const Certificate& a, const Certificate& b) {
  return a.spki_der() == b.spki_der() && a.subject() == b.subject();
}

DesignationList& DesignationList::designate(CertificatePtr issuer, TrustService service,
                                            std::vector<CertificatePtr> certs) {
  entries_.push_back({std::move(issuer), service, std::move(certs)});
  return *this;
}

Result<Designation> DesignationList::designation(TrustService service, const Certificate& cert,
                                                 const Certificate& issuer) const {
  bool known = false;
  for (const auto& e : entries_) {
    if (!e.issuer || !same_subject_and_key(*e.issuer, issuer)) continue;
    known = true;
    if (e.service != service) continue;
    if (std::ranges::any_of(e.certs,
                            [&](const CertificatePtr& c) { return c && c->der() == cert.der(); }))
      return Designation::kDesignated;
  }
  return known ? Designation::kNotDesignated : Designation::kUnknownIssuer;
}

}  // namespace hpki::x509
