// Seal and handwriting images for signature appearances: PNG decoded with libpng into 8-bit
// RGB plus an 8-bit alpha channel, each compressed with zlib for /FlateDecode. Private to
// src/pdf/.
#pragma once

#include <cstdint>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::pdf::detail {

struct Image {
  std::uint32_t width = 0, height = 0;
  Bytes rgb_flate;    // width * height * 3 bytes, zlib-compressed (ISO 32000-1 7.4.4)
  Bytes alpha_flate;  // width * height bytes, zlib-compressed; empty when fully opaque
};

// Refuses (kInvalidArgument / kTooLarge) anything that is not a PNG, a PNG larger than
// kMaxImageSize bytes or kMaxImageDimension pixels a side, and PNGs libpng cannot decode.
[[nodiscard]] Result<Image> decode_png(BytesView png);

// zlib (RFC 1950) compression of `data`.
[[nodiscard]] Result<Bytes> flate(BytesView data);

}  // namespace hpki::pdf::detail
