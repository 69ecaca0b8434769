#include "core/serial.h"

#include <gtest/gtest.h>

#include <string>

namespace hpki {
namespace {

// RFC 5280 4.1.2.2: a positive INTEGER; hpki names it by its minimal unsigned octets in hex.
TEST(Serial, ParseAcceptsWhatPeopleWrite) {
  for (const char* text :
       {"0a1b", "0A1B", "0x0a1b", "0X0A1B", "0A:1B", "a1b", "00:0a:1b", "000a1b"}) {
    auto s = Serial::parse(text);
    ASSERT_TRUE(s) << text << ": " << s.error().detail();
    EXPECT_EQ(s->hex(), "0a1b") << text;
  }
  EXPECT_EQ(Serial::parse("0")->hex(), "00");
  EXPECT_EQ(Serial::parse("00:00")->hex(), "00");
  EXPECT_EQ(Serial::parse("ff")->hex(), "ff");
}

TEST(Serial, ParseRefusesWithTheReason) {
  for (const char* text : {"", "0x", ":", "0g", "12 34", "-1", "+1", "0a\n"}) {
    auto s = Serial::parse(text);
    ASSERT_FALSE(s) << text;
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument) << text;
    EXPECT_NE(s.error().detail().find("not a serial number"), std::string::npos);
  }
  EXPECT_TRUE(Serial::parse(std::string(2 * Serial::kMaxOctets, 'a')));
  auto too_long = Serial::parse(std::string(2 * Serial::kMaxOctets + 2, 'a'));
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().detail().find("long"), std::string::npos);
  // Leading zero octets do not count towards the length.
  EXPECT_TRUE(Serial::parse("0000" + std::string(2 * Serial::kMaxOctets, 'a')));
  // A huge input is refused without echoing all of it.
  auto huge = Serial::parse(std::string(100000, 'z'));
  ASSERT_FALSE(huge);
  EXPECT_LT(huge.error().detail().size(), 400u);
}

// X.690 8.3.2: the content octets of a positive INTEGER whose top bit is set start with 0x00.
TEST(Serial, OctetsAndDerContent) {
  auto high = Serial::from_octets(Bytes{0x00, 0x80, 0x01}).value();
  EXPECT_EQ(high.hex(), "8001");
  EXPECT_EQ(high.octets(), (Bytes{0x80, 0x01}));
  EXPECT_EQ(high.der_content(), (Bytes{0x00, 0x80, 0x01}));
  auto low = Serial::from_octets(Bytes{0x00, 0x00, 0x7f}).value();
  EXPECT_EQ(low.hex(), "7f");
  EXPECT_EQ(low.der_content(), (Bytes{0x7f}));
  EXPECT_EQ(Serial::from_octets(Bytes{0x00}).value().hex(), "00");
  EXPECT_EQ(Serial::from_octets(Bytes{0x00}).value().der_content(), (Bytes{0x00}));
  EXPECT_FALSE(Serial::from_octets(Bytes{}));
  EXPECT_FALSE(Serial::from_octets(Bytes(Serial::kMaxOctets + 1, 0x01)));
  EXPECT_TRUE(Serial::from_octets(Bytes(Serial::kMaxOctets, 0x01)));
}

TEST(Serial, CanonicalOnlyFromTheStore) {
  EXPECT_EQ(Serial::from_canonical("0a1b").value().hex(), "0a1b");
  EXPECT_EQ(Serial::from_canonical("00").value().hex(), "00");
  for (const char* bad : {"", "a1b", "0A1B", "000a", "0a:1b", "0x0a", "zz"}) {
    auto s = Serial::from_canonical(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code(), ErrorCode::kMalformed) << bad;
  }
}

TEST(Serial, OrderIsNumeric) {
  auto s = [](const char* t) { return Serial::parse(t).value(); };
  EXPECT_LT(s("ff"), s("0100"));
  EXPECT_LT(s("01"), s("02"));
  EXPECT_EQ(s("0x00ff"), s("ff"));
  EXPECT_TRUE(Serial{}.empty());
  EXPECT_FALSE(s("01").empty());
}

}  // namespace
}  // namespace hpki
