// Strict DER reader (X.690 clause 10 on top of the BER rules of clause 8), in the style of
// BoringSSL's CBS and Chromium's der::Parser.
//
// Contract:
// - A Reader is a non-owning cursor over a BytesView; the viewed bytes must outlive the Reader
//   and every view it returns (Element::value, read_octet_string(), ...). Nothing is copied
//   except decoded strings, which are returned as UTF-8 std::string.
// - Only DER is accepted: definite lengths in the minimal number of octets (no indefinite
//   length, no long form below 128, no leading zero length octet), lengths within the input,
//   tag numbers in the high-tag-number form only when >= 31 and minimally encoded (up to
//   kMaxTagNumber), and for each type the DER value rules listed at its decoder.
// - Every failure is an Error with code kMalformed (kTrailingData from expect_end()), whose
//   detail names what was expected and the absolute byte offset, e.g.
//   "expected INTEGER at offset 17: found [0] constructed". A failed read leaves the Reader
//   where it was, so optional parts can be probed.
// - Nesting: each sub-Reader (read_sequence, read_set, read_constructed, explicit tags) has a
//   depth one more than its parent; opening one deeper than kMaxDepth fails. A Reader made
//   over the content of an OCTET STRING (e.g. an extension value) may be given the parent's
//   depth so that the limit holds across such wrappers. Recursive callers (generic walkers)
//   are therefore bounded by the Reader itself.
// - What it does not check: the meaning of values (e.g. whether an INTEGER must be positive,
//   whether a named bit list is minimal); callers do that with the helpers below.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/error.h"
#include "der/oid.h"
#include "der/tag.h"

namespace hpki::der {

// Nesting limit for constructed elements. Certificates nest about 10 deep; 32 leaves room for
// CMS and GM/T structures that wrap certificates.
inline constexpr std::size_t kMaxDepth = 32;

using Time = std::chrono::sys_seconds;

// One TLV element.
struct Element {
  Tag tag;
  BytesView value;       // the content octets
  BytesView encoded;     // the whole element: identifier, length and content octets
  std::size_t offset{};  // absolute offset of the identifier octet
};

// BIT STRING value (X.690 8.6): the content bytes without the initial octet and the number of
// unused bits in the last byte (0..7, and 0 when bytes is empty).
struct BitString {
  BytesView bytes;
  std::uint8_t unused_bits = 0;

  [[nodiscard]] std::size_t bit_count() const noexcept { return bytes.size() * 8 - unused_bits; }
  // Bit n of the string, where bit 0 is the most significant bit of the first byte (the
  // numbering of named bits, e.g. KeyUsage digitalSignature(0)). False beyond the end.
  [[nodiscard]] bool bit(std::size_t n) const noexcept;
  // Named bits 0..31 as flags (bit n of the string -> 1u << n). Fails with kMalformed when a
  // bit at position 32 or later is set.
  [[nodiscard]] Result<std::uint32_t> to_flags() const;
};

// A character string decoded to UTF-8, with the tag it was encoded with.
struct DecodedString {
  Tag tag;
  std::string utf8;
};

// --- Value decoders -----------------------------------------------------------------------------
// Decode the content octets of a primitive element. Used by the Reader and directly for
// IMPLICIT-tagged values. Errors are kMalformed without an offset (the Reader adds it).

// INTEGER / ENUMERATED (X.690 8.3.2): non-empty, minimal two's complement (no redundant leading
// 0x00 or 0xFF). Returns the content unchanged.
[[nodiscard]] Result<BytesView> decode_integer(BytesView content);
// Value of a valid INTEGER content as int64 / uint64; kMalformed when out of range (negative
// for uint64).
[[nodiscard]] Result<std::int64_t> integer_to_int64(BytesView integer);
[[nodiscard]] Result<std::uint64_t> integer_to_uint64(BytesView integer);
// True when a valid INTEGER content is > 0 / < 0.
[[nodiscard]] bool integer_is_positive(BytesView integer) noexcept;
[[nodiscard]] bool integer_is_negative(BytesView integer) noexcept;
// Big-endian magnitude of a positive or zero INTEGER (the leading 0x00 sign octet removed);
// kMalformed for negative values. Zero yields an empty view.
[[nodiscard]] Result<BytesView> integer_magnitude(BytesView integer);

// BOOLEAN (X.690 11.1): one octet, 0x00 or 0xFF.
[[nodiscard]] Result<bool> decode_boolean(BytesView content);
// NULL (X.690 8.8.2): empty.
[[nodiscard]] Result<void> decode_null(BytesView content);
// BIT STRING (X.690 8.6.2, 11.2): initial octet 0..7, 0 when there are no bits, unused bits
// zero.
[[nodiscard]] Result<BitString> decode_bit_string(BytesView content);

// Character strings, returned as UTF-8.
// UTF8String: well-formed UTF-8 (no overlong forms, surrogates or values over U+10FFFF).
[[nodiscard]] Result<std::string> decode_utf8_string(BytesView content);
// PrintableString (X.680 41.4): A-Z a-z 0-9 space ' ( ) + , - . / : = ?
[[nodiscard]] Result<std::string> decode_printable_string(BytesView content);
// NumericString: digits and space.
[[nodiscard]] Result<std::string> decode_numeric_string(BytesView content);
// IA5String: bytes 0x00..0x7F.
[[nodiscard]] Result<std::string> decode_ia5_string(BytesView content);
// VisibleString: bytes 0x20..0x7E.
[[nodiscard]] Result<std::string> decode_visible_string(BytesView content);
// BMPString: UCS-2 big-endian (even length, no surrogate code units).
[[nodiscard]] Result<std::string> decode_bmp_string(BytesView content);
// UniversalString: UCS-4 big-endian (length multiple of 4, Unicode scalar values).
[[nodiscard]] Result<std::string> decode_universal_string(BytesView content);
// TeletexString (T61String): read as Latin-1, as old certificates use it (the T.61 character
// set proper is not implemented; this is what browsers and OpenSSL do in practice).
[[nodiscard]] Result<std::string> decode_teletex_string(BytesView content);

// Validation of UTF-8 text, shared with the Writer.
[[nodiscard]] bool is_valid_utf8(std::string_view text) noexcept;
[[nodiscard]] bool is_printable_string_char(char c) noexcept;

// UTCTime (X.690 11.8, RFC 5280 4.1.2.5.1): exactly YYMMDDHHMMSSZ; YY >= 50 is 19YY, else 20YY.
[[nodiscard]] Result<Time> decode_utc_time(BytesView content);
// GeneralizedTime (X.690 11.7, RFC 5280 4.1.2.5.2): exactly YYYYMMDDHHMMSSZ (Z required, no
// fractional seconds), years 0000..9999.
[[nodiscard]] Result<Time> decode_generalized_time(BytesView content);

// --- Reader -------------------------------------------------------------------------------------

class Reader {
 public:
  // `base_offset` is the absolute offset of data[0] (for error details); `depth` the nesting
  // level of the content (0 for a top-level input).
  explicit Reader(BytesView data, std::size_t base_offset = 0, std::size_t depth = 0) noexcept
      : data_(data), base_offset_(base_offset), depth_(depth) {}

  [[nodiscard]] bool at_end() const noexcept { return pos_ == data_.size(); }
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
  // Absolute offset of the next unread byte.
  [[nodiscard]] std::size_t offset() const noexcept { return base_offset_ + pos_; }
  [[nodiscard]] std::size_t depth() const noexcept { return depth_; }
  // The bytes not read yet.
  [[nodiscard]] BytesView rest() const noexcept { return data_.subspan(pos_); }

  // kTrailingData unless every byte has been read.
  [[nodiscard]] Result<void> expect_end() const;

  // Tag of the next element without consuming it (kMalformed at end or on a bad identifier).
  [[nodiscard]] Result<Tag> peek_tag() const;
  // True when the next element has exactly this tag (false at end or on a bad identifier).
  [[nodiscard]] bool peek_is(Tag tag) const noexcept;

  // The next element, whatever its tag.
  [[nodiscard]] Result<Element> read_tlv();
  // The next element, which must have tag `tag`.
  [[nodiscard]] Result<Element> read_element(Tag tag);
  // The next element when its tag is `tag`, nullopt when the next tag differs or the input is
  // at its end (DEFAULT / OPTIONAL components). A malformed element with that tag is an error.
  [[nodiscard]] Result<std::optional<Element>> read_optional(Tag tag);

  // Constructed element with tag `tag` (constructed bit required), returned as a sub-Reader
  // over its content, one level deeper.
  [[nodiscard]] Result<Reader> read_constructed(Tag tag);
  [[nodiscard]] Result<std::optional<Reader>> read_optional_constructed(Tag tag);
  [[nodiscard]] Result<Reader> read_sequence() { return read_constructed(kSequence); }
  [[nodiscard]] Result<Reader> read_set() { return read_constructed(kSet); }
  // [n] EXPLICIT: a context-specific constructed element; the sub-Reader holds the tagged
  // value (callers read it and call expect_end()).
  [[nodiscard]] Result<Reader> read_explicit(std::uint32_t n) {
    return read_constructed(Tag::context_constructed(n));
  }
  [[nodiscard]] Result<std::optional<Reader>> read_optional_explicit(std::uint32_t n) {
    return read_optional_constructed(Tag::context_constructed(n));
  }
  // [n] IMPLICIT on a primitive type: the content octets (decode them with decode_*, or pass
  // Tag::context(n) to the typed read_* functions below).
  [[nodiscard]] Result<BytesView> read_implicit(std::uint32_t n);

  // Typed reads. Each takes the tag to expect, so IMPLICIT tagging is `read_x(Tag::context(n))`.
  [[nodiscard]] Result<BytesView> read_integer(Tag tag = kInteger);
  [[nodiscard]] Result<std::int64_t> read_int64(Tag tag = kInteger);
  [[nodiscard]] Result<std::uint64_t> read_uint64(Tag tag = kInteger);
  [[nodiscard]] Result<std::int64_t> read_enumerated(Tag tag = kEnumerated) {
    return read_int64(tag);
  }
  [[nodiscard]] Result<bool> read_boolean(Tag tag = kBoolean);
  [[nodiscard]] Result<void> read_null(Tag tag = kNull);
  [[nodiscard]] Result<Oid> read_oid(Tag tag = kObjectIdentifier);
  [[nodiscard]] Result<BitString> read_bit_string(Tag tag = kBitString);
  [[nodiscard]] Result<BytesView> read_octet_string(Tag tag = kOctetString);
  [[nodiscard]] Result<std::string> read_utf8_string(Tag tag = kUtf8String);
  [[nodiscard]] Result<std::string> read_printable_string(Tag tag = kPrintableString);
  [[nodiscard]] Result<std::string> read_numeric_string(Tag tag = kNumericString);
  [[nodiscard]] Result<std::string> read_ia5_string(Tag tag = kIa5String);
  [[nodiscard]] Result<std::string> read_visible_string(Tag tag = kVisibleString);
  [[nodiscard]] Result<std::string> read_bmp_string(Tag tag = kBmpString);
  [[nodiscard]] Result<std::string> read_universal_string(Tag tag = kUniversalString);
  [[nodiscard]] Result<std::string> read_teletex_string(Tag tag = kTeletexString);
  // Any of the universal string types above (e.g. X.520 DirectoryString, DisplayText).
  [[nodiscard]] Result<DecodedString> read_any_string();
  [[nodiscard]] Result<Time> read_utc_time(Tag tag = kUtcTime);
  [[nodiscard]] Result<Time> read_generalized_time(Tag tag = kGeneralizedTime);
  // RFC 5280 4.1.2.5: Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }.
  [[nodiscard]] Result<Time> read_time();

 private:
  // Parses the element at pos_ without consuming it; `consumed` receives its total size.
  [[nodiscard]] Result<Element> parse_at(std::size_t& consumed) const;
  [[nodiscard]] Error error_at(std::size_t offset, std::string_view expected,
                               std::string_view what) const;
  // read_element + a value decoder, with the offset added to a decoder error.
  template <typename T, typename Decode>
  [[nodiscard]] Result<T> read_value(Tag tag, Decode decode);

  BytesView data_;
  std::size_t pos_ = 0;
  std::size_t base_offset_ = 0;
  std::size_t depth_ = 0;
};

}  // namespace hpki::der
