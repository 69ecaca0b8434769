// PDF signing with an incremental update (src/pdf/sign.h): structure checked by qpdf --check,
// RSA-2048 and P-256 signatures checked by poppler's pdfsig, the seal checked in pixels rendered
// by pdftoppm, anchors checked against pdftotext -bbox, SM2 checked by hpki's CMS verifier over
// the ByteRange; both cross-reference formats; bad input refused with a precise error.
#include "pdf/sign.h"

#include <png.h>
#include "pdf/detail/qpdf.h"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <cmath>
#include <cstring>
#include <regex>

#include "crypto/digest.h"
#include "pdf/detail/writer.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_png.h"
#include "tests/support/test_util.h"
#include "x509/cms.h"
#include "x509/tsp.h"

namespace hpki::pdf {
namespace {

using crypto::KeySpec;
using crypto::KeyType;
using test::run;

std::string utf16(std::string_view s) {
  return "<" + detail::utf16be_hex(detail::utf8_to_utf16(s).value()) + ">";
}

// A 3-page PDF 1.7 with a classic xref table: Chinese text in STSong-Light on every page,
// English in Helvetica, an AcroForm (inline in the catalog) with a text field on page 1 (inline
// /Annots), an indirect empty /Annots array on page 3, and on page 2 the anchors "Sign here:"
// and "医生签名".
Bytes make_pdf() {
  std::vector<std::string> obj(17);
  obj[1] =
      "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] /DA (/Helv 0 Tf 0 g) /DR << "
      "/Font << /Helv 6 0 R >> >> >> >>";
  obj[2] = "<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>";
  const char* res = "/Resources << /Font << /F1 8 0 R /F2 6 0 R >> >>";
  obj[3] = fmt::format(
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] {} /Contents 11 0 R /Annots [7 0 R] "
      ">>",
      res);
  obj[4] = fmt::format(
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] {} /Contents 12 0 R >>", res);
  obj[5] = fmt::format(
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] {} /Contents 13 0 R /Annots 14 0 R "
      ">>",
      res);
  obj[6] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
  obj[7] =
      "<< /Type /Annot /Subtype /Widget /FT /Tx /T (patient) /V (Zhang San) /DA (/Helv 10 Tf 0 g) "
      "/Rect [72 100 272 120] /P 3 0 R /F 4 >>";
  obj[8] =
      "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UTF16-H "
      "/DescendantFonts [9 0 R] >>";
  obj[9] =
      "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry "
      "(Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 10 0 R /DW 1000 /W [1 95 500] >>";
  obj[10] =
      "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
      "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>";
  for (int p = 1; p <= 3; ++p) {
    std::string c = fmt::format(
        "BT /F1 18 Tf 72 760 Td {} Tj ET\nBT /F2 12 Tf 72 730 Td (Medical record, page {}) Tj ET\n",
        utf16(fmt::format("病历 第{}页 患者张三", p)), p);
    if (p == 2) {
      c += "BT /F2 12 Tf 72 400 Td (Sign here:) Tj ET\n";
      c += "BT /F1 14 Tf 320 300 Td " + utf16("医生签名") + " Tj ET\n";
    }
    obj[static_cast<std::size_t>(10 + p)] =
        fmt::format("<< /Length {} >>\nstream\n{}\nendstream", c.size() + 1, c);
  }
  obj[14] = "[]";
  obj[15] = "<< /Title (hpki test record) /Producer (hpki sign_test) >>";
  obj[16] = "<< /Type /Metadata >>";  // unused, keeps a non-trivial object count
  std::string out = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> off(obj.size());
  for (std::size_t i = 1; i < obj.size(); ++i) {
    off[i] = out.size();
    out += fmt::format("{} 0 obj\n{}\nendobj\n", i, obj[i]);
  }
  std::size_t xref = out.size();
  out += fmt::format("xref\n0 {}\n0000000000 65535 f\r\n", obj.size());
  for (std::size_t i = 1; i < obj.size(); ++i) out += fmt::format("{:010} 00000 n\r\n", off[i]);
  out += fmt::format(
      "trailer\n<< /Size {} /Root 1 0 R /Info 15 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> "
      "<0123456789ABCDEF0123456789ABCDEF>] >>\nstartxref\n{}\n%%EOF\n",
      obj.size(), xref);
  return to_bytes(out);
}

// The same document rewritten by qpdf with object streams and a cross-reference stream.
Bytes make_pdf_xref_stream(const test::TempDir& dir) {
  test::write_file(dir.file("plain.pdf"), make_pdf());
  auto r = run(fmt::format("qpdf --object-streams=generate {} {}", dir.file("plain.pdf"),
                           dir.file("objstm.pdf")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  Bytes b = test::read_file(dir.file("objstm.pdf"));
  EXPECT_NE(as_string(b).find("/ObjStm"), std::string_view::npos);
  EXPECT_NE(as_string(b).find("/XRef"), std::string_view::npos);
  return b;
}

struct Rgba {
  std::uint32_t w = 0, h = 0;
  Bytes px;
};
Rgba read_png(const std::string& path) {
  Bytes b = test::read_file(path);
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  Rgba out;
  if (!png_image_begin_read_from_memory(&img, b.data(), b.size())) return out;
  img.format = PNG_FORMAT_RGBA;
  out.px.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.px.data(), 0, nullptr)) return {};
  out.w = img.width;
  out.h = img.height;
  return out;
}

bool is_red(const std::uint8_t* p) { return p[0] > 180 && p[1] < 80 && p[2] < 80; }

// Concatenation of the two signed ranges (what a detached CMS signs).
Bytes signed_bytes(const Prepared& p) {
  Bytes c(p.pdf.begin(), p.pdf.begin() + static_cast<std::ptrdiff_t>(p.byte_range[1]));
  auto from = p.pdf.begin() + static_cast<std::ptrdiff_t>(p.byte_range[2]);
  c.insert(c.end(), from, from + static_cast<std::ptrdiff_t>(p.byte_range[3]));
  return c;
}

// The widget /Rect and signature dictionary of field `name` as qpdf reads them.
struct FieldInfo {
  bool found = false;
  std::array<double, 4> rect{};
  std::string sig_type, sub_filter, name, reason;
  bool has_docmdp_perms = false;
  std::vector<std::string> field_names;
};
FieldInfo field_info(BytesView pdf, const std::string& name) {
  FieldInfo fi;
  QPDF q;
  q.setSuppressWarnings(true);
  q.processMemoryFile("t", reinterpret_cast<const char*>(pdf.data()), pdf.size());
  auto root = q.getRoot();
  fi.has_docmdp_perms = root.getKey("/Perms").getKey("/DocMDP").isDictionary();
  auto fields = root.getKey("/AcroForm").getKey("/Fields");
  for (int i = 0; i < fields.getArrayNItems(); ++i) {
    auto f = fields.getArrayItem(i);
    std::string t = f.getKey("/T").getUTF8Value();
    fi.field_names.push_back(t);
    if (t != name) continue;
    fi.found = true;
    auto r = f.getKey("/Rect");
    for (int k = 0; k < 4; ++k)
      fi.rect[static_cast<std::size_t>(k)] = r.getArrayItem(k).getNumericValue();
    auto v = f.getKey("/V");
    fi.sig_type = v.getKey("/Type").getName();
    fi.sub_filter = v.getKey("/SubFilter").getName();
    if (v.hasKey("/Name")) fi.name = v.getKey("/Name").getUTF8Value();
    if (v.hasKey("/Reason")) fi.reason = v.getKey("/Reason").getUTF8Value();
  }
  return fi;
}

// The DER CMS in /Contents: the hex decoded, the zero padding after the DER element cut off.
Bytes contents_cms(BytesView pdf, const Prepared& p) {
  std::string hex(as_string(pdf).substr(p.contents_offset + 1, 2 * p.contents_capacity));
  Bytes b;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    b.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  std::size_t n = b[1] & 0x7F, len = 0;
  for (std::size_t i = 0; i < n; ++i) len = len << 8 | b[2 + i];
  b.resize(2 + n + len);
  return b;
}

int count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

std::string qpdf_check(const test::TempDir& dir, BytesView pdf) {
  test::write_file(dir.file("check.pdf"), pdf);
  auto r = run("qpdf --check " + dir.file("check.pdf"));
  return r.exit_code == 0 ? "" : r.output;
}

class PdfSign : public ::testing::Test {
 protected:
  struct Who {
    testca::Ca ca;
    testca::Issued leaf;
  };
  static Who make(KeySpec spec) {
    testca::Ca ca = testca::make_ca(spec, "pdf-root", nullptr);
    x509::SubjectData s = testca::subject("王医生 pdf signer");
    s.country = "CN";
    testca::Issued leaf = testca::issue(ca, spec, {.profile = "org-sign", .subject = s});
    return {std::move(ca), std::move(leaf)};
  }
  // prepare, CMS over the ByteRange by `who`, finish.
  static Result<Bytes> sign(BytesView pdf, const FieldSpec& spec, const Who& who,
                            Prepared* keep = nullptr) {
    Prepared p = HPKI_TRY(prepare(pdf, spec));
    Bytes cms = HPKI_TRY(x509::cms::sign(signed_bytes(p), *who.leaf.cert, *who.leaf.signer,
                                         {.detached = true, .extra_certificates = {who.ca.cert}}));
    if (keep) *keep = p;
    return finish(std::move(p), cms);
  }
  static FieldSpec spec(std::optional<Rect> rect = {}) {
    FieldSpec s;
    s.name = "王医生";
    s.reason = "病历签名 medical record";
    s.location = "上海";
    s.signing_time = testca::now();
    s.appearance.rect = rect;
    return s;
  }
  test::TempDir dir_;
};

struct Case {
  KeySpec key;
  bool xref_stream;
};

class PdfSignInterop : public PdfSign, public ::testing::WithParamInterface<Case> {};

// ISO 32000-1 7.5.6 incremental update; ISO 32000-1 12.8.1 ByteRange; pdfsig checks the CMS over
// the ByteRange and the coverage ("Total document signed"), for one and two signatures.
TEST_P(PdfSignInterop, OneThenTwoSignaturesPdfsigValid) {
  Who who = make(GetParam().key);
  Bytes in = GetParam().xref_stream ? make_pdf_xref_stream(dir_) : make_pdf();
  FieldSpec s1 = spec(Rect{100, 500, 120, 120});
  s1.appearance.png = hpki::test::red_disc_png(64, 64);
  s1.appearance.text_lines = {"王医生", "2026-11-27 10:00"};
  Prepared p1;
  auto out1 = sign(in, s1, who, &p1);
  ASSERT_TRUE(out1) << out1.error().to_string();
  // The original bytes are untouched; the update has the same kind of xref section.
  ASSERT_GT(out1->size(), in.size());
  EXPECT_TRUE(std::equal(in.begin(), in.end(), out1->begin()));
  std::string_view update = as_string(*out1).substr(in.size());
  if (GetParam().xref_stream) {
    EXPECT_NE(update.find("/Type /XRef"), std::string_view::npos);
    EXPECT_EQ(update.find("\nxref\n"), std::string_view::npos);
  } else {
    EXPECT_NE(update.find("\nxref\n"), std::string_view::npos);
    EXPECT_NE(update.find("trailer"), std::string_view::npos);
  }
  EXPECT_NE(update.find(fmt::format("/Prev {}", detail::read_tail(in)->startxref)),
            std::string_view::npos);
  // The ByteRange covers the whole file but the hex of /Contents.
  EXPECT_EQ(p1.byte_range[0], 0u);
  EXPECT_EQ(p1.byte_range[2] + p1.byte_range[3], out1->size());
  EXPECT_EQ((*out1)[p1.byte_range[1]], '<');
  EXPECT_EQ((*out1)[p1.byte_range[2] - 1], '>');
  // byte_range_digest (streamed) is the digest of the signed bytes.
  EXPECT_EQ(byte_range_digest(p1, crypto::HashAlg::kSha256).value(),
            crypto::digest(crypto::HashAlg::kSha256, signed_bytes(p1)).value());

  EXPECT_EQ(qpdf_check(dir_, *out1), "");
  test::write_file(dir_.file("one.pdf"), *out1);
  auto r1 = run("pdfsig " + dir_.file("one.pdf"));
  EXPECT_EQ(count(r1.output, "Signature Validation: Signature is Valid."), 1) << r1.output;
  EXPECT_EQ(count(r1.output, "Total document signed"), 1) << r1.output;
  EXPECT_NE(r1.output.find("ETSI.CAdES.detached"), std::string::npos) << r1.output;
  // The check above can fail: one byte changed inside the ByteRange and pdfsig refuses.
  {
    Bytes tampered = *out1;
    tampered[p1.byte_range[1] - 20] ^= 0x01;
    test::write_file(dir_.file("tampered.pdf"), tampered);
    auto rt = run("pdfsig " + dir_.file("tampered.pdf"));
    EXPECT_EQ(count(rt.output, "Signature Validation: Signature is Valid."), 0) << rt.output;
  }

  // The existing text field is kept; the signature field joined it; the text is UTF-16.
  FieldInfo fi = field_info(*out1, "Signature1");
  ASSERT_TRUE(fi.found);
  EXPECT_EQ(fi.field_names, (std::vector<std::string>{"patient", "Signature1"}));
  EXPECT_EQ(fi.sig_type, "/Sig");
  EXPECT_EQ(fi.name, "王医生");
  EXPECT_EQ(fi.reason, "病历签名 medical record");
  EXPECT_EQ(fi.rect, (std::array<double, 4>{100, 500, 220, 620}));

  // Countersignature: an invisible one on page 3 (indirect /Annots array).
  FieldSpec s2 = spec();
  s2.appearance.page = 3;
  s2.field_name = "attending";
  auto out2 = sign(*out1, s2, who);
  ASSERT_TRUE(out2) << out2.error().to_string();
  EXPECT_TRUE(std::equal(out1->begin(), out1->end(), out2->begin()));
  EXPECT_EQ(qpdf_check(dir_, *out2), "");
  test::write_file(dir_.file("two.pdf"), *out2);
  auto r2 = run("pdfsig " + dir_.file("two.pdf"));
  EXPECT_EQ(count(r2.output, "Signature Validation: Signature is Valid."), 2) << r2.output;
  EXPECT_EQ(count(r2.output, "Total document signed"), 1) << r2.output;
  FieldInfo fi2 = field_info(*out2, "attending");
  ASSERT_TRUE(fi2.found);
  EXPECT_EQ(fi2.rect, (std::array<double, 4>{0, 0, 0, 0}));
  EXPECT_EQ(fi2.field_names, (std::vector<std::string>{"patient", "Signature1", "attending"}));
}

INSTANTIATE_TEST_SUITE_P(
    Keys, PdfSignInterop,
    ::testing::Values(Case{{KeyType::kRsa, 2048}, false}, Case{{KeyType::kRsa, 2048}, true},
                      Case{{KeyType::kEcP256, 0}, false}, Case{{KeyType::kEcP256, 0}, true}),
    [](const auto& tp) {
      return std::string(tp.param.key.type == KeyType::kRsa ? "Rsa2048" : "P256") +
             (tp.param.xref_stream ? "XrefStream" : "XrefTable");
    });

// The seal is drawn in its rectangle with its alpha: red pixels inside, none outside, and the
// transparent corners of the image leave the page white.
TEST_F(PdfSign, SealRenderedInsideTheRect) {
  Who who = make({KeyType::kEcP256, 0});
  FieldSpec s = spec(Rect{100, 500, 120, 120});
  s.appearance.png = hpki::test::red_disc_png(64, 64);
  auto out = sign(make_pdf(), s, who);
  ASSERT_TRUE(out) << out.error().to_string();
  test::write_file(dir_.file("seal.pdf"), *out);
  auto r = run(fmt::format("pdftoppm -r 72 -png -f 1 -l 1 -singlefile {} {}", dir_.file("seal.pdf"),
                           dir_.file("page")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Rgba img = read_png(dir_.file("page.png"));
  ASSERT_EQ(img.w, 595u);
  ASSERT_EQ(img.h, 842u);
  // Page y (origin bottom-left) 500..620 is image row 842-620 .. 842-500.
  int inside = 0, outside = 0;
  for (std::uint32_t y = 0; y < img.h; ++y) {
    for (std::uint32_t x = 0; x < img.w; ++x) {
      bool in = x >= 100 && x < 220 && y >= 222 && y < 342;
      if (is_red(&img.px[(std::size_t{y} * img.w + x) * 4])) (in ? inside : outside)++;
    }
  }
  // A disc of diameter 120 covers pi/4 of the square (~11300 px).
  EXPECT_GT(inside, 10000);
  EXPECT_EQ(outside, 0);
  const std::uint8_t* corner = &img.px[(std::size_t{224} * img.w + 102) * 4];
  EXPECT_GT(corner[0], 240);
  EXPECT_GT(corner[1], 240);  // white: the SMask made the corner transparent
}

// Words of pdftotext -bbox on page `page`: (text, xMin, yMin, xMax, yMax), origin top-left.
struct Word {
  std::string text;
  double x0, y0, x1, y1;
};
std::vector<Word> words(const test::TempDir& dir, BytesView pdf, int page) {
  test::write_file(dir.file("words.pdf"), pdf);
  auto r = run(fmt::format("pdftotext -bbox -f {0} -l {0} {1} -", page, dir.file("words.pdf")));
  std::vector<Word> out;
  std::regex re(
      R"re(<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>)re");
  for (std::sregex_iterator it(r.output.begin(), r.output.end(), re), end; it != end; ++it) {
    out.push_back({(*it)[5], std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]),
                   std::stod((*it)[4])});
  }
  return out;
}

// The anchored field is centred on the text that pdftotext finds (ASCII over two words, and
// Chinese in the non-embedded STSong-Light font).
TEST_F(PdfSign, AnchorLandsOnTheText) {
  Who who = make({KeyType::kEcP256, 0});
  Bytes in = make_pdf();
  std::vector<Word> ws = words(dir_, in, 2);
  auto box_of = [&](std::vector<std::string> seq) {
    for (std::size_t i = 0; i + seq.size() <= ws.size(); ++i) {
      bool ok = true;
      for (std::size_t k = 0; k < seq.size(); ++k) ok = ok && ws[i + k].text == seq[k];
      if (ok) {
        const Word& a = ws[i];
        const Word& b = ws[i + seq.size() - 1];
        // To PDF user space (page height 842).
        return std::array<double, 2>{(a.x0 + b.x1) / 2, 842 - (a.y0 + b.y1) / 2};
      }
    }
    ADD_FAILURE() << "pdftotext did not find " << seq[0];
    return std::array<double, 2>{};
  };
  struct A {
    std::string anchor;
    std::vector<std::string> words;
  };
  for (const A& a : {A{"Sign here:", {"Sign", "here:"}}, A{"医生签名", {"医生签名"}}}) {
    SCOPED_TRACE(a.anchor);
    FieldSpec s = spec();
    s.appearance.page = 2;
    s.appearance.anchor = a.anchor;
    s.appearance.png = hpki::test::red_disc_png(80, 40);
    auto out = sign(in, s, who);
    ASSERT_TRUE(out) << out.error().to_string();
    EXPECT_EQ(qpdf_check(dir_, *out), "");
    FieldInfo fi = field_info(*out, "Signature1");
    ASSERT_TRUE(fi.found);
    auto want = box_of(a.words);
    // Height 60 pt from the image, width from its aspect ratio (2:1).
    EXPECT_NEAR(fi.rect[3] - fi.rect[1], 60, 0.01);
    EXPECT_NEAR(fi.rect[2] - fi.rect[0], 120, 0.01);
    EXPECT_NEAR((fi.rect[0] + fi.rect[2]) / 2, want[0], 2.0);
    EXPECT_NEAR((fi.rect[1] + fi.rect[3]) / 2, want[1], 2.0);
  }
}

// SM2: the CMS is hpki's (GM/T 0009 ID); qpdf accepts the PDF, the ByteRange digest (SM3) is the
// CMS messageDigest, and hpki's CMS verifier accepts the signature over the ByteRange bytes.
TEST_F(PdfSign, Sm2PrepareFinish) {
  Who who = make({KeyType::kSm2, 0});
  for (bool xs : {false, true}) {
    SCOPED_TRACE(xs ? "xref stream" : "xref table");
    Bytes in = xs ? make_pdf_xref_stream(dir_) : make_pdf();
    FieldSpec s = spec(Rect{300, 100, 150, 60});
    s.appearance.text_lines = {"王医生 SM2", "示例医院"};
    Prepared p;
    auto out = sign(in, s, who, &p);
    ASSERT_TRUE(out) << out.error().to_string();
    EXPECT_EQ(qpdf_check(dir_, *out), "");
    auto sd = x509::cms::parse_signed_data(contents_cms(*out, p));
    ASSERT_TRUE(sd) << sd.error().to_string();
    const auto* md = sd->signers[0].find_signed(der::oids::kMessageDigest);
    ASSERT_NE(md, nullptr);
    Bytes digest = byte_range_digest(p, crypto::HashAlg::kSm3).value();
    // The attribute value is an OCTET STRING of 32 bytes: 04 20 <digest>.
    EXPECT_EQ(Bytes(md->values[0].begin() + 2, md->values[0].end()), digest);
    Bytes content = signed_bytes(p);
    auto v = x509::cms::verify_signed_data(*sd, {.detached_content = BytesView(content)});
    ASSERT_TRUE(v) << v.error().to_string();
    EXPECT_EQ(v->signature_alg, crypto::SignatureAlg::kSm2Sm3);
  }
}

// ISO 32000-1 12.8.2.2: a certification signature (DocMDP) — /Perms /DocMDP in the catalog,
// pdfsig accepts it; certification on a signed document and any signature after P=1 refused.
TEST_F(PdfSign, DocMdpCertification) {
  Who who = make({KeyType::kRsa, 2048});
  FieldSpec s = spec();
  s.docmdp = 2;
  auto certified = sign(make_pdf(), s, who);
  ASSERT_TRUE(certified) << certified.error().to_string();
  EXPECT_EQ(qpdf_check(dir_, *certified), "");
  EXPECT_TRUE(field_info(*certified, "Signature1").has_docmdp_perms);
  EXPECT_NE(as_string(*certified).find("/TransformMethod /DocMDP"), std::string_view::npos);
  test::write_file(dir_.file("mdp.pdf"), *certified);
  auto r = run("pdfsig " + dir_.file("mdp.pdf"));
  EXPECT_EQ(count(r.output, "Signature Validation: Signature is Valid."), 1) << r.output;

  // An approval signature after P=2 is fine; a second certification is not.
  auto approval = sign(*certified, spec(), who);
  ASSERT_TRUE(approval) << approval.error().to_string();
  auto again = prepare(*certified, s);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kPolicyRefused);
  EXPECT_NE(again.error().detail().find("already signed"), std::string::npos);

  // P = 1: nothing may follow.
  s.docmdp = 1;
  auto locked = sign(make_pdf(), s, who);
  ASSERT_TRUE(locked) << locked.error().to_string();
  auto after = prepare(*locked, spec());
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::kPolicyRefused);
  EXPECT_NE(after.error().detail().find("P=1"), std::string::npos);
}

// ETSI EN 319 142-1 5.4.2: the DSS in a further update keeps the signature valid; its streams
// hold the DER given, once each; an existing DSS is extended.
TEST_F(PdfSign, AppendDss) {
  Who who = make({KeyType::kEcP256, 0});
  auto signed_pdf = sign(make_pdf(), spec(), who);
  ASSERT_TRUE(signed_pdf);
  Dss dss{.certs = {who.leaf.cert->der(), who.ca.cert->der(), who.ca.cert->der()}};
  auto lt = append_dss(*signed_pdf, dss);
  ASSERT_TRUE(lt) << lt.error().to_string();
  EXPECT_TRUE(std::equal(signed_pdf->begin(), signed_pdf->end(), lt->begin()));
  EXPECT_EQ(qpdf_check(dir_, *lt), "");
  test::write_file(dir_.file("lt.pdf"), *lt);
  auto r = run("pdfsig " + dir_.file("lt.pdf"));
  EXPECT_EQ(count(r.output, "Signature Validation: Signature is Valid."), 1) << r.output;

  Bytes crl = to_bytes("not really a CRL, but DER bytes to store");
  auto lt2 = append_dss(*lt, {.crls = {crl}});
  ASSERT_TRUE(lt2) << lt2.error().to_string();
  QPDF q;
  q.processMemoryFile("t", reinterpret_cast<const char*>(lt2->data()), lt2->size());
  auto d = q.getRoot().getKey("/DSS");
  ASSERT_TRUE(d.isDictionary());
  auto certs = d.getKey("/Certs");
  ASSERT_EQ(certs.getArrayNItems(), 2);  // the duplicate CA certificate stored once
  auto data = [](QPDFObjectHandle s) {
    auto b = s.getStreamData();
    return Bytes(b->getBuffer(), b->getBuffer() + b->getSize());
  };
  EXPECT_EQ(data(certs.getArrayItem(0)), who.leaf.cert->der());
  EXPECT_EQ(data(certs.getArrayItem(1)), who.ca.cert->der());
  ASSERT_EQ(d.getKey("/CRLs").getArrayNItems(), 1);
  EXPECT_EQ(data(d.getKey("/CRLs").getArrayItem(0)), crl);
}

// ETSI EN 319 142-1 5.4.3: a document timestamp (/Type /DocTimeStamp, ETSI.RFC3161) with a
// TimeStampToken over the ByteRange.
TEST_F(PdfSign, DocumentTimestamp) {
  Who tsa = make({KeyType::kEcP256, 0});
  FieldSpec s;
  s.sub_filter = "ETSI.RFC3161";
  auto p = prepare(make_pdf(), s);
  ASSERT_TRUE(p) << p.error().to_string();
  x509::tsp::TstInfo t;
  t.policy = der::Oid::from_string("1.3.6.1.4.1.59999.3161.1").value();
  t.message_imprint = {x509::cms::hash_oid(crypto::HashAlg::kSha256),
                       {},
                       byte_range_digest(*p, crypto::HashAlg::kSha256).value()};
  t.serial = {0x2A};
  t.gen_time = testca::now();
  Bytes token = x509::cms::sign(x509::tsp::encode_tst_info(t).value(), *tsa.leaf.cert,
                                *tsa.leaf.signer, {.content_type = der::oids::kCtTstInfo})
                    .value();
  auto out = finish(std::move(*p), token);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(qpdf_check(dir_, *out), "");
  FieldInfo fi = field_info(*out, "Signature1");
  EXPECT_EQ(fi.sig_type, "/DocTimeStamp");
  EXPECT_EQ(fi.sub_filter, "/ETSI.RFC3161");
}

// Bad input: a precise error and nothing returned.
TEST_F(PdfSign, RefusesBadInput) {
  Bytes good = make_pdf();
  auto expect = [](const auto& r, ErrorCode code, std::string_view text) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), code) << r.error().to_string();
    EXPECT_NE(r.error().detail().find(text), std::string::npos) << r.error().to_string();
  };
  expect(prepare(to_bytes("hello, not a pdf at all"), spec()), ErrorCode::kMalformed, "not a PDF");
  expect(prepare(BytesView(good).first(good.size() / 2), spec()), ErrorCode::kMalformed,
         "startxref");
  // A damaged cross-reference table (offsets off by some bytes) is refused, not reconstructed.
  {
    std::string bad(as_string(good));
    auto at = bad.find(" 00000 n\r\n");
    bad.replace(at - 10, 10, "0000000003");
    expect(prepare(as_bytes(bad), spec()), ErrorCode::kMalformed, "PDF");
  }
  Bytes huge(kMaxPdfSize + 1, ' ');
  std::memcpy(huge.data(), "%PDF-1.7\n", 9);
  expect(prepare(huge, spec()), ErrorCode::kTooLarge, "limit");

  FieldSpec s = spec(Rect{10, 10, 100, 50});
  s.appearance.png = to_bytes("GIF89a not a png");
  expect(prepare(good, s), ErrorCode::kInvalidArgument, "not a PNG");
  Bytes broken = hpki::test::red_disc_png(16, 16);
  broken.resize(40);
  s.appearance.png = broken;
  expect(prepare(good, s), ErrorCode::kInvalidArgument, "bad PNG");
  s.appearance.png = hpki::test::red_disc_png(4097, 1);
  expect(prepare(good, s), ErrorCode::kTooLarge, "4097 x 1");

  FieldSpec page = spec(Rect{10, 10, 100, 50});
  page.appearance.page = 4;
  expect(prepare(good, page), ErrorCode::kInvalidArgument, "page 4 out of range");

  FieldSpec anchor = spec();
  anchor.appearance.anchor = "不存在的文字";
  expect(prepare(good, anchor), ErrorCode::kNotFound, "not found on page 1");

  FieldSpec dup = spec();
  dup.field_name = "patient";
  expect(prepare(good, dup), ErrorCode::kAlreadyExists, "patient");

  FieldSpec sf = spec();
  sf.sub_filter = "adbe.x509.rsa_sha1";
  expect(prepare(good, sf), ErrorCode::kInvalidArgument, "sub_filter");

  FieldSpec bad_utf8 = spec();
  bad_utf8.reason = "\xC0\xAF";
  expect(prepare(good, bad_utf8), ErrorCode::kInvalidArgument, "UTF-8");

  // A CMS larger than the capacity.
  FieldSpec small = spec();
  small.contents_capacity = 64;
  auto p = prepare(good, small);
  ASSERT_TRUE(p);
  expect(finish(*p, Bytes(65, 0x30)), ErrorCode::kInvalidArgument, "do not fit");
  EXPECT_TRUE(finish(*p, Bytes(64, 0x30)));
  // A Prepared whose ByteRange and /Contents disagree (e.g. changed on its way back from a
  // phone), also with offsets that would wrap around.
  Prepared moved = *p;
  ++moved.byte_range[1];
  expect(byte_range_digest(moved, crypto::HashAlg::kSha256), ErrorCode::kInvalidArgument,
         "disagree");
  expect(finish(moved, Bytes(8, 0x30)), ErrorCode::kInvalidArgument, "disagree");
  Prepared wrap = *p;
  wrap.contents_offset = SIZE_MAX - 10;
  wrap.byte_range = {0, wrap.contents_offset, wrap.contents_offset + 130,
                     p->pdf.size() - (wrap.contents_offset + 130)};
  expect(finish(wrap, Bytes(8, 0x30)), ErrorCode::kInvalidArgument, "disagree");

  // Encrypted documents.
  test::write_file(dir_.file("plain.pdf"), good);
  auto r = run(
      fmt::format("qpdf --encrypt u o 256 -- {} {}", dir_.file("plain.pdf"), dir_.file("enc.pdf")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect(prepare(test::read_file(dir_.file("enc.pdf")), spec()), ErrorCode::kUnsupported,
         "encrypted");
}

// Certification on an already signed document: refused with nothing returned.
TEST_F(PdfSign, DocMdpOnSignedDocumentRefused) {
  Who who = make({KeyType::kEcP256, 0});
  auto signed_pdf = sign(make_pdf(), spec(), who);
  ASSERT_TRUE(signed_pdf);
  FieldSpec s = spec();
  s.docmdp = 1;
  auto r = prepare(*signed_pdf, s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kPolicyRefused);
}

}  // namespace
}  // namespace hpki::pdf
