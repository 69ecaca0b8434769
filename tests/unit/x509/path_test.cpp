// Path validation beyond the suites: SM2 chains (third-party Tongsuo certificates and hpki's
// own, with CRLs), the SM2 distinguishing ID at every level, the legacy-RSA opt-in, bundles,
// RFC 6125 name matching, and the `hpki verify cert` CLI contract.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
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
  EXPECT_EQ(r.status, diag::kSignatureInvalid) << path_report_text(r);
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

TEST(PathBundle, PemDerAndConcatenatedDer) {
  const auto pem_two = test::read_file(kSm + "/chain-ca.crt");
  auto two = parse_certificate_bundle(pem_two);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->size(), 2u);
  Bytes der = (*two)[0]->der();
  der.insert(der.end(), (*two)[1]->der().begin(), (*two)[1]->der().end());
  auto again = parse_certificate_bundle(der);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->size(), 2u);
  EXPECT_EQ((*again)[1]->der(), (*two)[1]->der());
  der.push_back(0x30);  // truncated third item
  EXPECT_FALSE(parse_certificate_bundle(der));
  EXPECT_EQ(parse_certificate_bundle(as_bytes("-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n"))
                .error()
                .code(),
            ErrorCode::kUnexpectedType);
  auto crls = parse_crl_bundle(test::read_file(kPkits + "/crls/GoodCACRL.crl"));
  ASSERT_TRUE(crls);
  EXPECT_EQ(crls->size(), 1u);
  EXPECT_FALSE(parse_crl_bundle(pem_two));  // certificates are not CRLs
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

// The CLI contract of issue 8 on PKITS files (exit 0 valid, 1 invalid, 2 usage or input).
TEST(VerifyCertCli, Contract) {
  const char* bin = std::getenv("HPKI_BIN");
  ASSERT_NE(bin, nullptr);
  const std::string c = kPkits + "/certs/", l = kPkits + "/crls/";
  const std::string base = std::string(bin) + " verify cert ";
  const std::string anchor = " --trust " + c + "TrustAnchorRootCertificate.crt";
  const std::string at = " --at 2011-04-15T12:00:00Z";
  // 4.1.1 valid, with CRLs, JSON report.
  auto r = test::run(base + c + "ValidCertificatePathTest1EE.crt --intermediate " + c +
                     "GoodCACert.crt" + anchor + " --crl " + l + "TrustAnchorRootCRL.crl --crl " +
                     l + "GoodCACRL.crl" + at + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_TRUE(j["valid"]);
  EXPECT_EQ(j["chain"].size(), 3u);
  EXPECT_EQ(j["chain"][0]["revocation"], "good");
  // 4.4.10-like: revoked EE (4.4.3 Invalid Revoked EE Test3).
  r = test::run(base + c + "InvalidRevokedEETest3EE.crt --intermediate " + c + "GoodCACert.crt" +
                anchor + " --crl " + l + "TrustAnchorRootCRL.crl --crl " + l + "GoodCACRL.crl" +
                at);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("revoked"), std::string::npos) << r.output;
  // 4.2.7 expired EE.
  r = test::run(base + c + "Invalidpre2000UTCEEnotAfterDateTest7EE.crt --intermediate " + c +
                "GoodCACert.crt" + anchor + at + " --json");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["status"], "not_after_passed");
  // 4.10.1 with an initial policy set and require explicit policy.
  r = test::run(base + c + "ValidPolicyMappingTest1EE.crt --intermediate " + c +
                "Mapping1to2CACert.crt" + anchor + at +
                " --policy 2.16.840.1.101.3.2.1.48.2 --require-explicit-policy");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // Usage and input errors.
  EXPECT_EQ(test::run(base + c + "GoodCACert.crt").exit_code, 2);  // no --trust
  EXPECT_EQ(test::run(base + "/nonexistent" + anchor).exit_code, 2);
  EXPECT_EQ(test::run(base + c + "GoodCACert.crt" + anchor + " --at yesterday").exit_code, 2);
  EXPECT_EQ(
      test::run(base + c + "GoodCACert.crt" + anchor + " --dns-name a --ip 1.2.3.4").exit_code, 2);
  EXPECT_EQ(test::run(base + l + "GoodCACRL.crl" + anchor).exit_code, 2);  // not a certificate
  // Identity: the SM2 leaf carries no such DNS name.
  r = test::run(base + kSm + "/server_sign.crt --intermediate " + kSm + "/chain-ca.crt --trust " +
                kSm + "/chain-ca.crt --at 2026-01-01T00:00:00Z --dns-name nowhere.example");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("name_mismatch"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace hpki::x509
