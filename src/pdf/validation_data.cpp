#include "pdf/validation_data.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "der/oids.h"
#include "x509/extensions.h"
#include "x509/name.h"

namespace hpki::pdf {
namespace {

// The CRL record name of an hpki distribution point URL ".../crl/NAME.crl", or "".
std::string crl_name_of(std::string_view url) {
  const auto at = url.rfind("/crl/");
  if (at == std::string_view::npos || !url.ends_with(".crl")) return {};
  const auto name = url.substr(at + 5, url.size() - at - 5 - 4);
  if (name.empty() || name.find('/') != std::string_view::npos) return {};
  return std::string(name);
}

Result<std::vector<std::string>> distribution_point_urls(const x509::Certificate& c) {
  std::vector<std::string> out;
  const auto* ext = c.find_extension(der::oids::kCrlDistributionPoints);
  if (ext == nullptr) return out;
  for (const auto& dp : HPKI_TRY(x509::parse_crl_distribution_points(ext->value))) {
    for (const auto& gn : dp.full_name) {
      if (gn.type == x509::GeneralName::Type::kUri) out.push_back(gn.text);
    }
  }
  return out;
}

}  // namespace

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
        for (const auto& url : HPKI_TRY(distribution_point_urls(*c))) {
          const auto name = crl_name_of(url);
          if (name.empty()) continue;
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
