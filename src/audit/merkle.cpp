#include "audit/merkle.h"

#include <bit>
#include <string>
#include <utility>

#include "crypto/digest.h"

namespace hpki::audit {
namespace {

// The largest power of two strictly below n (n >= 2): RFC 9162 2.1.1's split point k.
std::int64_t split_point(std::int64_t n) {
  return static_cast<std::int64_t>(std::bit_floor(static_cast<std::uint64_t>(n - 1)));
}

// MTH(D[begin:end]) (begin < end) from perfect subtrees: RFC 9162 2.1.1 applied until every
// part is a perfect, aligned subtree, which `subtree` supplies.
Result<Bytes> range_hash(crypto::HashAlg alg, std::int64_t begin, std::int64_t end,
                         const PerfectSubtreeFn& subtree) {
  const auto n = static_cast<std::uint64_t>(end - begin);
  if (std::has_single_bit(n) && static_cast<std::uint64_t>(begin) % n == 0) {
    const int height = std::countr_zero(n);
    return subtree(height, begin >> height);
  }
  const std::int64_t k = split_point(end - begin);
  const Bytes left = HPKI_TRY(range_hash(alg, begin, begin + k, subtree));
  const Bytes right = HPKI_TRY(range_hash(alg, begin + k, end, subtree));
  return merkle_node_hash(alg, left, right);
}

}  // namespace

Result<Bytes> merkle_leaf_hash(crypto::HashAlg alg, BytesView entry_hash) {
  // RFC 9162 2.1.1: MTH({d(0)}) = HASH(0x00 || d(0))
  Bytes buf;
  buf.reserve(1 + entry_hash.size());
  buf.push_back(0x00);
  buf.insert(buf.end(), entry_hash.begin(), entry_hash.end());
  return crypto::digest(alg, buf);
}

Result<Bytes> merkle_node_hash(crypto::HashAlg alg, BytesView left, BytesView right) {
  // RFC 9162 2.1.1: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
  Bytes buf;
  buf.reserve(1 + left.size() + right.size());
  buf.push_back(0x01);
  buf.insert(buf.end(), left.begin(), left.end());
  buf.insert(buf.end(), right.begin(), right.end());
  return crypto::digest(alg, buf);
}

// ---------------------------------------------------------------- MerkleAccumulator

Result<void> MerkleAccumulator::add(BytesView entry_hash) {
  Subtree node{.height = 0, .hash = HPKI_TRY(merkle_leaf_hash(alg_, entry_hash))};
  const std::int64_t n = size_ + 1;  // leaves after this one
  // The subtree of height h that ends at the new leaf covers leaves n - 2^h .. n - 1.
  auto tell = [&](const Subtree& s) {
    if (on_subtree_ && s.height >= min_height_) {
      on_subtree_(s.height, (n >> s.height) - 1, s.hash);
    }
  };
  tell(node);
  // Two perfect subtrees of equal height are the left and right halves of the next one: the
  // split point k (largest power of two < n) always falls at such a boundary.
  while (!stack_.empty() && stack_.back().height == node.height) {
    node.hash = HPKI_TRY(merkle_node_hash(alg_, stack_.back().hash, node.hash));
    ++node.height;
    stack_.pop_back();
    tell(node);
  }
  stack_.push_back(std::move(node));
  size_ = n;
  return {};
}

Result<Bytes> MerkleAccumulator::root() const {
  // RFC 9162 2.1.1: the hash of an empty list is the hash of an empty string.
  if (stack_.empty()) return crypto::digest(alg_, BytesView{});
  // The leftmost (largest) subtree is D[0:k]; the rest, folded right to left, is D[k:n].
  Bytes acc = stack_.back().hash;
  for (auto it = std::next(stack_.rbegin()); it != stack_.rend(); ++it) {
    acc = HPKI_TRY(merkle_node_hash(alg_, it->hash, acc));
  }
  return acc;
}

// ---------------------------------------------------------------- inclusion proofs

std::size_t inclusion_path_length(std::int64_t index, std::int64_t size) noexcept {
  if (index < 0 || index >= size) return 0;
  // RFC 9162 2.1.3.1: one node per level of the recursion until D[n] is a single leaf.
  std::size_t len = 0;
  while (size > 1) {
    const std::int64_t k = split_point(size);
    if (index < k) {
      size = k;
    } else {
      index -= k;
      size -= k;
    }
    ++len;
  }
  return len;
}

Result<std::vector<Bytes>> inclusion_path(crypto::HashAlg alg, std::int64_t index,
                                          std::int64_t size, const PerfectSubtreeFn& subtree) {
  if (index < 0 || index >= size) {
    return fail(ErrorCode::kInvalidArgument, "leaf " + std::to_string(index) +
                                                 " is not in a tree of " + std::to_string(size) +
                                                 " leaves");
  }
  // RFC 9162 2.1.3.1: PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])      for m < k
  //                                 = PATH(m - k, D[k:n]) : MTH(D[0:k])  for m >= k
  // Walked top-down over D[begin:end] (the siblings' ranges), emitted bottom-up: the leaf's
  // sibling first.
  struct Range {
    std::int64_t begin;
    std::int64_t end;
  };
  std::vector<Range> siblings;
  std::int64_t begin = 0;
  std::int64_t end = size;
  while (end - begin > 1) {
    const std::int64_t k = split_point(end - begin);
    if (index < begin + k) {
      siblings.push_back({begin + k, end});
      end = begin + k;
    } else {
      siblings.push_back({begin, begin + k});
      begin += k;
    }
  }
  std::vector<Bytes> path;
  path.reserve(siblings.size());
  for (auto it = siblings.rbegin(); it != siblings.rend(); ++it) {
    path.push_back(HPKI_TRY(range_hash(alg, it->begin, it->end, subtree)));
  }
  return path;
}

Result<InclusionProof> inclusion_proof_from_hashes(crypto::HashAlg alg,
                                                   std::span<const Bytes> entry_hashes,
                                                   std::int64_t index) {
  const auto size = static_cast<std::int64_t>(entry_hashes.size());
  // A perfect subtree from its leaves, by the accumulator (its root is MTH of the leaves).
  auto subtree = [&](int height, std::int64_t i) -> Result<Bytes> {
    MerkleAccumulator acc(alg);
    const std::int64_t first = i << height;
    for (std::int64_t j = first; j < first + (std::int64_t{1} << height); ++j) {
      HPKI_TRY(acc.add(entry_hashes[static_cast<std::size_t>(j)]));
    }
    return acc.root();
  };
  return InclusionProof{.leaf_index = index,
                        .tree_size = size,
                        .path = HPKI_TRY(inclusion_path(alg, index, size, subtree))};
}

Result<void> verify_inclusion(crypto::HashAlg alg, BytesView entry_hash, const InclusionProof& p,
                              BytesView root) {
  const std::size_t hs = crypto::hash_size(alg);
  if (p.tree_size < 1 || p.leaf_index < 0 || p.leaf_index >= p.tree_size) {
    // RFC 9162 2.1.3.2 step 1: leaf_index >= tree_size fails.
    return fail(ErrorCode::kMalformed, "inclusion proof: leaf " + std::to_string(p.leaf_index) +
                                           " is not in a tree of " + std::to_string(p.tree_size) +
                                           " leaves");
  }
  const std::size_t want = inclusion_path_length(p.leaf_index, p.tree_size);
  if (p.path.size() != want) {
    return fail(ErrorCode::kMalformed, "inclusion proof: leaf " + std::to_string(p.leaf_index) +
                                           " of " + std::to_string(p.tree_size) +
                                           " needs a path of " + std::to_string(want) +
                                           " nodes, not " + std::to_string(p.path.size()));
  }
  if (entry_hash.size() != hs || root.size() != hs) {
    return fail(ErrorCode::kMalformed, "inclusion proof: the entry hash and the root must be " +
                                           std::to_string(hs) + " bytes");
  }
  for (std::size_t i = 0; i < p.path.size(); ++i) {
    if (p.path[i].size() != hs) {
      return fail(ErrorCode::kMalformed, "inclusion proof: path node " + std::to_string(i) +
                                             " is not " + std::to_string(hs) + " bytes");
    }
  }
  // RFC 9162 2.1.3.2 steps 2-5.
  std::int64_t fn = p.leaf_index;
  std::int64_t sn = p.tree_size - 1;
  Bytes r = HPKI_TRY(merkle_leaf_hash(alg, entry_hash));
  for (const Bytes& node : p.path) {
    // 4a: a path longer than the tree is high (excluded above by the length check).
    if (sn == 0) return fail(ErrorCode::kMalformed, "inclusion proof: path too long");
    if ((fn & 1) != 0 || fn == sn) {
      // 4b: node is a left sibling.
      r = HPKI_TRY(merkle_node_hash(alg, node, r));
      if ((fn & 1) == 0) {
        // The right edge: skip the levels where this subtree has no right sibling.
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = HPKI_TRY(merkle_node_hash(alg, r, node));
    }
    fn >>= 1;
    sn >>= 1;
  }
  // 5: the path must have reached the root, and its hash must be the root's.
  if (sn != 0) return fail(ErrorCode::kMalformed, "inclusion proof: path too short");
  if (!constant_time_equal(r, root)) {
    return fail(ErrorCode::kAuditBroken,
                "inclusion proof: the path of leaf " + std::to_string(p.leaf_index) + " of " +
                    std::to_string(p.tree_size) + " does not lead to the checkpoint's root");
  }
  return {};
}

}  // namespace hpki::audit
