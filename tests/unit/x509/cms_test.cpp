// CMS SignedData (x509/cms.h): hpki's own builder, parser and verifier for RSA, ECDSA P-256 and
// SM2, checked both ways against the openssl CLI (openssl cms -verify accepts hpki's RSA and
// ECDSA CMS; hpki verifies openssl cms -sign output), GM/T 0010 OIDs, and the failure
// diagnostics (tampered content, wrong ID, wrong ESS binding).
#include <gtest/gtest.h>

#include "core/pem.h"
#include "crypto/digest.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_names.h"
#include "tests/support/test_util.h"
#include "x509/cms.h"

namespace hpki::x509 {
namespace {

using crypto::KeySpec;
using crypto::KeyType;

using Signer = testca::Issued;

// A "device" certificate for `cn` (also its dNSName) issued by `ca`, with its key.
Signer issue_signer(const testca::Ca& ca, KeySpec spec, const std::string& cn) {
  SubjectData s = testca::subject(cn);
  s.dns_names = {cn};
  return testca::issue(ca, spec, {.profile = "device", .subject = std::move(s)});
}

std::string diag_of(const Error& e) { return e.detail().substr(0, e.detail().find(':')); }

class CmsTest : public ::testing::TestWithParam<KeySpec> {
 protected:
  CmsTest()
      : root_(testca::make_ca(GetParam(), "cms", nullptr)),
        s_(issue_signer(root_, GetParam(), "signer.example.cn")) {}
  testca::Ca root_;
  Signer s_;
  test::TempDir dir_;
  const Bytes content_ = to_bytes(std::string_view("病历 discharge summary 0042\n"));
};

TEST_P(CmsTest, AttachedRoundTrip) {
  cms::SignOptions o;
  o.signing_time = testca::now();
  auto der = cms::sign(content_, *s_.cert, *s_.signer, o);
  ASSERT_TRUE(der) << der.error().to_string();
  auto sd = cms::parse_signed_data(*der);
  ASSERT_TRUE(sd) << sd.error().to_string();
  EXPECT_EQ(sd->oid_style, cms::OidStyle::kRfc5652);
  EXPECT_EQ(sd->version, 1);
  EXPECT_EQ(sd->content_type, der::oids::kData);
  ASSERT_EQ(sd->signers.size(), 1u);
  ASSERT_EQ(sd->certificates.size(), 1u);
  auto v = cms::verify_signed_data(*sd);
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->content, content_);
  EXPECT_TRUE(v->ess_bound);
  EXPECT_EQ(v->signer->der(), s_.cert->der());
  ASSERT_TRUE(v->signing_time.has_value());
  EXPECT_EQ(*v->signing_time, *o.signing_time);
  // SM2 uses SM3, RSA and ECDSA SHA-256.
  EXPECT_EQ(v->digest_alg,
            GetParam().type == KeyType::kSm2 ? crypto::HashAlg::kSm3 : crypto::HashAlg::kSha256);
}

TEST_P(CmsTest, DetachedNeedsTheContent) {
  auto der = cms::sign(content_, *s_.cert, *s_.signer, {.detached = true});
  ASSERT_TRUE(der);
  auto sd = cms::parse_signed_data(*der).value();
  EXPECT_FALSE(sd.content.has_value());
  auto missing = cms::verify_signed_data(sd);
  ASSERT_FALSE(missing);
  EXPECT_EQ(diag_of(missing.error()), cms::diag::kContentMissing);
  auto ok = cms::verify_signed_data(sd, {.detached_content = BytesView(content_)});
  EXPECT_TRUE(ok) << ok.error().to_string();
  Bytes other = content_;
  other.back() ^= 1;
  auto bad = cms::verify_signed_data(sd, {.detached_content = BytesView(other)});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kBadSignature);
  EXPECT_EQ(diag_of(bad.error()), cms::diag::kMessageDigestMismatch);
}

TEST_P(CmsTest, TamperedSignatureFails) {
  auto der = cms::sign(content_, *s_.cert, *s_.signer, {}).value();
  auto sd = cms::parse_signed_data(der).value();
  sd.signers[0].signature[sd.signers[0].signature.size() / 2] ^= 0x01;
  auto v = cms::verify_signed_data(sd);
  ASSERT_FALSE(v);
  EXPECT_EQ(diag_of(v.error()), cms::diag::kSignatureInvalid);
}

TEST_P(CmsTest, EssBindingNamesTheSigner) {
  auto der = cms::sign(content_, *s_.cert, *s_.signer, {}).value();
  auto sd = cms::parse_signed_data(der).value();
  // Another certificate with the same key claims the signature: the ESS hash does not match.
  auto impostor = issue_signer(root_, GetParam(), "other.example.cn");
  sd.certificates = {impostor.cert};
  sd.signers[0].issuer_der = impostor.cert->issuer().der;
  sd.signers[0].serial = impostor.cert->serial();
  auto v = cms::verify_signed_data(sd);
  ASSERT_FALSE(v);
  // Its key differs too, so the signature fails first; with the real key but no ESS: refused
  // when required.
  auto no_ess = cms::sign(content_, *s_.cert, *s_.signer, {.signing_certificate_v2 = false});
  auto sd2 = cms::parse_signed_data(*no_ess).value();
  EXPECT_TRUE(cms::verify_signed_data(sd2));
  auto required = cms::verify_signed_data(sd2, {.require_signing_certificate = true});
  ASSERT_FALSE(required);
  EXPECT_EQ(diag_of(required.error()), cms::diag::kEssCertMissing);
}

TEST_P(CmsTest, GmT0010Oids) {
  auto der = cms::sign(content_, *s_.cert, *s_.signer, {.oid_style = cms::OidStyle::kGmt0010});
  ASSERT_TRUE(der);
  // GM/T 0010: the outer contentType is 1.2.156.10197.6.1.4.2.2, data is ...4.2.1.
  der::Reader r(*der);
  auto ci = r.read_sequence().value();
  EXPECT_EQ(ci.read_oid().value(), der::oids::kGmSignedData);
  auto sd = cms::parse_signed_data(*der).value();
  EXPECT_EQ(sd.oid_style, cms::OidStyle::kGmt0010);
  EXPECT_EQ(sd.content_type, der::oids::kGmData);
  EXPECT_EQ(sd.version, 1);
  EXPECT_TRUE(cms::verify_signed_data(sd));
}

TEST_P(CmsTest, OtherContentTypeIsVersion3WithUnsignedAttributes) {
  der::Writer tok;
  tok.add_octet_string(to_bytes(std::string_view("a token")));
  auto der = cms::sign(content_, *s_.cert, *s_.signer,
                       {.content_type = der::oids::kCtTstInfo,
                        .unsigned_attributes = {{der::oids::kAaTimeStampToken, {tok.take()}}}});
  ASSERT_TRUE(der);
  auto sd = cms::parse_signed_data(*der).value();
  EXPECT_EQ(sd.version, 3);  // RFC 5652 5.1
  EXPECT_EQ(sd.content_type, der::oids::kCtTstInfo);
  ASSERT_NE(sd.signers[0].find_unsigned(der::oids::kAaTimeStampToken), nullptr);
  EXPECT_TRUE(cms::verify_signed_data(sd));
}

TEST_P(CmsTest, KeyMustMatchCertificate) {
  auto other = crypto::PrivateKey::generate(GetParam()).value().signer().value();
  auto der = cms::sign(content_, *s_.cert, *other, {});
  ASSERT_FALSE(der);
  EXPECT_EQ(der.error().code(), ErrorCode::kKeyMismatch);
}

// openssl cms -verify accepts hpki's RSA / ECDSA CMS (attached and detached); SM2 is checked
// with the ID below because OpenSSL 3.0 verifies CMS with the empty ID.
TEST_P(CmsTest, OpensslVerifiesRsaAndEcdsa) {
  const bool sm2 = GetParam().type == KeyType::kSm2;
  const auto root = dir_.file("root.pem");
  const auto data = dir_.file("data.txt");
  test::write_file(root, pem_encode("CERTIFICATE", root_.cert->der()));
  test::write_file(data, content_);
  for (bool detached : {false, true}) {
    auto der = cms::sign(content_, *s_.cert, *s_.signer, {.detached = detached});
    ASSERT_TRUE(der);
    const auto p7s = dir_.file(detached ? "d.p7s" : "a.p7s");
    test::write_file(p7s, *der);
    std::string cmd = "openssl cms -verify -binary -purpose any -inform DER -in " + p7s +
                      " -CAfile " + root + " -out " + dir_.file("out.txt");
    if (detached) cmd += " -content " + data;
    auto r = test::run(cmd);
    if (sm2) {
      // OpenSSL 3.0 verifies SM2 CMS with the empty ID: it must refuse hpki's standard-ID
      // signature (were it accepted, hpki would have signed with the empty ID).
      EXPECT_NE(r.exit_code, 0) << cmd << "\n" << r.output;
      continue;
    }
    EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.output;
    EXPECT_NE(r.output.find("Verification successful"), std::string::npos) << r.output;
    EXPECT_EQ(test::read_file(dir_.file("out.txt")), content_);
  }
}

// hpki verifies openssl cms -sign output (RSA / ECDSA; OpenSSL signs SM2 CMS with the empty ID).
TEST_P(CmsTest, VerifiesOpensslOutput) {
  const auto cert = dir_.file("signer.pem");
  const auto key = dir_.file("signer.key");
  const auto data = dir_.file("data.txt");
  const auto out = dir_.file("o.p7s");
  test::write_file(cert, pem_encode("CERTIFICATE", s_.cert->der()));
  test::write_file(key, pem_encode("PRIVATE KEY", s_.key.to_pkcs8_der().value().view()));
  test::write_file(data, content_);
  auto r = test::run("openssl cms -sign -binary -nodetach -md sha256 -outform DER -in " + data +
                     " -signer " + cert + " -inkey " + key + " -out " + out);
  if (GetParam().type == KeyType::kSm2) {
    // OpenSSL 3.0 writes nothing, or an empty-ID signature: hpki must never accept either.
    Bytes produced = std::filesystem::exists(out) ? test::read_file(out) : Bytes{};
    auto parsed = cms::parse_signed_data(produced);
    if (parsed) {
      auto v = cms::verify_signed_data(*parsed);
      ASSERT_FALSE(v);
      EXPECT_EQ(v.error().code(), ErrorCode::kBadSignature);
    }
    return;
  }
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto sd = cms::parse_signed_data(test::read_file(out));
  ASSERT_TRUE(sd) << sd.error().to_string();
  auto v = cms::verify_signed_data(*sd);
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->content, content_);
  EXPECT_EQ(v->digest_alg, crypto::HashAlg::kSha256);
  EXPECT_EQ(v->signer->der(), s_.cert->der());
  // Tampered content in openssl's output is caught.
  auto tampered = *sd;
  tampered.content->front() ^= 0x20;
  auto bad = cms::verify_signed_data(tampered);
  ASSERT_FALSE(bad);
  EXPECT_EQ(diag_of(bad.error()), cms::diag::kMessageDigestMismatch);
}

// A signer that signs often (the TSA) computes signingCertificateV2 once: the signed attributes
// are the ones sign() computes itself (byte for byte, whole signature for RSA PKCS#1).
TEST_P(CmsTest, PrecomputedSigningCertificateAttributeSignsTheSame) {
  const auto h = crypto::signature_hash(s_.signer->algorithm());
  auto attr = cms::signing_certificate_v2_attribute(*s_.cert, h);
  ASSERT_TRUE(attr) << attr.error().to_string();
  const Bytes own = cms::sign(content_, *s_.cert, *s_.signer, {}).value();
  const Bytes given =
      cms::sign(content_, *s_.cert, *s_.signer,
                {.signing_certificate_v2 = false, .extra_signed_attributes = {*attr}})
          .value();
  auto a = cms::parse_signed_data(own).value();
  auto b = cms::parse_signed_data(given).value();
  EXPECT_EQ(a.signers[0].signed_attrs_der, b.signers[0].signed_attrs_der);
  if (GetParam().type == KeyType::kRsa) {
    EXPECT_EQ(own, given);
  }
  auto v = cms::verify_signed_data(b, {.require_signing_certificate = true});
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_TRUE(v->ess_bound);
}

// What the TSA stores: a token without its certificates, and the certificates put back so that
// the result is the signed bytes again — for every certificate choice sign() has, both OID
// styles, a detached signature and unsigned attributes.
TEST_P(CmsTest, StripAndRestoreCertificatesGiveTheSignedBytes) {
  der::Writer tok;
  tok.add_octet_string(to_bytes(std::string_view("a token")));
  const std::vector<cms::SignOptions> choices = {
      {.content_type = der::oids::kCtTstInfo, .extra_certificates = {root_.cert}},
      {.include_signer_certificate = true},
      {.include_signer_certificate = false, .extra_certificates = {root_.cert}},
      {.detached = true,
       .unsigned_attributes = {{der::oids::kAaTimeStampToken, {tok.take()}}},
       .extra_certificates = {root_.cert}},
      {.extra_certificates = {root_.cert}, .oid_style = cms::OidStyle::kGmt0010},
  };
  for (std::size_t i = 0; i < choices.size(); ++i) {
    SCOPED_TRACE(i);
    const auto& o = choices[i];
    const Bytes signed_der = cms::sign(content_, *s_.cert, *s_.signer, o).value();
    auto stripped = cms::strip_certificates(signed_der);
    ASSERT_TRUE(stripped) << stripped.error().to_string();
    EXPECT_LT(stripped->size(), signed_der.size());
    auto bare = cms::parse_signed_data(*stripped);
    ASSERT_TRUE(bare) << bare.error().to_string();
    EXPECT_TRUE(bare->certificates.empty());
    // Everything but the certificates is as signed: it verifies given the signer's certificate.
    cms::VerifyOptions vo;
    vo.extra_certificates = {s_.cert};
    if (o.detached) vo.detached_content = BytesView(content_);
    EXPECT_TRUE(cms::verify_signed_data(*bare, vo));
    auto restored = cms::restore_certificates(*stripped, *s_.cert, o);
    ASSERT_TRUE(restored) << restored.error().to_string();
    EXPECT_EQ(*restored, signed_der);
    // Twice is refused; a token without certificates strips to itself.
    EXPECT_EQ(cms::restore_certificates(*restored, *s_.cert, o).error().code(),
              ErrorCode::kBadState);
    EXPECT_EQ(cms::strip_certificates(*stripped).value(), *stripped);
  }
  // Restoring with other certificates gives other bytes, which do not pass as the signed ones.
  auto other = issue_signer(root_, GetParam(), "other.example.cn");
  const cms::SignOptions o{.extra_certificates = {root_.cert}};
  const Bytes signed_der = cms::sign(content_, *s_.cert, *s_.signer, o).value();
  const Bytes stripped = cms::strip_certificates(signed_der).value();
  EXPECT_NE(cms::restore_certificates(stripped, *other.cert, o).value(), signed_der);
}

INSTANTIATE_TEST_SUITE_P(Families, CmsTest,
                         ::testing::Values(KeySpec{KeyType::kRsa, 2048},
                                           KeySpec{KeyType::kEcP256, 0}, KeySpec{KeyType::kSm2, 0}),
                         [](const auto& p) { return crypto::key_spec_name(p.param); });

// SM2: the signature is over SM3(Z_A || attrs) with the GM/T 0009 ID; verifying with another ID
// fails (which is what OpenSSL 3.0's empty-ID CMS verification would do).
TEST(CmsSm2, StandardIdOnly) {
  auto root = testca::make_ca({KeyType::kSm2, 0}, "sm2id", nullptr);
  auto s = issue_signer(root, {KeyType::kSm2, 0}, "sm2.example.cn");
  const Bytes content = to_bytes(std::string_view("SM2 content"));
  auto der = cms::sign(content, *s.cert, *s.signer, {}).value();
  auto sd = cms::parse_signed_data(der).value();
  EXPECT_EQ(sd.signers[0].signature_algorithm.oid, der::oids::kSm2WithSm3);
  EXPECT_EQ(sd.signers[0].digest_algorithm.oid, der::oids::kSm3);
  EXPECT_TRUE(cms::verify_signed_data(sd));
  auto other_id = cms::verify_signed_data(sd, {.sm2_id = "1234567812345679"});
  ASSERT_FALSE(other_id);
  EXPECT_EQ(diag_of(other_id.error()), cms::diag::kSignatureInvalid);
  // A signer with another ID makes a signature the standard-ID verifier refuses.
  auto odd = s.key.signer(std::nullopt, "ALICE123@YAHOO.COM").value();
  auto odd_der = cms::sign(content, *s.cert, *odd, {}).value();
  EXPECT_FALSE(cms::verify_signed_data(cms::parse_signed_data(odd_der).value()));
}

TEST(CmsStrip, RefusesWhatIsNotSignedData) {
  auto root = testca::make_ca({KeyType::kEcP256, 0}, "strip", nullptr);
  auto s = issue_signer(root, {KeyType::kEcP256, 0}, "strip.example.cn");
  const Bytes good = cms::sign(to_bytes(std::string_view("x")), *s.cert, *s.signer, {}).value();
  EXPECT_EQ(cms::strip_certificates({}).error().code(), ErrorCode::kMalformed);
  EXPECT_EQ(cms::strip_certificates(s.cert->der()).error().code(), ErrorCode::kMalformed);
  der::Writer data;  // a ContentInfo of another type
  data.add_sequence([](der::Writer& ci) {
    ci.add_oid(der::oids::kData);
    ci.add_explicit(0, [](der::Writer& e) { e.add_octet_string(Bytes{1, 2, 3}); });
  });
  EXPECT_EQ(cms::strip_certificates(data.take()).error().code(), ErrorCode::kUnexpectedType);
  for (std::size_t n : {good.size() - 1, good.size() / 2, std::size_t{3}}) {
    EXPECT_FALSE(cms::strip_certificates(BytesView(good).first(n))) << n;
    EXPECT_FALSE(cms::restore_certificates(BytesView(good).first(n), *s.cert, {})) << n;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(cms::strip_certificates(trailing).error().code(), ErrorCode::kMalformed);
}

TEST(CmsParse, RefusesNonSignedDataAndGarbage) {
  der::Writer w;
  w.add_sequence([](der::Writer& s) {
    s.add_oid(der::oids::kEnvelopedData);
    s.add_explicit(0, [](der::Writer& e) { e.add_null(); });
  });
  auto r = cms::parse_signed_data(w.view());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kUnexpectedType);
  const Bytes junk{0x30, 0x03, 0x02, 0x01};
  EXPECT_EQ(cms::parse_signed_data(junk).error().code(), ErrorCode::kMalformed);
  EXPECT_FALSE(cms::parse_signed_data({}));
}

}  // namespace
}  // namespace hpki::x509
