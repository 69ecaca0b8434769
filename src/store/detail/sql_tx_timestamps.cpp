// SqlTx (store/detail/sql_tx.h): timestamps and their tokens.
#include "store/detail/sql_tx.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/detail/columns.h"
#include "store/detail/descriptors.h"

namespace hpki::store::detail {

// ---------------------------------------------------------------- timestamps

namespace {
// "timestamp 7" or "one of timestamps 7..25", for errors about a batch.
template <typename T>
std::string serials_text(std::span<const T> ts) {
  if (ts.size() == 1) return "timestamp " + std::to_string(ts[0].serial);
  return "one of timestamps " + std::to_string(ts.front().serial) + ".." +
         std::to_string(ts.back().serial);
}
}  // namespace

Result<void> SqlTx::insert_timestamps(std::span<const TimestampRecord> ts) {
  if (ts.empty()) return {};
  std::vector<TimestampToken> tokens;
  for (const TimestampRecord& t : ts) {
    if (t.serial <= 0 || t.tsa_id.empty() || t.hash_alg.empty() || t.policy.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "timestamp record: serial, TSA, hash or policy empty");
    }
    if (t.token) tokens.push_back({.serial = t.serial, .token = *t.token});
  }
  static const std::string head = cat({"INSERT INTO timestamps (", insert_list(kTimestamps), ")"});
  const std::vector<Value> p = rows_values(kTimestamps, ts, now());
  if (conn_.pipelined()) {
    // Deferred: a recorded serial fails in the database (a unique violation aborts the
    // transaction). The tokens' serials are those recorded just before (their foreign key), so
    // they need no join to be checked.
    HPKI_TRY(exec_rows_deferred(
        head, written_count(kTimestamps), p,
        {.table = "timestamps", .conflict = serials_text(ts) + ": already recorded"}));
    if (tokens.empty()) return {};
    static const std::string tokens_head =
        cat({"INSERT INTO timestamp_tokens (", insert_list(kTimestampTokens), ")"});
    const std::vector<Value> tp =
        rows_values(kTimestampTokens, std::span<const TimestampToken>(tokens), now());
    return exec_rows_deferred(tokens_head, written_count(kTimestampTokens), tp, {});
  }
  auto n = HPKI_TRY(exec_rows_here(head, written_count(kTimestamps), p, "ON CONFLICT DO NOTHING"));
  if (n != static_cast<std::int64_t>(ts.size()))
    return fail(ErrorCode::kConflict, serials_text(ts) + ": already recorded");
  return set_timestamp_tokens(tokens);
}

Result<void> SqlTx::set_timestamp_tokens(std::span<const TimestampToken> ts) {
  if (ts.empty()) return {};
  // Appended, one row per token; only for recorded serials (the join), so a count short of the
  // list names an unknown serial. A stored token is never replaced (primary key: kConflict).
  // Both dialects name a VALUES list's columns column1, column2, ...
  static const std::string head = [] {
    std::string values_cols;
    for (std::size_t i = 1; i <= written_count(kTimestampTokens); ++i) {
      if (i > 1) values_cols += ", ";
      values_cols += "v.column" + std::to_string(i);
    }
    return cat({"INSERT INTO timestamp_tokens (", insert_list(kTimestampTokens), ") SELECT ",
                values_cols, " FROM ("});
  }();
  static_assert(kTimestampTokenColumns[0].name == "serial");  // v.column1 in the join below
  const std::vector<Value> p = rows_values(kTimestampTokens, ts, now());
  auto n = HPKI_TRY(exec_rows_here(head, written_count(kTimestampTokens), p,
                                   ") AS v JOIN timestamps t ON t.serial = v.column1"));
  if (n != static_cast<std::int64_t>(ts.size()))
    return fail(ErrorCode::kNotFound, serials_text(ts) + ": not recorded");
  return {};
}

Result<TimestampRecord> SqlTx::get_timestamp(std::int64_t serial) {
  static const std::string sql =
      cat({"SELECT ", select_list(kTimestamps),
           ", (SELECT token FROM timestamp_tokens k WHERE k.serial = timestamps.serial) "
           "FROM timestamps WHERE serial = ?"});
  const Value p[] = {Value{serial}};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no timestamp " + std::to_string(serial));
  TimestampRecord t = HPKI_TRY(read_row(kTimestamps, rows[0]));
  t.token = HPKI_TRY(read_value<std::optional<Bytes>>(rows[0], kTimestamps.columns.size(),
                                                      {"timestamp_tokens", "token"}));
  return t;
}

Result<std::optional<TimePoint>> SqlTx::last_timestamp_time() {
  auto rows = HPKI_TRY(conn_.query("SELECT MAX(gen_time) FROM timestamps", {}));
  if (rows.empty()) return std::optional<TimePoint>{};
  return read_value<std::optional<TimePoint>>(rows[0], 0, {{}, "MAX(timestamps.gen_time)"});
}

}  // namespace hpki::store::detail
