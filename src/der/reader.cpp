#include "der/reader.h"

#include <array>

#include "der/detail/civil_time.h"

namespace hpki::der {
namespace {

[[nodiscard]] std::unexpected<Error> malformed(std::string detail) {
  return fail(ErrorCode::kMalformed, std::move(detail));
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Parses `n` decimal digits at s[pos], or -1.
int digits(BytesView s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Shared tail of UTCTime and GeneralizedTime: MMDDHHMMSSZ at s[pos], given the year.
Result<Time> decode_time_tail(BytesView s, std::size_t pos, int year, std::string_view type) {
  const int month = digits(s, pos, 2);
  const int day = digits(s, pos + 2, 2);
  const int hour = digits(s, pos + 4, 2);
  const int minute = digits(s, pos + 6, 2);
  const int second = digits(s, pos + 8, 2);
  if (month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0)
    return malformed(std::string(type) + ": non-digit character");
  if (s[pos + 10] != 'Z')
    return malformed(std::string(type) + ": must end with 'Z' (DER, RFC 5280 4.1.2.5)");
  if (month < 1 || month > 12) return malformed(std::string(type) + ": month out of range");
  if (day < 1 || day > detail::days_in_month(year, static_cast<unsigned>(month)))
    return malformed(std::string(type) + ": day out of range");
  // RFC 5280 4.1.2.5: seconds are 00..59 (no leap second).
  if (hour > 23 || minute > 59 || second > 59)
    return malformed(std::string(type) + ": time of day out of range");
  const std::int64_t days =
      detail::days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return Time{std::chrono::seconds{days * 86400 + hour * 3600 + minute * 60 + second}};
}

// Decodes a string of fixed-size code units through `to_cp`, which returns the code point
// or a value > 0x10FFFF for an invalid unit.
template <std::size_t kUnit, typename ToCp>
Result<std::string> decode_units(BytesView content, std::string_view type, ToCp to_cp) {
  if (content.size() % kUnit != 0)
    return malformed(std::string(type) + ": length is not a multiple of " + std::to_string(kUnit));
  std::string out;
  out.reserve(content.size());
  for (std::size_t i = 0; i < content.size(); i += kUnit) {
    const std::uint32_t cp = to_cp(content.subspan(i, kUnit));
    if (cp > 0x10FFFF)
      return malformed(std::string(type) + ": invalid character at index " + std::to_string(i));
    append_utf8(out, cp);
  }
  return out;
}

}  // namespace

// --- BitString ----------------------------------------------------------------------------------

bool BitString::bit(std::size_t n) const noexcept {
  if (n >= bit_count()) return false;
  return (bytes[n / 8] & (0x80U >> (n % 8))) != 0;
}

Result<std::uint32_t> BitString::to_flags() const {
  std::uint32_t flags = 0;
  for (std::size_t n = 0; n < bit_count(); ++n) {
    if (!bit(n)) continue;
    if (n >= 32) return malformed("BIT STRING: named bit " + std::to_string(n) + " is set");
    flags |= 1U << n;
  }
  return flags;
}

// --- Value decoders -----------------------------------------------------------------------------

Result<BytesView> decode_integer(BytesView content) {
  // X.690 8.3.2: the first nine bits are neither all zeros nor all ones.
  if (content.empty()) return malformed("INTEGER: empty");
  if (content.size() > 1) {
    if (content[0] == 0x00 && (content[1] & 0x80) == 0)
      return malformed("INTEGER: not minimally encoded (redundant leading 0x00)");
    if (content[0] == 0xFF && (content[1] & 0x80) != 0)
      return malformed("INTEGER: not minimally encoded (redundant leading 0xFF)");
  }
  return content;
}

Result<std::int64_t> integer_to_int64(BytesView integer) {
  HPKI_TRY(decode_integer(integer));
  if (integer.size() > 8) return malformed("INTEGER: does not fit in 64 bits");
  std::uint64_t v = (integer[0] & 0x80) != 0 ? ~std::uint64_t{0} : 0;
  for (std::uint8_t b : integer) v = (v << 8) | b;
  return static_cast<std::int64_t>(v);
}

Result<std::uint64_t> integer_to_uint64(BytesView integer) {
  HPKI_TRY(decode_integer(integer));
  if (integer_is_negative(integer)) return malformed("INTEGER: negative where unsigned expected");
  const BytesView mag = HPKI_TRY(integer_magnitude(integer));
  if (mag.size() > 8) return malformed("INTEGER: does not fit in 64 bits");
  std::uint64_t v = 0;
  for (std::uint8_t b : mag) v = (v << 8) | b;
  return v;
}

bool integer_is_negative(BytesView integer) noexcept {
  return !integer.empty() && (integer[0] & 0x80) != 0;
}

bool integer_is_positive(BytesView integer) noexcept {
  if (integer.empty() || integer_is_negative(integer)) return false;
  // Minimal encoding: zero is exactly one 0x00 octet.
  return integer.size() > 1 || integer[0] != 0;
}

Result<BytesView> integer_magnitude(BytesView integer) {
  HPKI_TRY(decode_integer(integer));
  if (integer_is_negative(integer)) return malformed("INTEGER: negative where unsigned expected");
  return integer[0] == 0 ? integer.subspan(1) : integer;
}

Result<bool> decode_boolean(BytesView content) {
  if (content.size() != 1) return malformed("BOOLEAN: length must be 1");
  // X.690 11.1: TRUE is encoded as 0xFF in DER.
  if (content[0] == 0x00) return false;
  if (content[0] == 0xFF) return true;
  return malformed("BOOLEAN: value must be 0x00 or 0xFF (DER)");
}

Result<void> decode_null(BytesView content) {
  if (!content.empty()) return malformed("NULL: must be empty");
  return {};
}

Result<BitString> decode_bit_string(BytesView content) {
  // X.690 8.6.2: initial octet = number of unused bits in the final octet, 0..7.
  if (content.empty()) return malformed("BIT STRING: empty (no initial octet)");
  const std::uint8_t unused = content[0];
  if (unused > 7) return malformed("BIT STRING: more than 7 unused bits");
  const BytesView bytes = content.subspan(1);
  if (bytes.empty() && unused != 0)
    return malformed("BIT STRING: unused bits without any content octet");
  // X.690 11.2.1: the unused bits are set to zero in DER.
  if (unused != 0 && (bytes.back() & ((1U << unused) - 1)) != 0)
    return malformed("BIT STRING: unused bits are not zero (DER)");
  return BitString{bytes, unused};
}

bool is_valid_utf8(std::string_view text) noexcept {
  const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool is_printable_string_char(char c) noexcept {
  // X.680 41.4, Table 10.
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case ' ':
    case '\'':
    case '(':
    case ')':
    case '+':
    case ',':
    case '-':
    case '.':
    case '/':
    case ':':
    case '=':
    case '?':
      return true;
    default:
      return false;
  }
}

Result<std::string> decode_utf8_string(BytesView content) {
  if (!is_valid_utf8(as_string(content))) return malformed("UTF8String: invalid UTF-8");
  return std::string(as_string(content));
}

Result<std::string> decode_printable_string(BytesView content) {
  for (std::size_t i = 0; i < content.size(); ++i)
    if (!is_printable_string_char(static_cast<char>(content[i])))
      return malformed("PrintableString: character not allowed at index " + std::to_string(i));
  return std::string(as_string(content));
}

Result<std::string> decode_numeric_string(BytesView content) {
  for (std::size_t i = 0; i < content.size(); ++i)
    if (content[i] != ' ' && (content[i] < '0' || content[i] > '9'))
      return malformed("NumericString: character not allowed at index " + std::to_string(i));
  return std::string(as_string(content));
}

Result<std::string> decode_ia5_string(BytesView content) {
  for (std::size_t i = 0; i < content.size(); ++i)
    if (content[i] > 0x7F)
      return malformed("IA5String: non-ASCII byte at index " + std::to_string(i));
  return std::string(as_string(content));
}

Result<std::string> decode_visible_string(BytesView content) {
  for (std::size_t i = 0; i < content.size(); ++i)
    if (content[i] < 0x20 || content[i] > 0x7E)
      return malformed("VisibleString: character not allowed at index " + std::to_string(i));
  return std::string(as_string(content));
}

Result<std::string> decode_bmp_string(BytesView content) {
  return decode_units<2>(content, "BMPString", [](BytesView u) -> std::uint32_t {
    const std::uint32_t cp = (std::uint32_t{u[0]} << 8) | u[1];
    // UCS-2 has no surrogates; a pair would be UTF-16, which BMPString is not.
    return (cp >= 0xD800 && cp <= 0xDFFF) ? 0xFFFFFFFF : cp;
  });
}

Result<std::string> decode_universal_string(BytesView content) {
  return decode_units<4>(content, "UniversalString", [](BytesView u) -> std::uint32_t {
    const std::uint32_t cp = (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) |
                             (std::uint32_t{u[2]} << 8) | u[3];
    return (cp >= 0xD800 && cp <= 0xDFFF) ? 0xFFFFFFFF : cp;
  });
}

Result<std::string> decode_teletex_string(BytesView content) {
  std::string out;
  out.reserve(content.size());
  for (std::uint8_t b : content) append_utf8(out, b);
  return out;
}

Result<Time> decode_utc_time(BytesView content) {
  // RFC 5280 4.1.2.5.1: YYMMDDHHMMSSZ, seconds present, Z required.
  if (content.size() != 13)
    return malformed("UTCTime: must be YYMMDDHHMMSSZ (13 characters), got " +
                     std::to_string(content.size()));
  const int yy = digits(content, 0, 2);
  if (yy < 0) return malformed("UTCTime: non-digit character");
  // RFC 5280 4.1.2.5.1: YY >= 50 is 19YY, YY < 50 is 20YY.
  return decode_time_tail(content, 2, yy >= 50 ? 1900 + yy : 2000 + yy, "UTCTime");
}

Result<Time> decode_generalized_time(BytesView content) {
  // RFC 5280 4.1.2.5.2: YYYYMMDDHHMMSSZ, no fractional seconds, Z required.
  if (content.size() != 15)
    return malformed("GeneralizedTime: must be YYYYMMDDHHMMSSZ (15 characters), got " +
                     std::to_string(content.size()));
  const int year = digits(content, 0, 4);
  if (year < 0) return malformed("GeneralizedTime: non-digit character");
  return decode_time_tail(content, 4, year, "GeneralizedTime");
}

// --- Reader -------------------------------------------------------------------------------------

Error Reader::error_at(std::size_t offset, std::string_view expected, std::string_view what) const {
  return Error{ErrorCode::kMalformed, "expected " + std::string(expected) + " at offset " +
                                          std::to_string(offset) + ": " + std::string(what)};
}

Result<Element> Reader::parse_at(std::size_t& consumed) const {
  const std::size_t start = pos_;
  const std::size_t n = data_.size();
  const std::size_t abs = base_offset_ + start;
  if (start >= n) return fail(error_at(abs, "element", "end of input"));
  std::size_t p = start;
  const std::uint8_t id = data_[p++];
  const auto cls = static_cast<TagClass>(id & 0xC0);
  const bool constructed = (id & 0x20) != 0;
  std::uint32_t number = id & 0x1F;
  if (number == 0x1F) {
    // X.690 8.1.2.4: high-tag-number form, base 128, bit 8 set on all but the last octet;
    // the first subsequent octet is not 0x80 and the form is used only for numbers >= 31.
    number = 0;
    std::size_t count = 0;
    while (true) {
      if (p >= n) return fail(error_at(abs, "element", "truncated tag"));
      const std::uint8_t b = data_[p++];
      if (count == 0 && b == 0x80)
        return fail(error_at(abs, "element", "tag number not minimally encoded"));
      if (++count > 4) return fail(error_at(abs, "element", "tag number too large"));
      number = (number << 7) | (b & 0x7FU);
      if ((b & 0x80) == 0) break;
    }
    if (number < 31)
      return fail(error_at(abs, "element", "high-tag-number form used for a tag below 31"));
  } else if (cls == TagClass::kUniversal && number == 0) {
    return fail(error_at(abs, "element", "end-of-contents octets (BER, not DER)"));
  }
  if (p >= n) return fail(error_at(abs, "element", "truncated length"));
  const std::uint8_t l0 = data_[p++];
  std::size_t length = 0;
  if (l0 < 0x80) {
    length = l0;
  } else {
    // X.690 10.1: definite form, minimal number of length octets.
    if (l0 == 0x80) return fail(error_at(abs, "element", "indefinite length (BER, not DER)"));
    const std::size_t octets = l0 & 0x7FU;
    if (octets > 4) return fail(error_at(abs, "element", "length too large"));
    if (n - p < octets) return fail(error_at(abs, "element", "truncated length"));
    if (data_[p] == 0)
      return fail(error_at(abs, "element", "length not minimally encoded (leading zero)"));
    for (std::size_t i = 0; i < octets; ++i) length = (length << 8) | data_[p++];
    if (length < 0x80)
      return fail(error_at(abs, "element", "long-form length for a length below 128"));
  }
  if (length > n - p)
    return fail(error_at(abs, "element",
                         "length " + std::to_string(length) + " exceeds the " +
                             std::to_string(n - p) + " remaining bytes"));
  consumed = p + length - start;
  return Element{Tag{cls, constructed, number}, data_.subspan(p, length),
                 data_.subspan(start, consumed), abs};
}

Result<void> Reader::expect_end() const {
  if (at_end()) return {};
  return fail(ErrorCode::kTrailingData, std::to_string(remaining()) +
                                            " bytes of trailing data at offset " +
                                            std::to_string(offset()));
}

Result<Tag> Reader::peek_tag() const {
  std::size_t consumed = 0;
  const Element e = HPKI_TRY(parse_at(consumed));
  return e.tag;
}

bool Reader::peek_is(Tag tag) const noexcept {
  // Only the identifier is needed, but a full parse keeps the rules in one place; it allocates
  // only on error.
  std::size_t consumed = 0;
  const auto e = parse_at(consumed);
  return e.has_value() && e->tag == tag;
}

Result<Element> Reader::read_tlv() {
  std::size_t consumed = 0;
  Element e = HPKI_TRY(parse_at(consumed));
  pos_ += consumed;
  return e;
}

Result<Element> Reader::read_element(Tag tag) {
  std::size_t consumed = 0;
  auto e = parse_at(consumed);
  if (!e) {
    // Rephrase "expected element" with the expected tag.
    std::string detail = e.error().detail();
    if (detail.starts_with("expected element")) detail.replace(9, 7, tag.to_string());
    return fail(ErrorCode::kMalformed, std::move(detail));
  }
  if (e->tag != tag)
    return fail(error_at(e->offset, tag.to_string(), "found " + e->tag.to_string()));
  pos_ += consumed;
  return std::move(*e);
}

Result<std::optional<Element>> Reader::read_optional(Tag tag) {
  if (at_end()) return std::nullopt;
  std::size_t consumed = 0;
  auto e = parse_at(consumed);
  if (!e) return fail(std::move(e).error());
  if (e->tag != tag) return std::nullopt;
  pos_ += consumed;
  return std::optional<Element>(std::move(*e));
}

Result<Reader> Reader::read_constructed(Tag tag) {
  const std::size_t at = offset();
  if (!tag.constructed()) return fail(error_at(at, tag.to_string(), "tag is not constructed"));
  if (depth_ + 1 > kMaxDepth)
    return fail(error_at(at, tag.to_string(),
                         "nesting deeper than " + std::to_string(kMaxDepth) + " levels"));
  const Element e = HPKI_TRY(read_element(tag));
  return Reader(e.value, e.offset + (e.encoded.size() - e.value.size()), depth_ + 1);
}

Result<std::optional<Reader>> Reader::read_optional_constructed(Tag tag) {
  if (!peek_is(tag)) {
    // Absent, unless the next element is malformed: then report that.
    if (!at_end()) HPKI_TRY(peek_tag());
    return std::nullopt;
  }
  return std::optional<Reader>(HPKI_TRY(read_constructed(tag)));
}

Result<BytesView> Reader::read_implicit(std::uint32_t n) {
  const Element e = HPKI_TRY(read_element(Tag::context(n)));
  return e.value;
}

template <typename T, typename Decode>
Result<T> Reader::read_value(Tag tag, Decode decode) {
  const std::size_t saved = pos_;
  const Element e = HPKI_TRY(read_element(tag));
  auto v = decode(e.value);
  if (!v) {
    pos_ = saved;
    return fail(error_at(e.offset, tag.to_string(), v.error().detail()));
  }
  if constexpr (std::is_void_v<T>) {
    return {};
  } else {
    return std::move(*v);
  }
}

Result<BytesView> Reader::read_integer(Tag tag) {
  return read_value<BytesView>(tag, decode_integer);
}
Result<std::int64_t> Reader::read_int64(Tag tag) {
  return read_value<std::int64_t>(tag, integer_to_int64);
}
Result<std::uint64_t> Reader::read_uint64(Tag tag) {
  return read_value<std::uint64_t>(tag, integer_to_uint64);
}
Result<bool> Reader::read_boolean(Tag tag) { return read_value<bool>(tag, decode_boolean); }
Result<void> Reader::read_null(Tag tag) { return read_value<void>(tag, decode_null); }
Result<Oid> Reader::read_oid(Tag tag) { return read_value<Oid>(tag, Oid::from_der); }
Result<BitString> Reader::read_bit_string(Tag tag) {
  return read_value<BitString>(tag, decode_bit_string);
}
Result<BytesView> Reader::read_octet_string(Tag tag) {
  return read_value<BytesView>(tag, [](BytesView v) -> Result<BytesView> { return v; });
}
Result<std::string> Reader::read_utf8_string(Tag tag) {
  return read_value<std::string>(tag, decode_utf8_string);
}
Result<std::string> Reader::read_printable_string(Tag tag) {
  return read_value<std::string>(tag, decode_printable_string);
}
Result<std::string> Reader::read_numeric_string(Tag tag) {
  return read_value<std::string>(tag, decode_numeric_string);
}
Result<std::string> Reader::read_ia5_string(Tag tag) {
  return read_value<std::string>(tag, decode_ia5_string);
}
Result<std::string> Reader::read_visible_string(Tag tag) {
  return read_value<std::string>(tag, decode_visible_string);
}
Result<std::string> Reader::read_bmp_string(Tag tag) {
  return read_value<std::string>(tag, decode_bmp_string);
}
Result<std::string> Reader::read_universal_string(Tag tag) {
  return read_value<std::string>(tag, decode_universal_string);
}
Result<std::string> Reader::read_teletex_string(Tag tag) {
  return read_value<std::string>(tag, decode_teletex_string);
}

Result<DecodedString> Reader::read_any_string() {
  const Tag tag = HPKI_TRY(peek_tag());
  Result<std::string> (Reader::*read)(Tag) = nullptr;
  if (tag == kUtf8String) read = &Reader::read_utf8_string;
  if (tag == kPrintableString) read = &Reader::read_printable_string;
  if (tag == kIa5String) read = &Reader::read_ia5_string;
  if (tag == kBmpString) read = &Reader::read_bmp_string;
  if (tag == kTeletexString) read = &Reader::read_teletex_string;
  if (tag == kUniversalString) read = &Reader::read_universal_string;
  if (tag == kVisibleString) read = &Reader::read_visible_string;
  if (tag == kNumericString) read = &Reader::read_numeric_string;
  if (read == nullptr)
    return fail(error_at(offset(), "a character string", "found " + tag.to_string()));
  std::string utf8 = HPKI_TRY((this->*read)(tag));
  return DecodedString{tag, std::move(utf8)};
}

Result<Time> Reader::read_utc_time(Tag tag) { return read_value<Time>(tag, decode_utc_time); }
Result<Time> Reader::read_generalized_time(Tag tag) {
  return read_value<Time>(tag, decode_generalized_time);
}

Result<Time> Reader::read_time() {
  if (peek_is(kGeneralizedTime)) return read_generalized_time();
  if (peek_is(kUtcTime)) return read_utc_time();
  const Tag tag = HPKI_TRY(peek_tag());
  return fail(error_at(offset(), "UTCTime or GeneralizedTime", "found " + tag.to_string()));
}

}  // namespace hpki::der
