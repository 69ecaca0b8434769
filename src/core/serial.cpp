#include "core/serial.h"

#include <utility>

#include "core/encoding.h"

namespace hpki {

Result<Serial> Serial::from_octets(BytesView octets) {
  if (octets.empty()) return fail(ErrorCode::kInvalidArgument, "empty serial number");
  std::size_t i = 0;
  while (i + 1 < octets.size() && octets[i] == 0x00) ++i;
  BytesView magnitude = octets.subspan(i);
  if (magnitude.size() > kMaxOctets) {
    return fail(ErrorCode::kInvalidArgument,
                "serial number longer than " + std::to_string(kMaxOctets) + " octets");
  }
  return Serial(hex_encode(magnitude));
}

Result<Serial> Serial::parse(std::string_view text) {
  std::string_view in = text;
  auto refuse = [&](std::string_view why) {
    std::string shown(text.substr(0, 2 * kMaxOctets + 2));
    if (shown.size() < text.size()) shown += "...";
    return fail(ErrorCode::kInvalidArgument,
                "serial '" + shown + "' is not a serial number: " + std::string(why));
  };
  if (in.starts_with("0x") || in.starts_with("0X")) in.remove_prefix(2);
  std::string digits;  // without leading zeros, which do not count towards the length
  bool zero = false;
  for (char c : in) {
    if (c == ':') continue;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return refuse("not hexadecimal");
    if (c == '0' && digits.empty()) {
      zero = true;
      continue;
    }
    if (digits.size() >= 2 * kMaxOctets)
      return refuse("longer than " + std::to_string(kMaxOctets) + " octets");
    digits.push_back(c);
  }
  if (digits.empty() && !zero) return refuse("empty");
  if (digits.empty()) digits = "0";
  if (digits.size() % 2 != 0) digits.insert(digits.begin(), '0');
  auto octets = hex_decode(digits);
  if (!octets) return refuse("not hexadecimal");
  auto s = from_octets(*octets);
  if (!s) return refuse("longer than " + std::to_string(kMaxOctets) + " octets");
  return s;
}

Result<Serial> Serial::from_canonical(std::string_view hex) {
  auto bad = [&] {
    return fail(ErrorCode::kMalformed,
                "stored serial '" + std::string(hex.substr(0, 2 * kMaxOctets)) +
                    "' is not canonical (lowercase hex octets, no leading zero octet)");
  };
  if (hex.empty() || hex.size() % 2 != 0 || hex.size() > 2 * kMaxOctets) return bad();
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return bad();
  }
  if (hex.size() > 2 && hex[0] == '0' && hex[1] == '0') return bad();
  return Serial(std::string(hex));
}

Bytes Serial::octets() const {
  auto b = hex_decode(hex_);
  return b ? std::move(*b) : Bytes{};
}

Bytes Serial::der_content() const {
  Bytes b = octets();
  if (!b.empty() && (b[0] & 0x80) != 0) b.insert(b.begin(), 0x00);
  return b;
}

}  // namespace hpki
