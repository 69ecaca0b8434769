#include "revocation/ocsp_responder.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "core/encoding.h"
#include "core/log.h"
#include "core/thread.h"
#include "crypto/digest.h"
#include "der/oids.h"
#include "x509/spki.h"

namespace hpki::revocation {

using x509::OcspCertStatus;
using x509::OcspResponseStatus;

// The presigner's batches: at most this long a wait for this many changes.
constexpr std::chrono::milliseconds kPresignGather{50};
constexpr std::size_t kPresignBatch = 256;

std::string response_etag(BytesView der) {
  const std::string hex =
      hex_encode(crypto::digest(crypto::HashAlg::kSha256, der).value_or(Bytes{}));
  std::string tag;
  tag.reserve(34);
  tag.push_back('"');
  tag.append(hex, 0, 32);
  tag.push_back('"');
  return tag;
}

struct OcspResponder::Entry {
  Bytes serial;  // INTEGER content bytes
  OcspCertStatus status = OcspCertStatus::kGood;
  std::optional<TimePoint> revocation_time;
  std::optional<x509::RevocationReason> reason;
  bool non_issued = false;  // RFC 6960 2.2 "revoked" for a reserved serial
  TimePoint this_update{};
  TimePoint next_update{};
  Bytes der;         // the pre-signed OCSPResponse (SHA-1 CertID); empty when not signed
  std::string etag;  // of `der` (set_der), handed out with it
  void set_der(Bytes bytes) {
    der = std::move(bytes);
    etag = response_etag(der);
  }
};

struct OcspResponder::Issuer {
  store::CaRecord ca;
  store::CaRecord responder;
  x509::CertificatePtr ca_cert;
  x509::CertificatePtr responder_cert;
  std::unique_ptr<crypto::Signer> signer;
  struct Hashes {
    crypto::HashAlg alg;
    Bytes name, key;
  };
  std::vector<Hashes> hashes;  // SHA-1, SHA-256, SM3
  std::unordered_map<Serial, std::shared_ptr<const Entry>> entries;
  // Serials changed (on_status_change) and not yet re-signed: the change sequence number.
  std::unordered_map<Serial, std::uint64_t> dirty;
};

struct OcspResponder::Worker {
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::thread thread;
  // Status changes waiting for the presigner thread.
  std::condition_variable pending_cv;
  std::vector<std::pair<Issuer*, Serial>> pending;
  std::thread presigner;
};

namespace {

std::int64_t unix_s(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
TimePoint from_unix(std::int64_t s) { return TimePoint(std::chrono::seconds(s)); }
TimePoint floor_s(TimePoint t) { return std::chrono::floor<std::chrono::seconds>(t); }

// CertID serial (INTEGER content octets) -> the store's serial.
Result<Serial> serial_of(BytesView integer) { return Serial::from_octets(integer); }

// The status a certificate row stands for (RFC 6960 2.2).
Result<OcspResponder::Entry> entry_for(const store::CertStatusRecord& c) {
  OcspResponder::Entry e;
  e.serial = c.serial.der_content();
  switch (c.status) {
    case store::CertStatus::kIssued:
      e.status = OcspCertStatus::kGood;
      break;
    case store::CertStatus::kRevoked:
    case store::CertStatus::kHold:
    case store::CertStatus::kNeverDelivered:
      e.status = OcspCertStatus::kRevoked;
      e.revocation_time = c.revoked_at.value_or(c.updated_at);
      if (c.status == store::CertStatus::kHold) {
        e.reason = x509::RevocationReason::kCertificateHold;
      } else if (c.reason && *c.reason != 0) {
        e.reason = static_cast<x509::RevocationReason>(*c.reason);
      }
      break;
    case store::CertStatus::kIssuing:
      // RFC 6960 2.2: a serial hpki reserved but never delivered a certificate for.
      e.status = OcspCertStatus::kRevoked;
      e.revocation_time = from_unix(0);
      e.reason = x509::RevocationReason::kCertificateHold;
      e.non_issued = true;
      break;
  }
  return e;
}

bool same_status(const OcspResponder::Entry& a, const OcspResponder::Entry& b) {
  return a.status == b.status && a.revocation_time == b.revocation_time && a.reason == b.reason &&
         a.non_issued == b.non_issued;
}

x509::OcspSingleResponse single_for(const x509::OcspCertId& id, const OcspResponder::Entry& e) {
  x509::OcspSingleResponse s;
  s.id = id;
  s.status = e.status;
  s.revocation_time = e.revocation_time;
  s.reason = e.reason;
  s.this_update = e.this_update;
  s.next_update = e.next_update;
  return s;
}

OcspAnswer error_answer(OcspResponseStatus st, std::string detail) {
  OcspAnswer a;
  a.status = st;
  a.der = x509::build_ocsp_error_response(st);
  a.detail = std::move(detail);
  return a;
}

}  // namespace

OcspResponder::OcspResponder(store::Store& store, const Clock& clock, OcspSignerFactory signers,
                             OcspResponderSettings settings)
    : store_(store),
      clock_(clock),
      signer_factory_(std::move(signers)),
      settings_(settings),
      worker_(std::make_unique<Worker>()) {
  if (settings_.refresh_after > settings_.validity / 2)
    settings_.refresh_after = settings_.validity / 2;
  if (settings_.sign_threads == 0) settings_.sign_threads = 1;
}

OcspResponder::~OcspResponder() { stop(); }

Result<void> OcspResponder::load_issuers() {
  auto cas = HPKI_TRY(store_.transact_value<std::vector<store::CaRecord>>(
      [](store::Tx& tx) { return tx.list_cas(); }));
  for (const auto& ca : cas) {
    if (ca.role != store::CaRole::kIssuing) continue;
    auto it = std::find_if(cas.begin(), cas.end(), [&](const store::CaRecord& r) {
      return r.role == store::CaRole::kOcsp && r.parent_id == ca.id;
    });
    if (it == cas.end()) {
      log::warn("ocsp: issuing CA {} has no responder certificate; its requests get unauthorized",
                ca.id);
      continue;
    }
    auto is = std::make_unique<Issuer>();
    is->ca = ca;
    is->responder = *it;
    is->ca_cert = HPKI_TRY(x509::Certificate::parse(ca.certificate));
    is->responder_cert = HPKI_TRY(x509::Certificate::parse(it->certificate));
    auto signer = signer_factory_(*it);
    if (!signer) return fail(signer.error().with_context("OCSP responder key of " + ca.id));
    is->signer = std::move(*signer);
    if (is->signer->public_key_der() != is->responder_cert->spki_der())
      return fail(ErrorCode::kKeyMismatch,
                  "OCSP responder key of " + ca.id + " does not match its certificate");
    const auto bits = HPKI_TRY(x509::spki_public_key_bits(is->ca_cert->spki_der()));
    for (auto h : {crypto::HashAlg::kSha1, crypto::HashAlg::kSha256, crypto::HashAlg::kSm3}) {
      is->hashes.push_back({h, HPKI_TRY(crypto::digest(h, is->ca_cert->subject().der)),
                            HPKI_TRY(crypto::digest(h, bits))});
    }
    issuers_.push_back(std::move(is));
  }
  return {};
}

Result<void> OcspResponder::load() {
  std::lock_guard lock(sync_mu_);
  HPKI_TRY(load_issuers());
  auto n = resync(true);
  if (!n) {
    mark_db(false, n.error().to_string());
    return fail(n.error());
  }
  log::info("ocsp: serving {} issuing CAs, {} responses signed at load", issuers_.size(), *n);
  return {};
}

Result<std::size_t> OcspResponder::sync() {
  std::lock_guard lock(sync_mu_);
  auto n = resync(false);
  if (!n) {
    mark_db(false, n.error().to_string());
    return fail(n.error());
  }
  return n;
}

void OcspResponder::mark_db(bool ok, const std::string& reason) {
  std::lock_guard lock(health_mu_);
  if (health_.database_ok && !ok)
    log::warn("ocsp: database unavailable ({}); answering from the pre-signed cache", reason);
  if (!health_.database_ok && ok) log::info("ocsp: database available again");
  health_.database_ok = ok;
  health_.reason = ok ? std::string() : reason;
  if (ok) health_.last_sync = clock_.now();
}

Result<std::size_t> OcspResponder::resync(bool full) {
  const std::uint64_t read_seq = change_seq_.load();
  const TimePoint now = floor_s(clock_.now());
  const std::int64_t since = full ? 0 : std::max<std::int64_t>(0, last_change_seen_ - 2);
  std::int64_t high = last_change_seen_;
  std::vector<std::pair<Issuer*, std::shared_ptr<const Entry>>> todo;
  std::size_t loaded = 0;
  for (auto& isp : issuers_) {
    Issuer& is = *isp;
    std::vector<store::CertStatusRecord> rows;
    std::vector<store::OcspResponseRecord> stored;
    // Read-only: on SQLite a reader connection, never the write lock issuance needs.
    HPKI_TRY(store_.read([&](store::Tx& tx) -> Result<void> {
      rows = HPKI_TRY(tx.cert_statuses_since(is.ca.id, from_unix(since)));
      stored.clear();
      if (full) stored = HPKI_TRY(tx.list_ocsp_responses(is.ca.id));
      return {};
    }));
    std::unordered_map<Serial, std::size_t> stored_idx;
    for (std::size_t i = 0; i < stored.size(); ++i) stored_idx[stored[i].serial] = i;
    for (const auto& c : rows) {
      high = std::max(high, unix_s(c.updated_at));
      auto e = std::make_shared<Entry>(HPKI_TRY(entry_for(c)));
      auto cur = find(is, c.serial);
      if (!full && cur && same_status(*cur, *e)) continue;  // touched, status unchanged
      if (full) {
        // A response another node (or an earlier run) signed after the last change, not yet
        // due for refresh, is used as is.
        if (auto it = stored_idx.find(c.serial); it != stored_idx.end()) {
          auto& s = stored[it->second];
          if (s.this_update >= c.updated_at && now - s.this_update < settings_.refresh_after &&
              s.next_update > now) {
            e->this_update = s.this_update;
            e->next_update = s.next_update;
            e->set_der(std::move(s.der));
            if (put(is, c.serial, e, read_seq)) ++loaded;
            continue;
          }
        }
      }
      todo.emplace_back(&is, e);
    }
    // Responses due for refresh (status unchanged, known current as of this query).
    if (!full) {
      std::shared_lock lock(mu_);
      for (const auto& [serial, e] : is.entries) {
        if (now - e->this_update >= settings_.refresh_after) {
          auto fresh = std::make_shared<Entry>(*e);
          todo.emplace_back(&is, fresh);
        }
      }
    }
  }
  last_change_seen_ = high;
  counters_.loaded_from_db += loaded;
  auto n = HPKI_TRY(sign_and_store(std::move(todo), read_seq));
  mark_db(true, {});
  return n;
}

Result<std::size_t> OcspResponder::sign_and_store(
    std::vector<std::pair<Issuer*, std::shared_ptr<const Entry>>> todo, std::uint64_t read_seq) {
  if (todo.empty()) return std::size_t{0};
  {
    // One response per certificate (a multi-row upsert may not name a key twice): sync() lists
    // a certificate changed in the database first and may list it again as due for refresh
    // from memory; the first is current.
    std::set<std::pair<Issuer*, Bytes>> seen;
    std::erase_if(
        todo, [&seen](const auto& t) { return !seen.emplace(t.first, t.second->serial).second; });
  }
  const TimePoint now = floor_s(clock_.now());
  std::vector<std::shared_ptr<Entry>> signed_entries(todo.size());
  std::vector<std::optional<Error>> errors(settings_.sign_threads);
  auto work = [&](std::size_t tid) {
    for (std::size_t i = tid; i < todo.size(); i += settings_.sign_threads) {
      auto [is, old] = todo[i];
      auto e = std::make_shared<Entry>(*old);
      e->this_update = now;
      e->next_update = now + settings_.validity;
      x509::OcspCertId id;
      id.hash_oid = der::oids::kSha1;
      id.hash = crypto::HashAlg::kSha1;
      id.issuer_name_hash = is->hashes[0].name;
      id.issuer_key_hash = is->hashes[0].key;
      id.serial = e->serial;
      x509::OcspResponseTemplate tpl;
      tpl.responder_spki = is->responder_cert->spki_der();
      tpl.produced_at = now;
      tpl.responses = {single_for(id, *e)};
      tpl.certs = {is->responder_cert->der()};
      tpl.extended_revoke = e->non_issued;
      const auto start = std::chrono::steady_clock::now();
      auto der = x509::build_ocsp_response(tpl, *is->signer);
      counters_.sign_seconds.fetch_add(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (!der) {
        errors[tid] = der.error();
        continue;
      }
      e->set_der(std::move(*der));
      signed_entries[i] = std::move(e);
    }
  };
  if (todo.size() < 64 || settings_.sign_threads == 1) {
    for (std::size_t t = 0; t < settings_.sign_threads; ++t) work(t);
  } else {
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < settings_.sign_threads; ++t) threads.emplace_back(work, t);
    for (auto& th : threads) th.join();
  }
  std::size_t n = 0;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    if (!signed_entries[i]) continue;
    auto serial = serial_of(signed_entries[i]->serial);
    if (!serial || !put(*todo[i].first, *serial, signed_entries[i], read_seq)) {
      signed_entries[i].reset();  // superseded by a later change: neither held nor stored
      continue;
    }
    ++n;
  }
  counters_.presigned += n;
  // Persist in batches so other nodes can load them.
  constexpr std::size_t kBatch = 500;
  for (std::size_t from = 0; from < todo.size(); from += kBatch) {
    // One row per (CA, serial) here: a multi-row upsert may not name a key twice.
    std::vector<store::OcspResponseRecord> rows;
    rows.reserve(std::min(todo.size(), from + kBatch) - from);
    for (std::size_t i = from; i < std::min(todo.size(), from + kBatch); ++i) {
      const auto& e = signed_entries[i];
      if (!e) continue;
      rows.push_back({.ca_id = todo[i].first->ca.id,
                      .serial = HPKI_TRY(serial_of(e->serial)),
                      .status = std::string(x509::ocsp_cert_status_name(e->status)),
                      .this_update = e->this_update,
                      .next_update = e->next_update,
                      .der = e->der});
    }
    auto unit = [&](store::Tx& tx) -> Result<void> { return tx.upsert_ocsp_responses(rows); };
    HPKI_TRY(settings_.batcher != nullptr ? settings_.batcher->run(unit) : store_.transact(unit));
  }
  for (const auto& err : errors) {
    if (err) return fail(err->with_context("pre-signing OCSP responses"));
  }
  return n;
}

bool OcspResponder::put(Issuer& is, const Serial& serial, std::shared_ptr<const Entry> e,
                        std::uint64_t read_seq) {
  std::unique_lock lock(mu_);
  if (auto d = is.dirty.find(serial); d != is.dirty.end()) {
    if (d->second > read_seq) return false;  // changed after our read: its re-signing follows
    is.dirty.erase(d);
  }
  is.entries[serial] = std::move(e);
  return true;
}

std::shared_ptr<const OcspResponder::Entry> OcspResponder::find(const Issuer& is,
                                                                const Serial& serial) const {
  std::shared_lock lock(mu_);
  auto it = is.entries.find(serial);
  return it == is.entries.end() ? nullptr : it->second;
}

Result<std::shared_ptr<const OcspResponder::Entry>> OcspResponder::lookup_db(Issuer& is,
                                                                             const Serial& serial) {
  const std::uint64_t read_seq = change_seq_.load();
  std::optional<store::CertStatusRecord> row;
  // Read-only (a reader connection on SQLite): a flood of requests for serials hpki never
  // issued must not queue behind, or hold up, the writers.
  auto r = store_.read([&](store::Tx& tx) -> Result<void> {
    row = HPKI_TRY(tx.cert_status(is.ca.id, serial));
    return {};
  });
  if (!r) {
    mark_db(false, r.error().to_string());
    return fail(r.error());
  }
  if (!row) return std::shared_ptr<const Entry>{};
  auto e = std::make_shared<const Entry>(HPKI_TRY(entry_for(*row)));
  auto n = sign_and_store({{&is, e}}, read_seq);
  if (!n)
    log::warn("ocsp: storing the response of {} {}: {}", is.ca.id, serial.hex(),
              n.error().to_string());
  auto stored = find(is, serial);
  return stored ? stored : e;
}

void OcspResponder::on_status_change(const std::string& ca_id, const Serial& serial) {
  Issuer* is = nullptr;
  for (auto& i : issuers_) {
    if (i->ca.id == ca_id) is = i.get();
  }
  if (is == nullptr) return;
  {
    // From now on the held response (if any) is not answered, and none read before this
    // point is put back.
    std::unique_lock lock(mu_);
    is->dirty[serial] = ++change_seq_;
    is->entries.erase(serial);
  }
  {
    std::lock_guard lock(worker_->mu);
    if (worker_->presigner.joinable() && !worker_->stopping) {
      worker_->pending.emplace_back(is, serial);
      // Wake the presigner when its first change arrives, or to end its gathering when a batch
      // is full; not for every change (thousands of wake-ups per second under load).
      const std::size_t n = worker_->pending.size();
      if (n == 1 || n == kPresignBatch) worker_->pending_cv.notify_one();
      return;
    }
  }
  auto e = lookup_db(*is, serial);
  if (!e) log::warn("ocsp: re-signing {} {}: {}", ca_id, serial.hex(), e.error().to_string());
}

void OcspResponder::presign_changes(std::vector<std::pair<Issuer*, Serial>> changes) {
  std::sort(changes.begin(), changes.end());
  changes.erase(std::unique(changes.begin(), changes.end()), changes.end());
  const std::uint64_t read_seq = change_seq_.load();
  std::vector<std::pair<Issuer*, std::shared_ptr<const Entry>>> todo;
  auto r = store_.read([&](store::Tx& tx) -> Result<void> {
    todo.clear();
    // Sorted: the changes of one issuer are adjacent; one look-up per issuer and batch.
    for (auto it = changes.begin(); it != changes.end();) {
      Issuer* is = it->first;
      std::vector<Serial> serials;
      for (; it != changes.end() && it->first == is; ++it) serials.push_back(it->second);
      for (const auto& c : HPKI_TRY(tx.cert_statuses(is->ca.id, serials))) {
        todo.emplace_back(is, std::make_shared<const Entry>(HPKI_TRY(entry_for(c))));
      }
    }
    return {};
  });
  if (!r) {
    mark_db(false, r.error().to_string());
    log::warn("ocsp: reading {} changed certificate(s): {} (the next sync retries)", changes.size(),
              r.error().to_string());
    return;
  }
  auto n = sign_and_store(std::move(todo), read_seq);
  if (!n) log::warn("ocsp: re-signing changed certificates: {}", n.error().to_string());
}

OcspAnswer OcspResponder::respond(BytesView request_der) { return *answer(request_der, true); }

std::optional<OcspAnswer> OcspResponder::respond_from_memory(BytesView request_der) {
  return answer(request_der, false);
}

std::optional<OcspAnswer> OcspResponder::answer(BytesView request_der, bool may_block) {
  auto req = x509::parse_ocsp_request(request_der);
  if (!req) return error_answer(OcspResponseStatus::kMalformedRequest, req.error().to_string());
  // One issuer per request: its responder signs the answer.
  Issuer* issuer = nullptr;
  for (const auto& id : req->ids) {
    Issuer* found = nullptr;
    for (auto& is : issuers_) {
      for (const auto& h : is->hashes) {
        if (id.hash == h.alg && id.issuer_name_hash == h.name && id.issuer_key_hash == h.key) {
          found = is.get();
          break;
        }
      }
      if (found) break;
    }
    if (found == nullptr)
      return error_answer(OcspResponseStatus::kUnauthorized, "issuer not served here");
    if (issuer != nullptr && issuer != found)
      return error_answer(OcspResponseStatus::kUnauthorized, "CertIDs of several issuers");
    issuer = found;
  }
  const TimePoint now = clock_.now();
  // Resolve each CertID to a status entry.
  std::vector<std::shared_ptr<const Entry>> entries;
  for (const auto& id : req->ids) {
    // A serial longer than any hpki issues (Serial::kMaxOctets) is not looked up: unknown.
    auto serial = serial_of(id.serial);
    auto e = serial ? find(*issuer, *serial) : nullptr;
    if (!e && serial) {
      if (!may_block) return std::nullopt;
      auto db = lookup_db(*issuer, *serial);
      if (!db) return error_answer(OcspResponseStatus::kTryLater, db.error().to_string());
      e = *db;
    }
    if (!e) {
      // Never produced by hpki (the database answered): unknown.
      auto u = std::make_shared<Entry>();
      u->serial = id.serial;
      u->status = OcspCertStatus::kUnknown;
      u->this_update = floor_s(now);
      u->next_update = u->this_update + settings_.validity;
      e = u;
    }
    if (e->next_update <= now)
      return error_answer(OcspResponseStatus::kTryLater,
                          "status of " + hex_encode(id.serial) + " expired");
    entries.push_back(std::move(e));
  }
  OcspAnswer a;
  a.status = OcspResponseStatus::kSuccessful;
  a.this_update = entries[0]->this_update;
  a.next_update = entries[0]->next_update;
  for (const auto& e : entries) {
    a.cert_statuses.push_back(e->status);
    a.this_update = std::min(a.this_update, e->this_update);
    a.next_update = std::min(a.next_update, e->next_update);
  }
  const auto& id0 = req->ids[0];
  const bool presigned = req->ids.size() == 1 && id0.hash == crypto::HashAlg::kSha1 &&
                         !entries[0]->der.empty() && id0.serial == entries[0]->serial;
  auto cached = [&] {
    a.der = entries[0]->der;
    a.etag = entries[0]->etag;
    a.from_cache = true;
    a.produced_at = entries[0]->this_update;
    ++counters_.cache_hits;
    return a;
  };
  if (presigned && !req->nonce) return cached();
  if (!may_block) return std::nullopt;
  // A slot for an on-demand signature (see OcspResponderSettings::max_on_demand).
  struct Slot {
    std::atomic<std::size_t>& n;
    bool held;
    ~Slot() {
      if (held) --n;
    }
  } slot{on_demand_now_, ++on_demand_now_ <= settings_.max_on_demand};
  if (!slot.held) {
    --on_demand_now_;
    ++counters_.on_demand_refused;
    if (presigned) return cached();  // the nonce is not echoed (RFC 8954 2.1)
    return error_answer(OcspResponseStatus::kTryLater, "on-demand signing is saturated");
  }
  x509::OcspResponseTemplate t;
  t.responder_spki = issuer->responder_cert->spki_der();
  t.produced_at = floor_s(now);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    t.responses.push_back(single_for(req->ids[i], *entries[i]));
    t.extended_revoke = t.extended_revoke || entries[i]->non_issued;
  }
  if (req->nonce) t.nonce = *req->nonce;
  t.certs = {issuer->responder_cert->der()};
  const auto start = std::chrono::steady_clock::now();
  auto der = x509::build_ocsp_response(t, *issuer->signer);
  counters_.sign_seconds.fetch_add(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (!der) return error_answer(OcspResponseStatus::kTryLater, der.error().to_string());
  ++counters_.signed_on_demand;
  a.der = std::move(*der);
  a.signed_now = true;
  a.produced_at = t.produced_at;
  return a;
}

OcspHealth OcspResponder::health() const {
  OcspHealth h;
  {
    std::lock_guard lock(health_mu_);
    h = health_;
  }
  const TimePoint now = clock_.now();
  std::shared_lock lock(mu_);
  for (const auto& is : issuers_) {
    h.responses += is->entries.size();
    if (!h.database_ok) {
      for (const auto& [s, e] : is->entries) {
        if (e->next_update <= now) ++h.expired;
      }
    }
  }
  return h;
}

std::optional<Bytes> OcspResponder::presigned(const std::string& ca_id,
                                              const Serial& serial) const {
  for (const auto& is : issuers_) {
    if (is->ca.id != ca_id) continue;
    auto e = find(*is, serial);
    if (e && !e->der.empty()) return e->der;
  }
  return std::nullopt;
}

void OcspResponder::start(std::chrono::seconds period, std::function<void()> after_each) {
  worker_->stopping = false;
  worker_->presigner = named_thread("hpki-ocsp-sign", [this] {
    std::unique_lock lock(worker_->mu);
    for (;;) {
      worker_->pending_cv.wait(lock,
                               [this] { return worker_->stopping || !worker_->pending.empty(); });
      if (worker_->stopping) return;  // what is left is picked up by the next start's sync
      // Gather for a moment: each batch costs a write transaction (an fsync), and under a
      // burst of issuances more changes arrive meanwhile. Requests for a certificate not yet
      // re-signed are answered from the database, so the delay costs no correctness.
      worker_->pending_cv.wait_for(lock, kPresignGather, [this] {
        return worker_->stopping || worker_->pending.size() >= kPresignBatch;
      });
      if (worker_->stopping) return;
      auto batch = std::move(worker_->pending);
      worker_->pending.clear();
      lock.unlock();
      presign_changes(std::move(batch));
      lock.lock();
    }
  });
  worker_->thread = named_thread("hpki-ocsp-sync", [this, period, after = std::move(after_each)] {
    std::unique_lock lock(worker_->mu);
    while (!worker_->cv.wait_for(lock, period, [this] { return worker_->stopping; })) {
      lock.unlock();
      auto n = sync();
      if (!n) {
        log::debug("ocsp: sync failed: {}", n.error().to_string());
      } else if (*n > 0) {
        log::debug("ocsp: {} responses signed", *n);
      }
      if (after) after();
      lock.lock();
    }
  });
}

void OcspResponder::stop() {
  if (!worker_ || !worker_->thread.joinable()) return;
  {
    std::lock_guard lock(worker_->mu);
    worker_->stopping = true;
  }
  worker_->cv.notify_all();
  worker_->pending_cv.notify_all();
  worker_->thread.join();
  if (worker_->presigner.joinable()) worker_->presigner.join();
}

}  // namespace hpki::revocation
