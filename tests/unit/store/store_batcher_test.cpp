// Group commit (store::CommitBatcher) and, on PostgreSQL, pipeline mode: the round trips of a
// round and how a deferred error surfaces.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include "store/commit_batcher.h"
#include "store/pg_store.h"
#include "tests/unit/store/store_fixture.h"

namespace hpki::store {
namespace {

// Group commit (issue 5): many threads insert certificates and change their status through one
// batcher;
// every unit commits exactly once, batches really hold several units, and one failing unit
// (a duplicate serial) gets its own error while the units it shared a batch with commit.
TEST_P(StoreTest, CommitBatcherSharesTransactionsAndIsolatesAFailingUnit) {
  add_root();
  CommitBatcher batcher(*store_);
  std::atomic<int> ops{0};
  std::atomic<int> observed_units{0};
  batcher.set_observer([&](std::size_t n, bool) { observed_units += static_cast<int>(n); });
  store_->set_observer([&](std::string_view op, std::chrono::nanoseconds, bool) {
    if (op == "group_commit") ++ops;
  });
  constexpr int kThreads = 16;
  constexpr int kPerThread = 25;
  std::atomic<int> failures{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        char serial[16];
        std::snprintf(serial, sizeof serial, "%02x%04x", t + 1, i);
        auto c = cert("rsa-root", serial);
        if (!batcher.run([&](Tx& tx) { return tx.insert_certificate(c); })) ++failures;
        if (!batcher.run([&](Tx& tx) {
              return tx.set_status("rsa-root", test::sn(serial), CertStatus::kHold,
                                   CertStatus::kIssued);
            }))
          ++failures;
        // Every 5th round re-inserts a serial that exists: a unit that fails on its own.
        if (i % 5 == 0) {
          auto r = batcher.run([&](Tx& tx) { return tx.insert_certificate(c); });
          if (!r && r.error().code() == ErrorCode::kConflict) ++conflicts;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(conflicts.load(), kThreads * (kPerThread / 5));
  CertificateFilter f;
  f.statuses = {CertStatus::kHold};
  f.limit = kMaxSearchLimit;
  auto n = store_->transact_value<std::int64_t>([&](Tx& tx) { return tx.count_certificates(f); });
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(*n, kThreads * kPerThread);
  f.statuses = {CertStatus::kIssued};
  EXPECT_EQ(store_->transact_value<std::int64_t>([&](Tx& tx) { return tx.count_certificates(f); })
                .value(),
            0);
  const auto st = batcher.stats();
  EXPECT_EQ(st.units, static_cast<std::uint64_t>(kThreads * (2 * kPerThread + kPerThread / 5)));
  EXPECT_EQ(static_cast<std::uint64_t>(observed_units.load()), st.units);
  EXPECT_GT(st.shared_batches, 0u) << "no batch held more than one unit";
  EXPECT_GT(st.max_batch, 1u);
  EXPECT_LT(st.batches, st.units);
  EXPECT_EQ(st.queue_depth, 0u);
  EXPECT_GE(ops.load(), static_cast<int>(st.batches));
}

TEST_P(StoreTest, CommitBatcherReturnsValuesAndErrorsOfASingleUnit) {
  add_root();
  CommitBatcher batcher(*store_);
  auto v = batcher.run_value<std::int64_t>([](Tx& tx) { return tx.next_counter("crl/x"); });
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(*v, 1);
  auto bad = batcher.run([&](Tx& tx) {
    return tx.set_status("rsa-root", test::sn("ff"), CertStatus::kRevoked, std::nullopt);
  });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(batcher.stats().batches, 2u);
  EXPECT_EQ(batcher.stats().shared_batches, 0u);
}

// submit(): units handed over without waiting share batches with waiting callers; each `done`
// runs once, after its unit committed, with the unit's own outcome (a failing unit alone); a
// unit that throws fails alone; the destructor runs what is still queued.
// A `done` callback runs on the committer thread; a run() it makes (the CA's status listener ->
// the OCSP responder storing a response through the same batcher) cannot wait for a batch that
// thread would have to commit: it runs in a transaction of its own (it deadlocked before).
TEST_P(StoreTest, CommitBatcherRunFromADoneCallbackDoesNotWaitForItself) {
  add_root();
  CommitBatcher batcher(*store_);
  std::promise<Result<void>> inner;
  auto got = inner.get_future();
  batcher.submit([](Tx& tx) { return tx.insert_certificate(cert("rsa-root", "01")); },
                 [&](Result<void> r) {
                   EXPECT_TRUE(r.has_value());
                   inner.set_value(batcher.run(
                       [](Tx& tx) { return tx.insert_certificate(cert("rsa-root", "02")); }));
                 });
  ASSERT_EQ(got.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "run() from a done callback waited for its own committer";
  auto r = got.get();
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  run([](Tx& tx) -> Result<void> {
    EXPECT_EQ(HPKI_TRY(tx.find_certificates_by_serial(test::sn("02"))).size(), 1u);
    return {};
  });
}

TEST_P(StoreTest, CommitBatcherSubmitAnswersEachUnitOnceAfterItsCommit) {
  add_root();
  std::atomic<int> ok{0}, conflicts{0}, internal{0}, committed_before_done{0};
  std::mutex mu;
  std::set<std::string> done_serials;
  {
    CommitBatcher batcher(*store_);
    constexpr int kUnits = 120;
    for (int i = 0; i < kUnits; ++i) {
      char serial[16];
      std::snprintf(serial, sizeof serial, "a%05x", i);
      const std::string sn = serial;
      batcher.submit(
          [sn](Tx& tx) -> Result<void> {
            HPKI_TRY(tx.insert_certificate(cert("rsa-root", sn)));
            return {};
          },
          [&, sn](Result<void> r) {
            if (r) {
              ++ok;
              // Committed: a fresh read sees it.
              auto seen = store_->read_value<CertificateRecord>(
                  [&](Tx& tx) { return tx.get_certificate("rsa-root", test::sn(sn)); });
              if (seen) ++committed_before_done;
            }
            std::lock_guard lock(mu);
            EXPECT_TRUE(done_serials.insert(sn).second) << sn << " answered twice";
          });
      // Interleaved: a waiting caller, a duplicate (fails alone) and a throwing unit.
      if (i % 10 == 0) {
        EXPECT_TRUE(batcher.run([&](Tx& tx) -> Result<void> {
          HPKI_TRY(tx.next_counter("submit/x"));
          return {};
        }));
        batcher.submit([sn](Tx& tx) { return tx.insert_certificate(cert("rsa-root", sn)); },
                       [&](Result<void> r) {
                         if (!r && r.error().code() == ErrorCode::kConflict) ++conflicts;
                       });
        batcher.submit([](Tx&) -> Result<void> { throw std::runtime_error("boom"); },
                       [&](Result<void> r) {
                         if (!r && r.error().code() == ErrorCode::kInternal) ++internal;
                       });
      }
    }
  }  // the destructor runs the rest
  EXPECT_EQ(ok.load(), 120);
  EXPECT_EQ(committed_before_done.load(), 120);
  EXPECT_EQ(done_serials.size(), 120u);
  EXPECT_EQ(conflicts.load(), 12);
  EXPECT_EQ(internal.load(), 12);
}

// Round trips of a group-commit round on PostgreSQL (issue 17, item 2). A unit does what an
// issuance's commit unit does: the certificate with a new subject record, then an audit entry
// linked to the tail.
class PgRoundTrips : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDb>("postgresql");
    ASSERT_EQ(db_->error(), "");
    auto s = open_store(db_->url(), clock_);
    ASSERT_TRUE(s.has_value()) << s.error().to_string();
    store_ = std::move(*s);
    pg_ = dynamic_cast<PgStore*>(store_.get());
    ASSERT_NE(pg_, nullptr);
    auto r = store_->transact([](Tx& tx) {
      return tx.insert_ca(CaRecord{.id = "rsa-root",
                                   .family = CaFamily::kRsa,
                                   .role = CaRole::kRoot,
                                   .key_ref = test::key_id("file:rsa-root"),
                                   .certificate = Bytes{0x30, 0x00},
                                   .parent_id = std::nullopt,
                                   .subject = "CN=Root"});
    });
    ASSERT_TRUE(r) << r.error().to_string();
  }

  static CertificateRecord cert(const std::string& serial) {
    CertificateRecord c;
    c.ca_id = "rsa-root";
    c.serial = test::sn(serial);
    c.subject = "CN=" + serial;
    c.profile = "staff-sign";
    c.not_before = kT0;
    c.not_after = kT0 + 24h;
    c.der = Bytes{0x30, 0x00};
    c.key_type = "p256";
    return c;
  }

  // An issuance's commit unit.
  static CommitBatcher::Unit issuance(std::string serial) {
    return [serial](Tx& tx) -> Result<void> {
      HPKI_TRY(tx.insert_certificate_with_new_subject(
          cert(serial), SubjectRecord{.kind = SubjectKind::kStaff, .name = serial, .org = "H"}));
      return append_entry(tx, "cert.issue", "rsa-root/" + serial);
    };
  }

  // What AuditLog::append does (the hash here is not the real one).
  static Result<void> append_entry(Tx& tx, std::string action, std::string object) {
    auto tail = HPKI_TRY(tx.lock_audit_tail());
    AuditRecord e{.seq = tail ? tail->seq + 1 : 1,
                  .at = kT0,
                  .actor = "ra:bench",
                  .action = std::move(action),
                  .object = std::move(object),
                  .outcome = "success",
                  .details = "{}",
                  .hash_alg = "sha256",
                  .prev_hash = tail ? tail->hash : Bytes(32, 0),
                  .hash = Bytes(32, static_cast<std::uint8_t>(tail ? tail->seq + 1 : 1))};
    HPKI_TRY(tx.append_audit(e));
    return {};
  }

  // A TSA commit round (TsaService::commit_round): the latest genTime, the records with their
  // tokens, an audit entry each.
  static CommitBatcher::Unit timestamps(std::int64_t first, int n) {
    return [first, n](Tx& tx) -> Result<void> {
      HPKI_TRY(tx.last_timestamp_time());
      std::vector<TimestampRecord> recs;
      for (int i = 0; i < n; ++i) {
        recs.push_back({.serial = first + i,
                        .tsa_id = "rsa-root",
                        .gen_time = kT0,
                        .hash_alg = "sha256",
                        .imprint = Bytes(32, 7),
                        .policy = "1.2.3",
                        .token = Bytes{0x30, 0x01, static_cast<std::uint8_t>(i)}});
      }
      HPKI_TRY(tx.insert_timestamps(recs));
      for (const auto& r : recs) {
        HPKI_TRY(append_entry(tx, "timestamp.issue", "rsa-root/" + std::to_string(r.serial)));
      }
      return {};
    };
  }

  // Runs `units` as ONE batch of a CommitBatcher (a first unit's `done` holds the committer
  // until all are queued); returns the round trips of that batch and each unit's outcome.
  std::pair<std::uint64_t, std::vector<Result<void>>> one_batch(
      const std::vector<CommitBatcher::Unit>& units) {
    CommitBatcher batcher(*store_);
    std::atomic<bool> held{false}, release{false};
    batcher.submit([](Tx&) -> Result<void> { return {}; },
                   [&](Result<void>) {
                     held = true;
                     while (!release) std::this_thread::sleep_for(1ms);
                   });
    while (!held) std::this_thread::sleep_for(1ms);
    std::vector<std::optional<Result<void>>> out(units.size());
    std::atomic<std::size_t> done{0};
    for (std::size_t i = 0; i < units.size(); ++i) {
      batcher.submit(units[i], [&, i](Result<void> r) {
        out[i] = std::move(r);
        ++done;
      });
    }
    const std::uint64_t before = pg_->round_trips();
    release = true;
    while (done < units.size()) std::this_thread::sleep_for(1ms);
    const std::uint64_t used = pg_->round_trips() - before;
    std::vector<Result<void>> results;
    for (auto& r : out) results.push_back(std::move(*r));
    return {used, std::move(results)};
  }

  std::vector<CommitBatcher::Unit> issuances(const std::string& prefix, int n) {
    std::vector<CommitBatcher::Unit> v;
    for (int i = 0; i < n; ++i) {
      char serial[16];
      std::snprintf(serial, sizeof serial, "%02x", i);
      v.push_back(issuance(prefix + serial));
    }
    return v;
  }

  FixedClock clock_{kT0};
  std::unique_ptr<TestDb> db_;
  std::unique_ptr<Store> store_;
  PgStore* pg_ = nullptr;
};

// Baseline (before pipeline mode): BEGIN, each unit's certificate, the audit lock and tail,
// the audit INSERTs (one per power-of-two chunk), COMMIT: n + 5 and more. Now: BEGIN, the
// first certificate and the audit lock and tail in one round trip; the other certificates, the
// audit entries and COMMIT in another — whatever the number of units.
TEST_F(PgRoundTrips, AnIssuanceRoundIsTwoRoundTrips) {
  // Warm-up: the statements are prepared on the connection the committer will use (a statement
  // prepared in a round is sent with it, in the pipeline: no round trip either).
  auto [warm, warm_results] = one_batch(issuances("ff", 2));
  for (auto& r : warm_results) ASSERT_TRUE(r) << r.error().to_string();
  for (int n : {1, 8, 32, 100}) {
    auto [used, results] = one_batch(issuances(std::to_string(n) + "0", n));
    for (auto& r : results) ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(used, 2u) << "a round of " << n << " units";
  }
  // Every certificate and audit entry is there, the entries in order.
  auto entries =
      store_->read_value<std::vector<AuditRecord>>([](Tx& tx) { return tx.read_audit(1, 1000); });
  ASSERT_TRUE(entries) << entries.error().to_string();
  ASSERT_EQ(entries->size(), 2u + 1 + 8 + 32 + 100);
  for (std::size_t i = 0; i < entries->size(); ++i) {
    EXPECT_EQ((*entries)[i].seq, static_cast<std::int64_t>(i + 1));
    if (i > 0) {
      EXPECT_EQ((*entries)[i].prev_hash, (*entries)[i - 1].hash);
    }
  }
}

// Baseline: BEGIN, the latest genTime, the records' and the tokens' INSERTs, the audit lock
// and tail, the audit INSERTs, COMMIT: 5 + 3 x (statements per 32 rows). Now: BEGIN and the
// latest genTime; the records, tokens, audit lock and tail; the audit entries and COMMIT.
TEST_F(PgRoundTrips, ATimestampRoundIsThreeRoundTrips) {
  auto [warm, warm_results] = one_batch({timestamps(1, 3)});
  ASSERT_TRUE(warm_results[0]) << warm_results[0].error().to_string();
  std::int64_t next = 4;
  for (int n : {1, 64, 100}) {
    auto [used, results] = one_batch({timestamps(next, n)});
    ASSERT_TRUE(results[0]) << results[0].error().to_string();
    EXPECT_EQ(used, 3u) << "a round of " << n << " timestamps";
    next += n;
  }
  auto last =
      store_->read_value<TimestampRecord>([&](Tx& tx) { return tx.get_timestamp(next - 1); });
  ASSERT_TRUE(last) << last.error().to_string();
  EXPECT_EQ(last->token, (Bytes{0x30, 0x01, 99}));
  auto entries =
      store_->read_value<std::vector<AuditRecord>>([](Tx& tx) { return tx.read_audit(1, 1000); });
  ASSERT_TRUE(entries) << entries.error().to_string();
  EXPECT_EQ(entries->size(), static_cast<std::size_t>(next - 1));
}

// A unit whose serial is taken, in a round with good ones: its deferred INSERT fails the round
// (nothing of it commits), then every unit runs alone — the good ones commit, the bad one gets
// kConflict with the message of the immediate form, and its audit entry is not written.
TEST_F(PgRoundTrips, AConflictingUnitFailsAloneAndTheOthersCommit) {
  auto [first_used, first] = one_batch({issuance("0d0d")});
  ASSERT_TRUE(first[0]) << first[0].error().to_string();
  auto units = issuances("e", 5);
  units.insert(units.begin() + 2, issuance("0d0d"));  // taken
  auto [used, results] = one_batch(units);
  ASSERT_EQ(results.size(), 6u);
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (i == 2) {
      ASSERT_FALSE(results[i]);
      EXPECT_EQ(results[i].error().code(), ErrorCode::kConflict);
      EXPECT_EQ(results[i].error().detail(), "serial 0d0d of CA rsa-root already exists");
    } else {
      EXPECT_TRUE(results[i]) << i << ": " << results[i].error().to_string();
    }
  }
  auto entries =
      store_->read_value<std::vector<AuditRecord>>([](Tx& tx) { return tx.read_audit(1, 100); });
  ASSERT_TRUE(entries) << entries.error().to_string();
  ASSERT_EQ(entries->size(), 6u);  // 0d0d once, e00..e04
  for (std::size_t i = 1; i < entries->size(); ++i) {
    EXPECT_EQ((*entries)[i].prev_hash, (*entries)[i - 1].hash);
  }
  CertificateFilter f;
  f.limit = kMaxSearchLimit;
  EXPECT_EQ(
      store_->read_value<std::int64_t>([&](Tx& tx) { return tx.count_certificates(f); }).value(),
      6);
}

// A deferred write's error is returned by the next call that needs the database's answer, or
// by the commit, with the code and message of the immediate form — and nothing of the
// transaction is committed (the good certificate queued before it is not stored).
TEST_F(PgRoundTrips, DeferredErrorsSurfaceLaterWithTheirOwnCodeAndNothingCommits) {
  ASSERT_TRUE(store_->transact([](Tx& tx) { return tx.insert_certificate(cert("01")); }));
  // At a later call.
  bool deferred = false;
  auto r = store_->transact_pipelined([&](Tx& tx) -> Result<void> {
    HPKI_TRY(tx.insert_certificate(cert("02")));
    auto dup = tx.insert_certificate(cert("01"));
    deferred = dup.has_value();  // queued: no answer yet
    HPKI_TRY(std::move(dup));
    HPKI_TRY(tx.lock_audit_tail());
    return {};
  });
  EXPECT_TRUE(deferred);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(r.error().detail(), "serial 01 of CA rsa-root already exists");
  // At the commit, for each deferrable write.
  const TimestampRecord ts{.serial = 7,
                           .tsa_id = "rsa-root",
                           .gen_time = kT0,
                           .hash_alg = "sha256",
                           .imprint = Bytes(32, 1),
                           .policy = "1.2.3",
                           .token = Bytes{0x30, 0x00}};
  ASSERT_TRUE(store_->transact([&](Tx& tx) { return tx.insert_timestamp(ts); }));
  struct Case {
    std::string name;
    std::function<Result<void>(Tx&)> bad;
    ErrorCode code;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {"certificate", [](Tx& tx) { return tx.insert_certificate(cert("01")); },
       ErrorCode::kConflict, "serial 01 of CA rsa-root already exists"},
      {"with new subject",
       [](Tx& tx) {
         return tx.insert_certificate_with_new_subject(
             cert("01"), SubjectRecord{.kind = SubjectKind::kStaff, .name = "x", .org = "H"});
       },
       ErrorCode::kConflict, "serial 01 of CA rsa-root already exists"},
      {"timestamp", [&](Tx& tx) { return tx.insert_timestamp(ts); }, ErrorCode::kConflict,
       "timestamp 7: already recorded"},
      {"unknown CA",
       [](Tx& tx) {
         auto c = cert("03");
         c.ca_id = "nobody";
         return tx.insert_certificate(c);
       },
       ErrorCode::kConflict, ""},
  };
  for (const auto& c : cases) {
    auto got = store_->transact_pipelined([&](Tx& tx) -> Result<void> {
      HPKI_TRY(tx.insert_certificate(cert("04")));  // good, queued before the bad one
      HPKI_TRY(c.bad(tx));
      HPKI_TRY(tx.insert_certificate(cert("05")));  // good, queued after it
      return {};
    });
    ASSERT_FALSE(got) << c.name;
    EXPECT_EQ(got.error().code(), c.code) << c.name;
    if (!c.detail.empty()) {
      EXPECT_EQ(got.error().detail(), c.detail) << c.name;
    }
    // The same error as the ordinary transaction's.
    auto immediate = store_->transact([&](Tx& tx) { return c.bad(tx); });
    ASSERT_FALSE(immediate) << c.name;
    EXPECT_EQ(immediate.error().code(), got.error().code()) << c.name;
    EXPECT_EQ(immediate.error().detail(), got.error().detail()) << c.name;
    for (const char* serial : {"04", "05"}) {
      auto stored = store_->read_value<CertificateRecord>(
          [&](Tx& tx) { return tx.get_certificate("rsa-root", test::sn(serial)); });
      ASSERT_FALSE(stored) << c.name << ": " << serial << " was committed";
      EXPECT_EQ(stored.error().code(), ErrorCode::kNotFound);
    }
  }
  // The connection is usable afterwards, pipelined or not.
  ASSERT_TRUE(store_->transact_pipelined([](Tx& tx) { return tx.insert_certificate(cert("04")); }));
  ASSERT_TRUE(store_->transact([](Tx& tx) { return tx.insert_certificate(cert("05")); }));
}

}  // namespace
}  // namespace hpki::store
