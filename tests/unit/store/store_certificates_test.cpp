// Certificates and revocations: issuance, status changes, duplicates, stored serials, search.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <vector>

#include "tests/unit/store/store_fixture.h"

namespace hpki::store {
namespace {

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

}  // namespace
}  // namespace hpki::store
