// PKCS#10 requests (RFC 2986) made by the openssl CLI: parsed by hpki, proof of possession
// checked with the request's own key (SM2 with the standard ID), requested extensions read;
// tampered, truncated, garbage and oversized input rejected with precise errors.
#include <gtest/gtest.h>

#include "core/pem.h"
#include "der/oids.h"
#include "tests/support/test_util.h"
#include "x509/csr.h"

namespace hpki::x509 {
namespace {

struct Made {
  Bytes pem;
  Bytes der;
};

// Runs `openssl req -new` with the given key options; PEM and DER of the same request.
Made make_csr(const test::TempDir& dir, const std::string& name, const std::string& key_opts,
              const std::string& extra = "") {
  const std::string pem_path = dir.file(name + ".pem");
  const std::string der_path = dir.file(name + ".der");
  auto r = test::run("openssl req -new -nodes -utf8 " + key_opts + " -keyout " +
                     dir.file(name + ".key") + " -subj '/C=CN/O=示例医院/CN=" + name +
                     ".hospital.example.cn' -addext 'subjectAltName=DNS:" + name +
                     ".hospital.example.cn,IP:10.1.2.3' " + extra + " -out " + pem_path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto d = test::run("openssl req -in " + pem_path + " -outform DER -out " + der_path);
  EXPECT_EQ(d.exit_code, 0) << d.output;
  return {test::read_file(pem_path), test::read_file(der_path)};
}

struct KeyCase {
  const char* name;
  const char* opts;
  crypto::KeyType type;
};

class CsrOpensslTest : public ::testing::TestWithParam<KeyCase> {};

TEST_P(CsrOpensslTest, ParsesAndProvesPossession) {
  const KeyCase kc = GetParam();
  test::TempDir dir;
  Made m = make_csr(dir, kc.name, kc.opts);
  for (const Bytes* input : {&m.pem, &m.der}) {
    auto csr = CertificationRequest::parse_any(*input);
    ASSERT_TRUE(csr) << csr.error().to_string();
    EXPECT_EQ((*csr)->der(), m.der);
    EXPECT_EQ((*csr)->subject().get(der::oids::kCommonName),
              std::string(kc.name) + ".hospital.example.cn");
    EXPECT_EQ((*csr)->subject().get(der::oids::kOrganizationName), "示例医院");
    EXPECT_EQ((*csr)->key_spec().value().type, kc.type);
    auto pop = (*csr)->verify_pop();
    EXPECT_TRUE(pop) << pop.error().to_string();
    // RFC 2985 5.4.2 extensionRequest -> requested_extensions.
    ASSERT_EQ((*csr)->requested_extensions().size(), 1u);
    const Extension& san = (*csr)->requested_extensions()[0];
    EXPECT_EQ(san.oid, der::oids::kSubjectAltName);
    auto names = parse_general_names(san.value).value();
    ASSERT_EQ(names.size(), 2u);
    EXPECT_EQ(names[0].type, GeneralName::Type::kDns);
    EXPECT_EQ(names[0].text, std::string(kc.name) + ".hospital.example.cn");
    EXPECT_EQ(names[1].type, GeneralName::Type::kIp);
    EXPECT_EQ(names[1].ip, (Bytes{10, 1, 2, 3}));
  }

  // A flipped bit in the signature: parses, but the proof of possession fails.
  Bytes tampered = m.der;
  tampered.back() ^= 0x01;
  auto csr = CertificationRequest::parse(tampered);
  ASSERT_TRUE(csr) << csr.error().to_string();
  auto pop = (*csr)->verify_pop();
  ASSERT_FALSE(pop);
  EXPECT_EQ(pop.error().code(), ErrorCode::kProofOfPossession) << pop.error().to_string();

  // A changed subject (signature over the original CertificationRequestInfo).
  Bytes renamed = m.der;
  const std::string cn = std::string(kc.name) + ".hospital";
  auto it = std::search(renamed.begin(), renamed.end(), cn.begin(), cn.end());
  ASSERT_NE(it, renamed.end());
  *it = 'X';
  auto csr2 = CertificationRequest::parse(renamed);
  ASSERT_TRUE(csr2);
  ASSERT_FALSE((*csr2)->verify_pop());
  EXPECT_EQ((*csr2)->verify_pop().error().code(), ErrorCode::kProofOfPossession);
}

INSTANTIATE_TEST_SUITE_P(
    Keys, CsrOpensslTest,
    ::testing::Values(
        KeyCase{"rsa", "-newkey rsa:2048", crypto::KeyType::kRsa},
        KeyCase{"ecdsa", "-newkey ec -pkeyopt ec_paramgen_curve:P-256", crypto::KeyType::kEcP256},
        KeyCase{"sm2", "-newkey sm2 -sm3 -sigopt distid:1234567812345678", crypto::KeyType::kSm2}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(CsrSm2, EmptyIdSignatureFailsProofOfPossession) {
  // OpenSSL 3.0 signs with an EMPTY ID unless told otherwise; GM/T 0009 needs the standard ID.
  test::TempDir dir;
  Made m = make_csr(dir, "sm2-noid", "-newkey sm2 -sm3");
  auto csr = CertificationRequest::parse_any(m.pem);
  ASSERT_TRUE(csr) << csr.error().to_string();
  auto pop = (*csr)->verify_pop();
  ASSERT_FALSE(pop);
  EXPECT_EQ(pop.error().code(), ErrorCode::kProofOfPossession) << pop.error().to_string();
  // openssl itself accepts it without an ID (it verifies with the empty ID as well).
  auto v = test::run("openssl req -verify -noout -in " + dir.file("sm2-noid.pem"));
  EXPECT_EQ(v.exit_code, 0) << v.output;
}

TEST(CsrParse, AttributesOtherThanExtensionRequestAreTolerated) {
  test::TempDir dir;
  test::write_file(dir.file("req.cnf"),
                   "[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\n"
                   "[dn]\nCN=challenge.example\n[attrs]\nchallengePassword=secret1234\n"
                   "unstructuredName=hpki test\n");
  auto r = test::run(
      "openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
      "-keyout " +
      dir.file("k.pem") + " -config " + dir.file("req.cnf") + " -out " + dir.file("csr.pem"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto csr = CertificationRequest::parse_any(test::read_file(dir.file("csr.pem")));
  ASSERT_TRUE(csr) << csr.error().to_string();
  EXPECT_TRUE((*csr)->requested_extensions().empty());
  EXPECT_TRUE((*csr)->verify_pop());
  // The NEW CERTIFICATE REQUEST label (old Netscape / Microsoft tools) is accepted too.
  auto der = pem_decode(as_string(test::read_file(dir.file("csr.pem"))), "CERTIFICATE REQUEST");
  ASSERT_TRUE(der);
  auto legacy =
      CertificationRequest::parse_any(as_bytes(pem_encode("NEW CERTIFICATE REQUEST", *der)));
  ASSERT_TRUE(legacy) << legacy.error().to_string();
}

TEST(CsrParse, BadInputGivesPreciseErrors) {
  test::TempDir dir;
  Made m = make_csr(dir, "neg", "-newkey ec -pkeyopt ec_paramgen_curve:P-256");

  // Truncated.
  Bytes truncated(m.der.begin(), m.der.end() - 10);
  auto r = CertificationRequest::parse(truncated);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kBadCsr);
  EXPECT_NE(r.error().detail().find("CertificationRequest"), std::string::npos)
      << r.error().detail();
  EXPECT_NE(r.error().detail().find("offset"), std::string::npos) << r.error().detail();

  // Trailing garbage.
  Bytes trailing = m.der;
  trailing.push_back(0x00);
  r = CertificationRequest::parse(trailing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kBadCsr);

  // Garbage.
  r = CertificationRequest::parse_any(as_bytes("hello, I am not a certification request"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kBadCsr);

  // PEM with another label / broken base64.
  r = CertificationRequest::parse_any(as_bytes(pem_encode("CERTIFICATE", m.der)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kBadCsr);
  EXPECT_NE(r.error().detail().find("no CERTIFICATE REQUEST"), std::string::npos);
  std::string broken(as_string(m.pem));
  broken[40] = '*';
  r = CertificationRequest::parse_any(as_bytes(broken));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kBadCsr);
  EXPECT_NE(r.error().detail().find("PEM"), std::string::npos) << r.error().detail();

  // Oversized.
  Bytes big(kMaxCsrSize + 1, 0x30);
  r = CertificationRequest::parse(big);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kTooLarge);
  EXPECT_NE(r.error().detail().find(std::to_string(kMaxCsrSize)), std::string::npos);

  // RFC 2986 4.1: version must be 0.
  Bytes v2 = m.der;
  const Bytes version{0x02, 0x01, 0x00};
  auto it = std::search(v2.begin(), v2.end(), version.begin(), version.end());
  ASSERT_NE(it, v2.end());
  it[2] = 0x01;
  r = CertificationRequest::parse(v2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kBadCsr);
  EXPECT_NE(r.error().detail().find("version: 1, must be 0"), std::string::npos)
      << r.error().detail();

  // Unknown signature algorithm: parses, PoP says which algorithm.
  Bytes alg = m.der;
  const Bytes ecdsa_sha256{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
  auto a = std::find_end(alg.begin(), alg.end(), ecdsa_sha256.begin(), ecdsa_sha256.end());
  ASSERT_NE(a, alg.end());
  a[7] = 0x01;  // ecdsa-with-SHA224
  auto csr = CertificationRequest::parse(alg);
  ASSERT_TRUE(csr);
  auto pop = (*csr)->verify_pop();
  ASSERT_FALSE(pop);
  EXPECT_EQ(pop.error().code(), ErrorCode::kUnsupportedAlgorithm);
}

}  // namespace
}  // namespace hpki::x509
