// Generic DER walker shared by fuzz/fuzz_der.cpp and the der unit tests: reads every element
// of an input with der::Reader (recursively, depth-limited by the Reader), tries every value
// decoder on every primitive element, re-encodes with der::Writer whatever decoded and records
// any re-encoding that differs from the input bytes. Primitive contents that are themselves
// DER (extension values in OCTET STRINGs, keys in BIT STRINGs) are walked too when they parse.
#pragma once

#include <string>
#include <vector>

#include "der/oid.h"
#include "der/reader.h"
#include "der/writer.h"

namespace hpki::der::walk {

struct Stats {
  std::size_t elements = 0;
  std::size_t reencoded = 0;
  // Primitives with a universal tag whose value breaks that type's DER rules (e.g. a
  // non-minimal INTEGER): the structure walks, but a typed read would fail.
  std::size_t invalid_values = 0;
  std::vector<std::string> mismatches;  // must stay empty
};

namespace detail {

inline void check_same(Stats& st, const Element& e, const Writer& w, const char* what) {
  ++st.reencoded;
  if (w.view().size() != e.encoded.size() ||
      !std::equal(w.view().begin(), w.view().end(), e.encoded.begin()))
    st.mismatches.push_back(std::string(what) + " at offset " + std::to_string(e.offset));
}

template <typename T, typename Add>
void try_value(Stats& st, const Element& e, const Result<T>& v, const char* what, Add add) {
  if (!v) return;
  Writer w;
  const bool ok = add(w, *v);
  if (!ok) {
    st.mismatches.push_back(std::string(what) + ": decoded but the Writer refused, offset " +
                            std::to_string(e.offset));
    return;
  }
  check_same(st, e, w, what);
}

// The Reader's typed read must agree with the decoder on the element's own bytes.
template <typename T, typename U>
void check_agrees(Stats& st, const Element& e, const Result<T>& typed, const Result<U>& decoded,
                  const char* what) {
  if (typed.has_value() != decoded.has_value())
    st.mismatches.push_back(std::string(what) + ": Reader and decoder disagree at offset " +
                            std::to_string(e.offset));
}

}  // namespace detail

inline Result<void> walk(Reader& r, Stats& st);

inline void walk_primitive(const Element& e, std::size_t depth, Stats& st) {
  using detail::try_value;
  const BytesView c = e.value;
  const Tag tag = e.tag;

  const auto integer = decode_integer(c);
  try_value(st, e, integer, "INTEGER",
            [&](Writer& w, BytesView v) { return w.add_integer_bytes(v, tag).has_value(); });
  try_value(st, e, integer_to_int64(c), "INTEGER int64", [&](Writer& w, std::int64_t v) {
    w.add_integer(v, tag);
    return true;
  });
  try_value(st, e, integer_to_uint64(c), "INTEGER uint64", [&](Writer& w, std::uint64_t v) {
    w.add_integer_u64(v, tag);
    return true;
  });
  if (integer) {
    const auto mag = integer_magnitude(c);
    try_value(st, e, mag, "INTEGER magnitude", [&](Writer& w, BytesView m) {
      w.add_integer_unsigned(m, tag);
      return true;
    });
  }
  try_value(st, e, decode_boolean(c), "BOOLEAN", [&](Writer& w, bool v) {
    w.add_boolean(v, tag);
    return true;
  });
  if (decode_null(c)) {
    Writer w;
    w.add_null(tag);
    detail::check_same(st, e, w, "NULL");
  }
  const auto oid = Oid::from_der(c);
  try_value(st, e, oid, "OID", [&](Writer& w, const Oid& v) {
    w.add_oid(v, tag);
    const auto back = Oid::from_string(v.to_string());
    return back.has_value() && *back == v;
  });
  const auto bits = decode_bit_string(c);
  try_value(st, e, bits, "BIT STRING", [&](Writer& w, const BitString& v) {
    return w.add_bit_string(v.bytes, v.unused_bits, tag).has_value();
  });
  if (bits) {
    // Named bit lists re-encode only when minimal (no trailing zero bits).
    const auto flags = bits->to_flags();
    if (flags && (bits->bit_count() == 0 || bits->bit(bits->bit_count() - 1))) {
      Writer w;
      w.add_named_bit_string(*flags, tag);
      detail::check_same(st, e, w, "named BIT STRING");
    }
  }
  {
    Writer w;
    w.add_octet_string(c, tag);
    detail::check_same(st, e, w, "OCTET STRING");
  }
  auto text = [&](const Result<std::string>& s, const char* what, auto add) {
    try_value(st, e, s, what,
              [&](Writer& w, const std::string& v) { return (w.*add)(v, tag).has_value(); });
  };
  text(decode_utf8_string(c), "UTF8String", &Writer::add_utf8_string);
  text(decode_printable_string(c), "PrintableString", &Writer::add_printable_string);
  text(decode_numeric_string(c), "NumericString", &Writer::add_numeric_string);
  text(decode_ia5_string(c), "IA5String", &Writer::add_ia5_string);
  text(decode_visible_string(c), "VisibleString", &Writer::add_visible_string);
  text(decode_bmp_string(c), "BMPString", &Writer::add_bmp_string);
  (void)decode_universal_string(c);
  (void)decode_teletex_string(c);
  try_value(st, e, decode_utc_time(c), "UTCTime",
            [&](Writer& w, Time t) { return w.add_utc_time(t, tag).has_value(); });
  try_value(st, e, decode_generalized_time(c), "GeneralizedTime",
            [&](Writer& w, Time t) { return w.add_generalized_time(t, tag).has_value(); });

  // Strictness of the universal type the element claims to be.
  if (tag.cls() == TagClass::kUniversal) {
    bool valid = true;
    if (tag == kInteger || tag == kEnumerated) valid = integer.has_value();
    if (tag == kBoolean) valid = decode_boolean(c).has_value();
    if (tag == kNull) valid = decode_null(c).has_value();
    if (tag == kObjectIdentifier) valid = oid.has_value();
    if (tag == kBitString) valid = bits.has_value();
    if (tag == kUtf8String) valid = decode_utf8_string(c).has_value();
    if (tag == kPrintableString) valid = decode_printable_string(c).has_value();
    if (tag == kIa5String) valid = decode_ia5_string(c).has_value();
    if (tag == kBmpString) valid = decode_bmp_string(c).has_value();
    if (tag == kUtcTime) valid = decode_utc_time(c).has_value();
    if (tag == kGeneralizedTime) valid = decode_generalized_time(c).has_value();
    if (!valid) ++st.invalid_values;
  }

  // Typed Reader reads on the element's own bytes agree with the decoders.
  Reader self(e.encoded);
  using detail::check_agrees;
  if (tag == kInteger) check_agrees(st, e, self.read_integer(), integer, "INTEGER");
  if (tag == kBoolean) check_agrees(st, e, self.read_boolean(), decode_boolean(c), "BOOLEAN");
  if (tag == kNull) check_agrees(st, e, self.read_null(), decode_null(c), "NULL");
  if (tag == kObjectIdentifier) check_agrees(st, e, self.read_oid(), oid, "OID");
  if (tag == kBitString) check_agrees(st, e, self.read_bit_string(), bits, "BIT STRING");
  if (tag == kUtcTime || tag == kGeneralizedTime) {
    const auto t = tag == kUtcTime ? decode_utc_time(c) : decode_generalized_time(c);
    check_agrees(st, e, Reader(e.encoded).read_time(), t, "Time");
  }
  if (tag == kUtf8String || tag == kPrintableString || tag == kIa5String || tag == kBmpString ||
      tag == kTeletexString || tag == kUniversalString || tag == kVisibleString ||
      tag == kNumericString)
    (void)Reader(e.encoded).read_any_string();

  // Encapsulated DER (extension values, SubjectPublicKey): walk it when it parses.
  BytesView inner;
  if (tag == kOctetString) inner = c;
  if (bits && bits->unused_bits == 0 && tag == kBitString) inner = bits->bytes;
  if (!inner.empty() && depth < kMaxDepth) {
    Reader sub(inner, e.offset + (e.encoded.size() - inner.size()), depth + 1);
    Stats nested;
    if (walk(sub, nested)) {
      st.elements += nested.elements;
      st.reencoded += nested.reencoded;
      st.invalid_values += nested.invalid_values;
      for (auto& m : nested.mismatches) st.mismatches.push_back(std::move(m));
    }
  }
}

// Walks every element until the end of `r`; fails on the first element the Reader rejects.
inline Result<void> walk(Reader& r, Stats& st) {
  while (!r.at_end()) {
    Reader probe = r;
    const Element e = HPKI_TRY(probe.read_tlv());
    ++st.elements;
    if (e.tag.constructed()) {
      Reader sub = HPKI_TRY(r.read_constructed(e.tag));
      std::vector<BytesView> children;
      Reader kids = sub;
      HPKI_TRY(walk(sub, st));
      while (!kids.at_end()) children.push_back(HPKI_TRY(kids.read_tlv()).encoded);
      Writer w;
      const auto ok = w.add_constructed(e.tag, [&](Writer& x) -> Result<void> {
        for (BytesView child : children) HPKI_TRY(x.add_raw(child));
        return {};
      });
      if (!ok) st.mismatches.push_back("constructed: add_raw refused a child");
      detail::check_same(st, e, w, "constructed");
    } else {
      r = probe;
      walk_primitive(e, r.depth(), st);
    }
  }
  return {};
}

}  // namespace hpki::der::walk
