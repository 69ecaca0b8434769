// Status changes of certificates: revoke, hold, release, superseded (modify) — all through
// transition().
#include <nlohmann/json.hpp>

#include "ca/ca_service.h"
#include "core/crash.h"
#include "core/encoding.h"

namespace hpki::ca {

using store::CertStatus;

Result<CertStatusInfo> CaService::transition(store::Tx& tx, const store::CertificateRecord& rec,
                                             const Transition& t, const std::string& actor) {
  auto cur = HPKI_TRY(tx.get_certificate(rec.ca_id, rec.serial));
  const std::string object = cur.ca_id + "/" + cur.serial.hex();
  auto details = nlohmann::json::parse(t.details, nullptr, false);
  if (!details.is_object()) details = nlohmann::json::object();
  const auto now = d_.clock->now();
  CertStatus to = CertStatus::kRevoked;
  std::string_view action;
  switch (t.change) {
    case Change::kRevoke:
      // RFC 5280 5.3.1: a certificate on hold may be revoked for good; its hold entry goes.
      if (cur.status == CertStatus::kHold) {
        HPKI_TRY(tx.delete_revocation(cur.ca_id, cur.serial));
      } else if (cur.status != CertStatus::kIssued) {
        return fail(ErrorCode::kBadState, "certificate " + cur.serial.hex() + " is already " +
                                              std::string(store::to_string(cur.status)));
      }
      HPKI_TRY(tx.insert_revocation(
          {cur.ca_id, cur.serial, static_cast<int>(t.reason), now, t.invalidity_date}));
      details["reason"] = x509::reason_name(t.reason);
      action = audit::action::kCertRevoke;
      break;
    case Change::kHold:
      if (cur.status != CertStatus::kIssued) {
        return fail(ErrorCode::kBadState, "only a good certificate can be put on hold; " +
                                              cur.serial.hex() + " is " +
                                              std::string(store::to_string(cur.status)));
      }
      HPKI_TRY(tx.insert_revocation({cur.ca_id, cur.serial,
                                     static_cast<int>(x509::RevocationReason::kCertificateHold),
                                     now, std::nullopt}));
      to = CertStatus::kHold;
      action = audit::action::kCertHold;
      break;
    case Change::kRelease:
      if (cur.status != CertStatus::kHold) {
        return fail(ErrorCode::kBadState, "certificate " + cur.serial.hex() + " is not on hold");
      }
      HPKI_TRY(tx.delete_revocation(cur.ca_id, cur.serial));
      to = CertStatus::kIssued;
      action = audit::action::kCertRelease;
      break;
  }
  HPKI_TRY(tx.set_status(cur.ca_id, cur.serial, to, cur.status));
  HPKI_TRY(audit(tx, actor, action, object, audit::outcome::kSuccess, details.dump(), cur.org));
  cur.status = to;
  return status_in(tx, cur);
}

Result<CertStatusInfo> CaService::change_status(const Serial& serial, const Transition& t,
                                                const Requester& by) {
  auto rec = HPKI_TRY(find_one(serial));
  HPKI_TRY(check_requester(rec, by));
  auto out = d_.store->transact_value<CertStatusInfo>([&](store::Tx& tx) -> Result<CertStatusInfo> {
    auto info = HPKI_TRY(transition(tx, rec, t, by.actor));
    if (t.change == Change::kRevoke) crash_point("revoke.before_commit");
    return info;
  });
  if (t.change == Change::kRevoke) crash_point("revoke.after_commit");
  if (out) {
    notify(rec.ca_id, rec.serial,
           t.change == Change::kRevoke ? "revoke"
           : t.change == Change::kHold ? "hold"
                                       : "release");
  }
  return out;
}

Result<CertStatusInfo> CaService::revoke(const Serial& serial, x509::RevocationReason reason,
                                         std::optional<TimePoint> invalidity_date,
                                         const Requester& by) {
  if (reason == x509::RevocationReason::kCertificateHold) return hold(serial, by);
  if (reason == x509::RevocationReason::kRemoveFromCrl) {
    return fail(ErrorCode::kInvalidArgument,
                "removeFromCRL is not a revocation reason (use release)");
  }
  if (invalidity_date && *invalidity_date > d_.clock->now()) {
    return fail(ErrorCode::kInvalidArgument, "invalidity date is in the future");
  }
  return change_status(serial,
                       {.change = Change::kRevoke,
                        .reason = reason,
                        .invalidity_date = invalidity_date,
                        .details = "{}"},
                       by);
}

Result<CertStatusInfo> CaService::hold(const Serial& serial, const Requester& by) {
  Transition t;
  t.change = Change::kHold;
  return change_status(serial, t, by);
}

Result<CertStatusInfo> CaService::release(const Serial& serial, const Requester& by) {
  Transition t;
  t.change = Change::kRelease;
  return change_status(serial, t, by);
}

}  // namespace hpki::ca
