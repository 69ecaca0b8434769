// The PDF report (report_pdf.h): A4 pages laid out with pango and drawn with cairo into a PDF in
// memory. Two passes: the first lays everything out on a PDF surface that discards its output and
// counts the pages, the second draws with "page N of M" known. Every block is a row of cells
// (a paragraph is a row of one cell); a row that does not fit the rest of a page moves to the
// next one, and a row taller than a page is cut between lines.
#include "evidence/report_pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hpki::evidence {
namespace {

// --- RAII for the C libraries -------------------------------------------------------------------

struct CairoSurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
struct GObjectDeleter {
  void operator()(void* o) const { g_object_unref(o); }
};
struct FontDescDeleter {
  void operator()(PangoFontDescription* d) const { pango_font_description_free(d); }
};
struct FontOptionsDeleter {
  void operator()(cairo_font_options_t* o) const { cairo_font_options_destroy(o); }
};
struct AttrListDeleter {
  void operator()(PangoAttrList* l) const { pango_attr_list_unref(l); }
};
struct LayoutIterDeleter {
  void operator()(PangoLayoutIter* i) const { pango_layout_iter_free(i); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, CairoSurfaceDeleter>;
using CairoPtr = std::unique_ptr<cairo_t, CairoDeleter>;
using ContextPtr = std::unique_ptr<PangoContext, GObjectDeleter>;
using LayoutPtr = std::unique_ptr<PangoLayout, GObjectDeleter>;
using FontsetPtr = std::unique_ptr<PangoFontset, GObjectDeleter>;
using FontPtr = std::unique_ptr<PangoFont, GObjectDeleter>;
using FontDescPtr = std::unique_ptr<PangoFontDescription, FontDescDeleter>;
using FontOptionsPtr = std::unique_ptr<cairo_font_options_t, FontOptionsDeleter>;
using AttrListPtr = std::unique_ptr<PangoAttrList, AttrListDeleter>;
using LayoutIterPtr = std::unique_ptr<PangoLayoutIter, LayoutIterDeleter>;

// --- Fonts ---------------------------------------------------------------------------------------

constexpr const char* kSans = "WenQuanYi Zen Hei";
// Latin monospace first (hex and commands), the CJK monospace for anything else.
constexpr const char* kMono = "DejaVu Sans Mono, WenQuanYi Zen Hei Mono, monospace";
constexpr const char* kFontPackage = "fonts-wqy-zenhei";

// Whether fontconfig (through pango) has a font for each of `chars` when asked for the report's
// family in Chinese: pango falls back from the family to any installed font that covers a
// character, so this asks the fallback set, not only the named family.
bool has_font_for(PangoFontMap* map, std::initializer_list<gunichar> chars) {
  ContextPtr ctx(pango_font_map_create_context(map));
  pango_context_set_language(ctx.get(), pango_language_from_string("zh-cn"));
  FontDescPtr desc(pango_font_description_from_string(kSans));
  pango_font_description_set_size(desc.get(), 10 * PANGO_SCALE);
  FontsetPtr set(
      pango_font_map_load_fontset(map, ctx.get(), desc.get(), pango_language_from_string("zh-cn")));
  if (!set) return false;
  for (gunichar c : chars) {
    FontPtr font(pango_fontset_get_font(set.get(), c));
    if (!font || !pango_font_has_char(font.get(), c)) return false;
  }
  return true;
}

// Whether `s` holds a character from the CJK blocks (U+2E80 and up, below the surrogates and
// the compatibility area): the English report needs the CJK font only for such text.
bool has_cjk(std::string_view s) {
  const gchar* p = s.data();
  const gchar* end = s.data() + s.size();
  if (!g_utf8_validate(p, static_cast<gssize>(s.size()), nullptr)) return false;
  while (p < end) {
    gunichar c = g_utf8_get_char(p);
    if (c >= 0x2E80 && c < 0xD800) return true;
    p = g_utf8_next_char(p);
  }
  return false;
}

bool report_has_cjk(const Report& r) {
  auto any = [](std::initializer_list<std::string_view> v) {
    return std::ranges::any_of(v, [](std::string_view s) { return has_cjk(s); });
  };
  if (any({r.package_id, r.created_at, r.verified_at, r.document.name, r.signer.name,
           r.signer.organization, r.signer.issuer, r.signing_time.authority}))
    return true;
  for (const auto& t : r.package_timestamps)
    if (any({t.time, t.authority})) return true;
  for (const auto& e : r.elements)
    if (any({e.element, e.reason, e.detail})) return true;
  for (const auto& s : r.reasons)
    if (has_cjk(s)) return true;
  return false;
}

// Text that is not UTF-8 (a hostile package) would make pango warn and draw nothing: replace it.
std::string valid_utf8(std::string_view s) {
  std::string out;
  const gchar* p = s.data();
  const gchar* end = s.data() + s.size();
  while (p < end) {
    const gchar* bad = nullptr;
    if (g_utf8_validate(p, end - p, &bad)) {
      out.append(p, end);
      break;
    }
    out.append(p, bad);
    out += "\xEF\xBF\xBD";  // U+FFFD
    p = bad + 1;
  }
  // Control characters other than newline and tab would show as boxes.
  for (auto& ch : out)
    if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7F) ch = ' ';
  return out;
}

// --- Words of the two languages ------------------------------------------------------------------

struct Words {
  const char* title;
  const char* package_id;
  const char* created_at;
  const char* verified_at;
  const char* s_verdict;
  const char* valid;
  const char* invalid;
  const char* indeterminate;
  const char* verdict_explain_valid;
  const char* verdict_explain_invalid;
  const char* verdict_explain_indeterminate;
  const char* reasons;
  const char* no_reasons;
  const char* s_what;
  const char* doc_name;
  const char* size;
  const char* bytes;
  const char* size_unknown;
  const char* included;
  const char* yes_included;
  const char* no_included;
  const char* s_who;
  const char* signer_name;
  const char* organization;
  const char* serial;
  const char* issuer;
  const char* cert_sha256;
  const char* algorithm;
  const char* s_when;
  const char* signing_time;
  const char* time_source;
  const char* src_timestamp;
  const char* src_signing_time;
  const char* src_audit;
  const char* src_unknown;
  const char* authority;
  const char* package_timestamps;
  const char* no_package_timestamps;
  const char* ts_time;
  const char* ts_hash;
  const char* status;
  const char* s_elements;
  const char* col_element;
  const char* col_reason;
  const char* col_detail;
  const char* no_elements;
  const char* s_recheck;
  const char* recheck_intro;
  const char* recheck_hpki;
  const char* recheck_sm2;
  const char* recheck_none;
  const char* unknown;
  const char* page_before;  // "第 " / "Page "
  const char* page_middle;  // " 页 / 共 " / " of "
  const char* page_after;   // " 页" / ""
};

constexpr Words kZh{
    .title = "电子签名举证报告",
    .package_id = "举证包编号",
    .created_at = "举证包生成时间",
    .verified_at = "本报告验证时间",
    .s_verdict = "一、验证结论",
    .valid = "有效",
    .invalid = "无效",
    .indeterminate = "无法确定",
    .verdict_explain_valid =
        "举证包中的每一项均已通过检查：签名、证书路径、签署时的吊销状态、"
        "时间戳与审计记录均有效，所签内容未被改动。",
    .verdict_explain_invalid = "至少有一项检查失败，失败的项目列于下方并在第五部分详细说明。",
    .verdict_explain_indeterminate =
        "没有发现失败的检查，但缺少做出结论所需的数据，缺少的项目列于下方。",
    .reasons = "原因",
    .no_reasons = "无",
    .s_what = "二、签署内容",
    .doc_name = "文件名",
    .size = "大小",
    .bytes = " 字节",
    .size_unknown = "未知（仅导出了哈希值）",
    .included = "是否包含原文",
    .yes_included = "是",
    .no_included = "否（仅包含哈希值）",
    .s_who = "三、签署人",
    .signer_name = "姓名",
    .organization = "单位",
    .serial = "证书序列号",
    .issuer = "证书颁发者",
    .cert_sha256 = "证书 SHA-256",
    .algorithm = "签名算法",
    .s_when = "四、签署时间",
    .signing_time = "签署时间",
    .time_source = "时间来源",
    .src_timestamp = "可信时间戳（RFC 3161）",
    .src_signing_time = "签名中的签署时间属性（签署人自述）",
    .src_audit = "审计日志",
    .src_unknown = "未知",
    .authority = "时间戳机构",
    .package_timestamps = "举证包时间戳",
    .no_package_timestamps = "举证包没有时间戳。",
    .ts_time = "时间",
    .ts_hash = "摘要算法",
    .status = "状态",
    .s_elements = "五、各项检查结果",
    .col_element = "检查项",
    .col_reason = "原因代码",
    .col_detail = "说明",
    .no_elements = "没有检查项。",
    .s_recheck = "六、如何独立复核",
    .recheck_intro =
        "将举证包解压到一个文件夹，在该文件夹中运行以下 OpenSSL 命令，"
        "可独立复核其中 RSA/ECDSA 部分：",
    .recheck_hpki =
        "命令 hpki evidence verify E.zip --trust ROOT.pem 离线完成全部检查"
        "（哈希、签名、签署时的证书路径与吊销状态、时间戳、审计默克尔证明），"
        "只需要根证书，无需联网，也无需访问 hpki 服务器。",
    .recheck_sm2 =
        "SM2 签名使用 GM/T 0009 规定的区分标识（ID）1234567812345678。"
        "OpenSSL 3.0 命令行默认使用空 ID，必须显式给出："
        "openssl dgst 用 -sigopt distid:1234567812345678，"
        "openssl verify 与 openssl req 用 -vfyopt distid:1234567812345678，"
        "openssl pkeyutl 用 -pkeyopt distid:1234567812345678。"
        "OpenSSL 3.0 无法验证 SM2 的 CRL、OCSP 响应和时间戳，这些请用 hpki evidence verify。",
    .recheck_none = "本举证包没有可用 OpenSSL 命令行复核的部分。",
    .unknown = "未知",
    .page_before = "第 ",
    .page_middle = " 页 / 共 ",
    .page_after = " 页",
};

constexpr Words kEnWords{
    .title = "Electronic signature evidence report",
    .package_id = "Package id",
    .created_at = "Package created",
    .verified_at = "Verified at",
    .s_verdict = "1. Verdict",
    .valid = "valid",
    .invalid = "invalid",
    .indeterminate = "indeterminate",
    .verdict_explain_valid =
        "Every element of the package passed: the signature, the certificate path, the "
        "revocation status at signing time, the timestamps and the audit records are valid, and "
        "the signed data has not changed.",
    .verdict_explain_invalid =
        "At least one check failed; the failing elements are listed below and in section 5.",
    .verdict_explain_indeterminate =
        "No check failed, but data needed for a decision is missing; the elements concerned are "
        "listed below.",
    .reasons = "Reasons",
    .no_reasons = "none",
    .s_what = "2. What was signed",
    .doc_name = "Document",
    .size = "Size",
    .bytes = " bytes",
    .size_unknown = "unknown (only the hash was exported)",
    .included = "Data in the package",
    .yes_included = "yes",
    .no_included = "no (hash only)",
    .s_who = "3. By whom",
    .signer_name = "Signer",
    .organization = "Organization",
    .serial = "Certificate serial",
    .issuer = "Issuer",
    .cert_sha256 = "Certificate SHA-256",
    .algorithm = "Algorithm",
    .s_when = "4. When",
    .signing_time = "Signing time",
    .time_source = "Source",
    .src_timestamp = "trusted timestamp (RFC 3161)",
    .src_signing_time = "signing-time attribute (claimed by the signer)",
    .src_audit = "audit log",
    .src_unknown = "unknown",
    .authority = "Timestamp authority",
    .package_timestamps = "Package timestamps",
    .no_package_timestamps = "The package has no timestamp.",
    .ts_time = "Time",
    .ts_hash = "Hash",
    .status = "Status",
    .s_elements = "5. Checked elements",
    .col_element = "Element",
    .col_reason = "Reason",
    .col_detail = "Detail",
    .no_elements = "No elements.",
    .s_recheck = "6. How to re-check independently",
    .recheck_intro =
        "Extract the package into a folder and run these OpenSSL commands there to "
        "re-check its RSA/ECDSA parts:",
    .recheck_hpki =
        "The command hpki evidence verify E.zip --trust ROOT.pem does all the checks offline "
        "(hashes, signature, certificate path and revocation status at signing time, timestamps, "
        "audit Merkle proofs) with only the root certificate: no network, no hpki server.",
    .recheck_sm2 =
        "SM2 signatures use the GM/T 0009 distinguishing ID 1234567812345678. The OpenSSL 3.0 "
        "command line uses an empty ID unless told: give -sigopt distid:1234567812345678 to "
        "openssl dgst, -vfyopt distid:1234567812345678 to openssl verify and openssl req, "
        "-pkeyopt distid:1234567812345678 to openssl pkeyutl. OpenSSL 3.0 cannot verify SM2 "
        "CRLs, OCSP responses and timestamps; use hpki evidence verify for those.",
    .recheck_none = "No part of this package can be re-checked with the OpenSSL command line.",
    .unknown = "unknown",
    .page_before = "Page ",
    .page_middle = " of ",
    .page_after = "",
};

const char* verdict_word(const Words& w, Verdict v) {
  switch (v) {
    case Verdict::kValid:
      return w.valid;
    case Verdict::kInvalid:
      return w.invalid;
    case Verdict::kIndeterminate:
      return w.indeterminate;
  }
  return w.indeterminate;
}

std::string source_word(const Words& w, std::string_view source) {
  if (source == "timestamp") return w.src_timestamp;
  if (source == "signing_time") return w.src_signing_time;
  if (source == "audit") return w.src_audit;
  if (source == "unknown" || source.empty()) return w.src_unknown;
  return std::string(source);  // a source this version does not know: shown as given
}

// --- Page geometry and style ---------------------------------------------------------------------

// ISO 216 A4 in PostScript points.
constexpr double kPageW = 595.276;
constexpr double kPageH = 841.890;
constexpr double kMargin = 50.0;
constexpr double kTop = 62.0;      // below the running header
constexpr double kBottom = 780.0;  // above the footer
constexpr double kBodyW = kPageW - 2 * kMargin;
constexpr double kEps = 0.01;
// A report longer than this comes from a package no court reads page by page (a hostile one):
// refused rather than written.
constexpr int kMaxPages = 2000;

struct Rgb {
  double r, g, b;
};
constexpr Rgb kInk{0.10, 0.10, 0.12};
constexpr Rgb kGrey{0.40, 0.40, 0.44};
constexpr Rgb kRule{0.78, 0.78, 0.80};
constexpr Rgb kHeadFill{0.90, 0.91, 0.93};
constexpr Rgb kValidInk{0.05, 0.45, 0.15}, kValidFill{0.88, 0.96, 0.89};
constexpr Rgb kInvalidInk{0.70, 0.05, 0.05}, kInvalidFill{0.99, 0.89, 0.89};
constexpr Rgb kIndetInk{0.60, 0.38, 0.00}, kIndetFill{1.00, 0.95, 0.84};

Rgb verdict_ink(Verdict v) {
  return v == Verdict::kValid ? kValidInk : v == Verdict::kInvalid ? kInvalidInk : kIndetInk;
}
Rgb verdict_fill(Verdict v) {
  return v == Verdict::kValid ? kValidFill : v == Verdict::kInvalid ? kInvalidFill : kIndetFill;
}

struct Style {
  const char* family = kSans;
  double size = 10;
  bool bold = false;
  Rgb color = kInk;
  PangoAlignment align = PANGO_ALIGN_LEFT;
  // Break lines only at spaces (commands, ids: a break after '-' or '/' would read as two
  // words); a word longer than the line still breaks between characters.
  bool keep_words = false;
};
constexpr Style kBody{};
constexpr Style kLabel{.color = kGrey};
constexpr Style kMonoStyle{.family = kMono, .size = 9, .keep_words = true};
constexpr Style kSmallGrey{.size = 8.0, .color = kGrey};

// --- Layout of rows ------------------------------------------------------------------------------

// One laid-out line of a cell, in points from the top of the cell.
struct Line {
  double top, bottom, baseline;
};

struct Cell {
  LayoutPtr layout;
  double x = 0;  // from the left margin
  Rgb color = kInk;
  std::vector<Line> lines;
  double height = 0;
};

struct Row {
  std::vector<Cell> cells;
  double pad_top = 0, pad_bottom = 0;
  std::optional<Rgb> fill;  // background across the body width
  bool rule_below = false;
  double content() const {
    double h = 0;
    for (const auto& c : cells) h = std::max(h, c.height);
    return h;
  }
  double height() const { return pad_top + content() + pad_bottom; }
};

struct Column {
  std::string name;
  double width;
};

Style status_style(Verdict v) { return Style{.bold = true, .color = verdict_ink(v)}; }

class Renderer {
 public:
  Renderer(cairo_t* cr, const Words& w, const Report& report, bool draw, int total_pages)
      : cr_(cr), w_(w), report_(report), draw_(draw), total_pages_(total_pages) {
    pango_ctx_.reset(pango_cairo_create_context(cr));
    pango_context_set_language(pango_ctx_.get(), pango_language_from_string("zh-cn"));
    // Font sizes in points of the PDF's user space (pango's default is 96 dpi).
    pango_cairo_context_set_resolution(pango_ctx_.get(), 72);
    // Unhinted metrics: the same layout in both passes and at every zoom.
    FontOptionsPtr opts(cairo_font_options_create());
    cairo_font_options_set_hint_metrics(opts.get(), CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(opts.get(), CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(pango_ctx_.get(), opts.get());
    begin_page();
  }

  void render();
  [[nodiscard]] int pages() const { return page_; }
  // Whether the report needed more than kMaxPages pages (and was cut short).
  [[nodiscard]] bool too_long() const { return too_long_; }

 private:
  Cell cell(std::string_view text, double x, double width, const Style& st) const;
  Row text_row(std::string_view text, const Style& st, double pad_bottom = 4);
  void place(Row& row);
  void draw_portion(Row& row, double from, double to, double y);
  void new_page();
  void begin_page();
  void end_page();
  void need(double h) {
    if (y_ + h > kBottom && y_ > kTop + kEps) new_page();
  }
  void heading(std::string_view text);
  void key_value(std::string_view key, std::string_view value, const Style& value_style = kBody);
  Row make_table_row(const std::vector<Column>& cols,
                     const std::vector<std::pair<std::string_view, Style>>& cells) const;
  void start_table(const std::vector<Column>& cols, double first_row);
  void end_table() { on_new_page_ = nullptr; }
  void table_row(const std::vector<Column>& cols,
                 const std::vector<std::pair<std::string_view, Style>>& cells);
  void gap(double h) { y_ = std::min(y_ + h, kBottom); }

  void title_block();
  void verdict_block();
  void what_block();
  void who_block();
  void when_block();
  void elements_block();
  void recheck_block();

  cairo_t* cr_;
  const Words& w_;
  const Report& report_;
  bool draw_;
  int total_pages_;
  ContextPtr pango_ctx_;
  int page_ = 0;
  double y_ = kTop;
  // Drawn again at the top of each page while a table is running.
  std::function<void()> on_new_page_;
  bool too_long_ = false;
};

Cell Renderer::cell(std::string_view text, double x, double width, const Style& st) const {
  Cell c;
  c.x = x;
  c.color = st.color;
  c.layout.reset(pango_layout_new(pango_ctx_.get()));
  PangoLayout* l = c.layout.get();
  FontDescPtr desc(pango_font_description_from_string(st.family));
  pango_font_description_set_size(desc.get(), static_cast<gint>(st.size * PANGO_SCALE));
  if (st.bold) pango_font_description_set_weight(desc.get(), PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description(l, desc.get());
  pango_layout_set_width(l, static_cast<int>(width * PANGO_SCALE));
  // Long hex and command lines break anywhere, without hyphens that would change them.
  pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment(l, st.align);
  AttrListPtr attrs(pango_attr_list_new());
  pango_attr_list_insert(attrs.get(), pango_attr_insert_hyphens_new(FALSE));
  const std::string t = valid_utf8(text);
  if (st.keep_words) {
    // Only words that fit on a line are kept whole: pango would let a longer one overflow.
    LayoutPtr probe(pango_layout_new(pango_ctx_.get()));
    pango_layout_set_font_description(probe.get(), desc.get());
    for (std::size_t i = 0; i < t.size();) {
      if (t[i] == ' ' || t[i] == '\n') {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < t.size() && t[j] != ' ' && t[j] != '\n') ++j;
      pango_layout_set_text(probe.get(), t.data() + i, static_cast<int>(j - i));
      int word_w = 0;
      pango_layout_get_size(probe.get(), &word_w, nullptr);
      if (word_w <= static_cast<int>(width * PANGO_SCALE)) {
        PangoAttribute* a = pango_attr_allow_breaks_new(FALSE);
        a->start_index = static_cast<guint>(i);
        a->end_index = static_cast<guint>(j);
        pango_attr_list_insert(attrs.get(), a);
      }
      i = j;
    }
  }
  pango_layout_set_attributes(l, attrs.get());
  pango_layout_set_text(l, t.data(), static_cast<int>(t.size()));

  LayoutIterPtr it(pango_layout_get_iter(l));
  do {
    PangoRectangle logical;
    pango_layout_iter_get_line_extents(it.get(), nullptr, &logical);
    const double top = logical.y / static_cast<double>(PANGO_SCALE);
    c.lines.push_back(
        {top, top + logical.height / static_cast<double>(PANGO_SCALE),
         pango_layout_iter_get_baseline(it.get()) / static_cast<double>(PANGO_SCALE)});
  } while (pango_layout_iter_next_line(it.get()));
  PangoRectangle ink, logical;
  pango_layout_get_extents(l, &ink, &logical);
  c.height = logical.height / static_cast<double>(PANGO_SCALE);
  return c;
}

Row Renderer::text_row(std::string_view text, const Style& st, double pad_bottom) {
  Row r;
  r.cells.push_back(cell(text, 0, kBodyW, st));
  r.pad_bottom = pad_bottom;
  return r;
}

// Places `row` at the cursor: on this page when it fits, else at the top of the next page, else
// (taller than a page) cut between lines over as many pages as it needs.
void Renderer::place(Row& row) {
  if (too_long_) return;
  const double content = row.content();
  double from = 0;
  while (true) {
    const double avail = kBottom - y_;
    const double rest = row.pad_top + (content - from) + row.pad_bottom;
    if (rest <= avail + kEps) {
      draw_portion(row, from, content, y_);
      y_ += rest;
      return;
    }
    const bool at_top = y_ <= kTop + kEps;
    if (from == 0 && row.height() <= kBottom - kTop && !at_top) {
      new_page();
      continue;
    }
    // The largest line boundary that fits and that cuts no line of any cell.
    const double limit = from + avail - row.pad_top - row.pad_bottom;
    double cut = from;
    for (const auto& c : row.cells) {
      for (const auto& ln : c.lines) {
        const double b = ln.bottom;
        if (b <= from + kEps || b > limit + kEps || b <= cut) continue;
        const bool splits = std::ranges::any_of(row.cells, [&](const Cell& o) {
          return std::ranges::any_of(
              o.lines, [&](const Line& l) { return l.top < b - kEps && l.bottom > b + kEps; });
        });
        if (!splits) cut = b;
      }
    }
    if (cut <= from + kEps) {
      if (!at_top) {
        new_page();
        continue;
      }
      cut = std::max(limit, from + 1.0);  // a single line taller than a page: clipped
    }
    draw_portion(row, from, cut, y_);
    new_page();
    if (too_long_) return;
    from = cut;
  }
}

// Draws the lines of `row` whose top lies in [from, to) at page position y (the row's padding
// included), with the row's background; clipped to the portion.
void Renderer::draw_portion(Row& row, double from, double to, double y) {
  if (!draw_) return;
  const double h = row.pad_top + (to - from) + row.pad_bottom;
  cairo_save(cr_);
  if (row.fill) {
    cairo_set_source_rgb(cr_, row.fill->r, row.fill->g, row.fill->b);
    cairo_rectangle(cr_, kMargin, y, kBodyW, h);
    cairo_fill(cr_);
  }
  if (row.rule_below) {
    cairo_set_source_rgb(cr_, kRule.r, kRule.g, kRule.b);
    cairo_set_line_width(cr_, 0.5);
    cairo_move_to(cr_, kMargin, y + h);
    cairo_line_to(cr_, kMargin + kBodyW, y + h);
    cairo_stroke(cr_);
  }
  cairo_rectangle(cr_, kMargin, y, kBodyW, h);
  cairo_clip(cr_);
  for (auto& c : row.cells) {
    cairo_set_source_rgb(cr_, c.color.r, c.color.g, c.color.b);
    int i = 0;
    for (const auto& ln : c.lines) {
      if (ln.top >= from - kEps && ln.top < to - kEps) {
        PangoLayoutLine* pl = pango_layout_get_line_readonly(c.layout.get(), i);
        cairo_move_to(cr_, kMargin + c.x, y + row.pad_top + (ln.baseline - from));
        pango_cairo_show_layout_line(cr_, pl);
      }
      ++i;
    }
  }
  cairo_restore(cr_);
}

void Renderer::begin_page() {
  ++page_;
  y_ = kTop;
  if (!draw_) return;
  // Running header: the report's name and the package id, so that a loose page says where it
  // belongs.
  std::string head = std::string("hpki · ") + w_.title;
  if (!report_.package_id.empty()) head += " · " + report_.package_id;
  Cell c = cell(head, 0, kBodyW, kSmallGrey);
  cairo_set_source_rgb(cr_, c.color.r, c.color.g, c.color.b);
  cairo_move_to(cr_, kMargin, 30);
  pango_cairo_show_layout(cr_, c.layout.get());
  cairo_set_source_rgb(cr_, kRule.r, kRule.g, kRule.b);
  cairo_set_line_width(cr_, 0.5);
  cairo_move_to(cr_, kMargin, 46);
  cairo_line_to(cr_, kMargin + kBodyW, 46);
  cairo_stroke(cr_);
}

void Renderer::end_page() {
  if (draw_) {
    cairo_set_source_rgb(cr_, kRule.r, kRule.g, kRule.b);
    cairo_set_line_width(cr_, 0.5);
    cairo_move_to(cr_, kMargin, kBottom + 12);
    cairo_line_to(cr_, kMargin + kBodyW, kBottom + 12);
    cairo_stroke(cr_);
    const std::string text = std::string(w_.page_before) + std::to_string(page_) + w_.page_middle +
                             std::to_string(total_pages_) + w_.page_after;
    Style st = kSmallGrey;
    st.align = PANGO_ALIGN_CENTER;
    Cell c = cell(text, 0, kBodyW, st);
    cairo_set_source_rgb(cr_, c.color.r, c.color.g, c.color.b);
    cairo_move_to(cr_, kMargin, kBottom + 20);
    pango_cairo_show_layout(cr_, c.layout.get());
  }
  cairo_show_page(cr_);
}

void Renderer::new_page() {
  end_page();
  begin_page();
  if (page_ > kMaxPages) too_long_ = true;
  // A table header taller than a page would start the next page from inside itself: it is
  // placed once there, without repeating.
  if (auto hook = std::exchange(on_new_page_, nullptr)) {
    hook();
    on_new_page_ = std::move(hook);
  }
}

void Renderer::heading(std::string_view text) {
  Row r = text_row(text, Style{.size = 14, .bold = true});
  r.pad_top = 10;
  r.pad_bottom = 6;
  // Keep a heading with at least a few lines of what follows it.
  need(r.height() + 90);
  place(r);
}

constexpr double kKeyW = 120;

void Renderer::key_value(std::string_view key, std::string_view value, const Style& value_style) {
  Row r;
  r.cells.push_back(cell(key, 0, kKeyW - 8, kLabel));
  r.cells.push_back(cell(value.empty() ? std::string_view(w_.unknown) : value, kKeyW,
                         kBodyW - kKeyW, value.empty() ? kLabel : value_style));
  r.pad_top = 2;
  r.pad_bottom = 2;
  place(r);
}

Row Renderer::make_table_row(const std::vector<Column>& cols,
                             const std::vector<std::pair<std::string_view, Style>>& cells) const {
  Row r;
  double x = 0;
  for (std::size_t i = 0; i < cols.size() && i < cells.size(); ++i) {
    r.cells.push_back(cell(cells[i].first, x + 3, cols[i].width - 6, cells[i].second));
    x += cols[i].width;
  }
  r.pad_top = 3;
  r.pad_bottom = 3;
  return r;
}

void Renderer::start_table(const std::vector<Column>& cols, double first_row) {
  std::vector<std::pair<std::string_view, Style>> cells;
  for (const auto& c : cols) cells.emplace_back(c.name, Style{.bold = true});
  auto header = std::make_shared<Row>(make_table_row(cols, cells));
  header->fill = kHeadFill;
  // Not alone at the bottom of a page: with room for the first row under it.
  need(header->height() + first_row);
  place(*header);
  // Repeated at the top of each further page, unless it would crowd out the rows.
  if (header->height() <= (kBottom - kTop) / 4) on_new_page_ = [this, header] { place(*header); };
}

void Renderer::table_row(const std::vector<Column>& cols,
                         const std::vector<std::pair<std::string_view, Style>>& cells) {
  Row r = make_table_row(cols, cells);
  r.rule_below = true;
  place(r);
}

void Renderer::title_block() {
  Row t = text_row(w_.title, Style{.size = 22, .bold = true}, 12);
  place(t);
  key_value(w_.package_id, report_.package_id, kMonoStyle);
  key_value(w_.created_at, report_.created_at);
  key_value(w_.verified_at, report_.verified_at);
}

void Renderer::verdict_block() {
  heading(w_.s_verdict);
  const Verdict v = report_.verdict;
  Row box;
  Style big{.size = 30, .bold = true, .color = verdict_ink(v)};
  box.cells.push_back(cell(verdict_word(w_, v), 12, kBodyW - 24, big));
  const char* explain = v == Verdict::kValid     ? w_.verdict_explain_valid
                        : v == Verdict::kInvalid ? w_.verdict_explain_invalid
                                                 : w_.verdict_explain_indeterminate;
  Row expl;
  expl.cells.push_back(cell(explain, 12, kBodyW - 24, Style{.color = verdict_ink(v)}));
  box.fill = verdict_fill(v);
  box.pad_top = 10;
  box.pad_bottom = 2;
  expl.fill = verdict_fill(v);
  expl.pad_bottom = 10;
  need(box.height() + expl.height());
  place(box);
  place(expl);
  gap(6);
  if (report_.reasons.empty()) {
    key_value(w_.reasons, w_.no_reasons);
  } else {
    std::string list;
    for (const auto& r : report_.reasons) {
      if (!list.empty()) list += '\n';
      list += "• " + r;
    }
    key_value(w_.reasons, list, kMonoStyle);
  }
}

void Renderer::what_block() {
  heading(w_.s_what);
  const auto& d = report_.document;
  key_value(w_.doc_name, d.name);
  key_value("SHA-256", d.sha256, kMonoStyle);
  key_value("SM3", d.sm3, kMonoStyle);
  key_value(w_.size, d.size < 0 ? std::string(w_.size_unknown) : std::to_string(d.size) + w_.bytes);
  key_value(w_.included, d.included ? w_.yes_included : w_.no_included);
}

void Renderer::who_block() {
  heading(w_.s_who);
  const auto& s = report_.signer;
  key_value(w_.signer_name, s.name, Style{.size = 12, .bold = true});
  key_value(w_.organization, s.organization);
  key_value(w_.serial, s.serial, kMonoStyle);
  key_value(w_.issuer, s.issuer);
  key_value(w_.cert_sha256, s.certificate_sha256, kMonoStyle);
  key_value(w_.algorithm, s.algorithm, kMonoStyle);
}

void Renderer::when_block() {
  heading(w_.s_when);
  const auto& t = report_.signing_time;
  key_value(w_.signing_time, t.time, Style{.size = 11, .bold = true});
  key_value(w_.time_source, source_word(w_, t.source));
  if (t.source == "timestamp" || !t.authority.empty()) key_value(w_.authority, t.authority);
  gap(6);
  Row sub = text_row(w_.package_timestamps, Style{.bold = true});
  need(sub.height() + 40);
  place(sub);
  if (report_.package_timestamps.empty()) {
    Row none = text_row(w_.no_package_timestamps, kLabel);
    place(none);
    return;
  }
  constexpr double kTimeW = 140, kHashW = 60, kStatusW = 70;
  const std::vector<Column> cols{{w_.ts_time, kTimeW},
                                 {w_.authority, kBodyW - kTimeW - kHashW - kStatusW},
                                 {w_.ts_hash, kHashW},
                                 {w_.status, kStatusW}};
  auto cells = [&](const Report::PackageTimestamp& ts) {
    return std::vector<std::pair<std::string_view, Style>>{
        {ts.time, kBody},
        {ts.authority, kBody},
        {ts.hash, kMonoStyle},
        {verdict_word(w_, ts.status), status_style(ts.status)}};
  };
  start_table(cols, make_table_row(cols, cells(report_.package_timestamps.front())).height());
  for (const auto& ts : report_.package_timestamps) table_row(cols, cells(ts));
  end_table();
}

void Renderer::elements_block() {
  heading(w_.s_elements);
  if (report_.elements.empty()) {
    Row none = text_row(w_.no_elements, kLabel);
    place(none);
    return;
  }
  constexpr double kElemW = 120, kStatusW = 46, kReasonW = 165;
  const std::vector<Column> cols{{w_.col_element, kElemW},
                                 {w_.status, kStatusW},
                                 {w_.col_reason, kReasonW},
                                 {w_.col_detail, kBodyW - kElemW - kStatusW - kReasonW}};
  Style id_style = kMonoStyle;
  id_style.size = 8;
  auto cells = [&](const ElementResult& e) {
    return std::vector<std::pair<std::string_view, Style>>{
        {e.element, id_style},
        {verdict_word(w_, e.status), status_style(e.status)},
        {e.reason, id_style},
        {e.detail, Style{.size = 9}}};
  };
  start_table(cols, make_table_row(cols, cells(report_.elements.front())).height());
  for (const auto& e : report_.elements) table_row(cols, cells(e));
  end_table();
}

void Renderer::recheck_block() {
  heading(w_.s_recheck);
  Row hpki = text_row(w_.recheck_hpki, kBody, 6);
  place(hpki);
  if (report_.openssl_commands.empty()) {
    Row none = text_row(w_.recheck_none, kLabel, 6);
    place(none);
  } else {
    Row intro = text_row(w_.recheck_intro, kBody, 4);
    place(intro);
    for (const auto& cmd : report_.openssl_commands) {
      Row r;
      r.cells.push_back(cell("$ " + cmd, 8, kBodyW - 16, kMonoStyle));
      r.pad_top = 3;
      r.pad_bottom = 3;
      r.fill = Rgb{0.95, 0.95, 0.96};
      place(r);
      gap(3);
    }
  }
  if (report_.signer.algorithm.starts_with("sm2")) {
    gap(4);
    Row sm2 = text_row(w_.recheck_sm2, kBody, 4);
    place(sm2);
  }
}

void Renderer::render() {
  title_block();
  verdict_block();
  what_block();
  who_block();
  when_block();
  elements_block();
  recheck_block();
  end_page();
}

// --- The PDF surface -----------------------------------------------------------------------------

cairo_status_t append_to(void* closure, const unsigned char* data, unsigned int length) {
  auto* out = static_cast<Bytes*>(closure);
  out->insert(out->end(), data, data + length);
  return CAIRO_STATUS_SUCCESS;
}
cairo_status_t discard(void*, const unsigned char*, unsigned int) { return CAIRO_STATUS_SUCCESS; }

// "YYYY-MM-DDThh:mm:ssZ" (what hpki writes) is also what cairo's CreationDate accepts.
bool is_rfc3339_utc(std::string_view s) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() != kShape.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (kShape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != kShape[i]) return false;
  }
  return true;
}

// One pass: lays out (and, with total_pages > 0, draws) the report; returns the page count.
Result<int> run_pass(const Report& report, const Words& w, Bytes* out, int total_pages) {
  SurfacePtr surface(
      cairo_pdf_surface_create_for_stream(out ? append_to : discard, out, kPageW, kPageH));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
    return fail(ErrorCode::kInternal,
                std::string("cairo PDF surface: ") +
                    cairo_status_to_string(cairo_surface_status(surface.get())));
  if (out) {
    const std::string title =
        std::string(w.title) +
        (report.package_id.empty() ? "" : " " + valid_utf8(report.package_id));
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "hpki");
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_SUBJECT,
                                   std::string(verdict_name(report.verdict)).c_str());
    if (is_rfc3339_utc(report.verified_at))
      cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE,
                                     report.verified_at.c_str());
  }
  CairoPtr cr(cairo_create(surface.get()));
  Renderer renderer(cr.get(), w, report, out != nullptr, total_pages);
  renderer.render();
  const int pages = renderer.pages();
  if (renderer.too_long())
    return fail(ErrorCode::kLimitExceeded,
                "the report would have more than " + std::to_string(kMaxPages) + " pages");
  cairo_status_t st = cairo_status(cr.get());
  cr.reset();
  cairo_surface_finish(surface.get());
  if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(surface.get());
  if (st != CAIRO_STATUS_SUCCESS)
    return fail(ErrorCode::kInternal, std::string("cairo: ") + cairo_status_to_string(st));
  return pages;
}

}  // namespace

Result<Bytes> render_report_pdf(const Report& report, Language language) {
  PangoFontMap* fonts = pango_cairo_font_map_get_default();
  // Without any font pango draws hex boxes: a report nobody can read.
  if (!has_font_for(fonts, {'A', 'a', '0'}))
    return fail(ErrorCode::kUnavailable,
                std::string("no font is installed (fontconfig); install the Debian package ") +
                    kFontPackage);
  if ((language == Language::kZhCn || report_has_cjk(report)) &&
      !has_font_for(fonts, {0x7B7E /* 签 */, 0x540D /* 名 */})) {
    return fail(ErrorCode::kUnavailable,
                std::string("no font with Chinese characters is installed (fontconfig); install "
                            "the Debian package ") +
                    kFontPackage);
  }
  const Words& w = language == Language::kZhCn ? kZh : kEnWords;
  const int pages = HPKI_TRY(run_pass(report, w, nullptr, 0));
  Bytes pdf;
  const int drawn = HPKI_TRY(run_pass(report, w, &pdf, pages));
  if (drawn != pages)
    return fail(ErrorCode::kInternal, "report layout changed between the two passes");
  return pdf;
}

}  // namespace hpki::evidence
