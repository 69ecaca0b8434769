#include "pdf/verify.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>

#include "core/pem.h"
#include "crypto/digest.h"
#include "pdf/document.h"
#include "pdf/signatures.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_util.h"
#include "tests/unit/pdf/pdf_fixture.h"
#include "x509/cms.h"
#include "x509/crl.h"
#include "x509/tsp.h"

namespace hpki::pdf {
namespace {

using crypto::KeySpec;
using crypto::KeyType;
using test::PdfBuilder;

bool has_finding(const SignatureReport& r, std::string_view id) {
  return std::ranges::any_of(r.findings, [&](const Finding& f) { return f.id == id; });
}

class PdfVerifyTest : public ::testing::TestWithParam<KeySpec> {
 protected:
  PdfVerifyTest()
      : root_(testca::make_ca(GetParam(), "pdf-root", nullptr)),
        issuing_(testca::make_ca(GetParam(), "pdf-issuing", &root_)),
        signer_(issue(issuing_, "示例医院 医师签名")),
        signer2_(issue(issuing_, "示例医院 second signer")),
        tsa_(testca::issue(root_, GetParam(),
                           {.profile = "tsa", .subject = testca::subject("hpki test TSA")})) {}

  static testca::Issued issue(const testca::Ca& ca, const std::string& cn) {
    x509::SubjectData s = testca::subject(cn);
    s.country = "CN";
    return testca::issue(ca, GetParam(),
                         {.profile = "org-sign",
                          .subject = std::move(s),
                          .not_before = testca::now() - std::chrono::hours(2)});
  }

  // A detached CMS over the covered bytes (GM/T 0010 OIDs when `gmt`).
  PdfBuilder::SignFn cms_by(const testca::Issued& who, bool gmt = false) {
    return [this, &who, gmt](BytesView covered) {
      x509::cms::SignOptions o;
      o.detached = true;
      o.signing_time = testca::now();
      o.extra_certificates = {issuing_.cert};
      if (gmt) o.oid_style = x509::cms::OidStyle::kGmt0010;
      auto c = x509::cms::sign(covered, *who.cert, *who.signer, o);
      EXPECT_TRUE(c) << c.error().to_string();
      return c.value_or(Bytes{});
    };
  }

  // An RFC 3161 token over the covered bytes (a document timestamp).
  PdfBuilder::SignFn doc_timestamp() {
    return [this](BytesView covered) {
      const auto h = crypto::signature_hash(tsa_.signer->algorithm());
      x509::tsp::TstInfo t;
      t.policy = der::Oid::from_string("1.3.6.1.4.1.59999.3161.1").value();
      t.message_imprint = {x509::cms::hash_oid(h), {}, crypto::digest(h, covered).value()};
      t.serial = {0x2A};
      t.gen_time = testca::now();
      return x509::cms::sign(x509::tsp::encode_tst_info(t).value(), *tsa_.cert, *tsa_.signer,
                             {.content_type = der::oids::kCtTstInfo})
          .value();
    };
  }

  sign::TrustSettings trust() const {
    sign::TrustSettings t;
    t.anchors = {root_.cert};
    t.now = testca::now();
    return t;
  }

  VerifyPdfReport check(const Bytes& pdf) const { return verify(pdf, trust()); }

  testca::Ca root_;
  testca::Ca issuing_;
  testca::Issued signer_;
  testca::Issued signer2_;
  testca::Issued tsa_;
};

TEST_P(PdfVerifyTest, SignedWholeFileIsValid) {
  PdfBuilder b;
  b.sign({}, cms_by(signer_));
  auto doc = Document::open(b.data);
  ASSERT_TRUE(doc) << doc.error().to_string();
  EXPECT_EQ(doc->page_count(), 3U);
  EXPECT_EQ(doc->revisions().size(), 2U);
  EXPECT_EQ(doc->revisions().back().end, b.data.size());
  auto sigs = extract_signatures(*doc);
  ASSERT_TRUE(sigs);
  ASSERT_EQ(sigs->size(), 1U);
  const auto& s = sigs->front();
  EXPECT_EQ(s.field_name, "Signature1");
  EXPECT_EQ(s.sub_filter, "adbe.pkcs7.detached");
  EXPECT_EQ(s.filter, "Adobe.PPKLite");
  ASSERT_TRUE(s.byte_range) << s.byte_range_error;
  EXPECT_TRUE(s.covers_whole_file);
  EXPECT_EQ(s.revision, 1U);
  EXPECT_EQ(s.reason, "审核");
  EXPECT_EQ(s.location, "Shanghai");
  EXPECT_EQ(s.m, "D:20250601120000+08'00'");
  EXPECT_FALSE(s.docmdp_p);
  // /Contents is the DER CMS without its zero padding.
  ASSERT_TRUE(x509::cms::parse_signed_data(s.contents)) << s.contents_error;

  const auto r = check(b.data);
  EXPECT_TRUE(r.valid) << verify_report_text(r);
  EXPECT_EQ(r.status, diag::kValid);
  ASSERT_EQ(r.signatures.size(), 1U);
  ASSERT_TRUE(r.signatures[0].cms);
  EXPECT_EQ(r.signatures[0].cms->signer->der(), signer_.cert->der());
  EXPECT_TRUE(r.signatures[0].findings.empty());
  const auto j = nlohmann::json::parse(verify_report_json(r));
  EXPECT_EQ(j["status"], "valid");
  EXPECT_EQ(j["signatures"][0]["cms"]["path"]["status"], "valid");
  EXPECT_EQ(j["signatures"][0]["reason"], "审核");
}

TEST_P(PdfVerifyTest, Gmt0010AndCadesSubFilter) {
  PdfBuilder b;
  b.sign({.sub_filter = "ETSI.CAdES.detached"}, cms_by(signer_, GetParam().type == KeyType::kSm2));
  const auto r = check(b.data);
  EXPECT_TRUE(r.valid) << verify_report_text(r);
  if (GetParam().type == KeyType::kSm2) {
    EXPECT_EQ(r.signatures.at(0).cms->oid_style, "gmt0010");
  }
}

// A byte changed inside the signed range: the messageDigest no longer matches.
TEST_P(PdfVerifyTest, ByteChangedInsideByteRange) {
  PdfBuilder b;
  b.sign({}, cms_by(signer_));
  Bytes pdf = b.data;
  const std::string text(pdf.begin(), pdf.end());
  pdf[text.find("Page 2 discharge") + 5] = '7';
  const auto r = check(pdf);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.status, diag::kDigestMismatch) << verify_report_text(r);
  EXPECT_EQ(r.signatures.at(0).status, diag::kDigestMismatch);
}

// ISO 32000-1 12.8.1: the ByteRange must leave out exactly the /Contents hex string.
TEST_P(PdfVerifyTest, ByteRangeLeavingBytesUncovered) {
  PdfBuilder b;
  b.sign({.widen_gap = 6}, cms_by(signer_));
  const auto r = check(b.data);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.status, diag::kByteRangeInvalid) << verify_report_text(r);
  EXPECT_NE(r.signatures.at(0).detail.find("not a hex string"), std::string::npos);

  PdfBuilder b2;
  b2.sign({.shorten_end = 3}, cms_by(signer_));
  const auto r2 = check(b2.data);
  EXPECT_EQ(r2.status, diag::kByteRangeInvalid) << verify_report_text(r2);
  EXPECT_NE(r2.signatures.at(0).detail.find("not the end of a revision"), std::string::npos);
}

TEST_P(PdfVerifyTest, PageAddedAfterSignature) {
  PdfBuilder b;
  b.sign({}, cms_by(signer_));
  b.add_page();
  const auto r = check(b.data);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.status, diag::kPageAdded) << verify_report_text(r);
  const auto& s = r.signatures.at(0);
  EXPECT_FALSE(s.info.covers_whole_file);
  EXPECT_TRUE(s.cms && s.cms->valid);  // the signature itself is intact
  EXPECT_TRUE(has_finding(s, diag::kNotWholeFile));
  EXPECT_EQ(r.pages, 4U);
}

// The appearance of a signed signature (the seal image a reader sees) redrawn in a later
// update: never allowed, whatever the DocMDP level (approval signature here).
TEST_P(PdfVerifyTest, SignatureAppearanceChangedAfterSignature) {
  PdfBuilder b;
  const std::string form = " /Type /XObject /Subtype /Form /BBox [0 0 100 100]";
  const int ap = b.alloc();
  b.set(ap, PdfBuilder::stream("1 0 0 rg 0 0 100 100 re f", form));  // a red seal
  b.update({ap});
  b.sign({.widget_extra = " /AP << /N " + PdfBuilder::ref(ap) + " >>"}, cms_by(signer_));
  ASSERT_TRUE(check(b.data).valid) << verify_report_text(check(b.data));
  b.set(ap, PdfBuilder::stream("0 0 1 rg 0 0 100 100 re f", form));  // swapped for a blue one
  b.update({ap});
  const auto r = check(b.data);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.status, diag::kSignatureAppearanceChanged) << verify_report_text(r);
  const auto& s = r.signatures.at(0);
  EXPECT_TRUE(s.cms && s.cms->valid);  // the signature itself is intact
}

TEST_P(PdfVerifyTest, ContentChangedAfterSignature) {
  PdfBuilder b;
  b.sign({}, cms_by(signer_));
  b.change_content(1, "Page 2 rewritten");
  const auto r = check(b.data);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.status, diag::kContentChanged) << verify_report_text(r);
}

// ISO 32000-1 12.8.2.2.2 Table 254: P=1 permits no change; P=3 permits annotations.
TEST_P(PdfVerifyTest, AnnotationAddedAfterCertification) {
  PdfBuilder b;
  b.sign({.docmdp_p = 1}, cms_by(signer_));
  b.add_text_annotation(1);
  const auto r = check(b.data);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.status, diag::kAnnotationAddedAfterCertification) << verify_report_text(r);
  EXPECT_EQ(r.signatures.at(0).info.docmdp_p, 1);

  PdfBuilder b3;
  b3.sign({.docmdp_p = 3}, cms_by(signer_));
  b3.add_text_annotation(1);
  const auto r3 = check(b3.data);
  EXPECT_TRUE(r3.valid) << verify_report_text(r3);
  EXPECT_TRUE(has_finding(r3.signatures.at(0), diag::kAnnotationAdded));

  // Without DocMDP (an approval signature) an added annotation is a note.
  PdfBuilder ba;
  ba.sign({}, cms_by(signer_));
  ba.add_text_annotation(0);
  const auto ra = check(ba.data);
  EXPECT_TRUE(ra.valid) << verify_report_text(ra);
  EXPECT_TRUE(has_finding(ra.signatures.at(0), diag::kAnnotationAdded));
}

TEST_P(PdfVerifyTest, FormFilledAfterCertification) {
  PdfBuilder b1;
  b1.sign({.docmdp_p = 1}, cms_by(signer_));
  b1.fill_field("(Li Si)");
  const auto r1 = check(b1.data);
  EXPECT_FALSE(r1.valid);
  EXPECT_EQ(r1.status, diag::kFormFieldChangedAfterCertification) << verify_report_text(r1);

  PdfBuilder b2;
  b2.sign({.docmdp_p = 2}, cms_by(signer_));
  b2.fill_field("(Li Si)");
  const auto r2 = check(b2.data);
  EXPECT_TRUE(r2.valid) << verify_report_text(r2);
  EXPECT_TRUE(has_finding(r2.signatures.at(0), diag::kFormFieldChanged));
  EXPECT_FALSE(has_finding(r2.signatures.at(0), diag::kAnnotationChangedAfterCertification));
}

// A second signature in a later revision is allowed: the first stays valid, with a note.
TEST_P(PdfVerifyTest, SecondSignatureAddedLater) {
  PdfBuilder b;
  b.sign({}, cms_by(signer_));
  b.sign({.field = "Signature2", .page = 1}, cms_by(signer2_));
  const auto r = check(b.data);
  EXPECT_TRUE(r.valid) << verify_report_text(r);
  ASSERT_EQ(r.signatures.size(), 2U);
  EXPECT_EQ(r.signatures[0].info.field_name, "Signature1");
  EXPECT_FALSE(r.signatures[0].info.covers_whole_file);
  EXPECT_TRUE(has_finding(r.signatures[0], diag::kSignatureAdded));
  EXPECT_TRUE(r.signatures[1].info.covers_whole_file);
  EXPECT_EQ(r.signatures[1].cms->signer->der(), signer2_.cert->der());
  for (const auto& f : r.signatures[0].findings) EXPECT_FALSE(f.invalidating) << f.id;

  // After a P=1 certification the same second signature breaks it.
  PdfBuilder c;
  c.sign({.docmdp_p = 1}, cms_by(signer_));
  c.sign({.field = "Signature2"}, cms_by(signer2_));
  const auto rc = check(c.data);
  EXPECT_FALSE(rc.valid);
  EXPECT_EQ(rc.signatures.at(0).status, diag::kSignatureAddedAfterCertification)
      << verify_report_text(rc);
  EXPECT_TRUE(rc.signatures.at(1).valid);
}

// ETSI EN 319 142-1 5.4.3: a document timestamp over the ByteRange bytes.
TEST_P(PdfVerifyTest, DocumentTimestamp) {
  PdfBuilder b;
  b.sign({}, cms_by(signer_));
  b.sign({.field = "Timestamp1", .type = "DocTimeStamp", .sub_filter = "ETSI.RFC3161"},
         doc_timestamp());
  const auto r = check(b.data);
  EXPECT_TRUE(r.valid) << verify_report_text(r);
  ASSERT_EQ(r.signatures.size(), 2U);
  ASSERT_TRUE(r.signatures[1].doc_timestamp);
  EXPECT_TRUE(r.signatures[1].doc_timestamp->valid);
  EXPECT_TRUE(r.signatures[1].info.is_document_timestamp());

  // A token over other bytes.
  PdfBuilder b2;
  b2.sign({.type = "DocTimeStamp", .sub_filter = "ETSI.RFC3161"}, [&](BytesView covered) {
    Bytes other(covered.begin(), covered.end());
    other[0] ^= 1;
    return doc_timestamp()(other);
  });
  const auto r2 = check(b2.data);
  EXPECT_FALSE(r2.valid);
  EXPECT_EQ(r2.status, diag::kDigestMismatch) << verify_report_text(r2);
}

TEST_P(PdfVerifyTest, UntrustedSigner) {
  PdfBuilder b;
  b.sign({}, cms_by(signer_));
  auto other = testca::make_ca(GetParam(), "other-root", nullptr);
  sign::TrustSettings t;
  t.anchors = {other.cert};
  t.now = testca::now();
  const auto r = verify(b.data, t);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.status, x509::diag::kNoPath) << verify_report_text(r);
}

// poppler's pdfsig (NSS) reads the same file and agrees: valid, then a digest mismatch after
// one changed byte. NSS has no SM2: pdfsig lists an SM2 signature but never calls it valid
// (hpki's verifier and OpenSSL check SM2; tests/integration/pdf.sh).
TEST_P(PdfVerifyTest, PdfsigAgrees) {
  ASSERT_EQ(hpki::test::run("command -v pdfsig").exit_code, 0)
      << "pdfsig missing: scripts/install-deps.sh installs poppler-utils";
  hpki::test::TempDir dir;
  PdfBuilder b;
  b.sign({}, cms_by(signer_));
  hpki::test::write_file(dir.file("signed.pdf"), b.data);
  const auto ok = hpki::test::run("pdfsig " + dir.file("signed.pdf"));
  if (GetParam().type == KeyType::kSm2) {
    EXPECT_NE(ok.output.find("Signature #1"), std::string::npos) << ok.output;
    EXPECT_EQ(ok.output.find("Signature is Valid."), std::string::npos) << ok.output;
    EXPECT_TRUE(check(b.data).valid);
    return;
  }
  EXPECT_NE(ok.output.find("Signature Validation: Signature is Valid."), std::string::npos)
      << ok.output;
  EXPECT_NE(ok.output.find("Signature Type: adbe.pkcs7.detached"), std::string::npos) << ok.output;
  EXPECT_TRUE(check(b.data).valid);

  Bytes bad = b.data;
  const std::string text(bad.begin(), bad.end());
  bad[text.find("Page 1 discharge") + 5] = '9';
  hpki::test::write_file(dir.file("bad.pdf"), bad);
  const auto no = hpki::test::run("pdfsig " + dir.file("bad.pdf"));
  EXPECT_NE(no.output.find("Signature Validation: Digest Mismatch."), std::string::npos)
      << no.output;
  EXPECT_EQ(check(bad).status, diag::kDigestMismatch);
}

INSTANTIATE_TEST_SUITE_P(Families, PdfVerifyTest,
                         ::testing::Values(KeySpec{KeyType::kRsa, 2048},
                                           KeySpec{KeyType::kEcP256, 0}, KeySpec{KeyType::kSm2, 0}),
                         [](const auto& param_info) {
                           return std::string(param_info.param.type == KeyType::kRsa   ? "rsa"
                                              : param_info.param.type == KeyType::kSm2 ? "sm2"
                                                                                       : "p256");
                         });

// podofosign (PoDoFo, Debian libpodofo-utils), a third-party signer: hpki verifies what it
// signs (RSA, SHA-256), and sees the change when a page is added after it.
TEST(PdfInterop, PodofosignRsa) {
  ASSERT_EQ(hpki::test::run("command -v podofosign").exit_code, 0)
      << "podofosign missing: scripts/install-deps.sh installs libpodofo-utils";
  const KeySpec rsa{KeyType::kRsa, 2048};
  auto root = testca::make_ca(rsa, "podofo-root", nullptr);
  auto issuing = testca::make_ca(rsa, "podofo-issuing", &root);
  x509::SubjectData subj = testca::subject("podofo signer");
  subj.country = "CN";
  auto who = testca::issue(issuing, rsa,
                           {.profile = "org-sign",
                            .subject = std::move(subj),
                            .not_before = testca::now() - std::chrono::hours(2)});
  hpki::test::TempDir dir;
  PdfBuilder b;
  hpki::test::write_file(dir.file("in.pdf"), b.data);
  hpki::test::write_file(dir.file("cert.pem"), testca::pem(*who.cert));
  hpki::test::write_file(dir.file("key.pem"),
                         pem_encode("PRIVATE KEY", who.key.to_pkcs8_der().value().view()));
  const auto run =
      hpki::test::run("podofosign -in " + dir.file("in.pdf") + " -out " + dir.file("out.pdf") +
                      " -cert " + dir.file("cert.pem") + " -pkey " + dir.file("key.pem") +
                      " -digest sha256 -field-name Podofo1 -reason 'I agree'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const Bytes signed_pdf = hpki::test::read_file(dir.file("out.pdf"));
  sign::TrustSettings t;
  t.anchors = {root.cert};
  t.intermediates = {issuing.cert};
  t.now = testca::now();
  const auto r = verify(signed_pdf, t);
  EXPECT_TRUE(r.valid) << verify_report_text(r);
  ASSERT_EQ(r.signatures.size(), 1U);
  EXPECT_EQ(r.signatures[0].info.field_name, "Podofo1");
  EXPECT_EQ(r.signatures[0].info.reason, "I agree");
  EXPECT_TRUE(r.signatures[0].info.covers_whole_file);
  // poppler agrees on podofosign's signature too.
  const auto ps = hpki::test::run("pdfsig " + dir.file("out.pdf"));
  EXPECT_NE(ps.output.find("Signature Validation: Signature is Valid."), std::string::npos)
      << ps.output;
  // One byte changed inside the signed range.
  Bytes bad = signed_pdf;
  const std::string text(bad.begin(), bad.end());
  bad[text.find("Page 3 discharge") + 5] = '8';
  EXPECT_EQ(verify(bad, t).status, diag::kDigestMismatch);
}

// Seeds fuzz/corpus/pdf_signatures/ (run once by hand with --gtest_also_run_disabled_tests and
// HPKI_PDF_CORPUS=<dir>): an unsigned file, a signed one, one signed twice with a later page,
// a certified one with a later annotation, and a document timestamp.
TEST(PdfCorpus, DISABLED_WriteFuzzCorpus) {
  const char* out = std::getenv("HPKI_PDF_CORPUS");
  ASSERT_NE(out, nullptr);
  const KeySpec ec{KeyType::kEcP256, 0};
  auto root = testca::make_ca(ec, "corpus-root", nullptr);
  x509::SubjectData subj = testca::subject("corpus signer");
  subj.country = "CN";
  auto who = testca::issue(root, ec, {.profile = "org-sign", .subject = std::move(subj)});
  auto cms = [&](BytesView covered) {
    return x509::cms::sign(covered, *who.cert, *who.signer, {.detached = true}).value();
  };
  const std::string dir(out);
  PdfBuilder plain(1);
  hpki::test::write_file(dir + "/unsigned.pdf", plain.data);
  PdfBuilder one(1);
  one.sign({.placeholder = 3000}, cms);
  hpki::test::write_file(dir + "/signed.pdf", one.data);
  PdfBuilder two(2);
  two.sign({.placeholder = 3000}, cms);
  two.sign({.field = "Signature2", .placeholder = 3000, .page = 1}, cms);
  two.add_page();
  hpki::test::write_file(dir + "/signed_twice_page_added.pdf", two.data);
  PdfBuilder cert(1);
  cert.sign({.docmdp_p = 1, .placeholder = 3000}, cms);
  cert.add_text_annotation(0);
  cert.fill_field("(Li Si)");
  hpki::test::write_file(dir + "/certified_then_changed.pdf", cert.data);
  PdfBuilder bad(1);
  bad.sign({.placeholder = 3000, .widen_gap = 4}, cms);
  hpki::test::write_file(dir + "/byte_range_gap.pdf", bad.data);
}

TEST(PdfParse, RefusesNonPdfTruncatedAndTooLarge) {
  const auto text = to_bytes("hello, not a PDF");
  auto r = Document::open(text);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kMalformed);
  EXPECT_EQ(verify(text, {}).status, diag::kMalformed);

  PdfBuilder b;
  Bytes truncated(b.data.begin(), b.data.begin() + static_cast<std::ptrdiff_t>(b.data.size() / 2));
  auto t = Document::open(truncated);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code(), ErrorCode::kMalformed) << t.error().to_string();

  Bytes big(kMaxPdfSize + 1, ' ');
  std::copy_n("%PDF-1.7\n", 9, big.begin());
  auto g = Document::open(big);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code(), ErrorCode::kTooLarge);
  EXPECT_EQ(verify(big, {}).status, diag::kTooLarge);

  // An unsigned document: readable, no signature.
  auto u = Document::open(b.data);
  ASSERT_TRUE(u) << u.error().to_string();
  EXPECT_EQ(u->page_count(), 3U);
  EXPECT_EQ(verify(b.data, {}).status, diag::kNoSignatures);
}

TEST(PdfParse, RevisionsIgnoreEofWithoutTrailer) {
  const auto pdf =
      to_bytes("%PDF-1.7\nstream %%EOF inside\nstartxref\n12\n%%EOF\r\nmore\nstartxref 99 %%EOF");
  const auto revs = find_revisions(pdf);
  ASSERT_EQ(revs.size(), 2U);
  EXPECT_EQ(revs[0].startxref, 12U);
  EXPECT_EQ(pdf[revs[0].end], 'm');
  EXPECT_EQ(revs[1].end, pdf.size());
  EXPECT_EQ(revision_ending_at(revs, revs[0].eof_end), 0U);
  EXPECT_EQ(revision_ending_at(revs, revs[0].end), 0U);
  EXPECT_FALSE(revision_ending_at(revs, revs[0].end + 1));
}

}  // namespace
}  // namespace hpki::pdf
