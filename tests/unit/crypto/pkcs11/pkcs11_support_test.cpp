// ossl/pkcs11_support.h: the key-less OpenSSL half of the PKCS#11 key store.
#include "ossl/pkcs11_support.h"

#include <gtest/gtest.h>

#include "core/encoding.h"

namespace hpki::ossl {
namespace {

Bytes unhex(std::string_view h) { return hex_decode(h).value(); }

TEST(Pkcs11Support, DigestKnownAnswer) {
  // FIPS 180-2 B.1: SHA-256("abc").
  auto d = p11_digest("SHA256", as_bytes("abc"));
  ASSERT_TRUE(d.has_value()) << d.error().to_string();
  EXPECT_EQ(hex_encode(*d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto d384 = p11_digest("SHA384", as_bytes("abc"));
  ASSERT_TRUE(d384.has_value());
  EXPECT_EQ(d384->size(), 48u);
  auto bad = p11_digest("NO-SUCH-DIGEST", as_bytes("abc"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kUnsupportedAlgorithm);
}

// RFC 5480 / SEC 1: r||s -> SEQUENCE{INTEGER r, INTEGER s}, minimal INTEGERs (a leading zero
// dropped, a 0x00 added before a high bit).
TEST(Pkcs11Support, EcdsaRawToDer) {
  Bytes raw(64, 0);
  raw[31] = 0x01;  // r = 1
  raw[32] = 0x80;  // s = 0x80 00..00 (32 bytes, high bit set)
  auto der = p11_ecdsa_raw_to_der(raw);
  ASSERT_TRUE(der.has_value()) << der.error().to_string();
  Bytes expected = unhex("3026020101022100");
  expected.push_back(0x80);
  expected.insert(expected.end(), 31, 0x00);
  EXPECT_EQ(*der, expected);
}

TEST(Pkcs11Support, EcdsaRawToDerRejectsBadLengths) {
  for (std::size_t n : {0u, 1u, 63u}) {
    Bytes raw(n, 0x11);
    auto der = p11_ecdsa_raw_to_der(raw);
    ASSERT_FALSE(der.has_value()) << n;
    EXPECT_EQ(der.error().code(), ErrorCode::kMalformed);
  }
}

TEST(Pkcs11Support, EcPointMustBeOnTheCurve) {
  Bytes off_curve(65, 0x01);
  off_curve[0] = 0x04;
  auto spki = p11_spki_from_ec_point(P11Curve::kP256, off_curve);
  ASSERT_FALSE(spki.has_value());
  EXPECT_EQ(spki.error().code(), ErrorCode::kMalformed);

  Bytes compressed(33, 0x02);
  auto c = p11_spki_from_ec_point(P11Curve::kP256, compressed);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), ErrorCode::kMalformed);
}

TEST(Pkcs11Support, EcPointSpkiForTheP256Generator) {
  // SEC 2 2.4.2: the P-256 base point G, uncompressed.
  Bytes g = unhex(
      "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
      "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
  auto spki = p11_spki_from_ec_point(P11Curve::kP256, g);
  ASSERT_TRUE(spki.has_value()) << spki.error().to_string();
  // RFC 5480 2: SEQUENCE{SEQUENCE{id-ecPublicKey, prime256v1}, BIT STRING(0 unused || point)}.
  Bytes expected = unhex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
  expected.insert(expected.end(), g.begin(), g.end());
  EXPECT_EQ(*spki, expected);
}

TEST(Pkcs11Support, RsaSpkiLayout) {
  Bytes n(256, 0xc5);  // an odd 2048-bit value is enough to check the encoding
  auto spki = p11_spki_from_rsa(n, Bytes{0x01, 0x00, 0x01});
  ASSERT_TRUE(spki.has_value()) << spki.error().to_string();
  // RFC 3279 2.3.1: rsaEncryption with NULL parameters, RSAPublicKey{n, e}.
  const Bytes prefix = unhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100");
  ASSERT_GT(spki->size(), prefix.size());
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), spki->begin()));
  EXPECT_EQ(hex_encode(BytesView(*spki).last(5)), "0203010001");

  auto empty = p11_spki_from_rsa({}, Bytes{0x03});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code(), ErrorCode::kMalformed);
}

TEST(Pkcs11Support, OaepDecodeFailuresAreUniform) {
  Bytes garbage(256, 0x5a);
  garbage[0] = 0x00;
  auto r = p11_oaep_sha256_decode(garbage);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kDecryptFailed);
  EXPECT_EQ(r.error().detail(), "OAEP decoding error");

  Bytes too_short(65, 0x00);
  auto s = p11_oaep_sha256_decode(too_short);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().detail(), "OAEP decoding error");
}

}  // namespace
}  // namespace hpki::ossl
