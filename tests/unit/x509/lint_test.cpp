// Negative lint cases, one per rule (issue 3 "Lint before sign"). Each test starts from a valid
// certificate made by the builder, re-encodes its TBSCertificate with exactly one rule broken
// (der::Writer), signs it with a real CA key and asserts that lint_certificate reports exactly
// that rule id. Every test carries the source tag of its rule, as the rule does in lint.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "core/encoding.h"
#include "core/pem.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "tests/support/test_names.h"
#include "tests/support/test_util.h"
#include "tests/unit/x509/tbs_edit.h"
#include "x509/builder.h"
#include "x509/certificate.h"
#include "x509/lint.h"
#include "x509/profile.h"

namespace hpki::x509 {
namespace {
using edit::Tbs;

using crypto::KeySpec;
using crypto::KeyType;
using std::chrono::days;
using std::chrono::seconds;

const std::map<std::string, Profile>& profiles() {
  static const auto p = load_profiles(std::filesystem::path(HPKI_SOURCE_DIR) / "profiles").value();
  return p;
}
const Profile& profile(const std::string& name) { return profiles().at(name); }

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A shipped profile's TOML with one text replaced, parsed as a profile of its own.
Profile variant(const std::string& name, const std::string& from, const std::string& to) {
  std::string text =
      read_text(std::filesystem::path(HPKI_SOURCE_DIR) / "profiles" / (name + ".toml"));
  auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  text.replace(pos, from.size(), to);
  auto p = parse_profile(text, name + "-variant");
  EXPECT_TRUE(p) << p.error().to_string();
  return *p;
}

TimePoint now() { return std::chrono::floor<seconds>(std::chrono::system_clock::now()); }

BuildSettings settings() {
  BuildSettings s;
  s.health_oids["staff_no"] = der::Oid::from_string("1.2.156.99999.1.1").value();
  s.health_oids["licence_no"] = der::Oid::from_string("1.2.156.99999.1.2").value();
  s.health_oids["institution_code"] = der::Oid::from_string("1.2.156.99999.1.3").value();
  return s;
}

Bytes new_serial() {
  crypto::SystemRandom rnd;
  return generate_serial(rnd).value();
}

// One CA key (P-256) and its self-signed root, and baselines issued under it. Made once.
struct World {
  crypto::PrivateKey ca_key;
  std::unique_ptr<crypto::Signer> ca_signer;
  CertificatePtr root;
  IssuerInfo root_info;
  crypto::PrivateKey leaf_key;
  CertificatePtr staff;  // staff-sign end entity
  CertificatePtr ssl;    // ssl-server end entity
};

CertificatePtr issue_leaf(World& w, const std::string& prof, SubjectData s) {
  IssueParams p;
  p.permitted_names = &kAnyNameForTests;
  p.profile = &profile(prof);
  p.subject = std::move(s);
  p.subject_spki = w.leaf_key.public_key_der();
  p.serial = new_serial();
  p.not_before = now() - std::chrono::hours(1);
  p.issuer = &w.root_info;
  auto issued = issue_certificate(p, settings(), *w.ca_signer, w.root.get());
  EXPECT_TRUE(issued) << issued.error().to_string();
  return Certificate::parse(issued->der).value();
}

World& world() {
  static World* w = [] {
    auto* x =
        new World{crypto::PrivateKey::generate({KeyType::kEcP256, 0}).value(), nullptr, nullptr, {},
                  crypto::PrivateKey::generate({KeyType::kEcP256, 0}).value(), nullptr, nullptr};
    x->ca_signer = x->ca_key.signer().value();
    IssueParams p;
    p.profile = &profile("root-ca");
    p.subject.organization = "示例医院";
    p.subject.common_name = "hpki Lint Root CA";
    p.subject_spki = x->ca_key.public_key_der();
    p.serial = new_serial();
    p.not_before = now() - std::chrono::hours(1);
    auto issued = issue_certificate(p, settings(), *x->ca_signer);
    EXPECT_TRUE(issued) << issued.error().to_string();
    x->root = Certificate::parse(issued->der).value();
    x->root_info =
        IssuerInfo{x->root->subject(), key_identifier(x->ca_key.public_key_der()).value(), "root"};

    SubjectData staff;
    staff.province = "上海";
    staff.organization = "示例医院";
    staff.department = "心内科";
    staff.common_name = "张三";
    staff.emails = {"zhangsan@hospital.example.cn"};
    staff.identifiers["id_number"] = "310101199001011234";
    staff.identifiers["staff_no"] = "E12345";
    x->staff = issue_leaf(*x, "staff-sign", staff);

    SubjectData ssl;
    ssl.organization = "示例医院";
    ssl.common_name = "his.hospital.example.cn";
    ssl.dns_names = {"his.hospital.example.cn"};
    x->ssl = issue_leaf(*x, "ssl-server", ssl);
    return x;
  }();
  return *w;
}

// Signs the TBS with the CA key; the outer signatureAlgorithm is `outer_alg` (DER) when given,
// else the TBS's own.
CertificatePtr sign(const Tbs& t, std::optional<Bytes> outer_alg = std::nullopt) {
  return edit::sign_tbs(t, *world().ca_signer, std::move(outer_alg));
}

std::vector<std::string> ids(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.id);
  return out;
}

using Ids = std::vector<std::string>;

LintContext staff_ctx() {
  return LintContext{.profile = &profile("staff-sign"),
                     .issuer = world().root.get(),
                     .cabf_server = false,
                     .health_oids = settings().health_oids};
}
LintContext ssl_ctx() {
  LintContext ctx;
  ctx.profile = &profile("ssl-server");
  ctx.issuer = world().root.get();
  return ctx;
}
LintContext root_ctx() {
  LintContext ctx;
  ctx.profile = &profile("root-ca");
  return ctx;
}
LintContext cabf_only() {
  LintContext ctx;
  ctx.issuer = world().root.get();
  ctx.cabf_server = true;
  return ctx;
}

Tbs staff() { return Tbs::from(*world().staff); }
Tbs ssl() { return Tbs::from(*world().ssl); }
Tbs root() { return Tbs::from(*world().root); }

Bytes der_of(const std::function<void(der::Writer&)>& f) {
  der::Writer w;
  f(w);
  return w.take();
}
Bytes ku_value(KeyUsageSet bits) { return encode_key_usage(bits).value(); }
Bytes name_der(const std::vector<std::pair<std::string, std::string>>& attrs) {
  return build_name(attrs).value().der;
}
Bytes san_value(const std::vector<GeneralName>& names) {
  return encode_general_names(names).value();
}
const Bytes kEmptyName{0x30, 0x00};

// ---- baselines -------------------------------------------------------------------------------

TEST(Lint, BaselinesAreClean) {
  EXPECT_EQ(ids(lint_certificate(*world().root, root_ctx())), Ids{});
  EXPECT_EQ(ids(lint_certificate(*world().staff, staff_ctx())), Ids{});
  EXPECT_EQ(ids(lint_certificate(*world().ssl, ssl_ctx())), Ids{});
  // Re-encoding without a change gives the same bytes (so each test below changes one thing).
  EXPECT_EQ(staff().encode(),
            Bytes(world().staff->tbs_der().begin(), world().staff->tbs_der().end()));
  EXPECT_EQ(ids(lint_certificate(*sign(staff()), staff_ctx())), Ids{});
}

// ---- RFC 5280 4.1 ----------------------------------------------------------------------------

// RFC 5280 4.1.2.2
TEST(Lint, SerialNotPositive) {
  Tbs t = staff();
  t.serial = {0x80, 0x01};  // negative
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_serial_not_positive"});
  t.serial = {0x00};  // zero
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_serial_not_positive"});
}

// RFC 5280 4.1.2.2
TEST(Lint, SerialTooLong) {
  Tbs t = staff();
  t.serial = Bytes(21, 0x11);
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_serial_too_long"});
  t.serial = Bytes(20, 0x11);  // 20 octets is the maximum
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{});
}

// RFC 5280 4.1.2.1
TEST(Lint, NotV3) {
  // Extensions exist only in v3, so a self-issued v1 certificate also lacks the SKI (RFC 5280
  // 4.2.1.2); the self-issued name keeps the AKI rule out of it.
  Tbs t = staff();
  t.version = std::nullopt;
  t.extensions.clear();
  t.issuer = t.subject;
  EXPECT_EQ(ids(lint_certificate(*sign(t))), (Ids{"e_not_v3", "e_ski_missing"}));
}

// RFC 5280 4.1.1.2
TEST(Lint, SignatureAlgorithmMismatch) {
  Tbs t = staff();
  auto cert = sign(t, algorithm_identifier_der(crypto::SignatureAlg::kEcdsaSha384));
  EXPECT_EQ(ids(lint_certificate(*cert, staff_ctx())), Ids{"e_signature_algorithm_mismatch"});
}

// hpki algorithms
TEST(Lint, SignatureAlgorithmUnsupported) {
  Tbs t = staff();
  t.signature = der_of([](der::Writer& w) {
    w.add_sequence([](der::Writer& s) { s.add_oid(der::oids::kEcdsaWithSha1); });
  });
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_signature_algorithm_unsupported"});
}

// RFC 5280 4.1.2.5
TEST(Lint, NotBeforeNotBeforeNotAfter) {
  Tbs t = staff();
  t.not_after = t.not_before;
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())),
            Ids{"e_validity_not_before_after_not_after"});
}

// RFC 5280 4.1.2.5
TEST(Lint, TimeEncoding) {
  // GeneralizedTime for a date before 2050.
  Tbs t = staff();
  t.not_before_generalized = true;
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_time_encoding"});
  // GeneralizedTime from 2050 on is right (UTCTime cannot express it).
  Tbs late = root();
  late.not_after = std::chrono::sys_days(std::chrono::year{2050} / 1 / 1);
  late.not_after_generalized = true;
  EXPECT_EQ(ids(lint_certificate(*sign(late))), Ids{});
}

// RFC 5280 4.1.2.4
TEST(Lint, IssuerEmpty) {
  Tbs t = staff();
  t.issuer = kEmptyName;
  LintContext ctx = staff_ctx();
  ctx.issuer = nullptr;
  EXPECT_EQ(ids(lint_certificate(*sign(t), ctx)), Ids{"e_issuer_empty"});
}

// RFC 5280 4.1.2.8
TEST(Lint, UniqueIdPresent) {
  Tbs t = staff();
  t.subject_unique_id = true;
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_unique_id_present"});
}

// RFC 5280 4.1.2.6
TEST(Lint, CaSubjectEmpty) {
  Tbs t = root();
  t.issuer = world().root->subject().der;
  t.subject = kEmptyName;
  t.set(der::oids::kSubjectAltName, true, san_value({dns_name("ca.hospital.example.cn").value()}));
  // Issued by the root now (AKI = the root's key id), so not self-issued.
  t.set(der::oids::kAuthorityKeyIdentifier, false,
        encode_authority_key_identifier(world().root_info.subject_key_id).value());
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_ca_subject_empty"});
}

// RFC 5280 4.1.2.6
TEST(Lint, EmailInSubjectWithoutSan) {
  Tbs t = staff();  // SAN rfc822Name zhangsan@hospital.example.cn
  t.subject =
      name_der({{"O", "示例医院"}, {"CN", "张三"}, {"emailAddress", "lisi@hospital.example.cn"}});
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_email_in_subject_without_san"});
  // The local-part compares exactly, the domain case-insensitively.
  t.subject = name_der(
      {{"O", "示例医院"}, {"CN", "张三"}, {"emailAddress", "ZhangSan@hospital.example.cn"}});
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_email_in_subject_without_san"});
  t.subject = name_der(
      {{"O", "示例医院"}, {"CN", "张三"}, {"emailAddress", "zhangsan@HOSPITAL.Example.CN"}});
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{});
  // Without any SAN the address is missing too.
  t.remove(der::oids::kSubjectAltName);
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_email_in_subject_without_san"});
}

// RFC 5280 4.1.2.6: a profile that orders the emailAddress attribute gets the same address as
// an rfc822Name SAN from the builder, so issuance passes this rule.
TEST(Lint, IssueWritesSubjectEmailAsSan) {
  Profile with_email = variant("staff-sign", R"(order = ["C", "ST", "L", "O", "OU", "CN"])",
                               R"(order = ["C", "ST", "L", "O", "OU", "CN", "emailAddress"])");
  IssueParams p;
  p.permitted_names = &kAnyNameForTests;
  p.profile = &with_email;
  p.subject.organization = "示例医院";
  p.subject.common_name = "李四";
  p.subject.email = "lisi@hospital.example.cn";
  p.subject.identifiers["id_number"] = "310101199001011234";
  p.subject.identifiers["staff_no"] = "E12346";
  p.subject_spki = world().leaf_key.public_key_der();
  p.serial = new_serial();
  p.not_before = now() - std::chrono::hours(1);
  p.issuer = &world().root_info;
  auto issued = issue_certificate(p, settings(), *world().ca_signer, world().root.get());
  ASSERT_TRUE(issued) << issued.error().to_string();
  auto cert = Certificate::parse(issued->der).value();
  EXPECT_EQ(cert->subject().get(der::oids::kEmailAddress), "lisi@hospital.example.cn");
  const auto* san = cert->find_extension(der::oids::kSubjectAltName);
  ASSERT_NE(san, nullptr);
  auto names = parse_general_names(san->value).value();
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].type, GeneralName::Type::kRfc822);
  EXPECT_EQ(names[0].text, "lisi@hospital.example.cn");
}

LintContext issuer_only() {
  LintContext ctx;
  ctx.issuer = world().root.get();
  return ctx;
}

// A Name of one attribute, its value as given (no checks), as a non-conforming CA would write it.
Bytes raw_name(const der::Oid& type, std::string_view utf8) {
  return der_of([&](der::Writer& w) {
    w.add_sequence([&](der::Writer& rdns) {
      rdns.add_set([&](der::Writer& rdn) {
        rdn.add_sequence([&](der::Writer& atv) {
          atv.add_oid(type);
          EXPECT_TRUE(atv.add_utf8_string(utf8));
        });
      });
    });
  });
}

// RFC 5280 Appendix A.1: ub-common-name 64 (characters: 64 Chinese characters are fine).
TEST(Lint, SubjectAttributeTooLong) {
  Tbs t = staff();
  std::string cn64;
  for (int i = 0; i < 64; ++i) cn64 += "张";
  t.subject = raw_name(der::oids::kCommonName, cn64);
  EXPECT_EQ(ids(lint_certificate(*sign(t), issuer_only())), Ids{});
  t.subject = raw_name(der::oids::kCommonName, cn64 + "三");
  EXPECT_EQ(ids(lint_certificate(*sign(t), issuer_only())), Ids{"e_subject_attribute_too_long"});
  t.subject = raw_name(der::oids::kOrganizationName, std::string(65, 'o'));
  EXPECT_EQ(ids(lint_certificate(*sign(t), issuer_only())), Ids{"e_subject_attribute_too_long"});
  t.subject = raw_name(der::oids::kLocalityName, std::string(128, 'l'));
  EXPECT_EQ(ids(lint_certificate(*sign(t), issuer_only())), Ids{});
  t.subject = raw_name(der::oids::kLocalityName, std::string(129, 'l'));
  EXPECT_EQ(ids(lint_certificate(*sign(t), issuer_only())), Ids{"e_subject_attribute_too_long"});
}

// RFC 5280 Appendix A.1: the issuer's attributes too (a 65-character issuer CN).
TEST(Lint, IssuerAttributeTooLong) {
  Tbs t = staff();
  t.issuer = raw_name(der::oids::kCommonName, std::string(64, 'i'));
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{});
  t.issuer = raw_name(der::oids::kCommonName, std::string(65, 'i'));
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_issuer_attribute_too_long"});
}

// RFC 4518 2.4: U+202E RIGHT-TO-LEFT OVERRIDE (and the other direction controls, and C0/C1
// controls) in a subject attribute.
TEST(Lint, NameProhibitedCharacter) {
  Tbs t = staff();
  const LintContext ctx = issuer_only();
  t.subject = raw_name(der::oids::kCommonName, "Dr. Zhang");
  EXPECT_EQ(ids(lint_certificate(*sign(t), ctx)), Ids{});
  for (const char* bad : {"Dr. \u202Egnahz", "a\u200Fb", "a\u2066b", "a\u206Ab", "a\u0085b"}) {
    t.subject = raw_name(der::oids::kCommonName, bad);
    EXPECT_EQ(ids(lint_certificate(*sign(t), ctx)), Ids{"e_name_prohibited_character"}) << bad;
  }
}

// The builder refuses the same names before anything is signed.
TEST(Lint, BuildNameRefusesWhatLintFlags) {
  std::string cn64;
  for (int i = 0; i < 64; ++i) cn64 += "张";
  EXPECT_TRUE(build_name({{"CN", cn64}}));
  auto too_long = build_name({{"CN", cn64 + "三"}});
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().detail().find("at most 64"), std::string::npos);
  EXPECT_FALSE(build_name({{"O", std::string(65, 'o')}}));
  EXPECT_FALSE(build_name({{"ST", std::string(129, 's')}}));
  EXPECT_TRUE(build_name({{"ST", std::string(128, 's')}}));
  auto bidi = build_name({{"CN", "Dr. \u202Egnahz"}});
  ASSERT_FALSE(bidi);
  EXPECT_NE(bidi.error().detail().find("U+202E"), std::string::npos);
  EXPECT_FALSE(build_name({{"OU", "a\u2067b"}}));
  EXPECT_FALSE(build_name({{"O", "a\u0085b"}}));
}

// ---- RFC 5280 4.2 ----------------------------------------------------------------------------

// RFC 5280 4.2
TEST(Lint, DuplicateExtension) {
  Tbs t = staff();
  t.extensions.push_back(t.at(der::oids::kSubjectKeyIdentifier));
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_duplicate_extension"});
}

// RFC 5280 4.2.1.9
TEST(Lint, BasicConstraintsMalformed) {
  Tbs t = staff();
  t.at(der::oids::kBasicConstraints).value = {0x02, 0x01, 0x00};  // INTEGER, not a SEQUENCE
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_basic_constraints_malformed"});
}

// RFC 5280 4.2.1.9
TEST(Lint, BasicConstraintsNotCritical) {
  Tbs t = root();
  t.at(der::oids::kBasicConstraints).critical = false;
  EXPECT_EQ(ids(lint_certificate(*sign(t), root_ctx())), Ids{"e_basic_constraints_not_critical"});
}

// RFC 5280 4.2.1.9
TEST(Lint, CaWithoutKeyCertSign) {
  Tbs t = root();
  t.at(der::oids::kKeyUsage).value =
      ku_value(ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kCrlSign));
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_ca_without_key_cert_sign"});
}

// RFC 5280 4.2.1.9
TEST(Lint, CaBasicConstraintsMissing) {
  Tbs t = root();
  t.remove(der::oids::kBasicConstraints);
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_ca_basic_constraints_missing"});
}

// RFC 5280 4.2.1.9
TEST(Lint, PathLenWithoutCa) {
  Tbs t = staff();
  // BasicConstraints { cA FALSE (absent), pathLenConstraint 0 }
  t.at(der::oids::kBasicConstraints).value = {0x30, 0x03, 0x02, 0x01, 0x00};
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_path_len_without_ca"});
}

// RFC 5280 4.2.1.3
TEST(Lint, KeyUsageMalformed) {
  Tbs t = staff();
  t.at(der::oids::kKeyUsage).value = {0x03, 0x02, 0x00, 0xc0};  // trailing zero bits: not DER
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_key_usage_malformed"});
}

// RFC 5280 4.2.1.3
TEST(Lint, KeyUsageNotCritical) {
  Tbs t = staff();
  t.at(der::oids::kKeyUsage).critical = false;
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_key_usage_not_critical"});
}

// RFC 5280 4.2.1.3
TEST(Lint, KeyUsageEmpty) {
  Tbs t = staff();
  t.at(der::oids::kKeyUsage).value = {0x03, 0x01, 0x00};
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_key_usage_empty"});
}

// RFC 5280 4.2.1.3
TEST(Lint, EncipherOnlyWithoutKeyAgreement) {
  Tbs t = staff();
  t.at(der::oids::kKeyUsage).value =
      ku_value(ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kEncipherOnly));
  EXPECT_EQ(ids(lint_certificate(*sign(t))),
            Ids{"e_key_usage_encipher_only_without_key_agreement"});
}

// RFC 5280 4.2.1.3
TEST(Lint, CaKeyUsageMissing) {
  Tbs t = root();
  t.remove(der::oids::kKeyUsage);
  EXPECT_EQ(ids(lint_certificate(*sign(t), root_ctx())), Ids{"e_ca_key_usage_missing"});
}

// RFC 5280 4.2.1.3
TEST(Lint, KeyCertSignWithoutCa) {
  Tbs t = staff();
  t.at(der::oids::kKeyUsage).value =
      ku_value(ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kKeyCertSign));
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_key_cert_sign_without_ca"});
}

// RFC 5280 4.2.1.2
TEST(Lint, SkiMalformed) {
  Tbs t = staff();
  t.at(der::oids::kSubjectKeyIdentifier).value = {0x05, 0x00};  // NULL, not an OCTET STRING
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_ski_malformed"});
}

// RFC 5280 4.2.1.2
TEST(Lint, SkiCritical) {
  Tbs t = staff();
  t.at(der::oids::kSubjectKeyIdentifier).critical = true;
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_ski_critical"});
}

// RFC 5280 4.2.1.2
TEST(Lint, SkiMissing) {
  Tbs t = staff();
  t.remove(der::oids::kSubjectKeyIdentifier);
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_ski_missing"});
}

// RFC 5280 4.2.1.1
TEST(Lint, AkiMalformed) {
  Tbs t = staff();
  t.at(der::oids::kAuthorityKeyIdentifier).value = {0x04, 0x01, 0x00};
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_aki_malformed"});
}

// RFC 5280 4.2.1.1
TEST(Lint, AkiCritical) {
  Tbs t = staff();
  t.at(der::oids::kAuthorityKeyIdentifier).critical = true;
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_aki_critical"});
}

// RFC 5280 4.2.1.1
TEST(Lint, AkiWithoutKeyId) {
  Tbs t = staff();
  t.at(der::oids::kAuthorityKeyIdentifier).value = {0x30, 0x00};
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_aki_no_key_id"});
}

// RFC 5280 4.2.1.1
TEST(Lint, AkiMissing) {
  Tbs t = staff();
  t.remove(der::oids::kAuthorityKeyIdentifier);
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_aki_missing"});
  // ... but a self-signed certificate may omit it.
  Tbs r = root();
  r.remove(der::oids::kAuthorityKeyIdentifier);
  EXPECT_EQ(ids(lint_certificate(*sign(r), root_ctx())), Ids{});
}

// RFC 5280 4.2.1.1
TEST(Lint, AkiDiffersFromIssuerSki) {
  Tbs t = staff();
  t.at(der::oids::kAuthorityKeyIdentifier).value =
      encode_authority_key_identifier(Bytes(20, 0x42)).value();
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_aki_ski_mismatch"});
}

// RFC 5280 4.1.2.4
TEST(Lint, IssuerNameDiffersFromIssuerSubject) {
  Tbs t = staff();
  t.issuer = name_der({{"O", "示例医院"}, {"CN", "another CA"}});
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_issuer_name_mismatch"});
}

// RFC 5280 4.2.1.6
TEST(Lint, SanMalformed) {
  Tbs t = staff();
  t.at(der::oids::kSubjectAltName).value = {0x30, 0x00};  // GeneralNames SIZE (1..MAX)
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_san_malformed"});
}

// RFC 5280 4.2.1.6
TEST(Lint, SanNotCriticalWithEmptySubject) {
  Tbs t = staff();
  t.subject = kEmptyName;
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_san_not_critical_empty_subject"});
  t.at(der::oids::kSubjectAltName).critical = true;  // the fix
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{});
}

// RFC 5280 4.2.1.6
TEST(Lint, SanCriticalWithSubjectIsAWarning) {
  Tbs t = staff();
  t.at(der::oids::kSubjectAltName).critical = true;
  auto findings = lint_certificate(*sign(t), staff_ctx());
  EXPECT_EQ(ids(findings), Ids{"w_san_critical_with_subject"});
  EXPECT_FALSE(has_errors(findings));
}

// RFC 5280 4.2.1.6
TEST(Lint, EmptySubjectWithoutSan) {
  Tbs t = staff();
  t.subject = kEmptyName;
  t.remove(der::oids::kSubjectAltName);
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_subject_empty_without_san"});
}

// RFC 5280 4.2.1.6
TEST(Lint, SanEmptyName) {
  Tbs t = staff();
  // GeneralNames { rfc822Name "" }
  t.at(der::oids::kSubjectAltName).value = {0x30, 0x02, 0x81, 0x00};
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_san_empty_name"});
  // GeneralNames { uniformResourceIdentifier "" }
  t.at(der::oids::kSubjectAltName).value = {0x30, 0x02, 0x86, 0x00};
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_san_empty_name"});
}

// RFC 5280 4.2.1.6
TEST(Lint, SanIpLength) {
  Tbs t = staff();
  // GeneralNames { iPAddress 10.0.0.1 plus one octet }
  t.at(der::oids::kSubjectAltName).value = {0x30, 0x07, 0x87, 0x05, 0x0a, 0x00, 0x00, 0x01, 0x00};
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_san_ip_length"});
  t.at(der::oids::kSubjectAltName).value = san_value({ip_address("10.0.0.1").value()});
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{});
}

NameConstraints some_constraints() {
  return NameConstraints{.permitted = {dns_name("hospital.example.cn").value()}, .excluded = {}};
}

// RFC 5280 4.2.1.10
TEST(Lint, NameConstraintsNotCa) {
  Tbs t = staff();
  t.set(der::oids::kNameConstraints, true, encode_name_constraints(some_constraints()).value());
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_name_constraints_not_ca"});
}

// RFC 5280 4.2.1.10
TEST(Lint, NameConstraintsNotCritical) {
  Tbs t = root();
  t.set(der::oids::kNameConstraints, false, encode_name_constraints(some_constraints()).value());
  EXPECT_EQ(ids(lint_certificate(*sign(t), root_ctx())), Ids{"e_name_constraints_not_critical"});
}

// RFC 5280 4.2.1.10
TEST(Lint, NameConstraintsMalformed) {
  Tbs t = root();
  t.set(der::oids::kNameConstraints, true, {0x30, 0x00});  // neither subtree list
  EXPECT_EQ(ids(lint_certificate(*sign(t), root_ctx())), Ids{"e_name_constraints_malformed"});
  // permittedSubtrees { GeneralSubtree { dNSName "hospital.example.cn", maximum 1 } }
  Bytes with_max = der_of([](der::Writer& w) {
    w.add_sequence([](der::Writer& nc) {
      nc.add_implicit_constructed(0, [](der::Writer& subtrees) {
        subtrees.add_sequence([](der::Writer& st) {
          (void)st.add_raw(Bytes{0x82, 0x13, 'h', 'o', 's', 'p', 'i', 't', 'a', 'l', '.',
                                 'e',  'x',  'a', 'm', 'p', 'l', 'e', '.', 'c', 'n'});
          (void)st.add_raw(Bytes{0x81, 0x01, 0x01});
        });
      });
    });
  });
  t.set(der::oids::kNameConstraints, true, with_max);
  EXPECT_EQ(ids(lint_certificate(*sign(t), root_ctx())), Ids{"e_name_constraints_malformed"});
  t.set(der::oids::kNameConstraints, true, encode_name_constraints(some_constraints()).value());
  EXPECT_EQ(ids(lint_certificate(*sign(t), root_ctx())), Ids{});
}

// RFC 5280 4.2.2.1
TEST(Lint, AiaMalformed) {
  Tbs t = staff();
  t.set(der::oids::kAuthorityInfoAccess, false, {0x30, 0x00});  // SIZE (1..MAX)
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_aia_malformed"});
  // AccessDescription without its GeneralName.
  t.set(der::oids::kAuthorityInfoAccess, false, der_of([](der::Writer& w) {
          w.add_sequence([](der::Writer& s) {
            s.add_sequence([](der::Writer& ad) { ad.add_oid(der::oids::kAdOcsp); });
          });
        }));
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_aia_malformed"});
}

// RFC 5280 4.2.1.12
TEST(Lint, EkuMalformed) {
  Tbs t = staff();
  t.at(der::oids::kExtKeyUsage).value = {0x30, 0x01, 0x06};
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_eku_malformed"});
}

// RFC 3161 2.3
TEST(Lint, TsaEku) {
  Tbs t = staff();
  t.set(der::oids::kExtKeyUsage, false,
        encode_extended_key_usage({der::oids::kTimeStamping}).value());  // not critical
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_tsa_eku"});
  t.at(der::oids::kExtKeyUsage).critical = true;
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{});
}

// RFC 6960 4.2.2.2.1
TEST(Lint, OcspNocheckWithoutOcspSigning) {
  Tbs t = staff();
  t.set(der::oids::kOcspNoCheck, false, encode_ocsp_nocheck());
  auto findings = lint_certificate(*sign(t), staff_ctx());
  EXPECT_EQ(ids(findings), Ids{"w_ocsp_nocheck_without_ocsp_signing"});
  EXPECT_FALSE(has_errors(findings));
}

// ---- CA/Browser Forum Baseline Requirements --------------------------------------------------

// CA/B BR 7.1.2.7.12
TEST(Lint, CabfSanMissing) {
  Tbs t = ssl();
  t.subject = name_der({{"O", "示例医院"}});
  t.remove(der::oids::kSubjectAltName);
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_san_missing"});
  // A URI does not count (and is itself a SAN type the BRs do not allow).
  t.set(der::oids::kSubjectAltName, false,
        san_value({uri_name("https://his.hospital.example.cn/").value()}));
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())),
            (Ids{"e_cabf_san_missing", "e_cabf_san_type"}));
}

// CA/B BR 7.1.4.2.1
TEST(Lint, CabfInternalName) {
  Tbs t = ssl();
  t.at(der::oids::kSubjectAltName).value = san_value(
      {dns_name("his.hospital.example.cn").value(), dns_name("pacs.hospital.local").value()});
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{"e_cabf_internal_name"});
  t.at(der::oids::kSubjectAltName).value =
      san_value({dns_name("his.hospital.example.cn").value(), dns_name("pacs").value()});
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{"e_cabf_internal_name"});
}

// CA/B BR 7.1.4.2.1
TEST(Lint, CabfReservedIp) {
  Tbs t = ssl();
  t.at(der::oids::kSubjectAltName).value =
      san_value({dns_name("his.hospital.example.cn").value(), ip_address("10.1.2.3").value()});
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{"e_cabf_reserved_ip"});
  t.at(der::oids::kSubjectAltName).value =
      san_value({dns_name("his.hospital.example.cn").value(), ip_address("fd00::1").value()});
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{"e_cabf_reserved_ip"});
}

// CA/B BR 1.6.1
TEST(Lint, CabfBadWildcard) {
  Tbs t = ssl();
  for (const char* bad : {"*.cn", "his.*.example.cn", "*.*.example.cn", "a*.example.cn"}) {
    GeneralName g{
        .type = GeneralName::Type::kDns, .text = bad, .ip = {}, .directory = {}, .raw = {}};
    t.at(der::oids::kSubjectAltName).value =
        san_value({dns_name("his.hospital.example.cn").value(), g});
    EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{"e_cabf_bad_wildcard"}) << bad;
  }
  t.at(der::oids::kSubjectAltName).value = san_value(
      {dns_name("his.hospital.example.cn").value(), dns_name("*.hospital.example.cn").value()});
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{});
}

// CA/B BR 6.3.2
TEST(Lint, CabfValidityTooLong) {
  Tbs t = ssl();
  t.not_after = t.not_before + days(398);  // 398 days and one second, counted inclusively
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_validity_too_long"});
  t.not_after = t.not_before + days(398) - seconds(1);  // exactly 398 days
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{});
  // notBefore before 1678 parses as TimePoint::min() (saturated): the period is still far too
  // long (computing it overflowed, undefined behaviour: found by fuzz_cert_lint).
  t.not_before = TimePoint::min();
  t.not_before_generalized = true;
  const auto found = ids(lint_certificate(*sign(t), cabf_only()));
  EXPECT_TRUE(std::ranges::find(found, "e_cabf_validity_too_long") != found.end());
}

// An RSA SubjectPublicKeyInfo with a `bits`-bit modulus (lint reads only its size).
Bytes rsa_spki(int bits) {
  Bytes modulus(static_cast<std::size_t>((bits + 7) / 8), 0x5a);
  modulus[0] = bits % 8 == 0 ? 0xc3 : static_cast<std::uint8_t>(1U << (bits % 8 - 1));
  modulus.back() = 0x01;
  Bytes key = der_of([&](der::Writer& w) {
    w.add_sequence([&](der::Writer& s) {
      s.add_integer_unsigned(modulus);
      s.add_integer(65537);
    });
  });
  return der_of([&](der::Writer& w) {
    w.add_sequence([&](der::Writer& s) {
      s.add_sequence([](der::Writer& a) {
        a.add_oid(der::oids::kRsaEncryption);
        a.add_null();
      });
      EXPECT_TRUE(s.add_bit_string(key));
    });
  });
}

// CA/B BR 6.1.5
TEST(Lint, CabfRsaTooSmall) {
  Tbs t = ssl();
  t.spki = rsa_spki(1024);
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_rsa_too_small"});
  t.spki = rsa_spki(2048);
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{});
}

// CA/B BR 7.1.4.3
TEST(Lint, CabfCommonNameNotInSan) {
  Tbs t = ssl();
  t.subject = name_der({{"O", "示例医院"}, {"CN", "pacs.hospital.example.cn"}});
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{"e_cabf_cn_not_in_san"});
  // Case does not matter for DNS names.
  t.subject = name_der({{"O", "示例医院"}, {"CN", "HIS.Hospital.Example.CN"}});
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{});
}

TEST(Lint, CabfAppliesToServerAuthWithoutProfile) {
  // Without a profile (`hpki cert lint`), serverAuth brings in the BRs.
  Tbs t = ssl();
  t.at(der::oids::kSubjectAltName).value = san_value({dns_name("his").value()});
  t.subject = name_der({{"O", "示例医院"}});
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{"e_cabf_internal_name"});
}

// An id-ecPublicKey SubjectPublicKeyInfo on `curve` (lint reads only the curve; the point is
// P-256's generator, not checked).
Bytes ec_spki(const der::Oid& curve) {
  Bytes point = hex_decode(
                    "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe"
                    "1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
                    .value();
  return der_of([&](der::Writer& w) {
    w.add_sequence([&](der::Writer& s) {
      s.add_sequence([&](der::Writer& a) {
        a.add_oid(der::oids::kEcPublicKey);
        a.add_oid(curve);
      });
      EXPECT_TRUE(s.add_bit_string(point));
    });
  });
}
Bytes sm2_spki() {
  static const Bytes spki =
      crypto::PrivateKey::generate({KeyType::kSm2, 0}).value().public_key_der();
  return spki;
}

// CA/B BR 7.1.2.7.12
TEST(Lint, CabfSanType) {
  Tbs t = ssl();
  t.at(der::oids::kSubjectAltName).value =
      san_value({dns_name("his.hospital.example.cn").value(),
                 uri_name("https://his.hospital.example.cn/").value()});
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{"e_cabf_san_type"});
  t.at(der::oids::kSubjectAltName).value =
      san_value({dns_name("his.hospital.example.cn").value(),
                 email_address("it@hospital.example.cn").value()});
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{"e_cabf_san_type"});
}

// CA/B BR 7.1.2.7.12
TEST(Lint, CabfReverseZone) {
  using namespace std::chrono;
  Tbs t = ssl();
  t.not_before = sys_days(year{2026} / 3 / 15);
  t.not_after = t.not_before + days(300);
  t.at(der::oids::kSubjectAltName).value = san_value(
      {dns_name("his.hospital.example.cn").value(), dns_name("4.3.2.1.in-addr.arpa").value()});
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{"e_cabf_reverse_zone"});
  t.at(der::oids::kSubjectAltName).value = san_value(
      {dns_name("his.hospital.example.cn").value(),
       dns_name("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.IP6.ARPA")
           .value()});
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{"e_cabf_reverse_zone"});
  // Before the effective date the BRs allowed them.
  t.not_before = sys_days(year{2026} / 3 / 14);
  t.not_after = t.not_before + days(300);
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{});
}

// CA/B BR 3.2.2.6
TEST(Lint, CabfWildcardPublicSuffix) {
  Tbs t = ssl();
  for (const char* bad : {"*.com.cn", "*.s3.amazonaws.com", "*.CO.UK"}) {
    t.at(der::oids::kSubjectAltName).value =
        san_value({dns_name("his.hospital.example.cn").value(), dns_name(bad).value()});
    EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{"e_cabf_wildcard_public_suffix"})
        << bad;
  }
  t.at(der::oids::kSubjectAltName).value = san_value(
      {dns_name("his.hospital.example.cn").value(), dns_name("*.hospital.com.cn").value()});
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{});
}

// CA/B BR 6.1.5
TEST(Lint, CabfRsaNotMultipleOf8) {
  Tbs t = ssl();
  t.spki = rsa_spki(2052);
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_rsa_not_multiple_of_8"});
  t.spki = rsa_spki(3072);
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{});
}

// CA/B BR 6.1.5
TEST(Lint, CabfEcCurve) {
  Tbs t = ssl();
  t.spki = ec_spki(der::Oid::from_string("1.2.840.10045.3.1.1").value());  // P-192
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_ec_curve"});
  t.spki = ec_spki(der::oids::kSecp384r1);
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{});
  // SM2 keys (TLCP site certificates of the ssl-server profile) are outside the BRs: never
  // refused, with or without the profile.
  t.spki = sm2_spki();
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{});
  t.at(der::oids::kKeyUsage).value =  // the profile's usages for SM2 keys
      ku_value(ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kKeyEncipherment));
  EXPECT_EQ(ids(lint_certificate(*sign(t), ssl_ctx())), Ids{});
}

// CA/B BR 7.1.2.7.11
TEST(Lint, CabfEeKeyUsage) {
  Tbs t = ssl();  // P-256 key
  t.at(der::oids::kKeyUsage).value =
      ku_value(ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kKeyEncipherment));
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_ee_key_usage"});
  t.at(der::oids::kKeyUsage).value =
      ku_value(ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kKeyAgreement));
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{});
  t.spki = rsa_spki(2048);
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_ee_key_usage"});
  t.at(der::oids::kKeyUsage).value =
      ku_value(ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kKeyEncipherment));
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{});
  t.at(der::oids::kKeyUsage).value =
      ku_value(ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kNonRepudiation));
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_ee_key_usage"});
  // SM2 keys are not checked (GM/T 0015 encryption certificates use keyEncipherment).
  t.spki = sm2_spki();
  t.at(der::oids::kKeyUsage).value =
      ku_value(ku(KeyUsageBit::kKeyEncipherment) | ku(KeyUsageBit::kDataEncipherment));
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{});
}

// CA/B BR 7.1.2.7.11: the ssl-server profile issues ECDSA keys digitalSignature only, RSA keys
// digitalSignature + keyEncipherment, SM2 keys the profile's usages; all pass lint-before-sign.
TEST(Lint, SslServerIssuesEachKeyFamily) {
  const Profile& prof = profile("ssl-server");
  for (KeySpec spec :
       {KeySpec{KeyType::kEcP256, 0}, KeySpec{KeyType::kRsa, 2048}, KeySpec{KeyType::kSm2, 0}}) {
    auto key = crypto::PrivateKey::generate(spec).value();
    IssueParams p;
    p.permitted_names = &kAnyNameForTests;
    p.profile = &prof;
    p.subject.organization = "示例医院";
    p.subject.common_name = "his.hospital.example.cn";
    p.subject.dns_names = {"his.hospital.example.cn"};
    p.subject_spki = key.public_key_der();
    p.serial = new_serial();
    p.not_before = now();
    p.issuer = &world().root_info;
    auto issued = issue_certificate(p, settings(), *world().ca_signer, world().root.get());
    ASSERT_TRUE(issued) << crypto::key_spec_name(spec) << ": " << issued.error().to_string();
    auto cert = Certificate::parse(issued->der).value();
    auto bits = parse_key_usage(cert->find_extension(der::oids::kKeyUsage)->value).value();
    const auto want = static_cast<KeyUsageBits>(spec.type == KeyType::kEcP256
                                                    ? ku(KeyUsageBit::kDigitalSignature)
                                                    : ku(KeyUsageBit::kDigitalSignature) |
                                                          ku(KeyUsageBit::kKeyEncipherment));
    EXPECT_EQ(bits, want) << crypto::key_spec_name(spec);
    EXPECT_EQ(ids(lint_certificate(*cert, ssl_ctx())), Ids{}) << crypto::key_spec_name(spec);
  }
}

// CA/B BR 7.1.2.7.10
TEST(Lint, CabfEkuForbidden) {
  Tbs t = ssl();
  t.at(der::oids::kExtKeyUsage).value =
      encode_extended_key_usage({der::oids::kServerAuth, der::oids::kEmailProtection}).value();
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_eku_forbidden"});
  t.at(der::oids::kExtKeyUsage).value =
      encode_extended_key_usage(
          {der::oids::kServerAuth, der::Oid::from_string("1.3.6.1.4.1.11129.2.4.4").value()})
          .value();  // RFC 6962 3.1 precertificate signing
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_eku_forbidden"});
  t.at(der::oids::kExtKeyUsage).value =
      encode_extended_key_usage({der::oids::kServerAuth, der::oids::kClientAuth}).value();
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{});
}

// CA/B BR 7.1.4.3 / 7.1.4.1
TEST(Lint, CabfCnMultiple) {
  Tbs t = ssl();
  t.subject = name_der(
      {{"O", "示例医院"}, {"CN", "his.hospital.example.cn"}, {"CN", "his.hospital.example.cn"}});
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_cn_multiple"});
  t.subject = name_der({{"O", "示例医院"}, {"O", "示例医院"}, {"CN", "his.hospital.example.cn"}});
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_cn_multiple"});
}

// CA/B BR 7.1.4.1
TEST(Lint, CabfMultiValuedRdn) {
  Tbs t = ssl();
  // Name { RDN { O, CN } }: the two attributes of the one-attribute-per-RDN baseline in a SET.
  Bytes rdns = name_der({{"O", "示例医院"}, {"CN", "his.hospital.example.cn"}});
  der::Reader r(rdns);
  auto seq = r.read_sequence().value();
  std::vector<Bytes> atvs;
  while (!seq.at_end()) {
    der::Reader set(seq.read_tlv().value().value);
    auto atv = set.read_tlv().value().encoded;
    atvs.emplace_back(atv.begin(), atv.end());
  }
  t.subject = der_of([&](der::Writer& w) {
    w.add_sequence([&](der::Writer& name) {
      name.add_set_of([&](der::Writer& set) {
        for (const auto& a : atvs) (void)set.add_raw(a);
      });
    });
  });
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_multi_valued_rdn"});
}

// A Name of one-attribute RDNs with the given string types (for encodings build_name never
// writes).
enum class Str { kUtf8, kPrintable, kIa5 };
Bytes name_typed(const std::vector<std::tuple<der::Oid, Str, std::string>>& attrs) {
  return der_of([&](der::Writer& w) {
    w.add_sequence([&](der::Writer& name) {
      for (const auto& [oid, type, value] : attrs) {
        name.add_set_of([&](der::Writer& rdn) {
          rdn.add_sequence([&](der::Writer& atv) {
            atv.add_oid(oid);
            auto r = type == Str::kUtf8        ? atv.add_utf8_string(value)
                     : type == Str::kPrintable ? atv.add_printable_string(value)
                                               : atv.add_ia5_string(value);
            EXPECT_TRUE(r) << value;
          });
        });
      }
    });
  });
}

// CA/B BR 7.1.4.2
TEST(Lint, CabfAttributeEncoding) {
  namespace o = der::oids;
  Tbs t = ssl();
  const std::string cn = "his.hospital.example.cn";
  t.subject = name_typed({{o::kCountryName, Str::kUtf8, "CN"},
                          {o::kOrganizationName, Str::kUtf8, "示例医院"},
                          {o::kCommonName, Str::kPrintable, cn}});
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_attribute_encoding"});
  t.subject = name_typed({{o::kCountryName, Str::kPrintable, "CN"},
                          {o::kOrganizationName, Str::kUtf8, "示例医院"},
                          {o::kCommonName, Str::kIa5, cn}});
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_attribute_encoding"});
  t.subject = name_typed(
      {{o::kPostalCode, Str::kPrintable, std::string(41, '1')}, {o::kCommonName, Str::kUtf8, cn}});
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{"e_cabf_attribute_encoding"});
  t.subject = name_typed({{o::kCountryName, Str::kPrintable, "CN"},
                          {o::kPostalCode, Str::kPrintable, std::string(40, '1')},
                          {o::kOrganizationName, Str::kUtf8, "示例医院"},
                          {o::kCommonName, Str::kUtf8, cn}});
  EXPECT_EQ(ids(lint_certificate(*sign(t), cabf_only())), Ids{});
}

// ---- hpki profile rules ----------------------------------------------------------------------

// hpki profile staff-sign
TEST(Lint, ProfileKeyAlgorithm) {
  Profile sm2_only =
      variant("staff-sign", R"(key_algorithms = ["rsa2048", "rsa3072", "p256", "sm2"])",
              R"(key_algorithms = ["sm2"])");
  LintContext ctx = staff_ctx();
  ctx.profile = &sm2_only;
  EXPECT_EQ(ids(lint_certificate(*world().staff, ctx)), Ids{"e_profile_key_algorithm"});
}

// hpki profile root-ca
TEST(Lint, ProfileKind) {
  // Neither basicConstraints nor keyUsage: no RFC rule fires, but root-ca makes CAs only.
  Tbs t = root();
  t.remove(der::oids::kBasicConstraints);
  t.remove(der::oids::kKeyUsage);
  EXPECT_EQ(ids(lint_certificate(*sign(t))), Ids{});
  EXPECT_EQ(ids(lint_certificate(*sign(t), root_ctx())), Ids{"e_profile_kind"});
}

// hpki profile staff-sign
TEST(Lint, ProfileKeyUsage) {
  Tbs t = staff();
  t.at(der::oids::kKeyUsage).value = ku_value(ku(KeyUsageBit::kDigitalSignature));
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_profile_key_usage"});
}

// hpki profile staff-sign
TEST(Lint, ProfileValidity) {
  Tbs t = staff();
  t.not_after = t.not_before + days(1825);  // max_days 1825, plus one second
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_profile_validity"});
  t.not_after = t.not_before + days(1825) - seconds(1);
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{});
}

// hpki profile staff-sign
TEST(Lint, ProfileEku) {
  Tbs t = staff();
  t.at(der::oids::kExtKeyUsage).value = encode_extended_key_usage({der::oids::kClientAuth}).value();
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_profile_eku"});
}

// GB/T 25056 / GM/T 0015
TEST(Lint, ProfileSignAndEncrypt) {
  Tbs t = staff();
  t.at(der::oids::kKeyUsage).value =
      ku_value(ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kNonRepudiation) |
               ku(KeyUsageBit::kKeyEncipherment));
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_profile_sign_and_encrypt"});
}

// hpki profile staff-sign
TEST(Lint, ProfileIdentifierMissing) {
  Profile required = variant("staff-sign", R"(id_number = { placement = "gmt0015" })",
                             R"(id_number = { placement = "gmt0015", required = true })");
  LintContext ctx = staff_ctx();
  ctx.profile = &required;
  EXPECT_EQ(ids(lint_certificate(*world().staff, ctx)), Ids{});
  Tbs t = staff();
  t.remove(der::oids::kGmIdentifyCode);
  EXPECT_EQ(ids(lint_certificate(*sign(t), ctx)), Ids{"e_profile_identifier_missing"});

  // A health-system identifier, whose OID comes from configuration.
  Profile health = variant("staff-sign", R"(staff_no = { placement = "health" })",
                           R"(staff_no = { placement = "health", required = true })");
  ctx.profile = &health;
  EXPECT_EQ(ids(lint_certificate(*world().staff, ctx)), Ids{});
  Tbs h = staff();
  h.remove(settings().health_oids.at("staff_no"));
  EXPECT_EQ(ids(lint_certificate(*sign(h), ctx)), Ids{"e_profile_identifier_missing"});
}

// hpki profile staff-sign
TEST(Lint, ProfileSubjectAttribute) {
  Tbs t = staff();
  t.subject = name_der({{"C", "CN"}, {"CN", "张三"}});  // O is required
  EXPECT_EQ(ids(lint_certificate(*sign(t), staff_ctx())), Ids{"e_profile_subject_attribute"});
}

// ---- lint before sign ------------------------------------------------------------------------

// A Signer that counts how often it is asked to sign.
class CountingSigner final : public crypto::Signer {
 public:
  explicit CountingSigner(const crypto::Signer& inner) : inner_(inner) {}
  [[nodiscard]] crypto::SignatureAlg algorithm() const override { return inner_.algorithm(); }
  [[nodiscard]] const Bytes& public_key_der() const override { return inner_.public_key_der(); }
  [[nodiscard]] Result<Bytes> sign(BytesView message) const override {
    ++calls;
    return inner_.sign(message);
  }
  mutable int calls = 0;

 private:
  const crypto::Signer& inner_;
};

// CA/B BR 7.1.4.2.1
TEST(Lint, IssueRefusesToSignWithLintErrors) {
  CountingSigner signer(*world().ca_signer);
  IssueParams p;
  p.permitted_names = &kAnyNameForTests;
  p.profile = &profile("ssl-server");
  p.subject.organization = "示例医院";
  p.subject.common_name = "his.hospital.example.cn";
  p.subject.dns_names = {"his.hospital.example.cn", "pacs.hospital.local"};
  p.subject_spki = world().leaf_key.public_key_der();
  p.serial = new_serial();
  p.not_before = now();
  p.issuer = &world().root_info;
  auto issued = issue_certificate(p, settings(), signer, world().root.get());
  ASSERT_FALSE(issued);
  EXPECT_EQ(issued.error().code(), ErrorCode::kLintFailed);
  EXPECT_NE(
      issued.error().detail().find("error e_cabf_internal_name [CA/B BR 7.1.4.2.1]: internal name "
                                   "'pacs.hospital.local'"),
      std::string::npos)
      << issued.error().detail();
  EXPECT_EQ(signer.calls, 0) << "the CA key was used for a certificate with lint errors";

  // The same request without the internal name is signed, once.
  p.subject.dns_names = {"his.hospital.example.cn"};
  auto ok = issue_certificate(p, settings(), signer, world().root.get());
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(signer.calls, 1);
}

// hpki profile staff-sign (identifiers placed in health-system extensions)
TEST(Lint, IssueLintsWithTheConfiguredHealthOids) {
  // A required health identifier must be there; the builder refuses before lint when the
  // value is missing, so check the lint side directly on the TBS.
  Profile health = variant("staff-sign", R"(staff_no = { placement = "health" })",
                           R"(staff_no = { placement = "health", required = true })");
  Tbs t = staff();
  t.remove(settings().health_oids.at("staff_no"));
  LintContext ctx = staff_ctx();
  ctx.profile = &health;
  auto findings = lint_tbs_certificate(t.encode(), ctx);
  ASSERT_TRUE(findings) << findings.error().to_string();
  EXPECT_EQ(ids(*findings), Ids{"e_profile_identifier_missing"});
}

// ---- documentation -----------------------------------------------------------------------------

TEST(Lint, EveryRuleIsDocumentedAndTested) {
  // The rule ids are the constants of namespace diag::lint in src/x509/diag.h, and lint.cpp
  // reports only those (no literal ids). Each must be in docs/conformance.md "Lint rules" and
  // asserted by a test in this file; each must be reported somewhere in lint.cpp.
  const auto root = std::filesystem::path(HPKI_SOURCE_DIR);
  const std::string header = read_text(root / "src/x509/diag.h");
  const std::string code = read_text(root / "src/x509/lint.cpp");
  const std::string doc = read_text(root / "docs/conformance.md");
  const std::string tests = read_text(root / "tests/unit/x509/lint_test.cpp");
  const auto begin = header.find("namespace lint {");
  const auto end = header.find("}  // namespace lint", begin);
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const std::string block = header.substr(begin, end - begin);
  std::map<std::string, std::string> rule_ids;  // constant name -> id
  const std::regex constant_re(R"re((k[A-Za-z0-9]+) =\s*"([^"]*)")re");
  for (auto it = std::sregex_iterator(block.begin(), block.end(), constant_re);
       it != std::sregex_iterator(); ++it) {
    rule_ids[(*it)[1].str()] = (*it)[2].str();
  }
  EXPECT_GE(rule_ids.size(), 50u);

  const std::regex literal_re(R"re("[ew]_[a-z0-9_]+")re");
  std::smatch literal;
  EXPECT_FALSE(std::regex_search(code, literal, literal_re))
      << "lint.cpp reports the literal id " << literal.str(0) << ": add it to diag::lint";
  // The first argument of every finding lint.cpp adds is a diag::lint constant (through the
  // alias rule_id).
  const std::regex use_re(R"re(f\.(?:error|warn|notice)\(\s*([^,]*),)re");
  const std::regex constant_use_re(R"re((?:rule_id|diag::lint)::(k[A-Za-z0-9]+))re");
  std::set<std::string> reported;
  for (auto it = std::sregex_iterator(code.begin(), code.end(), use_re);
       it != std::sregex_iterator(); ++it) {
    const std::string arg = (*it)[1].str();
    std::smatch m;
    const bool named = std::regex_match(arg, m, constant_use_re) && rule_ids.contains(m[1].str());
    EXPECT_TRUE(named) << (*it)[0].str() << ": the id is not a diag::lint constant";
    if (named) reported.insert(m[1].str());
  }
  EXPECT_GE(reported.size(), 50u);
  for (const auto& [name, id] : rule_ids) {
    EXPECT_TRUE(std::regex_match(id, std::regex("[ew]_[a-z0-9_]+"))) << name << " = " << id;
    EXPECT_TRUE(reported.contains(name)) << name << " (" << id << ") is never reported";
    EXPECT_NE(doc.find("| `" + id + "` |"), std::string::npos)
        << id << " not in docs/conformance.md";
    EXPECT_NE(tests.find("Ids{\"" + id + "\""), std::string::npos) << id << " has no test";
  }
}

// ---- third-party certificates ----------------------------------------------------------------

std::vector<CertificatePtr> load_all(const std::filesystem::path& p) {
  auto data = test::read_file(p.string());
  auto certs = Certificate::parse_all(data);
  EXPECT_TRUE(certs) << p << ": " << certs.error().to_string();
  return certs ? *certs : std::vector<CertificatePtr>{};
}

const std::filesystem::path kVectors = std::filesystem::path(HPKI_SOURCE_DIR) / "tests/vectors";

TEST(LintThirdParty, TongsuoSm2Certificates) {
  // Tongsuo's SM2 test certificates (tests/vectors/lint/tongsuo/): checked by hand with
  // `openssl x509 -text`: the root has serial 0, the end entities a non-critical keyUsage.
  int linted = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kVectors / "lint/tongsuo")) {
    if (entry.path().extension() != ".crt") continue;
    for (const auto& c : load_all(entry.path())) {
      auto findings = lint_certificate(*c);
      ++linted;
      EXPECT_EQ(c->key_spec().value().type, KeyType::kSm2);
      if (c->subject().get(der::oids::kCommonName) == "root ca") {
        // RFC 5280 4.1.2.2
        EXPECT_EQ(ids(findings), Ids{"e_serial_not_positive"});
      } else if (c->subject().get(der::oids::kCommonName) == "sub ca") {
        EXPECT_EQ(ids(findings), Ids{});
      } else {
        // RFC 5280 4.2.1.3
        EXPECT_EQ(ids(findings), Ids{"e_key_usage_not_critical"}) << entry.path();
      }
    }
  }
  EXPECT_EQ(linted, 9);
}

TEST(LintThirdParty, PkitsCertificates) {
  // NIST PKITS: every certificate lints without crashing; the ones built to break a rule are
  // found by that rule (file names are PKITS's own test names). PKITS keys are RSA-2048.
  // The whole PKITS set (tests/vectors/pkits).
  int linted = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kVectors / "pkits/certs")) {
    auto data = test::read_file(entry.path().string());
    auto cert = Certificate::parse(data);
    if (!cert) continue;  // InvalidDSASignatureTest6EE: malformed signature BIT STRING
    (void)lint_certificate(**cert);
    ++linted;
  }
  EXPECT_GT(linted, 300);
  // The one PKITS certificate hpki cannot parse is refused with a precise error.
  auto bad = Certificate::parse(
      test::read_file((kVectors / "lint/pkits/InvalidDSASignatureTest6EE.crt").string()));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kBadCertificate);

  const std::map<std::string, std::string> expected = {
      {"InvalidNegativeSerialNumberTest15EE.crt", "e_serial_not_positive"},     // RFC 5280 4.1.2.2
      {"MissingbasicConstraintsCACert.crt", "e_ca_basic_constraints_missing"},  // RFC 5280 4.2.1.9
      {"basicConstraintsNotCriticalCACert.crt", "e_basic_constraints_not_critical"},
      {"basicConstraintsNotCriticalcAFalseCACert.crt", "e_key_cert_sign_without_ca"},
      {"keyUsageCriticalkeyCertSignFalseCACert.crt", "e_ca_without_key_cert_sign"},
      {"keyUsageNotCriticalCACert.crt", "e_key_usage_not_critical"},
      {"UIDCACert.crt", "e_unique_id_present"},                             // RFC 5280 4.1.2.8
      {"ValidGeneralizedTimenotBeforeDateTest4EE.crt", "e_time_encoding"},  // RFC 5280 4.1.2.5
      {"ValidDSAParameterInheritanceTest5EE.crt", "e_signature_algorithm_unsupported"},
  };
  for (const auto& [file, id] : expected) {
    auto certs = load_all(kVectors / "lint/pkits" / file);
    ASSERT_EQ(certs.size(), 1u) << file;
    auto findings = lint_certificate(*certs[0]);
    EXPECT_EQ(ids(findings), Ids{id}) << file;
  }
  // A good CA and a good end entity are clean, and their keys are 2048-bit RSA.
  for (const char* file : {"GoodCACert.crt", "ValidCertificatePathTest1EE.crt"}) {
    auto certs = load_all(kVectors / "lint/pkits" / file);
    ASSERT_EQ(certs.size(), 1u);
    EXPECT_EQ(ids(lint_certificate(*certs[0])), Ids{}) << file;
    EXPECT_EQ(certs[0]->key_spec().value(), (KeySpec{KeyType::kRsa, 2048})) << file;
  }
}

}  // namespace
}  // namespace hpki::x509
