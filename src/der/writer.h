// DER writer (X.690 clause 10), in the style of BoringSSL's CBB: elements are appended to one
// growing Bytes buffer. A constructed element reserves one length octet, its content is
// written in place by a callback, and the length is fixed up afterwards (the content is moved
// right by a few bytes only when the length needs the long form). Building is linear in the
// output size times the nesting depth; nothing is copied per nesting level otherwise.
//
// Contract:
// - Every add_* appends exactly one complete DER element (add_raw: the element given).
// - Operations on values from the program (integers, OIDs, times in range) cannot fail and
//   return void. Operations whose argument may violate a DER or ASN.1 rule return Result<void>
//   with kInvalidArgument (e.g. '@' in a PrintableString, a time outside UTCTime's years) and
//   then leave the buffer unchanged.
// - Constructed elements take a callback `f(Writer&)`. If it returns void, so does the add_*;
//   if it returns Result<void>, the add_* returns it and on error removes the partial element.
// - The typed add_* take an optional tag, so IMPLICIT tagging is
//   `add_ia5_string(name, Tag::context(2))`.
// - Values are not interpreted: the caller decides what is a valid certificate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/bytes.h"
#include "core/error.h"
#include "der/oid.h"
#include "der/reader.h"
#include "der/tag.h"

namespace hpki::der {

class Writer {
 public:
  Writer() = default;

  [[nodiscard]] const Bytes& bytes() const noexcept { return buf_; }
  [[nodiscard]] BytesView view() const noexcept { return buf_; }
  [[nodiscard]] std::size_t size() const noexcept { return buf_.size(); }
  // Moves the encoding out; the Writer is empty afterwards.
  [[nodiscard]] Bytes take() noexcept { return std::exchange(buf_, {}); }
  void reserve(std::size_t n) { buf_.reserve(n); }

  // --- constructed -------------------------------------------------------------------------

  template <typename F>
  auto add_constructed(Tag tag, F&& f) {
    return add_constructed_impl(tag, Sort::kNone, std::forward<F>(f));
  }
  template <typename F>
  auto add_sequence(F&& f) {
    return add_constructed_impl(kSequence, Sort::kNone, std::forward<F>(f));
  }
  // SET: X.690 10.3 puts the components in canonical tag order; the writer sorts them by
  // (class, number), keeping the order of equal tags.
  template <typename F>
  auto add_set(F&& f) {
    return add_constructed_impl(kSet, Sort::kByTag, std::forward<F>(f));
  }
  // SET OF: X.690 11.6 orders the encodings as octet strings; the writer sorts them.
  template <typename F>
  auto add_set_of(F&& f) {
    return add_constructed_impl(kSet, Sort::kByEncoding, std::forward<F>(f));
  }
  // [n] EXPLICIT: the callback writes the one tagged element.
  template <typename F>
  auto add_explicit(std::uint32_t n, F&& f) {
    return add_constructed_impl(Tag::context_constructed(n), Sort::kNone, std::forward<F>(f));
  }
  // [n] IMPLICIT on a SEQUENCE / SET type: the callback writes the components.
  template <typename F>
  auto add_implicit_constructed(std::uint32_t n, F&& f) {
    return add_constructed_impl(Tag::context_constructed(n), Sort::kNone, std::forward<F>(f));
  }

  // --- primitive ---------------------------------------------------------------------------

  // Any element from its tag and content octets (not checked against the tag's rules).
  void add_element(Tag tag, BytesView content);
  // [n] IMPLICIT on a primitive type, from the content octets.
  void add_implicit(std::uint32_t n, BytesView content) { add_element(Tag::context(n), content); }

  void add_integer(std::int64_t value, Tag tag = kInteger);
  void add_integer_u64(std::uint64_t value, Tag tag = kInteger);
  // Non-negative INTEGER from a big-endian magnitude (e.g. a serial number or an RSA modulus):
  // redundant leading zeros are stripped, a 0x00 is prepended when the top bit is set, and an
  // empty or all-zero magnitude encodes 0.
  void add_integer_unsigned(BytesView magnitude, Tag tag = kInteger);
  // INTEGER from two's complement content octets as read by Reader::read_integer (e.g. to copy
  // a serial number verbatim); fails unless minimally encoded.
  [[nodiscard]] Result<void> add_integer_bytes(BytesView content, Tag tag = kInteger);
  void add_enumerated(std::int64_t value, Tag tag = kEnumerated) { add_integer(value, tag); }
  // X.690 11.1: TRUE is 0xFF.
  void add_boolean(bool value, Tag tag = kBoolean);
  void add_null(Tag tag = kNull);
  // The Oid must not be empty (checked).
  void add_oid(const Oid& oid, Tag tag = kObjectIdentifier);
  // BIT STRING of bytes whose last `unused_bits` (0..7) bits are padding; fails when
  // unused_bits > 7, when there are unused bits but no bytes, or when the padding is not zero
  // (X.690 11.2.1).
  [[nodiscard]] Result<void> add_bit_string(BytesView bytes, std::uint8_t unused_bits = 0,
                                            Tag tag = kBitString);
  // Named bit list (e.g. KeyUsage, ReasonFlags) from flags, bit n of the string = 1u << n.
  // X.690 11.2.2: trailing zero bits are removed, so 0 encodes as an empty bit string.
  void add_named_bit_string(std::uint32_t flags, Tag tag = kBitString);
  void add_octet_string(BytesView bytes, Tag tag = kOctetString);

  // Character strings from UTF-8 text, checked against the type's character set.
  [[nodiscard]] Result<void> add_utf8_string(std::string_view text, Tag tag = kUtf8String);
  [[nodiscard]] Result<void> add_printable_string(std::string_view text,
                                                  Tag tag = kPrintableString);
  [[nodiscard]] Result<void> add_numeric_string(std::string_view text, Tag tag = kNumericString);
  [[nodiscard]] Result<void> add_ia5_string(std::string_view text, Tag tag = kIa5String);
  [[nodiscard]] Result<void> add_visible_string(std::string_view text, Tag tag = kVisibleString);
  // UTF-8 text re-encoded as UCS-2; fails on characters outside the BMP.
  [[nodiscard]] Result<void> add_bmp_string(std::string_view text, Tag tag = kBmpString);

  // UTCTime YYMMDDHHMMSSZ: years 1950..2049 only (RFC 5280 4.1.2.5.1).
  [[nodiscard]] Result<void> add_utc_time(Time t, Tag tag = kUtcTime);
  // GeneralizedTime YYYYMMDDHHMMSSZ: years 0000..9999.
  [[nodiscard]] Result<void> add_generalized_time(Time t, Tag tag = kGeneralizedTime);
  // RFC 5280 4.1.2.5: UTCTime for 1950 through 2049, GeneralizedTime otherwise.
  [[nodiscard]] Result<void> add_time(Time t);

  // One complete pre-encoded DER element (e.g. a SubjectPublicKeyInfo copied from a CSR).
  // Checks that `der` is exactly one element with a valid identifier and length (the content is
  // not parsed further).
  [[nodiscard]] Result<void> add_raw(BytesView der);

 private:
  enum class Sort { kNone, kByTag, kByEncoding };

  // Writes the identifier and a one-octet length placeholder; returns the content offset.
  std::size_t begin_constructed(Tag tag);
  // Fixes the length of the element whose content starts at `content_start`, sorting its
  // components first if asked.
  void end_constructed(std::size_t content_start, Sort sort);
  void put_tag(Tag tag);
  void put_length(std::size_t length);

  template <typename F>
  auto add_constructed_impl(Tag tag, Sort sort, F&& f) {
    HPKI_CHECK(tag.constructed());
    using R = std::invoke_result_t<F&, Writer&>;
    const std::size_t start = buf_.size();
    const std::size_t content = begin_constructed(tag);
    if constexpr (std::is_void_v<R>) {
      f(*this);
      end_constructed(content, sort);
    } else {
      static_assert(std::is_same_v<R, Result<void>>,
                    "a constructed-element callback returns void or Result<void>");
      Result<void> r = f(*this);
      if (!r) {
        buf_.resize(start);
        return r;
      }
      end_constructed(content, sort);
      return Result<void>{};
    }
  }

  Bytes buf_;
};

}  // namespace hpki::der
