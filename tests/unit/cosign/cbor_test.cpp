// The strict CBOR decoder of src/cosign/detail/cbor.h (RFC 8949): what it accepts (with
// RFC 8949 Appendix A examples) and the precise kMalformed errors for everything else.
#include "cosign/detail/cbor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "core/encoding.h"

namespace hpki::cosign::cbor {
namespace {

Bytes hex(std::string_view h) {
  auto b = hex_decode(h);
  EXPECT_TRUE(b.has_value()) << h;
  return b.value_or(Bytes{});
}

Result<Value> dec(std::string_view h, const Limits& limits = {}) { return decode(hex(h), limits); }

// The decoder refuses `h` with `code` and a detail containing `what`.
void expect_refused(std::string_view h, std::string_view what,
                    ErrorCode code = ErrorCode::kMalformed, const Limits& limits = {}) {
  auto r = dec(h, limits);
  ASSERT_FALSE(r.has_value()) << h << " was accepted";
  EXPECT_EQ(r.error().code(), code) << h << ": " << r.error().to_string();
  EXPECT_NE(r.error().detail().find(what), std::string::npos)
      << h << ": " << r.error().detail() << " (expected \"" << what << "\")";
}

// RFC 8949 Appendix A: integers, including the extremes of the 64-bit argument.
TEST(Cbor, Integers) {
  struct Case {
    std::string_view hex;
    Type type;
    std::uint64_t arg;
    std::optional<std::int64_t> value;
  };
  const Case cases[] = {
      {"00", Type::kUnsigned, 0, 0},
      {"17", Type::kUnsigned, 23, 23},
      {"1818", Type::kUnsigned, 24, 24},
      {"1903e8", Type::kUnsigned, 1000, 1000},
      {"1a000f4240", Type::kUnsigned, 1000000, 1000000},
      {"1b000000e8d4a51000", Type::kUnsigned, 1000000000000, 1000000000000},
      {"1b7fffffffffffffff", Type::kUnsigned, 0x7fffffffffffffff, INT64_MAX},
      {"1bffffffffffffffff", Type::kUnsigned, 0xffffffffffffffff, std::nullopt},
      {"20", Type::kNegative, 0, -1},
      {"26", Type::kNegative, 6, -7},  // COSE ES256
      {"3863", Type::kNegative, 99, -100},
      {"3b7fffffffffffffff", Type::kNegative, 0x7fffffffffffffff, INT64_MIN},
      {"3bffffffffffffffff", Type::kNegative, 0xffffffffffffffff, std::nullopt},
  };
  for (const auto& c : cases) {
    auto v = dec(c.hex);
    ASSERT_TRUE(v.has_value()) << c.hex << ": " << v.error().to_string();
    EXPECT_EQ(v->type(), c.type) << c.hex;
    EXPECT_EQ(v->argument(), c.arg) << c.hex;
    EXPECT_EQ(v->as_int(), c.value) << c.hex;
  }
}

// Preferred serialization is not required: a non-minimal head decodes to the same value.
TEST(Cbor, NonMinimalHeadsAreAccepted) {
  auto v = dec("1800");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->as_int(), 0);
  auto s = dec("5900026869");  // bytes(2) with a two-byte length
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->bytes().size(), 2u);
}

TEST(Cbor, StringsArraysMapsSimple) {
  auto b = dec("4401020304");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->type(), Type::kBytes);
  EXPECT_EQ(Bytes(b->bytes().begin(), b->bytes().end()), (Bytes{1, 2, 3, 4}));

  auto t = dec("62c3bc");  // "ü"
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->type(), Type::kText);
  EXPECT_EQ(t->text(), "\xc3\xbc");

  auto e = dec("60");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->text(), "");

  auto a = dec("8301820203820405");  // [1, [2, 3], [4, 5]]
  ASSERT_TRUE(a.has_value());
  ASSERT_EQ(a->array().size(), 3u);
  EXPECT_EQ(a->array()[1].array()[1].as_int(), 3);

  // {1: 2, 3: -7, "fmt": "none"}
  auto m =
      dec("a2010203266366"
          "6d74"
          "646e6f6e65");
  ASSERT_FALSE(m.has_value());  // the map claims 2 entries but holds 3: trailing data
  EXPECT_EQ(m.error().code(), ErrorCode::kTrailingData);
  m = dec("a30102032663666d74646e6f6e65");
  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  EXPECT_EQ(m->map().size(), 3u);
  ASSERT_NE(m->find(3), nullptr);
  EXPECT_EQ(m->find(3)->as_int(), -7);
  ASSERT_NE(m->find("fmt"), nullptr);
  EXPECT_EQ(m->find("fmt")->text(), "none");
  EXPECT_EQ(m->find(4), nullptr);
  EXPECT_EQ(m->find("x"), nullptr);

  auto f = dec("f4");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->type(), Type::kBool);
  EXPECT_FALSE(f->boolean());
  auto tr = dec("f5");
  ASSERT_TRUE(tr.has_value());
  EXPECT_TRUE(tr->boolean());
  auto n = dec("f6");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->type(), Type::kNull);
}

TEST(Cbor, EncodeDecodeRoundTrip) {
  Value::Map entries;
  entries.emplace_back(Value::make_unsigned(1), Value::make_unsigned(2));
  entries.emplace_back(Value::make_negative(0), Value::make_unsigned(1));
  entries.emplace_back(Value::make_text("x5c"),
                       Value::make_array({Value::make_bytes(Bytes(300, 0xab)),
                                          Value::make_bool(true), Value::make_null()}));
  entries.emplace_back(Value::make_negative(0xffffffffffffffff),
                       Value::make_unsigned(0x1234567890));
  const Value v = Value::make_map(std::move(entries));
  const Bytes enc = encode(v);
  auto back = decode(enc);
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(*back, v);
  EXPECT_EQ(encode(*back), enc);
}

// RFC 8949 3.2: indefinite lengths (additional information 31) are refused for every major
// type that allows them, and a lone "break".
TEST(Cbor, IndefiniteLengthRefused) {
  expect_refused("5f42010243030405ff", "offset 0: indefinite length");          // bytes
  expect_refused("7f657374726561646d696e67ff", "offset 0: indefinite length");  // text
  expect_refused("9f018202039f0405ffff", "offset 0: indefinite length");        // array
  expect_refused("bf61610161629f0203ffff", "offset 0: indefinite length");      // map
  expect_refused(
      "8201"
      "9fff",
      "offset 2: indefinite length");  // nested
  expect_refused("ff", "unexpected 'break'");
}

TEST(Cbor, TruncatedRefused) {
  expect_refused("", "truncated: a data item was expected");
  expect_refused("18", "truncated: the head's argument is cut off");
  expect_refused("1a0000", "truncated: the head's argument is cut off");
  expect_refused("44010203", "truncated: a string of 4 bytes, 3 left");
  expect_refused("6361", "truncated: a string of 3 bytes, 1 left");
  expect_refused("830102", "truncated: array of 3 entries");
  expect_refused("a2010203", "truncated: map of 2 entries");
  // A length near 2^64 must be refused before anything is allocated for it.
  expect_refused("5bffffffffffffffff00", "truncated: a string of 18446744073709551615 bytes");
  expect_refused("9bffffffffffffffff00", "truncated: array of 18446744073709551615 entries");
  expect_refused("bbffffffffffffffff00", "truncated: map of 18446744073709551615 entries");
}

// RFC 8949 5.6: a map with duplicate keys is invalid; compared by value, so a non-minimal
// encoding of the same integer is a duplicate too.
TEST(Cbor, DuplicateMapKeysRefused) {
  expect_refused("a201020103", "offset 3: duplicate map key");
  expect_refused(
      "a263666d7461616366"
      "6d746162",
      "offset 7: duplicate map key");
  expect_refused("a20102180103", "offset 3: duplicate map key");  // 1 and 24-encoded 1
  expect_refused("a22600380603", "offset 3: duplicate map key");  // -7 twice (0x26, 0x38 0x06)
  // Nested maps have their own key sets; equal keys in different maps are fine.
  auto ok =
      dec("a201a10102"
          "02a10102");
  EXPECT_TRUE(ok.has_value()) << ok.error().to_string();
}

TEST(Cbor, MapKeysMustBeIntegersOrText) {
  expect_refused("a1410001", "offset 1: map key of type byte string");
  expect_refused("a1f501", "offset 1: map key of type boolean");
  expect_refused("a1800001", "offset 1: map key of type array");
}

TEST(Cbor, TagsFloatsAndOtherSimpleValuesRefused) {
  expect_refused("c11a514b67b0", "tags (major type 6) are not supported");
  expect_refused("f93c00", "floating-point values are not supported");
  expect_refused("fa47c35000", "floating-point values are not supported");
  expect_refused("fb3ff199999999999a", "floating-point values are not supported");
  expect_refused("f7", "'undefined' is not supported");
  expect_refused("f0", "simple value (additional information 16)");
  expect_refused("f818", "simple value (additional information 24)");
  expect_refused("1c", "reserved additional information 28");
  expect_refused("5d", "reserved additional information 29");
  expect_refused("be", "reserved additional information 30");
}

// RFC 8949 3.1: text strings are UTF-8; ill-formed UTF-8 is not valid CBOR.
TEST(Cbor, InvalidUtf8Refused) {
  for (std::string_view h :
       {"61ff", "62c0af", "63eda080", "64f4908080", "62e282", "61c3", "63e08080"}) {
    expect_refused(h, "text string is not valid UTF-8");
  }
  EXPECT_TRUE(dec("64f09f9880").has_value());  // U+1F600
  EXPECT_TRUE(dec("63ed9fbf").has_value());    // U+D7FF
}

TEST(Cbor, DepthLimit) {
  const Limits limits{.max_input = 1024, .max_depth = 16, .max_items = 4096};
  // 16 nested arrays around an integer: the integer is at depth 16 (allowed).
  std::string ok(16 * 2, '8');
  for (std::size_t i = 0; i < 16; ++i) ok[2 * i + 1] = '1';
  EXPECT_TRUE(dec(ok + "00", limits).has_value());
  // A 17th array is one level too many.
  expect_refused("81" + ok + "00", "offset 16: nesting deeper than 16 levels",
                 ErrorCode::kMalformed, limits);
  // Maps count as well.
  std::string maps;
  for (int i = 0; i < 17; ++i) maps += "a101";
  expect_refused(maps + "00", "nesting deeper than 16 levels", ErrorCode::kMalformed, limits);
}

TEST(Cbor, ItemAndSizeLimits) {
  const Limits limits{.max_input = 64, .max_depth = 4, .max_items = 8};
  expect_refused(
      "88"
      "0000000000000000",
      "more than 8 data items", ErrorCode::kMalformed, limits);
  EXPECT_TRUE(dec("87"
                  "00000000000000",
                  limits)
                  .has_value());
  expect_refused(std::string(2 * 65, '0'), "exceeds the limit of 64", ErrorCode::kTooLarge, limits);
}

TEST(Cbor, TrailingDataAndPrefix) {
  expect_refused("0000", "1 bytes after the data item at offset 1", ErrorCode::kTrailingData);
  auto p =
      decode_prefix(hex("a10102"
                        "ffff"));
  ASSERT_TRUE(p.has_value()) << p.error().to_string();
  EXPECT_EQ(p->second, 3u);
  EXPECT_EQ(p->first.find(1)->as_int(), 2);
}

}  // namespace
}  // namespace hpki::cosign::cbor
