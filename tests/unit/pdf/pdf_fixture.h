// A small PDF writer for the tests of pdf/ (the signing side is written elsewhere): a document
// of a few pages (Helvetica and STSong-Light text, an AcroForm text field) written as a base
// revision, then incremental updates (ISO 32000-1 7.5.6: the changed objects, an xref section
// and a trailer with /Prev) — among them a signature: a signature dictionary with ByteRange /
// Contents placeholders and its widget, after which the ByteRange is patched and the CMS that
// the test's sign function makes over the covered bytes is written into /Contents.
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/encoding.h"

namespace hpki::pdf::test {

class PdfBuilder {
 public:
  // `pages` pages; page 1 holds the text field "patient".
  explicit PdfBuilder(int pages = 3) {
    catalog_ = alloc();
    pages_ = alloc();
    acroform_ = alloc();
    const int f1 = alloc(), f2 = alloc(), cid = alloc(), fd = alloc();
    for (int i = 0; i < pages; ++i) page_ids_.push_back(alloc());
    field_ = alloc();
    obj_[f1] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
    // The Adobe-GB1 CJK font every reader has (ISO 32000-1 9.7.5.2 predefined CMap UniGB-UCS2-H).
    obj_[f2] =
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UCS2-H /Encoding "
        "/UniGB-UCS2-H /DescendantFonts [" +
        ref(cid) + "] >>";
    obj_[cid] =
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << "
        "/Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor " +
        ref(fd) + " /DW 1000 >>";
    obj_[fd] =
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 "
        "1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>";
    fonts_ = "<< /F1 " + ref(f1) + " /F2 " + ref(f2) + " >>";
    for (int i = 0; i < pages; ++i) {
      // "出院小结" (discharge summary) in UCS-2 for UniGB-UCS2-H.
      const int content = alloc();
      obj_[content] = stream("BT /F1 12 Tf 72 720 Td (Page " + std::to_string(i + 1) +
                             " discharge summary) Tj ET\nBT /F2 14 Tf 72 690 Td <51FA96625C0F7ED3> "
                             "Tj ET\n");
      contents_.push_back(content);
      annots_.emplace_back();
    }
    annots_[0].push_back(field_);
    field_value_ = "(Zhang San)";
    write_field();
    fields_ = {field_};
    obj_[catalog_] = catalog_body();
    write_pages();
    write_acroform();
    write_base();
  }

  Bytes data;
  std::optional<int> sig_flags{};

  static std::string ref(int id) { return std::to_string(id) + " 0 R"; }
  static std::string stream(const std::string& content, const std::string& extra = "") {
    return "<< /Length " + std::to_string(content.size()) + extra + " >>\nstream\n" + content +
           "\nendstream";
  }
  int alloc() { return next_++; }
  int page_id(int i) const { return page_ids_.at(static_cast<std::size_t>(i)); }
  int content_id(int i) const { return contents_.at(static_cast<std::size_t>(i)); }
  int catalog_id() const { return catalog_; }

  // Appends an incremental update with the objects `ids` as they are now.
  void update(std::set<int> ids) {
    std::string out = "\n";
    std::map<int, std::size_t> offsets;
    for (int id : ids) {
      offsets[id] = data.size() + out.size();
      out += std::to_string(id) + " 0 obj\n" + obj_.at(id) + "\nendobj\n";
    }
    const std::size_t xref = data.size() + out.size();
    out += "xref\n";
    for (auto [id, off] : offsets) out += std::to_string(id) + " 1\n" + entry(off);
    out += "trailer\n<< /Size " + std::to_string(next_) + " /Root " + ref(catalog_) + " /Prev " +
           std::to_string(startxref_) + " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    startxref_ = xref;
    data.insert(data.end(), out.begin(), out.end());
  }

  void set(int id, std::string body) { obj_[id] = std::move(body); }
  const std::string& get(int id) const { return obj_.at(id); }

  // A page appended to the page tree in a new revision.
  void add_page() {
    const int content = alloc(), page = alloc();
    obj_[content] = stream("BT /F1 12 Tf 72 720 Td (Added page) Tj ET\n");
    page_ids_.push_back(page);
    contents_.push_back(content);
    annots_.emplace_back();
    write_pages();
    update({content, page, pages_});
  }

  // A /Text annotation added to page `i` in a new revision.
  void add_text_annotation(int i) {
    const int a = alloc();
    obj_[a] = "<< /Type /Annot /Subtype /Text /Rect [100 100 120 120] /Contents (later note) /P " +
              ref(page_id(i)) + " >>";
    annots_.at(static_cast<std::size_t>(i)).push_back(a);
    write_pages();
    update({a, page_id(i)});
  }

  // The text field filled in with `value` (a PDF string) in a new revision.
  void fill_field(const std::string& value) {
    field_value_ = value;
    write_field();
    update({field_});
  }

  // Page `i`'s content stream rewritten in a new revision.
  void change_content(int i, const std::string& text) {
    obj_[content_id(i)] = stream("BT /F1 12 Tf 72 720 Td (" + text + ") Tj ET\n");
    update({content_id(i)});
  }

  struct SigSpec {
    std::string field = "Signature1";
    std::string type = "Sig";  // or "DocTimeStamp"
    std::string sub_filter = "adbe.pkcs7.detached";
    std::optional<int> docmdp_p{};
    std::size_t placeholder = 16000;  // bytes reserved for the CMS
    int page = 0;
    std::string reason = "(\xFE\xFF\x5B\xA1\x68\x38)";  // "审核" as UTF-16BE
    // Test hooks: bytes added to the gap (a ByteRange that leaves bytes unsigned), bytes
    // taken off the second range.
    std::size_t widen_gap = 0;
    std::size_t shorten_end = 0;
    std::string widget_extra{};  // more entries of the widget, e.g. " /AP << /N 12 0 R >>"
  };
  using SignFn = std::function<Bytes(BytesView covered)>;

  // Appends a signature revision; `sign` makes /Contents over the covered bytes.
  void sign(const SigSpec& spec, const SignFn& sign) {
    const int sig = alloc(), widget = alloc();
    std::string s = "<< /Type /" + spec.type + " /Filter /Adobe.PPKLite /SubFilter /" +
                    spec.sub_filter + " /ByteRange [0 " + std::string(10, '0') + " " +
                    std::string(10, '0') + " " + std::string(10, '0') + "] /Contents <" +
                    std::string(spec.placeholder * 2, '0') + ">";
    if (spec.type == "Sig") {
      s += " /M (D:20250601120000+08'00') /Name (hpki test) /Reason " + spec.reason +
           " /Location (Shanghai)";
    }
    if (spec.docmdp_p) {
      s += " /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type "
           "/TransformParams /P " +
           std::to_string(*spec.docmdp_p) + " /V /1.2 >> >>]";
    }
    s += " >>";
    obj_[sig] = s;
    obj_[widget] = "<< /Type /Annot /Subtype /Widget /FT /Sig /T (" + spec.field + ") /V " +
                   ref(sig) + " /Rect [0 0 0 0] /F 132 /P " + ref(page_id(spec.page)) +
                   spec.widget_extra + " >>";
    annots_.at(static_cast<std::size_t>(spec.page)).push_back(widget);
    fields_.push_back(widget);
    sig_flags = 3;
    write_pages();
    write_acroform();
    std::set<int> ids = {sig, widget, page_id(spec.page), acroform_};
    if (spec.docmdp_p) {
      perms_ = "<< /DocMDP " + ref(sig) + " >>";
      obj_[catalog_] = catalog_body();
      ids.insert(catalog_);
    }
    const std::size_t start = data.size();
    update(ids);
    // Patch the ByteRange: [0 a b c] around the hex string.
    const std::string text(data.begin() + static_cast<std::ptrdiff_t>(start), data.end());
    const std::size_t br = start + text.find("/ByteRange [0 ") + 14;
    const std::size_t a = start + text.find("/Contents <") + 10;
    const std::size_t b = a + 2 + spec.placeholder * 2;
    const std::size_t c = data.size() - b - spec.shorten_end;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%-10zu %-10zu %-10zu", a - spec.widen_gap, b, c);
    std::copy(buf, buf + 32, data.begin() + static_cast<std::ptrdiff_t>(br));
    const std::size_t ga = a - spec.widen_gap;
    Bytes covered(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(ga));
    covered.insert(covered.end(), data.begin() + static_cast<std::ptrdiff_t>(b),
                   data.begin() + static_cast<std::ptrdiff_t>(b + c));
    const std::string hex = hex_encode(sign(covered));
    if (hex.size() > spec.placeholder * 2) std::abort();
    std::copy(hex.begin(), hex.end(), data.begin() + static_cast<std::ptrdiff_t>(a + 1));
  }

 private:
  static std::string entry(std::size_t off) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%010zu 00000 n\r\n", off);
    return buf;
  }
  std::string catalog_body() const {
    std::string c = "<< /Type /Catalog /Pages " + ref(pages_) + " /AcroForm " + ref(acroform_);
    if (!perms_.empty()) c += " /Perms " + perms_;
    return c + " >>";
  }
  void write_pages() {
    std::string kids;
    for (int p : page_ids_) kids += ref(p) + " ";
    obj_[pages_] = "<< /Type /Pages /Kids [" + kids + "] /Count " +
                   std::to_string(page_ids_.size()) + " /MediaBox [0 0 595 842] >>";
    for (std::size_t i = 0; i < page_ids_.size(); ++i) {
      std::string p = "<< /Type /Page /Parent " + ref(pages_) + " /Resources << /Font " + fonts_ +
                      " >> /Contents " + ref(contents_[i]);
      if (!annots_[i].empty()) {
        p += " /Annots [";
        for (int a : annots_[i]) p += ref(a) + " ";
        p += "]";
      }
      obj_[page_ids_[i]] = p + " >>";
    }
  }
  void write_acroform() {
    std::string f;
    for (int x : fields_) f += ref(x) + " ";
    obj_[acroform_] = "<< /Fields [" + f + "] /DA (/Helv 0 Tf 0 g)" +
                      (sig_flags ? " /SigFlags " + std::to_string(*sig_flags) : "") + " >>";
  }
  void write_field() {
    obj_[field_] = "<< /Type /Annot /Subtype /Widget /FT /Tx /T (patient) /V " + field_value_ +
                   " /Rect [72 600 300 620] /F 4 /P " + ref(page_ids_.at(0)) + " >>";
  }
  void write_base() {
    std::string out = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
    std::vector<std::size_t> offsets(static_cast<std::size_t>(next_), 0);
    for (auto& [id, body] : obj_) {
      offsets[static_cast<std::size_t>(id)] = out.size();
      out += std::to_string(id) + " 0 obj\n" + body + "\nendobj\n";
    }
    startxref_ = out.size();
    out += "xref\n0 " + std::to_string(next_) + "\n0000000000 65535 f\r\n";
    for (int id = 1; id < next_; ++id) out += entry(offsets[static_cast<std::size_t>(id)]);
    out += "trailer\n<< /Size " + std::to_string(next_) + " /Root " + ref(catalog_) +
           " >>\nstartxref\n" + std::to_string(startxref_) + "\n%%EOF\n";
    data.assign(out.begin(), out.end());
  }

  int next_ = 1;
  int catalog_ = 0, pages_ = 0, acroform_ = 0, field_ = 0;
  std::string fonts_, field_value_, perms_;
  std::vector<int> page_ids_, contents_;
  std::vector<std::vector<int>> annots_;
  std::vector<int> fields_;
  std::map<int, std::string> obj_;
  std::size_t startxref_ = 0;
};

}  // namespace hpki::pdf::test
