// CAs, key references and API keys.
#include <gtest/gtest.h>

#include <functional>
#include <string>

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
    EXPECT_EQ(c.key_ref, test::key_id("file:rsa-root"));
    EXPECT_EQ(c.created_at, kT0 + 10s);
    auto all = HPKI_TRY(tx.list_cas());
    EXPECT_EQ(all.size(), 2u);
    EXPECT_EQ(all.at(0).id, "rsa-root");
    EXPECT_FALSE(all.at(0).parent_id.has_value());
    EXPECT_EQ(tx.get_ca("nope").error().code(), ErrorCode::kNotFound);
    EXPECT_EQ(tx.insert_ca(root_ca()).error().code(), ErrorCode::kConflict);
    auto keyless = root_ca("keyless");
    keyless.key_ref = {};
    EXPECT_EQ(tx.insert_ca(keyless).error().code(), ErrorCode::kInvalidArgument);
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
    const KeyId k1 = test::key_id("file:sm2-root");
    const KeyId k2 = test::key_id("pkcs11:rsa-root");
    HPKI_TRY(tx.insert_key_ref(
        {.id = k2, .store_kind = "pkcs11", .label = "rsa-root", .key_type = "rsa-4096"}));
    HPKI_TRY(tx.insert_key_ref(
        {.id = k1, .store_kind = "file", .label = "sm2-root", .key_type = "sm2"}));
    EXPECT_EQ(tx.insert_key_ref({.id = k1}).error().code(), ErrorCode::kConflict);
    EXPECT_EQ(tx.insert_key_ref({}).error().code(), ErrorCode::kInvalidArgument);
    auto k = HPKI_TRY(tx.get_key_ref(k2));
    EXPECT_EQ(k.id, k2);
    EXPECT_EQ(k.store_kind, "pkcs11");
    EXPECT_EQ(k.key_type, "rsa-4096");
    EXPECT_EQ(tx.get_key_ref(test::key_id("file:k3")).error().code(), ErrorCode::kNotFound);
    auto all = HPKI_TRY(tx.list_key_refs());
    EXPECT_EQ(all.size(), 2u);
    EXPECT_EQ(all.at(0).id, k1);

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

// A key id the store did not write (an edited row: an unknown scheme, an empty name, a control
// character) is refused when read: kStorage naming the column, for every column that holds one.
TEST_P(StoreTest, MalformedStoredKeyIdIsAStorageError) {
  add_root();
  run([](Tx& tx) -> Result<void> {
    HPKI_TRY(tx.insert_key_ref({.id = test::key_id("file:rsa-root"),
                                .store_kind = "file",
                                .label = "rsa-root",
                                .key_type = "rsa-4096"}));
    HPKI_TRY(tx.append_audit({.hash_alg = "sha256"}));
    return tx.insert_checkpoint({.seq = 1,
                                 .tree_size = 1,
                                 .root_hash = Bytes(32, 9),
                                 .signature = Bytes{1},
                                 .key_ref = test::key_id("file:audit"),
                                 .signed_at = kT0});
  });
  struct Case {
    const char* update;  // sets the column to ?
    const char* column;
    std::function<Result<void>(Tx&)> read;
  };
  const Case cases[] = {
      {"UPDATE cas SET key_ref = ?", "cas.key_ref",
       [](Tx& tx) -> Result<void> {
         HPKI_TRY(tx.get_ca("rsa-root"));
         return {};
       }},
      {"UPDATE key_refs SET id = ?", "key_refs.id",
       [](Tx& tx) -> Result<void> {
         HPKI_TRY(tx.list_key_refs());
         return {};
       }},
      {"UPDATE audit_checkpoints SET key_ref = ?", "audit_checkpoints.key_ref",
       [](Tx& tx) -> Result<void> {
         HPKI_TRY(tx.list_checkpoints());
         return {};
       }},
  };
  for (const Case& c : cases) {
    for (const char* edited : {"hsm:rsa-root", "rsa-root", "file:", "pkcs11:a\nb", ""}) {
      run([&](Tx& tx) -> Result<void> {
        const Value p[] = {Value{std::string(edited)}};
        HPKI_TRY(store::raw::exec(tx, c.update, p));
        return {};
      });
      auto got = store_->read(c.read);
      ASSERT_FALSE(got) << c.column << " = " << edited;
      EXPECT_EQ(got.error().code(), ErrorCode::kStorage) << c.column << " = " << edited;
      EXPECT_NE(got.error().detail().find(c.column), std::string::npos) << got.error().detail();
    }
  }
}

}  // namespace
}  // namespace hpki::store
