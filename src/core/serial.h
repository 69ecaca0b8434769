// Certificate serial numbers (RFC 5280 4.1.2.2): the one conversion between the octets of the
// DER INTEGER, the text hpki stores and shows, and what users and clients type.
//
// A Serial is named by its canonical hex: lowercase, an even number of digits, no leading zero
// octet (the value's minimal unsigned octets; "00" for zero). The store writes that form, the
// API and the CLI show it, and every look-up compares it, so "0A:1B", "0x0a1b" and "a1b" find
// the certificate whose serial octets are 0a 1b.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki {

class Serial {
 public:
  // Larger than RFC 5280's 20 octets: certificates of other issuers are looked up too.
  static constexpr std::size_t kMaxOctets = 64;

  Serial() = default;  // no serial (empty())

  // From the content octets of a DER INTEGER, or an unsigned big-endian magnitude: leading zero
  // octets (a sign octet included) are dropped. kInvalidArgument when empty or longer than
  // kMaxOctets. A negative INTEGER (top bit set, no sign octet) is taken as its octets.
  [[nodiscard]] static Result<Serial> from_octets(BytesView octets);
  // What a person or a client writes: hex digits in any case, an optional "0x", colons between
  // octets ("0A:1B"); an odd number of digits is read with a leading zero. kInvalidArgument
  // with the reason otherwise.
  [[nodiscard]] static Result<Serial> parse(std::string_view text);
  // Only the canonical form (what the store wrote); kMalformed otherwise.
  [[nodiscard]] static Result<Serial> from_canonical(std::string_view hex);

  [[nodiscard]] const std::string& hex() const { return hex_; }
  [[nodiscard]] bool empty() const { return hex_.empty(); }
  // The unsigned magnitude (no sign octet).
  [[nodiscard]] Bytes octets() const;
  // The content octets of the DER INTEGER: the magnitude with a 0x00 sign octet when its top
  // bit is set (X.690 8.3.2).
  [[nodiscard]] Bytes der_content() const;

  friend bool operator==(const Serial&, const Serial&) = default;
  // Numeric order (canonical forms: the shorter is smaller, then digit by digit).
  friend std::strong_ordering operator<=>(const Serial& a, const Serial& b) {
    if (a.hex_.size() != b.hex_.size()) return a.hex_.size() <=> b.hex_.size();
    return a.hex_.compare(b.hex_) <=> 0;
  }

 private:
  explicit Serial(std::string hex) : hex_(std::move(hex)) {}
  std::string hex_;
};

}  // namespace hpki

template <>
struct std::hash<hpki::Serial> {
  std::size_t operator()(const hpki::Serial& s) const noexcept {
    return std::hash<std::string>{}(s.hex());
  }
};
