// `hpki verify cert` through the real binary ($HPKI_BIN): the CLI contract of issue 8 (exit 0
// valid, 1 invalid, 2 usage or input; --json reports) on NIST PKITS and Tongsuo SM2 files. The
// validation itself: tests/unit/x509/path_test.cpp and the suites.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/test_util.h"

namespace hpki::cli {
namespace {

const std::string kSm = std::string(HPKI_SOURCE_DIR) + "/tests/vectors/sm2-certs";
const std::string kPkits = std::string(HPKI_SOURCE_DIR) + "/tests/vectors/pkits";

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
}  // namespace hpki::cli
