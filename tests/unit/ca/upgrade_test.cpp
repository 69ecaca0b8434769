// The upgrade to schema 7 (ca/upgrade.h, issue 17) on SQLite and PostgreSQL: a schema-6
// database with a reservation a crash left (status issuing, no DER) opens through
// open_home_database with the reservation recorded as never delivered, revoked and audited in
// the migration's transaction, the audit chain still verifying; opened by the store alone it is
// refused with the reason and left at version 6. (A whole home made by the previous version:
// tests/integration/upgrade.sh.)
#include <gtest/gtest.h>

#include "audit/audit_log.h"
#include "ca/upgrade.h"
#include "core/clock.h"
#include "store/detail/raw.h"
#include "store/migrations.h"
#include "tests/support/ca_fixture.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace hpki::ca {
namespace {

using store::raw::Value;

class UpgradeTest : public ::testing::TestWithParam<std::string> {
 protected:
  // A schema-6 database: a CA, one issued certificate (with its audit entry) and two
  // reservations left by crashes, one of organization 示例医院.
  void make_schema6() {
    auto v6 = store::open_store(db_.url(), clock_, {.target_schema_version = 6});
    ASSERT_TRUE(v6) << v6.error().to_string();
    auto log = audit::AuditLog::create(crypto::HashAlg::kSm3, clock_).value();
    auto r = (*v6)->transact([&](store::Tx& tx) -> Result<void> {
      const Value der[] = {Value{Bytes{0x30, 0x00}}};
      HPKI_TRY(store::raw::exec(tx,
                                "INSERT INTO cas (id, family, role, key_ref, certificate, subject, "
                                "created_at) VALUES ('sm2-issuing', 'sm2', 'issuing', 'file:k', ?, "
                                "'CN=I', 1800000000)",
                                der));
      const char* row =
          "INSERT INTO certificates (ca_id, serial, subject, org, profile, status, not_before, "
          "not_after, der, tbs_hash, key_type, requested_by, created_at, updated_at) VALUES "
          "('sm2-issuing', ?, 'CN=x', ?, 'staff-sign', ?, 1800000000, 1900000000, ?, ?, 'sm2', "
          "'ra', 1800000000, 1800000000)";
      const Value issued[] = {Value{std::string("0a01")}, Value{std::string("示例医院")},
                              Value{std::string("issued")}, Value{Bytes{0x30, 0x00}},
                              Value{Bytes(32, 1)}};
      HPKI_TRY(store::raw::exec(tx, row, issued));
      HPKI_TRY(log.append(tx, {.actor = "ra",
                               .action = std::string(audit::action::kCertIssue),
                               .object = "sm2-issuing/0a01",
                               .outcome = std::string(audit::outcome::kSuccess),
                               .details = "{}",
                               .org = "示例医院"}));
      for (const char* serial : {"0a02", "0a03"}) {
        const Value reserved[] = {Value{std::string(serial)}, Value{std::string("示例医院")},
                                  Value{std::string("issuing")}, Value{}, Value{Bytes(32, 0xab)}};
        HPKI_TRY(store::raw::exec(tx, row, reserved));
      }
      return {};
    });
    ASSERT_TRUE(r) << r.error().to_string();
  }

  HomeConfig home() const {
    HomeConfig h;
    h.database_url = db_.url();
    h.audit_hash = crypto::HashAlg::kSm3;
    return h;
  }

  FixedClock clock_{TimePoint(std::chrono::seconds(1'800'000'100))};
  test::TestDb db_{GetParam()};
};

TEST_P(UpgradeTest, ReservationsOfAnOlderVersionBecomeNeverDeliveredRevokedAndAudited) {
  ASSERT_EQ(db_.error(), "");
  make_schema6();
  auto opened = open_home_database(home(), clock_);
  ASSERT_TRUE(opened) << opened.error().to_string();
  EXPECT_EQ(opened->never_delivered, 2);
  auto& s = *opened->store;
  EXPECT_EQ(s.schema_version().value(), store::latest_schema_version());  // 7, then the later steps
  auto r = s.read([&](store::Tx& tx) -> Result<void> {
    EXPECT_EQ(HPKI_TRY(tx.get_certificate("sm2-issuing", test::sn("0a01"))).status,
              store::CertStatus::kIssued);
    for (const char* serial : {"0a02", "0a03"}) {
      auto c = HPKI_TRY(tx.get_certificate("sm2-issuing", test::sn(serial)));
      EXPECT_EQ(c.status, store::CertStatus::kNeverDelivered);
      EXPECT_FALSE(c.der.has_value());
      auto rev = HPKI_TRY(tx.find_revocation("sm2-issuing", test::sn(serial)));
      EXPECT_TRUE(rev.has_value());
      if (rev) {
        EXPECT_EQ(rev->revoked_at, clock_.now());
      }
    }
    return {};
  });
  ASSERT_TRUE(r) << r.error().to_string();
  // The column only the old order needed is gone.
  EXPECT_FALSE(s.read([](store::Tx& tx) -> Result<void> {
    HPKI_TRY(store::raw::query(tx, "SELECT tbs_hash FROM certificates", {}));
    return {};
  }));
  auto log = audit::AuditLog::create(crypto::HashAlg::kSm3, clock_).value();
  auto entries = log.list(s, 1, 100).value();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[1].action, audit::action::kCertNeverDelivered);
  EXPECT_EQ(entries[1].object, "sm2-issuing/0a02");
  EXPECT_EQ(entries[1].org, "示例医院");
  std::string tbs_hash_hex;  // the TBS hash it would have signed: ab...ab
  for (int i = 0; i < 32; ++i) tbs_hash_hex += "ab";
  EXPECT_NE(entries[1].details.find(tbs_hash_hex), std::string::npos) << entries[1].details;
  EXPECT_EQ(entries[2].object, "sm2-issuing/0a03");
  auto report = log.verify(s).value();
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.entries_checked, 3);
  // Opened again: nothing left to do.
  opened->store.reset();
  auto again = open_home_database(home(), clock_);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->never_delivered, 0);
}

TEST_P(UpgradeTest, TheStoreAloneRefusesToDropReservationsAndChangesNothing) {
  ASSERT_EQ(db_.error(), "");
  make_schema6();
  auto bare = store::open_store(db_.url(), clock_);
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().code(), ErrorCode::kBadState);
  EXPECT_NE(bare.error().to_string().find("schema migration 7: 2 certificate reservations"),
            std::string::npos)
      << bare.error().to_string();
  auto v6 = store::open_store(db_.url(), clock_, {.target_schema_version = 6});
  ASSERT_TRUE(v6) << v6.error().to_string();
  EXPECT_EQ((*v6)->schema_version().value(), 6);
  auto n = (*v6)->read_value<std::int64_t>([](store::Tx& tx) -> Result<std::int64_t> {
    auto rows = HPKI_TRY(
        store::raw::query(tx, "SELECT COUNT(*) FROM certificates WHERE status = 'issuing'", {}));
    return std::get<std::int64_t>(rows.at(0).at(0));
  });
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(*n, 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, UpgradeTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::ca
