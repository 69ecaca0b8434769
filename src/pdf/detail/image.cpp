#include "pdf/detail/image.h"

#include <png.h>
#include <zlib.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstring>

#include "pdf/sign.h"

namespace hpki::pdf::detail {

Result<Bytes> flate(BytesView data) {
  uLongf cap = compressBound(static_cast<uLong>(data.size()));
  Bytes out(cap);
  if (compress2(out.data(), &cap, data.data(), static_cast<uLong>(data.size()), 6) != Z_OK) {
    return fail(ErrorCode::kInternal, "zlib compress2 failed");
  }
  out.resize(cap);
  return out;
}

Result<Image> decode_png(BytesView png) {
  if (png.size() > kMaxImageSize) {
    return fail(ErrorCode::kTooLarge,
                fmt::format("image: {} bytes, the limit is {}", png.size(), kMaxImageSize));
  }
  static constexpr std::uint8_t kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (png.size() < 8 || std::memcmp(png.data(), kSig, 8) != 0) {
    return fail(ErrorCode::kInvalidArgument, "image: not a PNG (bad signature)");
  }
  // libpng's simplified API: errors come back as a return value, no longjmp through C++.
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, png.data(), png.size())) {
    std::string msg = img.message;
    png_image_free(&img);
    return fail(ErrorCode::kInvalidArgument, "image: bad PNG: " + msg);
  }
  if (img.width == 0 || img.height == 0 || img.width > kMaxImageDimension ||
      img.height > kMaxImageDimension) {
    png_image_free(&img);
    return fail(ErrorCode::kTooLarge, fmt::format("image: {} x {} pixels, the limit is {} a side",
                                                  img.width, img.height, kMaxImageDimension));
  }
  img.format = PNG_FORMAT_RGBA;
  Bytes rgba(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, rgba.data(), 0, nullptr)) {
    std::string msg = img.message;
    png_image_free(&img);
    return fail(ErrorCode::kInvalidArgument, "image: bad PNG: " + msg);
  }
  std::size_t n = std::size_t{img.width} * img.height;
  Bytes rgb(n * 3), alpha(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::copy_n(rgba.begin() + static_cast<std::ptrdiff_t>(i * 4), 3,
                rgb.begin() + static_cast<std::ptrdiff_t>(i * 3));
    alpha[i] = rgba[i * 4 + 3];
  }
  Image out;
  out.width = img.width;
  out.height = img.height;
  out.rgb_flate = HPKI_TRY(flate(rgb));
  if (std::any_of(alpha.begin(), alpha.end(), [](std::uint8_t a) { return a != 0xFF; })) {
    out.alpha_flate = HPKI_TRY(flate(alpha));
  }
  return out;
}

}  // namespace hpki::pdf::detail
