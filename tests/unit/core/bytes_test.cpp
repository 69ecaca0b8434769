#include "core/bytes.h"

#include <gtest/gtest.h>

namespace hpki {
namespace {

TEST(SecretBytes, MovesAndClears) {
  SecretBytes a(std::string_view("passphrase"));
  EXPECT_EQ(a.as_string_view(), "passphrase");
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is defined empty
  EXPECT_EQ(b.size(), 10u);
  b.truncate(4);
  EXPECT_EQ(b.as_string_view(), "pass");
  b.clear();
  EXPECT_TRUE(b.empty());
}

TEST(Bytes, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal(as_bytes("abc"), as_bytes("abc")));
  EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("abd")));
  EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("ab")));
}

}  // namespace
}  // namespace hpki
