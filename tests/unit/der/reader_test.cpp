#include "der/reader.h"

#include <gtest/gtest.h>

#include "der/oids.h"
#include "test_util.h"

namespace hpki::der {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;
using test::hex;

// Every negative case must be kMalformed with an offset in the detail.
void expect_malformed(const Result<void>& r, std::string_view needle) {
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kMalformed) << r.error().to_string();
  EXPECT_NE(r.error().detail().find(needle), std::string::npos) << r.error().detail();
  EXPECT_NE(r.error().detail().find("offset"), std::string::npos) << r.error().detail();
}

template <typename T>
Result<void> discard(Result<T> r) {
  if (!r) return fail(std::move(r).error());
  return {};
}

Time at(std::chrono::year_month_day d, std::chrono::seconds s = 0s) {
  return Time{sys_days{d}} + s;
}

TEST(Reader, TlvAndSubReaders) {
  // SEQUENCE { INTEGER 5, [0] { BOOLEAN TRUE }, OCTET STRING 01 02 }
  const Bytes der = hex("300C 020105 A003 0101FF 04020102");
  Reader top(der);
  Reader seq = top.read_sequence().value();
  EXPECT_TRUE(top.at_end());
  ASSERT_TRUE(top.expect_end().has_value());
  EXPECT_EQ(seq.depth(), 1u);
  EXPECT_EQ(seq.offset(), 2u);
  EXPECT_EQ(seq.peek_tag().value(), kInteger);
  EXPECT_TRUE(seq.peek_is(kInteger));
  EXPECT_EQ(seq.read_int64().value(), 5);
  EXPECT_FALSE(seq.read_optional(Tag::context_constructed(1)).value().has_value());
  auto ctx = seq.read_optional_explicit(0).value();
  ASSERT_TRUE(ctx.has_value());
  EXPECT_TRUE(ctx->read_boolean().value());
  EXPECT_TRUE(ctx->expect_end().has_value());
  const Element os = seq.read_tlv().value();
  EXPECT_EQ(os.tag, kOctetString);
  EXPECT_EQ(os.offset, 10u);
  EXPECT_EQ(Bytes(os.value.begin(), os.value.end()), hex("0102"));
  EXPECT_EQ(Bytes(os.encoded.begin(), os.encoded.end()), hex("04020102"));
  EXPECT_TRUE(seq.at_end());
  EXPECT_FALSE(seq.read_optional(kInteger).value().has_value());
}

TEST(Reader, FailedReadDoesNotConsume) {
  const Bytes der = hex("0101FF");
  Reader r(der);
  EXPECT_FALSE(r.read_integer().has_value());
  EXPECT_EQ(r.offset(), 0u);
  EXPECT_TRUE(r.read_boolean().value());
  // A decoder failure leaves the reader in place too.
  const Bytes bad = hex("020200010101FF");
  Reader r2(bad);
  EXPECT_FALSE(r2.read_integer().has_value());
  EXPECT_EQ(r2.offset(), 0u);
  EXPECT_TRUE(r2.read_tlv().has_value());
}

TEST(Reader, Integers) {
  struct Case {
    const char* der;
    std::int64_t value;
  };
  for (const Case& c :
       {Case{"020100", 0}, Case{"02017F", 127}, Case{"02020080", 128}, Case{"020180", -128},
        Case{"0202FF7F", -129}, Case{"02020100", 256}, Case{"02087FFFFFFFFFFFFFFF", INT64_MAX},
        Case{"02088000000000000000", INT64_MIN}}) {
    const Bytes der = hex(c.der);
    Reader r(der);
    EXPECT_EQ(r.read_int64().value(), c.value) << c.der;
  }
  const Bytes u64 = hex("020900FFFFFFFFFFFFFFFF");
  EXPECT_EQ(Reader(u64).read_uint64().value(), UINT64_MAX);
  EXPECT_FALSE(Reader(u64).read_int64().has_value());
  const Bytes neg = hex("0201FF");
  EXPECT_FALSE(Reader(neg).read_uint64().has_value());
  const Bytes big = hex("020A01000000000000000000");
  EXPECT_FALSE(Reader(big).read_uint64().has_value());

  const Bytes serial = hex("0209008EDE7F4A2B3C4D5E6F");
  const BytesView v = Reader(serial).read_integer().value();
  EXPECT_TRUE(integer_is_positive(v));
  EXPECT_FALSE(integer_is_negative(v));
  EXPECT_EQ(integer_magnitude(v).value().size(), 8u);
  EXPECT_FALSE(integer_is_positive(hex("00")));
  EXPECT_FALSE(integer_is_positive(hex("80")));
  EXPECT_TRUE(integer_is_negative(hex("80")));
  EXPECT_TRUE(integer_magnitude(hex("00")).value().empty());
  EXPECT_FALSE(integer_magnitude(hex("FF")).has_value());
  // ENUMERATED and IMPLICIT tags go through the same decoder.
  const Bytes en = hex("0A0101 800102");
  Reader r(en);
  EXPECT_EQ(r.read_enumerated().value(), 1);
  EXPECT_EQ(r.read_int64(Tag::context(0)).value(), 2);
}

TEST(Reader, IntegerMustBeMinimal) {
  // X.690 8.3.2
  const Bytes zeros = hex("02020001");
  expect_malformed(discard(Reader(zeros).read_integer()), "leading 0x00");
  const Bytes ones = hex("0202FF80");
  expect_malformed(discard(Reader(ones).read_integer()), "leading 0xFF");
  const Bytes empty = hex("0200");
  expect_malformed(discard(Reader(empty).read_integer()), "empty");
}

TEST(Reader, BooleanNullOid) {
  const Bytes der = hex("010100 0101FF 0500 06092A864886F70D01010B");
  Reader r(der);
  EXPECT_FALSE(r.read_boolean().value());
  EXPECT_TRUE(r.read_boolean().value());
  EXPECT_TRUE(r.read_null().has_value());
  EXPECT_EQ(r.read_oid().value(), oids::kSha256WithRsaEncryption);
  EXPECT_TRUE(r.expect_end().has_value());
}

TEST(Reader, BooleanMustBe00OrFF) {
  // X.690 11.1
  const Bytes one = hex("010101");
  expect_malformed(discard(Reader(one).read_boolean()), "0x00 or 0xFF");
  const Bytes two = hex("01020000");
  expect_malformed(discard(Reader(two).read_boolean()), "length");
  const Bytes null = hex("050100");
  expect_malformed(discard(Reader(null).read_null()), "NULL");
}

TEST(Reader, OidNonMinimalSubidentifier) {
  // X.690 8.19.2: 0x80 as the first octet of a subidentifier.
  const Bytes der = hex("06072A8086F70D0101");
  expect_malformed(discard(Reader(der).read_oid()), "0x80");
  const Bytes trunc = hex("06022A86");
  expect_malformed(discard(Reader(trunc).read_oid()), "truncated");
}

TEST(Reader, BitStrings) {
  const Bytes der = hex("03020780 030100 03020640");
  Reader r(der);
  const BitString ku = r.read_bit_string().value();
  EXPECT_EQ(ku.unused_bits, 7);
  EXPECT_EQ(ku.bit_count(), 1u);
  EXPECT_TRUE(ku.bit(0));
  EXPECT_FALSE(ku.bit(1));
  EXPECT_EQ(ku.to_flags().value(), 1u);
  const BitString empty = r.read_bit_string().value();
  EXPECT_EQ(empty.bit_count(), 0u);
  EXPECT_EQ(empty.to_flags().value(), 0u);
  const BitString b = r.read_bit_string().value();
  EXPECT_TRUE(b.bit(1));
  EXPECT_EQ(b.to_flags().value(), 2u);
  const Bytes wide = hex("030600000000 0080");
  EXPECT_FALSE(Reader(wide).read_bit_string().value().to_flags().has_value());
}

TEST(Reader, BitStringRules) {
  // X.690 11.2.1: unused bits must be zero.
  const Bytes nonzero = hex("030207C0");
  expect_malformed(discard(Reader(nonzero).read_bit_string()), "unused bits are not zero");
  const Bytes eight = hex("03020800");
  expect_malformed(discard(Reader(eight).read_bit_string()), "more than 7");
  const Bytes none = hex("030107");
  expect_malformed(discard(Reader(none).read_bit_string()), "without any content");
  const Bytes missing = hex("0300");
  expect_malformed(discard(Reader(missing).read_bit_string()), "initial octet");
  // DER forbids the constructed form of strings: a constructed BIT STRING is a different tag.
  const Bytes constructed = hex("2304 03020780");
  expect_malformed(discard(Reader(constructed).read_bit_string()), "found BIT STRING constructed");
}

TEST(Reader, Strings) {
  const Bytes good =
      hex("0C06E4B8ADE69687 130948656C6C6F2C202831 16056140622E63 1E044E2D0065 1403E9FC41 "
          "1C080001F60000000041 1A0420417E7A 120431203233");
  Reader r(good);
  EXPECT_EQ(r.read_utf8_string().value(), "中文");
  EXPECT_EQ(r.read_printable_string().value(), "Hello, (1");
  EXPECT_EQ(r.read_ia5_string().value(), "a@b.c");
  EXPECT_EQ(r.read_bmp_string().value(), "中e");
  EXPECT_EQ(r.read_teletex_string().value(),
            "\xC3\xA9\xC3\xBC"
            "A");
  EXPECT_EQ(r.read_universal_string().value(),
            "\xF0\x9F\x98\x80"
            "A");
  EXPECT_EQ(r.read_visible_string().value(), " A~z");
  EXPECT_EQ(r.read_numeric_string().value(), "1 23");
  EXPECT_TRUE(r.expect_end().has_value());
}

TEST(Reader, AnyString) {
  const Bytes der = hex("13024142 0C024344 1E020045 0500");
  Reader r(der);
  auto a = r.read_any_string().value();
  EXPECT_EQ(a.tag, kPrintableString);
  EXPECT_EQ(a.utf8, "AB");
  EXPECT_EQ(r.read_any_string().value().utf8, "CD");
  EXPECT_EQ(r.read_any_string().value().utf8, "E");
  expect_malformed(discard(r.read_any_string()), "character string");
}

TEST(Reader, StringRules) {
  const Bytes at = hex("1303614062");  // PrintableString "a@b"
  expect_malformed(discard(Reader(at).read_printable_string()), "not allowed at index 1");
  const Bytes star = hex("13012A");
  expect_malformed(discard(Reader(star).read_printable_string()), "PrintableString");
  for (const char* bad :
       {"0C01FF", "0C02C0AF", "0C03EDA080", "0C04F4900000", "0C02E4B8", "0C0180"}) {
    const Bytes der = hex(bad);
    expect_malformed(discard(Reader(der).read_utf8_string()), "invalid UTF-8");
  }
  const Bytes ia5 = hex("160180");
  expect_malformed(discard(Reader(ia5).read_ia5_string()), "non-ASCII");
  const Bytes odd = hex("1E03004100");
  expect_malformed(discard(Reader(odd).read_bmp_string()), "multiple of 2");
  const Bytes surrogate = hex("1E02D800");
  expect_malformed(discard(Reader(surrogate).read_bmp_string()), "invalid character");
  const Bytes too_big = hex("1C0400110000");
  expect_malformed(discard(Reader(too_big).read_universal_string()), "invalid character");
  const Bytes vis = hex("1A0109");
  expect_malformed(discard(Reader(vis).read_visible_string()), "VisibleString");
  const Bytes num = hex("120141");
  expect_malformed(discard(Reader(num).read_numeric_string()), "NumericString");
}

TEST(Reader, Times) {
  using namespace std::chrono;
  struct Case {
    const char* text;
    bool utc;
    Time expected;
  };
  const Case cases[] = {
      {"500101000000Z", true, at(1950y / 1 / 1)},
      {"491231235959Z", true, at(2049y / 12 / 31, 23h + 59min + 59s)},
      {"700101000000Z", true, Time{}},
      {"000229120000Z", true, at(2000y / 2 / 29, 12h)},
      {"19500101000000Z", false, at(1950y / 1 / 1)},
      {"20500101000000Z", false, at(2050y / 1 / 1)},
      {"99991231235959Z", false, at(9999y / 12 / 31, 23h + 59min + 59s)},
      {"16000229000000Z", false, at(1600y / 2 / 29)},
      {"00000101000000Z", false, at(0y / 1 / 1)},
  };
  for (const Case& c : cases) {
    Bytes der{static_cast<std::uint8_t>(c.utc ? 0x17 : 0x18),
              static_cast<std::uint8_t>(std::string_view(c.text).size())};
    der.insert(der.end(), c.text, c.text + std::string_view(c.text).size());
    EXPECT_EQ(Reader(der).read_time().value(), c.expected) << c.text;
    if (c.utc)
      EXPECT_EQ(Reader(der).read_utc_time().value(), c.expected);
    else
      EXPECT_EQ(Reader(der).read_generalized_time().value(), c.expected);
  }
  const Bytes oct = hex("0400");
  expect_malformed(discard(Reader(oct).read_time()), "UTCTime or GeneralizedTime");
}

TEST(Reader, TimeRules) {
  auto utc = [](std::string_view text) {
    Bytes der{0x17, static_cast<std::uint8_t>(text.size())};
    der.insert(der.end(), text.begin(), text.end());
    return discard(Reader(der).read_utc_time());
  };
  auto gen = [](std::string_view text) {
    Bytes der{0x18, static_cast<std::uint8_t>(text.size())};
    der.insert(der.end(), text.begin(), text.end());
    return discard(Reader(der).read_generalized_time());
  };
  // RFC 5280 4.1.2.5.1 / X.690 11.8
  expect_malformed(utc("5001010000000"), "'Z'");                // no Z
  expect_malformed(utc("500101000000+0100"), "13 characters");  // offset instead of Z
  expect_malformed(utc("5001010000Z"), "13 characters");        // no seconds
  expect_malformed(utc("501301000000Z"), "month");              // month 13
  expect_malformed(utc("500001000000Z"), "month");              // month 0
  expect_malformed(utc("010229000000Z"), "day");                // 2001 is not a leap year
  expect_malformed(utc("500431000000Z"), "day");
  expect_malformed(utc("500101240000Z"), "time of day");
  expect_malformed(utc("500101006000Z"), "time of day");
  expect_malformed(utc("500101000060Z"), "time of day");  // no leap seconds
  expect_malformed(utc("5O0101000000Z"), "non-digit");
  expect_malformed(utc("50010100000 Z"), "non-digit");
  // X.690 11.7: GeneralizedTime without fractional seconds, with Z.
  expect_malformed(gen("20500101000000.5Z"), "15 characters");  // fractional seconds
  expect_malformed(gen("20500101000000.Z"), "15 characters");
  expect_malformed(gen("205001010000000"), "'Z'");
  expect_malformed(gen("20500101000000+0800"), "15 characters");  // offset instead of Z
  expect_malformed(gen("2050010100000Z0"), "non-digit");
  expect_malformed(gen("21000229000000Z"), "day");  // 2100 is not a leap year
  expect_malformed(gen("2050010100000Z"), "15 characters");
}

TEST(Reader, LengthRules) {
  // X.690 10.1: definite length, minimal.
  const Bytes indefinite = hex("3080 020100 0000");
  expect_malformed(discard(Reader(indefinite).read_sequence()), "indefinite length");
  const Bytes long_short = hex("048103 010203");
  expect_malformed(discard(Reader(long_short).read_octet_string()), "below 128");
  const Bytes leading_zero = hex("04820080");
  expect_malformed(discard(Reader(leading_zero).read_tlv()), "leading zero");
  const Bytes beyond = hex("0405 0102");
  expect_malformed(discard(Reader(beyond).read_octet_string()), "exceeds the 2 remaining");
  const Bytes huge = hex("0485FFFFFFFFFF");
  expect_malformed(discard(Reader(huge).read_tlv()), "length too large");
  const Bytes trunc_len = hex("0482 01");
  expect_malformed(discard(Reader(trunc_len).read_tlv()), "truncated length");
  const Bytes no_len = hex("04");
  expect_malformed(discard(Reader(no_len).read_tlv()), "truncated length");
  // A long-form length of 128 and more is fine.
  Bytes ok = hex("048180");
  ok.resize(ok.size() + 128, 0xAB);
  EXPECT_EQ(Reader(ok).read_octet_string().value().size(), 128u);
  Bytes ok2 = hex("04820100");
  ok2.resize(ok2.size() + 256, 0xAB);
  EXPECT_EQ(Reader(ok2).read_octet_string().value().size(), 256u);
}

TEST(Reader, TagRules) {
  const Bytes empty;
  expect_malformed(discard(Reader(empty).read_tlv()), "end of input");
  const Bytes trunc = hex("1F");
  expect_malformed(discard(Reader(trunc).read_tlv()), "truncated tag");
  const Bytes trunc2 = hex("1F81");
  expect_malformed(discard(Reader(trunc2).read_tlv()), "truncated tag");
  // X.690 8.1.2.4.2: high-tag-number form only for numbers >= 31, minimal.
  const Bytes low = hex("1F1E00");
  expect_malformed(discard(Reader(low).read_tlv()), "below 31");
  const Bytes padded = hex("1F801F00");
  expect_malformed(discard(Reader(padded).read_tlv()), "not minimally encoded");
  const Bytes too_big = hex("1F8181818101 00");
  expect_malformed(discard(Reader(too_big).read_tlv()), "too large");
  const Bytes eoc = hex("0000");
  expect_malformed(discard(Reader(eoc).read_tlv()), "end-of-contents");
  // High tag numbers that are valid.
  const Bytes high = hex("9F1F01AA BF8120 00 DFFFFFFF7F00");
  Reader r(high);
  const Element a = r.read_tlv().value();
  EXPECT_EQ(a.tag, Tag::context(31));
  EXPECT_EQ(a.value.size(), 1u);
  const Element b = r.read_tlv().value();
  EXPECT_EQ(b.tag, Tag::context_constructed(160));
  const Element c = r.read_tlv().value();
  EXPECT_EQ(c.tag, (Tag{TagClass::kPrivate, false, kMaxTagNumber}));
  EXPECT_TRUE(r.at_end());
}

TEST(Reader, TagMismatchNamesBoth) {
  const Bytes der = hex("A0030201 01");
  const auto r = Reader(der).read_sequence();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().detail(), "expected SEQUENCE at offset 0: found [0] constructed");
  const Bytes nested = hex("3005 3003 0401FF");
  Reader top(nested);
  Reader s1 = top.read_sequence().value();
  Reader s2 = s1.read_sequence().value();
  const auto i = s2.read_integer();
  ASSERT_FALSE(i.has_value());
  EXPECT_EQ(i.error().detail(), "expected INTEGER at offset 4: found OCTET STRING");
}

TEST(Reader, TrailingData) {
  const Bytes der = hex("020101 00");
  Reader r(der);
  EXPECT_EQ(r.read_int64().value(), 1);
  const auto end = r.expect_end();
  ASSERT_FALSE(end.has_value());
  EXPECT_EQ(end.error().code(), ErrorCode::kTrailingData);
  EXPECT_NE(end.error().detail().find("offset 3"), std::string::npos);
}

TEST(Reader, ImplicitAndExplicit) {
  // [0] IMPLICIT OCTET STRING, [1] IMPLICIT IA5String, [2] EXPLICIT INTEGER,
  // [3] IMPLICIT SEQUENCE { INTEGER 7 }
  const Bytes der = hex("8001AA 8103782E79 A203020109 A303020107");
  Reader r(der);
  EXPECT_EQ(r.read_implicit(0).value().size(), 1u);
  EXPECT_EQ(r.read_ia5_string(Tag::context(1)).value(), "x.y");
  Reader e = r.read_explicit(2).value();
  EXPECT_EQ(e.read_int64().value(), 9);
  EXPECT_TRUE(e.expect_end().has_value());
  Reader s = r.read_constructed(Tag::context_constructed(3)).value();
  EXPECT_EQ(s.read_int64().value(), 7);
  EXPECT_TRUE(r.at_end());
  // A primitive tag cannot open a sub-Reader.
  const Bytes p = hex("8000");
  expect_malformed(discard(Reader(p).read_constructed(Tag::context(0))), "not constructed");
}

TEST(Reader, OptionalReportsMalformedElement) {
  // Next element is [0] but its length runs past the end: an error, not "absent".
  const Bytes der = hex("A005 0201");
  expect_malformed(discard(Reader(der).read_optional(Tag::context_constructed(0))), "exceeds");
  expect_malformed(discard(Reader(der).read_optional_explicit(1)), "exceeds");
}

Bytes nested_sequences(std::size_t depth) {
  Bytes der = hex("0500");
  for (std::size_t i = 0; i < depth; ++i) {
    Bytes outer{0x30};
    if (der.size() < 128) {
      outer.push_back(static_cast<std::uint8_t>(der.size()));
    } else {
      outer.push_back(0x81);
      outer.push_back(static_cast<std::uint8_t>(der.size()));
    }
    outer.insert(outer.end(), der.begin(), der.end());
    der = std::move(outer);
  }
  return der;
}

Result<void> descend(Reader& r) {
  if (r.peek_is(kNull)) return r.read_null();
  Reader inner = HPKI_TRY(r.read_sequence());
  return descend(inner);
}

TEST(Reader, NestingDepthLimit) {
  const Bytes ok = nested_sequences(kMaxDepth);
  Reader r1(ok);
  EXPECT_TRUE(descend(r1).has_value());
  const Bytes deep = nested_sequences(kMaxDepth + 1);
  Reader r2(deep);
  expect_malformed(descend(r2), "nesting deeper than 32");
  // The limit carries across a Reader made over an OCTET STRING content at the parent's depth.
  Reader wrapped(ok, 0, 1);
  expect_malformed(descend(wrapped), "nesting deeper");
}

}  // namespace
}  // namespace hpki::der
