#include "der/oids.h"

#include <unordered_map>

namespace hpki::der {
namespace {

constexpr OidEntry kEntries[] = {
#define HPKI_DER_OID_ENTRY(name, dotted, display) {oids::name, dotted, display},
    HPKI_DER_OID_LIST(HPKI_DER_OID_ENTRY)
#undef HPKI_DER_OID_ENTRY
};

}  // namespace

std::span<const OidEntry> known_oids() noexcept { return kEntries; }

std::string_view oid_name(const Oid& oid) noexcept {
  // Built once (thread-safe static initialisation); lookups do not allocate.
  static const std::unordered_map<Oid, std::string_view> kByOid = [] {
    std::unordered_map<Oid, std::string_view> m;
    for (const auto& e : kEntries) m.emplace(e.oid, e.name);
    return m;
  }();
  const auto it = kByOid.find(oid);
  return it == kByOid.end() ? std::string_view{} : it->second;
}

}  // namespace hpki::der
