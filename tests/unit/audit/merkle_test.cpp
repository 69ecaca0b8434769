// RFC 9162 2.1.3 inclusion proofs of the audit checkpoints' Merkle tree, without a database:
// proofs built by inclusion_proof_from_hashes against a textbook PATH recursion, verified by
// verify_inclusion against MerkleAccumulator's root, and every kind of broken proof refused.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "audit/merkle.h"
#include "core/encoding.h"
#include "crypto/digest.h"

namespace hpki::audit {
namespace {

using crypto::HashAlg;

Bytes h(HashAlg alg, BytesView data) {
  auto d = crypto::digest(alg, data);
  HPKI_CHECK(d.has_value());
  return *d;
}

Bytes node(HashAlg alg, const Bytes& l, const Bytes& r) {
  Bytes in{0x01};
  in.insert(in.end(), l.begin(), l.end());
  in.insert(in.end(), r.begin(), r.end());
  return h(alg, in);
}

// RFC 9162 2.1.1, by the textbook recursion.
Bytes textbook_mth(HashAlg alg, std::span<const Bytes> d) {
  if (d.empty()) return h(alg, {});
  if (d.size() == 1) {
    Bytes in{0x00};
    in.insert(in.end(), d[0].begin(), d[0].end());
    return h(alg, in);
  }
  std::size_t k = 1;
  while (k * 2 < d.size()) k *= 2;
  return node(alg, textbook_mth(alg, d.subspan(0, k)), textbook_mth(alg, d.subspan(k)));
}

// RFC 9162 2.1.3.1, by the textbook recursion:
//   PATH(m, {d(0)}) = {}
//   PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])      for m < k
//   PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])  for m >= k
std::vector<Bytes> textbook_path(HashAlg alg, std::size_t m, std::span<const Bytes> d) {
  if (d.size() <= 1) return {};
  std::size_t k = 1;
  while (k * 2 < d.size()) k *= 2;
  std::vector<Bytes> p;
  if (m < k) {
    p = textbook_path(alg, m, d.subspan(0, k));
    p.push_back(textbook_mth(alg, d.subspan(k)));
  } else {
    p = textbook_path(alg, m - k, d.subspan(k));
    p.push_back(textbook_mth(alg, d.subspan(0, k)));
  }
  return p;
}

std::vector<Bytes> entries(HashAlg alg, int n) {
  std::vector<Bytes> d;
  for (int i = 0; i < n; ++i) d.push_back(h(alg, to_bytes("entry " + std::to_string(i))));
  return d;
}

Bytes accumulated_root(HashAlg alg, std::span<const Bytes> d) {
  MerkleAccumulator acc(alg);
  for (const auto& x : d) HPKI_CHECK(acc.add(x).has_value());
  auto r = acc.root();
  HPKI_CHECK(r.has_value());
  return *r;
}

// The length of PATH(m, D[n]) from the shape of the tree alone: how many times the range of D
// that still holds leaf m has more than one leaf, splitting at k = the largest power of two
// below its size (RFC 9162 2.1.1).
std::size_t expected_length(std::size_t m, std::size_t n) {
  std::size_t begin = 0;
  std::size_t end = n;
  std::size_t len = 0;
  while (end - begin > 1) {
    const std::size_t k = std::bit_floor(end - begin - 1);
    if (m < begin + k) {
      end = begin + k;
    } else {
      begin += k;
    }
    ++len;
  }
  return len;
}

// The shape of PATH(m, D[n]), bottom-up: for each node, whether it is the left sibling (the
// textbook recursion: for m >= k the sibling MTH(D[0:k]) is on the left). The verification of
// RFC 9162 2.1.3.2 folds a path by its shape alone.
std::vector<bool> shape(std::size_t m, std::size_t n) {
  if (n <= 1) return {};
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  std::vector<bool> s = m < k ? shape(m, k) : shape(m - k, n - k);
  s.push_back(m >= k);
  return s;
}

class InclusionProofTest : public ::testing::TestWithParam<HashAlg> {};

// RFC 9162 2.1.3.1 and 2.1.3.2: for every tree size 1..70 and every leaf, the proof is the
// textbook PATH and verifies against the tree head.
TEST_P(InclusionProofTest, EveryLeafOfEverySizeVerifies) {
  const HashAlg alg = GetParam();
  const auto all = entries(alg, 70);
  for (std::size_t n = 1; n <= all.size(); ++n) {
    const auto d = std::span<const Bytes>(all).first(n);
    const Bytes root = accumulated_root(alg, d);
    ASSERT_EQ(root, textbook_mth(alg, d));
    for (std::size_t m = 0; m < n; ++m) {
      auto p = inclusion_proof_from_hashes(alg, d, static_cast<std::int64_t>(m));
      ASSERT_TRUE(p.has_value()) << p.error().to_string();
      EXPECT_EQ(p->leaf_index, static_cast<std::int64_t>(m));
      EXPECT_EQ(p->tree_size, static_cast<std::int64_t>(n));
      EXPECT_EQ(p->path, textbook_path(alg, m, d)) << "m=" << m << " n=" << n;
      EXPECT_EQ(p->path.size(), expected_length(m, n)) << "m=" << m << " n=" << n;
      EXPECT_EQ(inclusion_path_length(static_cast<std::int64_t>(m), static_cast<std::int64_t>(n)),
                expected_length(m, n));
      EXPECT_LE(p->path.size(), static_cast<std::size_t>(std::bit_width(n - 1)));
      auto v = verify_inclusion(alg, d[m], *p, root);
      EXPECT_TRUE(v.has_value()) << "m=" << m << " n=" << n << ": " << v.error().to_string();
    }
  }
}

// RFC 9162 2.1.3.2: a proof that does not lead to the root fails — every bit of every path node,
// another entry, another index, another size, a path cut short or extended, another root.
TEST_P(InclusionProofTest, EveryAlterationFails) {
  const HashAlg alg = GetParam();
  const auto all = entries(alg, 70);
  int same_shape = 0;
  int wrong_size_refused = 0;
  for (std::size_t n : {1u, 2u, 3u, 5u, 8u, 13u, 32u, 33u, 63u, 70u}) {
    const auto d = std::span<const Bytes>(all).first(n);
    const Bytes root = accumulated_root(alg, d);
    for (std::size_t m = 0; m < n; ++m) {
      const InclusionProof good =
          *inclusion_proof_from_hashes(alg, d, static_cast<std::int64_t>(m));
      ASSERT_TRUE(verify_inclusion(alg, d[m], good, root).has_value());
      const std::string at = "m=" + std::to_string(m) + " n=" + std::to_string(n);

      // A flipped bit anywhere in the path.
      for (std::size_t i = 0; i < good.path.size(); ++i) {
        for (std::size_t byte :
             {std::size_t{0}, good.path[i].size() / 2, good.path[i].size() - 1}) {
          InclusionProof bad = good;
          bad.path[i][byte] ^= 0x01;
          auto v = verify_inclusion(alg, d[m], bad, root);
          ASSERT_FALSE(v.has_value()) << at << " node " << i;
          EXPECT_EQ(v.error().code(), ErrorCode::kAuditBroken) << at;
        }
      }
      // Another entry at that position; a flipped bit of the root.
      {
        auto v = verify_inclusion(alg, h(alg, to_bytes("not an entry")), good, root);
        ASSERT_FALSE(v.has_value()) << at;
        EXPECT_EQ(v.error().code(), ErrorCode::kAuditBroken) << at;
        Bytes bad_root = root;
        bad_root[0] ^= 0x80;
        auto w = verify_inclusion(alg, d[m], good, bad_root);
        ASSERT_FALSE(w.has_value()) << at;
        EXPECT_EQ(w.error().code(), ErrorCode::kAuditBroken) << at;
      }
      // Another index in the same tree (a path of the right length for it, if any, still
      // does not lead to the root).
      for (std::size_t other = 0; other < n; ++other) {
        if (other == m) continue;
        InclusionProof bad = good;
        bad.leaf_index = static_cast<std::int64_t>(other);
        auto v = verify_inclusion(alg, d[m], bad, root);
        ASSERT_FALSE(v.has_value()) << at << " as index " << other;
        const auto want = bad.path.size() == inclusion_path_length(bad.leaf_index, bad.tree_size)
                              ? ErrorCode::kAuditBroken
                              : ErrorCode::kMalformed;
        EXPECT_EQ(v.error().code(), want) << at << " as index " << other;
      }
      // Another tree size (smaller ones that still contain the leaf, and larger ones): fails
      // unless the leaf's path has the same shape in both trees (e.g. leaf 0 of 3 and of 4:
      // the same hashes folded the same way), which is why the tree size must be the signed
      // checkpoint's, never the proof's word alone.
      for (std::size_t other = m + 1; other <= n + 3; ++other) {
        if (other == n) continue;
        InclusionProof bad = good;
        bad.tree_size = static_cast<std::int64_t>(other);
        auto v = verify_inclusion(alg, d[m], bad, root);
        if (shape(m, other) == shape(m, n)) {
          EXPECT_TRUE(v.has_value()) << at << " as size " << other;
          ++same_shape;
        } else {
          EXPECT_FALSE(v.has_value()) << at << " as size " << other;
          ++wrong_size_refused;
        }
      }
      // Truncated and extended paths: structurally impossible.
      if (!good.path.empty()) {
        InclusionProof bad = good;
        bad.path.pop_back();
        auto v = verify_inclusion(alg, d[m], bad, root);
        ASSERT_FALSE(v.has_value()) << at;
        EXPECT_EQ(v.error().code(), ErrorCode::kMalformed) << at;
      }
      {
        InclusionProof bad = good;
        bad.path.push_back(root);
        auto v = verify_inclusion(alg, d[m], bad, root);
        ASSERT_FALSE(v.has_value()) << at;
        EXPECT_EQ(v.error().code(), ErrorCode::kMalformed) << at;
      }
    }
  }
  // Both happen, often: a proof does not pin its tree size.
  EXPECT_GT(wrong_size_refused, 0);
  EXPECT_GT(same_shape, 0);
}

TEST_P(InclusionProofTest, StructurallyImpossibleProofsAreMalformed) {
  const HashAlg alg = GetParam();
  const auto d = entries(alg, 5);
  const Bytes root = accumulated_root(alg, d);
  const InclusionProof good = *inclusion_proof_from_hashes(alg, d, 2);
  ASSERT_TRUE(verify_inclusion(alg, d[2], good, root).has_value());
  auto code = [&](const InclusionProof& p, BytesView entry, BytesView r) {
    auto v = verify_inclusion(alg, entry, p, r);
    return v.has_value() ? std::optional<ErrorCode>{} : v.error().code();
  };
  InclusionProof p = good;
  p.leaf_index = 5;  // RFC 9162 2.1.3.2 step 1: leaf_index >= tree_size
  EXPECT_EQ(code(p, d[2], root), ErrorCode::kMalformed);
  p = good;
  p.leaf_index = -1;
  EXPECT_EQ(code(p, d[2], root), ErrorCode::kMalformed);
  p = good;
  p.tree_size = 0;
  EXPECT_EQ(code(p, d[2], root), ErrorCode::kMalformed);
  p = good;
  p.path[1].pop_back();  // a node one byte short
  EXPECT_EQ(code(p, d[2], root), ErrorCode::kMalformed);
  p = good;
  p.path[0].push_back(0);  // one byte long
  EXPECT_EQ(code(p, d[2], root), ErrorCode::kMalformed);
  Bytes short_entry = d[2];
  short_entry.pop_back();
  EXPECT_EQ(code(good, short_entry, root), ErrorCode::kMalformed);
  Bytes short_root = root;
  short_root.pop_back();
  EXPECT_EQ(code(good, d[2], short_root), ErrorCode::kMalformed);
  // Verified with the other hash (SHA-256 and SM3 have the same length): not the same tree.
  const HashAlg other = alg == HashAlg::kSha256 ? HashAlg::kSm3 : HashAlg::kSha256;
  auto v = verify_inclusion(other, d[2], good, root);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code(), ErrorCode::kAuditBroken);
}

TEST_P(InclusionProofTest, SingleLeafTreeHasAnEmptyPath) {
  const HashAlg alg = GetParam();
  const auto d = entries(alg, 1);
  auto p = inclusion_proof_from_hashes(alg, d, 0);
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->path.empty());
  // The root of a one-leaf tree is the leaf node H(0x00 || d).
  Bytes in{0x00};
  in.insert(in.end(), d[0].begin(), d[0].end());
  EXPECT_TRUE(verify_inclusion(alg, d[0], *p, h(alg, in)).has_value());
}

TEST_P(InclusionProofTest, IndexOutsideTheTreeIsRefused) {
  const HashAlg alg = GetParam();
  const auto d = entries(alg, 4);
  for (std::int64_t i : {std::int64_t{-1}, std::int64_t{4}, std::int64_t{100}}) {
    auto p = inclusion_proof_from_hashes(alg, d, i);
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().code(), ErrorCode::kInvalidArgument);
  }
  auto e = inclusion_proof_from_hashes(alg, {}, 0);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code(), ErrorCode::kInvalidArgument);
}

// MerkleAccumulator::on_subtree reports exactly the perfect subtrees, with their MTH.
TEST_P(InclusionProofTest, AccumulatorReportsEveryPerfectSubtree) {
  const HashAlg alg = GetParam();
  const auto d = entries(alg, 70);
  MerkleAccumulator acc(alg);
  struct Seen {
    int height;
    std::int64_t index;
    Bytes hash;
  };
  std::vector<Seen> seen;
  acc.on_subtree(2, [&](int height, std::int64_t index, BytesView hash) {
    seen.push_back({height, index, Bytes(hash.begin(), hash.end())});
  });
  for (const auto& x : d) ASSERT_TRUE(acc.add(x).has_value());
  // Heights >= 2 over 70 leaves: 17 of height 2, 8 of 3, 4 of 4, 2 of 5, 1 of 6.
  EXPECT_EQ(seen.size(), 17u + 8u + 4u + 2u + 1u);
  for (const auto& s : seen) {
    const auto size = std::size_t{1} << s.height;
    const auto first = static_cast<std::size_t>(s.index) * size;
    ASSERT_LE(first + size, d.size());
    EXPECT_EQ(s.hash, textbook_mth(alg, std::span<const Bytes>(d).subspan(first, size)))
        << "height " << s.height << " index " << s.index;
  }
}

std::string alg_name(const ::testing::TestParamInfo<HashAlg>& p) {
  return std::string(crypto::hash_name(p.param));
}

INSTANTIATE_TEST_SUITE_P(Hashes, InclusionProofTest,
                         ::testing::Values(HashAlg::kSha256, HashAlg::kSm3), alg_name);

}  // namespace
}  // namespace hpki::audit
