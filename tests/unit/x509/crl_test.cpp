// CRLs built by hpki (RFC 5280 section 5), checked by the openssl CLI (RSA, P-256: `openssl crl
// -CAfile` and `openssl verify -crl_check`) and by hpki's parser, signature verification and
// CRL checks. SM2 CRLs: hpki verifies them with the standard ID; OpenSSL 3.0 cannot (it has no
// ID hook for CRLs), which the test asserts so that a future OpenSSL that can is noticed.
#include <gtest/gtest.h>

#include "core/pem.h"
#include "der/oids.h"
#include "der/reader.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_util.h"
#include "x509/crl.h"
#include "x509/crl_check.h"
#include "x509/lint.h"

namespace hpki::x509 {
namespace {

using crypto::KeySpec;
using crypto::KeyType;
using testca::Ca;

CrlTemplate base_template(const Ca& ca, TimePoint now) {
  CrlTemplate t;
  t.issuer = ca.cert->subject();
  t.authority_key_id = ca.info.subject_key_id;
  t.this_update = now - std::chrono::hours(1);
  t.next_update = now + std::chrono::days(7);
  t.crl_number = Bytes{0x01, 0x00};
  return t;
}

RevokedEntry entry(BytesView serial, TimePoint when, std::optional<RevocationReason> reason,
                   std::optional<TimePoint> invalidity = std::nullopt) {
  RevokedEntry e;
  e.serial.assign(serial.begin(), serial.end());
  e.revocation_date = when;
  e.reason = reason;
  e.invalidity_date = invalidity;
  return e;
}

DistributionPoint first_dp(const Certificate& c) {
  const auto* e = c.find_extension(der::oids::kCrlDistributionPoints);
  EXPECT_NE(e, nullptr);
  return parse_crl_distribution_points(e->value).value().at(0);
}

struct Family {
  const char* name;
  KeySpec spec;
};

class CrlInteropTest : public ::testing::TestWithParam<Family> {};

TEST_P(CrlInteropTest, OpensslAcceptsHpkiCrls) {
  const Family fam = GetParam();
  test::TempDir dir;
  const TimePoint now = testca::now();
  Ca root = testca::make_ca(fam.spec, std::string("crl-root-") + fam.name, nullptr);
  Ca sub = testca::make_ca(fam.spec, std::string("crl-sub-") + fam.name, &root);
  auto good = testca::issue_leaf(sub, fam.spec, "good.hospital.example.cn");
  auto bad = testca::issue_leaf(sub, fam.spec, "bad.hospital.example.cn");
  auto other = testca::issue_leaf(sub, fam.spec, "other.hospital.example.cn");

  CrlTemplate t = base_template(sub, now);
  t.revoked.push_back(entry(bad->serial(), now - std::chrono::minutes(30),
                            RevocationReason::kKeyCompromise, now - std::chrono::days(2)));
  t.revoked.push_back(
      entry(other->serial(), now - std::chrono::minutes(20), RevocationReason::kSuperseded));
  // RFC 5280 5.3.1: unspecified SHOULD be absent -> no reasonCode extension at all.
  const Bytes unspecified_serial{0x01, 0x23, 0x45};
  t.revoked.push_back(
      entry(unspecified_serial, now - std::chrono::minutes(10), RevocationReason::kUnspecified));
  auto der = build_crl(t, *sub.signer);
  ASSERT_TRUE(der) << der.error().to_string();

  test::write_file(dir.file("crl.der"), *der);
  test::write_file(dir.file("crl.pem"), pem_encode("X509 CRL", *der));
  test::write_file(dir.file("sub.pem"), testca::pem(*sub.cert));
  test::write_file(dir.file("chain.pem"), testca::pem(*root.cert) + testca::pem(*sub.cert));
  test::write_file(dir.file("good.pem"), testca::pem(*good));
  test::write_file(dir.file("bad.pem"), testca::pem(*bad));

  // hpki's parser and checks.
  auto crl = Crl::parse(*der);
  ASSERT_TRUE(crl) << crl.error().to_string();
  EXPECT_EQ((*crl)->version(), 2);
  EXPECT_EQ((*crl)->crl_number(), (Bytes{0x01, 0x00}));
  EXPECT_FALSE((*crl)->is_delta());
  ASSERT_EQ((*crl)->revoked().size(), 3u);
  const RevokedEntry* e = (*crl)->find(bad->serial());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->reason, RevocationReason::kKeyCompromise);
  EXPECT_EQ(e->invalidity_date, now - std::chrono::days(2));
  EXPECT_TRUE(e->extensions.empty());
  const RevokedEntry* u = (*crl)->find(unspecified_serial);
  ASSERT_NE(u, nullptr);
  EXPECT_FALSE(u->reason.has_value());
  EXPECT_EQ((*crl)->find(good->serial()), nullptr);
  EXPECT_TRUE((*crl)->verify_signature(sub.cert->spki_der()));
  EXPECT_FALSE((*crl)->verify_signature(root.cert->spki_der()));
  EXPECT_TRUE(lint_crl(**crl).empty()) << format_findings(lint_crl(**crl));
  auto again = Crl::parse_any(as_bytes(pem_encode("X509 CRL", *der)));
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->der(), *der);

  const DistributionPoint dp = first_dp(*good);
  CrlCheckOptions opt{.at = now, .max_age = std::chrono::days(7), .distribution_point = &dp};
  auto g = check_crl_for(**crl, *sub.cert, *good, opt);
  EXPECT_EQ(g.status, CrlStatus::kGood) << g.diag << ": " << g.detail;
  auto r = check_crl_for(**crl, *sub.cert, *bad, opt);
  EXPECT_EQ(r.status, CrlStatus::kRevoked) << r.diag << ": " << r.detail;
  ASSERT_TRUE(r.entry.has_value());
  EXPECT_EQ(r.entry->reason, RevocationReason::kKeyCompromise);
  // The root is not the CRL issuer.
  EXPECT_EQ(check_crl_for(**crl, *root.cert, *good, opt).diag, diag::kCrlIssuerNotFound);
  // Past nextUpdate / before thisUpdate.
  opt.at = now + std::chrono::days(8);
  EXPECT_EQ(check_crl_for(**crl, *sub.cert, *good, opt).diag, diag::kCrlExpired);
  opt.at = now - std::chrono::hours(2);
  EXPECT_EQ(check_crl_for(**crl, *sub.cert, *good, opt).diag, diag::kCrlNotYetValid);
  opt.at = now;
  // RFC 5280 6.3.3 (a)(1): a thisUpdate before 1678 reads as TimePoint::min() and is older
  // than any maximum age (computing its age overflowed: undefined behaviour).
  CrlTemplate ancient = t;
  ancient.this_update = TimePoint::min();
  auto old_crl = Crl::parse(build_crl(ancient, *sub.signer).value()).value();
  EXPECT_EQ(old_crl->this_update(), TimePoint::min());
  EXPECT_EQ(check_crl_for(*old_crl, *sub.cert, *good, opt).diag, diag::kCrlTooOld);

  // openssl: signature, text, and revocation checking of the leaf.
  auto v = test::run("openssl crl -inform DER -in " + dir.file("crl.der") + " -CAfile " +
                     dir.file("sub.pem") + " -noout");
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("verify OK"), std::string::npos) << v.output;
  auto text = test::run("openssl crl -inform DER -in " + dir.file("crl.der") + " -noout -text");
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("Key Compromise"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("Superseded"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("Invalidity Date"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("X509v3 CRL Number"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("256"), std::string::npos) << text.output;  // 0x0100
  EXPECT_NE(text.output.find("Version 2"), std::string::npos) << text.output;
  EXPECT_EQ(text.output.find("Unspecified"), std::string::npos) << text.output;

  const std::string verify = "openssl verify -crl_check -CAfile " + dir.file("chain.pem") +
                             " -CRLfile " + dir.file("crl.pem") + " ";
  auto ok = test::run(verify + dir.file("good.pem"));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find(": OK"), std::string::npos) << ok.output;
  auto revoked = test::run(verify + dir.file("bad.pem"));
  EXPECT_NE(revoked.exit_code, 0) << revoked.output;
  EXPECT_NE(revoked.output.find("error 23"), std::string::npos) << revoked.output;
  EXPECT_NE(revoked.output.find("certificate revoked"), std::string::npos) << revoked.output;

  // Delta CRL (RFC 5280 5.2.4: deltaCRLIndicator critical, base CRL number).
  CrlTemplate d = base_template(sub, now);
  d.crl_number = Bytes{0x01, 0x01};
  d.delta_base = Bytes{0x01, 0x00};
  d.revoked.push_back(
      entry(good->serial(), now - std::chrono::minutes(5), RevocationReason::kRemoveFromCrl));
  auto delta = build_crl(d, *sub.signer);
  ASSERT_TRUE(delta) << delta.error().to_string();
  auto dcrl = Crl::parse(*delta).value();
  EXPECT_TRUE(dcrl->is_delta());
  ASSERT_NE(dcrl->find_extension(der::oids::kDeltaCrlIndicator), nullptr);
  EXPECT_TRUE(dcrl->find_extension(der::oids::kDeltaCrlIndicator)->critical);
  EXPECT_EQ(check_crl_for(*dcrl, *sub.cert, *good, opt).diag, diag::kCrlDeltaUnsupported);
  test::write_file(dir.file("delta.der"), *delta);
  auto dv = test::run("openssl crl -inform DER -in " + dir.file("delta.der") + " -CAfile " +
                      dir.file("sub.pem") + " -noout -text");
  EXPECT_EQ(dv.exit_code, 0) << dv.output;
  EXPECT_NE(dv.output.find("verify OK"), std::string::npos) << dv.output;
  EXPECT_NE(dv.output.find("Delta CRL Indicator: critical"), std::string::npos) << dv.output;
  EXPECT_NE(dv.output.find("Remove From CRL"), std::string::npos) << dv.output;

  // Partitioned CRL with an issuingDistributionPoint naming the leaves' distribution point.
  CrlTemplate p = base_template(sub, now);
  p.crl_number = Bytes{0x01, 0x02};
  IssuingDistributionPoint idp;
  idp.full_name = dp.full_name;
  idp.only_contains_user_certs = true;
  p.idp = idp;
  p.revoked.push_back(
      entry(bad->serial(), now - std::chrono::minutes(30), RevocationReason::kAffiliationChanged));
  auto part = build_crl(p, *sub.signer);
  ASSERT_TRUE(part) << part.error().to_string();
  auto pcrl = Crl::parse(*part).value();
  ASSERT_NE(pcrl->find_extension(der::oids::kIssuingDistributionPoint), nullptr);
  EXPECT_TRUE(pcrl->find_extension(der::oids::kIssuingDistributionPoint)->critical);
  EXPECT_EQ(check_crl_for(*pcrl, *sub.cert, *good, opt).status, CrlStatus::kGood);
  EXPECT_EQ(check_crl_for(*pcrl, *sub.cert, *bad, opt).status, CrlStatus::kRevoked);
  // RFC 5280 6.3.3 (b)(2)(i): without the matching distribution point the CRL does not apply.
  opt.distribution_point = nullptr;
  EXPECT_EQ(check_crl_for(*pcrl, *sub.cert, *good, opt).diag, diag::kCrlIdpNameMismatch);
  test::write_file(dir.file("idp.pem"), pem_encode("X509 CRL", *part));
  auto it = test::run("openssl crl -in " + dir.file("idp.pem") + " -CAfile " + dir.file("sub.pem") +
                      " -noout -text");
  EXPECT_EQ(it.exit_code, 0) << it.output;
  EXPECT_NE(it.output.find("verify OK"), std::string::npos) << it.output;
  EXPECT_NE(it.output.find("Issuing Distribution Point: critical"), std::string::npos) << it.output;
  EXPECT_NE(it.output.find("Only User Certificates"), std::string::npos) << it.output;
  const std::string pverify = "openssl verify -crl_check -CAfile " + dir.file("chain.pem") +
                              " -CRLfile " + dir.file("idp.pem") + " ";
  auto pok = test::run(pverify + dir.file("good.pem"));
  EXPECT_EQ(pok.exit_code, 0) << pok.output;
  auto prev = test::run(pverify + dir.file("bad.pem"));
  EXPECT_NE(prev.output.find("error 23"), std::string::npos) << prev.output;
}

INSTANTIATE_TEST_SUITE_P(Families, CrlInteropTest,
                         ::testing::Values(Family{"rsa", {KeyType::kRsa, 2048}},
                                           Family{"ecdsa", {KeyType::kEcP256, 0}}),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(CrlSm2, VerifiedWithStandardIdOnlyAndNotByOpenssl30) {
  test::TempDir dir;
  const TimePoint now = testca::now();
  const KeySpec sm2{KeyType::kSm2, 0};
  Ca root = testca::make_ca(sm2, "crl-root-sm2", nullptr);
  Ca sub = testca::make_ca(sm2, "crl-sub-sm2", &root);
  auto good = testca::issue_leaf(sub, sm2, "good.hospital.example.cn");
  auto bad = testca::issue_leaf(sub, sm2, "bad.hospital.example.cn");
  CrlTemplate t = base_template(sub, now);
  t.revoked.push_back(
      entry(bad->serial(), now - std::chrono::minutes(3), RevocationReason::kCaCompromise));
  auto der = build_crl(t, *sub.signer);
  ASSERT_TRUE(der) << der.error().to_string();
  auto crl = Crl::parse(*der).value();
  EXPECT_EQ(crl->signature_algorithm().oid, der::oids::kSm2WithSm3);

  // GM/T 0009: the standard ID verifies; the empty ID and any other ID do not.
  EXPECT_TRUE(crl->verify_signature(sub.cert->spki_der()));
  EXPECT_TRUE(crl->verify_signature(sub.cert->spki_der(), crypto::kSm2DefaultId));
  EXPECT_FALSE(crl->verify_signature(sub.cert->spki_der(), ""));
  auto other_id = crl->verify_signature(sub.cert->spki_der(), "1234567812345679");
  ASSERT_FALSE(other_id);
  EXPECT_EQ(other_id.error().code(), ErrorCode::kBadSignature);

  CrlCheckOptions opt;
  opt.at = now;
  EXPECT_EQ(check_crl_for(*crl, *sub.cert, *good, opt).status, CrlStatus::kGood);
  EXPECT_EQ(check_crl_for(*crl, *sub.cert, *bad, opt).status, CrlStatus::kRevoked);
  // RFC 5280 6.3.3 (a)(1): a thisUpdate before 1678 (TimePoint::min()) is too old.
  CrlTemplate ancient = t;
  ancient.this_update = TimePoint::min();
  auto old_crl = Crl::parse(build_crl(ancient, *sub.signer).value()).value();
  opt.max_age = std::chrono::days(7);
  EXPECT_EQ(check_crl_for(*old_crl, *sub.cert, *good, opt).diag, diag::kCrlTooOld);
  opt.max_age.reset();
  opt.sm2_id = "1234567812345679";
  EXPECT_EQ(check_crl_for(*crl, *sub.cert, *good, opt).diag, diag::kCrlSignatureInvalid);

  // OpenSSL 3.0 has no distinguishing-ID hook for CRLs and verifies with the empty ID.
  test::write_file(dir.file("crl.der"), *der);
  test::write_file(dir.file("sub.pem"), testca::pem(*sub.cert));
  auto v = test::run("openssl crl -inform DER -in " + dir.file("crl.der") + " -CAfile " +
                     dir.file("sub.pem") + " -noout");
  EXPECT_EQ(v.output.find("verify OK"), std::string::npos)
      << "OpenSSL now verifies std-ID SM2 CRLs; update docs/conformance.md: " << v.output;
  EXPECT_NE(v.output.find("verify failure"), std::string::npos) << v.output;
  // But it parses and prints it.
  auto text = test::run("openssl crl -inform DER -in " + dir.file("crl.der") + " -noout -text");
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("CA Compromise"), std::string::npos) << text.output;
}

TEST(CrlBuild, LintStopsBadCrlsBeforeSigning) {
  const TimePoint now = testca::now();
  Ca ca = testca::make_ca({KeyType::kEcP256, 0}, "crl-lint", nullptr);
  // RFC 5280 5.1.2.5: nextUpdate must be after thisUpdate.
  CrlTemplate t = base_template(ca, now);
  t.next_update = t.this_update;
  auto r = build_crl(t, *ca.signer);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kLintFailed);
  EXPECT_NE(r.error().detail().find("e_crl_next_update_before_this_update"), std::string::npos)
      << r.error().detail();
  // RFC 5280 5.2.1: authorityKeyIdentifier is required.
  t = base_template(ca, now);
  t.authority_key_id.clear();
  r = build_crl(t, *ca.signer);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail().find("e_crl_aki_missing"), std::string::npos);
  // RFC 5280 5.3.1: removeFromCRL only in delta CRLs.
  t = base_template(ca, now);
  t.revoked.push_back(entry(Bytes{0x05}, now, RevocationReason::kRemoveFromCrl));
  r = build_crl(t, *ca.signer);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail().find("e_crl_remove_from_crl_in_full_crl"), std::string::npos);
  // RFC 5280 5.1.2.6: a serial listed twice.
  t = base_template(ca, now);
  t.revoked.push_back(entry(Bytes{0x05}, now, std::nullopt));
  t.revoked.push_back(entry(Bytes{0x05}, now, std::nullopt));
  r = build_crl(t, *ca.signer);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail().find("e_crl_entry_duplicate"), std::string::npos);
  // RFC 5280 5.2.3: cRLNumber at most 20 octets.
  t = base_template(ca, now);
  t.crl_number = Bytes(21, 0x7f);
  EXPECT_FALSE(build_crl(t, *ca.signer));
}

TEST(CrlBuild, TimesUtcThrough2049GeneralizedFrom2050) {
  // RFC 5280 5.1.2.4 / 5.1.2.5 (4.1.2.5 rules).
  Ca ca = testca::make_ca({KeyType::kEcP256, 0}, "crl-time", nullptr);
  CrlTemplate t = base_template(ca, testca::now());
  t.this_update = std::chrono::sys_days{std::chrono::year{2049} / 12 / 31};
  t.next_update = std::chrono::sys_days{std::chrono::year{2050} / 1 / 2};
  auto der = build_crl(t, *ca.signer);
  ASSERT_TRUE(der) << der.error().to_string();
  der::Reader top(*der);
  auto outer = top.read_sequence().value();
  auto tbs = outer.read_sequence().value();
  (void)tbs.read_integer().value();
  (void)tbs.read_tlv().value();  // signature
  (void)tbs.read_tlv().value();  // issuer
  EXPECT_TRUE(tbs.peek_is(der::kUtcTime));
  (void)tbs.read_tlv().value();
  EXPECT_TRUE(tbs.peek_is(der::kGeneralizedTime));
  (void)tbs.read_tlv().value();
  // No revoked certificates: the field is absent (never an empty SEQUENCE), next is [0].
  EXPECT_TRUE(tbs.peek_is(der::Tag::context_constructed(0)));
  auto crl = Crl::parse(*der).value();
  EXPECT_EQ(crl->next_update(), t.next_update);
  EXPECT_TRUE(crl->revoked().empty());
}

// invalidityDate (RFC 5280 5.3.2) is a GeneralizedTime up to 9999; a TimePoint ends in 2262:
// later dates saturate to TimePoint::max() (they overflowed, undefined behaviour).
TEST(CrlEntryExtensions, InvalidityDateBeyondTheTimePointRangeSaturates) {
  auto value = [](std::string_view time) {
    Bytes v{0x18, static_cast<std::uint8_t>(time.size())};
    v.insert(v.end(), time.begin(), time.end());
    return v;
  };
  EXPECT_EQ(parse_invalidity_date(value("30170302000000Z")).value(), TimePoint::max());
  EXPECT_EQ(parse_invalidity_date(value("99991231235959Z")).value(), TimePoint::max());
  EXPECT_EQ(parse_invalidity_date(value("10000101000000Z")).value(), TimePoint::min());
  EXPECT_EQ(parse_invalidity_date(value("20300101000000Z")).value(),
            TimePoint(std::chrono::sys_days{std::chrono::year{2030} / 1 / 1}));
}

TEST(CrlBuild, HundredThousandEntriesRoundTrip) {
  // Issue 6 scale target: 1,000,000 entries in < 10 s; here 100k, no timing assertion.
  const TimePoint now = testca::now();
  Ca ca = testca::make_ca({KeyType::kEcP256, 0}, "crl-big", nullptr);
  CrlTemplate t = base_template(ca, now);
  constexpr std::size_t kCount = 100000;
  t.revoked.reserve(kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    RevokedEntry e;
    e.serial = Bytes{0x40,
                     static_cast<std::uint8_t>(i >> 16),
                     static_cast<std::uint8_t>(i >> 8),
                     static_cast<std::uint8_t>(i),
                     0x11,
                     0x22,
                     0x33,
                     0x44};
    e.revocation_date = now - std::chrono::seconds(i);
    if (i % 3 == 0) e.reason = RevocationReason::kKeyCompromise;
    if (i % 5 == 0) e.reason = RevocationReason::kCessationOfOperation;
    if (i % 7 == 0) e.invalidity_date = now - std::chrono::days(1) - std::chrono::seconds(i);
    t.revoked.push_back(std::move(e));
  }
  auto der = build_crl(t, *ca.signer);
  ASSERT_TRUE(der) << der.error().to_string();
  auto crl = Crl::parse(*der);
  ASSERT_TRUE(crl) << crl.error().to_string();
  ASSERT_EQ((*crl)->revoked().size(), kCount);
  EXPECT_TRUE((*crl)->verify_signature(ca.cert->spki_der()));
  for (std::size_t i : {std::size_t{0}, std::size_t{7}, std::size_t{4242}, kCount - 1}) {
    const RevokedEntry& e = (*crl)->revoked()[i];
    EXPECT_EQ(e.serial, t.revoked[i].serial);
    EXPECT_EQ(e.revocation_date, t.revoked[i].revocation_date);
    EXPECT_EQ(e.reason, t.revoked[i].reason);
    EXPECT_EQ(e.invalidity_date, t.revoked[i].invalidity_date);
  }
  EXPECT_NE((*crl)->find(t.revoked[kCount / 2].serial), nullptr);
}

TEST(CrlParse, RejectsMalformedInputPrecisely) {
  Ca ca = testca::make_ca({KeyType::kEcP256, 0}, "crl-parse", nullptr);
  CrlTemplate t = base_template(ca, testca::now());
  t.revoked.push_back(entry(Bytes{0x05}, testca::now(), RevocationReason::kKeyCompromise));
  Bytes der = build_crl(t, *ca.signer).value();

  Bytes truncated(der.begin(), der.end() - 5);
  auto r = Crl::parse(truncated);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kBadCrl);
  EXPECT_NE(r.error().detail().find("CertificateList"), std::string::npos) << r.error().detail();

  Bytes trailing = der;
  trailing.push_back(0x00);
  r = Crl::parse(trailing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kBadCrl);

  r = Crl::parse(as_bytes("not a CRL"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kBadCrl);

  r = Crl::parse_any(as_bytes(pem_encode("CERTIFICATE", der)));
  ASSERT_FALSE(r);

  // Unknown reason code 7 inside an otherwise valid entry.
  Bytes bad_reason = der;
  const Bytes pattern{0x0a, 0x01, 0x01};  // ENUMERATED keyCompromise
  auto it = std::search(bad_reason.begin(), bad_reason.end(), pattern.begin(), pattern.end());
  ASSERT_NE(it, bad_reason.end());
  it[2] = 0x07;
  r = Crl::parse(bad_reason);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail().find("revokedCertificates[0].crlEntryExtensions"), std::string::npos)
      << r.error().detail();
}

TEST(CrlReasons, NamesAndNumbers) {
  EXPECT_EQ(reason_name(RevocationReason::kKeyCompromise), "keyCompromise");
  EXPECT_EQ(reason_name(RevocationReason::kRemoveFromCrl), "removeFromCRL");
  EXPECT_EQ(parse_reason("keyCompromise").value(), RevocationReason::kKeyCompromise);
  EXPECT_EQ(parse_reason("superseded").value(), RevocationReason::kSuperseded);
  EXPECT_EQ(parse_reason("KEYCOMPROMISE").value(), RevocationReason::kKeyCompromise);
  EXPECT_EQ(parse_reason("10").value(), RevocationReason::kAaCompromise);
  EXPECT_FALSE(parse_reason("7"));
  EXPECT_FALSE(parse_reason("11"));
  EXPECT_FALSE(parse_reason("stolen"));
  EXPECT_FALSE(parse_reason(""));
}

}  // namespace
}  // namespace hpki::x509
