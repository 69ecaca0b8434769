// Certificate chains built by hpki for every shipped profile and each algorithm family, checked
// by the openssl CLI (RSA/ECDSA: full chains; SM2: two-level chains with -vfyopt distid, since
// the CLI passes the ID only to the leaf) and by hpki's own signature verification at every
// level (SM2 with the standard ID; the empty ID must fail).
#include <gtest/gtest.h>

#include "core/pem.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "der/oids.h"
#include "tests/support/test_names.h"
#include "tests/support/test_util.h"
#include "x509/builder.h"
#include "x509/certificate.h"
#include "x509/profile.h"

namespace hpki::x509 {
namespace {

using crypto::KeySpec;
using crypto::KeyType;

const std::map<std::string, Profile>& profiles() {
  static const auto p = load_profiles(std::filesystem::path(HPKI_SOURCE_DIR) / "profiles").value();
  return p;
}

struct Ca {
  crypto::PrivateKey key;
  std::unique_ptr<crypto::Signer> signer;
  CertificatePtr cert;
  IssuerInfo info;
};

TimePoint now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

Result<Bytes> serial() {
  crypto::SystemRandom rnd;
  return generate_serial(rnd);
}

SubjectData subject(std::string cn) {
  SubjectData s;
  s.province = "上海";
  s.city = "上海";
  s.organization = "示例医院";
  s.department = "心内科";
  s.common_name = std::move(cn);
  return s;
}

BuildSettings settings() {
  BuildSettings s;
  s.base_url = "http://127.0.0.1:8080";
  s.health_oids["staff_no"] = der::Oid::from_string("1.2.156.99999.1.1").value();
  s.health_oids["licence_no"] = der::Oid::from_string("1.2.156.99999.1.2").value();
  s.health_oids["institution_code"] = der::Oid::from_string("1.2.156.99999.1.3").value();
  return s;
}

Ca make_root(KeySpec spec, const std::string& id) {
  Ca ca{crypto::PrivateKey::generate(spec).value(), nullptr, nullptr, {}};
  ca.signer = ca.key.signer().value();
  IssueParams p;
  p.permitted_names = &hpki::x509::kAnyNameForTests;
  p.profile = &profiles().at("root-ca");
  p.subject = subject("hpki Root CA " + id);
  p.subject.department.clear();
  p.subject_spki = ca.key.public_key_der();
  p.serial = serial().value();
  p.not_before = now() - std::chrono::hours(1);
  auto issued = issue_certificate(p, settings(), *ca.signer);
  EXPECT_TRUE(issued) << issued.error().to_string();
  ca.cert = Certificate::parse(issued->der).value();
  ca.info = IssuerInfo{ca.cert->subject(), key_identifier(ca.key.public_key_der()).value(), id};
  return ca;
}

Result<CertificatePtr> issue(const Ca& issuer, const std::string& profile, KeySpec spec,
                             SubjectData s, crypto::PrivateKey* key_out = nullptr) {
  auto key = HPKI_TRY(crypto::PrivateKey::generate(spec));
  IssueParams p;
  p.permitted_names = &hpki::x509::kAnyNameForTests;
  p.profile = &profiles().at(profile);
  p.subject = std::move(s);
  p.subject_spki = key.public_key_der();
  p.serial = HPKI_TRY(serial());
  p.not_before = now() - std::chrono::hours(1);
  p.issuer = &issuer.info;
  auto issued = HPKI_TRY(issue_certificate(p, settings(), *issuer.signer, issuer.cert.get()));
  if (key_out) *key_out = key;
  return Certificate::parse(issued.der);
}

Ca make_sub(const Ca& root, KeySpec spec, const std::string& id) {
  Ca ca{crypto::PrivateKey::generate(spec).value(), nullptr, nullptr, {}};
  ca.signer = ca.key.signer().value();
  IssueParams p;
  p.permitted_names = &hpki::x509::kAnyNameForTests;
  p.profile = &profiles().at("issuing-ca");
  p.subject = subject("hpki Issuing CA " + id);
  p.subject.department.clear();
  p.subject_spki = ca.key.public_key_der();
  p.serial = serial().value();
  p.not_before = now() - std::chrono::hours(1);
  p.issuer = &root.info;
  auto issued = issue_certificate(p, settings(), *root.signer, root.cert.get());
  EXPECT_TRUE(issued) << issued.error().to_string();
  ca.cert = Certificate::parse(issued->der).value();
  ca.info = IssuerInfo{ca.cert->subject(), key_identifier(ca.key.public_key_der()).value(), id};
  return ca;
}

SubjectData subject_for(const std::string& profile) {
  SubjectData s = subject(profile == "ssl-server" ? "his.hospital.example.cn" : "张三");
  if (profile == "ssl-server" || profile == "device") {
    s.dns_names = {"his.hospital.example.cn"};
    s.department.clear();
  }
  if (profile.starts_with("staff")) {
    s.identifiers["id_number"] = "310101199001011234";
    s.identifiers["staff_no"] = "E12345";
    s.emails = {"zhangsan@hospital.example.cn"};
  }
  if (profile.starts_with("org")) {
    s.common_name = "示例医院";
    s.identifiers["org_code"] = "12310000425012345X";
  }
  if (profile == "ocsp-responder") s.common_name = "hpki OCSP responder";
  if (profile == "tsa") s.common_name = "hpki TSA";
  if (profile == "operator") s.common_name = "operator-1";
  return s;
}

std::string pem(const Certificate& c) { return pem_encode("CERTIFICATE", c.der()); }

struct Family {
  const char* name;
  KeySpec spec;
};

class ChainTest : public ::testing::TestWithParam<Family> {};

TEST_P(ChainTest, EveryProfileVerifiesWithOpenssl) {
  const Family fam = GetParam();
  test::TempDir dir;
  Ca root = make_root(fam.spec, std::string("root-") + fam.name);
  Ca sub = make_sub(root, fam.spec, std::string("issuing-") + fam.name);
  test::write_file(dir.file("root.pem"), pem(*root.cert));
  test::write_file(dir.file("sub.pem"), pem(*sub.cert));
  const bool sm2 = fam.spec.type == KeyType::kSm2;

  // Root and sub-CA signatures with hpki's verifier (SM2: standard ID; empty ID must fail).
  ASSERT_TRUE(verify_certificate_signature(*root.cert, root.cert->spki_der()));
  ASSERT_TRUE(verify_certificate_signature(*sub.cert, root.cert->spki_der()));
  if (sm2) {
    auto empty_id = verify_certificate_signature(*sub.cert, root.cert->spki_der(), "");
    EXPECT_FALSE(empty_id) << "SM2 signature verified under the empty ID";
  }
  if (sm2) {
    auto r = test::run("openssl verify -vfyopt distid:1234567812345678 -CAfile " +
                       dir.file("root.pem") + " " + dir.file("sub.pem"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    auto no_id =
        test::run("openssl verify -CAfile " + dir.file("root.pem") + " " + dir.file("sub.pem"));
    EXPECT_NE(no_id.exit_code, 0) << "openssl accepted an SM2 certificate without the ID: "
                                  << no_id.output;
  }

  int checked = 0;
  for (const auto& [name, prof] : profiles()) {
    if (prof.kind != CertKind::kEndEntity) continue;
    auto leaf = issue(sub, name, fam.spec, subject_for(name));
    ASSERT_TRUE(leaf) << name << ": " << leaf.error().to_string();
    ASSERT_TRUE(verify_certificate_signature(**leaf, sub.cert->spki_der())) << name;
    test::write_file(dir.file(name + ".pem"), pem(**leaf));
    if (!sm2) {
      std::string cmd = "openssl verify -x509_strict -CAfile " + dir.file("root.pem") +
                        " -untrusted " + dir.file("sub.pem");
      if (name == "ssl-server")
        cmd += " -purpose sslserver -verify_hostname his.hospital.example.cn";
      if (name == "tsa") cmd += " -purpose timestampsign";
      if (name == "ocsp-responder") cmd += " -purpose ocsphelper";
      auto r = test::run(cmd + " " + dir.file(name + ".pem"));
      EXPECT_EQ(r.exit_code, 0) << name << ": " << r.output;
      EXPECT_NE(r.output.find(": OK"), std::string::npos) << name << ": " << r.output;
    } else {
      // Two-level SM2 check with the CLI: the sub-CA as trust anchor, the ID on the leaf.
      auto r = test::run("openssl verify -partial_chain -vfyopt distid:1234567812345678 -CAfile " +
                         dir.file("sub.pem") + " " + dir.file(name + ".pem"));
      EXPECT_EQ(r.exit_code, 0) << name << ": " << r.output;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

INSTANTIATE_TEST_SUITE_P(Families, ChainTest,
                         ::testing::Values(Family{"rsa", {KeyType::kRsa, 2048}},
                                           Family{"ecdsa", {KeyType::kEcP256, 0}},
                                           Family{"sm2", {KeyType::kSm2, 0}}),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(Builder, StaffCertificateContents) {
  Ca root = make_root({KeyType::kSm2, 0}, "root-sm2");
  Ca sub = make_sub(root, {KeyType::kSm2, 0}, "issuing-sm2");
  auto leaf = issue(sub, "staff-sign", {KeyType::kSm2, 0}, subject_for("staff-sign")).value();
  test::TempDir dir;
  test::write_file(dir.file("leaf.pem"), pem(*leaf));
  auto text = test::run("openssl x509 -noout -text -nameopt utf8,sep_comma_plus_space -in " +
                        dir.file("leaf.pem"));
  ASSERT_EQ(text.exit_code, 0) << text.output;
  // Subject in the profile's order with Chinese UTF-8 values.
  EXPECT_NE(text.output.find("Subject: C=CN, ST=上海, L=上海, O=示例医院, OU=心内科, CN=张三"),
            std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("Digital Signature, Non Repudiation"), std::string::npos);
  EXPECT_NE(text.output.find("SM2-with-SM3"), std::string::npos);
  EXPECT_NE(text.output.find("URI:http://127.0.0.1:8080/crl/issuing-sm2.crl"), std::string::npos);
  EXPECT_NE(text.output.find("OCSP - URI:http://127.0.0.1:8080/ocsp"), std::string::npos);
  EXPECT_NE(text.output.find("email:zhangsan@hospital.example.cn"), std::string::npos);
  // GM/T 0015 IdentifyCode (IMPLICIT [0] PrintableString) and the configured health OID.
  auto ic = leaf->find_extension(der::oids::kGmIdentifyCode);
  ASSERT_NE(ic, nullptr);
  EXPECT_EQ(ic->value, (Bytes{0x80, 18,  '3', '1', '0', '1', '0', '1', '1', '9',
                              '9',  '0', '0', '1', '0', '1', '1', '2', '3', '4'}));
  auto parsed = parse_identify_code(ic->value).value();
  EXPECT_EQ(parsed.value, "310101199001011234");
  auto staff = leaf->find_extension(der::Oid::from_string("1.2.156.99999.1.1").value());
  ASSERT_NE(staff, nullptr);
  EXPECT_EQ(parse_printable_identifier(staff->value).value(), "E12345");
  // The country is a PrintableString, Chinese values UTF8String (asn1parse shows the types).
  test::write_file(dir.file("leaf.der"), leaf->der());
  auto asn = test::run("openssl asn1parse -inform DER -in " + dir.file("leaf.der"));
  EXPECT_NE(asn.output.find("PRINTABLESTRING   :CN"), std::string::npos) << asn.output;
  EXPECT_NE(asn.output.find("UTF8STRING"), std::string::npos);
  // Serial: positive, 16 octets.
  EXPECT_EQ(leaf->serial().size(), 16u);
  EXPECT_EQ(leaf->serial()[0] & 0x80, 0);
}

TEST(Builder, Gmt0015FormsAndTaggingFromSettings) {
  Ca root = make_root({KeyType::kSm2, 0}, "root-sm2");
  Ca sub = make_sub(root, {KeyType::kSm2, 0}, "issuing-sm2");
  auto build = [&](const std::string& profile, BuildSettings s) {
    auto key = crypto::PrivateKey::generate({KeyType::kSm2, 0}).value();
    IssueParams p;
    p.permitted_names = &hpki::x509::kAnyNameForTests;
    p.profile = &profiles().at(profile);
    p.subject = subject_for(profile);
    p.subject_spki = key.public_key_der();
    p.serial = serial().value();
    p.not_before = now();
    p.issuer = &sub.info;
    return Certificate::parse(issue_certificate(p, s, *sub.signer, sub.cert.get()).value().der)
        .value();
  };
  BuildSettings s = settings();
  s.identify_code_style = TagStyle::kExplicit;
  auto explicit_cert = build("staff-sign", s);
  EXPECT_EQ(explicit_cert->find_extension(der::oids::kGmIdentifyCode)->value[0], 0xa0);
  s.gmt0015_2023 = true;
  auto staff = build("staff-sign", s);
  EXPECT_EQ(staff->find_extension(der::oids::kGmIdentifyCode), nullptr);
  ASSERT_NE(staff->find_extension(der::oids::kGmResidentIdCardNumber), nullptr);
  EXPECT_EQ(
      parse_printable_identifier(staff->find_extension(der::oids::kGmResidentIdCardNumber)->value)
          .value(),
      "310101199001011234");
  auto org = build("org-sign", s);
  ASSERT_NE(org->find_extension(der::oids::kGmUnifiedSocialCreditCode), nullptr);
  EXPECT_EQ(org->find_extension(der::oids::kGmOrganizationCode), nullptr);
  // Private extensions are non-critical (GM/T 0015 practice; xipki checks the same).
  EXPECT_FALSE(org->find_extension(der::oids::kGmUnifiedSocialCreditCode)->critical);
}

TEST(Builder, RefusesWhatTheProfileForbids) {
  Ca root = make_root({KeyType::kEcP256, 0}, "root-ecdsa");
  Ca sub = make_sub(root, {KeyType::kEcP256, 0}, "issuing-ecdsa");
  // P-384 not allowed for staff-sign.
  auto r = issue(sub, "staff-sign", {KeyType::kEcP384, 0}, subject_for("staff-sign"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kPolicyRefused);
  // DNS SAN not allowed in staff certificates.
  auto s = subject_for("staff-sign");
  s.dns_names = {"x.example.cn"};
  r = issue(sub, "staff-sign", {KeyType::kEcP256, 0}, s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail().find("does not allow dns"), std::string::npos);
  // Missing CN.
  s = subject_for("staff-sign");
  s.common_name.clear();
  r = issue(sub, "staff-sign", {KeyType::kEcP256, 0}, s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail().find("requires subject attribute CN"), std::string::npos);
  // SSL without SAN.
  s = subject_for("ssl-server");
  s.dns_names.clear();
  r = issue(sub, "ssl-server", {KeyType::kEcP256, 0}, s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kPolicyRefused);
}

}  // namespace
}  // namespace hpki::x509
