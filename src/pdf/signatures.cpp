#include "pdf/signatures.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "crypto/digest.h"
#include "pdf/detail/document_impl.h"
#include "pdf/detail/objects.h"

namespace hpki::pdf {
namespace {

using detail::key_of;
using detail::name_of;
using detail::text_of;

constexpr std::size_t kMaxFields = 10000;

int hex_value(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The length of the DER element at the start of `der` (tag, definite length, content), or
// nullopt when its header is not DER.
std::optional<std::size_t> der_element_length(BytesView der) {
  if (der.size() < 2 || der[0] != 0x30) return std::nullopt;
  const std::uint8_t l = der[1];
  if (l < 0x80) return 2U + l;
  const std::size_t n = l & 0x7F;
  if (n == 0 || n > 4 || der.size() < 2 + n) return std::nullopt;
  std::size_t len = 0;
  for (std::size_t i = 0; i < n; ++i) len = (len << 8) | der[2 + i];
  return 2 + n + len;
}

// A signature dictionary: /Type /Sig or /DocTimeStamp, or none with /ByteRange and /Contents.
bool is_signature_dictionary(QPDFObjectHandle v) {
  if (!v.isDictionary()) return false;
  auto type = name_of(v.getKey("/Type"));
  if (type) return *type == "/Sig" || *type == "/DocTimeStamp";
  return v.hasKey("/ByteRange") && v.hasKey("/Contents");
}

struct Found {
  QPDFObjectHandle field;
  QPDFObjectHandle value;
};

class Collector {
 public:
  void field(QPDFObjectHandle f) {
    // Fields (and /Kids) form a tree; a cycle or a shared node is visited once.
    std::vector<std::pair<QPDFObjectHandle, int>> stack{{f, 0}};
    while (!stack.empty()) {
      auto [node, depth] = stack.back();
      stack.pop_back();
      if (!node.isDictionary() || depth > detail::kMaxParentDepth) continue;
      if (node.isIndirect() && !visited_.insert(node.getObjGen()).second) continue;
      if (++count_ > kMaxFields) return;
      consider(node);
      auto kids = node.getKey("/Kids");
      if (kids.isArray()) {
        for (auto& k : kids.getArrayAsVector()) stack.emplace_back(k, depth + 1);
      }
    }
  }
  void widget(QPDFObjectHandle a) {
    if (!a.isDictionary() || name_of(a.getKey("/Subtype")) != "/Widget") return;
    if (a.isIndirect() && visited_.count(a.getObjGen()) != 0) return;
    consider(a);
  }
  std::vector<Found> found;

 private:
  void consider(QPDFObjectHandle node) {
    if (name_of(detail::inherited(node, "/FT")) != "/Sig") return;
    auto v = detail::inherited(node, "/V");
    if (!is_signature_dictionary(v)) return;
    std::string key = v.isIndirect() ? v.getObjGen().unparse(' ') : "direct:" + node.unparse();
    if (!values_.insert(key).second) return;
    found.push_back({node, v});
  }
  std::set<QPDFObjGen> visited_;
  std::set<std::string> values_;
  std::size_t count_ = 0;
};

void check_byte_range(const Document& doc, QPDFObjectHandle v, SignatureInfo& s) {
  const BytesView pdf = doc.bytes();
  auto br = v.getKey("/ByteRange");
  if (!br.isArray()) {
    s.byte_range_error = "no /ByteRange array";
    return;
  }
  for (auto& e : br.getArrayAsVector()) {
    if (!e.isInteger()) {
      s.byte_range_raw.clear();
      s.byte_range_error = "/ByteRange holds a value that is not an integer";
      return;
    }
    s.byte_range_raw.push_back(e.getIntValue());
  }
  const auto& r = s.byte_range_raw;
  // ISO 32000-1 12.8.1 Table 252: ByteRange is pairs of (offset, length); PAdES (ETSI EN 319
  // 142-1 5.4.2) signs the whole revision except the /Contents value: exactly two ranges.
  if (r.size() != 4) {
    s.byte_range_error = "/ByteRange has " + std::to_string(r.size()) + " numbers, not 4";
    return;
  }
  if (std::ranges::any_of(r, [](long long x) { return x < 0; })) {
    s.byte_range_error = "/ByteRange has a negative number";
    return;
  }
  const auto size = static_cast<unsigned long long>(pdf.size());
  const auto u0 = static_cast<unsigned long long>(r[0]), a = static_cast<unsigned long long>(r[1]),
             b = static_cast<unsigned long long>(r[2]), c = static_cast<unsigned long long>(r[3]);
  if (u0 != 0) {
    s.byte_range_error = "/ByteRange does not start at offset 0";
    return;
  }
  if (a > size || b > size || c > size - b) {
    s.byte_range_error = "/ByteRange reaches past the end of the file";
    return;
  }
  if (b < a + 2) {
    s.byte_range_error = "/ByteRange ranges overlap or leave no room for /Contents";
    return;
  }
  // The gap is exactly the hex string of /Contents: nothing else is left unsigned.
  const std::size_t ga = static_cast<std::size_t>(a), gb = static_cast<std::size_t>(b);
  if (pdf[ga] != '<' || pdf[gb - 1] != '>') {
    s.byte_range_error = "the /ByteRange gap is not a hex string <...>";
    return;
  }
  const std::size_t hex_len = gb - ga - 2;
  if (hex_len % 2 != 0) {
    s.byte_range_error = "the /ByteRange gap holds an odd number of hex digits";
    return;
  }
  if (hex_len / 2 > kMaxContentsSize) {
    s.byte_range_error =
        "the /Contents hex string is longer than " + std::to_string(kMaxContentsSize) + " bytes";
    return;
  }
  Bytes decoded(hex_len / 2);
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    const int hi = hex_value(pdf[ga + 1 + 2 * i]), lo = hex_value(pdf[ga + 2 + 2 * i]);
    if (hi < 0 || lo < 0) {
      s.byte_range_error = "the /ByteRange gap holds bytes other than hex digits";
      return;
    }
    decoded[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  auto contents = v.getKey("/Contents");
  if (!contents.isString()) {
    s.byte_range_error = "/Contents is not a string";
    return;
  }
  const std::string cv = contents.getStringValue();
  if (cv.size() != decoded.size() || std::memcmp(cv.data(), decoded.data(), cv.size()) != 0) {
    s.byte_range_error = "the /ByteRange gap is not this signature's /Contents";
    return;
  }
  s.signed_end = static_cast<std::size_t>(b + c);
  s.revision = revision_ending_at(doc.revisions(), s.signed_end);
  if (!s.revision) {
    s.byte_range_error = "/ByteRange ends at offset " + std::to_string(s.signed_end) +
                         ", which is not the end of a revision (%%EOF)";
    s.signed_end = 0;
    return;
  }
  s.byte_range = std::array<std::size_t, 4>{0, ga, gb, static_cast<std::size_t>(c)};
  s.covers_whole_file = *s.revision + 1 == doc.revisions().size();
  // The DER element; the rest of the placeholder must be zero padding.
  auto len = der_element_length(decoded);
  if (!len || *len > decoded.size()) {
    s.contents_error = "/Contents does not hold a DER SEQUENCE";
    return;
  }
  if (std::any_of(decoded.begin() + static_cast<std::ptrdiff_t>(*len), decoded.end(),
                  [](std::uint8_t x) { return x != 0; })) {
    s.contents_error = "/Contents has non-zero bytes after its DER element";
    return;
  }
  decoded.resize(*len);
  s.contents = std::move(decoded);
}

SignatureInfo read_signature(const Document& doc, const Found& f) {
  SignatureInfo s;
  auto v = f.value;
  s.field_name = detail::field_name(f.field);
  s.object_number = v.isIndirect() ? v.getObjectID() : 0;
  s.type = name_of(v.getKey("/Type")).value_or("/Sig").substr(1);
  if (auto n = name_of(v.getKey("/Filter"))) s.filter = n->substr(1);
  if (auto n = name_of(v.getKey("/SubFilter"))) s.sub_filter = n->substr(1);
  s.m = text_of(v.getKey("/M"));
  s.name = text_of(v.getKey("/Name"));
  s.reason = text_of(v.getKey("/Reason"));
  s.location = text_of(v.getKey("/Location"));
  s.contact_info = text_of(v.getKey("/ContactInfo"));
  // ISO 32000-1 12.8.2.2: a DocMDP signature reference; P defaults to 2 (Table 254).
  auto refs = v.getKey("/Reference");
  if (refs.isArray()) {
    for (auto& ref : refs.getArrayAsVector()) {
      if (name_of(key_of(ref, "/TransformMethod")) != "/DocMDP") continue;
      auto p = key_of(key_of(ref, "/TransformParams"), "/P");
      s.docmdp_p =
          p.isInteger() ? static_cast<int>(std::clamp<long long>(p.getIntValue(), 0, 9)) : 2;
    }
  }
  check_byte_range(doc, v, s);
  return s;
}

}  // namespace

Result<std::vector<SignatureInfo>> extract_signatures(const Document& doc) {
  std::vector<SignatureInfo> out;
  Collector c;
  QPDF& q = *doc.impl().qpdf;
  HPKI_TRY(detail::guarded("reading the signature fields", [&] {
    auto fields = key_of(key_of(q.getRoot(), "/AcroForm"), "/Fields");
    if (fields.isArray()) {
      for (auto& f : fields.getArrayAsVector()) c.field(f);
    }
    for (auto& page : q.getAllPages()) {
      auto annots = key_of(page, "/Annots");
      if (!annots.isArray()) continue;
      for (auto& a : annots.getArrayAsVector()) c.widget(a);
    }
  }));
  if (c.found.size() > kMaxSignatures)
    return fail(ErrorCode::kTooLarge,
                "more than " + std::to_string(kMaxSignatures) + " signatures");
  for (const auto& f : c.found) {
    SignatureInfo s;
    HPKI_TRY(
        detail::guarded("reading a signature dictionary", [&] { s = read_signature(doc, f); }));
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const SignatureInfo& x, const SignatureInfo& y) {
    const bool vx = x.byte_range.has_value(), vy = y.byte_range.has_value();
    if (vx != vy) return vx;
    return x.signed_end < y.signed_end;
  });
  return out;
}

Result<Bytes> signed_digest(const Document& doc, const SignatureInfo& sig, crypto::HashAlg alg) {
  if (!sig.byte_range) return fail(ErrorCode::kInvalidArgument, "no valid /ByteRange");
  const auto& r = *sig.byte_range;
  const BytesView pdf = doc.bytes();
  auto h = HPKI_TRY(crypto::Hasher::create(alg));
  HPKI_TRY(h.update(pdf.subspan(r[0], r[1])));
  HPKI_TRY(h.update(pdf.subspan(r[2], r[3])));
  return h.finish();
}

Bytes signed_bytes(const Document& doc, const SignatureInfo& sig) {
  if (!sig.byte_range) return {};
  const auto& r = *sig.byte_range;
  const BytesView pdf = doc.bytes();
  Bytes out;
  out.reserve(r[1] + r[3]);
  out.insert(out.end(), pdf.begin(), pdf.begin() + static_cast<std::ptrdiff_t>(r[1]));
  out.insert(out.end(), pdf.begin() + static_cast<std::ptrdiff_t>(r[2]),
             pdf.begin() + static_cast<std::ptrdiff_t>(r[2] + r[3]));
  return out;
}

}  // namespace hpki::pdf
