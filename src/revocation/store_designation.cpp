#include "revocation/store_designation.h"

#include <algorithm>
#include <string>
#include <vector>

namespace hpki::revocation {

Result<x509::Designation> StoreDesignationSource::designation(
    x509::TrustService service, const x509::Certificate& cert,
    const x509::Certificate& issuer) const {
  const store::CaRole role =
      service == x509::TrustService::kOcspSigning ? store::CaRole::kOcsp : store::CaRole::kTsa;
  auto cas = HPKI_TRY(
      store_.read_value<std::vector<store::CaRecord>>([](store::Tx& tx) { return tx.list_cas(); }));
  // The CA records of the issuer (a CA is its name and key: a re-issued certificate of the
  // same CA is the same issuer).
  std::vector<std::string> issuer_ids;
  for (const auto& ca : cas) {
    if (ca.role != store::CaRole::kRoot && ca.role != store::CaRole::kIssuing) continue;
    bool same = ca.certificate == issuer.der();
    if (!same) {
      auto parsed = x509::Certificate::parse(ca.certificate);
      same = parsed && x509::same_subject_and_key(**parsed, issuer);
    }
    if (same) issuer_ids.push_back(ca.id);
  }
  if (issuer_ids.empty()) return x509::Designation::kUnknownIssuer;
  const bool designated = std::ranges::any_of(cas, [&](const store::CaRecord& r) {
    return r.role == role && r.parent_id &&
           std::ranges::find(issuer_ids, *r.parent_id) != issuer_ids.end() &&
           r.certificate == cert.der();
  });
  return designated ? x509::Designation::kDesignated : x509::Designation::kNotDesignated;
}

}  // namespace hpki::revocation
