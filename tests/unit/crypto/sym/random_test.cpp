#include "crypto/random.h"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace hpki::crypto {
namespace {

TEST(SystemRandom, FillsAndDiffers) {
  SystemRandom rng;
  Random& r = rng;  // used through the injected interface
  std::set<std::array<std::uint8_t, 32>> seen;
  for (int i = 0; i < 8; ++i) {
    std::array<std::uint8_t, 32> buf{};
    ASSERT_TRUE(r.fill(buf).has_value());
    seen.insert(buf);
  }
  EXPECT_EQ(seen.size(), 8u);  // 8 draws of 256 bits never collide by chance
  EXPECT_EQ(seen.count(std::array<std::uint8_t, 32>{}), 0u);
  ASSERT_TRUE(r.fill({}).has_value());  // empty span is fine
}

TEST(SystemRandom, RandomBytesSizesAndSpread) {
  for (std::size_t n : {0uz, 1uz, 16uz, 1000uz}) {
    auto b = random_bytes(n);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->size(), n);
  }
  // 64 KiB of CSPRNG output uses every byte value (a stuck or zero generator would not).
  auto big = random_bytes(65536).value();
  std::set<std::uint8_t> values(big.begin(), big.end());
  EXPECT_EQ(values.size(), 256u);
}

}  // namespace
}  // namespace hpki::crypto
