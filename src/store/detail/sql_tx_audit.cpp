// SqlTx (store/detail/sql_tx.h): the audit log and its checkpoints.
#include "store/detail/sql_tx.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "store/detail/columns.h"
#include "store/detail/descriptors.h"

namespace hpki::store::detail {

namespace {

// pg_advisory_xact_lock key of the audit chain ("hpkiaudt").
constexpr std::int64_t kAuditLockKey = 0x68706b6961756474;

}  // namespace

// ---------------------------------------------------------------- audit

Result<std::optional<AuditRecord>> SqlTx::lock_audit_tail() {
  // After an append in this transaction the tail is known (and on PostgreSQL the lock is held
  // until commit): no second look-up per entry when a batch appends many.
  if (audit_tail_known_) return audit_tail_;
  if (dialect() == Dialect::kPostgres) {
    // Held until commit or rollback, across all connections to this database. Pipelined: sent
    // with the query of the tail below (one round trip).
    const Value p[] = {Value{kAuditLockKey}};
    static constexpr std::string_view kLock = "SELECT pg_advisory_xact_lock(?)";
    if (conn_.pipelined()) {
      HPKI_TRY(conn_.exec_deferred(kLock, p, {}));
    } else {
      HPKI_TRY(conn_.query(kLock, p));
    }
  }
  // SQLite: every transaction starts with BEGIN IMMEDIATE, which already holds the one
  // write lock of the database file.
  audit_tail_ = HPKI_TRY(last_audit());
  audit_tail_known_ = true;
  return audit_tail_;
}

Result<std::int64_t> SqlTx::append_audit(const AuditRecord& e) {
  std::int64_t last = 0;
  if (audit_tail_known_) {
    last = audit_tail_ ? audit_tail_->seq : 0;
  } else {
    auto tail = HPKI_TRY(conn_.query("SELECT COALESCE(MAX(seq), 0) FROM audit_log", {}));
    last = tail.empty() ? 0 : HPKI_TRY(read_value<std::int64_t>(tail[0], 0, {{}, "max(seq)"}));
  }
  std::int64_t seq = e.seq;
  if (seq == 0) {
    seq = last + 1;
  } else if (seq <= last) {
    return fail(ErrorCode::kInvalidArgument, "audit seq " + std::to_string(seq) +
                                                 " is not after the last one (" +
                                                 std::to_string(last) + ")");
  }
  audit_tail_ = e;
  audit_tail_->seq = seq;
  audit_tail_known_ = true;
  pending_audit_.push_back(*audit_tail_);
  return seq;
}

Result<void> SqlTx::flush_audit() {
  if (pending_audit_.empty()) return {};
  static const std::string head = cat({"INSERT INTO audit_log (", insert_list(kAuditLog), ")"});
  const std::vector<Value> p =
      rows_values(kAuditLog, std::span<const AuditRecord>(pending_audit_), now());
  const std::string taken = "audit seq " + std::to_string(pending_audit_.front().seq) + ".." +
                            std::to_string(pending_audit_.back().seq) +
                            ": an entry with one of these seqs already exists";
  if (conn_.pipelined()) {
    // Deferred: a taken seq fails in the database (a unique violation aborts the transaction).
    HPKI_TRY(exec_rows_deferred(head, written_count(kAuditLog), p,
                                {.table = "audit_log", .conflict = taken}));
    pending_audit_.clear();
    return {};
  }
  auto n = HPKI_TRY(exec_rows_here(head, written_count(kAuditLog), p, "ON CONFLICT DO NOTHING"));
  if (n != static_cast<std::int64_t>(pending_audit_.size())) {
    return fail(ErrorCode::kConflict, taken);
  }
  pending_audit_.clear();
  return {};
}

Result<std::vector<AuditRecord>> SqlTx::read_audit(std::int64_t from_seq, std::int64_t limit,
                                                   std::optional<std::string> org) {
  if (limit < 1) return fail(ErrorCode::kInvalidArgument, "audit read limit must be positive");
  HPKI_TRY(flush_audit());
  if (org) {
    static const std::string sql =
        cat({"SELECT ", select_list(kAuditLog),
             " FROM audit_log WHERE org = ? AND seq >= ? ORDER BY seq LIMIT ?"});
    const Value p[] = {text(*org), Value{from_seq}, Value{limit}};
    auto rows = HPKI_TRY(conn_.query(sql, p));
    return read_rows(kAuditLog, rows);
  }
  static const std::string sql = cat(
      {"SELECT ", select_list(kAuditLog), " FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?"});
  const Value p[] = {Value{from_seq}, Value{limit}};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kAuditLog, rows);
}

Result<std::vector<AuditRecord>> SqlTx::find_audit(const std::vector<std::string>& objects,
                                                   std::int64_t limit) {
  if (limit < 1) return fail(ErrorCode::kInvalidArgument, "audit read limit must be positive");
  if (objects.empty()) return std::vector<AuditRecord>{};
  if (objects.size() > 64) return fail(ErrorCode::kInvalidArgument, "at most 64 audit objects");
  HPKI_TRY(flush_audit());
  std::string in;
  std::vector<Value> p;
  for (const auto& o : objects) {
    in += in.empty() ? "?" : ", ?";
    p.push_back(text(o));
  }
  p.push_back(Value{limit});
  const std::string sql = cat({"SELECT ", select_list(kAuditLog),
                               " FROM audit_log WHERE object IN (", in, ") ORDER BY seq LIMIT ?"});
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kAuditLog, rows);
}

Result<std::optional<AuditRecord>> SqlTx::last_audit() {
  HPKI_TRY(flush_audit());
  static const std::string sql =
      cat({"SELECT ", select_list(kAuditLog), " FROM audit_log ORDER BY seq DESC LIMIT 1"});
  auto rows = HPKI_TRY(conn_.query(sql, {}));
  if (rows.empty()) return std::nullopt;
  return read_row(kAuditLog, rows[0]);
}

Result<void> SqlTx::insert_checkpoint(const AuditCheckpoint& c) {
  if (c.key_ref.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "checkpoint at seq " + std::to_string(c.seq) + " has no key id");
  }
  HPKI_TRY(flush_audit());
  static const std::string sql =
      cat({"INSERT INTO audit_checkpoints (", insert_list(kCheckpoints), ") VALUES ",
           placeholders(kCheckpoints), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kCheckpoints));
  bind_row(kCheckpoints, c, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  return expect_one(n, "checkpoint at seq " + std::to_string(c.seq));
}

Result<std::vector<AuditCheckpoint>> SqlTx::list_checkpoints() {
  static const std::string sql =
      cat({"SELECT ", select_list(kCheckpoints), " FROM audit_checkpoints ORDER BY seq"});
  auto rows = HPKI_TRY(conn_.query(sql, {}));
  return read_rows(kCheckpoints, rows);
}

// ---------------------------------------------------------------- Merkle subtree cache

Result<std::vector<AuditEntryHash>> SqlTx::read_audit_hashes(std::int64_t from_seq,
                                                             std::int64_t limit) {
  if (limit < 1) return fail(ErrorCode::kInvalidArgument, "audit read limit must be positive");
  HPKI_TRY(flush_audit());
  static constexpr std::string_view kSql =
      "SELECT seq, hash FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?";
  const Value p[] = {Value{from_seq}, Value{limit}};
  auto rows = HPKI_TRY(conn_.query(kSql, p));
  std::vector<AuditEntryHash> out;
  out.reserve(rows.size());
  for (auto& r : rows) {
    out.push_back({.seq = HPKI_TRY(read_value<std::int64_t>(r, 0, {"audit_log", "seq"})),
                   .hash = HPKI_TRY(read_value<Bytes>(r, 1, {"audit_log", "hash"}))});
  }
  return out;
}

Result<void> SqlTx::put_audit_subtrees(std::span<const AuditSubtree> s) {
  std::vector<Value> p;
  p.reserve(3 * s.size());
  for (const auto& t : s) {
    if (t.height < 0 || t.index < 0) {
      return fail(ErrorCode::kInvalidArgument, "audit subtree (" + std::to_string(t.height) + ", " +
                                                   std::to_string(t.index) +
                                                   "): negative height or index");
    }
    p.push_back(Value{std::int64_t{t.height}});
    p.push_back(Value{t.index});
    p.push_back(Value{t.hash});
  }
  HPKI_TRY(exec_rows_here("INSERT INTO audit_subtrees (height, idx, hash)", 3, p,
                          "ON CONFLICT (height, idx) DO UPDATE SET hash = excluded.hash"));
  return {};
}

Result<std::optional<Bytes>> SqlTx::get_audit_subtree(int height, std::int64_t index) {
  static constexpr std::string_view kSql =
      "SELECT hash FROM audit_subtrees WHERE height = ? AND idx = ?";
  const Value p[] = {Value{std::int64_t{height}}, Value{index}};
  auto rows = HPKI_TRY(conn_.query(kSql, p));
  if (rows.empty()) return std::nullopt;
  return read_value<Bytes>(rows[0], 0, {"audit_subtrees", "hash"});
}

Result<std::vector<AuditSubtree>> SqlTx::list_audit_subtrees(int min_height) {
  static constexpr std::string_view kSql =
      "SELECT height, idx, hash FROM audit_subtrees WHERE height >= ? ORDER BY height, idx";
  const Value p[] = {Value{std::int64_t{min_height}}};
  auto rows = HPKI_TRY(conn_.query(kSql, p));
  std::vector<AuditSubtree> out;
  out.reserve(rows.size());
  for (auto& r : rows) {
    out.push_back({.height = HPKI_TRY(read_value<int>(r, 0, {"audit_subtrees", "height"})),
                   .index = HPKI_TRY(read_value<std::int64_t>(r, 1, {"audit_subtrees", "idx"})),
                   .hash = HPKI_TRY(read_value<Bytes>(r, 2, {"audit_subtrees", "hash"}))});
  }
  return out;
}

}  // namespace hpki::store::detail
