// `hpki cert lint`: in-process through hpki::cli::run with injected streams, and the real binary
// ($HPKI_BIN) for the exit codes a shell sees. Inputs: certificates made by hpki's builder, by
// the openssl CLI, and third-party ones (Tongsuo SM2, NIST PKITS; tests/vectors/lint/).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli.h"
#include "core/pem.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "tests/support/test_names.h"
#include "tests/support/test_util.h"
#include "x509/builder.h"
#include "x509/profile.h"

namespace hpki::cli {
namespace {

const std::filesystem::path kVectors =
    std::filesystem::path(HPKI_SOURCE_DIR) / "tests/vectors/lint";

std::string vec(const std::string& rel) { return (kVectors / rel).string(); }

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

Run hpki(std::vector<std::string> args) {
  args.insert(args.begin(), "hpki");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  Run r;
  r.code = run(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// A self-signed root made by hpki's builder with the shipped root-ca profile (lint-clean).
const Bytes& good_root_der() {
  static const Bytes der = [] {
    auto profiles =
        x509::load_profiles(std::filesystem::path(HPKI_SOURCE_DIR) / "profiles").value();
    auto key = crypto::PrivateKey::generate({crypto::KeyType::kEcP256, 0}).value();
    auto signer = key.signer().value();
    crypto::SystemRandom rnd;
    x509::IssueParams p;
    p.permitted_names = &hpki::x509::kAnyNameForTests;
    p.profile = &profiles.at("root-ca");
    p.subject.organization = "示例医院";
    p.subject.common_name = "hpki CLI Root";
    p.subject_spki = key.public_key_der();
    p.serial = x509::generate_serial(rnd).value();
    p.not_before = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return x509::issue_certificate(p, x509::BuildSettings{}, *signer).value().der;
  }();
  return der;
}

TEST(CertLint, CleanCertificateExitsZero) {
  test::TempDir dir;
  test::write_file(dir.file("root.pem"), pem_encode("CERTIFICATE", good_root_der()));
  test::write_file(dir.file("root.der"), good_root_der());
  for (const char* f : {"root.pem", "root.der"}) {
    auto r = hpki({"cert", "lint", dir.file(f)});
    EXPECT_EQ(r.code, kExitOk) << r.out << r.err;
    EXPECT_EQ(r.out, dir.file(f) + ": 1 certificate, 0 errors, 0 warnings, 0 notices\n");
    EXPECT_EQ(r.err, "");
  }
  // The same certificate checked against its own profile, and against one it does not fit.
  auto ok = hpki({"cert", "lint", dir.file("root.pem"), "--profile", "root-ca"});
  EXPECT_EQ(ok.code, kExitOk) << ok.out << ok.err;
  auto wrong = hpki({"cert", "lint", dir.file("root.pem"), "--profile", "staff-sign"});
  EXPECT_EQ(wrong.code, kExitNegative) << wrong.out << wrong.err;
  EXPECT_NE(wrong.out.find("error e_profile_kind [hpki profile staff-sign]: "), std::string::npos)
      << wrong.out;
}

// RFC 5280 4.2.1.3
TEST(CertLint, ErrorFindingsExitOne) {
  auto r = hpki({"cert", "lint", vec("tongsuo/server_sign.crt")});
  EXPECT_EQ(r.code, kExitNegative);
  EXPECT_EQ(r.out,
            "error e_key_usage_not_critical [RFC 5280 4.2.1.3]: keyUsage must be critical\n" +
                vec("tongsuo/server_sign.crt") +
                ": 1 certificate, 1 error, 0 warnings, 0 notices\n");
  EXPECT_EQ(r.err, "");
}

// RFC 5280 4.1.2.2
TEST(CertLint, EveryCertificateOfABundle) {
  auto r = hpki({"cert", "lint", vec("tongsuo/chain-ca.crt")});
  EXPECT_EQ(r.code, kExitNegative);
  EXPECT_EQ(r.out,
            "certificate 1/2: C=AA, ST=BB, O=CC, OU=DD, CN=root ca\n"
            "error e_serial_not_positive [RFC 5280 4.1.2.2]: serial number is not positive\n"
            "certificate 2/2: C=AA, ST=BB, O=CC, OU=DD, CN=sub ca\n" +
                vec("tongsuo/chain-ca.crt") + ": 2 certificates, 1 error, 0 warnings, 0 notices\n");
}

TEST(CertLint, Json) {
  auto r = hpki({"cert", "lint", vec("tongsuo/chain-ca.crt"), "--json"});
  EXPECT_EQ(r.code, kExitNegative);
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["subject"], "C=AA, ST=BB, O=CC, OU=DD, CN=root ca");
  EXPECT_EQ(j[0]["serial"], "00");
  ASSERT_EQ(j[0]["findings"].size(), 1u);
  EXPECT_EQ(j[0]["findings"][0]["id"], "e_serial_not_positive");
  EXPECT_EQ(j[0]["findings"][0]["severity"], "error");
  EXPECT_EQ(j[0]["findings"][0]["source"], "RFC 5280 4.1.2.2");
  EXPECT_EQ(j[0]["findings"][0]["message"], "serial number is not positive");
  EXPECT_TRUE(j[1]["findings"].empty());
  // The global option may also come first.
  auto first = hpki({"--json", "cert", "lint", vec("pkits/GoodCACert.crt")});
  EXPECT_EQ(first.code, kExitOk);
  EXPECT_TRUE(nlohmann::json::parse(first.out)[0]["findings"].empty());
}

// RFC 5280 4.2.1.6
TEST(CertLint, WarningsAloneExitZero) {
  // An openssl-made self-signed CA whose SAN is critical although the subject is not empty.
  test::TempDir dir;
  auto gen =
      test::run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
                dir.file("k.pem") + " -out " + dir.file("c.pem") +
                " -subj '/C=CN/O=Example/CN=example CA' -days 30"
                " -addext 'keyUsage=critical,keyCertSign,cRLSign'"
                " -addext 'subjectAltName=critical,DNS:ca.example.cn'");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  auto r = hpki({"cert", "lint", dir.file("c.pem")});
  EXPECT_EQ(r.code, kExitOk) << r.out << r.err;
  EXPECT_EQ(r.out,
            "warning w_san_critical_with_subject [RFC 5280 4.2.1.6]: SAN should not be "
            "critical when the subject is not empty\n" +
                dir.file("c.pem") + ": 1 certificate, 0 errors, 1 warning, 0 notices\n");
}

// RFC 5280 4.1.2.4, 4.2.1.1
TEST(CertLint, Issuer) {
  // server_sign.crt is issued by Tongsuo's "sub ca", not by the root (first block of the file).
  auto r = hpki(
      {"cert", "lint", vec("tongsuo/server_sign.crt"), "--issuer", vec("tongsuo/chain-ca.crt")});
  EXPECT_EQ(r.code, kExitNegative);
  EXPECT_NE(r.out.find("error e_issuer_name_mismatch [RFC 5280 4.1.2.4]"), std::string::npos);
  EXPECT_NE(r.out.find("error e_aki_ski_mismatch [RFC 5280 4.2.1.1]"), std::string::npos);
}

TEST(CertLint, BadInputExitsTwoWithOneLine) {
  test::TempDir dir;
  test::write_file(dir.file("garbage.der"), Bytes{0x30, 0x03, 0x02, 0x01});
  test::write_file(dir.file("empty.pem"),
                   "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  struct Case {
    std::string file;
    std::string prefix;
  };
  for (const auto& c : std::vector<Case>{
           {dir.file("missing.pem"), "hpki: not_found: "},
           {dir.file("garbage.der"), "hpki: bad_certificate: "},
           {dir.file("empty.pem"), "hpki: unexpected_type: "},
           {vec("pkits/InvalidDSASignatureTest6EE.crt"), "hpki: bad_certificate: "},
       }) {
    auto r = hpki({"cert", "lint", c.file});
    EXPECT_EQ(r.code, kExitUsage) << c.file;
    EXPECT_EQ(r.out, "") << c.file;
    EXPECT_TRUE(r.err.starts_with(c.prefix)) << c.file << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(CertLint, UsageErrors) {
  auto no_file = hpki({"cert", "lint"});
  EXPECT_EQ(no_file.code, kExitUsage);
  EXPECT_EQ(no_file.err, "hpki: usage: FILE is required\n");
  auto no_command = hpki({"cert"});
  EXPECT_EQ(no_command.code, kExitUsage);
  auto help = hpki({"cert", "lint", "--help"});
  EXPECT_EQ(help.code, kExitOk);
  EXPECT_NE(help.out.find("--profiles-dir"), std::string::npos) << help.out;
}

TEST(CertLint, ProfileDirectory) {
  test::TempDir dir;
  test::write_file(dir.file("root.pem"), pem_encode("CERTIFICATE", good_root_der()));
  // Unknown profile: usage error naming the directory searched.
  auto unknown = hpki({"cert", "lint", dir.file("root.pem"), "--profile", "no-such"});
  EXPECT_EQ(unknown.code, kExitUsage);
  EXPECT_TRUE(unknown.err.starts_with("hpki: unknown_profile: no profile 'no-such' in "))
      << unknown.err;
  // --profiles-dir: a directory with a variant root-ca that allows only SM2 keys.
  std::filesystem::create_directory(dir.path() / "profiles");
  auto text = test::read_file(HPKI_SOURCE_DIR "/profiles/root-ca.toml");
  std::string toml(text.begin(), text.end());
  auto pos = toml.find("key_algorithms = [");
  ASSERT_NE(pos, std::string::npos);
  toml.replace(pos, toml.find('\n', pos) - pos, "key_algorithms = [\"sm2\"]");
  test::write_file(dir.file("profiles/root-ca.toml"), toml);
  auto custom = hpki({"cert", "lint", dir.file("root.pem"), "--profile", "root-ca",
                      "--profiles-dir", dir.file("profiles")});
  EXPECT_EQ(custom.code, kExitNegative) << custom.out << custom.err;
  EXPECT_NE(custom.out.find("error e_profile_key_algorithm"), std::string::npos) << custom.out;
  // $HPKI_PROFILES does the same.
  ::setenv("HPKI_PROFILES", dir.file("profiles").c_str(), 1);
  auto env = hpki({"cert", "lint", dir.file("root.pem"), "--profile", "root-ca"});
  ::unsetenv("HPKI_PROFILES");
  EXPECT_EQ(env.code, kExitNegative) << env.out << env.err;
  // <home>/profiles is used when present.
  auto home = hpki({"--home", dir.path().string(), "cert", "lint", dir.file("root.pem"),
                    "--profile", "root-ca"});
  EXPECT_EQ(home.code, kExitNegative) << home.out << home.err;
  // Without any of these, the repository's profiles/ directory.
  auto repo = hpki({"--home", dir.file("nowhere"), "cert", "lint", dir.file("root.pem"),
                    "--profile", "root-ca"});
  EXPECT_EQ(repo.code, kExitOk) << repo.out << repo.err;
}

TEST(CertLint, ThirdPartyCertificatesDoNotCrash) {
  int n = 0;
  for (const auto* sub : {"tongsuo", "pkits"}) {
    for (const auto& e : std::filesystem::directory_iterator(kVectors / sub)) {
      if (e.path().extension() != ".crt") continue;
      auto r = hpki({"cert", "lint", e.path().string()});
      EXPECT_TRUE(r.code == kExitOk || r.code == kExitNegative || r.code == kExitUsage) << e.path();
      ++n;
    }
  }
  EXPECT_GE(n, 20);
}

// The real binary, as a shell sees it.
TEST(CertLint, RealBinaryExitCodes) {
  const char* bin = std::getenv("HPKI_BIN");
  if (bin == nullptr) GTEST_SKIP() << "HPKI_BIN not set (run through ctest)";
  ASSERT_TRUE(std::filesystem::exists(bin)) << bin;
  auto good = test::run(std::string(bin) + " cert lint " + vec("pkits/GoodCACert.crt"));
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("1 certificate, 0 errors"), std::string::npos) << good.output;
  auto bad = test::run(std::string(bin) + " cert lint " +
                       vec("pkits/InvalidNegativeSerialNumberTest15EE.crt"));
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("error e_serial_not_positive [RFC 5280 4.1.2.2]"), std::string::npos)
      << bad.output;
  auto malformed =
      test::run(std::string(bin) + " cert lint " + vec("pkits/InvalidDSASignatureTest6EE.crt"));
  EXPECT_EQ(malformed.exit_code, 2) << malformed.output;
}

}  // namespace
}  // namespace hpki::cli
