#include "core/encoding.h"

#include <array>
#include <cstdint>

namespace hpki {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::array<std::int8_t, 256> make_table(const char* alphabet) {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}

std::string encode64(BytesView data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v =
        (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

Result<Bytes> decode64(std::string_view text, const std::array<std::int8_t, 256>& table,
                       bool padded, std::string_view what) {
  if (text.size() > kMaxEncodedInput) {
    return fail(ErrorCode::kTooLarge, std::string(what) + ": input exceeds size limit");
  }
  std::size_t data_len = text.size();
  if (padded) {
    if (text.size() % 4 != 0) {
      return fail(ErrorCode::kMalformed, std::string(what) + ": length " +
                                             std::to_string(text.size()) +
                                             " is not a multiple of 4");
    }
    if (data_len > 0 && text[data_len - 1] == '=') --data_len;
    if (data_len > 0 && text[data_len - 1] == '=') --data_len;
    if (text.size() - data_len > 0 && data_len % 4 < 2) {
      return fail(ErrorCode::kMalformed, std::string(what) + ": misplaced padding");
    }
  } else if (data_len % 4 == 1) {
    return fail(ErrorCode::kMalformed, std::string(what) + ": impossible length");
  }
  Bytes out;
  out.reserve(data_len / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < data_len; ++i) {
    std::int8_t v = table[static_cast<unsigned char>(text[i])];
    if (v < 0) {
      return fail(ErrorCode::kMalformed,
                  std::string(what) + ": invalid character at offset " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero (canonical encoding).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return fail(ErrorCode::kMalformed, std::string(what) + ": non-zero padding bits");
  }
  return out;
}

}  // namespace

std::string hex_encode(BytesView data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 15];
  }
  return out;
}

Result<Bytes> hex_decode(std::string_view text) {
  if (text.size() > kMaxEncodedInput)
    return fail(ErrorCode::kTooLarge, "hex: input exceeds size limit");
  if (text.size() % 2 != 0) {
    return fail(ErrorCode::kMalformed,
                "hex: odd number of digits (" + std::to_string(text.size()) + ")");
  }
  Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(text[2 * i]);
    int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return fail(ErrorCode::kMalformed,
                  "hex: invalid digit at offset " + std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string base64_encode(BytesView data) { return encode64(data, kB64, true); }

Result<Bytes> base64_decode(std::string_view text) {
  static const auto table = make_table(kB64);
  return decode64(text, table, true, "base64");
}

std::string base64url_encode(BytesView data) { return encode64(data, kB64Url, false); }

Result<Bytes> base64url_decode(std::string_view text) {
  static const auto table = make_table(kB64Url);
  return decode64(text, table, false, "base64url");
}

}  // namespace hpki
