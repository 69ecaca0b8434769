#include "core/key_id.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

namespace hpki {
namespace {

TEST(KeyId, ParseSplitsSchemeAndName) {
  struct Case {
    std::string text;
    KeyId::Scheme scheme;
    std::string name;
  };
  const Case cases[] = {
      {"file:rsa-root", KeyId::Scheme::kFile, "rsa-root"},
      {"pkcs11:issuing-rsa", KeyId::Scheme::kPkcs11, "issuing-rsa"},
      // A token's label may be anything printable another tool gave it: spaces, colons, UTF-8.
      {"pkcs11:My Key: 2024", KeyId::Scheme::kPkcs11, "My Key: 2024"},
      {"pkcs11:签名密钥", KeyId::Scheme::kPkcs11, "签名密钥"},
      {"file:a", KeyId::Scheme::kFile, "a"},
      {"file:" + std::string(KeyId::kMaxName, 'k'), KeyId::Scheme::kFile,
       std::string(KeyId::kMaxName, 'k')},
  };
  for (const Case& c : cases) {
    auto k = KeyId::parse(c.text);
    ASSERT_TRUE(k) << c.text << ": " << k.error().detail();
    EXPECT_FALSE(k->empty());
    EXPECT_EQ(k->scheme(), c.scheme) << c.text;
    EXPECT_EQ(k->name(), c.name) << c.text;
    EXPECT_EQ(k->str(), c.text);
  }
}

TEST(KeyId, ParseRefusesWithTheReason) {
  struct Case {
    std::string text;
    std::string why;  // in the detail
  };
  const Case cases[] = {
      {"", "no scheme"},
      {"rsa-root", "no scheme"},
      {"hsm:rsa-root", "unknown scheme 'hsm'"},
      {"FILE:rsa-root", "unknown scheme 'FILE'"},
      {"File:rsa-root", "unknown scheme 'File'"},
      {":rsa-root", "unknown scheme ''"},
      {" file:rsa-root", "unknown scheme"},
      {"file:", "empty"},
      {"pkcs11:", "empty"},
      {"file:a\nb", "control character"},
      {"pkcs11:a\tb", "control character"},
      {std::string("file:a\0b", 8), "control character"},
      {"file:a\x7f", "control character"},
      {"file:" + std::string(KeyId::kMaxName + 1, 'k'), "longer than 255 bytes"},
  };
  for (const Case& c : cases) {
    auto k = KeyId::parse(c.text);
    ASSERT_FALSE(k) << c.text;
    EXPECT_EQ(k.error().code(), ErrorCode::kInvalidArgument) << c.text;
    EXPECT_NE(k.error().detail().find(c.why), std::string::npos)
        << c.text << ": " << k.error().detail();
    // The text is shown without its control characters (it may come from a request or a file).
    EXPECT_EQ(k.error().detail().find('\n'), std::string::npos) << k.error().detail();
  }
  // A huge input is refused without echoing all of it.
  auto huge = KeyId::parse("file:" + std::string(100000, 'k'));
  ASSERT_FALSE(huge);
  EXPECT_LT(huge.error().detail().size(), 300u);
}

TEST(KeyId, OfTakesTheSameRules) {
  auto k = KeyId::of(KeyId::Scheme::kPkcs11, "issuing-rsa");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->str(), "pkcs11:issuing-rsa");
  EXPECT_EQ(k->name(), "issuing-rsa");
  EXPECT_EQ(*k, KeyId::parse("pkcs11:issuing-rsa").value());
  EXPECT_EQ(KeyId::of(KeyId::Scheme::kFile, "audit")->str(), "file:audit");
  for (std::string bad :
       {std::string(), std::string("a\rb"), std::string(KeyId::kMaxName + 1, 'x')}) {
    auto r = KeyId::of(KeyId::Scheme::kFile, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(KeyId, ComparesAndHashesByItsText) {
  const KeyId a = KeyId::parse("file:a").value();
  const KeyId b = KeyId::parse("file:b").value();
  const KeyId p = KeyId::parse("pkcs11:a").value();
  EXPECT_EQ(a, KeyId::parse("file:a").value());
  EXPECT_NE(a, p);  // same name, other store
  EXPECT_LT(a, b);
  EXPECT_LT(b, p);
  const KeyId none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.str(), "");
  EXPECT_EQ(none.name(), "");
  EXPECT_LT(none, a);
  std::unordered_set<KeyId> set{a, b, p, KeyId::parse("file:a").value()};
  EXPECT_EQ(set.size(), 3u);
  EXPECT_EQ(to_string(KeyId::Scheme::kFile), "file");
  EXPECT_EQ(to_string(KeyId::Scheme::kPkcs11), "pkcs11");
}

}  // namespace
}  // namespace hpki
