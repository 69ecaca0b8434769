// CAs, key references and API keys.
#include <gtest/gtest.h>

#include "tests/unit/store/store_fixture.h"

namespace hpki::store {
namespace {

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

}  // namespace
}  // namespace hpki::store
