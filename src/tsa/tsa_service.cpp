#include "tsa/tsa_service.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "core/batch.h"
#include "core/crash.h"
#include "core/encoding.h"
#include "core/log.h"
#include "core/thread.h"
#include "crypto/algorithm.h"
#include "crypto/digest.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "x509/cms.h"
#include "x509/extensions.h"

namespace hpki::tsa {
namespace {

using x509::tsp::FailureInfo;
using x509::tsp::PkiStatus;

TsaReply reject(FailureInfo f, std::string text) {
  TsaReply r;
  r.status = PkiStatus::kRejection;
  r.fail_info = f;
  r.status_string = std::move(text);
  r.der = x509::tsp::encode_response(
      {.status = r.status, .status_string = r.status_string, .fail_info = f, .token = {}});
  return r;
}

}  // namespace

// ---- the pipeline -------------------------------------------------------------------------
// Defined before the constructor: its cleanup destroys pipeline_, a unique_ptr<Pipeline>, which
// needs the complete type (clang instantiates the deleter there; g++ 12 accepted it later).

struct TsaService::Job {
  const Unit* unit = nullptr;
  x509::tsp::TimeStampReq req;
  crypto::HashAlg hash = crypto::HashAlg::kSha256;
  std::string requester;
  std::string org;
  std::function<void(TsaReply)> done;
  // Set by the signers: serial (from the reserved range), genTime, token.
  std::int64_t serial = 0;
  std::chrono::sys_seconds gen_time{};
  Bytes token;
  Bytes stored_token;  // with certReq: the token without its certificates (what is stored)
};

struct TsaService::Pipeline {
  std::mutex mu;
  std::condition_variable commit_cv;          // the committer: signed tokens
  std::condition_variable sign_cv;            // the signers: new requests
  std::deque<std::unique_ptr<Job>> to_sign;   // accepted, not yet signed
  std::deque<std::unique_ptr<Job>> to_store;  // signed, not yet stored (nothing answered yet)
  std::size_t in_flight = 0;                  // accepted and not yet answered
  bool stopping = false;
  std::thread committer;
  std::vector<std::thread> signers;
  std::function<void(std::size_t, std::size_t)> on_round;
  // Where the committer waits (with mu): for any work, or gathering a round. New work wakes it
  // only when that ends its wait — not once per request (thousands of wake-ups per second).
  bool committer_idle = false;
  bool committer_gathering = false;
  // Serials: a range reserved durably in advance ([next, end)); a crash skips what is left of
  // it. `latest` is the latest genTime this TSA gave or found recorded: the clock must not read
  // earlier (RFC 3161 2.4.2: genTime is the time the token was created; hpki never goes back).
  std::mutex serial_mu;
  std::int64_t next = 0;
  std::int64_t end = 0;
  TimePoint latest{};
  // The latest genTime this process has committed (committer thread only). Signers finish out
  // of order, so a round may hold a token with an earlier genTime than one this process
  // committed before: that is no clock problem (genTimes were handed out in order, see
  // assign()). Only a later genTime recorded by another node makes a token "behind".
  std::optional<TimePoint> committed_latest;
  [[nodiscard]] bool drained() const { return stopping && in_flight == 0; }
  [[nodiscard]] bool wake_committer() const {
    return committer_idle || (committer_gathering && to_store.size() >= kRoundTarget);
  }
};

TsaService::TsaService(TsaDeps deps, TsaOptions options)
    : d_(std::move(deps)), options_(std::move(options)) {
  if (d_.batcher == nullptr) own_batcher_ = std::make_unique<store::CommitBatcher>(*d_.store);
  batcher_ = d_.batcher != nullptr ? d_.batcher : own_batcher_.get();
}

Result<std::unique_ptr<TsaService>> TsaService::create(TsaDeps deps, TsaOptions options) {
  if (deps.store == nullptr || deps.audit == nullptr || deps.clock == nullptr || !deps.signer_for)
    return fail(ErrorCode::kInvalidArgument, "TSA: store, audit log, clock and signers required");
  if (deps.batcher != nullptr && &deps.batcher->store() != deps.store)
    return fail(ErrorCode::kInvalidArgument, "TSA: the batcher must run on the TSA's store");
  std::unique_ptr<TsaService> s(new TsaService(std::move(deps), std::move(options)));
  auto cas = HPKI_TRY(s->d_.store->transact_value<std::vector<store::CaRecord>>(
      [](store::Tx& tx) { return tx.list_cas(); }));
  for (const auto& ca : cas) {
    if (ca.role != store::CaRole::kTsa) continue;
    Unit u;
    u.record = ca;
    u.cert = HPKI_TRY(x509::Certificate::parse(ca.certificate));
    // RFC 3161 2.3: the TSA certificate has exactly one EKU, id-kp-timeStamping, critical.
    const auto* eku = u.cert->find_extension(der::oids::kExtKeyUsage);
    if (eku == nullptr || !eku->critical)
      return fail(ErrorCode::kBadCertificate,
                  "TSA " + ca.id + ": no critical extendedKeyUsage (RFC 3161 2.3)");
    auto purposes = HPKI_TRY(x509::parse_extended_key_usage(eku->value));
    if (purposes.size() != 1 || purposes[0] != der::oids::kTimeStamping)
      return fail(ErrorCode::kBadCertificate,
                  "TSA " + ca.id + ": extendedKeyUsage must be timeStamping only (RFC 3161 2.3)");
    for (const auto& parent : cas) {
      if (ca.parent_id && parent.id == *ca.parent_id)
        u.chain.push_back(HPKI_TRY(x509::Certificate::parse(parent.certificate)));
    }
    auto signer = s->d_.signer_for(ca);
    if (!signer) return fail(signer.error().with_context("TSA " + ca.id + " key"));
    u.signer = std::move(*signer);
    if (u.signer->public_key_der() != u.cert->spki_der())
      return fail(ErrorCode::kKeyMismatch, "TSA " + ca.id + ": key does not match certificate");
    u.signing_certificate = HPKI_TRY(x509::cms::signing_certificate_v2_attribute(
        *u.cert, crypto::signature_hash(u.signer->algorithm())));
    s->units_.emplace(ca.family, std::move(u));
  }
  if (s->units_.empty())
    return fail(ErrorCode::kNotFound, "no TSA certificate (run `hpki ca init` first)");
  s->start_pipeline();
  return s;
}

std::vector<store::CaFamily> TsaService::families() const {
  std::vector<store::CaFamily> out;
  for (const auto& [f, u] : units_) out.push_back(f);
  return out;
}

const TsaService::Unit* TsaService::pick(std::optional<store::CaFamily> family,
                                         crypto::HashAlg hash) const {
  auto find = [&](store::CaFamily f) -> const Unit* {
    auto it = units_.find(f);
    return it == units_.end() ? nullptr : &it->second;
  };
  if (family) return find(*family);
  if (hash == crypto::HashAlg::kSm3) return find(store::CaFamily::kSm2);
  if (const Unit* u = find(store::CaFamily::kRsa)) return u;
  return find(store::CaFamily::kEcdsa);
}

void TsaService::start_pipeline() {
  pipeline_ = std::make_unique<Pipeline>();
  pipeline_->committer = named_thread("hpki-tsa-commit", [this] { commit_loop(); });
  const std::size_t n = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < n; ++i)
    pipeline_->signers.push_back(named_thread("hpki-tsa-sign", [this] { sign_loop(); }));
}

void TsaService::stop() {
  if (!pipeline_) return;
  {
    std::lock_guard lock(pipeline_->mu);
    if (pipeline_->stopping) return;
    pipeline_->stopping = true;
  }
  pipeline_->commit_cv.notify_all();
  pipeline_->sign_cv.notify_all();
  pipeline_->committer.join();
  for (auto& t : pipeline_->signers) t.join();
}

TsaService::~TsaService() { stop(); }

void TsaService::set_round_observer(
    std::function<void(std::size_t recorded, std::size_t stored)> o) const {
  std::lock_guard lock(pipeline_->mu);
  pipeline_->on_round = std::move(o);
}

void TsaService::finish(std::unique_ptr<Job> job, TsaReply reply) const {
  auto done = std::move(job->done);
  job.reset();
  done(std::move(reply));
  bool drained = false;
  {
    std::lock_guard lock(pipeline_->mu);
    --pipeline_->in_flight;
    drained = pipeline_->drained();
  }
  if (drained) {
    pipeline_->commit_cv.notify_all();
    pipeline_->sign_cv.notify_all();
  }
}

TsaReply TsaService::respond(BytesView request, std::optional<store::CaFamily> family,
                             std::string_view requester, std::string_view org) const {
  auto answer = std::make_shared<std::promise<TsaReply>>();
  auto future = answer->get_future();
  respond_async(
      request, family, requester, [answer](TsaReply r) { answer->set_value(std::move(r)); }, org);
  return future.get();
}

void TsaService::respond_async(BytesView request, std::optional<store::CaFamily> family,
                               std::string_view requester, std::function<void(TsaReply)> done,
                               std::string_view org) const {
  // 1. The request.
  auto req = x509::tsp::parse_request(request);
  if (!req) {
    if (req.error().code() == ErrorCode::kUnsupported)
      return done(reject(FailureInfo::kBadRequest, req.error().detail()));
    return done(reject(FailureInfo::kBadDataFormat, req.error().detail()));
  }
  // 2. Hash, policy, extensions.
  const auto& imprint = req->message_imprint;
  auto hash = x509::cms::hash_from_oid(imprint.hash_algorithm);
  if (!hash || *hash == crypto::HashAlg::kSha1)
    return done(reject(FailureInfo::kBadAlg, "unsupported hash algorithm " +
                                                 imprint.hash_algorithm.to_string() +
                                                 " (sha256, sha384, sha512, sm3)"));
  if (!imprint.hash_parameters.empty() && imprint.hash_parameters != Bytes{0x05, 0x00})
    return done(reject(FailureInfo::kBadAlg, "hash algorithm parameters must be absent or NULL"));
  if (imprint.hashed_message.size() != crypto::hash_size(*hash))
    return done(reject(FailureInfo::kBadDataFormat,
                       "hashedMessage has " + std::to_string(imprint.hashed_message.size()) +
                           " bytes, " + std::string(crypto::hash_name(*hash)) + " has " +
                           std::to_string(crypto::hash_size(*hash))));
  if (req->req_policy && *req->req_policy != options_.policy)
    return done(reject(FailureInfo::kUnacceptedPolicy, "policy " + req->req_policy->to_string() +
                                                           " is not offered (" +
                                                           options_.policy.to_string() + ")"));
  if (!req->extensions.empty())
    return done(reject(FailureInfo::kUnacceptedExtension, "request extensions are not supported"));
  const Unit* unit = pick(family, *hash);
  if (unit == nullptr)
    return done(reject(FailureInfo::kBadRequest,
                       family ? "no " + std::string(store::to_string(*family)) + " TSA here"
                              : "no TSA for this hash algorithm"));
  auto job = std::make_unique<Job>();
  job->unit = unit;
  job->req = std::move(*req);
  job->hash = *hash;
  job->requester = std::string(requester);
  job->org = std::string(org);
  job->done = std::move(done);
  bool wake = false;
  {
    std::lock_guard lock(pipeline_->mu);
    if (!pipeline_->stopping && pipeline_->in_flight < options_.max_in_flight) {
      ++pipeline_->in_flight;
      pipeline_->to_sign.push_back(std::move(job));
      wake = true;
    }
  }
  if (job) {  // not taken
    auto refused = std::move(job->done);
    return refused(reject(FailureInfo::kSystemFailure, "the TSA is overloaded or stopping"));
  }
  if (wake) pipeline_->sign_cv.notify_one();
}

// 3. A serial and genTime for a request (on a signer thread). Serials come from a range reserved
// in one durable transaction (kSerialRange at a time): unique and strictly increasing across
// restarts and nodes, like the counter they are drawn from; the clock is checked against the
// latest genTime recorded (also read at each reservation, so a node starting with its clock
// behind another's refuses rather than goes back).
Result<void> TsaService::assign(Job& job) const {
  Pipeline& p = *pipeline_;
  std::lock_guard lock(p.serial_mu);
  if (p.next == p.end) {
    std::int64_t first = 0;
    std::optional<TimePoint> last;
    HPKI_TRY(batcher_->run([&](store::Tx& tx) -> Result<void> {
      first = HPKI_TRY(tx.reserve_counter(kSerialCounter, kSerialRange));
      last = HPKI_TRY(tx.last_timestamp_time());
      return {};
    }));
    crash_point("tsa.after_range");
    p.next = first;
    p.end = first + kSerialRange;
    if (last && *last > p.latest) p.latest = *last;
  }
  const auto gen = std::chrono::time_point_cast<std::chrono::seconds>(d_.clock->now());
  if (TimePoint(gen) < p.latest) {
    return fail(ErrorCode::kUnavailable, "the clock reads " + format_rfc3339(gen) +
                                             ", before the latest genTime " +
                                             format_rfc3339(p.latest));
  }
  p.latest = gen;
  job.serial = p.next++;
  job.gen_time = gen;
  return {};
}

// 5. One thread stores what the signers finished — records, tokens and audit entries in one
// unit of the group-commit batcher per round — and answers only after that commit. While it
// waits for a commit, the signers sign the next requests.
void TsaService::commit_loop() {
  Pipeline& p = *pipeline_;
  for (;;) {
    std::vector<std::unique_ptr<Job>> round;
    {
      std::unique_lock lock(p.mu);
      p.committer_idle = true;
      p.commit_cv.wait(lock, [&] { return p.drained() || !p.to_store.empty(); });
      p.committer_idle = false;
      if (p.to_store.empty()) return;  // drained
      // Group commit: a round costs a commit (an fsync) whatever its size, so wait a moment
      // for more work when little is there — fewer, larger rounds leave the CPU to signing.
      p.committer_gathering = true;
      p.commit_cv.wait_for(lock, kRoundGather,
                           [&] { return p.drained() || p.to_store.size() >= kRoundTarget; });
      p.committer_gathering = false;
      while (!p.to_store.empty() && round.size() < kMaxRecordsPerRound) {
        round.push_back(std::move(p.to_store.front()));
        p.to_store.pop_front();
      }
    }
    commit_round(round);
  }
}

void TsaService::commit_round(std::vector<std::unique_ptr<Job>>& round) {
  // A round answers many requests: their replies are handed to the HTTP server's I/O threads
  // together when the round ends (one wake-up per I/O thread, not one per reply).
  BatchScope answers;
  const std::string policy = options_.policy.to_string();
  // In serial order: the audit entries of a round follow the serials.
  std::sort(round.begin(), round.end(),
            [](const auto& a, const auto& b) { return a->serial < b->serial; });
  std::vector<bool> behind(round.size());
  std::optional<TimePoint> last;
  auto r = batcher_->run([&](store::Tx& tx) -> Result<void> {
    // Another node (or a clock stepped back before this one started) recorded a later genTime:
    // those tokens are dropped, never answered (RFC 3161 2.4.2; genTime never goes back). The
    // latest recorded genTime being this process's own is not that (committed_latest).
    last = HPKI_TRY(tx.last_timestamp_time());
    const auto& own = pipeline_->committed_latest;
    const bool foreign = last && (!own || *last > *own);
    std::vector<store::TimestampRecord> records;
    records.reserve(round.size());
    for (std::size_t i = 0; i < round.size(); ++i) {
      const auto& job = round[i];
      behind[i] = foreign && TimePoint(job->gen_time) < *last;
      if (behind[i]) continue;
      store::TimestampRecord& rec = records.emplace_back();
      rec.serial = job->serial;
      rec.tsa_id = job->unit->record.id;
      rec.gen_time = job->gen_time;
      rec.hash_alg = std::string(crypto::hash_name(job->hash));
      rec.imprint = job->req.message_imprint.hashed_message;
      rec.policy = policy;
      rec.nonce = job->req.nonce;
      rec.requester = job->requester;
      rec.org = job->org;
      rec.cert_req = job->req.cert_req;
      // With certReq the token is stored without the TSA's certificates (kept once in `cas`).
      rec.token = job->req.cert_req ? job->stored_token : job->token;
      // JSON without a JSON library (one object per token, on the commit thread): every
      // value is a number, a dotted OID, hex, an RFC 3339 time or a hash name — nothing to
      // escape. Keys sorted, as in the entries written before.
      std::string details = "{\"gen_time\":\"" + format_rfc3339(rec.gen_time) + "\",\"hash\":\"" +
                            rec.hash_alg + "\",\"imprint\":\"" + hex_encode(rec.imprint) +
                            "\",\"policy\":\"" + rec.policy +
                            "\",\"serial\":" + std::to_string(job->serial) + "}";
      HPKI_TRY(d_.audit->append(tx, {.actor = job->requester,
                                     .action = std::string(audit::action::kTimestampIssue),
                                     .object = rec.tsa_id + "/" + std::to_string(job->serial),
                                     .outcome = std::string(audit::outcome::kSuccess),
                                     .details = std::move(details),
                                     .org = job->org}));
    }
    HPKI_TRY(tx.insert_timestamps(records));
    crash_point("tsa.before_commit");
    return {};
  });
  if (!r) {
    // Nothing is answered with a token that is not stored: the signed tokens are dropped.
    log::error("TSA: storing {} timestamp(s) failed: {}", round.size(), r.error().to_string());
    for (auto& job : round)
      finish(std::move(job), reject(FailureInfo::kSystemFailure, "internal error"));
    return;
  }
  crash_point("tsa.after_commit");
  std::function<void(std::size_t, std::size_t)> observer;
  {
    std::lock_guard lock(pipeline_->mu);
    observer = pipeline_->on_round;
  }
  std::size_t stored = 0;
  for (std::size_t i = 0; i < round.size(); ++i) {
    auto& own = pipeline_->committed_latest;
    if (!behind[i] && (!own || TimePoint(round[i]->gen_time) > *own)) {
      own = TimePoint(round[i]->gen_time);
    }
  }
  if (last) {
    std::lock_guard lock(pipeline_->serial_mu);
    if (*last > pipeline_->latest) pipeline_->latest = *last;
  }
  for (std::size_t i = 0; i < round.size(); ++i) {
    if (!behind[i]) {
      ++stored;
      continue;
    }
    log::error("TSA: genTime {} of timestamp {} is before the latest recorded {}",
               format_rfc3339(round[i]->gen_time), round[i]->serial, format_rfc3339(*last));
    finish(std::move(round[i]),
           reject(FailureInfo::kTimeNotAvailable, "the time source is not available"));
  }
  if (observer) observer(stored, stored);
  for (auto& job : round) {
    if (!job) continue;  // refused above
    TsaReply reply;
    reply.status = PkiStatus::kGranted;
    reply.serial = job->serial;
    reply.tsa_id = job->unit->record.id;
    reply.der = x509::tsp::encode_response({.status = PkiStatus::kGranted,
                                            .status_string = std::nullopt,
                                            .fail_info = std::nullopt,
                                            .token = std::move(job->token)});
    finish(std::move(job), std::move(reply));
  }
}

// 3-4. Serial, genTime, TSTInfo and the token, on `hardware_concurrency` threads without the
// pipeline's lock held.
void TsaService::sign_loop() {
  Pipeline& p = *pipeline_;
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock lock(p.mu);
      p.sign_cv.wait(lock, [&] { return p.drained() || !p.to_sign.empty(); });
      if (p.to_sign.empty()) return;  // drained
      job = std::move(p.to_sign.front());
      p.to_sign.pop_front();
    }
    if (auto a = assign(*job); !a) {
      if (a.error().code() == ErrorCode::kUnavailable) {
        log::error("TSA: {}", a.error().detail());
        finish(std::move(job),
               reject(FailureInfo::kTimeNotAvailable, "the time source is not available"));
      } else {
        log::error("TSA: reserving serials failed: {}", a.error().to_string());
        finish(std::move(job), reject(FailureInfo::kSystemFailure, "internal error"));
      }
      continue;
    }
    // A token must verify at its genTime: the TSA certificate has to be valid then.
    const auto& validity = job->unit->cert->validity();
    if (TimePoint(job->gen_time) < validity.not_before ||
        TimePoint(job->gen_time) > validity.not_after) {
      log::error("TSA {}: certificate not valid at {}", job->unit->record.id,
                 format_rfc3339(job->gen_time));
      finish(std::move(job),
             reject(FailureInfo::kSystemFailure, "the TSA certificate is not valid now"));
      continue;
    }
    auto token = sign_token(*job);
    if (token && job->req.cert_req) {
      // The TSA's certificates are the same in every token: stored once (`cas`), not per token.
      auto stored = x509::cms::strip_certificates(*token);
      if (stored) {
        job->stored_token = std::move(*stored);
      } else {
        token = std::unexpected(stored.error());
      }
    }
    if (!token) {
      log::error("TSA: signing timestamp {} failed: {}", job->serial, token.error().to_string());
      finish(std::move(job), reject(FailureInfo::kSystemFailure, "internal error"));
      continue;
    }
    job->token = std::move(*token);
    crash_point("tsa.after_sign");
    bool wake = false;
    {
      std::lock_guard lock(p.mu);
      p.to_store.push_back(std::move(job));
      wake = p.wake_committer();
    }
    if (wake) p.commit_cv.notify_one();
  }
}

Result<Bytes> TsaService::sign_token(const Job& job) const {
  const Unit& unit = *job.unit;
  x509::tsp::TstInfo info;
  info.policy = options_.policy;
  info.message_imprint = job.req.message_imprint;
  der::Writer sw;
  sw.add_integer(job.serial);
  der::Reader sr(sw.view());
  auto serial_content = HPKI_TRY(sr.read_integer());
  info.serial.assign(serial_content.begin(), serial_content.end());
  info.gen_time = job.gen_time;
  if (options_.accuracy != x509::tsp::Accuracy{}) info.accuracy = options_.accuracy;
  info.nonce = job.req.nonce;
  if (options_.include_tsa_name) {
    der::Writer gn;
    HPKI_TRY(
        gn.add_explicit(4, [&](der::Writer& w) { return w.add_raw(unit.cert->subject().der); }));
    info.tsa_name = gn.take();
  }
  auto tst = HPKI_TRY(x509::tsp::encode_tst_info(info));
  auto so = sign_options(unit.chain, job.req.cert_req);
  so.signing_certificate_v2 = false;  // the same attribute, computed once per TSA
  so.extra_signed_attributes.push_back(unit.signing_certificate);
  return x509::cms::sign(tst, *unit.cert, *unit.signer, so);
}

x509::cms::SignOptions TsaService::sign_options(const std::vector<x509::CertificatePtr>& chain,
                                                bool cert_req) {
  x509::cms::SignOptions so;
  so.content_type = der::oids::kCtTstInfo;
  // RFC 3161 2.4.1: certReq true -> the TSA's certificate MUST be in the token; the issuing
  // CA goes with it so that a verifier holding only the root can build the path.
  so.include_signer_certificate = cert_req;
  if (cert_req) so.extra_certificates = chain;
  return so;
}

Result<store::TimestampRecord> TsaService::get(std::int64_t serial) const {
  std::optional<store::TimestampRecord> out;
  std::optional<store::CaRecord> tsa, parent;
  HPKI_TRY(d_.store->read([&](store::Tx& tx) -> Result<void> {
    out.reset();
    tsa.reset();
    parent.reset();
    out.emplace(HPKI_TRY(tx.get_timestamp(serial)));
    if (!out->cert_req || !out->token) return {};
    // The TSA that signed it, from the database: it may not be one this node signs with (a
    // replaced TSA certificate, another node's TSA).
    tsa.emplace(HPKI_TRY(tx.get_ca(out->tsa_id)));
    if (tsa->parent_id) parent.emplace(HPKI_TRY(tx.get_ca(*tsa->parent_id)));
    return {};
  }));
  if (!out->cert_req || !out->token) return std::move(*out);
  // Stored without the TSA's certificates: put them back as the token was issued.
  const auto cert = HPKI_TRY(x509::Certificate::parse(tsa->certificate));
  std::vector<x509::CertificatePtr> chain;
  if (parent) chain.push_back(HPKI_TRY(x509::Certificate::parse(parent->certificate)));
  auto token =
      x509::cms::restore_certificates(*out->token, *cert, sign_options(chain, /*cert_req=*/true));
  if (!token) return fail(token.error().with_context("timestamp " + std::to_string(serial)));
  out->token = std::move(*token);
  return std::move(*out);
}

std::function<Result<Bytes>(crypto::HashAlg, BytesView)> local_digest_token_fn(
    const TsaService& tsa, std::string requester, std::string org,
    std::optional<store::CaFamily> family) {
  return [&tsa, requester = std::move(requester), org = std::move(org), family](
             crypto::HashAlg hash, BytesView digest) -> Result<Bytes> {
    if (digest.size() != crypto::hash_size(hash))
      return fail(ErrorCode::kInvalidArgument, "the digest has the wrong length");
    x509::tsp::TimeStampReq req;
    req.message_imprint.hash_algorithm = x509::cms::hash_oid(hash);
    req.message_imprint.hashed_message.assign(digest.begin(), digest.end());
    req.cert_req = true;
    const auto reply =
        tsa.respond(HPKI_TRY(x509::tsp::encode_request(req)), family, requester, org);
    if (reply.status != x509::tsp::PkiStatus::kGranted &&
        reply.status != x509::tsp::PkiStatus::kGrantedWithMods)
      return fail(ErrorCode::kUnavailable, "the TSA refused: " + reply.status_string);
    auto parsed = HPKI_TRY(x509::tsp::parse_response(reply.der));
    if (!parsed.token) return fail(ErrorCode::kUnavailable, "the TSA answered without a token");
    return *parsed.token;
  };
}

std::function<Result<Bytes>(crypto::HashAlg, BytesView)> local_token_fn(
    const TsaService& tsa, std::string requester, std::string org,
    std::optional<store::CaFamily> family) {
  return [by_digest = local_digest_token_fn(tsa, std::move(requester), std::move(org), family)](
             crypto::HashAlg hash, BytesView message) -> Result<Bytes> {
    return by_digest(hash, HPKI_TRY(crypto::digest(hash, message)));
  };
}

}  // namespace hpki::tsa
