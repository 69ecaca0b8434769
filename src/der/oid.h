// OBJECT IDENTIFIER values (X.690 8.19). An Oid stores the DER content octets (no tag, no
// length) inline, so it is cheap to copy, usable as a compile-time constant (see oids.h) and as
// a key of std::unordered_map / std::map.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::der {

// Size limit on the content octets of an OID. Real OIDs are far shorter (a 2.25.<UUID> OID
// takes 20 bytes); longer input is rejected as kMalformed.
inline constexpr std::size_t kMaxOidLength = 127;

class Oid {
 public:
  // The empty Oid: no value (e.g. "absent"). Never produced by from_der / from_string.
  constexpr Oid() noexcept = default;

  // Validates DER content octets (X.690 8.19.2): not empty, no subidentifier starting with
  // 0x80 (non-minimal), last octet ends a subidentifier, at most kMaxOidLength bytes.
  // Fails with kMalformed.
  [[nodiscard]] static Result<Oid> from_der(BytesView content);

  // Parses dotted decimal "1.2.156.10197.1.501": at least two arcs, first arc 0..2, second
  // arc 0..39 under 0 and 1, decimal arcs without sign or leading zeros, arcs of any size as
  // long as the encoding fits kMaxOidLength. Fails with kInvalidArgument.
  [[nodiscard]] static Result<Oid> from_string(std::string_view dotted);

  // Compile-time constant from dotted decimal; an invalid literal does not compile.
  [[nodiscard]] static consteval Oid literal(std::string_view dotted) {
    Oid oid;
    if (encode_dotted(dotted, oid) != nullptr) invalid_oid_literal();
    return oid;
  }

  // Dotted decimal form, e.g. "1.2.840.113549.1.1.11"; "" for the empty Oid.
  [[nodiscard]] std::string to_string() const;

  // The DER content octets.
  [[nodiscard]] BytesView content() const noexcept { return {bytes_.data(), size_}; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  // True when this OID lies in the arc `arc` or is equal to it (e.g. every GM/T 0010 content
  // type starts with 1.2.156.10197.6.1.4.2).
  [[nodiscard]] bool starts_with(const Oid& arc) const noexcept;

  friend constexpr bool operator==(const Oid&, const Oid&) = default;
  friend std::strong_ordering operator<=>(const Oid& a, const Oid& b) noexcept;

  // Shared by literal() and from_string(): returns nullptr on success, else a static
  // description of what is wrong.
  static constexpr const char* encode_dotted(std::string_view dotted, Oid& out);

 private:
  static void invalid_oid_literal();  // not constexpr: calling it in a literal fails to compile

  // Unused bytes are always zero, so the defaulted == compares values.
  std::array<std::uint8_t, kMaxOidLength> bytes_{};
  std::uint8_t size_ = 0;
};

// --- implementation of the constexpr encoder ---------------------------------------------------

constexpr const char* Oid::encode_dotted(std::string_view dotted, Oid& out) {
  // An arc has at most 7 * kMaxOidLength bits, i.e. fewer than 270 decimal digits.
  constexpr std::size_t kMaxDigits = 280;
  out = Oid();
  std::size_t pos = 0;
  std::size_t arc_index = 0;
  std::uint32_t first_arc = 0;
  while (true) {
    std::size_t end = pos;
    while (end < dotted.size() && dotted[end] != '.') ++end;
    const std::string_view arc = dotted.substr(pos, end - pos);
    if (arc.empty()) return "empty arc";
    if (arc.size() > kMaxDigits) return "arc too large";
    if (arc.size() > 1 && arc[0] == '0') return "arc with leading zero";
    // Decimal digits, right-aligned so that adding first_arc * 40 can grow to the left.
    std::array<std::uint8_t, kMaxDigits + 3> dec{};
    std::size_t start = dec.size() - arc.size();
    for (std::size_t i = 0; i < arc.size(); ++i) {
      if (arc[i] < '0' || arc[i] > '9') return "arc is not a decimal number";
      dec[start + i] = static_cast<std::uint8_t>(arc[i] - '0');
    }
    if (arc_index == 0) {
      if (arc.size() != 1 || dec[start] > 2) return "first arc must be 0, 1 or 2";
      first_arc = dec[start];
    } else {
      if (arc_index == 1) {
        if (first_arc < 2 && (arc.size() > 2 || (arc.size() == 2 && dec[start] > 3)))
          return "second arc must be 0..39 under arcs 0 and 1";
        // X.690 8.19.4: the first subidentifier is first_arc * 40 + second arc.
        std::uint32_t carry = first_arc * 40;
        for (std::size_t i = dec.size(); i-- > 0 && carry != 0;) {
          const std::uint32_t v = dec[i] + carry % 10;
          carry /= 10;
          dec[i] = static_cast<std::uint8_t>(v % 10);
          carry += v / 10;
          if (i < start) start = i;
        }
      }
      // Decimal -> base 128 by repeated division; digits come out least significant first.
      std::array<std::uint8_t, kMaxOidLength + 1> b128{};
      std::size_t nb = 0;
      while (start < dec.size() && dec[start] == 0) ++start;
      if (start == dec.size()) b128[nb++] = 0;
      while (start < dec.size()) {
        std::uint32_t rem = 0;
        for (std::size_t i = start; i < dec.size(); ++i) {
          const std::uint32_t cur = rem * 10 + dec[i];
          dec[i] = static_cast<std::uint8_t>(cur / 128);
          rem = cur % 128;
        }
        if (nb == b128.size()) return "OID too long";
        b128[nb++] = static_cast<std::uint8_t>(rem);
        while (start < dec.size() && dec[start] == 0) ++start;
      }
      if (out.size_ + nb > kMaxOidLength) {
        out = Oid();
        return "OID too long";
      }
      for (std::size_t i = nb; i-- > 0;)
        out.bytes_[out.size_++] = static_cast<std::uint8_t>(b128[i] | (i != 0 ? 0x80 : 0));
    }
    ++arc_index;
    if (end == dotted.size()) break;
    pos = end + 1;
  }
  if (arc_index < 2) {
    out = Oid();
    return "an OID has at least two arcs";
  }
  return nullptr;
}

}  // namespace hpki::der

template <>
struct std::hash<hpki::der::Oid> {
  std::size_t operator()(const hpki::der::Oid& oid) const noexcept;
};
