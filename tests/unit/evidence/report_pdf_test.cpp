// The PDF report of an evidence package (src/evidence/report_pdf.h), checked by poppler and qpdf:
// qpdf --check accepts the file, pdfinfo counts the pages, pdftoppm renders every page with ink
// on it, pdftotext finds the signer's Chinese name, the serial, the document hash, the verdict
// and the page numbers, in zh-CN and English.
#include "evidence/report_pdf.h"

#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/test_util.h"

namespace hpki::evidence {
namespace {

constexpr const char* kName = "张三";
constexpr const char* kSerial = "5c1e0a7f3b9d2e4c6a8b0d1f3e5a7c9b2d4f6e81";
constexpr const char* kSha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
constexpr const char* kSm3 = "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b";
constexpr const char* kCertSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Report make_report(Verdict verdict, int elements, std::string algorithm = "rsa-pkcs1-sha256") {
  Report r;
  r.verdict = verdict;
  r.package_id = "7d3f9a0c2b4e6f8a1c3e5a7b9d0f2e4c";
  r.created_at = "2026-03-01T08:15:00Z";
  r.verified_at = "2026-03-05T10:00:00Z";
  r.document = {.name = "出院小结-2026-0301.pdf",
                .sha256 = kSha256,
                .sm3 = kSm3,
                .size = 482113,
                .included = true};
  r.signer = {.name = kName,
              .organization = "某市第一人民医院",
              .serial = kSerial,
              .issuer = "CN=Hospital Staff CA RSA,O=某市卫生健康委员会,C=CN",
              .certificate_sha256 = kCertSha256,
              .algorithm = algorithm};
  r.signing_time = {.time = "2026-03-01T08:14:03Z",
                    .source = "timestamp",
                    .authority = "CN=hpki TSA RSA,O=某市第一人民医院,C=CN"};
  r.package_timestamps = {{.time = "2026-03-01T08:15:01Z",
                           .authority = "CN=hpki TSA RSA,O=某市第一人民医院,C=CN",
                           .hash = "sha256",
                           .status = Verdict::kValid,
                           .tsa_valid_until = "2031-03-01T08:15:01Z"}};
  for (int i = 0; i < elements; ++i) {
    ElementResult e{.element = "audit:" + std::to_string(100000 + i),
                    .status = Verdict::kValid,
                    .reason = "",
                    .detail = "audit entry " + std::to_string(100000 + i) +
                              " is included in the signed checkpoint (Merkle inclusion proof of "
                              "depth 20 checked against the checkpoint's root hash)"};
    if (i == 0) e.element = "signature";
    if (i == 1) e.element = "member:certs/signer.cer";
    r.elements.push_back(std::move(e));
  }
  r.openssl_commands = {
      "openssl verify -attime 1772352843 -CAfile ROOT.pem -untrusted certs/chain.pem "
      "-crl_check -CRLfile revocation/crl-0001.pem certs/signer.pem",
      "openssl dgst -sha256 -verify certs/signer.pub.pem -signature signature/raw.sig "
      "data/document.pdf",
      "openssl ts -verify -in timestamps/signature.tsr -data signature/raw.sig -CAfile ROOT.pem "
      "-untrusted certs/tsa.pem"};
  return r;
}

// The text with all whitespace removed: pdftotext breaks wrapped hex over lines.
std::string squeeze(std::string s) {
  std::erase_if(s, [](unsigned char c) { return std::isspace(c) != 0; });
  return s;
}

// What poppler and qpdf make of one PDF.
struct Checked {
  int pages = 0;
  std::string text;      // pdftotext -enc UTF-8
  std::string squeezed;  // the same without whitespace
};

// Pixels darker than mid-grey in a greyscale PNG (libpng's simplified API).
long dark_pixels(const std::string& png_path) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, png_path.c_str())) return -1;
  img.format = PNG_FORMAT_GRAY;
  std::vector<png_byte> px(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, px.data(), 0, nullptr)) return -1;
  return std::ranges::count_if(px, [](png_byte b) { return b < 128; });
}

Checked check_pdf(const test::TempDir& dir, const std::string& name, const Bytes& pdf) {
  Checked c;
  const std::string path = dir.file(name + ".pdf");
  test::write_file(path, pdf);

  auto q = test::run("qpdf --check " + path);
  EXPECT_EQ(q.exit_code, 0) << q.output;

  auto info = test::run("pdfinfo " + path);
  EXPECT_EQ(info.exit_code, 0) << info.output;
  auto at = info.output.find("Pages:");
  if (at != std::string::npos) c.pages = std::atoi(info.output.c_str() + at + 6);
  EXPECT_NE(squeeze(info.output).find("Creator:hpki"), std::string::npos) << info.output;

  // Every page renders and carries ink (pdftoppm numbers pages with as many digits as the last).
  const std::string prefix = dir.file(name + "-page");
  auto ppm = test::run("pdftoppm -r 50 -gray -png " + path + " " + prefix);
  EXPECT_EQ(ppm.exit_code, 0) << ppm.output;
  int images = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
    const std::string fname = f.path().filename().string();
    if (!fname.starts_with(name + "-page-") || !fname.ends_with(".png")) continue;
    ++images;
    EXPECT_GT(dark_pixels(f.path().string()), 200) << fname << " is blank";
  }
  EXPECT_EQ(images, c.pages);

  auto txt = test::run("pdftotext -enc UTF-8 " + path + " -");
  EXPECT_EQ(txt.exit_code, 0);
  c.text = txt.output;
  c.squeezed = squeeze(c.text);
  return c;
}

void expect_contains(const Checked& c, const std::string& needle) {
  EXPECT_NE(c.squeezed.find(squeeze(needle)), std::string::npos)
      << "'" << needle << "' not in the text:\n"
      << c.text;
}

class ReportPdfTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
};

TEST_F(ReportPdfTest, ChineseReportWithManyElementsSpansPages) {
  const Report r = make_report(Verdict::kValid, 45);
  auto pdf = render_report_pdf(r, Language::kZhCn);
  ASSERT_TRUE(pdf) << pdf.error().to_string();
  const Checked c = check_pdf(dir_, "zh", *pdf);
  EXPECT_GE(c.pages, 2);
  expect_contains(c, "电子签名举证报告");
  expect_contains(c, kName);
  expect_contains(c, "某市第一人民医院");
  expect_contains(c, kSerial);
  expect_contains(c, kSha256);
  expect_contains(c, kSm3);
  expect_contains(c, kCertSha256);
  expect_contains(c, "有效");
  expect_contains(c, "可信时间戳");  // the time source, translated
  EXPECT_EQ(c.squeezed.find("无效"), std::string::npos);
  // Page numbers with the total on every page.
  for (int p = 1; p <= c.pages; ++p)
    expect_contains(c, "第 " + std::to_string(p) + " 页 / 共 " + std::to_string(c.pages) + " 页");
  // The last element and the re-check section made it onto the pages.
  expect_contains(c, "audit:100044");
  expect_contains(c, r.openssl_commands[0]);
  expect_contains(c, "hpki evidence verify E.zip --trust ROOT.pem");
}

TEST_F(ReportPdfTest, EnglishReportWithManyElementsSpansPages) {
  const Report r = make_report(Verdict::kValid, 45);
  auto pdf = render_report_pdf(r, Language::kEn);
  ASSERT_TRUE(pdf) << pdf.error().to_string();
  const Checked c = check_pdf(dir_, "en", *pdf);
  EXPECT_GE(c.pages, 2);
  expect_contains(c, "Electronic signature evidence report");
  expect_contains(c, kName);
  expect_contains(c, kSerial);
  expect_contains(c, kSha256);
  expect_contains(c, "valid");
  expect_contains(c, "trusted timestamp (RFC 3161)");
  EXPECT_EQ(c.squeezed.find("invalid"), std::string::npos);
  for (int p = 1; p <= c.pages; ++p)
    expect_contains(c, "Page " + std::to_string(p) + " of " + std::to_string(c.pages));
  expect_contains(c, "audit:100044");
  for (const auto& cmd : r.openssl_commands) expect_contains(c, cmd);
}

TEST_F(ReportPdfTest, InvalidVerdictShowsTheReasons) {
  Report r = make_report(Verdict::kInvalid, 6);
  r.elements[1].status = Verdict::kInvalid;
  r.elements[1].reason = "evidence.member_hash_mismatch";
  r.elements[1].detail = "SHA-256 of certs/signer.cer differs from the manifest";
  r.elements[3].status = Verdict::kInvalid;
  r.elements[3].reason = "audit.inclusion_proof_mismatch";
  r.reasons = {"member:certs/signer.cer", "audit:100003"};
  for (auto lang : {Language::kZhCn, Language::kEn}) {
    auto pdf = render_report_pdf(r, lang);
    ASSERT_TRUE(pdf) << pdf.error().to_string();
    const Checked c = check_pdf(dir_, lang == Language::kZhCn ? "inv-zh" : "inv-en", *pdf);
    EXPECT_GE(c.pages, 1);
    expect_contains(c, lang == Language::kZhCn ? "无效" : "invalid");
    expect_contains(c, "evidence.member_hash_mismatch");
    expect_contains(c, "audit.inclusion_proof_mismatch");
    expect_contains(c, "member:certs/signer.cer");
    expect_contains(c, "audit:100003");
    expect_contains(c, kName);
  }
}

TEST_F(ReportPdfTest, IndeterminateAndHashOnlyAreTranslated) {
  Report r = make_report(Verdict::kIndeterminate, 3);
  r.document.size = -1;
  r.document.included = false;
  r.signing_time = {.time = "", .source = "signing_time", .authority = ""};
  r.package_timestamps.clear();
  auto zh = render_report_pdf(r, Language::kZhCn);
  ASSERT_TRUE(zh) << zh.error().to_string();
  const Checked cz = check_pdf(dir_, "ind-zh", *zh);
  expect_contains(cz, "无法确定");
  expect_contains(cz, "仅导出了哈希值");
  expect_contains(cz, "签署人自述");
  auto en = render_report_pdf(r, Language::kEn);
  ASSERT_TRUE(en) << en.error().to_string();
  const Checked ce = check_pdf(dir_, "ind-en", *en);
  expect_contains(ce, "indeterminate");
  expect_contains(ce, "only the hash was exported");
  expect_contains(ce, "claimed by the signer");
  expect_contains(ce, "The package has no timestamp.");
}

// SM2 packages: no OpenSSL commands, and the note on OpenSSL 3.0's empty default SM2 ID.
TEST_F(ReportPdfTest, Sm2PackageCarriesTheIdNote) {
  Report r = make_report(Verdict::kValid, 4, "sm2-sm3");
  r.openssl_commands.clear();
  for (auto lang : {Language::kZhCn, Language::kEn}) {
    auto pdf = render_report_pdf(r, lang);
    ASSERT_TRUE(pdf) << pdf.error().to_string();
    const Checked c = check_pdf(dir_, lang == Language::kZhCn ? "sm2-zh" : "sm2-en", *pdf);
    expect_contains(c, "sm2-sm3");
    expect_contains(c, "-sigopt distid:1234567812345678");
    expect_contains(c, "-vfyopt distid:1234567812345678");
  }
  // An RSA package does not carry it.
  auto rsa = render_report_pdf(make_report(Verdict::kValid, 4), Language::kEn);
  ASSERT_TRUE(rsa);
  EXPECT_EQ(check_pdf(dir_, "rsa-en", *rsa).squeezed.find("distid"), std::string::npos);
}

// A cell taller than a page (a hostile or broken package with a huge detail) is cut between lines
// over several pages: nothing is lost, nothing drawn off the page.
TEST_F(ReportPdfTest, RowTallerThanAPageIsCutBetweenLines) {
  Report r = make_report(Verdict::kInvalid, 3);
  std::string detail = "BEGIN-OF-DETAIL ";
  for (int i = 0; i < 900; ++i) detail += "word" + std::to_string(i) + " ";
  detail += "END-OF-DETAIL";
  r.elements[2].status = Verdict::kInvalid;
  r.elements[2].detail = detail;
  auto pdf = render_report_pdf(r, Language::kEn);
  ASSERT_TRUE(pdf) << pdf.error().to_string();
  const Checked c = check_pdf(dir_, "tall", *pdf);
  EXPECT_GE(c.pages, 3);
  expect_contains(c, "BEGIN-OF-DETAIL");
  expect_contains(c, "word450");
  expect_contains(c, "END-OF-DETAIL");
  expect_contains(c, "Page " + std::to_string(c.pages) + " of " + std::to_string(c.pages));
}

// Text that is not UTF-8 (from a hostile package) is replaced, not passed to pango.
TEST_F(ReportPdfTest, InvalidUtf8IsReplaced) {
  Report r = make_report(Verdict::kInvalid, 3);
  r.elements[0].element =
      "member:\xff\xfe"
      "bad\x01name";
  r.document.name = "doc\xc3(.pdf";
  auto pdf = render_report_pdf(r, Language::kEn);
  ASSERT_TRUE(pdf) << pdf.error().to_string();
  const Checked c = check_pdf(dir_, "utf8", *pdf);
  expect_contains(c,
                  "member:\xEF\xBF\xBD\xEF\xBF\xBD"
                  "bad name");
  expect_contains(c, kName);
}

// Rendering twice gives two PDFs that both pass (cairo may write different bytes).
TEST_F(ReportPdfTest, RenderingTwiceGivesTwoGoodPdfs) {
  const Report r = make_report(Verdict::kValid, 45);
  auto a = render_report_pdf(r, Language::kZhCn);
  auto b = render_report_pdf(r, Language::kZhCn);
  ASSERT_TRUE(a && b);
  const Checked ca = check_pdf(dir_, "twice-a", *a);
  const Checked cb = check_pdf(dir_, "twice-b", *b);
  EXPECT_EQ(ca.pages, cb.pages);
  EXPECT_EQ(ca.squeezed, cb.squeezed);
  expect_contains(cb, kName);
}

// A fontconfig configuration with only the fonts of `font_dir` ("" for none at all).
std::string fontconfig_file(const test::TempDir& dir, const std::string& name,
                            const std::string& font_dir) {
  const std::string conf = dir.file(name + ".conf");
  test::write_file(conf,
                   "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n"
                   "<fontconfig>" +
                       (font_dir.empty() ? "" : "<dir>" + font_dir + "</dir>") + "<cachedir>" +
                       dir.file(name + "-cache") + "</cachedir></fontconfig>\n");
  return conf;
}

// Renders in this process under the fontconfig configuration `conf` and exits 0 when the result
// is `expected` (ok, or an error whose detail contains `detail`). Run by EXPECT_EXIT in the
// threadsafe style: a fresh exec of the test binary, so that fontconfig starts with `conf`.
[[noreturn]] void render_with_fonts(const std::string& conf, Language lang, const Report& r,
                                    bool expect_ok, const std::string& detail = "") {
  ::setenv("FONTCONFIG_FILE", conf.c_str(), 1);
  auto pdf = render_report_pdf(r, lang);
  bool ok = expect_ok ? pdf.has_value()
                      : !pdf && pdf.error().code() == ErrorCode::kUnavailable &&
                            pdf.error().detail().find(detail) != std::string::npos &&
                            pdf.error().detail().find("fonts-wqy-zenhei") != std::string::npos;
  std::exit(ok ? 0 : 1);
}

Report ascii_report() {
  Report r = make_report(Verdict::kValid, 2);
  r.signer.name = "Zhang San";
  r.signer.organization = "City Hospital";
  r.signer.issuer = "CN=Staff CA";
  r.document.name = "summary.pdf";
  r.signing_time.authority = "CN=TSA";
  r.package_timestamps.clear();
  return r;
}

// Without any font the report is refused (pango would draw boxes), naming the package to
// install.
TEST_F(ReportPdfTest, NoFontIsUnavailable) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string conf = fontconfig_file(dir_, "none", "");
  const Report r = make_report(Verdict::kValid, 2);
  EXPECT_EXIT(render_with_fonts(conf, Language::kZhCn, r, false, "no font"),
              ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(render_with_fonts(conf, Language::kEn, ascii_report(), false, "no font"),
              ::testing::ExitedWithCode(0), "");
}

// With Latin fonts only (DejaVu, which fontconfig itself depends on in Debian): zh-CN is refused,
// and so is English when the report holds Chinese text (the signer's name); an English report in
// ASCII renders.
TEST_F(ReportPdfTest, NoChineseFontIsUnavailable) {
  const std::string dejavu = "/usr/share/fonts/truetype/dejavu";
  if (!std::filesystem::exists(dejavu + "/DejaVuSans.ttf")) GTEST_SKIP() << "no " << dejavu;
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string conf = fontconfig_file(dir_, "latin", dejavu);
  const Report r = make_report(Verdict::kValid, 2);
  EXPECT_EXIT(render_with_fonts(conf, Language::kZhCn, r, false, "Chinese"),
              ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(render_with_fonts(conf, Language::kEn, r, false, "Chinese"),
              ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(render_with_fonts(conf, Language::kEn, ascii_report(), true),
              ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace hpki::evidence
