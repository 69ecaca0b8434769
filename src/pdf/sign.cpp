#include "pdf/sign.h"

#include "pdf/detail/qpdf.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <string_view>

#include "crypto/digest.h"
#include "pdf/detail/anchor.h"
#include "pdf/detail/image.h"
#include "pdf/detail/writer.h"

namespace hpki::pdf {
namespace {

using detail::IncrementalWriter;
using detail::num;

constexpr std::size_t kMaxFieldDepth = 32;
constexpr std::size_t kMaxFields = 10000;
// "[" + four 10-digit fields separated by spaces + "]": wide enough for any offset < 10^10.
constexpr std::size_t kByteRangeWidth = 1 + 4 * 10 + 3 + 1;

// Runs `f`, turning the exceptions of qpdf (QPDFExc, std::runtime_error, std::logic_error) into
// kMalformed; allocation failures stay exceptions (STYLE.md "Errors").
template <typename F>
auto guarded(std::string_view what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const QPDFExc& e) {
    if (e.getErrorCode() == qpdf_e_password) {
      return fail(ErrorCode::kUnsupported,
                  fmt::format("{}: encrypted documents cannot be signed ({})", what, e.what()));
    }
    return fail(ErrorCode::kMalformed, fmt::format("{}: {}", what, e.what()));
  } catch (const std::exception& e) {
    return fail(ErrorCode::kMalformed, fmt::format("{}: {}", what, e.what()));
  }
}

Result<void> check_pdf_input(BytesView pdf, std::string_view what) {
  if (pdf.size() > kMaxPdfSize) {
    return fail(ErrorCode::kTooLarge,
                fmt::format("{}: {} bytes, the limit is {}", what, pdf.size(), kMaxPdfSize));
  }
  // ISO 32000-1 7.5.2: the file starts with the header %PDF-1.n (a ByteRange starts at 0).
  if (pdf.size() < 8 || as_string(pdf.first(5)) != "%PDF-") {
    return fail(ErrorCode::kMalformed, fmt::format("{}: not a PDF (no %PDF- header)", what));
  }
  return {};
}

// The document as qpdf reads it plus what the update needs from the file's end.
struct Doc {
  std::unique_ptr<QPDF> qpdf;
  detail::Tail tail;
  int next_object = 1;
  std::string trailer_keys;
};

Result<Doc> open(BytesView pdf) {
  Doc d;
  d.tail = HPKI_TRY(detail::read_tail(pdf));
  d.qpdf = std::make_unique<QPDF>();
  d.qpdf->setSuppressWarnings(true);
  // A damaged file is refused, not reconstructed: the update's /Prev chain must be the file's.
  d.qpdf->setAttemptRecovery(false);
  d.qpdf->processMemoryFile("input PDF", reinterpret_cast<const char*>(pdf.data()), pdf.size());
  if (d.qpdf->isEncrypted()) {
    return fail(ErrorCode::kUnsupported, "PDF: encrypted documents cannot be signed");
  }
  QPDFObjectHandle trailer = d.qpdf->getTrailer();
  QPDFObjectHandle size = trailer.getKey("/Size");
  if (!size.isInteger() || size.getIntValue() < 1 || size.getIntValue() > 8'388'607) {
    return fail(ErrorCode::kMalformed, "PDF: trailer /Size missing or out of range");
  }
  d.next_object = static_cast<int>(size.getIntValue());
  for (const auto& [og, entry] : d.qpdf->getXRefTable()) {
    d.next_object = std::max(d.next_object, og.getObj() + 1);
  }
  QPDFObjectHandle root = trailer.getKey("/Root");
  if (!root.isIndirect() || !root.isDictionary()) {
    return fail(ErrorCode::kMalformed, "PDF: trailer /Root is not an indirect dictionary");
  }
  // ISO 32000-1 7.5.6: the update's trailer repeats the entries of the previous one.
  d.trailer_keys = " /Root " + root.unparse();
  if (QPDFObjectHandle info = trailer.getKey("/Info"); info.isIndirect()) {
    d.trailer_keys += " /Info " + info.unparse();
  }
  if (QPDFObjectHandle id = trailer.getKey("/ID"); id.isArray()) {
    d.trailer_keys += " /ID " + id.unparse();
  }
  return d;
}

// A reference to object `n`, a new object of the update, usable inside qpdf objects. qpdf drops
// dictionary entries whose value resolves to null, so the object gets a placeholder value in
// qpdf's memory (its real text is written by the update, never by qpdf).
QPDFObjectHandle ref(QPDF& q, int n) {
  q.replaceObject(n, 0, QPDFObjectHandle::newDictionary());
  return q.getObject(n, 0);
}

// Objects of the input changed in memory, written once each at the end of the update.
class Dirty {
 public:
  void add(QPDFObjectHandle h) { objects_.emplace(h.getObjGen(), h); }
  void write(IncrementalWriter& w) {
    for (auto& [og, h] : objects_) w.write_object(og.getObj(), og.getGen(), h.unparseResolved());
  }

 private:
  std::map<QPDFObjGen, QPDFObjectHandle> objects_;
};

// Appends `item` to the array at dict[key] (created when absent), marking what changed: the
// array object when it is indirect, else `owner` (the indirect object holding `dict`).
void append_to_array(QPDFObjectHandle dict, const std::string& key, QPDFObjectHandle item,
                     QPDFObjectHandle owner, Dirty& dirty) {
  QPDFObjectHandle arr = dict.getKey(key);
  if (arr.isArray()) {
    arr.appendItem(item);
    dirty.add(arr.isIndirect() ? arr : owner);
  } else {
    dict.replaceKey(key, QPDFObjectHandle::newArray(std::vector<QPDFObjectHandle>{item}));
    dirty.add(owner);
  }
}

struct FieldScan {
  std::set<std::string> names;  // fully qualified
  bool has_signature = false;
};

// ISO 32000-1 12.7.3.2: fully qualified names are the partial names /T joined with '.'.
void scan_fields(QPDFObjectHandle list, const std::string& prefix, std::size_t depth,
                 std::set<QPDFObjGen>& seen, FieldScan& out) {
  if (!list.isArray() || depth > kMaxFieldDepth) return;
  for (int i = 0; i < list.getArrayNItems(); ++i) {
    QPDFObjectHandle f = list.getArrayItem(i);
    if (!f.isDictionary() || seen.size() > kMaxFields) continue;
    if (f.isIndirect() && !seen.insert(f.getObjGen()).second) continue;
    std::string name = prefix;
    if (QPDFObjectHandle t = f.getKey("/T"); t.isString()) {
      name = prefix.empty() ? t.getUTF8Value() : prefix + "." + t.getUTF8Value();
      out.names.insert(name);
    }
    QPDFObjectHandle ft = f.getKey("/FT");
    if (ft.isName() && ft.getName() == "/Sig" && f.getKey("/V").isDictionary()) {
      out.has_signature = true;
    }
    scan_fields(f.getKey("/Kids"), name, depth + 1, seen, out);
  }
}

Result<void> check_spec(const FieldSpec& spec) {
  static const std::set<std::string_view> kSubFilters = {kSubFilterCades, kSubFilterPkcs7,
                                                         kSubFilterRfc3161, kSubFilterSes};
  if (!kSubFilters.contains(spec.sub_filter)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("sub_filter \"{}\": expected ETSI.CAdES.detached, "
                            "adbe.pkcs7.detached, ETSI.RFC3161 or GBT38540.SES",
                            spec.sub_filter));
  }
  if (spec.filter.empty() || spec.filter.size() > 127 ||
      !std::all_of(spec.filter.begin(), spec.filter.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
      })) {
    return fail(ErrorCode::kInvalidArgument, "filter: not a plain PDF name");
  }
  if (spec.contents_capacity == 0 || spec.contents_capacity > kMaxContentsCapacity) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("contents_capacity {}: expected 1..{}", spec.contents_capacity,
                            kMaxContentsCapacity));
  }
  if (spec.docmdp && (*spec.docmdp < 1 || *spec.docmdp > 3)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("docmdp {}: expected 1, 2 or 3", *spec.docmdp));
  }
  if (spec.docmdp && spec.sub_filter == "ETSI.RFC3161") {
    return fail(ErrorCode::kInvalidArgument, "docmdp: a document timestamp cannot certify");
  }
  if (spec.field_name.find('.') != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "field_name: '.' is not allowed in a partial name");
  }
  const Appearance& a = spec.appearance;
  if (a.page < 0 || (a.page == 0 && !a.anchor)) {
    return fail(ErrorCode::kInvalidArgument, "page: 1-based (0 only with an anchor: any page)");
  }
  if (a.text_lines.size() > kMaxTextLines) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("text_lines: {} lines, at most {}",
                                                         a.text_lines.size(), kMaxTextLines));
  }
  if (a.rect && (!(a.rect->w > 0) || !(a.rect->h > 0) || a.rect->w > 14400 || a.rect->h > 14400 ||
                 !(std::abs(a.rect->x) < 14400) || !(std::abs(a.rect->y) < 14400))) {
    return fail(ErrorCode::kInvalidArgument, "rect: width and height must be > 0, within the page");
  }
  return {};
}

// Width of a line in ems for the font below: half-width for ASCII (Adobe-GB1 CIDs 1..95).
double em_width(std::u16string_view s) {
  double w = 0;
  for (char16_t c : s) {
    if (c >= 0xDC00 && c <= 0xDFFF) continue;  // second half of a surrogate pair
    w += (c >= 0x20 && c < 0x7F) ? 0.5 : 1.0;
  }
  return w;
}

// The appearance Form XObject (ISO 32000-1 12.7.4.5 /AP /N, 8.10) and its resources.
Result<void> write_appearance(IncrementalWriter& w, int ap, double width, double height,
                              const std::optional<detail::Image>& img,
                              const std::vector<std::string>& lines) {
  std::string content;
  std::string resources;
  if (img) {
    int im = w.reserve();
    std::string smask;
    if (!img->alpha_flate.empty()) {
      int sm = w.reserve();
      // ISO 32000-1 11.6.5.3: the soft mask is a DeviceGray image of the same size.
      w.write_stream(sm,
                     fmt::format(" /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace "
                                 "/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
                                 img->width, img->height),
                     img->alpha_flate);
      smask = fmt::format(" /SMask {} 0 R", sm);
    }
    w.write_stream(im,
                   fmt::format(" /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace "
                               "/DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode{}",
                               img->width, img->height, smask),
                   img->rgb_flate);
    // Scaled to fit the box, aspect ratio kept, centred.
    double s = std::min(width / img->width, height / img->height);
    double iw = s * img->width, ih = s * img->height;
    content += fmt::format("q {} 0 0 {} {} {} cm /Im1 Do Q\n", num(iw), num(ih),
                           num((width - iw) / 2), num((height - ih) / 2));
    resources += fmt::format(" /XObject << /Im1 {} 0 R >>", im);
  }
  if (!lines.empty()) {
    std::vector<std::u16string> u16;
    double size = std::min(12.0, height / static_cast<double>(lines.size()) / 1.2);
    for (const auto& l : lines) {
      u16.push_back(HPKI_TRY(detail::utf8_to_utf16(l)));
      double em = em_width(u16.back());
      if (em > 0) size = std::min(size, width * 0.95 / em);
    }
    for (std::size_t i = 0; i < u16.size(); ++i) {
      double x = (width - em_width(u16[i]) * size) / 2;
      double y = static_cast<double>(u16.size() - 1 - i) * size * 1.2 + size * 0.25;
      content += fmt::format("BT /F1 {} Tf 0 g 1 0 0 1 {} {} Tm <{}> Tj ET\n", num(size), num(x),
                             num(y), detail::utf16be_hex(u16[i]));
    }
    // A non-embedded CJK font (ISO 32000-1 9.7.5.2 Table 118: predefined CMap UniGB-UTF16-H,
    // character collection Adobe-GB1), so that Chinese names render in any conforming reader.
    int type0 = w.reserve(), cid = w.reserve(), desc = w.reserve();
    w.write_object(
        desc, 0,
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 "
        "1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>");
    w.write_object(cid, 0,
                   fmt::format("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
                               "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 "
                               ">> /FontDescriptor {} 0 R /DW 1000 /W [1 95 500] >>",
                               desc));
    w.write_object(type0, 0,
                   fmt::format("<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding "
                               "/UniGB-UTF16-H /DescendantFonts [{} 0 R] >>",
                               cid));
    resources += fmt::format(" /Font << /F1 {} 0 R >>", type0);
  }
  w.write_stream(ap,
                 fmt::format(" /Type /XObject /Subtype /Form /BBox [0 0 {} {}] /Resources <<{} >>",
                             num(width), num(height), resources),
                 as_bytes(content));
  return {};
}

Result<Prepared> prepare_impl(BytesView pdf, const FieldSpec& spec) {
  HPKI_TRY(check_pdf_input(pdf, "PDF"));
  HPKI_TRY(check_spec(spec));
  const Appearance& a = spec.appearance;
  std::optional<detail::Image> img;
  if (a.png) img = HPKI_TRY(detail::decode_png(*a.png));
  const bool timestamp = spec.sub_filter == "ETSI.RFC3161";

  Doc d = HPKI_TRY(open(pdf));
  QPDF& q = *d.qpdf;
  QPDFObjectHandle root = q.getRoot();
  std::vector<QPDFPageObjectHelper> pages = QPDFPageDocumentHelper(q).getAllPages();
  if (a.page > static_cast<int>(pages.size())) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("page {} out of range: the document has {} page(s)", a.page, pages.size()));
  }
  // Page 0 with an anchor: the first page that has the text.
  int page_no = a.page;
  std::optional<Rect> anchor_box;
  for (int p = page_no == 0 ? 1 : page_no; a.anchor && p <= static_cast<int>(pages.size()); ++p) {
    auto found = detail::find_text(pdf, p, *a.anchor);
    if (found) {
      page_no = p;
      anchor_box = *found;
      break;
    }
    if (found.error().code() != ErrorCode::kNotFound || a.page != 0) return fail(found.error());
  }
  if (a.anchor && !anchor_box) {
    return fail(ErrorCode::kNotFound,
                fmt::format("anchor: text \"{}\" not found in the document", *a.anchor));
  }
  QPDFObjectHandle page = pages[static_cast<std::size_t>(page_no - 1)].getObjectHandle();
  if (!page.isIndirect()) return fail(ErrorCode::kMalformed, "PDF: page is not an indirect object");

  QPDFObjectHandle acroform = root.getKey("/AcroForm");
  FieldScan scan;
  std::set<QPDFObjGen> seen;
  if (acroform.isDictionary()) scan_fields(acroform.getKey("/Fields"), "", 0, seen, scan);
  // ISO 32000-1 12.8.2.2.1: a certification signature shall be the first signature.
  if (spec.docmdp && scan.has_signature) {
    return fail(ErrorCode::kPolicyRefused,
                "docmdp: the document is already signed; a certification signature must be the "
                "first one");
  }
  // ISO 32000-1 12.8.2.2.2 Table 254: P = 1, no changes at all are permitted after certification.
  if (QPDFObjectHandle perms = root.getKey("/Perms"); perms.isDictionary() && !timestamp) {
    QPDFObjectHandle mdp = perms.getKey("/DocMDP");
    if (mdp.isDictionary()) {
      QPDFObjectHandle refs = mdp.getKey("/Reference");
      for (int i = 0; refs.isArray() && i < refs.getArrayNItems(); ++i) {
        QPDFObjectHandle p = refs.getArrayItem(i).getKey("/TransformParams").getKey("/P");
        if (p.isInteger() && p.getIntValue() == 1) {
          return fail(ErrorCode::kPolicyRefused,
                      "docmdp: the document is certified with P=1 (no changes permitted)");
        }
      }
    }
  }
  std::string field_name = spec.field_name;
  if (field_name.empty()) {
    for (int i = 1; field_name.empty(); ++i) {
      if (!scan.names.contains(fmt::format("Signature{}", i))) {
        field_name = fmt::format("Signature{}", i);
      }
    }
  } else if (scan.names.contains(field_name)) {
    return fail(ErrorCode::kAlreadyExists,
                fmt::format("field_name \"{}\": the document already has that field", field_name));
  }

  // The widget's rectangle in user space.
  Rect rect{};
  bool visible = a.rect || a.anchor;
  if (a.anchor) {
    const Rect found = *anchor_box;
    double w = 150, h = 50;
    if (a.rect) {
      w = a.rect->w;
      h = a.rect->h;
    } else if (img) {
      h = 60;
      w = h * img->width / img->height;
    }
    rect = {found.x + found.w / 2 - w / 2, found.y + found.h / 2 - h / 2, w, h};
  } else if (a.rect) {
    rect = *a.rect;
    // Origin of the MediaBox (usually 0 0).
    QPDFObjectHandle mb = pages[static_cast<std::size_t>(page_no - 1)].getMediaBox();
    if (mb.isRectangle()) {
      auto r = mb.getArrayAsRectangle();
      rect.x += std::min(r.llx, r.urx);
      rect.y += std::min(r.lly, r.ury);
    }
  }

  IncrementalWriter w(pdf, d.tail, d.next_object, d.trailer_keys);
  Dirty dirty;
  const int sig = w.reserve();
  const int widget = w.reserve();
  const int ap = w.reserve();

  // The signature dictionary (ISO 32000-1 12.8.1 Table 252; ETSI EN 319 142-1 5.3 for PAdES,
  // ETSI EN 319 142-1 5.4.3 / ISO 32000-2 12.8.5 for /DocTimeStamp).
  std::string sd = fmt::format("<< /Type /{} /Filter /{} /SubFilter /{} /ByteRange ",
                               timestamp ? "DocTimeStamp" : "Sig", spec.filter, spec.sub_filter);
  std::size_t br_rel = sd.size();
  sd += std::string(kByteRangeWidth, ' ');
  sd += " /Contents ";
  std::size_t contents_rel = sd.size();
  sd += '<';
  sd += std::string(2 * spec.contents_capacity, '0');
  sd += '>';
  if (!timestamp) {
    sd += " /M " + detail::pdf_date(spec.signing_time);
    if (!spec.name.empty()) sd += " /Name " + HPKI_TRY(detail::text_string(spec.name));
    if (!spec.reason.empty()) sd += " /Reason " + HPKI_TRY(detail::text_string(spec.reason));
    if (!spec.location.empty()) sd += " /Location " + HPKI_TRY(detail::text_string(spec.location));
  }
  if (spec.docmdp) {
    // ISO 32000-1 12.8.2.2: the DocMDP transform, referenced from the catalog's /Perms.
    sd += fmt::format(
        " /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type "
        "/TransformParams /P {} /V /1.2 >> >>]",
        *spec.docmdp);
  }
  sd += " >>";
  std::size_t sig_body = w.write_object(sig, 0, sd);
  std::size_t br_offset = sig_body + br_rel;
  std::size_t contents_offset = sig_body + contents_rel;

  // The merged field / widget annotation (ISO 32000-1 12.7.4.5, 12.5.6.19): /F 132 = Print and
  // Locked; an invisible signature has a zero rectangle (ETSI EN 319 142-1 does not require
  // visibility).
  Rect wr = visible ? rect : Rect{};
  w.write_object(
      widget, 0,
      fmt::format("<< /Type /Annot /Subtype /Widget /FT /Sig /T {} /V {} 0 R /F 132 /P {} /Rect "
                  "[{} {} {} {}] /AP << /N {} 0 R >> >>",
                  HPKI_TRY(detail::text_string(field_name)), sig, page.unparse(), num(wr.x),
                  num(wr.y), num(wr.x + wr.w), num(wr.y + wr.h), ap));
  if (visible) {
    HPKI_TRY(write_appearance(w, ap, rect.w, rect.h, img, a.text_lines));
  } else {
    HPKI_TRY(write_appearance(w, ap, 0, 0, std::nullopt, {}));
  }

  // The page's /Annots and the AcroForm's /Fields get the widget.
  QPDFObjectHandle wref = ref(q, widget);
  append_to_array(page, "/Annots", wref, page, dirty);
  if (acroform.isDictionary()) {
    QPDFObjectHandle owner = acroform.isIndirect() ? acroform : root;
    append_to_array(acroform, "/Fields", wref, owner, dirty);
    // ISO 32000-1 12.7.2 Table 219: SignaturesExist (1) | AppendOnly (2).
    acroform.replaceKey("/SigFlags", QPDFObjectHandle::newInteger(3));
    dirty.add(owner);
  } else {
    int af = w.reserve();
    w.write_object(af, 0, fmt::format("<< /Fields [{} 0 R] /SigFlags 3 >>", widget));
    root.replaceKey("/AcroForm", ref(q, af));
    dirty.add(root);
  }
  if (spec.docmdp) {
    QPDFObjectHandle perms = root.getKey("/Perms");
    if (perms.isDictionary()) {
      perms.replaceKey("/DocMDP", ref(q, sig));
      dirty.add(perms.isIndirect() ? perms : root);
    } else {
      root.replaceKey("/Perms", QPDFObjectHandle::newDictionary({{"/DocMDP", ref(q, sig)}}));
      dirty.add(root);
    }
  }
  dirty.write(w);
  Bytes out = w.finish();

  // Patch the ByteRange in place: it covers everything but the hex string of /Contents.
  Prepared p;
  p.contents_offset = contents_offset;
  p.contents_capacity = spec.contents_capacity;
  std::size_t after = contents_offset + 2 * spec.contents_capacity + 2;
  p.byte_range = {0, contents_offset, after, out.size() - after};
  std::string br = fmt::format("[0 {} {} {}]", p.byte_range[1], p.byte_range[2], p.byte_range[3]);
  HPKI_CHECK(br.size() <= kByteRangeWidth);
  std::memcpy(out.data() + br_offset, br.data(), br.size());
  p.pdf = std::move(out);
  return p;
}

Result<void> check_prepared(const Prepared& p) {
  const auto& br = p.byte_range;
  if (p.contents_offset >= p.pdf.size() || br[0] != 0 || br[1] != p.contents_offset ||
      p.contents_capacity == 0 || p.contents_capacity > kMaxContentsCapacity ||
      br[2] != p.contents_offset + 2 * p.contents_capacity + 2 || br[2] > p.pdf.size() ||
      br[3] != p.pdf.size() - br[2] || p.pdf[br[1]] != '<' || p.pdf[br[2] - 1] != '>') {
    return fail(ErrorCode::kInvalidArgument, "prepared PDF: byte range and /Contents disagree");
  }
  return {};
}

Result<Bytes> append_dss_impl(BytesView pdf, const Dss& dss) {
  HPKI_TRY(check_pdf_input(pdf, "PDF"));
  Doc d = HPKI_TRY(open(pdf));
  QPDF& q = *d.qpdf;
  QPDFObjectHandle root = q.getRoot();
  IncrementalWriter w(pdf, d.tail, d.next_object, d.trailer_keys);

  // ETSI EN 319 142-1 5.4.2.2: the DSS dictionary (/Type /DSS optional) with arrays of streams.
  QPDFObjectHandle old = root.getKey("/DSS");
  QPDFObjectHandle dict =
      old.isDictionary() ? old.shallowCopy() : QPDFObjectHandle::newDictionary();
  auto add = [&](const std::string& key, const std::vector<Bytes>& items) -> Result<void> {
    if (items.empty()) return {};
    QPDFObjectHandle existing = dict.getKey(key);
    std::vector<QPDFObjectHandle> arr;
    std::set<Bytes> have;
    for (int i = 0; existing.isArray() && i < existing.getArrayNItems(); ++i) {
      QPDFObjectHandle s = existing.getArrayItem(i);
      arr.push_back(s);
      if (s.isStream()) {
        auto buf = s.getStreamData();
        have.emplace(buf->getBuffer(), buf->getBuffer() + buf->getSize());
      }
    }
    for (const Bytes& der : items) {
      if (der.empty()) return fail(ErrorCode::kInvalidArgument, "DSS: empty " + key.substr(1));
      if (!have.insert(der).second) continue;
      int n = w.reserve();
      w.write_stream(n, " /Filter /FlateDecode", HPKI_TRY(detail::flate(der)));
      arr.push_back(ref(q, n));
    }
    dict.replaceKey(key, QPDFObjectHandle::newArray(arr));
    return {};
  };
  HPKI_TRY(add("/Certs", dss.certs));
  HPKI_TRY(add("/OCSPs", dss.ocsps));
  HPKI_TRY(add("/CRLs", dss.crls));
  int n = w.reserve();
  w.write_object(n, 0, dict.unparseResolved());
  root.replaceKey("/DSS", ref(q, n));
  w.write_object(root.getObjGen().getObj(), root.getObjGen().getGen(), root.unparseResolved());
  return w.finish();
}

}  // namespace

Result<Prepared> prepare(BytesView pdf, const FieldSpec& spec) {
  return guarded("PDF", [&] { return prepare_impl(pdf, spec); });
}

Result<Bytes> byte_range_digest(const Prepared& p, crypto::HashAlg alg) {
  HPKI_TRY(check_prepared(p));
  crypto::Hasher h = HPKI_TRY(crypto::Hasher::create(alg));
  BytesView all(p.pdf);
  HPKI_TRY(h.update(all.subspan(p.byte_range[0], p.byte_range[1])));
  HPKI_TRY(h.update(all.subspan(p.byte_range[2], p.byte_range[3])));
  return h.finish();
}

Result<Bytes> finish(Prepared p, BytesView cms_der) {
  HPKI_TRY(check_prepared(p));
  if (cms_der.empty()) return fail(ErrorCode::kInvalidArgument, "CMS: empty");
  if (cms_der.size() > p.contents_capacity) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("CMS: {} bytes do not fit the {} bytes reserved in /Contents",
                            cms_der.size(), p.contents_capacity));
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::uint8_t* at = p.pdf.data() + p.contents_offset + 1;
  for (std::uint8_t b : cms_der) {
    *at++ = static_cast<std::uint8_t>(kHex[b >> 4]);
    *at++ = static_cast<std::uint8_t>(kHex[b & 0x0F]);
  }
  return std::move(p.pdf);
}

Result<Bytes> append_dss(BytesView signed_pdf, const Dss& dss) {
  if (dss.certs.empty() && dss.ocsps.empty() && dss.crls.empty()) {
    return fail(ErrorCode::kInvalidArgument, "DSS: nothing to add");
  }
  return guarded("PDF", [&] { return append_dss_impl(signed_pdf, dss); });
}

}  // namespace hpki::pdf
