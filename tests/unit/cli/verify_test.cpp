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

// `hpki verify cert` on the PKITS files: the command, the folders, the anchor, the time.
struct Pkits {
  explicit Pkits(const char* bin) : base(std::string(bin) + " verify cert ") {}
  std::string certs = kPkits + "/certs/", crls = kPkits + "/crls/";
  std::string base;
  std::string anchor = " --trust " + certs + "TrustAnchorRootCertificate.crt";
  std::string at = " --at 2011-04-15T12:00:00Z";
};

// The CLI contract of issue 8 on PKITS files (exit 0 valid, 1 invalid, 2 usage or input).
TEST(VerifyCertCli, Contract) {
  const char* bin = std::getenv("HPKI_BIN");
  ASSERT_NE(bin, nullptr);
  const Pkits p(bin);
  const std::string &c = p.certs, &l = p.crls, &base = p.base, &anchor = p.anchor, &at = p.at;
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
  // A DER CRL given as the certificate: a structure the certificate parser refuses (invalid).
  EXPECT_EQ(test::run(base + l + "GoodCACRL.crl" + anchor).exit_code, 1);
  // Identity: the SM2 leaf carries no such DNS name.
  r = test::run(base + kSm + "/server_sign.crt --intermediate " + kSm + "/chain-ca.crt --trust " +
                kSm + "/chain-ca.crt --at 2026-01-01T00:00:00Z --dns-name nowhere.example");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("name_mismatch"), std::string::npos) << r.output;
}

// Issue 18: an intermediate or CRL the strict parser refuses is unusable (exit 1, invalid, the
// file and defect named), a target it refuses is invalid (certificate_malformed); exit 2 stays
// for files that hold no certificate or CRL at all.
TEST(VerifyCertCli, UnparsableInputsMakeThePathInvalid) {
  const char* bin = std::getenv("HPKI_BIN");
  ASSERT_NE(bin, nullptr);
  const Pkits p(bin);
  const std::string &c = p.certs, &l = p.crls, &base = p.base, &anchor = p.anchor, &at = p.at;
  test::TempDir dir;
  // A DER SEQUENCE that is no certificate (its TBSCertificate is an INTEGER).
  const std::string bad = dir.file("bad.der");
  test::write_file(bad, Bytes{0x30, 0x03, 0x02, 0x01, 0x05});
  // PKITS 4.4.4: the CA's CRL has a signature BIT STRING with unused bits (refused).
  auto r =
      test::run(base + c + "InvalidBadCRLSignatureTest4EE.crt --intermediate " + c +
                "BadCRLSignatureCACert.crt" + anchor + " --crl " + l +
                "TrustAnchorRootCRL.crl --crl " + l + "BadCRLSignatureCACRL.crl" + at + " --json");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["status"], "revocation_unknown");
  ASSERT_EQ(j["unusable_inputs"].size(), 1u) << r.output;
  EXPECT_NE(j["unusable_inputs"][0].get<std::string>().find("BadCRLSignatureCACRL.crl: item 1: "
                                                            "bad_crl: signatureValue: unused bits"),
            std::string::npos)
      << r.output;
  // An unparsable intermediate: no path, the file named.
  r = test::run(base + c + "ValidCertificatePathTest1EE.crt --intermediate " + bad +
                " --intermediate " + c + "GoodCACert.crt" + anchor + at);
  EXPECT_EQ(r.exit_code, 0) << r.output;  // the good intermediate still makes the path
  EXPECT_NE(r.output.find("unusable input: " + bad + ": item 1: bad_certificate"),
            std::string::npos)
      << r.output;
  r = test::run(base + c + "ValidCertificatePathTest1EE.crt --intermediate " + bad + anchor + at);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no_path_to_trust_anchor"), std::string::npos) << r.output;
  // The target itself unparsable: invalid, certificate_malformed.
  r = test::run(base + bad + anchor + at + " --json");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["status"], "certificate_malformed");
  EXPECT_NE(j["detail"].get<std::string>().find(bad + ": item 1: bad_certificate"),
            std::string::npos);
  // Input errors stay exit 2: a file with no certificate, an unreadable file, a bad anchor.
  test::write_file(dir.file("text.txt"), std::string_view("hello"));
  EXPECT_EQ(test::run(base + dir.file("text.txt") + anchor).exit_code, 2);
  EXPECT_EQ(
      test::run(base + c + "ValidCertificatePathTest1EE.crt --crl " + dir.file("none.crl") + anchor)
          .exit_code,
      2);
  EXPECT_EQ(test::run(base + c + "ValidCertificatePathTest1EE.crt --trust " + bad).exit_code, 2);
}

}  // namespace
}  // namespace hpki::cli
