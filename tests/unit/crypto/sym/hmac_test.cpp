#include "crypto/hmac.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "sym_test_util.h"

namespace hpki::crypto {
namespace {

Bytes unhex(std::string_view s) {
  auto b = hex_decode(s);
  EXPECT_TRUE(b.has_value()) << s;
  return b.value_or(Bytes{});
}

// RFC 4231 4.2-4.8: HMAC-SHA-256 test cases 1-7 (case 5 is truncated to 128 bits).
TEST(Hmac, Rfc4231Sha256) {
  struct Case {
    Bytes key;
    Bytes data;
    std::string mac;
  };
  const Bytes aa131(131, 0xaa);
  const std::vector<Case> cases = {
      {Bytes(20, 0x0b), to_bytes("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {to_bytes("Jefe"), to_bytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {Bytes(20, 0xaa), Bytes(50, 0xdd),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), Bytes(50, 0xcd),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {Bytes(20, 0x0c), to_bytes("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"},
      {aa131, to_bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {aa131,
       to_bytes("This is a test using a larger than block-size key and a larger than "
                "block-size data. The key needs to be hashed before being used by the HMAC "
                "algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  int n = 0;
  for (const Case& c : cases) {
    ++n;
    auto mac = hmac(HashAlg::kSha256, c.key, c.data);
    ASSERT_TRUE(mac.has_value()) << mac.error().to_string();
    // Test case 5 publishes only the leftmost 128 bits.
    EXPECT_EQ(hex_encode(*mac).substr(0, c.mac.size()), c.mac) << "RFC 4231 case " << n;
    if (c.mac.size() == 64) {
      EXPECT_TRUE(hmac_verify(HashAlg::kSha256, c.key, c.data, unhex(c.mac)).has_value());
    }
  }
  EXPECT_EQ(n, 7);
}

// GM/T 0042-2015 Appendix D.3 via OpenSSL's evpmac_sm3.txt (tests/vectors/sm/).
TEST(Hmac, Sm3OpenSslVectors) {
  auto recs = test::parse_evp_test(test::read_vector_file("evpmac_sm3.txt"));
  ASSERT_TRUE(recs.has_value()) << recs.error().to_string();
  int run = 0;
  for (const auto& r : *recs) {
    ASSERT_EQ(r.kind, "MAC") << "line " << r.line;
    ASSERT_EQ(r.name, "HMAC") << "line " << r.line;
    ASSERT_EQ(r.fields.at("Algorithm"), "SM3") << "line " << r.line;
    auto key = r.bytes("Key");
    auto in = r.bytes("Input");
    auto out = r.bytes("Output");
    ASSERT_TRUE(key && in && out) << "line " << r.line;
    auto mac = hmac(HashAlg::kSm3, *key, *in);
    ASSERT_TRUE(mac.has_value()) << mac.error().to_string();
    EXPECT_EQ(hex_encode(*mac), hex_encode(*out)) << "evpmac_sm3.txt line " << r.line;
    EXPECT_TRUE(hmac_verify(HashAlg::kSm3, *key, *in, *out).has_value());
    // Incremental, byte by byte.
    auto h = Hmac::create(HashAlg::kSm3, *key);
    ASSERT_TRUE(h.has_value());
    for (std::uint8_t b : *in) ASSERT_TRUE(h->update(BytesView(&b, 1)).has_value());
    EXPECT_TRUE(h->finish_and_verify(*out).has_value()) << "line " << r.line;
    ++run;
  }
  EXPECT_EQ(run, 4);
}

// RFC 2104 2 written out with our digest: H((K ^ opad) || H((K ^ ipad) || text)), K padded
// to the block size. Checks the empty key (a special case for EVP_MAC_init) and a short one.
Bytes reference_hmac(HashAlg alg, std::size_t block, BytesView key, BytesView text) {
  Bytes k(key.begin(), key.end());
  k.resize(block, 0);
  Bytes inner(block), outer(block);
  for (std::size_t i = 0; i < block; ++i) {
    inner[i] = static_cast<std::uint8_t>(k[i] ^ 0x36);
    outer[i] = static_cast<std::uint8_t>(k[i] ^ 0x5c);
  }
  inner.insert(inner.end(), text.begin(), text.end());
  Bytes ih = digest(alg, inner).value();
  outer.insert(outer.end(), ih.begin(), ih.end());
  return digest(alg, outer).value();
}

TEST(Hmac, EmptyAndShortKeysMatchRfc2104Construction) {
  for (auto alg : {HashAlg::kSha256, HashAlg::kSm3, HashAlg::kSha384, HashAlg::kSha512}) {
    std::size_t block = (alg == HashAlg::kSha384 || alg == HashAlg::kSha512) ? 128 : 64;
    for (std::size_t klen : {0uz, 1uz, 16uz, 64uz}) {
      Bytes key = random_bytes(klen).value();
      Bytes text = random_bytes(77).value();
      auto mac = hmac(alg, key, text);
      ASSERT_TRUE(mac.has_value()) << mac.error().to_string();
      EXPECT_EQ(hex_encode(*mac), hex_encode(reference_hmac(alg, block, key, text)))
          << hash_name(alg) << " key length " << klen;
    }
  }
}

TEST(Hmac, VerifyRejectsWrongOrTruncatedMac) {
  Bytes key = to_bytes("key");
  Bytes data = to_bytes("message");
  Bytes mac = hmac(HashAlg::kSm3, key, data).value();
  ASSERT_EQ(mac.size(), 32u);
  EXPECT_TRUE(hmac_verify(HashAlg::kSm3, key, data, mac).has_value());

  Bytes flipped = mac;
  flipped[31] ^= 0x01;
  auto r = hmac_verify(HashAlg::kSm3, key, data, flipped);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadSignature);

  r = hmac_verify(HashAlg::kSm3, key, data, BytesView(mac).first(16));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadSignature);

  r = hmac_verify(HashAlg::kSm3, key, data, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadSignature);

  r = hmac_verify(HashAlg::kSm3, to_bytes("other key"), data, mac);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadSignature);

  r = hmac_verify(HashAlg::kSha256, key, data, mac);  // same length, other hash
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kBadSignature);
}

TEST(Hmac, FinishRestartsWithSameKey) {
  auto h = Hmac::create(HashAlg::kSha256, Bytes(20, 0x0b));
  ASSERT_TRUE(h.has_value());
  ASSERT_TRUE(h->update(as_bytes("something else")).has_value());
  ASSERT_TRUE(h->finish().has_value());
  ASSERT_TRUE(h->update(as_bytes("Hi There")).has_value());
  auto mac = h->finish();
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(hex_encode(*mac), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Hmac, UnknownDigestIsUnsupported) {
  auto h = ossl::HmacCtx::create("NO-SUCH-DIGEST", as_bytes("k"));
  ASSERT_FALSE(h.has_value());
  EXPECT_EQ(h.error().code(), ErrorCode::kUnsupportedAlgorithm);
}

// Cross-implementation: `openssl mac -digest <d> -macopt hexkey:<k> HMAC` on random data.
TEST(Hmac, MatchesOpenSslCli) {
  test::TempDir dir;
  int compared = 0;
  for (auto alg : {HashAlg::kSm3, HashAlg::kSha256}) {
    for (std::size_t klen : {1uz, 16uz, 32uz, 64uz, 65uz, 200uz}) {
      for (std::size_t dlen : {0uz, 1uz, 64uz, 1000uz}) {
        Bytes key = random_bytes(klen).value();
        Bytes data = random_bytes(dlen).value();
        test::write_file(dir.file("in.bin"), data);
        std::string err;
        ASSERT_EQ(
            test::run_openssl(dir,
                              "mac -digest " + std::string(openssl_digest_name(alg)) +
                                  " -macopt hexkey:" + hex_encode(key) + " -binary -in '" +
                                  dir.file("in.bin") + "' -out '" + dir.file("out.bin") + "' HMAC",
                              &err),
            0)
            << err;
        auto ours = hmac(alg, key, data);
        ASSERT_TRUE(ours.has_value());
        EXPECT_EQ(hex_encode(*ours), hex_encode(test::read_file(dir.file("out.bin"))))
            << hash_name(alg) << " key " << hex_encode(key) << " data " << hex_encode(data);
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 48);
  // And `openssl dgst -sm3 -hmac <ascii key>` (the other CLI route).
  test::write_file(dir.file("in.bin"), as_bytes("hospital"));
  std::string err;
  ASSERT_EQ(test::run_openssl(dir,
                              "dgst -sm3 -hmac secretkey -binary -out '" + dir.file("out.bin") +
                                  "' '" + dir.file("in.bin") + "'",
                              &err),
            0)
      << err;
  EXPECT_EQ(hex_encode(hmac(HashAlg::kSm3, as_bytes("secretkey"), as_bytes("hospital")).value()),
            hex_encode(test::read_file(dir.file("out.bin"))));
}

}  // namespace
}  // namespace hpki::crypto
