// Hierarchy creation (ca/hierarchy.cpp, `hpki ca init`, issue 4) on SQLite and PostgreSQL: the
// RSA and SM2 hierarchies (root, issuing CA, the OCSP responder and TSA it designates), each CA
// certificate verified under its parent (SM2 with the standard ID); an existing home is never
// overwritten and a wrong passphrase fails clearly.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "ca/runtime.h"
#include "der/oids.h"
#include "tests/support/ca_fixture.h"
#include "x509/certificate.h"

namespace hpki::ca {
namespace {

class HierarchyTest : public test::CaFixture {};

TEST_P(HierarchyTest, InitCreatesBothHierarchiesAndRefusesToOverwrite) {
  auto cas = rt_->ca().list_cas().value();
  std::set<std::string> ids;
  for (const auto& c : cas) ids.insert(c.id);
  EXPECT_EQ(ids, (std::set<std::string>{"rsa-root", "rsa-issuing", "rsa-ocsp", "rsa-tsa",
                                        "sm2-root", "sm2-issuing", "sm2-ocsp", "sm2-tsa"}));
  // Each CA certificate verifies under its parent, SM2 with the standard ID.
  std::map<std::string, store::CaRecord> by_id;
  for (const auto& c : cas) by_id[c.id] = c;
  for (const auto& c : cas) {
    auto cert = x509::Certificate::parse(c.certificate).value();
    const auto& parent = c.parent_id ? by_id.at(*c.parent_id) : c;
    auto pcert = x509::Certificate::parse(parent.certificate).value();
    EXPECT_TRUE(x509::verify_certificate_signature(*cert, pcert->spki_der())) << c.id;
  }
  auto tsa = x509::Certificate::parse(by_id.at("sm2-tsa").certificate).value();
  EXPECT_TRUE(tsa->find_extension(der::oids::kExtKeyUsage)->critical);
  auto ocsp = x509::Certificate::parse(by_id.at("rsa-ocsp").certificate).value();
  EXPECT_NE(ocsp->find_extension(der::oids::kOcspNoCheck), nullptr);
  // Re-running init on the same home is refused, and nothing is overwritten.
  auto before = test::read_file((home() / "hpki.toml").string());
  auto again = Runtime::init(home(), {}, {}, SecretBytes(std::string_view("another passphrase")),
                             std::filesystem::path(HPKI_SOURCE_DIR) / "profiles");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(test::read_file((home() / "hpki.toml").string()), before);
  // Reopening with a wrong passphrase fails clearly.
  auto wrong =
      Runtime::open(home(), {.passphrase = SecretBytes(std::string_view("wrong passphrase"))});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::kBadPassphrase);
}

INSTANTIATE_TEST_SUITE_P(Backends, HierarchyTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::ca
