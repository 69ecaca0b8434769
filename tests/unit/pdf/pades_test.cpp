// PAdES levels (pdf/pades.h) and SM2 seal stamps in PDFs, signed by hpki and read back by
// hpki's verifier (pdf/verify.h); RSA and P-256 also by poppler's pdfsig. Every family.
//   - B-B / B-T / B-LT / B-LTA (ETSI EN 319 142-1 5.2-5.4): valid; B-T carries a
//     signatureTimeStampToken, B-LT a /DSS with the CRLs of the chain, B-LTA a document
//     timestamp after the DSS;
//   - a signer revoked after the timestamp stays valid (note sign.revoked_after_signing), one
//     revoked before it is invalid (revoked);
//   - an SM2 seal stamp (GB/T 38540 SES_Signature in /Contents): valid; a changed byte is
//     pdf.digest_mismatch; an expired seal is seal.expired; a seal that does not list the
//     signer is seal.signer_not_allowed.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "crypto/digest.h"
#include "pdf/pades.h"
#include "pdf/validation_data.h"
#include "pdf/verify.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_util.h"
#include "tests/unit/pdf/pdf_fixture.h"
#include "tests/unit/seal/seal_test_util.h"
#include "x509/cms.h"
#include "x509/crl.h"
#include "x509/tsp.h"

namespace hpki::pdf {
namespace {

using crypto::KeySpec;

class PadesTest : public ::testing::TestWithParam<KeySpec> {
 protected:
  PadesTest()
      : root_(testca::make_ca(GetParam(), "pades-root", nullptr)),
        issuing_(testca::make_ca(GetParam(), "pades-issuing", &root_)),
        signer_(issue("示例医院 电子签章")),
        tsa_(testca::issue(root_, GetParam(),
                           {.profile = "tsa", .subject = testca::subject("pades test TSA")})) {}

  testca::Issued issue(const std::string& cn) {
    x509::SubjectData s = testca::subject(cn);
    s.country = "CN";
    return testca::issue(issuing_, GetParam(),
                         {.profile = "org-sign",
                          .subject = std::move(s),
                          .not_before = testca::now() - std::chrono::hours(2)});
  }

  // The TSA over a digest, genTime `at` (default now).
  sign::DigestTimestampFn tsa(std::optional<TimePoint> at = {}) {
    return [this, at](crypto::HashAlg h, BytesView digest) -> Result<Bytes> {
      x509::tsp::TstInfo t;
      t.policy = der::Oid::from_string("1.3.6.1.4.1.59999.3161.1").value();
      t.message_imprint = {x509::cms::hash_oid(h), {}, Bytes(digest.begin(), digest.end())};
      t.serial = {0x2A};
      t.gen_time = std::chrono::time_point_cast<std::chrono::seconds>(at.value_or(testca::now()));
      return x509::cms::sign(HPKI_TRY(x509::tsp::encode_tst_info(t)), *tsa_.cert, *tsa_.signer,
                             {.content_type = der::oids::kCtTstInfo});
    };
  }

  x509::CrlPtr crl_of(const testca::Ca& ca, std::vector<x509::RevokedEntry> revoked = {}) {
    x509::CrlTemplate t;
    t.issuer = ca.cert->subject();
    t.authority_key_id = ca.info.subject_key_id;
    t.this_update = testca::now() - std::chrono::minutes(1);
    t.next_update = testca::now() + std::chrono::hours(24);
    t.crl_number = {0x01};
    t.revoked = std::move(revoked);
    return x509::Crl::parse(x509::build_crl(t, *ca.signer).value()).value();
  }

  sign::SigningIdentity identity() const {
    return {signer_.signer.get(), signer_.cert, {issuing_.cert}};
  }

  PadesOptions options(Level level) {
    PadesOptions o;
    o.level = level;
    o.field.signing_time = testca::now();
    o.field.name = "示例医院";
    o.field.appearance.rect = Rect{300, 100, 120, 60};
    o.field.appearance.text_lines = {"示例医院 电子签章", "2026-12-07"};
    if (level != Level::kBB) o.timestamp = tsa();
    // The CRLs of both CAs (the TSA is issued by the root).
    o.validation_data =
        crl_validation_data({.store = nullptr, .crls = {crl_of(root_), crl_of(issuing_)}});
    return o;
  }

  sign::TrustSettings trust(std::vector<x509::CrlPtr> crls = {}) const {
    sign::TrustSettings t;
    t.anchors = {root_.cert};
    t.crls = std::move(crls);
    t.now = testca::now();
    return t;
  }

  std::string pdfsig(const Bytes& pdf, const std::string& name) {
    const std::string path = dir_.file(name);
    hpki::test::write_file(path, pdf);
    return hpki::test::run("pdfsig " + path + " 2>&1").output;
  }

  static int count(const std::string& hay, const std::string& needle) {
    int n = 0;
    for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
    return n;
  }

  hpki::test::TempDir dir_;
  testca::Ca root_;
  testca::Ca issuing_;
  testca::Issued signer_;
  testca::Issued tsa_;
  const Bytes pdf_ = test::PdfBuilder(3).data;
};

// ETSI EN 319 142-1 5.2 (B-B), 5.3 (B-T), 5.4.2 (B-LT), 5.4.3 (B-LTA).
TEST_P(PadesTest, EveryLevelVerifies) {
  for (Level level : {Level::kBB, Level::kBT, Level::kBLT, Level::kBLTA}) {
    SCOPED_TRACE(std::string(level_name(level)));
    auto signed_ = sign_pades(pdf_, identity(), options(level));
    ASSERT_TRUE(signed_) << signed_.error().to_string();
    const auto rep = verify(signed_->pdf, trust());
    EXPECT_TRUE(rep.valid) << verify_report_text(rep);
    ASSERT_GE(rep.signatures.size(), 1U);
    const auto& sig = rep.signatures.front();
    EXPECT_EQ(sig.info.sub_filter, "ETSI.CAdES.detached");
    ASSERT_TRUE(sig.cms);
    // EN 319 142-1 5.2.2: no signingTime attribute; /M says it.
    EXPECT_FALSE(sig.cms->signing_time);
    EXPECT_EQ(sig.cms->timestamp.has_value(), level != Level::kBB);
    if (sig.cms->timestamp) {
      EXPECT_TRUE(sig.cms->timestamp->valid);
      EXPECT_EQ(sig.cms->time_source, "timestamp");
    }
    EXPECT_EQ(rep.dss.present, level == Level::kBLT || level == Level::kBLTA);
    if (rep.dss.present) {
      EXPECT_EQ(rep.dss.crls, 2U);
    }
    EXPECT_EQ(rep.signatures.size(), level == Level::kBLTA ? 2U : 1U);
    if (level == Level::kBLTA) {
      ASSERT_TRUE(rep.signatures[1].doc_timestamp);
      EXPECT_TRUE(rep.signatures[1].doc_timestamp->valid);
      EXPECT_TRUE(rep.signatures[1].info.covers_whole_file);
    }
    if (GetParam().type != crypto::KeyType::kSm2) {
      // poppler (NSS) agrees on the signature; poppler 22.12 lists a document timestamp but
      // cannot validate one ("Signature Type: unknown"): hpki's verdict above covers it.
      const auto out = pdfsig(signed_->pdf, std::string(level_name(level)) + ".pdf");
      EXPECT_EQ(count(out, "Signature is Valid."), 1) << out;
      EXPECT_EQ(count(out, "Signature #"), level == Level::kBLTA ? 2 : 1) << out;
    }
  }
}

TEST_P(PadesTest, LevelsNeedTheirInputs) {
  auto o = options(Level::kBT);
  o.timestamp = {};
  EXPECT_EQ(sign_pades(pdf_, identity(), o).error().code(), ErrorCode::kInvalidArgument);
  o = options(Level::kBLT);
  o.validation_data = {};
  EXPECT_EQ(sign_pades(pdf_, identity(), o).error().code(), ErrorCode::kInvalidArgument);
  // B-LT without a CRL for the signer's issuer: incomplete validation data is refused.
  o = options(Level::kBLT);
  o.validation_data = crl_validation_data({.store = nullptr, .crls = {crl_of(root_)}});
  EXPECT_EQ(sign_pades(pdf_, identity(), o).error().code(), ErrorCode::kNotFound);
}

// The signing time is the timestamp's: a revocation after it leaves the signature valid (with
// a note), one before it does not.
TEST_P(PadesTest, RevokedBeforeVersusAfterTheTimestamp) {
  auto o = options(Level::kBT);
  o.timestamp = tsa(testca::now() - std::chrono::minutes(30));
  auto signed_ = sign_pades(pdf_, identity(), o);
  ASSERT_TRUE(signed_) << signed_.error().to_string();
  auto revoked_at = [&](TimePoint when) {
    return crl_of(issuing_, {{.serial = signer_.cert->serial(),
                              .revocation_date = when,
                              .reason = x509::RevocationReason::kKeyCompromise,
                              .invalidity_date = std::nullopt,
                              .extensions = {}}});
  };
  const auto later = verify(
      signed_->pdf, trust({revoked_at(testca::now() - std::chrono::minutes(5)), crl_of(root_)}));
  EXPECT_TRUE(later.valid) << verify_report_text(later);
  ASSERT_TRUE(later.signatures.front().cms);
  bool noted = false;
  for (const auto& n : later.signatures.front().cms->notes)
    noted = noted || n.id == sign::diag::kRevokedAfterSigning;
  EXPECT_TRUE(noted) << verify_report_text(later);

  const auto before = verify(
      signed_->pdf, trust({revoked_at(testca::now() - std::chrono::hours(1)), crl_of(root_)}));
  EXPECT_FALSE(before.valid);
  EXPECT_EQ(before.signatures.front().status, x509::diag::kRevoked) << verify_report_text(before);
}

INSTANTIATE_TEST_SUITE_P(Families, PadesTest,
                         ::testing::Values(KeySpec{crypto::KeyType::kRsa, 2048},
                                           KeySpec{crypto::KeyType::kEcP256, 0},
                                           KeySpec{crypto::KeyType::kSm2, 0}),
                         [](const auto& p) {
                           return std::string(p.param.type == crypto::KeyType::kRsa   ? "rsa"
                                              : p.param.type == crypto::KeyType::kSm2 ? "sm2"
                                                                                      : "p256");
                         });

// GB/T 38540 seal stamps in a PDF (pdf/pades.h stamp_with_seal; standards.md §5.3 (b)).
class SealStampTest : public ::testing::Test {
 protected:
  SealStampTest()
      : maker_(seal::sealtest::person(seal::sealtest::sm2_ca(), {crypto::KeyType::kSm2, 0},
                                      "seal-maker")),
        signer_(seal::sealtest::person(seal::sealtest::sm2_ca(), {crypto::KeyType::kSm2, 0},
                                       "doctor")) {}

  seal::Seal make(TimePoint from, TimePoint to, const Bytes& allowed) {
    auto info = seal::sealtest::seal_info(allowed);
    info.valid_start = from;
    info.valid_end = to;
    return seal::make_seal(info, *maker_.signer, maker_.cert->der()).value();
  }

  Result<Bytes> stamp(const seal::Seal& s) {
    FieldSpec f;
    f.signing_time = testca::now();
    f.appearance.rect = Rect{350, 80, 113, 113};
    f.appearance.png = s.info.picture;
    return stamp_with_seal(pdf_, f, s, *signer_.signer, *signer_.cert);
  }

  VerifyPdfReport check(const Bytes& pdf) const {
    sign::TrustSettings t;
    t.anchors = {seal::sealtest::sm2_ca().cert};
    t.now = testca::now();
    return verify(pdf, t);
  }

  testca::Issued maker_;
  testca::Issued signer_;
  const Bytes pdf_ = test::PdfBuilder(2).data;
  const TimePoint now_ = testca::now();
};

TEST_F(SealStampTest, ValidStampAndItsTamperCases) {
  const auto s =
      make(now_ - std::chrono::hours(24), now_ + std::chrono::hours(24 * 30), signer_.cert->der());
  auto out = stamp(s);
  ASSERT_TRUE(out) << out.error().to_string();
  const auto rep = check(*out);
  ASSERT_TRUE(rep.valid) << verify_report_text(rep);
  ASSERT_EQ(rep.signatures.size(), 1U);
  EXPECT_EQ(rep.signatures[0].info.sub_filter, kSubFilterSes);
  ASSERT_TRUE(rep.signatures[0].ses);
  EXPECT_EQ(rep.signatures[0].ses->seal_name, "示例医院电子公章");
  ASSERT_TRUE(rep.signatures[0].ses->path);
  EXPECT_TRUE(rep.signatures[0].ses->path->valid);

  // A changed byte inside the ByteRange: the dataHash no longer matches.
  Bytes bad = *out;
  const auto& br = rep.signatures[0].info.byte_range.value();
  bad[br[1] / 2] ^= 0x01;
  const auto tampered = check(bad);
  EXPECT_FALSE(tampered.valid);
  ASSERT_FALSE(tampered.signatures.empty());
  EXPECT_EQ(tampered.signatures[0].status, diag::kDigestMismatch) << verify_report_text(tampered);

  // A stamp is not trusted without the signer's CA.
  sign::TrustSettings other;
  other.anchors = {seal::sealtest::rsa_ca().cert};
  other.now = testca::now();
  EXPECT_FALSE(verify(*out, other).valid);
}

TEST_F(SealStampTest, ExpiredSealAndSignerNotAllowed) {
  const auto expired =
      make(now_ - std::chrono::hours(24 * 30), now_ - std::chrono::hours(1), signer_.cert->der());
  auto out = stamp(expired);
  ASSERT_TRUE(out) << out.error().to_string();
  auto rep = check(*out);
  EXPECT_FALSE(rep.valid);
  EXPECT_EQ(rep.signatures.at(0).status, seal::diag::kExpired) << verify_report_text(rep);

  const auto others = make(now_ - std::chrono::hours(24), now_ + std::chrono::hours(24),
                           maker_.cert->der());  // lists the maker, not the doctor
  out = stamp(others);
  ASSERT_TRUE(out) << out.error().to_string();
  rep = check(*out);
  EXPECT_FALSE(rep.valid);
  EXPECT_EQ(rep.signatures.at(0).status, seal::diag::kSignerNotAllowed) << verify_report_text(rep);
}

}  // namespace
}  // namespace hpki::pdf
