// The tamper-evident audit log (issue 4 "Audit log", DESIGN.md "The issuance pipeline").
//
// Every state change of the CA appends one entry — who (actor), what (action), the object,
// the outcome, details as JSON, and when — inside the caller's transaction, so that a
// certificate issuance and its audit entry commit or roll back together:
//
//   auto log = HPKI_TRY(audit::AuditLog::create(crypto::HashAlg::kSm3, clock));
//   HPKI_TRY(store.transact([&](store::Tx& tx) -> Result<void> {
//     HPKI_TRY(tx.complete_issuance(ca_id, serial, der));
//     HPKI_TRY(log.append(tx, {.actor = "ra:alice", .action = audit::action::kCertIssue,
//                              .object = "sm2-issuing/" + serial,
//                              .outcome = audit::outcome::kSuccess, .details = "{}"}));
//     return {};
//   }));
//
// Hash algorithm. A deployment picks ONE hash for the whole log (config), SHA-256 or SM3 —
// e.g. SM3 for an SM2-first hospital. Every entry records the name of the hash it was
// chained with; an entry with another name is refused on append and reported on verify
// (audit.hash_alg_mismatch). Changing the algorithm means starting a new database.
//
// Hash chain, format version 1 (docs/operations.md "Audit log" is the auditor's copy; an
// auditor can recompute everything from the database rows and this description):
//
//   str(x)   = uint32 big-endian byte length of x || x   (text: its UTF-8 bytes as stored)
//   int64(v) = 8 bytes, big-endian two's complement
//   entry_message = str("hpki-audit-entry/1") || int64(seq) || int64(at) || str(actor)
//                   || str(action) || str(object) || str(outcome) || str(details)
//                   || str(hash_alg) || str(prev_hash)
//   For an entry that names an organization (org not empty; schema version 6, issue 16) the
//   message is format version 2, the same fields then the organization:
//   entry_message = str("hpki-audit-entry/2") || ... as above ... || str(prev_hash) || str(org)
//   (entries without an organization, all entries written before, keep format version 1, so an
//   org added to or removed from a row changes its hash).
//   hash     = H(entry_message)
//   at       = unix seconds (UTC), as stored; hash_alg = "sha256" | "sm3"
//   prev_hash = the previous entry's hash; for seq 1 the all-zero string of H's length.
//   seq runs 1, 2, 3, ... without gaps.
//
// Checkpoints, format version 1: a Merkle tree over the entries' hashes in seq order
// (RFC 9162 2.1.1, as RFC 6962 2.1):
//
//   MTH({})       = H()                                  (the empty string)
//   MTH({d0})     = H(0x00 || d0)                        leaf, d = the entry hash
//   MTH(D[n])     = H(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k = the largest power of two < n
//
// The audit key signs the statement
//
//   str("hpki-audit-checkpoint/1") || str(hash_alg) || int64(tree_size) || int64(seq)
//   || str(root_hash) || int64(signed_at) || str(key_ref)
//
// with the default signature algorithm of its key type (RSA: PKCS#1 v1.5 SHA-256, P-256:
// ECDSA-SHA256, P-384: ECDSA-SHA384, SM2: SM2-with-SM3 and the GM/T 0009 default ID
// "1234567812345678"); the signature is stored as the Signer returns it. tree_size equals
// seq (seqs are contiguous from 1).
//
// Inclusion proofs (RFC 9162 2.1.3; audit/merkle.h): the audit path of one entry in a
// checkpoint's tree, at most ceil(log2(tree_size)) hashes, verifiable with the entry's hash and
// the signed checkpoint alone (verify_inclusion). inclusion_proof() builds it in O(log n) reads
// from a cache of subtree hashes (store::AuditSubtree, table audit_subtrees, schema version 11):
// the MTH of every perfect, aligned subtree of height >= K (AuditLogOptions::subtree_height,
// default 10 = 1024 entries), written by checkpoint() from its own verification pass for the
// subtrees below the new tree_size. A proof reads at most 2·2^K entry hashes (the blocks of 2^K
// entries holding the entry and the tree's last entry) and O(log n) cached hashes. The cache is
// derived data, not evidence: a missing row is computed from the entries, and a wrong one only
// makes a proof that fails verification against the signed root.
//
// What verify() detects, and what it cannot:
//  - an edited field of any entry (its recomputed hash differs: audit.hash_mismatch);
//  - a deleted entry in the middle (audit.seq_gap), or a renumbering to hide it (the seq is
//    hashed: audit.hash_mismatch, or audit.prev_hash_mismatch if the attacker rehashed);
//  - an inserted or reordered entry (audit.hash_mismatch / audit.prev_hash_mismatch);
//  - a history rewritten consistently by someone who recomputed every hash (the chain alone
//    cannot tell: the hash is unkeyed), as soon as a signed checkpoint covers a rewritten
//    entry (audit.checkpoint_root_mismatch);
//  - deleting the newest entries that a checkpoint covers (audit.checkpoint_beyond_log) or
//    replacing them (audit.checkpoint_root_mismatch);
//  - a forged or altered checkpoint, when the audit public key is given
//    (audit.checkpoint_signature_invalid).
// It can NOT detect: deleting or rewriting entries newer than the newest checkpoint (the
// "unprotected tail"), nor deleting checkpoint rows together with the entries they cover.
// Hence: take checkpoints periodically (e.g. every few minutes, and at shutdown) and keep the
// latest checkpoint also outside the database (syslog, a WORM store, another site); give
// those to verify() as VerifyOptions::trusted_checkpoints.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/merkle.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "crypto/signer.h"
#include "store/store.h"

namespace hpki::audit {

// Domain-separation tags of the hashed / signed encodings (format version 1).
inline constexpr std::string_view kEntryTag = "hpki-audit-entry/1";
inline constexpr std::string_view kEntryTagOrg = "hpki-audit-entry/2";
inline constexpr std::string_view kCheckpointTag = "hpki-audit-checkpoint/1";

// Reason ids of a failed verification (stable: logs, CLI --json output, tests).
namespace reason {
// The entry's stored hash is not the hash of its contents (an edited field, a moved row).
inline constexpr std::string_view kHashMismatch = "audit.hash_mismatch";
// An entry is missing: the seq reported is the first missing one.
inline constexpr std::string_view kSeqGap = "audit.seq_gap";
// An entry with seq < 1 (the log starts at 1).
inline constexpr std::string_view kSeqOutOfRange = "audit.seq_out_of_range";
// prev_hash is not the previous entry's hash (an inserted, reordered or rehashed entry).
inline constexpr std::string_view kPrevHashMismatch = "audit.prev_hash_mismatch";
// The entry names another hash algorithm than the log's.
inline constexpr std::string_view kHashAlgMismatch = "audit.hash_alg_mismatch";
// hash / prev_hash of the wrong length, or a field too long to encode.
inline constexpr std::string_view kMalformedEntry = "audit.malformed_entry";
// A checkpoint whose tree_size differs from its seq, whose seq is < 1, or whose root has the
// wrong length.
inline constexpr std::string_view kCheckpointInconsistent = "audit.checkpoint_inconsistent";
// The Merkle root recomputed from the entries differs from the checkpoint's root.
inline constexpr std::string_view kCheckpointRootMismatch = "audit.checkpoint_root_mismatch";
inline constexpr std::string_view kCheckpointSignatureInvalid =
    "audit.checkpoint_signature_invalid";
// resolve_key failed for the checkpoint's key_ref, or the key is unusable.
inline constexpr std::string_view kCheckpointKeyUnknown = "audit.checkpoint_key_unknown";
// A checkpoint covers entries that are not in the log (the tail was deleted).
inline constexpr std::string_view kCheckpointBeyondLog = "audit.checkpoint_beyond_log";
// A trusted checkpoint (held outside the database) has no identical row in the database.
inline constexpr std::string_view kCheckpointMissing = "audit.checkpoint_missing";
}  // namespace reason

// Every action hpki writes, so that all services record the same words. The words are stable:
// operators filter on them (`hpki audit list`), and the integration tests grep for them.
namespace action {
// CA hierarchy and keys (ca/).
inline constexpr std::string_view kCaCreate = "ca.create";
inline constexpr std::string_view kKeyCreate = "key.create";
// Certificate lifecycle (ca/). The issuance pipeline writes "cert." + its step, one of the
// four below.
inline constexpr std::string_view kCertIssue = "cert.issue";
inline constexpr std::string_view kCertRenew = "cert.renew";
inline constexpr std::string_view kCertRekey = "cert.rekey";
inline constexpr std::string_view kCertModify = "cert.modify";
inline constexpr std::string_view kCertRevoke = "cert.revoke";
inline constexpr std::string_view kCertHold = "cert.hold";
inline constexpr std::string_view kCertRelease = "cert.release";
inline constexpr std::string_view kCertNeverDelivered = "cert.never_delivered";
// Subject records (ca/).
inline constexpr std::string_view kSubjectCreate = "subject.create";
inline constexpr std::string_view kSubjectUpdate = "subject.update";
inline constexpr std::string_view kSubjectDelete = "subject.delete";
// Revocation: each CRL stored by the CRL publisher (revocation/).
inline constexpr std::string_view kCrlPublish = "crl.publish";
// Trust services: a time-stamp token (tsa/), a signature with an organization's key (api/).
inline constexpr std::string_view kTimestampIssue = "timestamp.issue";
inline constexpr std::string_view kSignCreate = "sign.create";
// Credentials (api/auth.h).
inline constexpr std::string_view kApiKeyCreate = "auth.apikey_create";
inline constexpr std::string_view kApiKeyRevoke = "auth.apikey_revoke";
inline constexpr std::string_view kOperatorAdd = "auth.operator_add";
inline constexpr std::string_view kOperatorRevoke = "auth.operator_revoke";
// Every API call that is not a state change audited above (reads, refused and failed calls):
// this prefix + "<METHOD> <route pattern>", e.g. "api.GET /api/v1/certificates/{serial}".
inline constexpr std::string_view kApiCallPrefix = "api.";
// Reserved, not written yet.
inline constexpr std::string_view kKeyUse = "key.use";
inline constexpr std::string_view kLogin = "auth.login";
inline constexpr std::string_view kRoleChange = "auth.role_change";
}  // namespace action

namespace outcome {
inline constexpr std::string_view kSuccess = "success";
inline constexpr std::string_view kFailure = "failure";
inline constexpr std::string_view kDenied = "denied";
}  // namespace outcome

// What happened. actor, action and outcome must be non-empty; details must be a JSON text
// (empty means "{}"). The time is taken from the log's clock.
struct Event {
  std::string actor{};    // e.g. "cli:root", "ra:alice", "api-key:his-01"
  std::string action{};   // e.g. action::kCertIssue
  std::string object{};   // e.g. "sm2-issuing/3f9a..." (CA id / serial), may be empty
  std::string outcome{};  // e.g. outcome::kSuccess
  std::string details{};  // JSON text
  // The organization the event concerns (the certificate's or subject's, or the calling
  // principal's), "" for system-wide events: organization-scoped auditors read only theirs.
  std::string org{};
};

// --- the documented encodings (public so that tools and tests can recompute them)

// entry_message above, from the record's seq, at, text fields, hash_alg and prev_hash.
// kInvalidArgument when a field is longer than 2^32 - 1 bytes.
[[nodiscard]] Result<Bytes> encode_entry(const store::AuditRecord& e);
// H(encode_entry(e)), H = `alg` (whatever e.hash_alg says).
[[nodiscard]] Result<Bytes> entry_hash(crypto::HashAlg alg, const store::AuditRecord& e);
// The signed checkpoint statement above (c.signature is not part of it).
[[nodiscard]] Result<Bytes> checkpoint_statement(crypto::HashAlg alg,
                                                 const store::AuditCheckpoint& c);

// --- verification

struct VerifyOptions {
  // The audit public key (DER SubjectPublicKeyInfo) for every checkpoint. Takes precedence
  // over resolve_key.
  std::optional<Bytes> audit_key_spki{};
  // Or: the SPKI for a checkpoint's key_ref (an error is reported as
  // audit.checkpoint_key_unknown). With neither, signatures are not checked
  // (VerifyReport::signatures_checked is false) but roots still are.
  std::function<Result<Bytes>(const KeyId& key_ref)> resolve_key{};
  // Checkpoints kept outside the database; each is checked like a stored one and must also
  // be present, identical, in the database (else audit.checkpoint_missing).
  std::vector<store::AuditCheckpoint> trusted_checkpoints{};
  // Entries read per transaction (1..10000); the log is streamed, never loaded whole.
  std::int64_t batch_size = 1000;
};

struct VerifyFailure {
  std::string_view reason{};  // a reason:: id
  std::int64_t seq = 0;       // the first bad entry (for beyond_log: the first missing one)
  std::optional<std::int64_t> checkpoint_seq{};  // when a checkpoint is at fault
  std::string message{};                         // for humans
};

struct VerifyReport {
  [[nodiscard]] bool ok() const noexcept { return !failure.has_value(); }
  std::int64_t entries_checked = 0;                   // entries that passed, in order from seq 1
  std::int64_t checkpoints_checked = 0;               // checkpoints that passed
  bool signatures_checked = false;                    // whether checkpoint signatures were verified
  std::optional<std::int64_t> last_checkpoint_seq{};  // the newest checkpoint that passed
  // Entries after the newest passing checkpoint: not yet protected against truncation.
  std::int64_t unprotected_entries = 0;
  std::optional<VerifyFailure> failure{};  // the FIRST problem in seq order
};

// The default height K of the cached Merkle subtrees (2^K = 1024 entries each).
inline constexpr int kDefaultSubtreeHeight = 10;

struct AuditLogOptions {
  // Checkpoints cache the hash of every perfect subtree of height >= subtree_height
  // (store::AuditSubtree); an inclusion proof then reads at most 2·2^K entry hashes and
  // O(log n) cached subtrees. 1..20. Lower only to exercise the cache with few entries (tests).
  int subtree_height = kDefaultSubtreeHeight;
};

class AuditLog {
 public:
  // kUnsupportedAlgorithm unless alg is kSha256 or kSm3; kInvalidArgument for options out of
  // range. The clock must outlive the log.
  [[nodiscard]] static Result<AuditLog> create(crypto::HashAlg alg, const Clock& clock,
                                               AuditLogOptions options = {});

  [[nodiscard]] crypto::HashAlg hash_alg() const noexcept { return alg_; }

  // Appends the event inside the caller's transaction and returns its seq. Takes the audit
  // tail lock (held until the transaction ends), links to the last entry, stores the entry
  // with its hash. kInvalidArgument for a bad event; kAuditBroken when the last entry was
  // chained with another hash algorithm or has a hash of the wrong length (the log must be
  // repaired or verified first); store errors as they come. Safe to re-run when the store
  // retries the transaction.
  [[nodiscard]] Result<std::int64_t> append(store::Tx& tx, const Event& e) const;

  // Verifies the whole log (chain, then the Merkle roots covered so far) and signs a
  // checkpoint over all entries up to the current last seq with `audit_key`; stores and
  // returns it. When the newest checkpoint already covers the last entry it is returned as
  // is (nothing is signed). The signer must use the default signature algorithm of its key
  // type (kInvalidArgument otherwise; see the file comment). kBadState for an empty log;
  // kAuditBroken (detail: reason id and message) when verification fails — a broken log is
  // never signed; kConflict when a concurrent checkpoint took the same seq. In the same
  // transaction as the checkpoint it stores the hashes of the perfect subtrees of height >= K
  // (AuditLogOptions::subtree_height) below the new tree_size that the cache lacks or has
  // wrong (computed by the verification pass), for inclusion_proof().
  [[nodiscard]] Result<store::AuditCheckpoint> checkpoint(store::Store& store,
                                                          const crypto::Signer& audit_key,
                                                          KeyId key_ref) const;

  // RFC 9162 2.1.3.1: the inclusion proof of entry `seq` in the tree of the first tree_size
  // entries (a checkpoint's tree_size; verify it against that checkpoint's root with
  // verify_inclusion). Reads, in one read transaction, the entry hashes of at most two blocks of
  // 2^K entries (the entry's and the tree's last, incomplete one) and O(log tree_size) cached
  // subtree hashes; a subtree missing from the cache (a database older than schema 11, entries
  // not yet covered by a checkpoint) is computed from the entry hashes instead, read in ranges
  // (O(size of the subtree)). The cache is not trusted for correctness: a wrong cached hash
  // makes a proof that does not verify against the signed root, never a proof of something
  // the root does not commit to. The entries are not verified here (that is verify()'s job).
  // kInvalidArgument unless 1 <= seq <= tree_size; kNotFound when an entry 1..tree_size is
  // missing; store errors as they come.
  [[nodiscard]] Result<InclusionProof> inclusion_proof(store::Store& store, std::int64_t seq,
                                                       std::int64_t tree_size) const;

  // Checks the whole log offline (reads in batches, each in its own transaction). Problems
  // of the log are in the report; an Error only when the log cannot be read (a row whose
  // columns no longer decode is kStorage) or options are bad (kInvalidArgument).
  [[nodiscard]] Result<VerifyReport> verify(store::Store& store,
                                            const VerifyOptions& options = {}) const;

  // Entries with seq >= from_seq, ascending, at most `limit` (1..10000), for `hpki audit
  // list`; with `org`, only that organization's entries. Entries are returned as stored (not
  // verified).
  [[nodiscard]] Result<std::vector<store::AuditRecord>> list(
      store::Store& store, std::int64_t from_seq, std::int64_t limit,
      std::optional<std::string> org = std::nullopt) const;

 private:
  AuditLog(crypto::HashAlg alg, const Clock& clock, AuditLogOptions options)
      : alg_(alg), clock_(&clock), options_(options) {}
  crypto::HashAlg alg_;
  const Clock* clock_;
  AuditLogOptions options_;
};

}  // namespace hpki::audit
