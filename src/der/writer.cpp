#include "der/writer.h"

#include <algorithm>
#include <array>
#include <vector>

#include "der/detail/civil_time.h"

namespace hpki::der {
namespace {

[[nodiscard]] std::unexpected<Error> invalid(std::string detail) {
  return fail(ErrorCode::kInvalidArgument, std::move(detail));
}

std::size_t length_octets(std::size_t length) {
  std::size_t n = 0;
  for (std::size_t l = length; l != 0; l >>= 8) ++n;
  return n;
}

// Decodes one code point of valid UTF-8 at text[i], advancing i.
std::uint32_t next_code_point(std::string_view text, std::size_t& i) {
  const auto c = static_cast<std::uint8_t>(text[i++]);
  if (c < 0x80) return c;
  const std::size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
  std::uint32_t cp = c & (len == 2 ? 0x1FU : len == 3 ? 0x0FU : 0x07U);
  for (std::size_t k = 1; k < len; ++k)
    cp = (cp << 6) | (static_cast<std::uint8_t>(text[i++]) & 0x3FU);
  return cp;
}

}  // namespace

void Writer::put_tag(Tag tag) {
  HPKI_CHECK(tag.number() <= kMaxTagNumber);
  const auto first = static_cast<std::uint8_t>(static_cast<std::uint8_t>(tag.cls()) |
                                               (tag.constructed() ? 0x20 : 0x00));
  if (tag.number() < 31) {
    // X.690 8.1.2.3: low tag numbers in the identifier octet itself.
    buf_.push_back(static_cast<std::uint8_t>(first | tag.number()));
    return;
  }
  // X.690 8.1.2.4: high-tag-number form, base 128, minimal.
  buf_.push_back(static_cast<std::uint8_t>(first | 0x1F));
  int shift = 21;
  while (shift > 0 && (tag.number() >> shift) == 0) shift -= 7;
  for (; shift >= 0; shift -= 7) {
    const auto b = static_cast<std::uint8_t>((tag.number() >> shift) & 0x7F);
    buf_.push_back(static_cast<std::uint8_t>(b | (shift > 0 ? 0x80 : 0x00)));
  }
}

void Writer::put_length(std::size_t length) {
  // X.690 10.1: definite form, minimal octets.
  if (length < 0x80) {
    buf_.push_back(static_cast<std::uint8_t>(length));
    return;
  }
  const std::size_t n = length_octets(length);
  buf_.push_back(static_cast<std::uint8_t>(0x80 | n));
  for (std::size_t i = n; i-- > 0;) buf_.push_back(static_cast<std::uint8_t>(length >> (8 * i)));
}

std::size_t Writer::begin_constructed(Tag tag) {
  put_tag(tag);
  buf_.push_back(0);  // length placeholder, fixed by end_constructed
  return buf_.size();
}

void Writer::end_constructed(std::size_t content_start, Sort sort) {
  const std::size_t length = buf_.size() - content_start;
  if (sort != Sort::kNone && length > 0) {
    std::vector<BytesView> parts;
    Reader r(BytesView(buf_).subspan(content_start));
    while (!r.at_end()) {
      auto e = r.read_tlv();
      HPKI_CHECK(e.has_value());  // written by this Writer
      parts.push_back(e->encoded);
    }
    if (sort == Sort::kByEncoding) {
      // X.690 11.6: ascending order of the encodings compared as octet strings (a shorter one
      // padded with zero octets; for complete DER elements this is lexicographic order).
      std::sort(parts.begin(), parts.end(), [](BytesView a, BytesView b) {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
      });
    } else {
      // X.690 10.3 / 8.6: canonical order of tags (class, then number).
      auto key = [](BytesView e) {
        Reader one(e);
        const auto t = one.peek_tag();
        HPKI_CHECK(t.has_value());
        return std::pair{static_cast<unsigned>(t->cls()), t->number()};
      };
      std::stable_sort(parts.begin(), parts.end(),
                       [&](BytesView a, BytesView b) { return key(a) < key(b); });
    }
    Bytes sorted;
    sorted.reserve(length);
    for (BytesView p : parts) sorted.insert(sorted.end(), p.begin(), p.end());
    std::copy(sorted.begin(), sorted.end(),
              buf_.begin() + static_cast<std::ptrdiff_t>(content_start));
  }
  if (length < 0x80) {
    buf_[content_start - 1] = static_cast<std::uint8_t>(length);
    return;
  }
  const std::size_t n = length_octets(length);
  buf_.insert(buf_.begin() + static_cast<std::ptrdiff_t>(content_start), n, 0);
  buf_[content_start - 1] = static_cast<std::uint8_t>(0x80 | n);
  for (std::size_t i = 0; i < n; ++i)
    buf_[content_start + i] = static_cast<std::uint8_t>(length >> (8 * (n - 1 - i)));
}

void Writer::add_element(Tag tag, BytesView content) {
  put_tag(tag);
  put_length(content.size());
  buf_.insert(buf_.end(), content.begin(), content.end());
}

void Writer::add_integer(std::int64_t value, Tag tag) {
  // X.690 8.3: shortest two's complement.
  std::array<std::uint8_t, 8> be{};
  auto u = static_cast<std::uint64_t>(value);
  for (std::size_t i = 8; i-- > 0; u >>= 8) be[i] = static_cast<std::uint8_t>(u);
  std::size_t start = 0;
  while (start < 7 && ((be[start] == 0x00 && (be[start + 1] & 0x80) == 0) ||
                       (be[start] == 0xFF && (be[start + 1] & 0x80) != 0)))
    ++start;
  add_element(tag, BytesView(be).subspan(start));
}

void Writer::add_integer_u64(std::uint64_t value, Tag tag) {
  std::array<std::uint8_t, 8> be{};
  for (std::size_t i = 8; i-- > 0; value >>= 8) be[i] = static_cast<std::uint8_t>(value);
  add_integer_unsigned(be, tag);
}

void Writer::add_integer_unsigned(BytesView magnitude, Tag tag) {
  while (!magnitude.empty() && magnitude.front() == 0) magnitude = magnitude.subspan(1);
  put_tag(tag);
  if (magnitude.empty()) {
    put_length(1);
    buf_.push_back(0);
    return;
  }
  const bool pad = (magnitude.front() & 0x80) != 0;
  put_length(magnitude.size() + (pad ? 1 : 0));
  if (pad) buf_.push_back(0);
  buf_.insert(buf_.end(), magnitude.begin(), magnitude.end());
}

Result<void> Writer::add_integer_bytes(BytesView content, Tag tag) {
  if (auto ok = decode_integer(content); !ok) return invalid(ok.error().detail());
  add_element(tag, content);
  return {};
}

void Writer::add_boolean(bool value, Tag tag) {
  const std::uint8_t v = value ? 0xFF : 0x00;
  add_element(tag, BytesView(&v, 1));
}

void Writer::add_null(Tag tag) { add_element(tag, {}); }

void Writer::add_oid(const Oid& oid, Tag tag) {
  HPKI_CHECK(!oid.empty());
  add_element(tag, oid.content());
}

Result<void> Writer::add_bit_string(BytesView bytes, std::uint8_t unused_bits, Tag tag) {
  if (unused_bits > 7) return invalid("BIT STRING: more than 7 unused bits");
  if (bytes.empty() && unused_bits != 0) return invalid("BIT STRING: unused bits without bytes");
  // X.690 11.2.1: padding bits are zero.
  if (unused_bits != 0 && (bytes.back() & ((1U << unused_bits) - 1)) != 0)
    return invalid("BIT STRING: unused bits are not zero");
  put_tag(tag);
  put_length(bytes.size() + 1);
  buf_.push_back(unused_bits);
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  return {};
}

void Writer::add_named_bit_string(std::uint32_t flags, Tag tag) {
  // X.690 11.2.2: a named bit list has no trailing zero bits.
  std::size_t bits = 0;
  for (std::size_t n = 0; n < 32; ++n)
    if ((flags >> n) & 1U) bits = n + 1;
  std::array<std::uint8_t, 4> bytes{};
  for (std::size_t n = 0; n < bits; ++n)
    if ((flags >> n) & 1U)
      bytes[n / 8] = static_cast<std::uint8_t>(bytes[n / 8] | (0x80U >> (n % 8)));
  const std::size_t nbytes = (bits + 7) / 8;
  const auto unused = static_cast<std::uint8_t>(nbytes * 8 - bits);
  put_tag(tag);
  put_length(nbytes + 1);
  buf_.push_back(unused);
  buf_.insert(buf_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(nbytes));
}

void Writer::add_octet_string(BytesView bytes, Tag tag) { add_element(tag, bytes); }

Result<void> Writer::add_utf8_string(std::string_view text, Tag tag) {
  if (!is_valid_utf8(text)) return invalid("UTF8String: invalid UTF-8");
  add_element(tag, as_bytes(text));
  return {};
}

Result<void> Writer::add_printable_string(std::string_view text, Tag tag) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (!is_printable_string_char(text[i]))
      return invalid("PrintableString: character not allowed at index " + std::to_string(i));
  add_element(tag, as_bytes(text));
  return {};
}

Result<void> Writer::add_numeric_string(std::string_view text, Tag tag) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] != ' ' && (text[i] < '0' || text[i] > '9'))
      return invalid("NumericString: character not allowed at index " + std::to_string(i));
  add_element(tag, as_bytes(text));
  return {};
}

Result<void> Writer::add_ia5_string(std::string_view text, Tag tag) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (static_cast<std::uint8_t>(text[i]) > 0x7F)
      return invalid("IA5String: non-ASCII character at index " + std::to_string(i));
  add_element(tag, as_bytes(text));
  return {};
}

Result<void> Writer::add_visible_string(std::string_view text, Tag tag) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] < 0x20 || text[i] > 0x7E)
      return invalid("VisibleString: character not allowed at index " + std::to_string(i));
  add_element(tag, as_bytes(text));
  return {};
}

Result<void> Writer::add_bmp_string(std::string_view text, Tag tag) {
  if (!is_valid_utf8(text)) return invalid("BMPString: invalid UTF-8 input");
  Bytes ucs2;
  ucs2.reserve(text.size() * 2);
  for (std::size_t i = 0; i < text.size();) {
    const std::uint32_t cp = next_code_point(text, i);
    if (cp > 0xFFFF) return invalid("BMPString: character outside the Basic Multilingual Plane");
    ucs2.push_back(static_cast<std::uint8_t>(cp >> 8));
    ucs2.push_back(static_cast<std::uint8_t>(cp));
  }
  add_element(tag, ucs2);
  return {};
}

namespace {

// Appends `width` decimal digits of v.
void put_digits(std::string& out, unsigned v, int width) {
  std::array<char, 4> d{};
  for (int i = width; i-- > 0; v /= 10)
    d[static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
  out.append(d.data(), static_cast<std::size_t>(width));
}

std::string format_time(const detail::CivilTime& c, bool four_digit_year) {
  std::string s;
  put_digits(s, static_cast<unsigned>(c.year) % (four_digit_year ? 10000U : 100U),
             four_digit_year ? 4 : 2);
  put_digits(s, c.month, 2);
  put_digits(s, c.day, 2);
  put_digits(s, c.hour, 2);
  put_digits(s, c.minute, 2);
  put_digits(s, c.second, 2);
  s.push_back('Z');
  return s;
}

}  // namespace

namespace {

// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: outside, the year does not have 4 digits (and
// the calendar conversion is not asked to handle absurd values).
constexpr std::int64_t kMinGeneralizedTime = -62167219200;
constexpr std::int64_t kMaxGeneralizedTime = 253402300799;

bool in_four_digit_years(Time t) {
  const std::int64_t s = t.time_since_epoch().count();
  return s >= kMinGeneralizedTime && s <= kMaxGeneralizedTime;
}

}  // namespace

Result<void> Writer::add_utc_time(Time t, Tag tag) {
  if (!in_four_digit_years(t)) return invalid("UTCTime: time outside 1950..2049");
  const auto c = detail::civil_from_seconds(t.time_since_epoch().count());
  // RFC 5280 4.1.2.5.1: UTCTime covers 1950..2049.
  if (c.year < 1950 || c.year > 2049)
    return invalid("UTCTime: year " + std::to_string(c.year) + " outside 1950..2049");
  add_element(tag, as_bytes(format_time(c, false)));
  return {};
}

Result<void> Writer::add_generalized_time(Time t, Tag tag) {
  if (!in_four_digit_years(t)) return invalid("GeneralizedTime: time outside years 0000..9999");
  const auto c = detail::civil_from_seconds(t.time_since_epoch().count());
  if (c.year < 0 || c.year > 9999)
    return invalid("GeneralizedTime: year " + std::to_string(c.year) + " outside 0000..9999");
  add_element(tag, as_bytes(format_time(c, true)));
  return {};
}

Result<void> Writer::add_time(Time t) {
  if (!in_four_digit_years(t)) return invalid("Time: outside years 0000..9999");
  // RFC 5280 4.1.2.5: dates through 2049 as UTCTime, from 2050 as GeneralizedTime.
  const auto c = detail::civil_from_seconds(t.time_since_epoch().count());
  if (c.year >= 1950 && c.year <= 2049) return add_utc_time(t);
  return add_generalized_time(t);
}

Result<void> Writer::add_raw(BytesView der) {
  Reader r(der);
  if (auto e = r.read_tlv(); !e) return invalid("raw element: " + e.error().detail());
  if (!r.at_end()) return invalid("raw element: more than one element");
  buf_.insert(buf_.end(), der.begin(), der.end());
  return {};
}

}  // namespace hpki::der
