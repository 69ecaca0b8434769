#include "pdf/validation_data.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "revocation/crl_publisher.h"
#include "x509/name.h"

namespace hpki::pdf {

ValidationDataFn crl_validation_data(ValidationSources sources) {
  return [src = std::move(sources)](
             const std::vector<x509::CertificatePtr>& certificates) -> Result<Dss> {
    Dss dss;
    auto add = [&](const Bytes& der) {
      if (std::ranges::find(dss.crls, der) == dss.crls.end()) dss.crls.push_back(der);
    };
    for (const auto& c : certificates) {
      if (c->is_self_issued()) continue;  // a trust anchor: nothing revokes it
      bool found = false;
      for (const auto& crl : src.crls) {
        if (crl->issuer() == c->issuer()) {
          add(crl->der());
          found = true;
        }
      }
      if (src.store != nullptr) {
        for (const auto& name : HPKI_TRY(revocation::crl_names_of(*c))) {
          std::optional<store::CrlRecord> rec;
          HPKI_TRY(src.store->read([&](store::Tx& tx) -> Result<void> {
            rec = HPKI_TRY(tx.latest_crl(name, true));
            return {};
          }));
          if (!rec) continue;
          auto crl = HPKI_TRY(x509::Crl::parse(rec->der));
          if (crl->issuer() != c->issuer()) continue;
          add(crl->der());
          found = true;
        }
      }
      if (!found)
        return fail(ErrorCode::kNotFound,
                    "no CRL for " + x509::to_string(c->subject()) +
                        " (neither hpki's store nor the given CRLs have one of its issuer)");
    }
    return dss;
  };
}

}  // namespace hpki::pdf
