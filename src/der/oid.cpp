#include "der/oid.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace hpki::der {
namespace {

// Base-128 digits (most significant first) to decimal, for subidentifiers over 63 bits.
std::string base128_to_decimal(std::vector<std::uint8_t> digits) {
  std::string out;
  std::size_t start = 0;
  while (start < digits.size() && digits[start] == 0) ++start;
  if (start == digits.size()) return "0";
  while (start < digits.size()) {
    std::uint32_t rem = 0;
    for (std::size_t i = start; i < digits.size(); ++i) {
      const std::uint32_t cur = rem * 128 + digits[i];
      digits[i] = static_cast<std::uint8_t>(cur / 10);
      rem = cur % 10;
    }
    out.push_back(static_cast<char>('0' + rem));
    while (start < digits.size() && digits[start] == 0) ++start;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

void Oid::invalid_oid_literal() { HPKI_CHECK(false && "invalid OID literal"); }

Result<Oid> Oid::from_der(BytesView content) {
  // X.690 8.19.2: each subidentifier is a base-128 number, minimal (its first octet is never
  // 0x80), with bit 8 set on every octet but the last.
  if (content.empty()) return fail(ErrorCode::kMalformed, "OBJECT IDENTIFIER: empty");
  if (content.size() > kMaxOidLength)
    return fail(ErrorCode::kMalformed,
                "OBJECT IDENTIFIER: longer than " + std::to_string(kMaxOidLength) + " bytes");
  bool at_start = true;
  for (std::uint8_t b : content) {
    if (at_start && b == 0x80)
      return fail(ErrorCode::kMalformed,
                  "OBJECT IDENTIFIER: subidentifier not minimally encoded (leading 0x80)");
    at_start = (b & 0x80) == 0;
  }
  if (!at_start)
    return fail(ErrorCode::kMalformed, "OBJECT IDENTIFIER: truncated last subidentifier");
  Oid oid;
  std::memcpy(oid.bytes_.data(), content.data(), content.size());
  oid.size_ = static_cast<std::uint8_t>(content.size());
  return oid;
}

Result<Oid> Oid::from_string(std::string_view dotted) {
  Oid oid;
  if (const char* err = encode_dotted(dotted, oid); err != nullptr)
    return fail(ErrorCode::kInvalidArgument,
                "OID \"" + std::string(dotted.substr(0, 200)) + "\": " + err);
  return oid;
}

std::string Oid::to_string() const {
  std::string out;
  std::size_t i = 0;
  bool first = true;
  while (i < size_) {
    std::size_t end = i;
    while (end < size_ && (bytes_[end] & 0x80) != 0) ++end;
    ++end;  // include the last octet of the subidentifier
    const std::size_t len = end - i;
    if (len <= 9) {
      std::uint64_t v = 0;
      for (std::size_t k = i; k < end; ++k) v = (v << 7) | (bytes_[k] & 0x7F);
      if (first) {
        // X.690 8.19.4: the first subidentifier packs two arcs as X * 40 + Y.
        const std::uint64_t x = v < 40 ? 0 : (v < 80 ? 1 : 2);
        out += std::to_string(x);
        out += '.';
        out += std::to_string(v - 40 * x);
      } else {
        out += '.';
        out += std::to_string(v);
      }
    } else {
      std::vector<std::uint8_t> digits;
      digits.reserve(len);
      for (std::size_t k = i; k < end; ++k) digits.push_back(bytes_[k] & 0x7F);
      if (first) {
        // More than 63 bits: the first arc is 2 and the second is the value minus 80.
        std::uint32_t borrow = 80;
        for (std::size_t k = digits.size(); k-- > 0 && borrow != 0;) {
          const std::uint32_t sub = borrow % 128;
          borrow /= 128;
          if (digits[k] >= sub) {
            digits[k] = static_cast<std::uint8_t>(digits[k] - sub);
          } else {
            digits[k] = static_cast<std::uint8_t>(digits[k] + 128 - sub);
            ++borrow;
          }
        }
        out += "2.";
      } else {
        out += '.';
      }
      out += base128_to_decimal(std::move(digits));
    }
    first = false;
    i = end;
  }
  return out;
}

bool Oid::starts_with(const Oid& arc) const noexcept {
  // The last octet of arc ends a subidentifier, so a byte prefix is an arc prefix (except the
  // packed first subidentifier, which is compared whole here as well).
  if (arc.size_ == 0 || arc.size_ > size_) return false;
  return std::memcmp(bytes_.data(), arc.bytes_.data(), arc.size_) == 0;
}

std::strong_ordering operator<=>(const Oid& a, const Oid& b) noexcept {
  const int c = std::memcmp(a.bytes_.data(), b.bytes_.data(), std::min(a.size_, b.size_));
  if (c != 0) return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  return a.size_ <=> b.size_;
}

}  // namespace hpki::der

std::size_t std::hash<hpki::der::Oid>::operator()(const hpki::der::Oid& oid) const noexcept {
  // FNV-1a over the content octets.
  std::uint64_t h = 14695981039346656037ULL;
  for (std::uint8_t b : oid.content()) {
    h ^= b;
    h *= 1099511628211ULL;
  }
  return static_cast<std::size_t>(h);
}
