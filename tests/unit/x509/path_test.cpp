// Path validation beyond the suites: SM2 chains (third-party Tongsuo certificates and hpki's
// own, with CRLs), the SM2 distinguishing ID at every level, the legacy-RSA opt-in, the bounded
// policy tree, RFC 6125 name matching. Bundles: bundle_test.cpp; the `hpki verify cert` CLI
// contract: tests/unit/cli/verify_test.cpp.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/clock.h"
#include "core/pem.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_util.h"
#include "x509/bundle.h"
#include "x509/crl.h"
#include "x509/path.h"
#include "x509/revocation.h"

namespace hpki::x509 {
namespace {

const std::string kSm = std::string(HPKI_SOURCE_DIR) + "/tests/vectors/sm2-certs";
const std::string kPkits = std::string(HPKI_SOURCE_DIR) + "/tests/vectors/pkits";

std::vector<CertificatePtr> load(const std::string& path) {
  return parse_certificate_bundle(test::read_file(path)).value();
}

// tests/vectors/sm2-certs/expected.tsv: real SM2 certificates (root -> sub ca
// -> leaves), SM2-with-SM3 with the standard ID on every level.
TEST(PathSm2, TongsuoCertificatesAsExpected) {
  std::ifstream in(kSm + "/expected.tsv");
  ASSERT_TRUE(in);
  std::string line;
  std::getline(in, line);
  const auto chain = load(kSm + "/chain-ca.crt");
  ASSERT_EQ(chain.size(), 2u);
  int rows = 0;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string leaf, path, when, expected;
    std::getline(f, leaf, '\t');
    std::getline(f, path, '\t');
    std::getline(f, when, '\t');
    std::getline(f, expected, '\t');
    const auto target = load(kSm + "/" + leaf).front();
    PathOptions o{.at = parse_rfc3339(when).value()};
    const PathReport r = validate_path(target, {chain[1]}, {chain[0]}, o);
    EXPECT_EQ(r.valid, expected == "valid") << leaf << "\n" << path_report_text(r);
    if (expected != "valid") {
      EXPECT_EQ(r.status, diag::kNotAfterPassed) << leaf;
    }
    EXPECT_EQ(r.chain.size(), 3u) << leaf;
    // Another distinguishing ID must fail at the first SM2 signature (the ID is used at every
    // level, not only for the leaf).
    o.sm2_id = "another-id";
    const PathReport wrong = validate_path(target, {chain[1]}, {chain[0]}, o);
    EXPECT_FALSE(wrong.valid) << leaf;
    EXPECT_EQ(wrong.status, diag::kSignatureInvalid) << leaf;
    ++rows;
  }
  EXPECT_EQ(rows, 7);
}

// hpki's own SM2 hierarchy with SM2-signed CRLs: revocation found at the right level, CRL
// signatures checked with the standard ID.
TEST(PathSm2, CrlsSignedWithSm2) {
  const crypto::KeySpec sm2{crypto::KeyType::kSm2, 0};
  auto root = testca::make_ca(sm2, "sm2-root", nullptr);
  auto issuing = testca::make_ca(sm2, "sm2-issuing", &root);
  auto leaf = testca::issue_leaf(issuing, sm2, "ward.example.org");
  auto crl_of = [&](const testca::Ca& ca, std::vector<RevokedEntry> revoked) {
    CrlTemplate t;
    t.issuer = ca.cert->subject();
    t.authority_key_id = ca.info.subject_key_id;
    t.this_update = testca::now() - std::chrono::minutes(5);
    t.next_update = testca::now() + std::chrono::hours(24);
    t.crl_number = {0x01};
    t.revoked = std::move(revoked);
    return Crl::parse(build_crl(t, *ca.signer).value()).value();
  };
  const auto root_crl = crl_of(root, {});
  PathOptions o{.at = testca::now()};
  {
    CrlRevocationSource src({root_crl, crl_of(issuing, {})}, {issuing.cert, root.cert});
    o.revocation = &src;
    const PathReport r = validate_path(leaf, {issuing.cert}, {root.cert}, o);
    EXPECT_TRUE(r.valid) << path_report_text(r);
    EXPECT_EQ(r.chain[0].revocation, RevocationStatus::kGood);
    EXPECT_EQ(r.chain[1].revocation, RevocationStatus::kGood);
    // The CRL signatures too use the distinguishing ID.
    PathOptions other = o;
    other.sm2_id = "another-id";
    EXPECT_FALSE(validate_path(leaf, {issuing.cert}, {root.cert}, other).valid);
  }
  {
    RevokedEntry e{leaf->serial(),
                   testca::now() - std::chrono::minutes(1),
                   RevocationReason::kKeyCompromise,
                   std::nullopt,
                   {}};
    CrlRevocationSource src({root_crl, crl_of(issuing, {e})}, {issuing.cert, root.cert});
    o.revocation = &src;
    const PathReport r = validate_path(leaf, {issuing.cert}, {root.cert}, o);
    EXPECT_FALSE(r.valid);
    EXPECT_EQ(r.status, diag::kRevoked) << path_report_text(r);
    EXPECT_EQ(r.chain[0].revocation, RevocationStatus::kRevoked);
  }
  {
    // Sources combined (as OCSP + CRLs will be): the first definitive answer wins.
    CrlRevocationSource empty({}, {});
    CrlRevocationSource crls({root_crl, crl_of(issuing, {})}, {issuing.cert, root.cert});
    CombinedRevocationSource combined({&empty, &crls});
    o.revocation = &combined;
    EXPECT_TRUE(validate_path(leaf, {issuing.cert}, {root.cert}, o).valid);
    CombinedRevocationSource only_empty({&empty});
    o.revocation = &only_empty;
    EXPECT_EQ(validate_path(leaf, {issuing.cert}, {root.cert}, o).status, diag::kRevocationUnknown);
  }
  {
    // RFC 5280 6.3.3: no CRL for the issuing CA's certificate -> status unknown -> invalid.
    CrlRevocationSource src({crl_of(issuing, {})}, {issuing.cert, root.cert});
    o.revocation = &src;
    const PathReport r = validate_path(leaf, {issuing.cert}, {root.cert}, o);
    EXPECT_EQ(r.status, diag::kRevocationUnknown) << path_report_text(r);
  }
}

// crypto::VerifyPolicy: 1024-bit RSA is refused by default and accepted only on request.
TEST(PathLegacyRsa, OptInOnly) {
  test::TempDir dir;
  const std::string d = dir.path().string();
  auto sh = test::run(
      "(cd " + d +
      " && openssl req -x509 -newkey rsa:1024 -nodes -keyout ca.key -out ca.pem -days 30 "
      "-subj /CN=legacy-root -addext basicConstraints=critical,CA:TRUE "
      "-addext keyUsage=critical,keyCertSign,cRLSign"
      " && openssl req -newkey rsa:2048 -nodes -keyout ee.key -out ee.csr -subj /CN=ee"
      " && printf 'authorityKeyIdentifier=keyid\\nsubjectAltName=DNS:ee.example\\n' > ext"
      " && openssl x509 -req -in ee.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out ee.pem "
      "-days 10 -extfile ext)");
  ASSERT_EQ(sh.exit_code, 0) << sh.output;
  const auto ca = load(d + "/ca.pem").front();
  const auto ee = load(d + "/ee.pem").front();
  PathOptions o{.at = testca::now()};
  PathReport r = validate_path(ee, {}, {ca}, o);
  EXPECT_FALSE(r.valid);
  // RFC 5280 6.1.3 (a)(1): an issuer key hpki does not support (rule unsupported_algorithm).
  EXPECT_EQ(r.status, diag::kUnsupportedAlgorithm) << path_report_text(r);
  o.key_policy.allow_legacy_rsa_insecure = true;
  r = validate_path(ee, {}, {ca}, o);
  EXPECT_TRUE(r.valid) << path_report_text(r);
}

// RFC 5280 6.1.3 (d) / 6.1.4 (b): policies x mappings make the valid_policy_tree grow
// multiplicatively per level (OpenSSL CVE-2023-0464). Two CAs mapping 45 policies each onto all
// 45 would need ~91,000 nodes at the leaf; the tree is bounded and the path refused.
TEST(PathPolicy, TreeSizeIsBounded) {
  test::TempDir dir;
  const std::string d = dir.path().string();
  std::string policies, mappings;
  for (int i = 1; i <= 45; ++i) {
    policies += (i > 1 ? ", " : "") + std::string("1.2.3.") + std::to_string(i);
    for (int j = 1; j <= 45; ++j) {
      mappings += (mappings.empty() ? "" : ", ") + std::string("1.2.3.") + std::to_string(i) +
                  ":1.2.3." + std::to_string(j);
    }
  }
  test::write_file(d + "/ca.ext",
                   "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                   "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
                   "certificatePolicies=" +
                       policies + "\npolicyMappings=critical," + mappings + "\n");
  test::write_file(d + "/ee.ext",
                   "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
                   "certificatePolicies=" +
                       policies + "\nsubjectAltName=DNS:ee.example\n");
  const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  auto sh = test::run(
      "(cd " + d + " && openssl req -x509" + key +
      " -keyout root.key -out root.pem -days 30 -subj /CN=root"
      " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
      " && openssl req" +
      key +
      " -keyout ca1.key -out ca1.csr -subj /CN=ca1"
      " && openssl req" +
      key +
      " -keyout ca2.key -out ca2.csr -subj /CN=ca2"
      " && openssl req" +
      key +
      " -keyout ee.key -out ee.csr -subj /CN=ee"
      " && openssl x509 -req -in ca1.csr -CA root.pem -CAkey root.key -CAcreateserial -out ca1.pem"
      " -days 10 -extfile ca.ext"
      " && openssl x509 -req -in ca2.csr -CA ca1.pem -CAkey ca1.key -CAcreateserial -out ca2.pem"
      " -days 10 -extfile ca.ext"
      " && openssl x509 -req -in ee.csr -CA ca2.pem -CAkey ca2.key -CAcreateserial -out ee.pem"
      " -days 10 -extfile ee.ext)");
  ASSERT_EQ(sh.exit_code, 0) << sh.output;
  PathOptions o{.at = testca::now()};
  const PathReport r = validate_path(load(d + "/ee.pem").front(),
                                     {load(d + "/ca1.pem").front(), load(d + "/ca2.pem").front()},
                                     {load(d + "/root.pem").front()}, o);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.status, diag::kPolicyTreeTooLarge) << path_report_text(r);
}

// RFC 6125 6.4.3 / CA/B Forum BR 7.1.2.7.12.
TEST(PathNames, DnsWildcards) {
  EXPECT_TRUE(dns_name_matches("www.example.org", "WWW.Example.org"));
  EXPECT_TRUE(dns_name_matches("*.example.org", "ward.example.org"));
  EXPECT_FALSE(dns_name_matches("*.example.org", "a.ward.example.org"));
  EXPECT_FALSE(dns_name_matches("*.example.org", "example.org"));
  EXPECT_FALSE(dns_name_matches("w*.example.org", "ward.example.org"));
  EXPECT_FALSE(dns_name_matches("*.org", "example.org"));
  EXPECT_FALSE(dns_name_matches("*.*.example.org", "a.b.example.org"));
}
}  // namespace
}  // namespace hpki::x509
