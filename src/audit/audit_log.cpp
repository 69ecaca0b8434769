#include "audit/audit_log.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "crypto/digest.h"
#include "crypto/key.h"

namespace hpki::audit {
namespace {

constexpr std::int64_t kMaxBatch = 10000;
constexpr int kMaxSubtreeHeight = 20;

// --- the version-1 encodings (see the header)

void put_i64(Bytes& out, std::int64_t v) {
  const auto u = static_cast<std::uint64_t>(v);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>((u >> shift) & 0xffu));
  }
}

Result<void> put_str(Bytes& out, BytesView s, std::string_view field) {
  if (s.size() > std::numeric_limits<std::uint32_t>::max()) {
    return fail(ErrorCode::kInvalidArgument,
                "audit field " + std::string(field) + " is longer than 2^32 - 1 bytes");
  }
  const auto n = static_cast<std::uint32_t>(s.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>((n >> shift) & 0xffu));
  }
  out.insert(out.end(), s.begin(), s.end());
  return {};
}

Result<void> put_str(Bytes& out, std::string_view s, std::string_view field) {
  return put_str(out, as_bytes(s), field);
}

std::int64_t unix_seconds(TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

TimePoint whole_seconds(TimePoint t) {
  return TimePoint(std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()));
}

Result<std::int64_t> checked_batch(std::int64_t n) {
  if (n < 1 || n > kMaxBatch) {
    return fail(ErrorCode::kInvalidArgument,
                "audit batch / limit must be in 1.." + std::to_string(kMaxBatch));
  }
  return n;
}

bool same_checkpoint(const store::AuditCheckpoint& a, const store::AuditCheckpoint& b) {
  return a.seq == b.seq && a.tree_size == b.tree_size && a.root_hash == b.root_hash &&
         a.signature == b.signature && a.key_ref == b.key_ref &&
         unix_seconds(a.signed_at) == unix_seconds(b.signed_at);
}

struct CheckpointItem {
  store::AuditCheckpoint cp;
  bool trusted = false;  // from VerifyOptions::trusted_checkpoints
};

// The streaming verifier shared by verify() and checkpoint(): walks the entries from the
// lowest seq in batches, checks each one and every checkpoint at its position, and stops at
// the first problem.
class Scanner {
 public:
  Scanner(crypto::HashAlg alg, VerifyOptions options)
      : alg_(alg), opts_(std::move(options)), acc_(alg) {}

  // Keeps the hash of every perfect subtree of height >= min_height completed by the entries
  // that pass (subtrees()).
  void collect_subtrees(int min_height) {
    acc_.on_subtree(min_height, [this](int height, std::int64_t index, BytesView hash) {
      subtrees_.push_back(
          {.height = height, .index = index, .hash = Bytes(hash.begin(), hash.end())});
    });
  }

  Result<void> run(store::Store& store, std::optional<std::int64_t> upto) {
    const std::int64_t batch = HPKI_TRY(checked_batch(opts_.batch_size));
    auto db_cps = HPKI_TRY(store.transact_value<std::vector<store::AuditCheckpoint>>(
        [](store::Tx& tx) { return tx.list_checkpoints(); }));
    for (auto& c : db_cps) items_.push_back({.cp = c, .trusted = false});
    for (const auto& c : opts_.trusted_checkpoints) items_.push_back({.cp = c, .trusted = true});
    std::stable_sort(items_.begin(), items_.end(),
                     [](const auto& a, const auto& b) { return a.cp.seq < b.cp.seq; });
    if (upto) {
      std::erase_if(items_, [&](const CheckpointItem& i) { return i.cp.seq > *upto; });
    }
    db_cps_ = std::move(db_cps);
    report_.signatures_checked = opts_.audit_key_spki.has_value() || opts_.resolve_key != nullptr;
    prev_ = Bytes(crypto::hash_size(alg_), 0);

    // Checkpoints that cannot sit on any entry.
    if (!items_.empty() && items_.front().cp.seq < 1) {
      const auto& c = items_.front().cp;
      return stop(
          {.reason = reason::kCheckpointInconsistent,
           .seq = c.seq,
           .checkpoint_seq = c.seq,
           .message = "checkpoint at seq " + std::to_string(c.seq) + ": the log starts at seq 1"});
    }

    std::int64_t from = std::numeric_limits<std::int64_t>::min();
    for (;;) {
      std::int64_t limit = batch;
      if (upto) {
        if (expected_ > *upto) break;
        // Entries below seq 1 are reported before anything is read past them.
        if (from >= 1) limit = std::min(limit, *upto - from + 1);
      }
      auto rows = HPKI_TRY(store.transact_value<std::vector<store::AuditRecord>>(
          [&](store::Tx& tx) { return tx.read_audit(from, limit); }));
      for (const auto& e : rows) {
        if (upto && e.seq > *upto) break;
        HPKI_TRY(check_entry(e));
        if (report_.failure) return {};
      }
      if (static_cast<std::int64_t>(rows.size()) < limit) break;
      from = rows.back().seq + 1;
    }

    if (next_cp_ < items_.size()) {
      const auto& c = items_[next_cp_].cp;
      const std::int64_t last = expected_ - 1;
      return stop({.reason = reason::kCheckpointBeyondLog,
                   .seq = expected_,
                   .checkpoint_seq = c.seq,
                   .message = "checkpoint at seq " + std::to_string(c.seq) +
                              " covers entries up to " + std::to_string(c.seq) +
                              " but the log ends at seq " + std::to_string(last) +
                              " (entries were deleted from the tail)"});
    }
    report_.unprotected_entries =
        (expected_ - 1) - report_.last_checkpoint_seq.value_or(std::int64_t{0});
    return {};
  }

  [[nodiscard]] const VerifyReport& report() const { return report_; }
  [[nodiscard]] const MerkleAccumulator& tree() const { return acc_; }
  [[nodiscard]] const Bytes& last_hash() const { return prev_; }
  [[nodiscard]] std::int64_t last_seq() const { return expected_ - 1; }
  [[nodiscard]] const std::vector<store::AuditSubtree>& subtrees() const { return subtrees_; }

 private:
  Result<void> stop(VerifyFailure f) {
    report_.failure = std::move(f);
    return {};
  }

  Result<void> check_entry(const store::AuditRecord& e) {
    const std::string at = "entry " + std::to_string(e.seq);
    if (e.seq < expected_) {
      return stop({.reason = reason::kSeqOutOfRange,
                   .seq = e.seq,
                   .message = at + ": seq below 1 (the log starts at seq 1)"});
    }
    if (e.seq > expected_) {
      return stop({.reason = reason::kSeqGap,
                   .seq = expected_,
                   .message = "entry " + std::to_string(expected_) +
                              (e.seq == expected_ + 1
                                   ? std::string(" is missing")
                                   : " to " + std::to_string(e.seq - 1) + " are missing") +
                              " (next present: " + std::to_string(e.seq) + ")"});
    }
    if (e.hash_alg != crypto::hash_name(alg_)) {
      return stop({.reason = reason::kHashAlgMismatch,
                   .seq = e.seq,
                   .message = at + ": chained with '" + e.hash_alg + "', the log uses " +
                              std::string(crypto::hash_name(alg_))});
    }
    const std::size_t hs = crypto::hash_size(alg_);
    if (e.hash.size() != hs || e.prev_hash.size() != hs) {
      return stop(
          {.reason = reason::kMalformedEntry,
           .seq = e.seq,
           .message = at + ": hash or prev_hash is not " + std::to_string(hs) + " bytes long"});
    }
    auto h = entry_hash(alg_, e);
    if (!h) {
      if (h.error().code() != ErrorCode::kInvalidArgument) return std::unexpected(h.error());
      return stop({.reason = reason::kMalformedEntry,
                   .seq = e.seq,
                   .message = at + ": " + h.error().detail()});
    }
    if (!constant_time_equal(*h, e.hash)) {
      return stop({.reason = reason::kHashMismatch,
                   .seq = e.seq,
                   .message = at + ": the stored hash is not the hash of the entry's contents "
                                   "(the entry was edited or moved)"});
    }
    if (!constant_time_equal(e.prev_hash, prev_)) {
      return stop({.reason = reason::kPrevHashMismatch,
                   .seq = e.seq,
                   .message = at + ": prev_hash is not the hash of entry " +
                              std::to_string(e.seq - 1) +
                              " (an entry was inserted, removed or reordered)"});
    }
    HPKI_TRY(acc_.add(e.hash));
    prev_ = e.hash;
    ++expected_;
    ++report_.entries_checked;
    while (next_cp_ < items_.size() && items_[next_cp_].cp.seq == e.seq) {
      HPKI_TRY(check_checkpoint(items_[next_cp_]));
      if (report_.failure) return {};
      ++next_cp_;
    }
    return {};
  }

  // Called when the tree holds exactly the entries 1..item.cp.seq.
  Result<void> check_checkpoint(const CheckpointItem& item) {
    const auto& c = item.cp;
    const std::string at = std::string(item.trusted ? "trusted checkpoint" : "checkpoint") +
                           " at seq " + std::to_string(c.seq);
    VerifyFailure f{.seq = c.seq, .checkpoint_seq = c.seq};
    if (c.tree_size != c.seq || c.root_hash.size() != crypto::hash_size(alg_)) {
      f.reason = reason::kCheckpointInconsistent;
      f.message = at + ": tree_size " + std::to_string(c.tree_size) +
                  " or root length does not fit the log";
      return stop(std::move(f));
    }
    // RFC 9162 2.1.1: the tree head over entries 1..seq.
    const Bytes root = HPKI_TRY(acc_.root());
    if (!constant_time_equal(root, c.root_hash)) {
      f.reason = reason::kCheckpointRootMismatch;
      f.message = at + ": the Merkle root of entries 1.." + std::to_string(c.seq) +
                  " differs from the signed root (history was rewritten or truncated)";
      return stop(std::move(f));
    }
    if (report_.signatures_checked) {
      auto key = public_key(c.key_ref);
      if (!key) {
        f.reason = reason::kCheckpointKeyUnknown;
        f.message = at + ": audit key '" + c.key_ref.str() + "': " + key.error().to_string();
        return stop(std::move(f));
      }
      const Bytes statement = HPKI_TRY(checkpoint_statement(alg_, c));
      const auto sig_alg = crypto::default_signature_alg(key->spec().type);
      if (auto v = key->verify(sig_alg, statement, c.signature); !v) {
        f.reason = reason::kCheckpointSignatureInvalid;
        f.message =
            at + ": signature does not verify with the audit key (" + v.error().to_string() + ")";
        return stop(std::move(f));
      }
    }
    if (item.trusted && std::none_of(db_cps_.begin(), db_cps_.end(),
                                     [&](const auto& d) { return same_checkpoint(d, c); })) {
      f.reason = reason::kCheckpointMissing;
      f.message = at + ": not in the database (checkpoint rows were deleted or replaced)";
      return stop(std::move(f));
    }
    ++report_.checkpoints_checked;
    report_.last_checkpoint_seq = c.seq;
    return {};
  }

  Result<crypto::PublicKey> public_key(const KeyId& key_ref) {
    if (auto it = keys_.find(key_ref); it != keys_.end()) return it->second;
    auto k = [&]() -> Result<crypto::PublicKey> {
      const Bytes spki =
          opts_.audit_key_spki ? *opts_.audit_key_spki : HPKI_TRY(opts_.resolve_key(key_ref));
      return crypto::PublicKey::from_spki(spki);
    }();
    keys_.emplace(key_ref, k);
    return k;
  }

  crypto::HashAlg alg_;
  VerifyOptions opts_;
  MerkleAccumulator acc_;
  std::vector<CheckpointItem> items_;
  std::vector<store::AuditCheckpoint> db_cps_;
  std::size_t next_cp_ = 0;
  std::int64_t expected_ = 1;
  Bytes prev_;
  VerifyReport report_;
  std::map<KeyId, Result<crypto::PublicKey>> keys_;
  std::vector<store::AuditSubtree> subtrees_;
};

}  // namespace

// ---------------------------------------------------------------- encodings

Result<Bytes> encode_entry(const store::AuditRecord& e) {
  Bytes out;
  out.reserve(128 + e.actor.size() + e.action.size() + e.object.size() + e.outcome.size() +
              e.details.size() + e.prev_hash.size());
  HPKI_TRY(put_str(out, e.org.empty() ? kEntryTag : kEntryTagOrg, "tag"));
  put_i64(out, e.seq);
  put_i64(out, unix_seconds(e.at));
  HPKI_TRY(put_str(out, e.actor, "actor"));
  HPKI_TRY(put_str(out, e.action, "action"));
  HPKI_TRY(put_str(out, e.object, "object"));
  HPKI_TRY(put_str(out, e.outcome, "outcome"));
  HPKI_TRY(put_str(out, e.details, "details"));
  HPKI_TRY(put_str(out, e.hash_alg, "hash_alg"));
  HPKI_TRY(put_str(out, BytesView(e.prev_hash), "prev_hash"));
  if (!e.org.empty()) HPKI_TRY(put_str(out, e.org, "org"));
  return out;
}

Result<Bytes> entry_hash(crypto::HashAlg alg, const store::AuditRecord& e) {
  return crypto::digest(alg, HPKI_TRY(encode_entry(e)));
}

Result<Bytes> checkpoint_statement(crypto::HashAlg alg, const store::AuditCheckpoint& c) {
  Bytes out;
  HPKI_TRY(put_str(out, kCheckpointTag, "tag"));
  HPKI_TRY(put_str(out, crypto::hash_name(alg), "hash_alg"));
  put_i64(out, c.tree_size);
  put_i64(out, c.seq);
  HPKI_TRY(put_str(out, BytesView(c.root_hash), "root_hash"));
  put_i64(out, unix_seconds(c.signed_at));
  HPKI_TRY(put_str(out, c.key_ref.str(), "key_ref"));
  return out;
}

// ---------------------------------------------------------------- AuditLog

Result<AuditLog> AuditLog::create(crypto::HashAlg alg, const Clock& clock,
                                  AuditLogOptions options) {
  if (alg != crypto::HashAlg::kSha256 && alg != crypto::HashAlg::kSm3) {
    return fail(ErrorCode::kUnsupportedAlgorithm, "the audit log hashes with sha256 or sm3, not " +
                                                      std::string(crypto::hash_name(alg)));
  }
  if (options.subtree_height < 1 || options.subtree_height > kMaxSubtreeHeight) {
    return fail(ErrorCode::kInvalidArgument,
                "audit subtree height must be in 1.." + std::to_string(kMaxSubtreeHeight));
  }
  return AuditLog(alg, clock, options);
}

Result<std::int64_t> AuditLog::append(store::Tx& tx, const Event& e) const {
  if (e.actor.empty() || e.action.empty() || e.outcome.empty()) {
    return fail(ErrorCode::kInvalidArgument, "audit event needs an actor, action and outcome");
  }
  std::string details = e.details.empty() ? std::string("{}") : e.details;
  if (!nlohmann::json::accept(details)) {
    return fail(ErrorCode::kInvalidArgument, "audit event details are not JSON text");
  }
  const std::size_t hs = crypto::hash_size(alg_);
  auto tail = HPKI_TRY(tx.lock_audit_tail());
  store::AuditRecord rec{.seq = 1,
                         .at = whole_seconds(clock_->now()),
                         .actor = e.actor,
                         .action = e.action,
                         .object = e.object,
                         .outcome = e.outcome,
                         .details = std::move(details),
                         .hash_alg = std::string(crypto::hash_name(alg_)),
                         .prev_hash = Bytes(hs, 0),
                         .hash = {},
                         .org = e.org};
  if (tail) {
    if (tail->hash_alg != rec.hash_alg || tail->hash.size() != hs) {
      return fail(ErrorCode::kAuditBroken,
                  "the last audit entry (seq " + std::to_string(tail->seq) + ") is chained with '" +
                      tail->hash_alg + "' (" + std::to_string(tail->hash.size()) +
                      " bytes), this log uses " + rec.hash_alg);
    }
    rec.seq = tail->seq + 1;
    rec.prev_hash = tail->hash;
  }
  rec.hash = HPKI_TRY(entry_hash(alg_, rec));
  // An explicit seq: the store refuses it unless it directly follows the tail we linked to.
  return tx.append_audit(rec);
}

Result<store::AuditCheckpoint> AuditLog::checkpoint(store::Store& store,
                                                    const crypto::Signer& audit_key,
                                                    KeyId key_ref) const {
  const auto spec = HPKI_TRY(crypto::key_spec_of(audit_key.public_key_der()));
  if (audit_key.algorithm() != crypto::default_signature_alg(spec.type)) {
    return fail(
        ErrorCode::kInvalidArgument,
        "audit checkpoints are signed with " +
            std::string(crypto::signature_alg_name(crypto::default_signature_alg(spec.type))) +
            " for this key, not " + std::string(crypto::signature_alg_name(audit_key.algorithm())));
  }
  struct Tail {
    std::optional<store::AuditRecord> last;
    std::vector<store::AuditCheckpoint> cps;
  };
  auto tail = HPKI_TRY(store.transact_value<Tail>([](store::Tx& tx) -> Result<Tail> {
    return Tail{.last = HPKI_TRY(tx.last_audit()), .cps = HPKI_TRY(tx.list_checkpoints())};
  }));
  if (!tail.last) return fail(ErrorCode::kBadState, "the audit log is empty");
  const std::int64_t upto = tail.last->seq;
  if (!tail.cps.empty() && tail.cps.back().seq == upto) return tail.cps.back();

  // Never sign a broken log: verify the chain and the earlier roots up to `upto` first.
  Scanner scan(alg_, VerifyOptions{});
  scan.collect_subtrees(options_.subtree_height);
  HPKI_TRY(scan.run(store, upto));
  if (const auto& f = scan.report().failure) {
    return fail(ErrorCode::kAuditBroken, std::string(f->reason) + ": " + f->message);
  }
  if (scan.last_seq() != upto) {
    return fail(ErrorCode::kAuditBroken, "the audit log ends at seq " +
                                             std::to_string(scan.last_seq()) + ", expected " +
                                             std::to_string(upto));
  }
  store::AuditCheckpoint c{.seq = upto,
                           .tree_size = upto,
                           .root_hash = HPKI_TRY(scan.tree().root()),
                           .signature = {},
                           .key_ref = std::move(key_ref),
                           .signed_at = whole_seconds(clock_->now())};
  c.signature = HPKI_TRY(audit_key.sign(HPKI_TRY(checkpoint_statement(alg_, c))));
  const Bytes last_hash = scan.last_hash();
  HPKI_TRY(store.transact([&](store::Tx& tx) -> Result<void> {
    // The entry signed over must still be the one scanned (entries are append-only).
    auto now = HPKI_TRY(tx.read_audit(upto, 1));
    if (now.empty() || now[0].seq != upto || now[0].hash != last_hash) {
      return fail(ErrorCode::kConflict,
                  "audit entry " + std::to_string(upto) + " changed while checkpointing");
    }
    HPKI_TRY(tx.insert_checkpoint(c));
    // The subtrees the scan completed are all below `upto` (complete, so final: entries are
    // append-only) and computed from verified entries. Written when missing or different.
    std::map<std::pair<int, std::int64_t>, Bytes> cached;
    for (auto& t : HPKI_TRY(tx.list_audit_subtrees(options_.subtree_height))) {
      cached.emplace(std::pair{t.height, t.index}, std::move(t.hash));
    }
    std::vector<store::AuditSubtree> missing;
    for (const auto& t : scan.subtrees()) {
      auto it = cached.find({t.height, t.index});
      if (it == cached.end() || it->second != t.hash) missing.push_back(t);
    }
    if (!missing.empty()) HPKI_TRY(tx.put_audit_subtrees(missing));
    return {};
  }));
  return c;
}

Result<InclusionProof> AuditLog::inclusion_proof(store::Store& store, std::int64_t seq,
                                                 std::int64_t tree_size) const {
  if (seq < 1 || seq > tree_size) {
    return fail(ErrorCode::kInvalidArgument, "audit entry " + std::to_string(seq) +
                                                 " is not in a tree of " +
                                                 std::to_string(tree_size) + " entries");
  }
  const int k = options_.subtree_height;
  const std::int64_t block = std::int64_t{1} << k;
  const std::size_t hs = crypto::hash_size(alg_);
  InclusionProof proof{.leaf_index = seq - 1, .tree_size = tree_size};

  // The entry hashes of leaves first .. first + count - 1, read in ranges; kNotFound when one is
  // missing.
  auto read_leaves = [](store::Tx& tx, std::int64_t first,
                        std::int64_t count) -> Result<std::vector<Bytes>> {
    std::vector<Bytes> out;
    out.reserve(static_cast<std::size_t>(std::min(count, kMaxBatch)));
    while (static_cast<std::int64_t>(out.size()) < count) {
      const std::int64_t from_seq = first + static_cast<std::int64_t>(out.size()) + 1;
      const std::int64_t want = std::min(kMaxBatch, count - static_cast<std::int64_t>(out.size()));
      auto rows = HPKI_TRY(tx.read_audit_hashes(from_seq, want));
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].seq != from_seq + static_cast<std::int64_t>(i)) {
          return fail(ErrorCode::kNotFound,
                      "audit entry " + std::to_string(from_seq + static_cast<std::int64_t>(i)) +
                          " is missing");
        }
        out.push_back(std::move(rows[i].hash));
      }
      if (static_cast<std::int64_t>(rows.size()) < want) {
        return fail(ErrorCode::kNotFound,
                    "audit entry " +
                        std::to_string(first + static_cast<std::int64_t>(out.size()) + 1) +
                        " is missing");
      }
    }
    return out;
  };

  HPKI_TRY(store.read([&](store::Tx& tx) -> Result<void> {
    // The tree's last entry must exist: a cached subtree cannot stand in for it.
    HPKI_TRY(read_leaves(tx, tree_size - 1, 1));
    // Blocks of 2^K leaves (clipped to the tree), read whole when a subtree below height K
    // inside them is needed: the entry's block and the tree's last one.
    std::map<std::int64_t, std::vector<Bytes>> blocks;
    auto subtree = [&](int height, std::int64_t index) -> Result<Bytes> {
      const std::int64_t first = index << height;
      const std::int64_t count = std::int64_t{1} << height;
      if (height >= k) {
        // Not trusted for correctness: a wrong hash here only makes a proof that fails
        // verify_inclusion against the signed root.
        auto cached = HPKI_TRY(tx.get_audit_subtree(height, index));
        if (cached && cached->size() == hs) return std::move(*cached);
        // Not cached (an older database): from the entry hashes, streamed.
        MerkleAccumulator acc(alg_);
        for (std::int64_t done = 0; done < count; done += kMaxBatch) {
          for (const auto& d :
               HPKI_TRY(read_leaves(tx, first + done, std::min(kMaxBatch, count - done)))) {
            HPKI_TRY(acc.add(d));
          }
        }
        return acc.root();
      }
      const std::int64_t b = first / block;
      auto it = blocks.find(b);
      if (it == blocks.end()) {
        const std::int64_t start = b * block;
        auto leaves = HPKI_TRY(read_leaves(tx, start, std::min(block, tree_size - start)));
        it = blocks.emplace(b, std::move(leaves)).first;
      }
      // A perfect subtree of the tree lies inside its block and below tree_size.
      const auto offset = static_cast<std::size_t>(first - b * block);
      HPKI_CHECK(offset + static_cast<std::size_t>(count) <= it->second.size());
      MerkleAccumulator acc(alg_);
      for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
        HPKI_TRY(acc.add(it->second[offset + i]));
      }
      return acc.root();
    };
    proof.path = HPKI_TRY(inclusion_path(alg_, proof.leaf_index, tree_size, subtree));
    return {};
  }));
  return proof;
}

Result<VerifyReport> AuditLog::verify(store::Store& store, const VerifyOptions& options) const {
  Scanner scan(alg_, options);
  HPKI_TRY(scan.run(store, std::nullopt));
  return scan.report();
}

Result<std::vector<store::AuditRecord>> AuditLog::list(store::Store& store, std::int64_t from_seq,
                                                       std::int64_t limit,
                                                       std::optional<std::string> org) const {
  HPKI_TRY(checked_batch(limit));
  return store.transact_value<std::vector<store::AuditRecord>>(
      [&](store::Tx& tx) { return tx.read_audit(from_seq, limit, org); });
}

}  // namespace hpki::audit
