// PNG checks for seal and handwriting images (docs/seals.md): what hpki accepts before it
// stores an image or puts it into a GB/T 38540 SES_ESPictureInfo.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::seal {

// Seal images are small stamps: 1 MiB at most, 4096 x 4096 pixels at most.
inline constexpr std::size_t kMaxImageSize = 1024 * 1024;
inline constexpr std::uint32_t kMaxImageDimension = 4096;

struct PngInfo {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint8_t bit_depth = 0;
  std::uint8_t color_type = 0;
};

// Checks that `data` is a PNG (ISO/IEC 15948 / PNG 2nd ed.): the 8-byte signature, IHDR first
// with length 13, a width and height of 1..kMaxImageDimension, a bit depth allowed for its
// colour type, compression / filter method 0, interlace 0 or 1; then every chunk's length within
// the data and its CRC-32 correct, at least one IDAT, and IEND last with nothing after it.
// The pixel data is not inflated. kTooLarge beyond kMaxImageSize, kMalformed otherwise.
[[nodiscard]] Result<PngInfo> check_png(BytesView data);

}  // namespace hpki::seal
