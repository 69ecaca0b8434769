#include "revocation/crl_publisher.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_map>

#include "core/encoding.h"
#include "core/log.h"
#include "core/thread.h"
#include "crypto/digest.h"
#include "der/oids.h"
#include "x509/certificate.h"
#include "x509/crl.h"
#include "x509/extensions.h"

namespace hpki::revocation {
namespace {

using SteadyClock = std::chrono::steady_clock;

TimePoint floor_seconds(TimePoint t) { return std::chrono::floor<std::chrono::seconds>(t); }

std::string counter_name(const CrlScope& scope) { return "crl:" + crl_name(scope, false); }

// RFC 5280 5.3.1: reasonCode "unspecified" SHOULD be absent; the store keeps it as 0.
std::optional<x509::RevocationReason> reason_of(int code) {
  if (code == 0) return std::nullopt;
  return static_cast<x509::RevocationReason>(code);
}

Result<x509::RevokedEntry> entry_of(const store::RevocationRecord& r) {
  x509::RevokedEntry e;
  if (r.serial.empty())
    return fail(ErrorCode::kStorage, "revocation of " + r.ca_id + ": no serial");
  e.serial = r.serial.der_content();
  e.revocation_date = r.revoked_at;
  e.reason = reason_of(r.reason);
  e.invalidity_date = r.invalidity_date;
  return e;
}

bool same_entry(const x509::RevokedEntry& a, const x509::RevokedEntry& b) {
  return a.revocation_date == b.revocation_date && a.reason == b.reason &&
         a.invalidity_date == b.invalidity_date;
}

bool affects_crl(std::string_view action) {
  return action == "revoke" || action == "hold" || action == "release" ||
         action == "never_delivered";
}

}  // namespace

std::string crl_name(const CrlScope& scope, bool delta) {
  std::string name = scope.ca_id;
  if (scope.shard) name += "-" + std::to_string(*scope.shard);
  if (delta) name += "-delta";
  return name;
}

Result<std::vector<std::string>> crl_names_of(const x509::Certificate& c) {
  std::vector<std::string> out;
  const auto* ext = c.find_extension(der::oids::kCrlDistributionPoints);
  if (ext == nullptr) return out;
  for (const auto& dp : HPKI_TRY(x509::parse_crl_distribution_points(ext->value))) {
    for (const auto& gn : dp.full_name) {
      if (gn.type != x509::GeneralName::Type::kUri) continue;
      const std::string_view url = gn.text;
      const auto at = url.rfind("/crl/");
      if (at == std::string_view::npos || !url.ends_with(".crl")) continue;
      const auto name = url.substr(at + 5, url.size() - at - 5 - 4);
      if (name.empty() || name.find('/') != std::string_view::npos) continue;
      out.emplace_back(name);
    }
  }
  return out;
}

struct CrlPublisher::Loaded {
  store::CaRecord ca;
  x509::CertificatePtr ca_cert;
  Bytes ca_key_id;
  std::vector<store::RevocationRecord> revocations;
  std::vector<x509::RevokedEntry> entries;  // what the CRL lists
};

CrlPublisher::CrlPublisher(store::Store& store, const Clock& clock, SignerFactory signers,
                           CrlPublisherOptions options)
    : store_(store), clock_(clock), signers_(std::move(signers)), options_(std::move(options)) {
  if (options_.crl_shards < 1) options_.crl_shards = 1;
  if (options_.keep < 1) options_.keep = 1;
}

CrlPublisher::~CrlPublisher() { stop(); }

std::string CrlPublisher::url_of(const CrlScope& scope, bool delta) const {
  return options_.base_url + "/crl/" + crl_name(scope, delta) + ".crl";
}

Result<std::vector<CrlScope>> CrlPublisher::scopes() {
  auto cas = HPKI_TRY(store_.transact_value<std::vector<store::CaRecord>>(
      [](store::Tx& tx) { return tx.list_cas(); }));
  std::vector<CrlScope> out;
  for (const auto& ca : cas) {
    if (ca.role == store::CaRole::kRoot || options_.crl_shards == 1) {
      if (ca.role == store::CaRole::kRoot || ca.role == store::CaRole::kIssuing)
        out.push_back({ca.id, std::nullopt});
    } else if (ca.role == store::CaRole::kIssuing) {
      for (std::int64_t s = 0; s < options_.crl_shards; ++s) out.push_back({ca.id, s});
    }
  }
  return out;
}

Result<CrlScope> CrlPublisher::scope_for(std::string_view ca_id,
                                         std::optional<std::int64_t> shard) {
  auto ca = HPKI_TRY(
      store_.transact_value<store::CaRecord>([&](store::Tx& tx) { return tx.get_ca(ca_id); }));
  if (ca.role != store::CaRole::kRoot && ca.role != store::CaRole::kIssuing) {
    return fail(ErrorCode::kInvalidArgument, "CA " + ca.id + " is a " +
                                                 std::string(store::to_string(ca.role)) +
                                                 " CA and certifies nobody: it has no CRL");
  }
  const bool partitioned = ca.role == store::CaRole::kIssuing && options_.crl_shards > 1;
  if (!partitioned && shard) {
    return fail(ErrorCode::kInvalidArgument,
                "the CRL of " + ca.id + " is not partitioned (no --shard; [ca] crl_shards = " +
                    std::to_string(options_.crl_shards) + ")");
  }
  if (partitioned && !shard) {
    return fail(ErrorCode::kInvalidArgument, "the CRLs of " + ca.id + " are partitioned into " +
                                                 std::to_string(options_.crl_shards) +
                                                 " shards: name one (0.." +
                                                 std::to_string(options_.crl_shards - 1) + ")");
  }
  if (shard && (*shard < 0 || *shard >= options_.crl_shards)) {
    return fail(ErrorCode::kInvalidArgument, "shard " + std::to_string(*shard) + " out of 0.." +
                                                 std::to_string(options_.crl_shards - 1));
  }
  return CrlScope{ca.id, shard};
}

Result<CrlPublisher::Loaded> CrlPublisher::load(const CrlScope& scope) {
  Loaded l;
  HPKI_TRY(store_.transact([&](store::Tx& tx) -> Result<void> {
    l.ca = HPKI_TRY(tx.get_ca(scope.ca_id));
    l.revocations = HPKI_TRY(tx.list_revocations(scope.ca_id, scope.shard));
    return {};
  }));
  l.ca_cert = HPKI_TRY(x509::Certificate::parse(l.ca.certificate));
  const auto* ski = l.ca_cert->find_extension(der::oids::kSubjectKeyIdentifier);
  if (ski == nullptr) {
    return fail(ErrorCode::kBadState,
                "CA " + l.ca.id +
                    " has no subjectKeyIdentifier (RFC 5280 5.2.1 needs it for "
                    "the CRL's authorityKeyIdentifier)");
  }
  l.ca_key_id = HPKI_TRY(x509::parse_subject_key_identifier(ski->value));
  return l;
}

Result<store::CrlRecord> CrlPublisher::sign_and_store(const CrlScope& scope, bool delta, Loaded& l,
                                                      std::int64_t number,
                                                      std::optional<std::int64_t> base,
                                                      SteadyClock::time_point t0) {
  x509::CrlTemplate t;
  t.issuer = l.ca_cert->subject();
  t.authority_key_id = l.ca_key_id;
  t.this_update = floor_seconds(clock_.now());
  t.next_update = t.this_update +
                  (delta ? 2 * options_.delta_interval : std::chrono::seconds(options_.validity));
  // RFC 5280 5.2.3: cRLNumber as a big-endian unsigned integer.
  Bytes n;
  for (auto v = static_cast<std::uint64_t>(number); v != 0; v >>= 8)
    n.insert(n.begin(), static_cast<std::uint8_t>(v & 0xff));
  if (n.empty()) n.push_back(0);
  t.crl_number = std::move(n);
  if (base) {
    Bytes b;
    for (auto v = static_cast<std::uint64_t>(*base); v != 0; v >>= 8)
      b.insert(b.begin(), static_cast<std::uint8_t>(v & 0xff));
    if (b.empty()) b.push_back(0);
    t.delta_base = std::move(b);
  }
  if (scope.shard) {
    // RFC 5280 5.2.5: a partitioned CRL names its distribution point (the URL its certificates
    // carry in cRLDistributionPoints) and its scope (an issuing CA certifies end entities).
    x509::IssuingDistributionPoint idp;
    idp.full_name.push_back(HPKI_TRY(x509::uri_name(url_of(scope, false))));
    idp.only_contains_user_certs = true;
    t.idp = std::move(idp);
  }
  // RFC 5280 5.2.6: the complete CRL points at its delta CRL.
  if (!delta && options_.delta_interval.count() > 0) t.freshest_crl.push_back(url_of(scope, true));
  t.revoked = std::move(l.entries);
  const auto entries = static_cast<std::int64_t>(t.revoked.size());

  auto signer = HPKI_TRY(signers_(l.ca));
  auto der = x509::build_crl(t, *signer);
  if (!der) return fail(der.error().with_context("CRL " + crl_name(scope, delta)));

  store::CrlRecord rec;
  rec.name = crl_name(scope, delta);
  rec.crl_number = number;
  rec.ca_id = scope.ca_id;
  rec.shard = scope.shard.value_or(-1);
  rec.delta = delta;
  rec.base_crl_number = base;
  rec.this_update = t.this_update;
  rec.next_update = t.next_update;
  rec.entries = entries;
  rec.der = std::move(*der);
  HPKI_TRY(store_.transact([&](store::Tx& tx) -> Result<void> {
    HPKI_TRY(tx.insert_crl(rec));
    HPKI_TRY(tx.prune_crls(rec.name, options_.keep));
    if (audit_ != nullptr) {
      nlohmann::json details{
          {"ca", rec.ca_id},
          {"crl_number", rec.crl_number},
          {"delta", rec.delta},
          {"entries", rec.entries},
          {"this_update", format_rfc3339(rec.this_update)},
          {"next_update", format_rfc3339(rec.next_update)},
          {"sha256", hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, rec.der)))}};
      if (rec.base_crl_number) details["base_crl_number"] = *rec.base_crl_number;
      HPKI_TRY(audit_->append(tx, audit::Event{.actor = "crl-publisher",
                                               .action = std::string(audit::action::kCrlPublish),
                                               .object = rec.name + "/" + std::to_string(number),
                                               .outcome = std::string(audit::outcome::kSuccess),
                                               .details = details.dump()}));
    }
    return {};
  }));
  const auto elapsed = std::chrono::duration<double>(SteadyClock::now() - t0);
  log::debug("CRL {} number {} published: {} entries, {} bytes, {:.3f} s", rec.name, number,
             entries, rec.der.size(), elapsed.count());
  if (observer_) {
    observer_(CrlGenerated{.name = rec.name,
                           .delta = delta,
                           .crl_number = number,
                           .entries = entries,
                           .bytes = rec.der.size(),
                           .duration = elapsed});
  }
  return rec;
}

Result<store::CrlRecord> CrlPublisher::generate_complete(const CrlScope& scope) {
  const auto t0 = SteadyClock::now();
  auto l = HPKI_TRY(load(scope));
  l.entries.reserve(l.revocations.size());
  for (const auto& r : l.revocations) l.entries.push_back(HPKI_TRY(entry_of(r)));
  // The number is drawn after the revocations were read: a CRL with a higher number never
  // lists less than one with a lower number of the same scope had committed.
  const auto number = HPKI_TRY(store_.next_counter(counter_name(scope)));
  return sign_and_store(scope, false, l, number, std::nullopt, t0);
}

Result<store::CrlRecord> CrlPublisher::generate_delta(const CrlScope& scope) {
  const auto t0 = SteadyClock::now();
  const std::string base_name = crl_name(scope, false);
  auto base_rec = HPKI_TRY(store_.transact_value<std::optional<store::CrlRecord>>(
      [&](store::Tx& tx) { return tx.latest_crl(base_name, true); }));
  if (!base_rec) base_rec = HPKI_TRY(generate_complete(scope));
  auto base = HPKI_TRY(x509::Crl::parse(base_rec->der));

  auto l = HPKI_TRY(load(scope));
  // RFC 5280 5.2.4: a delta CRL lists the certificates whose status changed since its base:
  // revoked (or with a changed entry) since, and removeFromCRL for those no longer revoked
  // (released from hold).
  std::unordered_map<std::string, const x509::RevokedEntry*> in_base;
  in_base.reserve(base->revoked().size());
  for (const auto& e : base->revoked()) in_base.emplace(hex_encode(e.serial), &e);
  for (const auto& r : l.revocations) {
    auto e = HPKI_TRY(entry_of(r));
    auto it = in_base.find(hex_encode(e.serial));
    if (it != in_base.end()) {
      const bool same = same_entry(*it->second, e);
      in_base.erase(it);
      if (same) continue;
    }
    l.entries.push_back(std::move(e));
  }
  const TimePoint now = floor_seconds(clock_.now());
  for (const auto& [serial_hex, e] : in_base) {
    x509::RevokedEntry gone;
    gone.serial = e->serial;
    gone.revocation_date = now;
    gone.reason = x509::RevocationReason::kRemoveFromCrl;
    l.entries.push_back(std::move(gone));
  }
  std::sort(l.entries.begin(), l.entries.end(),
            [](const auto& a, const auto& b) { return a.serial < b.serial; });
  const auto number = HPKI_TRY(store_.next_counter(counter_name(scope)));
  return sign_and_store(scope, true, l, number, base_rec->crl_number, t0);
}

Result<store::CrlRecord> CrlPublisher::generate(const CrlScope& scope, bool delta) {
  if (delta && options_.delta_interval.count() <= 0) {
    return fail(ErrorCode::kInvalidArgument,
                "delta CRLs are disabled ([crl] delta_interval_seconds = 0)");
  }
  std::shared_ptr<std::mutex> lock;
  {
    std::lock_guard g(scope_locks_mu_);
    auto& m = scope_locks_[scope];
    if (!m) m = std::make_shared<std::mutex>();
    lock = m;
  }
  std::lock_guard g(*lock);
  return delta ? generate_delta(scope) : generate_complete(scope);
}

Result<int> CrlPublisher::refresh() {
  auto all = HPKI_TRY(scopes());
  const TimePoint now = clock_.now();
  int generated = 0;
  std::optional<Error> first_error;
  for (const auto& scope : all) {
    auto one = [&]() -> Result<void> {
      using Heads = std::pair<std::optional<store::CrlRecord>, std::optional<store::CrlRecord>>;
      auto heads = HPKI_TRY(store_.transact_value<Heads>([&](store::Tx& tx) -> Result<Heads> {
        auto f = HPKI_TRY(tx.latest_crl(crl_name(scope, false), false));
        auto d = HPKI_TRY(tx.latest_crl(crl_name(scope, true), false));
        return Heads{std::move(f), std::move(d)};
      }));
      auto& [full, delta] = heads;
      if (!full || full->next_update - now <= options_.regenerate_before) {
        full = HPKI_TRY(generate(scope, false));
        ++generated;
      }
      if (options_.delta_interval.count() > 0 &&
          (!delta || delta->base_crl_number != full->crl_number ||
           now - delta->this_update >= options_.delta_interval)) {
        HPKI_TRY(generate(scope, true));
        ++generated;
      }
      return {};
    };
    if (auto r = one(); !r) {
      log::error("CRL {}: {}", crl_name(scope, false), r.error().to_string());
      if (!first_error) first_error = r.error();
    }
  }
  if (first_error) return fail(*first_error);
  return generated;
}

Result<void> CrlPublisher::regenerate_for(std::string_view ca_id, const Serial& serial) {
  auto rec = HPKI_TRY(store_.transact_value<store::CertificateRecord>(
      [&](store::Tx& tx) { return tx.get_certificate(ca_id, serial); }));
  auto ca = HPKI_TRY(
      store_.transact_value<store::CaRecord>([&](store::Tx& tx) { return tx.get_ca(ca_id); }));
  std::optional<std::int64_t> shard;
  if (ca.role == store::CaRole::kIssuing && options_.crl_shards > 1) shard = rec.crl_shard;
  auto scope = HPKI_TRY(scope_for(ca_id, shard));
  HPKI_TRY(generate(scope, false));
  if (options_.delta_interval.count() > 0) HPKI_TRY(generate(scope, true));
  return {};
}

void CrlPublisher::on_status_change(const std::string& ca_id, const Serial& serial,
                                    std::string_view action) {
  if (!options_.regenerate_on_revoke || !affects_crl(action)) return;
  {
    std::lock_guard g(mu_);
    if (thread_.joinable()) {
      pending_.emplace(ca_id, serial);
      cv_.notify_all();
      return;
    }
  }
  if (auto r = regenerate_for(ca_id, serial); !r)
    log::error("CRL after {} of {}/{}: {}", action, ca_id, serial.hex(), r.error().to_string());
}

void CrlPublisher::start() {
  std::lock_guard g(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = named_thread("hpki-crl", [this] { run(); });
}

void CrlPublisher::stop() {
  {
    std::lock_guard g(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::lock_guard g(mu_);
  thread_ = std::thread();
  idle_cv_.notify_all();
}

void CrlPublisher::drain() {
  std::unique_lock lk(mu_);
  idle_cv_.wait(lk, [&] { return (pending_.empty() && !busy_) || stopping_; });
}

void CrlPublisher::run() {
  std::unique_lock lk(mu_);
  auto next_check = SteadyClock::now();
  while (!stopping_) {
    if (!pending_.empty()) {
      auto batch = std::move(pending_);
      pending_.clear();
      busy_ = true;
      lk.unlock();
      // Coalesce: several changes in one scope regenerate it once.
      std::set<CrlScope> done;
      for (const auto& [ca_id, serial] : batch) {
        auto rec = store_.transact_value<store::CertificateRecord>(
            [&](store::Tx& tx) { return tx.get_certificate(ca_id, serial); });
        auto ca =
            store_.transact_value<store::CaRecord>([&](store::Tx& tx) { return tx.get_ca(ca_id); });
        if (!rec || !ca) {
          log::error("CRL regeneration for {}/{}: {}", ca_id, serial.hex(),
                     (!rec ? rec.error() : ca.error()).to_string());
          continue;
        }
        std::optional<std::int64_t> shard;
        if (ca->role == store::CaRole::kIssuing && options_.crl_shards > 1) shard = rec->crl_shard;
        if (!done.insert(CrlScope{ca_id, shard}).second) continue;
        if (auto r = regenerate_for(ca_id, serial); !r)
          log::error("CRL regeneration for {}/{}: {}", ca_id, serial.hex(), r.error().to_string());
      }
      lk.lock();
      busy_ = false;
      if (pending_.empty()) idle_cv_.notify_all();
      continue;
    }
    if (SteadyClock::now() >= next_check) {
      lk.unlock();
      (void)refresh();  // errors are logged per scope
      lk.lock();
      next_check = SteadyClock::now() + options_.check_interval;
      continue;
    }
    cv_.wait_until(lk, next_check, [&] { return stopping_ || !pending_.empty(); });
  }
}

Result<std::shared_ptr<const PublishedCrl>> CrlPublisher::latest(std::string_view name) {
  auto head = store_.transact_value<std::optional<store::CrlRecord>>(
      [&](store::Tx& tx) { return tx.latest_crl(name, false); });
  std::shared_ptr<const PublishedCrl> cached;
  {
    std::lock_guard g(cache_mu_);
    if (auto it = cache_.find(name); it != cache_.end()) cached = it->second;
  }
  if (!head) {
    // The database does not answer: keep serving what this node has.
    if (cached) return cached;
    return fail(head.error());
  }
  if (!*head) return fail(ErrorCode::kNotFound, "no CRL " + std::string(name));
  if (cached && cached->record.crl_number == (*head)->crl_number) return cached;
  auto full = HPKI_TRY(store_.transact_value<std::optional<store::CrlRecord>>(
      [&](store::Tx& tx) { return tx.latest_crl(name, true); }));
  if (!full) return fail(ErrorCode::kNotFound, "no CRL " + std::string(name));
  auto p = std::make_shared<PublishedCrl>();
  auto hash = HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, full->der));
  p->etag = "\"" + hex_encode(BytesView(hash).first(16)) + "\"";
  p->record = std::move(*full);
  std::lock_guard g(cache_mu_);
  auto& slot = cache_[std::string(name)];
  if (!slot || slot->record.crl_number < p->record.crl_number) slot = p;
  return slot;
}

}  // namespace hpki::revocation
