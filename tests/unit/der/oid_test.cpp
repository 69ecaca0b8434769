#include "der/oid.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <unordered_map>

#include "der/oids.h"
#include "test_util.h"

namespace hpki::der {
namespace {

using test::hex;

TEST(Oid, KnownEncodings) {
  // sha256WithRSAEncryption: 06 09 2A 86 48 86 F7 0D 01 01 0B.
  EXPECT_EQ(Bytes(oids::kSha256WithRsaEncryption.content().begin(),
                  oids::kSha256WithRsaEncryption.content().end()),
            hex("2A864886F70D01010B"));
  // X.690 8.19.5 example: {2 999 3} is 88 37 03.
  const Oid x690 = Oid::from_string("2.999.3").value();
  EXPECT_EQ(Bytes(x690.content().begin(), x690.content().end()), hex("883703"));
  EXPECT_EQ(Oid::from_der(hex("883703")).value().to_string(), "2.999.3");
  // SM2-with-SM3 1.2.156.10197.1.501: 2A 81 1C CF 55 01 83 75.
  EXPECT_EQ(Bytes(oids::kSm2WithSm3.content().begin(), oids::kSm2WithSm3.content().end()),
            hex("2A811CCF55018375"));
  EXPECT_EQ(Oid::from_string("0.0").value().to_string(), "0.0");
  EXPECT_EQ(Oid::from_string("1.39").value().to_string(), "1.39");
  EXPECT_EQ(Oid::from_string("2.40").value().to_string(), "2.40");
}

TEST(Oid, EveryNamedConstantRoundTrips) {
  std::set<Oid> seen;
  std::set<std::string_view> names;
  for (const auto& e : known_oids()) {
    EXPECT_EQ(e.oid.to_string(), e.dotted) << e.name;
    EXPECT_EQ(Oid::from_string(e.dotted).value(), e.oid) << e.name;
    EXPECT_EQ(Oid::from_der(e.oid.content()).value(), e.oid) << e.name;
    EXPECT_EQ(oid_name(e.oid), e.name);
    EXPECT_TRUE(seen.insert(e.oid).second) << "duplicate OID " << e.dotted;
    EXPECT_TRUE(names.insert(e.name).second) << "duplicate name " << e.name;
  }
  EXPECT_GT(seen.size(), 100u);
}

TEST(Oid, NamesAndValuesOfTheCaConstants) {
  EXPECT_EQ(oids::kSm2.to_string(), "1.2.156.10197.1.301");
  EXPECT_EQ(oids::kSm3.to_string(), "1.2.156.10197.1.401");
  EXPECT_EQ(oids::kOrganizationIdentifier.to_string(), "2.5.4.97");
  EXPECT_EQ(oids::kGmUnifiedSocialCreditCode.to_string(), "1.2.156.10260.4.4");
  EXPECT_EQ(oids::kGmKeyAgreementInfo.to_string(), "1.2.156.10197.6.1.4.2.6");
  EXPECT_EQ(oids::kAaSigningCertificateV2.to_string(), "1.2.840.113549.1.9.16.2.47");
  EXPECT_EQ(oid_name(oids::kSha256WithRsaEncryption), "sha256WithRSAEncryption");
  EXPECT_EQ(oid_name(Oid::from_string("1.2.3.4").value()), "");
  EXPECT_EQ(oid_name(Oid()), "");
}

TEST(Oid, StartsWith) {
  EXPECT_TRUE(oids::kGmSignedData.starts_with(oids::kGmCmsArc));
  EXPECT_TRUE(oids::kGmCmsArc.starts_with(oids::kGmCmsArc));
  EXPECT_FALSE(oids::kSignedData.starts_with(oids::kGmCmsArc));
  EXPECT_FALSE(oids::kGmCmsArc.starts_with(oids::kGmSignedData));
  EXPECT_FALSE(oids::kSha256.starts_with(Oid()));
}

TEST(Oid, HashAndOrder) {
  std::unordered_map<Oid, int> m;
  m[oids::kSha256] = 1;
  m[oids::kSha384] = 2;
  m[Oid::from_string("2.16.840.1.101.3.4.2.1").value()] += 10;
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m[oids::kSha256], 11);
  EXPECT_LT(oids::kSha256, oids::kSha384);
  EXPECT_NE(std::hash<Oid>{}(oids::kSha256), std::hash<Oid>{}(oids::kSha384));
}

TEST(Oid, LargeArcs) {
  // A UUID OID (X.667): 128-bit arc.
  const std::string uuid = "2.25.329800735698586629295641978511506172918";
  const Oid u = Oid::from_string(uuid).value();
  EXPECT_EQ(u.to_string(), uuid);
  EXPECT_EQ(u.content()[0], 0x69);  // 2 * 40 + 25 = 105
  // 64-bit and larger arcs, also in the packed first subidentifier.
  for (const char* s :
       {"1.2.18446744073709551615", "1.2.18446744073709551616", "2.18446744073709551535",
        "2.18446744073709551536", "2.340282366920938463463374607431768211456.7", "0.39.0"}) {
    const auto oid = Oid::from_string(s);
    ASSERT_TRUE(oid.has_value()) << s;
    EXPECT_EQ(oid->to_string(), s);
    EXPECT_EQ(Oid::from_der(oid->content()).value(), *oid);
  }
}

TEST(Oid, FromStringRejects) {
  for (const char* s : {"", "1", "3.1", "1.40", "0.99", "1..2", "1.02", "1.2.", ".1.2", "a.b",
                        "-1.2", "1.2.3x", "1.2.+3", " 1.2", "00.1"}) {
    const auto oid = Oid::from_string(s);
    ASSERT_FALSE(oid.has_value()) << s;
    EXPECT_EQ(oid.error().code(), ErrorCode::kInvalidArgument);
  }
  // Longer than kMaxOidLength encoded.
  std::string long_oid = "1.2";
  for (int i = 0; i < 130; ++i) long_oid += ".1";
  EXPECT_FALSE(Oid::from_string(long_oid).has_value());
}

TEST(Oid, FromDerRejects) {
  EXPECT_FALSE(Oid::from_der({}).has_value());
  // X.690 8.19.2: a subidentifier starting with 0x80 is not minimal.
  const auto padded = Oid::from_der(hex("2A80864886F70D"));
  ASSERT_FALSE(padded.has_value());
  EXPECT_EQ(padded.error().code(), ErrorCode::kMalformed);
  EXPECT_NE(padded.error().detail().find("0x80"), std::string::npos);
  EXPECT_FALSE(Oid::from_der(hex("802A")).has_value());
  EXPECT_FALSE(Oid::from_der(hex("2A86")).has_value());  // truncated subidentifier
  EXPECT_FALSE(Oid::from_der(Bytes(kMaxOidLength + 1, 0x01)).has_value());
  EXPECT_TRUE(Oid::from_der(Bytes(kMaxOidLength, 0x01)).has_value());
}

TEST(Oid, RandomValidContentsRoundTripThroughText) {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    Bytes content(1 + rng() % 40);
    for (auto& b : content) b = static_cast<std::uint8_t>(rng());
    // Make it valid: no 0x80 at a subidentifier start, last octet ends a subidentifier.
    bool at_start = true;
    for (auto& b : content) {
      if (at_start && b == 0x80) b = 0x81;
      at_start = (b & 0x80) == 0;
    }
    content.back() &= 0x7F;
    const Oid oid = Oid::from_der(content).value();
    const std::string text = oid.to_string();
    const auto back = Oid::from_string(text);
    ASSERT_TRUE(back.has_value()) << text << ": " << back.error().to_string();
    EXPECT_EQ(*back, oid) << text;
  }
}

}  // namespace
}  // namespace hpki::der
