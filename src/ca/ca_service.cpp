#include "ca/ca_service.h"

#include <nlohmann/json.hpp>

#include "ca/detail/certificate_subject.h"
#include "ca/keys.h"
#include "core/log.h"

namespace hpki::ca {

using detail::family_prefix;
using store::CaRole;
using store::CertStatus;

std::string ca_id(CaFamily family, CaRole role) {
  return family_prefix(family) + "-" + std::string(store::to_string(role));
}

std::string_view CertStatusInfo::word() const {
  switch (status) {
    case CertStatus::kRevoked:
    case CertStatus::kNeverDelivered:
      return "revoked";
    case CertStatus::kHold:
      return "hold";
    case CertStatus::kIssuing:
      return "issuing";
    case CertStatus::kIssued:
      return "good";
  }
  return "unknown";
}

Result<std::unique_ptr<crypto::Signer>> CaService::ca_signer(const store::CaRecord& ca) {
  auto* keys = HPKI_TRY(key_store_for(ca.key_ref, d_.file_keys, d_.hsm_keys));
  return keys->signer(crypto::to_key_ref(ca.key_ref), std::nullopt,
                      d_.home->base.sm2.distinguishing_id);
}

Result<void> CaService::audit(store::Tx& tx, const std::string& actor, std::string_view action,
                              const std::string& object, std::string_view outcome,
                              const std::string& details, const std::string& org) {
  if (d_.audit == nullptr) return {};
  audit::Event e;
  e.actor = actor;
  e.action = std::string(action);
  e.object = object;
  e.outcome = std::string(outcome);
  e.details = details;
  e.org = org;
  HPKI_TRY(d_.audit->append(tx, e));
  return {};
}

Result<void> CaService::check_requester(const x509::Profile& profile, const Requester& by) {
  if (!by.role.empty() && profile.allows_requester(by.role)) return {};
  std::string who;
  for (const auto& r : profile.requesters) who += (who.empty() ? "" : ", ") + r;
  return fail(ErrorCode::kPermissionDenied,
              "certificates of profile " + profile.name + " are requested and managed by " + who +
                  " only" + (by.role.empty() ? std::string() : ", not " + by.role));
}

Result<void> CaService::check_requester(const store::CertificateRecord& rec,
                                        const Requester& by) const {
  if (auto it = d_.profiles->find(rec.profile); it != d_.profiles->end())
    return check_requester(it->second, by);
  if (by.role == kAdminRole) return {};
  return fail(ErrorCode::kPermissionDenied,
              "certificate " + rec.serial.hex() + " has profile '" + rec.profile +
                  "', which this home no longer has: only an admin manages it");
}

const x509::PermittedNames* CaService::permitted_names(const std::string& org) const {
  auto it = d_.home->organizations.find(org);
  return it == d_.home->organizations.end() ? nullptr : &it->second.permitted;
}

CaService::CaService(CaDeps deps)
    : d_(std::move(deps)), batcher_(std::make_unique<store::CommitBatcher>(*d_.store)) {}

Result<void> CaService::record_event(const audit::Event& e) {
  if (d_.audit == nullptr) return {};
  return batcher_->run([&](store::Tx& tx) -> Result<void> {
    HPKI_TRY(d_.audit->append(tx, e));
    return {};
  });
}

void CaService::record_event_async(audit::Event e, std::function<void(Result<void>)> done) {
  begin_async();  // drain_async() waits for it too
  auto end = [this, done = std::move(done)](Result<void> r) {
    end_async_call("audit", [&] { done(std::move(r)); });
  };
  if (d_.audit == nullptr) return post([end]() mutable { end({}); });
  batcher_->submit(
      [this, e = std::move(e)](store::Tx& tx) -> Result<void> {
        HPKI_TRY(d_.audit->append(tx, e));
        return {};
      },
      [this, end](Result<void> r) {
        post([end, r = std::move(r)]() mutable { end(std::move(r)); });
      });
}

Result<std::vector<store::CaRecord>> CaService::list_cas() {
  return d_.store->read_value<std::vector<store::CaRecord>>(
      [](store::Tx& tx) { return tx.list_cas(); });
}

Result<std::vector<Bytes>> CaService::chain(CaFamily family) {
  return chain_of(ca_id(family, CaRole::kIssuing));
}

Result<std::vector<Bytes>> CaService::chain_of(const std::string& id) {
  // CA certificates never change once created: chains are cached after the first lookup.
  {
    std::lock_guard lock(*cache_mu_);
    if (auto it = chain_cache_.find(id); it != chain_cache_.end()) return it->second;
  }
  auto chain =
      d_.store->read_value<std::vector<Bytes>>([&](store::Tx& tx) -> Result<std::vector<Bytes>> {
        std::vector<Bytes> out;
        auto issuing = tx.get_ca(id);
        if (!issuing) {
          return fail(ErrorCode::kNotFound,
                      "no CA " + id + " in this home (hpki ca init --families ...)");
        }
        out.push_back(issuing->certificate);
        std::optional<std::string> parent = issuing->parent_id;
        while (parent) {
          auto p = HPKI_TRY(tx.get_ca(*parent));
          out.push_back(p.certificate);
          parent = p.parent_id;
        }
        return out;
      });
  if (chain) {
    std::lock_guard lock(*cache_mu_);
    chain_cache_.insert_or_assign(id, *chain);
  }
  return chain;
}

Result<CaService::IssuerCtx> CaService::issuer_for(CaFamily family) {
  const std::string id = ca_id(family, CaRole::kIssuing);
  {
    std::lock_guard lock(*cache_mu_);
    if (auto it = issuer_cache_.find(id); it != issuer_cache_.end()) return it->second;
  }
  auto rec = d_.store->read_value<store::CaRecord>([&](store::Tx& tx) { return tx.get_ca(id); });
  if (!rec) {
    if (rec.error().code() != ErrorCode::kNotFound) return fail(rec.error());
    return fail(ErrorCode::kNotFound, "no " + family_prefix(family) +
                                          " issuing CA in this home (hpki ca init --families " +
                                          family_prefix(family) + ")");
  }
  IssuerCtx ctx;
  ctx.record = std::move(*rec);
  ctx.cert = HPKI_TRY(x509::Certificate::parse(ctx.record.certificate));
  ctx.info = x509::IssuerInfo{ctx.cert->subject(),
                              HPKI_TRY(x509::key_identifier(ctx.cert->spki_der())), ctx.record.id};
  ctx.signer = HPKI_TRY(ca_signer(ctx.record));
  std::lock_guard lock(*cache_mu_);
  issuer_cache_.insert_or_assign(id, ctx);
  return ctx;
}

void CaService::set_executor(Executor e) { executor_ = std::move(e); }

void CaService::post(std::function<void()> task) {
  if (executor_) {
    executor_(std::move(task));
  } else {
    task();
  }
}

void CaService::begin_async() {
  std::lock_guard lock(async_mu_);
  ++async_in_flight_;
}

void CaService::end_async_call(std::string_view what, const std::function<void()>& complete) {
  try {
    complete();
  } catch (const std::exception& e) {
    log::error("{}: completion handler failed: {}", what, e.what());
  }
  std::lock_guard lock(async_mu_);
  if (--async_in_flight_ == 0) async_cv_.notify_all();
}

void CaService::drain_async() {
  std::unique_lock lock(async_mu_);
  async_cv_.wait(lock, [&] { return async_in_flight_ == 0; });
}

std::size_t CaService::async_in_flight() const {
  std::lock_guard lock(async_mu_);
  return async_in_flight_;
}

Result<store::CertificateRecord> CaService::find_one(const Serial& serial) {
  auto recs = HPKI_TRY(d_.store->transact_value<std::vector<store::CertificateRecord>>(
      [&](store::Tx& tx) { return tx.find_certificates_by_serial(serial); }));
  if (recs.empty()) return fail(ErrorCode::kNotFound, "no certificate with serial " + serial.hex());
  if (recs.size() > 1)
    return fail(ErrorCode::kConflict, "serial " + serial.hex() + " exists under several CAs");
  return recs.front();
}

Result<CertStatusInfo> CaService::status_in(store::Tx& tx, const store::CertificateRecord& rec) {
  CertStatusInfo info;
  info.ca_id = rec.ca_id;
  info.serial = rec.serial;
  info.status = rec.status;
  if (auto rev = HPKI_TRY(tx.find_revocation(rec.ca_id, rec.serial))) {
    info.reason = static_cast<x509::RevocationReason>(rev->reason);
    info.revoked_at = rev->revoked_at;
    info.invalidity_date = rev->invalidity_date;
  }
  return info;
}

void CaService::notify(const std::string& ca_id, const Serial& serial, std::string action) const {
  if (d_.on_status_change) d_.on_status_change(StatusChange{ca_id, serial, std::move(action)});
}

Result<CertStatusInfo> CaService::status(const Serial& serial) {
  auto rec = HPKI_TRY(find_one(serial));
  return d_.store->transact_value<CertStatusInfo>(
      [&](store::Tx& tx) { return status_in(tx, rec); });
}

Result<CertView> CaService::show(const Serial& serial) {
  CertView v;
  v.record = HPKI_TRY(find_one(serial));
  v.status = HPKI_TRY(d_.store->transact_value<CertStatusInfo>(
      [&](store::Tx& tx) { return status_in(tx, v.record); }));
  if (v.record.subject_id && d_.pii) {
    auto s = d_.store->transact_value<store::SubjectRecord>(
        [&](store::Tx& tx) { return tx.get_subject(*v.record.subject_id); });
    if (s && s->id_number_enc) {
      if (auto id = d_.pii->decrypt(*s->id_number_enc))
        v.identifiers_masked["id_number"] = mask_identifier(*id);
    }
    if (s && !s->staff_no.empty()) v.identifiers_masked["staff_no"] = s->staff_no;
    if (s && !s->licence_no.empty()) v.identifiers_masked["licence_no"] = s->licence_no;
    if (s && !s->org_code.empty()) v.identifiers_masked["org_code"] = s->org_code;
  }
  return v;
}

Result<std::vector<store::CertificateRecord>> CaService::search(
    store::CertificateFilter f, std::optional<std::string> id_number) {
  if (id_number) {
    if (d_.pii == nullptr) return fail(ErrorCode::kUnavailable, "personal-data key not available");
    f.subject_id_number_hash = HPKI_TRY(d_.pii->lookup_hash(*id_number));
  }
  return d_.store->transact_value<std::vector<store::CertificateRecord>>(
      [&](store::Tx& tx) { return tx.search_certificates(f); });
}

}  // namespace hpki::ca
