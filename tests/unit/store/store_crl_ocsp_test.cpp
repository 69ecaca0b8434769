// CRLs, the OCSP responder's status reads and stored responses.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "tests/unit/store/store_fixture.h"

namespace hpki::store {
namespace {

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

}  // namespace
}  // namespace hpki::store
