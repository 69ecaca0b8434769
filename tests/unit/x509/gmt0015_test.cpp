// GM/T 0015 private extensions: IdentifyCode in both tagging styles (the standard leaves the
// CHOICE tagging open), the 2012 printable identifiers and the 2023 forms, parsed from bytes
// written by hand (not by our encoder) and by the encoder.
#include <gtest/gtest.h>

#include "x509/extensions.h"

namespace hpki::x509 {
namespace {

Bytes with(std::initializer_list<std::uint8_t> prefix, std::string_view s) {
  Bytes b(prefix);
  b.insert(b.end(), s.begin(), s.end());
  return b;
}

TEST(Gmt0015, IdentifyCodeImplicitAndExplicitParse) {
  const std::string id = "310101199001011234";
  // [0] IMPLICIT PrintableString (xipki demo profile style).
  Bytes implicit = with({0x80, 18}, id);
  // [0] EXPLICIT PrintableString.
  Bytes explicit_form = with({0xa0, 20, 0x13, 18}, id);
  for (const auto& der : {implicit, explicit_form}) {
    auto p = parse_identify_code(der);
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_EQ(p->kind, IdentifyCode::Kind::kResidentId);
    EXPECT_EQ(p->value, id);
  }
  EXPECT_EQ(
      encode_identify_code({IdentifyCode::Kind::kResidentId, id}, TagStyle::kImplicit).value(),
      implicit);
  EXPECT_EQ(
      encode_identify_code({IdentifyCode::Kind::kResidentId, id}, TagStyle::kExplicit).value(),
      explicit_form);
}

TEST(Gmt0015, OfficerCardIsUtf8AndPassportPrintable) {
  const std::string officer = "军字第12345号";
  for (auto style : {TagStyle::kImplicit, TagStyle::kExplicit}) {
    auto der = encode_identify_code({IdentifyCode::Kind::kOfficerCard, officer}, style).value();
    auto p = parse_identify_code(der).value();
    EXPECT_EQ(p.kind, IdentifyCode::Kind::kOfficerCard);
    EXPECT_EQ(p.value, officer);
    auto pass =
        parse_identify_code(
            encode_identify_code({IdentifyCode::Kind::kPassport, "E12345678"}, style).value())
            .value();
    EXPECT_EQ(pass.kind, IdentifyCode::Kind::kPassport);
  }
  // A passport number is a PrintableString: Chinese text is refused.
  EXPECT_FALSE(encode_identify_code({IdentifyCode::Kind::kPassport, "护照"}, TagStyle::kImplicit));
}

TEST(Gmt0015, MalformedIdentifyCodeIsRefused) {
  EXPECT_FALSE(parse_identify_code(with({0x83, 2}, "12")));                // no such choice [3]
  EXPECT_FALSE(parse_identify_code(with({0x80, 3}, "12")));                // length beyond input
  EXPECT_FALSE(parse_identify_code(with({0x80, 2}, "1@")));                // '@' not printable
  EXPECT_FALSE(parse_identify_code(with({0x13, 2}, "12")));                // untagged
  EXPECT_FALSE(parse_identify_code(with({0x80, 2, '1', '2', 0x00}, "")));  // trailing data
}

TEST(Gmt0015, PrintableIdentifiersAnd2023Forms) {
  // OrganizationCode / unified social credit code (2012: 1.2.156.10260.4.1.4; 2023:
  // 1.2.156.10260.4.4) and the 2023 resident ID form (1.2.156.10260.4.1.1.1) are bare strings.
  const std::string uscc = "12310000425012345X";
  Bytes der = with({0x13, 18}, uscc);
  EXPECT_EQ(encode_printable_identifier(uscc).value(), der);
  EXPECT_EQ(parse_printable_identifier(der).value(), uscc);
  // Health identifiers may be UTF8String when allowed.
  auto utf8 = encode_printable_identifier("卫健委-001", true).value();
  EXPECT_EQ(utf8[0], 0x0c);
  EXPECT_EQ(parse_printable_identifier(utf8).value(), "卫健委-001");
  EXPECT_FALSE(encode_printable_identifier("卫健委-001", false));
}

}  // namespace
}  // namespace hpki::x509
