// Subject records and personal data (ca/subjects.cpp, ca/pii.cpp; issues 4 and 16) on SQLite
// and PostgreSQL: identity numbers encrypted in the database, masked when shown and searchable
// exactly; certificate search; one subject record per organization for the same identity
// number.
#include <gtest/gtest.h>

#include "ca/runtime.h"
#include "store/detail/raw.h"
#include "tests/support/ca_fixture.h"

namespace hpki::ca {
namespace {

using store::CertStatus;

class SubjectsTest : public test::CaFixture {};

TEST_P(SubjectsTest, PersonalDataIsEncryptedMaskedAndSearchable) {
  auto a = issue_csr("sm2").value();
  x509::SubjectData other = staff("11010519491231002X");
  other.common_name = "李四";
  other.department = "儿科";
  auto b = issue_csr("rsa", "staff-sign", other).value();
  auto view = rt_->ca().show(a.serial).value();
  EXPECT_EQ(view.identifiers_masked.at("id_number"), "310***********1234");
  // The clear identifier is nowhere in the database rows.
  auto rows =
      rt_->store()
          .transact_value<std::vector<store::raw::Row>>([](store::Tx& tx) {
            return store::raw::query(tx, "SELECT id_number_enc, id_number_hash FROM subjects");
          })
          .value();
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    for (const auto& v : row) {
      if (const auto* bytes = std::get_if<Bytes>(&v)) {
        EXPECT_EQ(as_string(*bytes).find("310101199001011234"), std::string_view::npos);
      }
    }
  }
  // Exact lookup by identifier (case-insensitive X), by name, department, status, serial.
  EXPECT_EQ(rt_->ca().search({}, "11010519491231002x").value().size(), 1u);
  EXPECT_EQ(rt_->ca().search({}, "000000000000000000").value().size(), 0u);
  store::CertificateFilter f;
  f.subject_contains = "李四";
  auto found = rt_->ca().search(f).value();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found.front().serial, b.serial);
  f = {};
  f.dept = "心内科";
  found = rt_->ca().search(f).value();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found.front().serial, a.serial);
  f = {};
  f.serial_prefix = a.serial.hex().substr(0, 6);
  EXPECT_EQ(rt_->ca().search(f).value().size(), 1u);
  ASSERT_TRUE(rt_->ca().revoke(b.serial, x509::RevocationReason::kAffiliationChanged, std::nullopt,
                               hpki::test::admin("t")));
  f = {};
  f.statuses = {CertStatus::kRevoked};
  f.profile = "staff-sign";
  EXPECT_EQ(rt_->ca().search(f).value().size(), 1u);
  f = {};
  f.profile = "staff-sign";
  f.not_after_from = rt_->clock().now();
  f.not_after_to = rt_->clock().now() + std::chrono::days(800);
  EXPECT_EQ(rt_->ca().search(f).value().size(), 2u);
  f.not_after_to = rt_->clock().now() + std::chrono::days(100);
  EXPECT_EQ(rt_->ca().search(f).value().size(), 0u);
}

// The same identity number in two organizations is two subject records: issuing for the second
// organization neither overwrites nor reveals the first one's record.
TEST_P(SubjectsTest, SubjectsAreKeptPerOrganization) {
  for (const std::string alg : {"rsa", "sm2"}) {
    SCOPED_TRACE(alg);
    const std::string id = alg == "rsa" ? "11010519491231002X" : "310101199001011234";
    auto a = issue_csr(alg, "staff-sign", staff(id)).value();
    x509::SubjectData other = staff(id);
    other.organization = "其他医院";
    other.common_name = "冒名者";
    IssueRequest r;
    r.requester = {"api-key:b", "ra_officer"};
    r.profile = "staff-sign";
    r.csr = csr(alg, "/C=CN/O=其他医院/CN=冒名者");
    r.subject.data = other;
    auto b = rt_->ca().issue(r).value();
    const auto rec_a = rt_->ca().show(a.serial).value().record;
    const auto rec_b = rt_->ca().show(b.serial).value().record;
    ASSERT_TRUE(rec_a.subject_id && rec_b.subject_id);
    EXPECT_NE(*rec_a.subject_id, *rec_b.subject_id);
    const auto subject_a = rt_->ca().get_subject(*rec_a.subject_id).value();
    EXPECT_EQ(subject_a.record.org, "示例医院");
    EXPECT_EQ(subject_a.record.name, "张三");
    // A search by identity number within one organization finds only its certificates.
    store::CertificateFilter f;
    f.org = "其他医院";
    auto found = rt_->ca().search(f, id).value();
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].serial, b.serial);
    f.org = "示例医院";
    found = rt_->ca().search(f, id).value();
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].serial, a.serial);
    // Within one organization the record is still found and updated, not duplicated.
    auto a2 = issue_csr(alg, "staff-sign", staff(id)).value();
    EXPECT_EQ(rt_->ca().show(a2.serial).value().record.subject_id, rec_a.subject_id);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SubjectsTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::ca
