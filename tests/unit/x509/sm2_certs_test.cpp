// Real third-party SM2 certificates (Tongsuo test/certs/sm2, tests/vectors/sm2-certs): each
// parses, and each signature verifies against its issuer with the GM/T 0009 standard ID and
// fails with any other ID (the empty ID is refused outright by hpki's crypto layer).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "der/oids.h"
#include "tests/support/test_util.h"
#include "x509/certificate.h"

namespace hpki::x509 {
namespace {

const std::filesystem::path kDir =
    std::filesystem::path(HPKI_SOURCE_DIR) / "tests/vectors/sm2-certs";

CertificatePtr load_one(const std::string& name) {
  auto c = Certificate::parse_any(test::read_file((kDir / name).string()));
  EXPECT_TRUE(c) << name << ": " << c.error().to_string();
  return c ? *c : nullptr;
}

TEST(Sm2Certs, TongsuoCertificatesParseAndVerifyWithTheStandardId) {
  auto chain = Certificate::parse_all(test::read_file((kDir / "chain-ca.crt").string()));
  ASSERT_TRUE(chain) << chain.error().to_string();
  ASSERT_EQ(chain->size(), 2u);
  const Certificate& root = *(*chain)[0];
  const Certificate& sub = *(*chain)[1];
  EXPECT_TRUE(root.is_self_issued());
  EXPECT_EQ(root.signature_algorithm().oid, der::oids::kSm2WithSm3);
  EXPECT_EQ(root.key_spec().value().type, crypto::KeyType::kSm2);
  EXPECT_TRUE(verify_certificate_signature(root, root.spki_der()));
  EXPECT_TRUE(verify_certificate_signature(sub, root.spki_der()));
  EXPECT_FALSE(verify_certificate_signature(sub, root.spki_der(), ""));
  auto other = verify_certificate_signature(sub, root.spki_der(), "1234567812345679");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code(), ErrorCode::kBadSignature);
  // A leaf does not verify under the root's key.
  auto leaf0 = load_one("server_sign.crt");
  ASSERT_TRUE(leaf0);
  EXPECT_FALSE(verify_certificate_signature(*leaf0, root.spki_der()));

  // Every leaf listed in expected.tsv (the signatures of the expired ones are good too).
  std::ifstream tsv(kDir / "expected.tsv");
  std::string line;
  std::getline(tsv, line);
  int leaves = 0;
  while (std::getline(tsv, line)) {
    if (line.empty()) continue;
    const std::string name = line.substr(0, line.find('\t'));
    auto leaf = load_one(name);
    ASSERT_TRUE(leaf);
    EXPECT_EQ(leaf->signature_algorithm().oid, der::oids::kSm2WithSm3) << name;
    EXPECT_EQ(leaf->key_spec().value().type, crypto::KeyType::kSm2) << name;
    EXPECT_TRUE(names_match(leaf->issuer(), sub.subject())) << name;
    auto ok = verify_certificate_signature(*leaf, sub.spki_der());
    EXPECT_TRUE(ok) << name << ": " << (ok ? "" : ok.error().to_string());
    EXPECT_FALSE(verify_certificate_signature(*leaf, sub.spki_der(), "")) << name;
    auto wrong = verify_certificate_signature(*leaf, sub.spki_der(), "1234567812345679");
    ASSERT_FALSE(wrong) << name;
    EXPECT_EQ(wrong.error().code(), ErrorCode::kBadSignature) << name;
    // parse_all on a single-certificate file gives the same certificate.
    auto all = Certificate::parse_all(test::read_file((kDir / name).string()));
    ASSERT_TRUE(all) << name;
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0]->der(), leaf->der());
    ++leaves;
  }
  EXPECT_EQ(leaves, 7);
}

}  // namespace
}  // namespace hpki::x509
