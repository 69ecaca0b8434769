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
#include "core/encoding.h"
#include "core/log.h"
#include "core/thread.h"
#include "crypto/algorithm.h"
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
  std::function<void(TsaReply)> done;
  // Set by the committer (recorded) and the signers (token).
  std::int64_t serial = 0;
  std::chrono::sys_seconds gen_time{};
  Bytes token;
  Bytes stored_token;  // with certReq: the token without its certificates (what is stored)
};

struct TsaService::Pipeline {
  std::mutex mu;
  std::condition_variable commit_cv;          // the committer: new requests or signed tokens
  std::condition_variable sign_cv;            // the signers: recorded requests
  std::deque<std::unique_ptr<Job>> incoming;  // parsed, not yet recorded
  std::deque<std::unique_ptr<Job>> to_sign;   // recorded (durable), not yet signed
  std::deque<std::unique_ptr<Job>> to_store;  // signed, token not yet stored
  std::size_t in_flight = 0;                  // accepted and not yet answered
  bool stopping = false;
  std::thread committer;
  std::vector<std::thread> signers;
  std::function<void(std::size_t, std::size_t)> on_round;
  // Where the committer waits (with mu): for any work, or gathering a round. New work wakes it
  // only when that ends its wait — not once per request (thousands of wake-ups per second).
  bool committer_idle = false;
  bool committer_gathering = false;
  [[nodiscard]] bool drained() const { return stopping && in_flight == 0; }
  [[nodiscard]] bool wake_committer() const {
    return committer_idle ||
           (committer_gathering && incoming.size() + to_store.size() >= kRoundTarget);
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
                             std::string_view requester) const {
  auto answer = std::make_shared<std::promise<TsaReply>>();
  auto future = answer->get_future();
  respond_async(request, family, requester,
                [answer](TsaReply r) { answer->set_value(std::move(r)); });
  return future.get();
}

void TsaService::respond_async(BytesView request, std::optional<store::CaFamily> family,
                               std::string_view requester,
                               std::function<void(TsaReply)> done) const {
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
  job->done = std::move(done);
  bool wake = false;
  {
    std::lock_guard lock(pipeline_->mu);
    if (!pipeline_->stopping && pipeline_->in_flight < options_.max_in_flight) {
      ++pipeline_->in_flight;
      pipeline_->incoming.push_back(std::move(job));
      wake = pipeline_->wake_committer();
    }
  }
  if (job) {  // not taken
    auto refused = std::move(job->done);
    return refused(reject(FailureInfo::kSystemFailure, "the TSA is overloaded or stopping"));
  }
  if (wake) pipeline_->commit_cv.notify_one();
}

// 3 and 5: one thread records new requests (serial, genTime, record, audit) and stores the
// tokens the signers finished, both in one unit of the group-commit batcher per round. While
// it waits for a commit, the signers sign what the previous round recorded.
void TsaService::commit_loop() {
  Pipeline& p = *pipeline_;
  for (;;) {
    std::vector<std::unique_ptr<Job>> fresh, tokens;
    {
      std::unique_lock lock(p.mu);
      p.committer_idle = true;
      p.commit_cv.wait(lock,
                       [&] { return p.drained() || !p.incoming.empty() || !p.to_store.empty(); });
      p.committer_idle = false;
      if (p.incoming.empty() && p.to_store.empty()) return;  // drained
      // Group commit: a round costs a commit (an fsync) whatever its size, so wait a moment
      // for more work when little is there — fewer, larger rounds leave the CPU to signing.
      p.committer_gathering = true;
      p.commit_cv.wait_for(lock, kRoundGather, [&] {
        return p.drained() || p.incoming.size() + p.to_store.size() >= kRoundTarget;
      });
      p.committer_gathering = false;
      while (!p.incoming.empty() && fresh.size() < kMaxRecordsPerRound) {
        fresh.push_back(std::move(p.incoming.front()));
        p.incoming.pop_front();
      }
      while (!p.to_store.empty()) {
        tokens.push_back(std::move(p.to_store.front()));
        p.to_store.pop_front();
      }
    }
    commit_round(fresh, tokens);
  }
}

void TsaService::commit_round(std::vector<std::unique_ptr<Job>>& fresh,
                              std::vector<std::unique_ptr<Job>>& tokens) {
  // A round answers many requests: their replies are handed to the HTTP server's I/O threads
  // together when the round ends (one wake-up per I/O thread, not one per reply).
  BatchScope answers;
  // A refusal (clock stepped back, TSA certificate not valid at genTime) is found inside the
  // transaction: the round is rolled back (no serial consumed, nothing recorded), the refused
  // requests are answered, and the round runs again with the others.
  for (;;) {
    if (fresh.empty() && tokens.empty()) return;
    bool clock_behind = false;
    std::optional<std::size_t> invalid;  // a request whose TSA certificate is not valid then
    auto r = batcher_->run([&](store::Tx& tx) -> Result<void> {
      clock_behind = false;
      invalid.reset();
      // The serials are taken first: the counter row (PostgreSQL) or the database write lock
      // (SQLite) orders the TSAs' transactions, also across nodes; the clock is read after the
      // first one, so genTimes follow commit order and never go backwards.
      std::vector<store::TimestampRecord> records;
      records.reserve(fresh.size());
      if (!fresh.empty()) {
        const std::int64_t first =
            HPKI_TRY(tx.reserve_counter(kSerialCounter, static_cast<std::int64_t>(fresh.size())));
        const auto gen = std::chrono::time_point_cast<std::chrono::seconds>(d_.clock->now());
        auto last = HPKI_TRY(tx.last_timestamp_time());
        if (last && TimePoint(gen) < *last) {
          clock_behind = true;
          return fail(ErrorCode::kUnavailable, "the clock reads " + format_rfc3339(gen) +
                                                   ", before the last genTime " +
                                                   format_rfc3339(*last));
        }
        const std::string gen_text = format_rfc3339(gen);
        const std::string policy = options_.policy.to_string();
        for (std::size_t i = 0; i < fresh.size(); ++i) {
          Job& job = *fresh[i];
          job.serial = first + static_cast<std::int64_t>(i);
          job.gen_time = gen;
          // A token must verify at its genTime: the TSA certificate has to be valid then.
          const auto& validity = job.unit->cert->validity();
          if (TimePoint(gen) < validity.not_before || TimePoint(gen) > validity.not_after) {
            invalid = i;
            return fail(ErrorCode::kBadState,
                        "TSA " + job.unit->record.id + ": certificate not valid at " + gen_text);
          }
          store::TimestampRecord& rec = records.emplace_back();
          rec.serial = job.serial;
          rec.tsa_id = job.unit->record.id;
          rec.gen_time = gen;
          rec.hash_alg = std::string(crypto::hash_name(job.hash));
          rec.imprint = job.req.message_imprint.hashed_message;
          rec.policy = policy;
          rec.nonce = job.req.nonce;
          rec.requester = job.requester;
          rec.cert_req = job.req.cert_req;
          // JSON without a JSON library (one object per token, on the commit thread): every
          // value is a number, a dotted OID, hex, an RFC 3339 time or a hash name — nothing to
          // escape. Keys sorted, as in the entries written before.
          std::string details = "{\"gen_time\":\"" + gen_text + "\",\"hash\":\"" + rec.hash_alg +
                                "\",\"imprint\":\"" + hex_encode(rec.imprint) + "\",\"policy\":\"" +
                                rec.policy + "\",\"serial\":" + std::to_string(job.serial) + "}";
          HPKI_TRY(d_.audit->append(
              tx, {.actor = job.requester,
                   .action = std::string(kAuditAction),
                   .object = job.unit->record.id + "/" + std::to_string(job.serial),
                   .outcome = "success",
                   .details = std::move(details)}));
        }
        HPKI_TRY(tx.insert_timestamps(records));
      }
      std::vector<store::Tx::TimestampToken> signed_tokens;
      signed_tokens.reserve(tokens.size());
      for (const auto& job : tokens)
        signed_tokens.push_back(
            {.serial = job->serial, .token = job->req.cert_req ? job->stored_token : job->token});
      HPKI_TRY(tx.set_timestamp_tokens(signed_tokens));
      return {};
    });
    if (r) break;
    if (clock_behind) {
      log::error("TSA: {}", r.error().detail());
      for (auto& job : fresh)
        finish(std::move(job),
               reject(FailureInfo::kTimeNotAvailable, "the time source is not available"));
      fresh.clear();
      continue;
    }
    if (invalid) {
      log::error("{}", r.error().detail());
      finish(std::move(fresh[*invalid]),
             reject(FailureInfo::kSystemFailure, "the TSA certificate is not valid now"));
      fresh.erase(fresh.begin() + static_cast<std::ptrdiff_t>(*invalid));
      continue;
    }
    log::error("TSA: recording {} timestamp(s) / storing {} token(s) failed: {}", fresh.size(),
               tokens.size(), r.error().to_string());
    for (auto& job : fresh)
      finish(std::move(job), reject(FailureInfo::kSystemFailure, "internal error"));
    for (auto& job : tokens)
      finish(std::move(job), reject(FailureInfo::kSystemFailure, "internal error"));
    return;
  }
  std::function<void(std::size_t, std::size_t)> observer;
  {
    std::lock_guard lock(pipeline_->mu);
    observer = pipeline_->on_round;
  }
  if (observer) observer(fresh.size(), tokens.size());
  // Committed: the stored tokens are answered, the recorded requests go to the signers.
  for (auto& job : tokens) {
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
  if (!fresh.empty()) {
    {
      std::lock_guard lock(pipeline_->mu);
      for (auto& job : fresh) pipeline_->to_sign.push_back(std::move(job));
    }
    pipeline_->sign_cv.notify_all();
  }
}

// 4. TSTInfo and the token, on `hardware_concurrency` threads without any lock held.
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

}  // namespace hpki::tsa
