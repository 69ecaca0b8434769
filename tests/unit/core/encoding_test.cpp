#include "core/encoding.h"

#include <gtest/gtest.h>

namespace hpki {
namespace {

TEST(Hex, RoundTripAndStrictness) {
  Bytes b{0x00, 0xab, 0xff};
  EXPECT_EQ(hex_encode(b), "00abff");
  EXPECT_EQ(hex_decode("00ABff").value(), b);
  EXPECT_EQ(hex_decode("").value(), Bytes{});
  auto odd = hex_decode("abc");
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code(), ErrorCode::kMalformed);
  auto bad = hex_decode("0g");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail().find("offset 1"), std::string::npos);
  EXPECT_FALSE(hex_decode("0x00"));
  EXPECT_FALSE(hex_decode("00 11"));
}

// RFC 4648 section 10 test vectors.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> v[] = {{"", ""},
                                                   {"f", "Zg=="},
                                                   {"fo", "Zm8="},
                                                   {"foo", "Zm9v"},
                                                   {"foob", "Zm9vYg=="},
                                                   {"fooba", "Zm9vYmE="},
                                                   {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : v) {
    EXPECT_EQ(base64_encode(as_bytes(plain)), enc);
    EXPECT_EQ(base64_decode(enc).value(), to_bytes(plain)) << enc;
  }
}

TEST(Base64, RejectsNonCanonical) {
  EXPECT_FALSE(base64_decode("Zg="));       // bad length
  EXPECT_FALSE(base64_decode("Zh=="));      // non-zero pad bits
  EXPECT_FALSE(base64_decode("Zm9v\n"));    // whitespace
  EXPECT_FALSE(base64_decode("Z==="));      // too much padding
  EXPECT_FALSE(base64_decode("=Zm9"));      // padding first
  EXPECT_FALSE(base64_decode("Zm-v"));      // URL alphabet in standard base64
  EXPECT_FALSE(base64_decode("Zg==Zg=="));  // padding in the middle
}

TEST(Base64Url, NoPadding) {
  Bytes b{0xfb, 0xff};
  EXPECT_EQ(base64url_encode(b), "-_8");
  EXPECT_EQ(base64url_decode("-_8").value(), b);
  EXPECT_FALSE(base64url_decode("-_8="));
  EXPECT_FALSE(base64url_decode("A"));
  EXPECT_FALSE(base64url_decode("+/8"));
}

}  // namespace
}  // namespace hpki
