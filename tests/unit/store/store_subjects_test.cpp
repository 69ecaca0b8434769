// Subject records.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/unit/store/store_fixture.h"

namespace hpki::store {
namespace {

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

}  // namespace
}  // namespace hpki::store
