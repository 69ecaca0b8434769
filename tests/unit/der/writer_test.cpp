#include "der/writer.h"

#include <gtest/gtest.h>

#include <random>

#include "der/oids.h"
#include "test_util.h"

namespace hpki::der {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;
using test::hex;

Time at(std::chrono::year_month_day d, std::chrono::seconds s = 0s) {
  return Time{sys_days{d}} + s;
}

TEST(Writer, ExactPrimitiveEncodings) {
  struct Case {
    std::int64_t v;
    const char* der;
  };
  for (const Case& c :
       {Case{0, "020100"}, Case{127, "02017F"}, Case{128, "02020080"}, Case{256, "02020100"},
        Case{-1, "0201FF"}, Case{-128, "020180"}, Case{-129, "0202FF7F"},
        Case{INT64_MAX, "02087FFFFFFFFFFFFFFF"}, Case{INT64_MIN, "02088000000000000000"}}) {
    Writer w;
    w.add_integer(c.v);
    EXPECT_EQ(w.bytes(), hex(c.der)) << c.v;
    EXPECT_EQ(Reader(w.view()).read_int64().value(), c.v);
  }
  Writer w;
  w.add_integer_u64(UINT64_MAX);
  w.add_integer_u64(0);
  w.add_boolean(true);
  w.add_boolean(false);
  w.add_null();
  w.add_oid(oids::kSha256WithRsaEncryption);
  w.add_enumerated(1);
  EXPECT_EQ(w.bytes(), hex("020900FFFFFFFFFFFFFFFF 020100 0101FF 010100 0500 "
                           "06092A864886F70D01010B 0A0101"));
}

TEST(Writer, UnsignedMagnitude) {
  struct Case {
    const char* magnitude;
    const char* der;
  };
  for (const Case& c : {Case{"", "020100"}, Case{"00", "020100"}, Case{"000000", "020100"},
                        Case{"80", "02020080"}, Case{"0080", "02020080"}, Case{"7F", "02017F"},
                        Case{"00007F01", "02027F01"}, Case{"FFFF", "020300FFFF"}}) {
    Writer w;
    w.add_integer_unsigned(hex(c.magnitude));
    EXPECT_EQ(w.bytes(), hex(c.der)) << c.magnitude;
  }
  Writer w;
  ASSERT_TRUE(w.add_integer_bytes(hex("FF7F")).has_value());
  EXPECT_EQ(w.bytes(), hex("0202FF7F"));
  EXPECT_EQ(w.add_integer_bytes(hex("0001")).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(w.add_integer_bytes({}).has_value());
  EXPECT_EQ(w.bytes(), hex("0202FF7F"));  // unchanged on failure
}

TEST(Writer, BitStrings) {
  Writer w;
  ASSERT_TRUE(w.add_bit_string(hex("0A0B")).has_value());
  ASSERT_TRUE(w.add_bit_string(hex("80"), 7).has_value());
  ASSERT_TRUE(w.add_bit_string({}).has_value());
  EXPECT_EQ(w.bytes(), hex("0303000A0B 03020780 030100"));
  EXPECT_FALSE(w.add_bit_string(hex("81"), 1).has_value());  // padding bit set
  EXPECT_FALSE(w.add_bit_string(hex("00"), 8).has_value());
  EXPECT_FALSE(w.add_bit_string({}, 1).has_value());
  // X.690 11.2.2: named bit lists drop trailing zero bits.
  struct Case {
    std::uint32_t flags;
    const char* der;
  };
  // KeyUsage examples: digitalSignature(0) -> 03 02 07 80; keyCertSign(5)|cRLSign(6) ->
  // 03 02 01 06; decipherOnly(8) -> 03 03 07 00 80.
  for (const Case& c :
       {Case{0, "030100"}, Case{1u << 0, "03020780"}, Case{(1u << 5) | (1u << 6), "03020106"},
        Case{1u << 8, "0303070080"}, Case{(1u << 0) | (1u << 8), "0303078080"},
        Case{0x80000000u, "03050000000001"}}) {
    Writer k;
    k.add_named_bit_string(c.flags);
    EXPECT_EQ(k.bytes(), hex(c.der)) << c.flags;
    EXPECT_EQ(Reader(k.view()).read_bit_string().value().to_flags().value(), c.flags);
  }
}

TEST(Writer, Strings) {
  Writer w;
  ASSERT_TRUE(w.add_utf8_string("中文").has_value());
  ASSERT_TRUE(w.add_printable_string("CN").has_value());
  ASSERT_TRUE(w.add_ia5_string("a@b.c").has_value());
  ASSERT_TRUE(w.add_bmp_string("中e").has_value());
  ASSERT_TRUE(w.add_visible_string("A~").has_value());
  ASSERT_TRUE(w.add_numeric_string("12 3").has_value());
  w.add_octet_string(hex("0102"));
  EXPECT_EQ(w.bytes(), hex("0C06E4B8ADE69687 1302434E 16056140622E63 1E044E2D0065 1A02417E "
                           "120431322033 04020102"));
  const std::size_t before = w.size();
  const auto at = w.add_printable_string("a@b");
  ASSERT_FALSE(at.has_value());
  EXPECT_EQ(at.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(w.add_utf8_string("\xC0\xAF").has_value());
  EXPECT_FALSE(w.add_ia5_string("é").has_value());
  EXPECT_FALSE(w.add_bmp_string("\xF0\x9F\x98\x80").has_value());  // outside the BMP
  EXPECT_FALSE(w.add_visible_string("\t").has_value());
  EXPECT_FALSE(w.add_numeric_string("1a").has_value());
  EXPECT_EQ(w.size(), before);
}

TEST(Writer, Times) {
  Writer w;
  ASSERT_TRUE(w.add_utc_time(at(2024y / 3 / 1, 12h + 34min + 56s)).has_value());
  ASSERT_TRUE(w.add_generalized_time(at(2050y / 1 / 1)).has_value());
  EXPECT_EQ(as_string(w.view()),
            "\x17\x0D"
            "240301123456Z"
            "\x18\x0F"
            "20500101000000Z");
  EXPECT_FALSE(w.add_utc_time(at(2050y / 1 / 1)).has_value());
  EXPECT_FALSE(w.add_utc_time(at(1949y / 12 / 31, 23h + 59min + 59s)).has_value());
  EXPECT_FALSE(w.add_generalized_time(at(10000y / 1 / 1)).has_value());
  EXPECT_FALSE(w.add_generalized_time(Time{std::chrono::seconds{INT64_MIN / 2}}).has_value());
  EXPECT_FALSE(w.add_time(Time{std::chrono::seconds{INT64_MAX / 2}}).has_value());
}

TEST(Writer, TimeChoiceFollowsRfc5280) {
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (and before 1950).
  struct Case {
    Time t;
    Tag tag;
  };
  for (const Case& c :
       {Case{at(1950y / 1 / 1), kUtcTime}, Case{at(2049y / 12 / 31, 86399s), kUtcTime},
        Case{at(2050y / 1 / 1), kGeneralizedTime}, Case{at(1949y / 12 / 31), kGeneralizedTime},
        Case{at(9999y / 12 / 31, 86399s), kGeneralizedTime}}) {
    Writer w;
    ASSERT_TRUE(w.add_time(c.t).has_value());
    Reader r(w.view());
    EXPECT_EQ(r.peek_tag().value(), c.tag);
    EXPECT_EQ(r.read_time().value(), c.t);
  }
}

TEST(Writer, TimeRoundTripEveryDayOfSomeYears) {
  for (int year : {1950, 1969, 1970, 2000, 2024, 2049, 2050, 2100, 9999}) {
    Time t = Time{sys_days{std::chrono::year{year} / 1 / 1}} + 3661s;
    for (int d = 0; d < 365; ++d, t += std::chrono::days{1}) {
      Writer w;
      ASSERT_TRUE(w.add_generalized_time(t).has_value());
      if (year >= 1950 && year <= 2049) {
        ASSERT_TRUE(w.add_utc_time(t).has_value());
      }
      Reader r(w.view());
      ASSERT_EQ(r.read_generalized_time().value(), t);
      if (!r.at_end()) {
        ASSERT_EQ(r.read_utc_time().value(), t);
      }
    }
  }
}

TEST(Writer, NestedLengthsFixedUp) {
  // Content sizes around the short/long form boundaries.
  for (std::size_t n : {0u, 1u, 125u, 126u, 127u, 128u, 255u, 256u, 65535u, 65536u, 70000u}) {
    Writer w;
    const Bytes payload(n, 0x5A);
    w.add_sequence([&](Writer& s) {
      s.add_sequence([&](Writer& inner) { inner.add_octet_string(payload); });
      s.add_integer(1);
    });
    Reader top(w.view());
    Reader seq = top.read_sequence().value();
    ASSERT_TRUE(top.expect_end().has_value()) << n;
    Reader inner = seq.read_sequence().value();
    EXPECT_EQ(inner.read_octet_string().value().size(), n);
    EXPECT_EQ(seq.read_int64().value(), 1);
    EXPECT_TRUE(seq.at_end());
  }
  Writer w;
  w.add_sequence([](Writer&) {});
  EXPECT_EQ(w.bytes(), hex("3000"));
  Writer l;
  l.add_octet_string(Bytes(128, 0));
  EXPECT_EQ(Bytes(l.bytes().begin(), l.bytes().begin() + 3), hex("048180"));
  Writer m;
  m.add_octet_string(Bytes(256, 0));
  EXPECT_EQ(Bytes(m.bytes().begin(), m.bytes().begin() + 4), hex("04820100"));
}

TEST(Writer, TagsExplicitImplicitHighNumbers) {
  Writer w;
  w.add_explicit(0, [](Writer& e) { e.add_integer(2); });  // version [0] EXPLICIT v3
  w.add_implicit(1, hex("AA"));
  ASSERT_TRUE(w.add_ia5_string("x.y", Tag::context(2)).has_value());
  w.add_implicit_constructed(3, [](Writer& s) { s.add_boolean(true); });
  w.add_element(Tag::context(31), hex("01"));
  w.add_element(Tag{TagClass::kPrivate, false, kMaxTagNumber}, {});
  w.add_constructed(Tag{TagClass::kApplication, true, 160}, [](Writer&) {});
  EXPECT_EQ(w.bytes(), hex("A003020102 8101AA 8203782E79 A3030101FF 9F1F0101 DF FFFFFF7F 00 "
                           "7F812000"));
  Reader r(w.view());
  while (!r.at_end()) ASSERT_TRUE(r.read_tlv().has_value());
}

TEST(Writer, SetOfIsSorted) {
  // X.690 11.6: SET OF components in ascending order of their encodings.
  Writer w;
  w.add_set_of([](Writer& s) {
    s.add_integer(300);      // 02 02 01 2C
    s.add_integer(5);        // 02 01 05
    s.add_octet_string({});  // 04 00
    s.add_integer(-1);       // 02 01 FF
    s.add_boolean(true);     // 01 01 FF
  });
  EXPECT_EQ(w.bytes(), hex("310F 0101FF 020105 0201FF 0202012C 0400"));
  // SET sorts by tag (X.690 10.3): [0] before [1] even though A0 > 81 as bytes.
  Writer s;
  s.add_set([](Writer& x) {
    x.add_implicit(1, hex("01"));
    x.add_explicit(0, [](Writer& e) { e.add_null(); });
    x.add_integer(1);
  });
  EXPECT_EQ(s.bytes(), hex("310A 020101 A0020500 810101"));
}

TEST(Writer, CallbackErrorsPropagateAndRollBack) {
  Writer w;
  w.add_integer(7);
  const auto r = w.add_sequence([](Writer& s) -> Result<void> {
    s.add_integer(1);
    HPKI_TRY(s.add_explicit(
        0, [](Writer& e) -> Result<void> { return e.add_printable_string("bad@char"); }));
    return {};
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(w.bytes(), hex("020107"));
  const auto ok =
      w.add_sequence([](Writer& s) -> Result<void> { return s.add_printable_string("ok"); });
  EXPECT_TRUE(ok.has_value());
  EXPECT_EQ(w.bytes(), hex("020107 3004 13026F6B"));
}

TEST(Writer, AddRaw) {
  Writer inner;
  inner.add_sequence([](Writer& s) {
    s.add_oid(oids::kEcPublicKey);
    s.add_oid(oids::kSm2);
  });
  Writer w;
  w.add_sequence([&](Writer& s) -> Result<void> { return s.add_raw(inner.view()); }).value();
  Reader r(w.view());
  Reader outer = r.read_sequence().value();
  EXPECT_EQ(outer.read_tlv().value().encoded.size(), inner.size());
  EXPECT_FALSE(w.add_raw(hex("0201")).has_value());       // truncated
  EXPECT_FALSE(w.add_raw(hex("020101 00")).has_value());  // trailing byte
  EXPECT_FALSE(w.add_raw({}).has_value());
  EXPECT_FALSE(w.add_raw(hex("3080 0000")).has_value());  // BER
}

TEST(Writer, TakeEmptiesTheWriter) {
  Writer w;
  w.add_null();
  const Bytes b = w.take();
  EXPECT_EQ(b, hex("0500"));
  EXPECT_EQ(w.size(), 0u);
}

TEST(Writer, RoundTripEveryType) {
  const Oid policy = Oid::from_string("1.2.156.112562.2.1.1.1").value();
  Writer w;
  const Time t = at(2031y / 7 / 4, 1h);
  const Bytes serial = hex("7A3F0011223344556677889900AABBCCDDEEFF01");
  w.add_sequence([&](Writer& s) -> Result<void> {
     s.add_integer(-42);
     s.add_integer_unsigned(serial);
     s.add_boolean(true);
     s.add_null();
     s.add_oid(policy);
     HPKI_TRY(s.add_bit_string(hex("F0"), 4));
     s.add_octet_string(hex("DEADBEEF"));
     HPKI_TRY(s.add_utf8_string("上海市第一人民医院"));
     HPKI_TRY(s.add_printable_string("Shanghai"));
     HPKI_TRY(s.add_ia5_string("doctor@example.cn"));
     HPKI_TRY(s.add_bmp_string("张三"));
     HPKI_TRY(s.add_utc_time(t));
     HPKI_TRY(s.add_generalized_time(t));
     return s.add_set_of([](Writer& set) -> Result<void> {
       HPKI_TRY(set.add_printable_string("b"));
       return set.add_printable_string("a");
     });
   }).value();
  Reader top(w.view());
  Reader s = top.read_sequence().value();
  EXPECT_EQ(s.read_int64().value(), -42);
  const BytesView mag = integer_magnitude(s.read_integer().value()).value();
  EXPECT_EQ(Bytes(mag.begin(), mag.end()), serial);
  EXPECT_TRUE(s.read_boolean().value());
  EXPECT_TRUE(s.read_null().has_value());
  EXPECT_EQ(s.read_oid().value(), policy);
  const BitString bits = s.read_bit_string().value();
  EXPECT_EQ(bits.unused_bits, 4);
  EXPECT_EQ(bits.bit_count(), 4u);
  EXPECT_EQ(Bytes(bits.bytes.begin(), bits.bytes.end()), hex("F0"));
  const BytesView os = s.read_octet_string().value();
  EXPECT_EQ(Bytes(os.begin(), os.end()), hex("DEADBEEF"));
  EXPECT_EQ(s.read_utf8_string().value(), "上海市第一人民医院");
  EXPECT_EQ(s.read_printable_string().value(), "Shanghai");
  EXPECT_EQ(s.read_ia5_string().value(), "doctor@example.cn");
  EXPECT_EQ(s.read_bmp_string().value(), "张三");
  EXPECT_EQ(s.read_time().value(), t);
  EXPECT_EQ(s.read_generalized_time().value(), t);
  Reader set = s.read_set().value();
  EXPECT_EQ(set.read_printable_string().value(), "a");
  EXPECT_EQ(set.read_printable_string().value(), "b");
  EXPECT_TRUE(set.expect_end().has_value());
  EXPECT_TRUE(s.expect_end().has_value());
  EXPECT_TRUE(top.expect_end().has_value());
}

}  // namespace
}  // namespace hpki::der
