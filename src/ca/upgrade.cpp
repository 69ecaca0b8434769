#include "ca/upgrade.h"

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "core/encoding.h"

namespace hpki::ca {
namespace {

// The step before schema 7's SQL: every reservation becomes never delivered, revoked
// (unspecified, now) and audited, as the older versions' recovery recorded them.
Result<int> resolve_reservations(store::Tx& tx, const audit::AuditLog& log, const Clock& clock) {
  int n = 0;
  for (const auto& r : HPKI_TRY(tx.list_legacy_reservations())) {
    HPKI_TRY(tx.insert_revocation({r.ca_id, r.serial, 0, clock.now(), std::nullopt}));
    HPKI_TRY(tx.set_status(r.ca_id, r.serial, store::CertStatus::kNeverDelivered,
                           store::CertStatus::kIssuing));
    audit::Event e;
    e.actor = "hpki";
    e.action = std::string(audit::action::kCertNeverDelivered);
    e.object = r.ca_id + "/" + r.serial.hex();
    e.outcome = std::string(audit::outcome::kSuccess);
    e.details =
        nlohmann::json{{"tbs_hash", hex_encode(r.tbs_hash)}, {"by", "upgrade to schema 7"}}.dump();
    e.org = r.org;
    HPKI_TRY(log.append(tx, e));
    ++n;
  }
  return n;
}

}  // namespace

Result<OpenedDatabase> open_home_database(const HomeConfig& home, const Clock& clock) {
  auto log = HPKI_TRY(audit::AuditLog::create(home.audit_hash, clock));
  int resolved = 0;
  store::StoreOptions options;
  options.before_migration = [&](store::Tx& tx, int version) -> Result<void> {
    if (version != 7) return {};
    resolved = HPKI_TRY(resolve_reservations(tx, log, clock));
    return {};
  };
  OpenedDatabase out;
  out.store = HPKI_TRY(store::open_store(home.database_url, clock, options));
  out.never_delivered = resolved;
  return out;
}

}  // namespace hpki::ca
