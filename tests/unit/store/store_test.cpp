// Every store operation against both backends: SQLite in a temp file and a real PostgreSQL
// server started by the CTest fixture "pg" (scripts/pg-test-server.sh). The PostgreSQL cases
// fail, never skip, when the server is not there.
#include <gtest/gtest.h>

#include "tests/support/test_util.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <unistd.h>
#include "tests/support/test_db.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "store/commit_batcher.h"
#include "store/detail/raw.h"
#include "store/migrations.h"
#include "store/pg_store.h"
#include "store/store.h"

namespace hpki::store {
namespace {

using namespace std::chrono_literals;
using raw::Row;  // store/detail/raw.h: the test-only raw SQL path
using raw::Value;
using test::pg_admin_exec;
using test::pg_admin_url;
using test::TestDb;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'800'000'000));

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDb>(GetParam());
    ASSERT_EQ(db_->error(), "");
    auto s = open_store(db_->url(), clock_);
    ASSERT_TRUE(s.has_value()) << s.error().to_string();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
  }

  Result<std::unique_ptr<Store>> reopen(const StoreOptions& o = {}) {
    return open_store(db_->url(), clock_, o);
  }

  void run(const Store::TxFn& fn) {
    auto r = store_->transact(fn);
    ASSERT_TRUE(r.has_value()) << r.error().to_string();
  }

  static CaRecord root_ca(std::string id = "rsa-root") {
    return CaRecord{.id = std::move(id),
                    .family = CaFamily::kRsa,
                    .role = CaRole::kRoot,
                    .key_ref = "file:rsa-root",
                    .certificate = Bytes{0x30, 0x82, 0x01, 0x00},
                    .parent_id = std::nullopt,
                    .subject = "CN=Root"};
  }

  static CertificateRecord cert(std::string ca, std::string serial) {
    CertificateRecord c;
    c.ca_id = std::move(ca);
    c.serial = test::sn(serial);
    c.subject = "CN=Zhang San,OU=Cardiology,O=First Hospital";
    c.org = "First Hospital";
    c.dept = "Cardiology";
    c.profile = "staff-sign";
    c.not_before = kT0;
    c.not_after = kT0 + 24h * 365;
    c.der = Bytes{0x30, 0x03, 0x02, 0x01, 0x07};
    c.request = Bytes{0x30, 0x01, 0x00};
    c.key_type = "sm2";
    c.requested_by = "ra:alice";
    return c;
  }

  void add_root() {
    run([](Tx& tx) { return tx.insert_ca(root_ca()); });
  }

  FixedClock clock_{kT0};
  std::unique_ptr<TestDb> db_;
  std::unique_ptr<Store> store_;
};

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

TEST_P(StoreTest, CasInsertGetList) {
  add_root();
  clock_.advance(10s);
  run([](Tx& tx) -> Result<void> {
    auto issuing = root_ca("rsa-issuing");
    issuing.role = CaRole::kIssuing;
    issuing.parent_id = "rsa-root";
    issuing.subject = "CN=Issuing";
    HPKI_TRY(tx.insert_ca(issuing));
    return {};
  });
  run([&](Tx& tx) -> Result<void> {
    auto c = HPKI_TRY(tx.get_ca("rsa-issuing"));
    EXPECT_EQ(c.role, CaRole::kIssuing);
    EXPECT_EQ(c.family, CaFamily::kRsa);
    EXPECT_EQ(c.parent_id, "rsa-root");
    EXPECT_EQ(c.certificate, (Bytes{0x30, 0x82, 0x01, 0x00}));
    EXPECT_EQ(c.key_ref, "file:rsa-root");
    EXPECT_EQ(c.created_at, kT0 + 10s);
    auto all = HPKI_TRY(tx.list_cas());
    EXPECT_EQ(all.size(), 2u);
    EXPECT_EQ(all.at(0).id, "rsa-root");
    EXPECT_FALSE(all.at(0).parent_id.has_value());
    EXPECT_EQ(tx.get_ca("nope").error().code(), ErrorCode::kNotFound);
    EXPECT_EQ(tx.insert_ca(root_ca()).error().code(), ErrorCode::kConflict);
    return {};
  });
  // Unknown parent: a foreign-key conflict (aborts the transaction on PostgreSQL).
  auto r = store_->transact([](Tx& tx) -> Result<void> {
    auto orphan = root_ca("orphan");
    orphan.parent_id = "missing";
    return tx.insert_ca(orphan);
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kConflict);
}

TEST_P(StoreTest, IssuanceLifecycle) {
  add_root();
  clock_.advance(5s);
  run([](Tx& tx) { return tx.insert_certificate(cert("rsa-root", "0a1b2c")); });
  run([&](Tx& tx) -> Result<void> {
    auto c = HPKI_TRY(tx.get_certificate("rsa-root", test::sn("0a1b2c")));
    EXPECT_EQ(c.status, CertStatus::kIssued);
    EXPECT_EQ(c.der, (Bytes{0x30, 0x03, 0x02, 0x01, 0x07}));
    EXPECT_EQ(c.request, (Bytes{0x30, 0x01, 0x00}));
    EXPECT_EQ(c.not_before, kT0);
    EXPECT_EQ(c.not_after, kT0 + 24h * 365);
    EXPECT_EQ(c.created_at, kT0 + 5s);
    EXPECT_EQ(c.updated_at, kT0 + 5s);
    EXPECT_EQ(c.subject_id, std::nullopt);
    // Schema 7: a record is a signed certificate; no reservation (issuing), no record without
    // DER; never delivered is only what older versions left.
    auto no_der = cert("rsa-root", "0b");
    no_der.der.reset();
    EXPECT_EQ(tx.insert_certificate(no_der).error().code(), ErrorCode::kInvalidArgument);
    for (auto st : {CertStatus::kIssuing, CertStatus::kNeverDelivered}) {
      auto c2 = cert("rsa-root", "0c");
      c2.status = st;
      EXPECT_EQ(tx.insert_certificate(c2).error().code(), ErrorCode::kInvalidArgument);
    }
    return {};
  });
  // The schema itself refuses them too (an edited row, a foreign writer).
  for (const char* sql : {"UPDATE certificates SET status = 'issuing' WHERE serial = '0a1b2c'",
                          "UPDATE certificates SET der = NULL WHERE serial = '0a1b2c'"}) {
    auto r = store_->transact([&](Tx& tx) -> Result<void> {
      HPKI_TRY(raw::exec(tx, sql, {}));
      return {};
    });
    EXPECT_FALSE(r.has_value()) << sql;
  }
  clock_.advance(1s);
  run([&](Tx& tx) -> Result<void> {
    EXPECT_EQ(tx.get_certificate("rsa-root", test::sn("ffff")).error().code(),
              ErrorCode::kNotFound);
    // Compare-and-set on the status.
    EXPECT_EQ(tx.set_status("rsa-root", test::sn("0a1b2c"), CertStatus::kRevoked, CertStatus::kHold)
                  .error()
                  .code(),
              ErrorCode::kConflict);
    EXPECT_EQ(tx.set_status("rsa-root", test::sn("ffff"), CertStatus::kRevoked, std::nullopt)
                  .error()
                  .code(),
              ErrorCode::kNotFound);
    // Hold: certificateHold (6), then release.
    HPKI_TRY(tx.set_status("rsa-root", test::sn("0a1b2c"), CertStatus::kHold, CertStatus::kIssued));
    HPKI_TRY(tx.insert_revocation(
        {.ca_id = "rsa-root", .serial = test::sn("0a1b2c"), .reason = 6, .revoked_at = kT0 + 7s}));
    EXPECT_EQ(tx.insert_revocation({.ca_id = "rsa-root", .serial = test::sn("0a1b2c"), .reason = 1})
                  .error()
                  .code(),
              ErrorCode::kConflict);
    auto rev = HPKI_TRY(tx.find_revocation("rsa-root", test::sn("0a1b2c")));
    EXPECT_TRUE(rev.has_value());
    EXPECT_EQ(rev->reason, 6);
    EXPECT_EQ(rev->revoked_at, kT0 + 7s);
    EXPECT_FALSE(rev->invalidity_date.has_value());
    HPKI_TRY(tx.delete_revocation("rsa-root", test::sn("0a1b2c")));
    HPKI_TRY(tx.set_status("rsa-root", test::sn("0a1b2c"), CertStatus::kIssued, CertStatus::kHold));
    EXPECT_FALSE(HPKI_TRY(tx.find_revocation("rsa-root", test::sn("0a1b2c"))).has_value());
    EXPECT_EQ(tx.delete_revocation("rsa-root", test::sn("0a1b2c")).error().code(),
              ErrorCode::kNotFound);
    // Revoke: keyCompromise (1) with an invalidity date.
    HPKI_TRY(
        tx.set_status("rsa-root", test::sn("0a1b2c"), CertStatus::kRevoked, CertStatus::kIssued));
    HPKI_TRY(tx.insert_revocation({.ca_id = "rsa-root",
                                   .serial = test::sn("0a1b2c"),
                                   .reason = 1,
                                   .revoked_at = kT0 + 8s,
                                   .invalidity_date = kT0 + 2s}));
    return {};
  });
  run([&](Tx& tx) -> Result<void> {
    auto all = HPKI_TRY(tx.list_revocations("rsa-root", std::nullopt));
    EXPECT_EQ(all.size(), 1u);
    EXPECT_EQ(all.at(0).invalidity_date, kT0 + 2s);
    EXPECT_EQ(HPKI_TRY(tx.list_revocations("rsa-root", 0)).size(), 1u);
    EXPECT_EQ(HPKI_TRY(tx.list_revocations("rsa-root", 3)).size(), 0u);
    EXPECT_EQ(HPKI_TRY(tx.get_certificate("rsa-root", test::sn("0a1b2c"))).status,
              CertStatus::kRevoked);
    return {};
  });
  // A revocation of a certificate that does not exist violates the foreign key.
  auto r = store_->transact([](Tx& tx) {
    return tx.insert_revocation({.ca_id = "rsa-root", .serial = test::sn("dead"), .reason = 0});
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kConflict);
}

// The OCSP responder's operations (issue 17: typed, no SQL in revocation/): status rows with
// their revocation, look-ups by one serial, by many (more than one statement's worth) and by
// change time; pre-signed responses stored in multi-row upserts that never go back in time.
TEST_P(StoreTest, OcspStatusesAndResponses) {
  add_root();
  run([](Tx& tx) { return tx.insert_ca(root_ca("sm2-root")); });
  // 40 certificates (more than kMaxRowsPerStatement), issued at kT0.
  std::vector<std::string> serials;
  for (int i = 0; i < 40; ++i) serials.push_back("a" + std::to_string(100 + i));
  run([&](Tx& tx) -> Result<void> {
    for (const auto& s : serials) {
      HPKI_TRY(tx.insert_certificate(cert("rsa-root", s)));
    }
    HPKI_TRY(tx.insert_certificate(cert("sm2-root", "a100")));  // same serial, other CA
    return {};
  });
  // Later: a101 revoked (keyCompromise), a102 on hold.
  clock_.advance(10s);
  run([&](Tx& tx) -> Result<void> {
    HPKI_TRY(
        tx.set_status("rsa-root", test::sn("a101"), CertStatus::kRevoked, CertStatus::kIssued));
    HPKI_TRY(tx.insert_revocation(
        {.ca_id = "rsa-root", .serial = test::sn("a101"), .reason = 1, .revoked_at = kT0 + 9s}));
    HPKI_TRY(tx.set_status("rsa-root", test::sn("a102"), CertStatus::kHold, CertStatus::kIssued));
    return {};
  });
  run([&](Tx& tx) -> Result<void> {
    auto good = HPKI_TRY(tx.cert_status("rsa-root", test::sn("a100")));
    EXPECT_TRUE(good.has_value());
    if (good) {
      EXPECT_EQ(good->serial.hex(), "a100");
      EXPECT_EQ(good->status, CertStatus::kIssued);
      EXPECT_EQ(good->updated_at, kT0);
      EXPECT_FALSE(good->reason.has_value());
      EXPECT_FALSE(good->revoked_at.has_value());
    }
    auto revoked = HPKI_TRY(tx.cert_status("rsa-root", test::sn("a101")));
    EXPECT_TRUE(revoked.has_value());
    if (revoked) {
      EXPECT_EQ(revoked->status, CertStatus::kRevoked);
      EXPECT_EQ(revoked->updated_at, kT0 + 10s);
      EXPECT_EQ(revoked->reason, 1);
      EXPECT_EQ(revoked->revoked_at, kT0 + 9s);
    }
    EXPECT_FALSE(HPKI_TRY(tx.cert_status("rsa-root", test::sn("ffff"))).has_value());
    EXPECT_FALSE(HPKI_TRY(tx.cert_status("sm2-root", test::sn("a101"))).has_value());

    // Changed since kT0 + 10s: the two status changes only.
    auto since = HPKI_TRY(tx.cert_statuses_since("rsa-root", kT0 + 10s));
    std::set<std::string> changed;
    for (const auto& c : since)
      changed.insert(c.serial.hex() + ":" + std::string(to_string(c.status)));
    EXPECT_EQ(changed, (std::set<std::string>{"a101:revoked", "a102:hold"}));
    EXPECT_EQ(HPKI_TRY(tx.cert_statuses_since("rsa-root", kT0)).size(), 40u);
    EXPECT_EQ(HPKI_TRY(tx.cert_statuses_since("sm2-root", kT0)).size(), 1u);

    // By many serials: all 40 known ones (two statements) and none of the unknown.
    std::vector<Serial> wanted;
    for (const auto& s : serials) wanted.push_back(test::sn(s));
    wanted.push_back(test::sn("ffff"));
    wanted.push_back(test::sn("eeee"));
    auto many = HPKI_TRY(tx.cert_statuses("rsa-root", wanted));
    std::set<std::string> found;
    for (const auto& c : many) found.insert(c.serial.hex());
    EXPECT_EQ(found, std::set<std::string>(serials.begin(), serials.end()));
    EXPECT_EQ(many.size(), 40u);
    EXPECT_TRUE(HPKI_TRY(tx.cert_statuses("rsa-root", {})).empty());
    return {};
  });

  // Responses: 40 rows upserted (two statements), listed per CA.
  auto response = [](std::string ca, std::string serial, TimePoint tu, Bytes der) {
    return OcspResponseRecord{.ca_id = std::move(ca),
                              .serial = test::sn(serial),
                              .status = "good",
                              .this_update = tu,
                              .next_update = tu + 24h,
                              .der = std::move(der)};
  };
  std::vector<OcspResponseRecord> batch;
  for (const auto& s : serials) batch.push_back(response("rsa-root", s, kT0 + 20s, Bytes{0x01}));
  batch.push_back(response("sm2-root", "a100", kT0 + 20s, Bytes{0x02}));
  run([&](Tx& tx) { return tx.upsert_ocsp_responses(batch); });
  run([&](Tx& tx) -> Result<void> {
    auto rsa = HPKI_TRY(tx.list_ocsp_responses("rsa-root"));
    EXPECT_EQ(rsa.size(), 40u);
    for (const auto& r : rsa) {
      EXPECT_EQ(r.ca_id, "rsa-root");
      EXPECT_EQ(r.status, "good");
      EXPECT_EQ(r.this_update, kT0 + 20s);
      EXPECT_EQ(r.next_update, kT0 + 20s + 24h);
      EXPECT_EQ(r.der, Bytes{0x01});
    }
    auto sm2 = HPKI_TRY(tx.list_ocsp_responses("sm2-root"));
    EXPECT_EQ(sm2.size(), 1u);
    EXPECT_EQ(sm2.at(0).der, Bytes{0x02});
    EXPECT_TRUE(HPKI_TRY(tx.list_ocsp_responses("no-such-ca")).empty());
    return {};
  });
  // A newer response replaces the stored one; an older one (another node's stale work) does
  // not; an empty batch writes nothing.
  run([&](Tx& tx) -> Result<void> {
    auto newer = response("rsa-root", "a101", kT0 + 30s, Bytes{0x03});
    newer.status = "revoked";
    const OcspResponseRecord two[] = {newer, response("rsa-root", "a100", kT0 + 5s, Bytes{0x04})};
    HPKI_TRY(tx.upsert_ocsp_responses(two));
    HPKI_TRY(tx.upsert_ocsp_responses({}));
    return {};
  });
  run([&](Tx& tx) -> Result<void> {
    std::map<std::string, OcspResponseRecord> by_serial;
    for (auto& r : HPKI_TRY(tx.list_ocsp_responses("rsa-root"))) by_serial[r.serial.hex()] = r;
    EXPECT_EQ(by_serial.size(), 40u);
    EXPECT_EQ(by_serial["a101"].status, "revoked");
    EXPECT_EQ(by_serial["a101"].this_update, kT0 + 30s);
    EXPECT_EQ(by_serial["a101"].der, Bytes{0x03});
    EXPECT_EQ(by_serial["a100"].this_update, kT0 + 20s);
    EXPECT_EQ(by_serial["a100"].der, Bytes{0x01});
    return {};
  });
}

TEST_P(StoreTest, DuplicateSerialIsAConflictAndTheTransactionStaysUsable) {
  add_root();
  run([](Tx& tx) -> Result<void> {
    auto other = root_ca("sm2-root");
    other.family = CaFamily::kSm2;
    return tx.insert_ca(other);
  });
  run([](Tx& tx) { return tx.insert_certificate(cert("rsa-root", "01")); });
  run([](Tx& tx) -> Result<void> {
    auto again = tx.insert_certificate(cert("rsa-root", "01"));
    EXPECT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code(), ErrorCode::kConflict);
    // The caller draws another serial in the same transaction.
    HPKI_TRY(tx.insert_certificate(cert("rsa-root", "02")));
    // The same serial under another CA is allowed by the schema.
    HPKI_TRY(tx.insert_certificate(cert("sm2-root", "01")));
    return {};
  });
  run([](Tx& tx) -> Result<void> {
    auto both = HPKI_TRY(tx.find_certificates_by_serial(test::sn("01")));
    EXPECT_EQ(both.size(), 2u);
    EXPECT_EQ(HPKI_TRY(tx.find_certificates_by_serial(test::sn("02"))).size(), 1u);
    EXPECT_EQ(HPKI_TRY(tx.find_certificates_by_serial(test::sn("03"))).size(), 0u);
    // A record without a serial (Serial{}) is refused; a malformed one cannot be written at all
    // (core/serial.h: only canonical hex reaches the store).
    auto no_serial = cert("rsa-root", "01");
    no_serial.serial = Serial{};
    EXPECT_EQ(tx.insert_certificate(no_serial).error().code(), ErrorCode::kInvalidArgument);
    return {};
  });
  auto unknown_ca =
      store_->transact([](Tx& tx) { return tx.insert_certificate(cert("no-such-ca", "05")); });
  ASSERT_FALSE(unknown_ca.has_value());
  EXPECT_EQ(unknown_ca.error().code(), ErrorCode::kConflict);
}

// A serial the store did not write in canonical form (an edited row) is refused when read:
// kStorage naming the column, never a record with a serial no look-up would find.
TEST_P(StoreTest, NonCanonicalStoredSerialIsAStorageError) {
  add_root();
  run([](Tx& tx) { return tx.insert_certificate(cert("rsa-root", "0a1b")); });
  for (const char* edited : {"0A1B", "a1b", "000a1b"}) {
    run([&](Tx& tx) -> Result<void> {
      const Value p[] = {Value{std::string(edited)}};
      HPKI_TRY(store::raw::exec(tx, "UPDATE certificates SET serial = ?", p));
      return {};
    });
    auto got = store_->read_value<std::vector<CertificateRecord>>(
        [](Tx& tx) { return tx.search_certificates({}); });
    ASSERT_FALSE(got) << edited;
    EXPECT_EQ(got.error().code(), ErrorCode::kStorage) << edited;
    EXPECT_NE(got.error().detail().find("certificates.serial"), std::string::npos)
        << got.error().detail();
  }
}

TEST_P(StoreTest, RollbackOnErrorLeavesNothing) {
  add_root();
  auto r = store_->transact([](Tx& tx) -> Result<void> {
    HPKI_TRY(tx.insert_certificate(cert("rsa-root", "77")));
    HPKI_TRY(tx.append_audit({.actor = "a",
                              .action = "issue",
                              .hash_alg = "sha256",
                              .prev_hash = Bytes(32, 0),
                              .hash = Bytes(32, 1)}));
    auto n = HPKI_TRY(tx.next_counter("crl:rsa-root"));
    EXPECT_EQ(n, 1);
    HPKI_TRY(tx.insert_subject({.name = "x"}));
    return fail(ErrorCode::kLintFailed, "lint refused the TBS");
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kLintFailed);
  run([](Tx& tx) -> Result<void> {
    EXPECT_EQ(tx.get_certificate("rsa-root", test::sn("77")).error().code(), ErrorCode::kNotFound);
    EXPECT_FALSE(HPKI_TRY(tx.last_audit()).has_value());
    EXPECT_EQ(HPKI_TRY(tx.list_subjects(std::nullopt, std::nullopt, 10, 0)).size(), 0u);
    EXPECT_EQ(HPKI_TRY(tx.next_counter("crl:rsa-root")), 1);
    return {};
  });
}

TEST_P(StoreTest, TransactValueReturnsTheCommittedValue) {
  auto v = store_->transact_value<std::string>([](Tx& tx) -> Result<std::string> {
    auto n = HPKI_TRY(tx.next_counter("tsa"));
    return "serial-" + std::to_string(n);
  });
  ASSERT_TRUE(v.has_value()) << v.error().to_string();
  EXPECT_EQ(*v, "serial-1");
  EXPECT_EQ(store_->next_counter("tsa").value(), 2);
  EXPECT_EQ(store_->next_counter("other").value(), 1);
}

// The TSA takes a round's serials with one statement and writes its records and tokens with
// few: the values are consecutive, a taken range is never handed out again, and a duplicate or
// unknown serial fails the whole call.
TEST_P(StoreTest, CounterRangesAndTimestampBatches) {
  add_root();
  run([](Tx& tx) -> Result<void> {
    EXPECT_EQ(HPKI_TRY(tx.reserve_counter("tsa.serial", 5)), 1);  // 1..5
    EXPECT_EQ(HPKI_TRY(tx.next_counter("tsa.serial")), 6);
    EXPECT_EQ(HPKI_TRY(tx.reserve_counter("tsa.serial", 40)), 7);  // 7..46
    EXPECT_EQ(HPKI_TRY(tx.next_counter("tsa.serial")), 47);
    EXPECT_EQ(tx.reserve_counter("tsa.serial", 0).error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(tx.reserve_counter("", 1).error().code(), ErrorCode::kInvalidArgument);
    return {};
  });
  auto rec = [](std::int64_t serial) {
    return TimestampRecord{.serial = serial,
                           .tsa_id = "rsa-root",
                           .gen_time = TimePoint(std::chrono::seconds(1'800'000'000 + serial)),
                           .hash_alg = "sha256",
                           .imprint = Bytes(32, static_cast<std::uint8_t>(serial)),
                           .policy = "1.2.3.4",
                           .nonce = std::nullopt,
                           .requester = "t",
                           .token = std::nullopt,
                           .created_at = {},
                           .cert_req = serial % 2 == 0};
  };
  std::vector<TimestampRecord> recs;
  for (std::int64_t s = 1; s <= 45; ++s) recs.push_back(rec(s));  // 32 + 8 + 4 + 1 rows
  run([&](Tx& tx) -> Result<void> { return tx.insert_timestamps(recs); });
  std::vector<Bytes> tokens;
  std::vector<Tx::TimestampToken> batch;
  for (std::int64_t s = 1; s <= 45; ++s) tokens.push_back(Bytes(3, static_cast<std::uint8_t>(s)));
  for (std::int64_t s = 1; s <= 45; ++s)
    batch.push_back({.serial = s, .token = tokens[static_cast<std::size_t>(s - 1)]});
  run([&](Tx& tx) -> Result<void> { return tx.set_timestamp_tokens(batch); });
  run([&](Tx& tx) -> Result<void> {
    for (std::int64_t s : {1, 2, 33, 45}) {
      auto t = HPKI_TRY(tx.get_timestamp(s));
      EXPECT_EQ(t.gen_time, TimePoint(std::chrono::seconds(1'800'000'000 + s)));
      EXPECT_EQ(t.cert_req, s % 2 == 0);
      EXPECT_EQ(t.token, tokens[static_cast<std::size_t>(s - 1)]);
    }
    return {};
  });
  // One serial already recorded: kConflict, and the new ones are not kept either.
  auto dup = store_->transact([&](Tx& tx) -> Result<void> {
    const TimestampRecord two[] = {rec(46), rec(45)};
    return tx.insert_timestamps(two);
  });
  EXPECT_EQ(dup.error().code(), ErrorCode::kConflict);
  // A token for a serial never recorded: kNotFound, and the rest of the transaction is not
  // kept.
  auto unknown = store_->transact([&](Tx& tx) -> Result<void> {
    const Bytes t{9};
    HPKI_TRY(tx.insert_timestamp(rec(60)));
    const Tx::TimestampToken two[] = {{.serial = 60, .token = t}, {.serial = 999, .token = t}};
    return tx.set_timestamp_tokens(two);
  });
  EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
  // A stored token is never replaced.
  auto again = store_->transact([&](Tx& tx) -> Result<void> {
    const Bytes t{9};
    return tx.set_timestamp_token(2, t);
  });
  EXPECT_EQ(again.error().code(), ErrorCode::kConflict);
  run([&](Tx& tx) -> Result<void> {
    EXPECT_EQ(tx.get_timestamp(46).error().code(), ErrorCode::kNotFound);
    EXPECT_EQ(tx.get_timestamp(60).error().code(), ErrorCode::kNotFound);
    EXPECT_EQ(HPKI_TRY(tx.get_timestamp(1)).token, tokens[0]);
    return {};
  });
}

TEST_P(StoreTest, ConcurrentNextCounterIsUniqueAndIncreasing) {
  // Two stores on the same database (two connections, as two processes would have) and
  // several threads on each.
  auto second = reopen();
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  constexpr int kThreads = 6;
  constexpr int kEach = 20;
  std::vector<std::vector<std::int64_t>> got(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Store& s = t % 2 == 0 ? *store_ : **second;
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto v = s.next_counter("crl:rsa-issuing");
        if (!v) {
          errors[static_cast<std::size_t>(t)] = v.error().to_string();
          return;
        }
        got[static_cast<std::size_t>(t)].push_back(*v);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<std::int64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    const auto& g = got[static_cast<std::size_t>(t)];
    EXPECT_EQ(errors[static_cast<std::size_t>(t)], "");
    EXPECT_TRUE(std::is_sorted(g.begin(), g.end()));
    EXPECT_EQ(std::adjacent_find(g.begin(), g.end()), g.end());  // strictly increasing
    all.insert(all.end(), g.begin(), g.end());
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kEach));
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i], static_cast<std::int64_t>(i + 1));
  }
  EXPECT_EQ(store_->next_counter("crl:rsa-issuing").value(), kThreads * kEach + 1);
}

TEST_P(StoreTest, TransientLockFailuresAreRetried) {
  // A holds the write lock (SQLite) / the counter row (PostgreSQL) for a while; B waits only
  // briefly each time, fails transiently, and its transaction is run again until A is done.
  const bool pg = GetParam() == "postgresql";
  auto b_store = reopen({.busy_timeout = std::chrono::milliseconds(20)});
  ASSERT_TRUE(b_store.has_value()) << b_store.error().to_string();
  ASSERT_EQ(store_->next_counter("x").value(), 1);
  std::atomic<bool> a_holds{false};
  std::thread a([&] {
    auto r = store_->transact([&](Tx& tx) -> Result<void> {
      HPKI_TRY(tx.next_counter("x"));
      a_holds = true;
      std::this_thread::sleep_for(100ms);
      return {};
    });
    EXPECT_TRUE(r.has_value());
  });
  while (!a_holds) std::this_thread::sleep_for(1ms);
  int runs = 0;
  auto b = (*b_store)->transact([&](Tx& tx) -> Result<void> {
    ++runs;
    if (pg) HPKI_TRY(store::raw::exec(tx, "SET LOCAL lock_timeout = '20ms'"));
    auto v = HPKI_TRY(tx.next_counter("x"));
    EXPECT_EQ(v, 3);
    return {};
  });
  a.join();
  ASSERT_TRUE(b.has_value()) << b.error().to_string();
  // PostgreSQL fails inside the function, which runs again. SQLite fails at BEGIN IMMEDIATE,
  // before the function; that B still succeeded although it waits 20 ms at a time for a lock
  // held 100 ms shows the retries (the case without retries below fails).
  if (pg) {
    EXPECT_GT(runs, 1);
  } else {
    EXPECT_EQ(runs, 1);
  }

  // Without retries the transient failure surfaces as kUnavailable.
  auto c_store = reopen({.max_retries = 0, .busy_timeout = std::chrono::milliseconds(5)});
  ASSERT_TRUE(c_store.has_value());
  a_holds = false;
  std::thread a2([&] {
    auto r = store_->transact([&](Tx& tx) -> Result<void> {
      HPKI_TRY(tx.next_counter("x"));
      a_holds = true;
      std::this_thread::sleep_for(100ms);
      return {};
    });
    EXPECT_TRUE(r.has_value());
  });
  while (!a_holds) std::this_thread::sleep_for(1ms);
  auto c = (*c_store)->transact([&](Tx& tx) -> Result<void> {
    if (pg) HPKI_TRY(store::raw::exec(tx, "SET LOCAL lock_timeout = '5ms'"));
    HPKI_TRY(tx.next_counter("x"));
    return {};
  });
  a2.join();
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), ErrorCode::kUnavailable) << c.error().to_string();
  EXPECT_EQ(store_->next_counter("x").value(), 5);
}

TEST_P(StoreTest, SearchFiltersAndPaging) {
  add_root();
  run([](Tx& tx) -> Result<void> {
    auto other = root_ca("sm2-issuing");
    other.family = CaFamily::kSm2;
    other.role = CaRole::kIssuing;
    return tx.insert_ca(other);
  });
  // 12 certificates, one per second: serials 10..1b.
  for (int i = 0; i < 12; ++i) {
    clock_.advance(1s);
    run([&](Tx& tx) -> Result<void> {
      char serial[8];
      std::snprintf(serial, sizeof serial, "%02x", 16 + i);
      auto c = cert(i % 3 == 0 ? "sm2-issuing" : "rsa-root", serial);
      c.subject = i % 2 == 0 ? "CN=Li Si " + std::to_string(i) + ",O=First Hospital"
                             : "CN=Wang_Wu%" + std::to_string(i) + ",O=Second Hospital";
      c.org = i % 2 == 0 ? "First Hospital" : "Second Hospital";
      c.dept = i < 6 ? "Cardiology" : "Radiology";
      c.profile = i < 4 ? "tls-server" : "staff-sign";
      c.not_after = kT0 + 24h * (10 * (i + 1));
      HPKI_TRY(tx.insert_certificate(c));
      if (i % 4 == 0) HPKI_TRY(tx.set_status(c.ca_id, c.serial, CertStatus::kHold, std::nullopt));
      if (i == 5) HPKI_TRY(tx.set_status(c.ca_id, c.serial, CertStatus::kRevoked, std::nullopt));
      return {};
    });
  }
  auto serials = [&](const CertificateFilter& f) {
    std::vector<std::string> out;
    auto r = store_->transact([&](Tx& tx) -> Result<void> {
      for (auto& c : HPKI_TRY(tx.search_certificates(f))) out.push_back(c.serial.hex());
      auto n = HPKI_TRY(tx.count_certificates(f));
      if (f.offset == 0 && f.limit >= 12) {
        EXPECT_EQ(n, static_cast<std::int64_t>(out.size()));
      }
      return {};
    });
    EXPECT_TRUE(r.has_value()) << r.error().to_string();
    return out;
  };
  using V = std::vector<std::string>;
  // Newest first.
  EXPECT_EQ(serials({}),
            (V{"1b", "1a", "19", "18", "17", "16", "15", "14", "13", "12", "11", "10"}));
  // Paging.
  EXPECT_EQ(serials({.limit = 5}), (V{"1b", "1a", "19", "18", "17"}));
  EXPECT_EQ(serials({.limit = 5, .offset = 5}), (V{"16", "15", "14", "13", "12"}));
  EXPECT_EQ(serials({.limit = 5, .offset = 10}), (V{"11", "10"}));
  EXPECT_EQ(serials({.limit = 5, .offset = 15}), V{});
  // Serial prefix: any case, colons.
  EXPECT_EQ(serials({.serial_prefix = "1"}).size(), 12u);
  EXPECT_EQ(serials({.serial_prefix = "1A"}), V{"1a"});
  EXPECT_EQ(serials({.serial_prefix = "1:b"}), V{"1b"});
  EXPECT_EQ(serials({.serial_prefix = "2"}), V{});
  // Subject substring, ASCII case-insensitive, wildcards literal.
  EXPECT_EQ(serials({.subject_contains = "li si"}), (V{"1a", "18", "16", "14", "12", "10"}));
  EXPECT_EQ(serials({.subject_contains = "wang_wu%1"}), (V{"1b", "11"}));  // %1 and %11
  EXPECT_EQ(serials({.subject_contains = "wang%"}), V{});
  // Organization, department, profile, CA.
  EXPECT_EQ(serials({.org = "Second Hospital", .dept = "Cardiology"}), (V{"15", "13", "11"}));
  EXPECT_EQ(serials({.profile = "tls-server"}), (V{"13", "12", "11", "10"}));
  EXPECT_EQ(serials({.ca_id = "sm2-issuing"}), (V{"19", "16", "13", "10"}));
  // Status.
  EXPECT_EQ(serials({.statuses = {CertStatus::kHold}}), (V{"18", "14", "10"}));
  EXPECT_EQ(serials({.statuses = {CertStatus::kRevoked, CertStatus::kHold}}),
            (V{"18", "15", "14", "10"}));
  // Expiring within 35 days of kT0 + 10 days: not_after in [T0+10d, T0+45d] -> i = 0..3.
  EXPECT_EQ(serials({.not_after_from = kT0 + 24h * 10, .not_after_to = kT0 + 24h * 45}),
            (V{"13", "12", "11", "10"}));
  // Combined.
  EXPECT_EQ(serials({.serial_prefix = "1",
                     .org = "First Hospital",
                     .statuses = {CertStatus::kIssued},
                     .not_after_from = kT0 + 24h * 50}),
            (V{"1a", "16"}));
  // Bad filters.
  run([](Tx& tx) -> Result<void> {
    EXPECT_EQ(tx.search_certificates({.serial_prefix = "xyz"}).error().code(),
              ErrorCode::kInvalidArgument);
    EXPECT_EQ(tx.search_certificates({.limit = 0}).error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(tx.search_certificates({.offset = -1}).error().code(), ErrorCode::kInvalidArgument);
    return {};
  });
}

TEST_P(StoreTest, AuditAppendReadAndCheckpoints) {
  run([&](Tx& tx) -> Result<void> {
    EXPECT_FALSE(HPKI_TRY(tx.lock_audit_tail()).has_value());
    for (int i = 0; i < 5; ++i) {
      AuditRecord e{.at = kT0 + std::chrono::seconds(i),
                    .actor = "ra:alice",
                    .action = "cert.issue",
                    .object = "serial:" + std::to_string(i),
                    .outcome = "ok",
                    .details = R"({"n":)" + std::to_string(i) + "}",
                    .hash_alg = i % 2 == 0 ? "sha256" : "sm3",
                    .prev_hash = Bytes(32, static_cast<std::uint8_t>(i)),
                    .hash = Bytes(32, static_cast<std::uint8_t>(i + 1))};
      EXPECT_EQ(HPKI_TRY(tx.append_audit(e)), i + 1);
    }
    return {};
  });
  run([&](Tx& tx) -> Result<void> {
    auto tail = HPKI_TRY(tx.lock_audit_tail());
    EXPECT_TRUE(tail.has_value());
    EXPECT_EQ(tail->seq, 5);
    EXPECT_EQ(tail->hash, Bytes(32, 5));
    auto all = HPKI_TRY(tx.read_audit(1, 100));
    EXPECT_EQ(all.size(), 5u);
    for (std::size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i + 1));
      EXPECT_EQ(all[i].object, "serial:" + std::to_string(i));
      EXPECT_EQ(all[i].at, kT0 + std::chrono::seconds(i));
      EXPECT_EQ(all[i].prev_hash, Bytes(32, static_cast<std::uint8_t>(i)));
    }
    EXPECT_EQ(all[1].hash_alg, "sm3");
    EXPECT_EQ(all[2].details, R"({"n":2})");
    auto mid = HPKI_TRY(tx.read_audit(3, 2));
    EXPECT_EQ(mid.size(), 2u);
    EXPECT_EQ(mid.at(0).seq, 3);
    EXPECT_EQ(mid.at(1).seq, 4);
    // Explicit seqs: must be after the last one.
    EXPECT_EQ(tx.append_audit({.seq = 3, .hash_alg = "sha256"}).error().code(),
              ErrorCode::kInvalidArgument);
    EXPECT_EQ(HPKI_TRY(tx.append_audit({.seq = 10, .hash_alg = "sha256"})), 10);
    EXPECT_EQ(HPKI_TRY(tx.append_audit({.hash_alg = "sha256"})), 11);
    // Empty hashes stay empty blobs, not NULL.
    EXPECT_EQ(HPKI_TRY(tx.last_audit())->prev_hash, Bytes{});
    HPKI_TRY(tx.insert_checkpoint({.seq = 5,
                                   .tree_size = 5,
                                   .root_hash = Bytes(32, 9),
                                   .signature = Bytes{1, 2, 3},
                                   .key_ref = "file:audit",
                                   .signed_at = kT0 + 60s}));
    HPKI_TRY(tx.insert_checkpoint({.seq = 11,
                                   .tree_size = 7,
                                   .root_hash = Bytes(32, 8),
                                   .signature = Bytes{4},
                                   .key_ref = "file:audit",
                                   .signed_at = kT0 + 120s}));
    EXPECT_EQ(tx.insert_checkpoint({.seq = 5}).error().code(), ErrorCode::kConflict);
    auto cps = HPKI_TRY(tx.list_checkpoints());
    EXPECT_EQ(cps.size(), 2u);
    EXPECT_EQ(cps.at(0).seq, 5);
    EXPECT_EQ(cps.at(0).root_hash, Bytes(32, 9));
    EXPECT_EQ(cps.at(1).tree_size, 7);
    EXPECT_EQ(cps.at(1).signed_at, kT0 + 120s);
    return {};
  });
}

TEST_P(StoreTest, ConcurrentAuditAppendsFormOneChain) {
  // Appenders on two connections: each links to the tail it saw under the lock, so the
  // resulting chain has no fork and no gap.
  auto second = reopen();
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    Store& s = t % 2 == 0 ? *store_ : **second;
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto r = s.transact([&](Tx& tx) -> Result<void> {
          auto tail = HPKI_TRY(tx.lock_audit_tail());
          const std::int64_t prev = tail ? tail->seq : 0;
          Bytes prev_hash = tail ? tail->hash : Bytes{};
          Bytes hash = to_bytes("h" + std::to_string(prev + 1));
          HPKI_TRY(tx.append_audit({.seq = prev + 1,
                                    .actor = "t" + std::to_string(t),
                                    .hash_alg = "sha256",
                                    .prev_hash = prev_hash,
                                    .hash = hash}));
          return {};
        });
        if (!r) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  run([](Tx& tx) -> Result<void> {
    auto all = HPKI_TRY(tx.read_audit(1, 1000));
    EXPECT_EQ(all.size(), 40u);
    for (std::size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i + 1));
      EXPECT_EQ(all[i].hash, to_bytes("h" + std::to_string(i + 1)));
      if (i > 0) {
        EXPECT_EQ(all[i].prev_hash, all[i - 1].hash);
      }
    }
    return {};
  });
}

TEST_P(StoreTest, AuditEntriesOfOneTransactionAreWrittenTogetherAtCommit) {
  // append_audit defers the INSERT (one multi-row statement per flush); reads in the same
  // transaction see every appended entry, a failed transaction leaves none of them.
  auto entry = [](int i) {
    return AuditRecord{.at = kT0 + std::chrono::seconds(i),
                       .actor = "ra:" + std::to_string(i),
                       .action = "cert.issue",
                       .object = "serial:" + std::to_string(i),
                       .outcome = "success",
                       .details = "{}",
                       .hash_alg = "sha256",
                       .prev_hash = Bytes(32, static_cast<std::uint8_t>(i)),
                       .hash = Bytes(32, static_cast<std::uint8_t>(i + 1))};
  };
  run([&](Tx& tx) -> Result<void> {
    for (int i = 0; i < 45; ++i) EXPECT_EQ(HPKI_TRY(tx.append_audit(entry(i))), i + 1);
    EXPECT_EQ(HPKI_TRY(tx.last_audit())->seq, 45);  // 32 + 8 + 4 + 1 rows written here
    for (int i = 45; i < 52; ++i) EXPECT_EQ(HPKI_TRY(tx.append_audit(entry(i))), i + 1);
    return {};  // the last 7 at commit
  });
  auto failed = store_->transact([&](Tx& tx) -> Result<void> {
    for (int i = 52; i < 60; ++i) HPKI_TRY(tx.append_audit(entry(i)));
    return fail(ErrorCode::kPolicyRefused, "changed my mind");
  });
  EXPECT_EQ(failed.error().code(), ErrorCode::kPolicyRefused);
  run([&](Tx& tx) -> Result<void> {
    auto all = HPKI_TRY(tx.read_audit(1, 1000));
    EXPECT_EQ(all.size(), 52u);
    for (std::size_t i = 0; i < all.size(); ++i) {
      const auto want = entry(static_cast<int>(i));
      EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i + 1));
      EXPECT_EQ(all[i].actor, want.actor);
      EXPECT_EQ(all[i].object, want.object);
      EXPECT_EQ(all[i].at, want.at);
      EXPECT_EQ(all[i].prev_hash, want.prev_hash);
      EXPECT_EQ(all[i].hash, want.hash);
    }
    EXPECT_EQ(HPKI_TRY(tx.append_audit(entry(52))), 53);
    return {};
  });
  run([](Tx& tx) -> Result<void> {
    EXPECT_EQ(HPKI_TRY(tx.last_audit())->seq, 53);
    return {};
  });
}

TEST_P(StoreTest, ManyRowsInFewStatements) {
  run([](Tx& tx) -> Result<void> {
    HPKI_TRY(store::raw::exec(tx, "CREATE TABLE rows_t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"));
    std::vector<Value> values;
    for (std::int64_t k = 1; k <= 45; ++k) {  // statements of 32, 8, 4 and 1 rows
      values.emplace_back(k);
      values.emplace_back("v" + std::to_string(k));
    }
    EXPECT_EQ(HPKI_TRY(store::raw::exec_rows(tx, "INSERT INTO rows_t (k, v)", 2, values)), 45);
    // The tail applies to every statement: a conflict is skipped, not an error.
    const Value again[] = {Value{std::int64_t{3}}, Value{std::string("x")}, Value{std::int64_t{46}},
                           Value{std::string("v46")}};
    EXPECT_EQ(HPKI_TRY(store::raw::exec_rows(tx, "INSERT INTO rows_t (k, v)", 2, again,
                                             "ON CONFLICT DO NOTHING")),
              1);
    EXPECT_EQ(store::raw::exec_rows(tx, "INSERT INTO rows_t (k, v)", 2, std::span(again).first(3))
                  .error()
                  .code(),
              ErrorCode::kInvalidArgument);
    EXPECT_EQ(HPKI_TRY(store::raw::exec_rows(tx, "INSERT INTO rows_t (k, v)", 2, {})), 0);
    // Look-ups by many keys: every match of every part, none for keys not there.
    std::vector<Value> keys;
    for (std::int64_t k = 0; k <= 50; k += 2) keys.emplace_back(k);
    const Value prefix[] = {Value{std::string("v%")}};
    auto rows = HPKI_TRY(store::raw::query_in(tx, "SELECT k FROM rows_t WHERE v LIKE ? AND k IN",
                                              prefix, keys, "ORDER BY k"));
    EXPECT_EQ(rows.size(), 23u);  // 2, 4, ..., 46
    std::set<std::int64_t> got;
    for (const auto& r : rows) got.insert(std::get<std::int64_t>(r.at(0)));
    EXPECT_EQ(got.size(), 23u);
    EXPECT_EQ(*got.begin(), 2);
    EXPECT_EQ(*got.rbegin(), 46);
    EXPECT_TRUE(HPKI_TRY(store::raw::query_in(tx, "SELECT k FROM rows_t WHERE v LIKE ? AND k IN",
                                              prefix, {}))
                    .empty());
    return {};
  });
}

TEST_P(StoreTest, RawExecCanTamperWithAuditRows) {
  run([](Tx& tx) -> Result<void> {
    for (int i = 0; i < 4; ++i) {
      HPKI_TRY(tx.append_audit({.actor = "alice",
                                .action = "a" + std::to_string(i),
                                .hash_alg = "sha256",
                                .prev_hash = Bytes{1},
                                .hash = Bytes{static_cast<std::uint8_t>(i)}}));
    }
    return {};
  });
  run([](Tx& tx) -> Result<void> {
    // Edit.
    const Value edit[] = {Value{std::string("mallory")}, Value{std::int64_t{2}}};
    EXPECT_EQ(HPKI_TRY(store::raw::exec(tx, "UPDATE audit_log SET actor = ? WHERE seq = ?", edit)),
              1);
    // Delete.
    EXPECT_EQ(HPKI_TRY(store::raw::exec(tx, "DELETE FROM audit_log WHERE seq = 3")), 1);
    // Insert.
    const Value ins[] = {Value{std::int64_t{7}}, Value{Bytes{0xee, 0x00}}};
    EXPECT_EQ(
        HPKI_TRY(store::raw::exec(tx,
                                  "INSERT INTO audit_log (seq, at, actor, action, object, outcome, "
                                  "details, hash_alg, prev_hash, hash) VALUES (?, 0, 'eve', 'x', "
                                  "'', 'ok', '{}', 'sha256', ?, ?)",
                                  std::vector<Value>{ins[0], ins[1], ins[1]})),
        1);
    // Reorder: swap the contents of seq 1 and 4 (through a free seq).
    HPKI_TRY(store::raw::exec(
        tx,
        "UPDATE audit_log SET seq = 100 WHERE seq = 1; UPDATE audit_log SET seq = 1 WHERE seq = "
        "4; UPDATE audit_log SET seq = 4 WHERE seq = 100;"));
    return {};
  });
  run([](Tx& tx) -> Result<void> {
    auto all = HPKI_TRY(tx.read_audit(0, 100));
    std::vector<std::string> seen;
    for (auto& e : all) seen.push_back(std::to_string(e.seq) + e.actor + e.action);
    EXPECT_EQ(seen, (std::vector<std::string>{"1alicea3", "2mallorya1", "4alicea0", "7evex"}));
    EXPECT_EQ(all.back().hash, (Bytes{0xee, 0x00}));
    auto rows =
        HPKI_TRY(store::raw::query(tx,
                                   "SELECT seq, actor, hash FROM audit_log WHERE seq >= ? ORDER "
                                   "BY seq",
                                   std::vector<Value>{Value{std::int64_t{4}}}));
    EXPECT_EQ(rows.size(), 2u);
    EXPECT_EQ(std::get<std::int64_t>(rows.at(0).at(0)), 4);
    EXPECT_EQ(std::get<std::string>(rows.at(1).at(1)), "eve");
    EXPECT_EQ(std::get<Bytes>(rows.at(1).at(2)), (Bytes{0xee, 0x00}));
    return {};
  });
  // A row whose column no longer decodes is an error, not a crash.
  run([](Tx& tx) -> Result<void> {
    auto id = HPKI_TRY(tx.insert_subject({.name = "x", .dns = {"a.example"}}));
    const Value p[] = {Value{id}};
    EXPECT_EQ(
        HPKI_TRY(store::raw::exec(tx, "UPDATE subjects SET dns = 'not json' WHERE id = ?", p)), 1);
    auto broken = tx.get_subject(id);
    EXPECT_FALSE(broken.has_value());
    if (!broken) {
      EXPECT_EQ(broken.error().code(), ErrorCode::kStorage);
    }
    return {};
  });
  // A bad statement is an error.
  auto bad = store_->transact([](Tx& tx) -> Result<void> {
    HPKI_TRY(store::raw::exec(tx, "UPDATE no_such_table SET x = 1"));
    return {};
  });
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kStorage) << bad.error().to_string();
}

// The issuance pipeline's certificate with a new subject record (one round trip on
// PostgreSQL): the certificate references the subject; a taken serial is kConflict and leaves
// no subject behind, in a transaction that stays usable.
TEST_P(StoreTest, CertificateWithANewSubject) {
  add_root();
  run([&](Tx& tx) -> Result<void> {
    CertificateRecord c = cert("rsa-root", "0abc");
    c.request = Bytes{1, 2, 3};
    const SubjectRecord subj{.kind = SubjectKind::kStaff,
                             .name = "李四",
                             .org = "示例医院",
                             .dept = "儿科",
                             .dns = {"a.example"},
                             .staff_no = "E7"};
    const std::int64_t id = HPKI_TRY(tx.insert_certificate_with_subject(c, subj));
    auto got = HPKI_TRY(tx.get_certificate("rsa-root", test::sn("0abc")));
    EXPECT_EQ(got.status, CertStatus::kIssued);
    EXPECT_EQ(got.subject_id, id);
    EXPECT_EQ(got.der, c.der);
    EXPECT_EQ(got.request, c.request);
    EXPECT_EQ(got.not_after, c.not_after);
    auto stored = HPKI_TRY(tx.get_subject(id));
    EXPECT_EQ(stored.name, "李四");
    EXPECT_EQ(stored.dns, std::vector<std::string>{"a.example"});
    EXPECT_EQ(stored.staff_no, "E7");
    EXPECT_FALSE(stored.id_number_hash.has_value());
    const auto before = HPKI_TRY(tx.list_subjects(std::nullopt, std::nullopt, 100, 0)).size();
    auto again = tx.insert_certificate_with_subject(c, subj);
    EXPECT_EQ(again ? ErrorCode::kInternal : again.error().code(), ErrorCode::kConflict);
    EXPECT_EQ(HPKI_TRY(tx.list_subjects(std::nullopt, std::nullopt, 100, 0)).size(), before);
    // Still usable: another serial.
    c.serial = test::sn("0abd");
    EXPECT_NE(HPKI_TRY(tx.insert_certificate_with_subject(c, subj)), id);
    return {};
  });
}

TEST_P(StoreTest, SubjectsCrudAndIdentifierLookup) {
  add_root();
  const Bytes hash1(32, 0x11), hash2(32, 0x22);
  std::int64_t id1 = 0, id2 = 0;
  run([&](Tx& tx) -> Result<void> {
    id1 = HPKI_TRY(tx.insert_subject({.kind = SubjectKind::kStaff,
                                      .name = "张三",
                                      .org = "First Hospital",
                                      .dept = "Cardiology",
                                      .province = "Shanghai",
                                      .city = "Shanghai",
                                      .email = "zhang@h1.example",
                                      .dns = {"a.example", "quote\"and\\slash"},
                                      .id_number_enc = Bytes{9, 9, 9},
                                      .id_number_hash = hash1,
                                      .staff_no = "S001",
                                      .licence_no = "L-77"}));
    id2 = HPKI_TRY(tx.insert_subject({.kind = SubjectKind::kOrganization,
                                      .name = "First Hospital",
                                      .org = "First Hospital",
                                      .org_code = "91310000MA1234567X"}));
    EXPECT_NE(id1, id2);
    EXPECT_EQ(tx.insert_subject({.name = "dup", .org = "First Hospital", .id_number_hash = hash1})
                  .error()
                  .code(),
              ErrorCode::kConflict);
    // Issue 16: the same person in another organization is a record of its own.
    EXPECT_TRUE(
        tx.insert_subject({.name = "张三", .org = "Second Hospital", .id_number_hash = hash1}));
    return {};
  });
  run([&](Tx& tx) -> Result<void> {
    auto s = HPKI_TRY(tx.get_subject(id1));
    EXPECT_EQ(s.name, "张三");
    EXPECT_EQ(s.kind, SubjectKind::kStaff);
    EXPECT_EQ(s.dns, (std::vector<std::string>{"a.example", "quote\"and\\slash"}));
    EXPECT_EQ(s.id_number_enc, (Bytes{9, 9, 9}));
    EXPECT_EQ(s.staff_no, "S001");
    EXPECT_EQ(s.created_at, kT0);
    auto found = HPKI_TRY(tx.find_subject_by_id_hash("First Hospital", hash1));
    EXPECT_TRUE(found.has_value());
    EXPECT_EQ(found->id, id1);
    auto other = HPKI_TRY(tx.find_subject_by_id_hash("Second Hospital", hash1));
    EXPECT_NE(other.value_or(SubjectRecord{.id = id1}).id, id1);
    EXPECT_FALSE(HPKI_TRY(tx.find_subject_by_id_hash("Third Hospital", hash1)).has_value());
    EXPECT_FALSE(HPKI_TRY(tx.find_subject_by_id_hash("First Hospital", hash2)).has_value());
    auto org = HPKI_TRY(tx.get_subject(id2));
    EXPECT_EQ(org.org_code, "91310000MA1234567X");
    EXPECT_FALSE(org.id_number_hash.has_value());
    // Update, including moving the identifier.
    s.dept = "Radiology";
    s.dns.clear();
    s.id_number_hash = hash2;
    HPKI_TRY(tx.update_subject(s));
    auto moved = HPKI_TRY(tx.find_subject_by_id_hash("First Hospital", hash2));
    EXPECT_TRUE(moved.has_value());
    EXPECT_EQ(moved->dept, "Radiology");
    EXPECT_TRUE(moved->dns.empty());
    EXPECT_EQ(tx.update_subject({.id = 9999, .name = "x"}).error().code(), ErrorCode::kNotFound);
    // Lists.
    EXPECT_EQ(HPKI_TRY(tx.list_subjects(std::nullopt, std::nullopt, 10, 0)).size(), 3u);
    EXPECT_EQ(HPKI_TRY(tx.list_subjects(SubjectKind::kOrganization, std::nullopt, 10, 0)).size(),
              1u);
    EXPECT_EQ(HPKI_TRY(tx.list_subjects(std::nullopt, "Other", 10, 0)).size(), 0u);
    EXPECT_EQ(HPKI_TRY(tx.list_subjects(std::nullopt, std::nullopt, 1, 1)).at(0).id, id2);
    // A certificate built from the record; search by identifier goes through subject_id.
    auto c = cert("rsa-root", "5a");
    c.subject_id = id1;
    HPKI_TRY(tx.insert_certificate(c));
    auto by_id = HPKI_TRY(tx.search_certificates({.subject_id = moved->id}));
    EXPECT_EQ(by_id.size(), 1u);
    auto by_hash = HPKI_TRY(tx.search_certificates({.subject_id_number_hash = hash2}));
    EXPECT_EQ(by_hash.size(), 1u);
    EXPECT_TRUE(HPKI_TRY(tx.search_certificates({.subject_id_number_hash = hash1})).empty());
    EXPECT_EQ(tx.delete_subject(id1).error().code(), ErrorCode::kConflict);
    HPKI_TRY(tx.delete_subject(id2));
    EXPECT_EQ(tx.get_subject(id2).error().code(), ErrorCode::kNotFound);
    EXPECT_EQ(tx.delete_subject(id2).error().code(), ErrorCode::kNotFound);
    return {};
  });
}

TEST_P(StoreTest, KeyRefsAndApiKeys) {
  run([&](Tx& tx) -> Result<void> {
    HPKI_TRY(tx.insert_key_ref(
        {.id = "k2", .store_kind = "pkcs11", .label = "rsa-root", .key_type = "rsa-4096"}));
    HPKI_TRY(tx.insert_key_ref(
        {.id = "k1", .store_kind = "file", .label = "sm2-root", .key_type = "sm2"}));
    EXPECT_EQ(tx.insert_key_ref({.id = "k1"}).error().code(), ErrorCode::kConflict);
    auto k = HPKI_TRY(tx.get_key_ref("k2"));
    EXPECT_EQ(k.store_kind, "pkcs11");
    EXPECT_EQ(k.key_type, "rsa-4096");
    EXPECT_EQ(tx.get_key_ref("k3").error().code(), ErrorCode::kNotFound);
    auto all = HPKI_TRY(tx.list_key_refs());
    EXPECT_EQ(all.size(), 2u);
    EXPECT_EQ(all.at(0).id, "k1");

    HPKI_TRY(tx.insert_api_key({.id = "key-1", .hash = Bytes(32, 7), .role = "ra", .org = "h1"}));
    EXPECT_EQ(tx.insert_api_key({.id = "key-2", .hash = Bytes(32, 7), .role = "ra"}).error().code(),
              ErrorCode::kConflict);
    auto found = HPKI_TRY(tx.find_api_key_by_hash(Bytes(32, 7)));
    EXPECT_TRUE(found.has_value());
    EXPECT_EQ(found->role, "ra");
    EXPECT_FALSE(found->revoked_at.has_value());
    HPKI_TRY(tx.revoke_api_key("key-1", kT0 + 1h));
    EXPECT_EQ(HPKI_TRY(tx.find_api_key_by_hash(Bytes(32, 7)))->revoked_at, kT0 + 1h);
    EXPECT_EQ(tx.revoke_api_key("key-1", kT0).error().code(), ErrorCode::kNotFound);
    EXPECT_FALSE(HPKI_TRY(tx.find_api_key_by_hash(Bytes(32, 8))).has_value());
    // Listing: every row, revoked ones included, by created_at then id, hash and all.
    HPKI_TRY(tx.insert_api_key({.id = "key-0", .hash = Bytes(32, 9), .role = "auditor"}));
    auto keys = HPKI_TRY(tx.list_api_keys());
    EXPECT_EQ(keys.size(), 2u);
    if (keys.size() != 2) return {};
    EXPECT_EQ(keys[0].id, "key-0");
    EXPECT_EQ(keys[0].hash, Bytes(32, 9));
    EXPECT_EQ(keys[0].org, "");
    EXPECT_FALSE(keys[0].revoked_at.has_value());
    EXPECT_EQ(keys[1].id, "key-1");
    EXPECT_EQ(keys[1].org, "h1");
    EXPECT_EQ(keys[1].revoked_at, kT0 + 1h);
    return {};
  });
}

TEST_P(StoreTest, CrlsStoredLatestFirstAndPruned) {
  add_root();
  auto crl = [](std::int64_t number, bool delta) {
    CrlRecord c;
    c.name = delta ? "rsa-root-delta" : "rsa-root";
    c.crl_number = number;
    c.ca_id = "rsa-root";
    c.delta = delta;
    if (delta) c.base_crl_number = number - 1;
    c.this_update = kT0;
    c.next_update = kT0 + 24h;
    c.entries = number;
    c.der = Bytes(static_cast<std::size_t>(number), 0x30);
    return c;
  };
  run([](Tx& tx) -> Result<void> {
    EXPECT_FALSE(HPKI_TRY(tx.latest_crl("rsa-root", true)).has_value());
    return {};
  });
  run([&](Tx& tx) -> Result<void> {
    for (std::int64_t n : {1, 3, 2}) HPKI_TRY(tx.insert_crl(crl(n, false)));
    HPKI_TRY(tx.insert_crl(crl(4, true)));
    return {};
  });
  run([&](Tx& tx) -> Result<void> {
    EXPECT_EQ(tx.insert_crl(crl(3, false)).error().code(), ErrorCode::kConflict);
    return {};
  });
  auto orphan = store_->transact([&](Tx& tx) -> Result<void> {
    auto c = crl(1, false);
    c.ca_id = "nope";
    c.name = "nope";
    return tx.insert_crl(c);
  });
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code(), ErrorCode::kConflict);  // foreign key
  run([&](Tx& tx) -> Result<void> {
    auto head = HPKI_TRY(tx.latest_crl("rsa-root", false)).value();
    EXPECT_EQ(head.crl_number, 3);
    EXPECT_TRUE(head.der.empty());
    EXPECT_FALSE(head.delta);
    EXPECT_EQ(head.next_update, kT0 + 24h);
    auto full = HPKI_TRY(tx.latest_crl("rsa-root", true)).value();
    EXPECT_EQ(full.der.size(), 3u);
    auto delta = HPKI_TRY(tx.latest_crl("rsa-root-delta", true)).value();
    EXPECT_TRUE(delta.delta);
    EXPECT_EQ(delta.base_crl_number, 3);
    EXPECT_EQ(HPKI_TRY(tx.prune_crls("rsa-root", 2)), 1);
    EXPECT_EQ(HPKI_TRY(tx.prune_crls("rsa-root", 2)), 0);
    EXPECT_EQ(tx.prune_crls("rsa-root", 0).error().code(), ErrorCode::kInvalidArgument);
    auto rows = HPKI_TRY(
        store::raw::query(tx, "SELECT MIN(crl_number) FROM crls WHERE name = 'rsa-root'", {}));
    EXPECT_EQ(std::get<std::int64_t>(rows.at(0).at(0)), 2);
    return {};
  });
}

TEST_P(StoreTest, DialectMatchesTheUrl) {
  EXPECT_EQ(store_->dialect(), GetParam() == "sqlite" ? Dialect::kSqlite : Dialect::kPostgres);
}

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

TEST_P(StoreTest, RepeatedStatementsSurviveSchemaChangesAndErrors) {
  // The same SQL text over and over (SQLite keeps it prepared), across a schema change, a
  // constraint error and a rolled-back transaction: every run sees the current state.
  run([](Tx& tx) -> Result<void> {
    HPKI_TRY(store::raw::exec(tx, "CREATE TABLE stmt_cache_t (k INTEGER PRIMARY KEY, v TEXT)", {}));
    return {};
  });
  const std::string_view insert = "INSERT INTO stmt_cache_t (k, v) VALUES (?, ?)";
  const std::string_view select = "SELECT * FROM stmt_cache_t ORDER BY k";
  for (std::int64_t k = 1; k <= 3; ++k) {
    run([&](Tx& tx) -> Result<void> {
      const Value p[] = {Value{k}, Value{std::string("v") + std::to_string(k)}};
      HPKI_TRY(store::raw::exec(tx, insert, p));
      return {};
    });
  }
  auto dup = store_->transact([&](Tx& tx) -> Result<void> {
    const Value p[] = {Value{std::int64_t{2}}, Value{std::string("again")}};
    HPKI_TRY(store::raw::exec(tx, insert, p));
    return {};
  });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), ErrorCode::kConflict);
  auto rolled_back = store_->transact([&](Tx& tx) -> Result<void> {
    const Value p[] = {Value{std::int64_t{9}}, Value{std::string("gone")}};
    HPKI_TRY(store::raw::exec(tx, insert, p));
    return fail(ErrorCode::kInternal, "abort");
  });
  ASSERT_FALSE(rolled_back);
  run([](Tx& tx) -> Result<void> {
    HPKI_TRY(store::raw::exec(tx, "ALTER TABLE stmt_cache_t ADD COLUMN w INTEGER DEFAULT 7", {}));
    return {};
  });
  std::vector<Row> rows;
  run([&](Tx& tx) -> Result<void> {
    rows = HPKI_TRY(store::raw::query(tx, select, {}));
    return {};
  });
  ASSERT_EQ(rows.size(), 3u);
  ASSERT_EQ(rows[0].size(), 3u);  // the new column is there
  EXPECT_EQ(std::get<std::string>(rows[1][1]), "v2");
  EXPECT_EQ(std::get<std::int64_t>(rows[2][2]), 7);
  // A read on a reader connection after all this sees the same.
  auto n = store_->read_value<std::size_t>([&](Tx& tx) -> Result<std::size_t> {
    return HPKI_TRY(store::raw::query(tx, select, {})).size();
  });
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(*n, 3u);
}

TEST_P(StoreTest, ReadOnlyTransactionsSeeCommittedDataAndRefuseWrites) {
  add_root();
  auto ca = store_->read_value<CaRecord>([](Tx& tx) { return tx.get_ca("rsa-root"); });
  ASSERT_TRUE(ca) << ca.error().to_string();
  EXPECT_EQ(ca->subject, "CN=Root");
  // A commit after a read is visible to the next read (no stale pooled snapshot).
  run([](Tx& tx) { return tx.insert_ca(root_ca("rsa-root-2")); });
  auto n = store_->read_value<std::size_t>(
      [](Tx& tx) -> Result<std::size_t> { return HPKI_TRY(tx.list_cas()).size(); });
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(*n, 2u);
  if (GetParam() == "sqlite") {
    auto w = store_->read([](Tx& tx) { return tx.insert_ca(root_ca("rsa-root-3")); });
    EXPECT_FALSE(w) << "a write in a read-only transaction must fail on SQLite";
  }
  // Readers run while another thread holds the writer (SQLite: not blocked by its mutex).
  std::atomic<bool> in_write{false};
  std::atomic<bool> release{false};
  std::thread writer([&] {
    (void)store_->transact([&](Tx& tx) -> Result<void> {
      HPKI_TRY(tx.next_counter("w"));
      in_write = true;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return {};
    });
  });
  while (!in_write) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto during = store_->read_value<CaRecord>([](Tx& tx) { return tx.get_ca("rsa-root"); });
  release = true;
  writer.join();
  EXPECT_TRUE(during) << during.error().to_string();
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

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

}  // namespace
}  // namespace hpki::store

namespace hpki::store {
namespace {

using test::TestDb;

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
                                   .key_ref = "file:rsa-root",
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
