// The Merkle tree of the audit checkpoints (RFC 9162 2.1, as RFC 6962 2.1) over the entries'
// hashes in seq order: the tree head (2.1.1), inclusion proofs (2.1.3.1) and their verification
// (2.1.3.2). Pure functions and a small accumulator: no store, no I/O, so that an offline
// verifier (an evidence package checked on another machine) needs only this and crypto/.
//
//   MTH({})       = H()                                  (the empty string)
//   MTH({d0})     = H(0x00 || d0)                        leaf, d = the entry hash
//   MTH(D[n])     = H(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k = the largest power of two < n
//
// Leaves are numbered from 0: the entry with seq s is leaf s - 1. A "perfect subtree" (height h,
// index i) is the complete tree over the leaves i·2^h .. (i+1)·2^h - 1; every left child of the
// recursion above is one, and so is every node an inclusion path is made of, except the right
// edge of the tree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/algorithm.h"

namespace hpki::audit {

// RFC 9162 2.1.1: the leaf node of an entry hash, H(0x00 || entry_hash).
[[nodiscard]] Result<Bytes> merkle_leaf_hash(crypto::HashAlg alg, BytesView entry_hash);
// RFC 9162 2.1.1: an interior node, H(0x01 || left || right).
[[nodiscard]] Result<Bytes> merkle_node_hash(crypto::HashAlg alg, BytesView left, BytesView right);

// RFC 9162 2.1.1 Merkle tree head, computed incrementally with O(log n) memory: the
// perfect subtrees of the binary decomposition of n, folded right to left give MTH(D[n]).
class MerkleAccumulator {
 public:
  // Told of a perfect subtree add() completed: its height, index and hash (MTH of its leaves).
  using SubtreeFn = std::function<void(int height, std::int64_t index, BytesView hash)>;

  explicit MerkleAccumulator(crypto::HashAlg alg) : alg_(alg) {}
  // From now on add() calls fn for every perfect subtree of height >= min_height it completes,
  // lowest first (a leaf is a subtree of height 0).
  void on_subtree(int min_height, SubtreeFn fn) {
    min_height_ = min_height;
    on_subtree_ = std::move(fn);
  }
  // Appends a leaf (the entry hash d; the leaf node is H(0x00 || d)).
  [[nodiscard]] Result<void> add(BytesView entry_hash);
  // MTH of the leaves added so far (H() when none).
  [[nodiscard]] Result<Bytes> root() const;
  [[nodiscard]] std::int64_t size() const noexcept { return size_; }

 private:
  struct Subtree {
    int height;
    Bytes hash;
  };
  crypto::HashAlg alg_;
  std::vector<Subtree> stack_;  // heights strictly decreasing
  std::int64_t size_ = 0;
  int min_height_ = 0;
  SubtreeFn on_subtree_{};
};

// RFC 9162 2.1.3: the audit path of one leaf, from the leaf's sibling up to the root's child.
struct InclusionProof {
  std::int64_t leaf_index = 0;  // 0-based: seq - 1
  std::int64_t tree_size = 0;   // the checkpoint's tree_size
  std::vector<Bytes> path{};    // RFC 9162 2.1.3.1 PATH(leaf_index, D[tree_size])
};

// RFC 9162 2.1.3.1: how many nodes PATH(index, D[size]) has (0 <= index < size; 0 otherwise).
// At most ceil(log2(size)).
[[nodiscard]] std::size_t inclusion_path_length(std::int64_t index, std::int64_t size) noexcept;

// The MTH of the perfect subtree (height, index) (see the file comment), from wherever the
// caller keeps it.
using PerfectSubtreeFn = std::function<Result<Bytes>(int height, std::int64_t index)>;

// RFC 9162 2.1.3.1 PATH(index, D[size]), built from perfect subtrees only: each node of the path
// is either a perfect subtree or the MTH of a right edge D[k:size], which is folded from the
// perfect subtrees of its binary decomposition. Asks `subtree` for O(log size) subtrees, none of
// them containing leaf `index`. kInvalidArgument unless 0 <= index < size; errors of `subtree`
// as they come.
[[nodiscard]] Result<std::vector<Bytes>> inclusion_path(crypto::HashAlg alg, std::int64_t index,
                                                        std::int64_t size,
                                                        const PerfectSubtreeFn& subtree);

// RFC 9162 2.1.3.1: the proof for entry `index` (0-based) of a tree over all of entry_hashes,
// computed in memory (O(n) hashes; for tests and tools). kInvalidArgument unless
// 0 <= index < entry_hashes.size().
[[nodiscard]] Result<InclusionProof> inclusion_proof_from_hashes(
    crypto::HashAlg alg, std::span<const Bytes> entry_hashes, std::int64_t index);

// RFC 9162 2.1.3.2: checks that the entry with hash entry_hash is leaf p.leaf_index of the tree
// of p.tree_size leaves whose head is `root` (a signed checkpoint's root_hash). Uses nothing but
// its arguments. kMalformed for a proof that cannot be one for any tree (tree_size < 1,
// leaf_index outside 0..tree_size-1, a path of another length than
// inclusion_path_length(leaf_index, tree_size), an entry hash, path node or root that is not
// hash_size(alg) bytes); kAuditBroken when the path does not lead to `root` (the entry, its
// position or the path is not the one the root commits to). p.tree_size must be the tree size
// the root was signed with (the checkpoint's), checked by the caller: the path of a leaf can
// have the same shape in a tree of another size (leaf 0 of 3 and of 4 leaves), and then it
// verifies as well.
[[nodiscard]] Result<void> verify_inclusion(crypto::HashAlg alg, BytesView entry_hash,
                                            const InclusionProof& p, BytesView root);

}  // namespace hpki::audit
