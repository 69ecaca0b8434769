#include "seal/png.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

namespace hpki::seal {
namespace {

constexpr std::array<std::uint8_t, 8> kSignature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

std::uint32_t be32(BytesView b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

// PNG Annex D: CRC-32 (ISO 3309 / ITU-T V.42), polynomial 0xEDB88320 reflected.
std::uint32_t crc32(BytesView data) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFU;
  for (std::uint8_t b : data) c = table[(c ^ b) & 0xFFU] ^ (c >> 8);
  return c ^ 0xFFFFFFFFU;
}

Result<PngInfo> bad(std::string why) { return fail(ErrorCode::kMalformed, "PNG: " + why); }

// PNG 11.2.2 Table 11.1: allowed bit depths per colour type.
bool depth_allowed(std::uint8_t color, std::uint8_t depth) {
  switch (color) {
    case 0:
      return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case 3:
      return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2:
    case 4:
    case 6:
      return depth == 8 || depth == 16;
    default:
      return false;
  }
}

}  // namespace

Result<PngInfo> check_png(BytesView data) {
  if (data.size() > kMaxImageSize) return fail(ErrorCode::kTooLarge, "image larger than 1 MiB");
  // PNG 5.2: the signature.
  if (data.size() < kSignature.size() ||
      !std::equal(kSignature.begin(), kSignature.end(), data.begin())) {
    return bad("no PNG signature");
  }
  PngInfo info;
  bool seen_idat = false;
  bool seen_iend = false;
  std::size_t pos = kSignature.size();
  for (int index = 0; pos < data.size(); ++index) {
    if (seen_iend) return bad("data after IEND");
    if (data.size() - pos < 12) return bad("truncated chunk");
    const std::uint32_t length = be32(data, pos);
    if (length > data.size() - pos - 12) return bad("chunk length beyond the data");
    const BytesView type = data.subspan(pos + 4, 4);
    const std::string_view name(reinterpret_cast<const char*>(type.data()), 4);
    for (char c : name) {
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return bad("bad chunk type");
    }
    const BytesView body = data.subspan(pos + 8, length);
    if (crc32(data.subspan(pos + 4, length + 4)) != be32(data, pos + 8 + length)) {
      return bad("CRC mismatch in chunk " + std::string(name));
    }
    if (index == 0) {
      // PNG 11.2.2: IHDR first, 13 bytes.
      if (name != "IHDR" || length != 13) return bad("the first chunk is not a 13-byte IHDR");
      info.width = be32(body, 0);
      info.height = be32(body, 4);
      info.bit_depth = body[8];
      info.color_type = body[9];
      if (info.width == 0 || info.height == 0 || info.width > kMaxImageDimension ||
          info.height > kMaxImageDimension) {
        return bad("width or height out of range (1.." + std::to_string(kMaxImageDimension) + ")");
      }
      if (!depth_allowed(info.color_type, info.bit_depth))
        return bad("bad bit depth / colour type");
      if (body[10] != 0 || body[11] != 0 || body[12] > 1) {
        return bad("unknown compression, filter or interlace method");
      }
    } else if (name == "IHDR") {
      return bad("a second IHDR");
    } else if (name == "IDAT") {
      seen_idat = true;
    } else if (name == "IEND") {
      seen_iend = true;
    }
    pos += 12 + length;
  }
  if (!seen_iend) return bad("no IEND");
  if (!seen_idat) return bad("no IDAT");
  return info;
}

}  // namespace hpki::seal
