// crypto::SignatureCache: remembered successes answer without verifying again, for RSA, ECDSA and
// SM2 (with its ID in the key); failures, other bytes, another SM2 ID or a stricter key policy
// are never answered from it; it stays bounded and correct under eviction and concurrent use.
#include "crypto/signature_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "asym_test_util.h"
#include "crypto/signer.h"

namespace hpki::crypto {
namespace {

using testing::TempDir;

struct Signed {
  Bytes spki;
  SignatureAlg alg;
  Bytes message;
  Bytes signature;
};

Signed make(const PrivateKey& key, std::string_view text) {
  Signed s;
  s.spki = key.public_key_der();
  s.alg = default_signature_alg(key.spec().type);
  s.message = to_bytes(text);
  s.signature = key.signer().value()->sign(s.message).value();  // SM2: the standard ID
  return s;
}

TEST(SignatureCache, RemembersSuccessesOnlyForExactlyTheSameCheck) {
  for (const PrivateKey* key : {&testing::rsa2048(), &testing::p256(), &testing::sm2()}) {
    SCOPED_TRACE(key_spec_name(key->spec()));
    const SignatureCache cache;
    const VerifyPolicy policy{.cache = &cache};
    const Signed s = make(*key, "a certificate's TBS");
    ASSERT_TRUE(verify_signature(s.spki, s.alg, s.message, s.signature, kSm2DefaultId, policy));
    EXPECT_EQ(cache.stats().misses, 1u);
    EXPECT_EQ(cache.stats().keys_decoded, 1u);
    ASSERT_TRUE(verify_signature(s.spki, s.alg, s.message, s.signature, kSm2DefaultId, policy));
    EXPECT_EQ(cache.stats().hits, 1u);
    // Another message, a changed signature: verified, refused, and refused again.
    Bytes other = s.message;
    other.back() ^= 1;
    Bytes bad_sig = s.signature;
    bad_sig[bad_sig.size() / 2] ^= 1;
    for (int i = 0; i < 2; ++i) {
      EXPECT_FALSE(verify_signature(s.spki, s.alg, other, s.signature, kSm2DefaultId, policy));
      EXPECT_FALSE(verify_signature(s.spki, s.alg, s.message, bad_sig, kSm2DefaultId, policy));
    }
    EXPECT_EQ(cache.stats().hits, 1u);
    EXPECT_EQ(cache.stats().keys_decoded, 1u);  // the key was decoded once
    if (key->spec().type == KeyType::kSm2) {
      // SM2 with another ID is another check: it fails although the standard ID succeeded.
      EXPECT_FALSE(
          verify_signature(s.spki, s.alg, s.message, s.signature, "1234567812345679", policy));
    }
    // Without the cache the answers are the same.
    EXPECT_TRUE(verify_signature(s.spki, s.alg, s.message, s.signature, kSm2DefaultId));
    EXPECT_FALSE(verify_signature(s.spki, s.alg, s.message, bad_sig, kSm2DefaultId));
  }
}

TEST(SignatureCache, KeyPolicyIsPartOfTheCheck) {
  // A 1024-bit RSA key (made with the openssl CLI: hpki refuses to generate one).
  TempDir dir;
  const std::string key = (dir.path() / "k.pem").string();
  const std::string pub = (dir.path() / "k.der").string();
  const std::string msg = (dir.path() / "m").string();
  const std::string sig = (dir.path() / "s").string();
  testing::write_file(msg, std::string_view("legacy"));
  ASSERT_EQ(
      testing::run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out " + key +
                   " 2>/dev/null && openssl pkey -in " + key + " -pubout -outform DER -out " + pub +
                   " && openssl dgst -sha256 -sign " + key + " -out " + sig + " " + msg),
      0);
  const SignatureCache cache;
  const Bytes spki = testing::read_file(pub);
  const Bytes m = testing::read_file(msg);
  const Bytes s = testing::read_file(sig);
  const VerifyPolicy legacy{.allow_legacy_rsa_insecure = true, .cache = &cache};
  const VerifyPolicy strict{.cache = &cache};
  ASSERT_TRUE(verify_signature(spki, SignatureAlg::kRsaPkcs1Sha256, m, s, kSm2DefaultId, legacy));
  ASSERT_TRUE(verify_signature(spki, SignatureAlg::kRsaPkcs1Sha256, m, s, kSm2DefaultId, legacy));
  EXPECT_EQ(cache.stats().hits, 1u);
  // The strict policy refuses the key, remembered success or not.
  auto r = verify_signature(spki, SignatureAlg::kRsaPkcs1Sha256, m, s, kSm2DefaultId, strict);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(),
            verify_signature(spki, SignatureAlg::kRsaPkcs1Sha256, m, s).error().code());
  EXPECT_EQ(cache.stats().hits, 1u);
}

TEST(SignatureCache, StaysBoundedAndCorrectWhenEntriesAreDropped) {
  const SignatureCache cache(/*capacity=*/4, /*max_message=*/64);
  const VerifyPolicy policy{.cache = &cache};
  std::vector<Signed> all;
  for (int i = 0; i < 20; ++i) all.push_back(make(testing::p256(), "m" + std::to_string(i)));
  for (int round = 0; round < 3; ++round) {
    for (const auto& s : all) {
      EXPECT_TRUE(verify_signature(s.spki, s.alg, s.message, s.signature, kSm2DefaultId, policy));
    }
  }
  // 20 distinct checks do not fit in 2 x 4 entries: cycling through them never hits.
  EXPECT_EQ(cache.stats().hits, 0u);
  EXPECT_EQ(cache.stats().misses, 60u);
  // The last ones are still there.
  const auto& last = all.back();
  EXPECT_TRUE(
      verify_signature(last.spki, last.alg, last.message, last.signature, kSm2DefaultId, policy));
  EXPECT_EQ(cache.stats().hits, 1u);
  // A message over max_message is verified every time.
  const Signed big = make(testing::p256(), std::string(100, 'x'));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(
        verify_signature(big.spki, big.alg, big.message, big.signature, kSm2DefaultId, policy));
  }
  EXPECT_EQ(cache.stats().hits, 1u);
}

TEST(SignatureCache, ConcurrentUseGivesTheSameAnswers) {
  const SignatureCache cache(8);
  const VerifyPolicy policy{.cache = &cache};
  std::vector<Signed> all;
  for (int i = 0; i < 6; ++i) {
    all.push_back(make(i % 2 == 0 ? testing::sm2() : testing::rsa2048(), std::to_string(i)));
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        const auto& s = all[static_cast<std::size_t>((i + t) % 6)];
        Bytes bad = s.signature;
        bad[5] ^= 1;
        if (!verify_signature(s.spki, s.alg, s.message, s.signature, kSm2DefaultId, policy))
          ++wrong;
        if (verify_signature(s.spki, s.alg, s.message, bad, kSm2DefaultId, policy)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(cache.stats().hits, 0u);
}

}  // namespace
}  // namespace hpki::crypto
