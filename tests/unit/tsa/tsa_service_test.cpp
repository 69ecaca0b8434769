// The RFC 3161 TSA service (issue 7) on SQLite and PostgreSQL: TSA choice by hash and by
// family, TSTInfo fields, serials strictly increasing across restarts and threads, clock safety
// (timeNotAvailable when the clock is behind the last genTime), every PKIStatus rejection, the
// record and the audit entry of each token.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "ca/runtime.h"
#include "core/encoding.h"
#include "crypto/digest.h"
#include "der/oids.h"
#include "store/detail/raw.h"
#include "tests/support/ca_fixture.h"
#include "tests/support/test_util.h"
#include "tsa/tsa_service.h"
#include "x509/cms.h"
#include "x509/tsp.h"

namespace hpki::tsa {
namespace {

using store::CaFamily;
using x509::tsp::FailureInfo;
using x509::tsp::PkiStatus;

class TsaTest : public test::CaFixture {
 protected:
  void SetUp() override {
    CaFixture::SetUp();
    if (HasFatalFailure()) return;
    // The TSA certificates were just issued: time-stamp after their notBefore.
    clock_.set(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) +
               std::chrono::seconds(120));
    tsa_ = make();
    ASSERT_NE(tsa_, nullptr);
  }

  std::unique_ptr<TsaService> make(store::CommitBatcher* batcher = nullptr,
                                   std::size_t max_in_flight = 8192) {
    auto s = TsaService::create(
        {.store = &rt_->store(),
         .audit = &rt_->audit(),
         .clock = &clock_,
         .signer_for = [this](const store::CaRecord& ca) { return rt_->ca().ca_signer(ca); },
         .batcher = batcher},
        {.policy = kPolicy,
         .accuracy = {.seconds = 1, .millis = 0, .micros = 0},
         .include_tsa_name = true,
         .max_in_flight = max_in_flight});
    EXPECT_TRUE(s) << s.error().to_string();
    return s ? std::move(*s) : nullptr;
  }

  static Bytes query(crypto::HashAlg h, std::string_view data, bool cert_req = true,
                     std::optional<der::Oid> policy = std::nullopt) {
    x509::tsp::TimeStampReq r;
    r.message_imprint = {x509::cms::hash_oid(h), {}, crypto::digest(h, to_bytes(data)).value()};
    r.nonce = Bytes{0x33, 0x44, 0x55};
    r.cert_req = cert_req;
    r.req_policy = std::move(policy);
    return x509::tsp::encode_request(r).value();
  }

  x509::tsp::TstInfo granted(const TsaReply& r) {
    EXPECT_EQ(r.status, PkiStatus::kGranted) << r.status_string;
    auto resp = x509::tsp::parse_response(r.der).value();
    EXPECT_EQ(resp.status, PkiStatus::kGranted);
    auto sd = x509::cms::parse_signed_data(resp.token.value()).value();
    return x509::tsp::parse_tst_info(sd.content.value()).value();
  }

  void expect_rejected(BytesView q, FailureInfo f, std::optional<CaFamily> family = {}) {
    auto r = tsa_->respond(q, family, "test");
    EXPECT_EQ(r.status, PkiStatus::kRejection);
    EXPECT_EQ(r.fail_info, f) << r.status_string;
    auto resp = x509::tsp::parse_response(r.der);
    ASSERT_TRUE(resp);
    EXPECT_EQ(resp->fail_info, f);
    EXPECT_FALSE(resp->token);
  }

  const der::Oid kPolicy = der::Oid::literal("1.2.156.112233.3161.1");
  FixedClock clock_{std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())};
  std::unique_ptr<TsaService> tsa_;
};

TEST_P(TsaTest, GrantsAndChoosesTheTsa) {
  auto r = tsa_->respond(query(crypto::HashAlg::kSha256, "doc"), std::nullopt, "ip:10.0.0.1");
  auto info = granted(r);
  EXPECT_EQ(r.tsa_id, "rsa-tsa");
  EXPECT_EQ(info.version, 1);
  EXPECT_EQ(info.policy, kPolicy);
  EXPECT_EQ(info.gen_time, clock_.now());
  EXPECT_EQ(info.nonce, (Bytes{0x33, 0x44, 0x55}));
  EXPECT_FALSE(info.ordering);
  ASSERT_TRUE(info.accuracy);
  EXPECT_EQ(info.accuracy->seconds, 1);
  EXPECT_TRUE(info.tsa_name.has_value());
  EXPECT_EQ(info.message_imprint.hashed_message,
            crypto::digest(crypto::HashAlg::kSha256, to_bytes(std::string_view("doc"))).value());
  // SM3 -> the SM2 TSA; the family from the path wins over the hash.
  EXPECT_EQ(tsa_->respond(query(crypto::HashAlg::kSm3, "doc"), std::nullopt, "t").tsa_id,
            "sm2-tsa");
  EXPECT_EQ(tsa_->respond(query(crypto::HashAlg::kSha384, "doc"), CaFamily::kSm2, "t").tsa_id,
            "sm2-tsa");
  EXPECT_EQ(tsa_->respond(query(crypto::HashAlg::kSm3, "doc"), CaFamily::kRsa, "t").tsa_id,
            "rsa-tsa");
  // The token verifies against the family's root (SM2 with the standard ID).
  auto roots = rt_->ca().chain(CaFamily::kSm2).value();
  auto root = x509::Certificate::parse(roots.back()).value();
  auto sm2 = tsa_->respond(query(crypto::HashAlg::kSm3, "evidence"), std::nullopt, "t");
  const Bytes data = to_bytes(std::string_view("evidence"));
  auto v = x509::tsp::verify_token(
      sm2.der,
      {.data = BytesView(data), .trust_anchors = {root}, .nonce = Bytes{0x33, 0x44, 0x55}});
  ASSERT_TRUE(v.has_value()) << v.error().detail();
  EXPECT_EQ(v->signature_alg, crypto::SignatureAlg::kSm2Sm3);
}

TEST_P(TsaTest, CertReqControlsTheCertificates) {
  auto with = x509::tsp::parse_response(
      tsa_->respond(query(crypto::HashAlg::kSha256, "a", true), std::nullopt, "t").der);
  auto without = x509::tsp::parse_response(
      tsa_->respond(query(crypto::HashAlg::kSha256, "a", false), std::nullopt, "t").der);
  EXPECT_EQ(x509::cms::parse_signed_data(*with->token).value().certificates.size(), 2u);
  EXPECT_TRUE(x509::cms::parse_signed_data(*without->token).value().certificates.empty());
}

// With certReq the TSA's certificate and issuing CA are in every token; they are stored once
// (cas), not per token, and get() hands out the token byte for byte as issued.
TEST_P(TsaTest, TokensAreStoredWithoutTheTsaCertificatesAndHandedOutAsIssued) {
  for (const auto h : {crypto::HashAlg::kSha256, crypto::HashAlg::kSm3}) {
    for (const bool cert_req : {true, false}) {
      SCOPED_TRACE(std::string(crypto::hash_name(h)) + (cert_req ? " certReq" : " no certReq"));
      auto r = tsa_->respond(query(h, "stored", cert_req), std::nullopt, "t");
      ASSERT_EQ(r.status, PkiStatus::kGranted) << r.status_string;
      const Bytes issued = x509::tsp::parse_response(r.der).value().token.value();
      store::TimestampRecord raw;
      ASSERT_TRUE(rt_->store().read([&](store::Tx& tx) -> Result<void> {
        raw = HPKI_TRY(tx.get_timestamp(*r.serial));
        return {};
      }));
      EXPECT_EQ(raw.cert_req, cert_req);
      ASSERT_TRUE(raw.token);
      EXPECT_TRUE(x509::cms::parse_signed_data(*raw.token).value().certificates.empty());
      if (cert_req) {
        EXPECT_LT(raw.token->size() + 1000, issued.size());  // two certificates fewer
      } else {
        EXPECT_EQ(*raw.token, issued);
      }
      auto rec = tsa_->get(*r.serial);
      ASSERT_TRUE(rec) << rec.error().to_string();
      ASSERT_TRUE(rec->token);
      EXPECT_EQ(*rec->token, issued);
      // Also from a TSA started later (another node, a restart).
      auto other = make();
      ASSERT_NE(other, nullptr);
      EXPECT_EQ(other->get(*r.serial).value().token, issued);
    }
  }
}

// Rows written before schema version 5 hold the whole token and no cert_req: handed out as
// stored.
TEST_P(TsaTest, TokensStoredWholeBeforeVersion5AreHandedOutAsStored) {
  auto r = tsa_->respond(query(crypto::HashAlg::kSha256, "old row"), std::nullopt, "t");
  ASSERT_EQ(r.status, PkiStatus::kGranted);
  const Bytes issued = x509::tsp::parse_response(r.der).value().token.value();
  const store::raw::Value p[] = {store::raw::Value{issued}, store::raw::Value{*r.serial}};
  ASSERT_TRUE(rt_->store().transact([&](store::Tx& tx) -> Result<void> {
    HPKI_TRY(store::raw::exec(tx, "UPDATE timestamp_tokens SET token = ? WHERE serial = ?", p));
    const store::raw::Value q[] = {store::raw::Value{*r.serial}};
    HPKI_TRY(store::raw::exec(tx, "UPDATE timestamps SET cert_req = 0 WHERE serial = ?", q));
    return {};
  }));
  EXPECT_EQ(tsa_->get(*r.serial).value().token, issued);
}

TEST_P(TsaTest, SerialsIncreaseAcrossRestartsAndThreads) {
  std::int64_t last = 0;
  for (int i = 0; i < 3; ++i) {
    auto r = tsa_->respond(query(crypto::HashAlg::kSha256, "x"), std::nullopt, "t");
    ASSERT_TRUE(r.serial);
    EXPECT_GT(*r.serial, last);
    EXPECT_EQ(x509::tsp::serial_value(granted(r)).value(), *r.serial);
    last = *r.serial;
  }
  tsa_ = make();  // a restart: the serial comes from the database counter
  auto r = tsa_->respond(query(crypto::HashAlg::kSm3, "x"), std::nullopt, "t");
  ASSERT_TRUE(r.serial);
  EXPECT_GT(*r.serial, last);
  std::mutex mu;
  std::set<std::int64_t> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto x = tsa_->respond(query(crypto::HashAlg::kSha256, "p"), std::nullopt, "t");
        std::lock_guard lock(mu);
        if (x.serial) seen.insert(*x.serial);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen.size(), 20u);
}

TEST_P(TsaTest, ClockBehindTheLastGenTimeIsRefused) {
  auto first = tsa_->respond(query(crypto::HashAlg::kSha256, "x"), std::nullopt, "t");
  ASSERT_EQ(first.status, PkiStatus::kGranted);
  clock_.advance(-std::chrono::seconds(30));  // the clock is stepped back
  expect_rejected(query(crypto::HashAlg::kSha256, "x"), FailureInfo::kTimeNotAvailable);
  // Also after a restart (the last genTime is persisted).
  tsa_ = make();
  expect_rejected(query(crypto::HashAlg::kSm3, "x"), FailureInfo::kTimeNotAvailable);
  clock_.advance(std::chrono::seconds(30));  // back in time order: granted, next serial
  auto again = tsa_->respond(query(crypto::HashAlg::kSha256, "x"), std::nullopt, "t");
  ASSERT_EQ(again.status, PkiStatus::kGranted);
  // Serials come from ranges reserved in advance: the restart took a new range.
  EXPECT_GT(*again.serial, *first.serial);
  // Nothing was recorded for the refused requests: no serial between the two granted ones.
  for (std::int64_t n = *first.serial + 1; n < *again.serial && n < *first.serial + 8; ++n)
    EXPECT_EQ(tsa_->get(n).error().code(), ErrorCode::kNotFound) << n;
}

TEST_P(TsaTest, Rejections) {
  auto q = query(crypto::HashAlg::kSha256, "x");
  expect_rejected(BytesView(q).first(q.size() - 3), FailureInfo::kBadDataFormat);
  expect_rejected({}, FailureInfo::kBadDataFormat);
  expect_rejected(query(crypto::HashAlg::kSha1, "x"), FailureInfo::kBadAlg);
  x509::tsp::TimeStampReq r;
  r.message_imprint = {der::Oid::literal("1.2.3.4.5"), {}, Bytes(32, 1)};
  expect_rejected(x509::tsp::encode_request(r).value(), FailureInfo::kBadAlg);
  r.message_imprint = {der::oids::kSha256, {}, Bytes(20, 1)};
  expect_rejected(x509::tsp::encode_request(r).value(), FailureInfo::kBadDataFormat);
  r.message_imprint = {der::oids::kSha256, {}, Bytes(32, 1)};
  r.version = 2;
  expect_rejected(x509::tsp::encode_request(r).value(), FailureInfo::kBadRequest);
  r.version = 1;
  r.extensions = {{der::Oid::literal("1.2.3"), false, Bytes{0x05, 0x00}}};
  expect_rejected(x509::tsp::encode_request(r).value(), FailureInfo::kUnacceptedExtension);
  expect_rejected(query(crypto::HashAlg::kSha256, "x", true, der::Oid::literal("1.2.3.4")),
                  FailureInfo::kUnacceptedPolicy);
  // The configured policy itself is accepted.
  EXPECT_EQ(
      tsa_->respond(query(crypto::HashAlg::kSha256, "x", true, kPolicy), std::nullopt, "t").status,
      PkiStatus::kGranted);
  expect_rejected(q, FailureInfo::kBadRequest, CaFamily::kEcdsa);  // no ECDSA TSA here
  // A genTime outside the TSA certificate's validity is never issued.
  clock_.advance(std::chrono::hours(24 * 365 * 30));
  expect_rejected(q, FailureInfo::kSystemFailure);
}

TEST_P(TsaTest, AsyncAnswersOnceAndStopDrainsThenRefuses) {
  // Requests refused before recording are answered on the calling thread, the others by the
  // TSA's threads; each callback runs exactly once.
  std::atomic<int> calls{0};
  const auto caller = std::this_thread::get_id();
  std::thread::id refused_on;
  tsa_->respond_async(Bytes{0x30, 0x00}, std::nullopt, "t", [&](TsaReply r) {
    refused_on = std::this_thread::get_id();
    EXPECT_EQ(r.status, PkiStatus::kRejection);
    ++calls;
  });
  EXPECT_EQ(refused_on, caller);
  constexpr int kRequests = 20;
  std::mutex mu;
  std::vector<TsaReply> granted;
  for (int i = 0; i < kRequests; ++i) {
    // SHA-256 -> the RSA TSA, SM3 -> the SM2 TSA (standard ID): both families in one pipeline.
    const auto h = i % 2 == 0 ? crypto::HashAlg::kSha256 : crypto::HashAlg::kSm3;
    tsa_->respond_async(query(h, "a" + std::to_string(i)), std::nullopt, "t", [&](TsaReply r) {
      std::lock_guard lock(mu);
      granted.push_back(std::move(r));
      ++calls;
    });
  }
  // stop() answers every accepted request first (tokens stored), then refuses new ones.
  tsa_->stop();
  EXPECT_EQ(calls.load(), kRequests + 1);
  ASSERT_EQ(granted.size(), static_cast<std::size_t>(kRequests));
  for (const auto& r : granted) {
    ASSERT_EQ(r.status, PkiStatus::kGranted) << r.status_string;
    auto rec = tsa_->get(*r.serial);
    ASSERT_TRUE(rec) << rec.error().to_string();
    EXPECT_TRUE(rec->token.has_value());
  }
  auto late = tsa_->respond(query(crypto::HashAlg::kSha256, "late"), std::nullopt, "t");
  EXPECT_EQ(late.status, PkiStatus::kRejection);
  EXPECT_EQ(late.fail_info, FailureInfo::kSystemFailure);
}

TEST_P(TsaTest, OverloadIsRefusedAtOnce) {
  tsa_ = make(&rt_->ca().batcher(), /*max_in_flight=*/1);
  ASSERT_NE(tsa_, nullptr);
  // Hold the batcher: the first request stays in flight (accepted, not yet recorded).
  std::atomic<bool> holding{false}, release{false};
  std::thread holder([&] {
    (void)tsa_->batcher().run([&](store::Tx&) -> Result<void> {
      holding = true;
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return {};
    });
  });
  while (!holding.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::promise<TsaReply> first;
  tsa_->respond_async(query(crypto::HashAlg::kSha256, "one"), std::nullopt, "t",
                      [&](TsaReply r) { first.set_value(std::move(r)); });
  auto second = tsa_->respond(query(crypto::HashAlg::kSha256, "two"), std::nullopt, "t");
  EXPECT_EQ(second.status, PkiStatus::kRejection);
  EXPECT_EQ(second.fail_info, FailureInfo::kSystemFailure);
  EXPECT_NE(second.status_string.find("overloaded"), std::string::npos) << second.status_string;
  release = true;
  holder.join();
  EXPECT_EQ(first.get_future().get().status, PkiStatus::kGranted);
}

TEST_P(TsaTest, EveryTokenIsRecordedAndAudited) {
  auto r = tsa_->respond(query(crypto::HashAlg::kSm3, "record me"), std::nullopt, "ip:192.0.2.7");
  ASSERT_TRUE(r.serial);
  auto rec = tsa_->get(*r.serial);
  ASSERT_TRUE(rec) << rec.error().to_string();
  EXPECT_EQ(rec->tsa_id, "sm2-tsa");
  EXPECT_EQ(rec->hash_alg, "sm3");
  EXPECT_EQ(rec->requester, "ip:192.0.2.7");
  EXPECT_EQ(rec->policy, kPolicy.to_string());
  EXPECT_EQ(rec->gen_time, clock_.now());
  EXPECT_EQ(rec->nonce, (Bytes{0x33, 0x44, 0x55}));
  ASSERT_TRUE(rec->token);
  EXPECT_EQ(*rec->token, *x509::tsp::parse_response(r.der).value().token);
  EXPECT_EQ(tsa_->get(987654).error().code(), ErrorCode::kNotFound);
  auto entries = rt_->audit().list(rt_->store(), 1, 10000).value();
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().action, audit::action::kTimestampIssue);
  EXPECT_EQ(entries.back().object, "sm2-tsa/" + std::to_string(*r.serial));
  EXPECT_EQ(entries.back().actor, "ip:192.0.2.7");
  const auto details = nlohmann::json::parse(entries.back().details);
  EXPECT_EQ(details.at("serial").get<std::int64_t>(), *r.serial);
  EXPECT_EQ(details.at("gen_time").get<std::string>(), format_rfc3339(clock_.now()));
  EXPECT_EQ(details.at("hash").get<std::string>(), "sm3");
  EXPECT_EQ(details.at("imprint").get<std::string>(), hex_encode(rec->imprint));
  EXPECT_EQ(details.at("policy").get<std::string>(), kPolicy.to_string());
  EXPECT_TRUE(rt_->audit().verify(rt_->store(), {}).value().ok());
}

// Group commit: concurrent requests share transactions (batches of more than one unit), and
// still every serial is unique, serials follow commit order (audit sequence) with genTimes
// never going backwards, every granted token is recorded with its token and audited, and the
// audit chain verifies. Runs on the CA service's batcher, as `hpki serve` does, with
// issuance-side events in the same batches.
TEST_P(TsaTest, ConcurrentRequestsShareCommits) {
  tsa_ = make(&rt_->ca().batcher());
  ASSERT_NE(tsa_, nullptr);
  ASSERT_EQ(&tsa_->batcher(), &rt_->ca().batcher());
  const auto before = tsa_->batcher().stats();
  // Hold the batcher inside a transaction until the TSA's committer has queued its round
  // behind it (and requests keep arriving meanwhile): the following rounds then
  // deterministically record several requests each.
  constexpr int kThreads = 6;
  constexpr int kPerThread = 8;
  std::atomic<bool> holding{false};
  std::thread holder([&] {
    auto held = tsa_->batcher().run([&](store::Tx&) -> Result<void> {
      holding = true;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (tsa_->batcher().stats().queue_depth < 1 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return {};
    });
    EXPECT_TRUE(held) << held.error().to_string();
  });
  while (!holding.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::atomic<bool> done{false};
  std::thread ticker([&] {  // the clock moves on while requests run: genTimes differ
    while (!done.load()) {
      clock_.advance(std::chrono::seconds(1));
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  std::mutex mu;
  std::map<std::int64_t, Bytes> tokens;  // serial -> token of the reply
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto h = (t + i) % 2 == 0 ? crypto::HashAlg::kSha256 : crypto::HashAlg::kSm3;
        auto r = tsa_->respond(query(h, "c" + std::to_string(t * 100 + i)), std::nullopt,
                               "thread-" + std::to_string(t));
        std::lock_guard lock(mu);
        EXPECT_EQ(r.status, PkiStatus::kGranted) << r.status_string;
        if (!r.serial) continue;
        auto resp = x509::tsp::parse_response(r.der);
        EXPECT_TRUE(resp && resp->token);
        if (resp && resp->token) {
          EXPECT_TRUE(tokens.emplace(*r.serial, *resp->token).second);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  holder.join();
  done = true;
  ticker.join();
  ASSERT_EQ(tokens.size(), static_cast<std::size_t>(kThreads * kPerThread));  // serials unique

  // Every round of the TSA (records of new requests + tokens of signed ones) is one unit of
  // the batcher: far fewer units than the two writes per token, so requests shared commits.
  const auto after = tsa_->batcher().stats();
  const auto units = after.units - before.units;
  EXPECT_GE(units, 2u);
  EXPECT_LT(units, static_cast<std::uint64_t>(2 * kThreads * kPerThread));

  // Each token is recorded with exactly the returned token; genTime never goes backwards in
  // serial order, and equals the token's genTime.
  TimePoint last_gen{};
  for (const auto& [serial, token] : tokens) {
    auto rec = tsa_->get(serial);
    ASSERT_TRUE(rec) << rec.error().to_string();
    ASSERT_TRUE(rec->token);
    EXPECT_EQ(*rec->token, token);
    EXPECT_GE(rec->gen_time, last_gen) << "serial " << serial;
    last_gen = rec->gen_time;
    auto sd = x509::cms::parse_signed_data(token).value();
    auto info = x509::tsp::parse_tst_info(sd.content.value()).value();
    EXPECT_EQ(x509::tsp::serial_value(info).value(), serial);
    EXPECT_EQ(info.gen_time, rec->gen_time);
  }

  // One audit entry per token; within a commit round in serial order (rounds commit in the
  // order signers finish, so across rounds serials may interleave).
  auto entries = rt_->audit().list(rt_->store(), 1, 10000).value();
  std::vector<std::int64_t> audited;
  for (const auto& e : entries) {
    if (e.action != audit::action::kTimestampIssue) continue;
    audited.push_back(std::stoll(e.object.substr(e.object.find('/') + 1)));
  }
  ASSERT_EQ(audited.size(), tokens.size());
  std::set<std::int64_t> audited_set(audited.begin(), audited.end());
  EXPECT_EQ(audited_set.size(), tokens.size());
  for (const auto& [serial, token] : tokens) EXPECT_TRUE(audited_set.contains(serial)) << serial;
  EXPECT_TRUE(rt_->audit().verify(rt_->store(), {}).value().ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, TsaTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::tsa
