// Opening a store: migrations (idempotent, concurrent, data-moving steps, a newer schema refused),
// URLs and dialects, reconnecting, and the enum names the store writes.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "store/migrations.h"
#include "store/pg_store.h"
#include "tests/unit/store/store_fixture.h"

namespace hpki::store {
namespace {

TEST_P(StoreTest, MigrationsAreIdempotentAndRecorded) {
  auto v = store_->schema_version();
  ASSERT_TRUE(v.has_value()) << v.error().to_string();
  EXPECT_EQ(*v, latest_schema_version());
  add_root();
  store_.reset();
  // Open twice more: nothing applied again, data intact.
  for (int i = 0; i < 2; ++i) {
    auto s = reopen();
    ASSERT_TRUE(s.has_value()) << s.error().to_string();
    EXPECT_EQ((*s)->schema_version().value(), latest_schema_version());
    auto r = (*s)->transact([](Tx& tx) -> Result<void> {
      auto rows = HPKI_TRY(store::raw::query(tx, "SELECT COUNT(*) FROM schema_version", {}));
      EXPECT_EQ(std::get<std::int64_t>(rows.at(0).at(0)),
                static_cast<std::int64_t>(migrations().size()));
      auto cas = HPKI_TRY(tx.list_cas());
      EXPECT_EQ(cas.size(), 1u);
      return {};
    });
    ASSERT_TRUE(r.has_value()) << r.error().to_string();
  }
}

TEST_P(StoreTest, ConcurrentOpenOfAFreshDatabaseMigratesOnce) {
  TestDb fresh(GetParam());
  ASSERT_EQ(fresh.error(), "");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::vector<std::string> errors(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto s = open_store(fresh.url(), clock_);
      if (s.has_value()) {
        ++ok;
      } else {
        errors[static_cast<std::size_t>(i)] = s.error().to_string();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4) << errors[0] << errors[1] << errors[2] << errors[3];
  auto s = open_store(fresh.url(), clock_);
  ASSERT_TRUE(s.has_value());
  auto n = (*s)->transact_value<std::int64_t>([](Tx& tx) -> Result<std::int64_t> {
    auto rows = HPKI_TRY(store::raw::query(tx, "SELECT COUNT(*) FROM schema_version", {}));
    return std::get<std::int64_t>(rows.at(0).at(0));
  });
  ASSERT_TRUE(n.has_value()) << n.error().to_string();
  EXPECT_EQ(*n, static_cast<std::int64_t>(migrations().size()));
}

// Version 5 moves the tokens of existing timestamp records into timestamp_tokens: a database
// at version 4 with a recorded, signed token upgrades with nothing lost.
TEST_P(StoreTest, Version5MovesStoredTokensToTheirTable) {
  TestDb fresh(GetParam());
  ASSERT_EQ(fresh.error(), "");
  {
    auto v4 = open_store(fresh.url(), clock_, {.target_schema_version = 4});
    ASSERT_TRUE(v4.has_value()) << v4.error().to_string();
    ASSERT_EQ((*v4)->schema_version().value(), 4);
    const Value p[] = {Value{Bytes{0x30, 0x03, 0x02, 0x01, 0x07}}};
    auto r = (*v4)->transact([&](Tx& tx) -> Result<void> {
      HPKI_TRY(tx.insert_ca(root_ca()));
      HPKI_TRY(store::raw::exec(
          tx,
          "INSERT INTO timestamps (serial, tsa_id, gen_time, hash_alg, imprint, policy, "
          "requester, token, created_at) VALUES (7, 'rsa-root', 1800000000, 'sha256', "
          "'x', '1.2.3', 'ip:192.0.2.1', ?, 1800000000)",
          p));
      HPKI_TRY(
          store::raw::exec(tx,
                           "INSERT INTO timestamps (serial, tsa_id, gen_time, hash_alg, imprint, "
                           "policy, requester, created_at) VALUES (8, 'rsa-root', 1800000001, "
                           "'sha256', 'y', '1.2.3', 'ip:192.0.2.1', 1800000001)",
                           {}));
      return {};
    });
    ASSERT_TRUE(r.has_value()) << r.error().to_string();
  }
  auto s = open_store(fresh.url(), clock_);
  ASSERT_TRUE(s.has_value()) << s.error().to_string();
  EXPECT_EQ((*s)->schema_version().value(), latest_schema_version());
  auto r = (*s)->read([](Tx& tx) -> Result<void> {
    auto signed_one = HPKI_TRY(tx.get_timestamp(7));
    EXPECT_EQ(signed_one.token, (Bytes{0x30, 0x03, 0x02, 0x01, 0x07}));
    EXPECT_FALSE(signed_one.cert_req);  // stored whole: handed out as stored
    EXPECT_EQ(signed_one.requester, "ip:192.0.2.1");
    auto unsigned_one = HPKI_TRY(tx.get_timestamp(8));
    EXPECT_FALSE(unsigned_one.token.has_value());
    return {};
  });
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
}

TEST_P(StoreTest, NewerSchemaIsRefused) {
  const Value p[] = {Value{std::int64_t{latest_schema_version() + 1}}};
  run([&](Tx& tx) -> Result<void> {
    auto n = HPKI_TRY(store::raw::exec(
        tx, "INSERT INTO schema_version (version, description, applied_at) VALUES (?, 'future', 0)",
        p));
    EXPECT_EQ(n, 1);
    return {};
  });
  store_.reset();
  auto s = reopen();
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kSchemaMismatch) << s.error().to_string();
}

TEST_P(StoreTest, BadUrlsFail) {
  auto a = open_store("mysql://x", clock_);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code(), ErrorCode::kInvalidArgument);
  auto b = open_store("sqlite:/nonexistent-dir-hpki/x.db", clock_);
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code(), ErrorCode::kStorage);
  auto c = open_store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", clock_);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), ErrorCode::kUnavailable);
}

TEST_P(StoreTest, DialectMatchesTheUrl) {
  EXPECT_EQ(store_->dialect(), GetParam() == "sqlite" ? Dialect::kSqlite : Dialect::kPostgres);
}

TEST(StoreNames, RoundTrip) {
  for (auto s : {CertStatus::kIssuing, CertStatus::kIssued, CertStatus::kRevoked, CertStatus::kHold,
                 CertStatus::kNeverDelivered}) {
    EXPECT_EQ(parse_cert_status(to_string(s)).value(), s);
  }
  EXPECT_EQ(to_string(CertStatus::kNeverDelivered), "never_delivered");
  EXPECT_EQ(parse_ca_family("sm2").value(), CaFamily::kSm2);
  EXPECT_EQ(parse_ca_role("tsa").value(), CaRole::kTsa);
  EXPECT_EQ(parse_subject_kind("device").value(), SubjectKind::kDevice);
  EXPECT_EQ(parse_cert_status("Issued").error().code(), ErrorCode::kInvalidArgument);
}

TEST(StoreMigrations, RenderPerDialect) {
  const auto& m = migrations().front();
  auto lite = render_migration(m, Dialect::kSqlite);
  auto pg = render_migration(m, Dialect::kPostgres);
  EXPECT_NE(lite.find("INTEGER PRIMARY KEY AUTOINCREMENT"), std::string::npos);
  EXPECT_NE(pg.find("GENERATED BY DEFAULT AS IDENTITY"), std::string::npos);
  EXPECT_EQ(lite.find("BYTEA"), std::string::npos);
  EXPECT_EQ(pg.find("BLOB"), std::string::npos);
  EXPECT_EQ(pg.find('{'), std::string::npos);
  EXPECT_EQ(lite.find('{'), std::string::npos);
  int expected = 1;
  for (const auto& step : migrations()) EXPECT_EQ(step.version, expected++);
}

TEST(PgStore, ReconnectsWhenAPooledConnectionDied) {
  TestDb db("postgresql");
  ASSERT_EQ(db.error(), "");
  FixedClock clock(kT0);
  auto a = open_store(db.url(), clock, {.pool_size = 1});
  ASSERT_TRUE(a.has_value()) << a.error().to_string();
  ASSERT_EQ((*a)->next_counter("n").value(), 1);
  // Another client kills every other session of this database (as a server restart would).
  auto b = open_store(db.url(), clock);
  ASSERT_TRUE(b.has_value());
  auto killed = (*b)->transact_value<std::int64_t>([](Tx& tx) -> Result<std::int64_t> {
    auto rows = HPKI_TRY(store::raw::query(
        tx,
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname "
        "= current_database() AND pid <> pg_backend_pid()",
        {}));
    return std::get<std::int64_t>(rows.at(0).at(0));
  });
  ASSERT_TRUE(killed.has_value()) << killed.error().to_string();
  EXPECT_GE(*killed, 1);
  std::this_thread::sleep_for(50ms);
  auto next = (*a)->next_counter("n");
  ASSERT_TRUE(next.has_value()) << next.error().to_string();
  EXPECT_EQ(*next, 2);
}

// The StoreTest cases of every store_*_test.cpp file.
INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace hpki::store
