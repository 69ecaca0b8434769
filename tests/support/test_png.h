// PNG images for the tests of seals and PDF appearances (libpng's simplified API; the tests
// that include this link libpng through hpki_pdf).
#pragma once

#include <gtest/gtest.h>
#include <png.h>

#include <cstdint>
#include <cstring>

#include "core/bytes.h"

namespace hpki::test {

// A w x h RGBA PNG: a red disc on a transparent background (a seal, a doctor's "handwriting").
inline Bytes red_disc_png(std::uint32_t w, std::uint32_t h) {
  Bytes rgba(std::size_t{w} * h * 4, 0);
  for (std::uint32_t y = 0; y < h; ++y) {
    for (std::uint32_t x = 0; x < w; ++x) {
      const double dx = (x + 0.5) / w - 0.5, dy = (y + 0.5) / h - 0.5;
      if (dx * dx + dy * dy <= 0.25) {
        std::uint8_t* px = &rgba[(std::size_t{y} * w + x) * 4];
        px[0] = 0xE0;
        px[3] = 0xFF;
      }
    }
  }
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = w;
  img.height = h;
  img.format = PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_to_memory(&img, nullptr, &size, 0, rgba.data(), 0, nullptr));
  Bytes out(size);
  EXPECT_TRUE(png_image_write_to_memory(&img, out.data(), &size, 0, rgba.data(), 0, nullptr));
  out.resize(size);
  return out;
}

}  // namespace hpki::test
