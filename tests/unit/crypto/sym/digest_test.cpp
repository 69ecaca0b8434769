#include "crypto/digest.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/random.h"
#include "sym_test_util.h"

namespace hpki::crypto {
namespace {

using test::VectorRecord;

std::string hex_digest(HashAlg alg, std::string_view msg) {
  auto d = digest(alg, as_bytes(msg));
  EXPECT_TRUE(d.has_value()) << d.error().to_string();
  return d ? hex_encode(*d) : "";
}

// FIPS 180-2 Appendix A-C (and FIPS 180-4 examples): the one-block "abc" message and the
// two-block 448-bit message.
TEST(Digest, Fips180KnownAnswers) {
  EXPECT_EQ(hex_digest(HashAlg::kSha1, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex_digest(HashAlg::kSha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_digest(HashAlg::kSha384, "abc"),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(hex_digest(HashAlg::kSha512, "abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  constexpr std::string_view k448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(hex_digest(HashAlg::kSha1, k448), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(hex_digest(HashAlg::kSha256, k448),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// GB/T 32905-2016 Appendix A (= draft-shen-sm3-hash-01): "abc" and the 64-byte example.
TEST(Digest, Sm3StandardExamples) {
  EXPECT_EQ(hex_digest(HashAlg::kSm3, "abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  EXPECT_EQ(
      hex_digest(HashAlg::kSm3, "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd"),
      "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
}

// Checks one In/Out pair both one-shot and incrementally (split at several points, and with
// a clone taken midway), so Hasher is exercised on every vector.
void check_vector(HashAlg alg, BytesView in, BytesView expected, const std::string& where) {
  auto one_shot = digest(alg, in);
  ASSERT_TRUE(one_shot.has_value()) << where << ": " << one_shot.error().to_string();
  EXPECT_EQ(hex_encode(*one_shot), hex_encode(expected)) << where;

  for (std::size_t split : {std::size_t{0}, in.size() / 3, in.size()}) {
    auto h = Hasher::create(alg);
    ASSERT_TRUE(h.has_value());
    ASSERT_TRUE(h->update(in.first(split)).has_value());
    auto fork = h->clone();
    ASSERT_TRUE(fork.has_value());
    ASSERT_TRUE(h->update(in.subspan(split)).has_value());
    ASSERT_TRUE(fork->update(in.subspan(split)).has_value());
    auto a = h->finish();
    auto b = fork->finish();
    ASSERT_TRUE(a.has_value() && b.has_value());
    EXPECT_EQ(hex_encode(*a), hex_encode(expected)) << where << " split " << split;
    EXPECT_EQ(hex_encode(*b), hex_encode(expected)) << where << " clone at " << split;
  }
}

// Botan src/tests/data/hash/sm3.vec (tests/vectors/sm/sm3.vec).
TEST(Digest, Sm3BotanVectors) {
  auto recs = test::parse_botan_vec(test::read_vector_file("sm3.vec"));
  ASSERT_TRUE(recs.has_value()) << recs.error().to_string();
  int run = 0;
  for (const VectorRecord& r : *recs) {
    ASSERT_EQ(r.kind, "SM3") << "line " << r.line;
    auto in = r.bytes("In");
    auto out = r.bytes("Out");
    ASSERT_TRUE(in.has_value() && out.has_value()) << "line " << r.line;
    check_vector(HashAlg::kSm3, *in, *out, "sm3.vec line " + std::to_string(r.line));
    ++run;
  }
  // The file holds 139 active In/Out pairs (one pair is commented out upstream).
  EXPECT_EQ(run, 139);
}

// OpenSSL test/recipes/30-test_evp_data/evpmd_sm3.txt (tests/vectors/sm/evpmd_sm3.txt).
TEST(Digest, Sm3OpenSslVectors) {
  auto recs = test::parse_evp_test(test::read_vector_file("evpmd_sm3.txt"));
  ASSERT_TRUE(recs.has_value()) << recs.error().to_string();
  int run = 0, skipped = 0;
  for (const VectorRecord& r : *recs) {
    ASSERT_EQ(r.kind, "Digest") << "line " << r.line;
    if (r.name != "SM3") {  // the file ends with two non-SM digests (see the README)
      ++skipped;
      continue;
    }
    auto in = r.bytes("Input");
    auto out = r.bytes("Output");
    ASSERT_TRUE(in.has_value() && out.has_value()) << "line " << r.line;
    check_vector(HashAlg::kSm3, *in, *out, "evpmd_sm3.txt line " + std::to_string(r.line));
    ++run;
  }
  EXPECT_EQ(run, 8);
  EXPECT_EQ(skipped, 2);
}

TEST(Digest, SizesAndNames) {
  for (auto alg :
       {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512, HashAlg::kSm3}) {
    auto d = digest(alg, {});
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->size(), hash_size(alg)) << hash_name(alg);
    auto h = Hasher::create(alg);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->size(), hash_size(alg));
    EXPECT_EQ(h->alg(), alg);
  }
}

TEST(Digest, HasherResetsAfterFinish) {
  auto h = Hasher::create(HashAlg::kSha256);
  ASSERT_TRUE(h.has_value());
  ASSERT_TRUE(h->update(as_bytes("first message")).has_value());
  ASSERT_TRUE(h->finish().has_value());
  ASSERT_TRUE(h->update(as_bytes("abc")).has_value());
  auto d = h->finish();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(hex_encode(*d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, UnknownOpenSslDigestIsUnsupported) {
  auto ctx = ossl::DigestCtx::create("NO-SUCH-DIGEST");
  ASSERT_FALSE(ctx.has_value());
  EXPECT_EQ(ctx.error().code(), ErrorCode::kUnsupportedAlgorithm);
}

// Cross-implementation: our digests equal `openssl dgst` on random data of many lengths
// (around the 64- and 128-byte block boundaries, and a large multi-block input).
TEST(Digest, MatchesOpenSslCli) {
  test::TempDir dir;
  struct Case {
    HashAlg alg;
    const char* flag;
  };
  int compared = 0;
  for (Case c : {Case{HashAlg::kSm3, "-sm3"}, Case{HashAlg::kSha256, "-sha256"},
                 Case{HashAlg::kSha384, "-sha384"}, Case{HashAlg::kSha512, "-sha512"}}) {
    for (std::size_t len :
         {0uz, 1uz, 55uz, 56uz, 63uz, 64uz, 65uz, 111uz, 112uz, 128uz, 1000uz, 100003uz}) {
      auto data = random_bytes(len);
      ASSERT_TRUE(data.has_value());
      test::write_file(dir.file("in.bin"), *data);
      std::string err;
      ASSERT_EQ(test::run_openssl(dir,
                                  std::string("dgst ") + c.flag + " -binary -out '" +
                                      dir.file("out.bin") + "' '" + dir.file("in.bin") + "'",
                                  &err),
                0)
          << err;
      auto ours = digest(c.alg, *data);
      ASSERT_TRUE(ours.has_value());
      EXPECT_EQ(hex_encode(*ours), hex_encode(test::read_file(dir.file("out.bin"))))
          << c.flag << " len " << len << " data " << hex_encode(*data);
      ++compared;
    }
  }
  EXPECT_EQ(compared, 48);
}

}  // namespace
}  // namespace hpki::crypto
