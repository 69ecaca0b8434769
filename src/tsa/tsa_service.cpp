#include "tsa/tsa_service.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

#include "core/encoding.h"
#include "core/log.h"
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
    s->units_.emplace(ca.family, std::move(u));
  }
  if (s->units_.empty())
    return fail(ErrorCode::kNotFound, "no TSA certificate (run `hpki ca init` first)");
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

TsaReply TsaService::respond(BytesView request, std::optional<store::CaFamily> family,
                             std::string_view requester) const {
  // 1. The request.
  auto req = x509::tsp::parse_request(request);
  if (!req) {
    if (req.error().code() == ErrorCode::kUnsupported)
      return reject(FailureInfo::kBadRequest, req.error().detail());
    return reject(FailureInfo::kBadDataFormat, req.error().detail());
  }
  // 2. Hash, policy, extensions.
  const auto& imprint = req->message_imprint;
  auto hash = x509::cms::hash_from_oid(imprint.hash_algorithm);
  if (!hash || *hash == crypto::HashAlg::kSha1)
    return reject(FailureInfo::kBadAlg, "unsupported hash algorithm " +
                                            imprint.hash_algorithm.to_string() +
                                            " (sha256, sha384, sha512, sm3)");
  if (!imprint.hash_parameters.empty() && imprint.hash_parameters != Bytes{0x05, 0x00})
    return reject(FailureInfo::kBadAlg, "hash algorithm parameters must be absent or NULL");
  if (imprint.hashed_message.size() != crypto::hash_size(*hash))
    return reject(FailureInfo::kBadDataFormat,
                  "hashedMessage has " + std::to_string(imprint.hashed_message.size()) +
                      " bytes, " + std::string(crypto::hash_name(*hash)) + " has " +
                      std::to_string(crypto::hash_size(*hash)));
  if (req->req_policy && *req->req_policy != options_.policy)
    return reject(FailureInfo::kUnacceptedPolicy, "policy " + req->req_policy->to_string() +
                                                      " is not offered (" +
                                                      options_.policy.to_string() + ")");
  if (!req->extensions.empty())
    return reject(FailureInfo::kUnacceptedExtension, "request extensions are not supported");
  const Unit* unit = pick(family, *hash);
  if (unit == nullptr)
    return reject(FailureInfo::kBadRequest,
                  family ? "no " + std::string(store::to_string(*family)) + " TSA here"
                         : "no TSA for this hash algorithm");

  // 3. Clock safety, serial, record and audit: durable before anything is signed. The serial
  // is taken first: its counter row (PostgreSQL) or the database write lock (SQLite) orders
  // the TSA's transactions — and inside a shared group-commit transaction the units run one
  // after the other in queue order — and the clock is read after it, so genTimes follow
  // commit order and concurrent requests never see each other's genTime "in the future".
  // The unit may run twice (store retries; the batcher reruns the units of a failed shared
  // transaction alone): every output is reset first.
  enum class Refusal { kNone, kClockBehind, kCertificateNotValid };
  Refusal refusal = Refusal::kNone;
  std::int64_t serial = 0;
  std::chrono::sys_seconds gen_time{};
  auto recorded = batcher_->run([&](store::Tx& tx) -> Result<void> {
    refusal = Refusal::kNone;
    serial = HPKI_TRY(tx.next_counter(kSerialCounter));
    gen_time = std::chrono::time_point_cast<std::chrono::seconds>(d_.clock->now());
    // A token must verify at its genTime: the TSA certificate has to be valid then.
    if (TimePoint(gen_time) < unit->cert->validity().not_before ||
        TimePoint(gen_time) > unit->cert->validity().not_after) {
      refusal = Refusal::kCertificateNotValid;
      return fail(ErrorCode::kBadState, "TSA " + unit->record.id + ": certificate not valid at " +
                                            format_rfc3339(gen_time));
    }
    auto last = HPKI_TRY(tx.last_timestamp_time());
    if (last && TimePoint(gen_time) < *last) {
      refusal = Refusal::kClockBehind;
      return fail(ErrorCode::kUnavailable, "the clock reads " + format_rfc3339(gen_time) +
                                               ", before the last genTime " +
                                               format_rfc3339(*last));
    }
    store::TimestampRecord rec;
    rec.serial = serial;
    rec.tsa_id = unit->record.id;
    rec.gen_time = gen_time;
    rec.hash_alg = std::string(crypto::hash_name(*hash));
    rec.imprint = imprint.hashed_message;
    rec.policy = options_.policy.to_string();
    rec.nonce = req->nonce;
    rec.requester = std::string(requester);
    HPKI_TRY(tx.insert_timestamp(rec));
    nlohmann::json details{{"serial", serial},
                           {"gen_time", format_rfc3339(gen_time)},
                           {"hash", rec.hash_alg},
                           {"imprint", hex_encode(rec.imprint)},
                           {"policy", rec.policy}};
    HPKI_TRY(d_.audit->append(tx, {.actor = std::string(requester),
                                   .action = std::string(kAuditAction),
                                   .object = unit->record.id + "/" + std::to_string(serial),
                                   .outcome = "success",
                                   .details = details.dump()}));
    return {};
  });
  if (!recorded) {
    // A refusal rolls the transaction back: no serial is consumed, nothing is recorded.
    if (refusal == Refusal::kClockBehind) {
      log::error("TSA: {}", recorded.error().detail());
      return reject(FailureInfo::kTimeNotAvailable, "the time source is not available");
    }
    if (refusal == Refusal::kCertificateNotValid) {
      log::error("{}", recorded.error().detail());
      return reject(FailureInfo::kSystemFailure, "the TSA certificate is not valid now");
    }
    log::error("TSA: recording a timestamp failed: {}", recorded.error().to_string());
    return reject(FailureInfo::kSystemFailure, "internal error");
  }

  // 4. TSTInfo and the token.
  auto token = [&]() -> Result<Bytes> {
    x509::tsp::TstInfo info;
    info.policy = options_.policy;
    info.message_imprint = imprint;
    der::Writer sw;
    sw.add_integer(serial);
    der::Reader sr(sw.view());
    auto serial_content = HPKI_TRY(sr.read_integer());
    info.serial.assign(serial_content.begin(), serial_content.end());
    info.gen_time = gen_time;
    if (options_.accuracy != x509::tsp::Accuracy{}) info.accuracy = options_.accuracy;
    info.nonce = req->nonce;
    if (options_.include_tsa_name) {
      der::Writer gn;
      HPKI_TRY(
          gn.add_explicit(4, [&](der::Writer& w) { return w.add_raw(unit->cert->subject().der); }));
      info.tsa_name = gn.take();
    }
    auto tst = HPKI_TRY(x509::tsp::encode_tst_info(info));
    x509::cms::SignOptions so;
    so.content_type = der::oids::kCtTstInfo;
    // RFC 3161 2.4.1: certReq true -> the TSA's certificate MUST be in the token; the issuing
    // CA goes with it so that a verifier holding only the root can build the path.
    so.include_signer_certificate = req->cert_req;
    if (req->cert_req) so.extra_certificates = unit->chain;
    auto ci = HPKI_TRY(x509::cms::sign(tst, *unit->cert, *unit->signer, so));
    // 5. Durable before it is returned: the token joins the next group commit.
    HPKI_TRY(batcher_->run(
        [&](store::Tx& tx) -> Result<void> { return tx.set_timestamp_token(serial, ci); }));
    return ci;
  }();
  if (!token) {
    log::error("TSA: signing timestamp {} failed: {}", serial, token.error().to_string());
    return reject(FailureInfo::kSystemFailure, "internal error");
  }
  TsaReply r;
  r.status = PkiStatus::kGranted;
  r.serial = serial;
  r.tsa_id = unit->record.id;
  r.der = x509::tsp::encode_response({.status = PkiStatus::kGranted,
                                      .status_string = std::nullopt,
                                      .fail_info = std::nullopt,
                                      .token = std::move(*token)});
  return r;
}

Result<store::TimestampRecord> TsaService::get(std::int64_t serial) const {
  std::optional<store::TimestampRecord> out;
  HPKI_TRY(d_.store->read([&](store::Tx& tx) -> Result<void> {
    out.reset();
    out.emplace(HPKI_TRY(tx.get_timestamp(serial)));
    return {};
  }));
  return std::move(*out);
}

}  // namespace hpki::tsa
