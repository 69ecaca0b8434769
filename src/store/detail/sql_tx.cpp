// SqlTx (store/detail/sql_tx.h): running a Tx, the statement helpers, CAs, key references,
// counters and raw SQL. The other groups of records are in sql_tx_*.cpp.
#include "store/detail/sql_tx.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/detail/columns.h"
#include "store/detail/descriptors.h"

namespace hpki::store::detail {

// ---------------------------------------------------------------- CAs

Result<void> SqlTx::insert_ca(const CaRecord& ca) {
  if (ca.id.empty()) return fail(ErrorCode::kInvalidArgument, "CA id is empty");
  if (ca.key_ref.empty())
    return fail(ErrorCode::kInvalidArgument, "CA " + ca.id + " has no key id");
  static const std::string sql = cat({"INSERT INTO cas (", insert_list(kCas), ") VALUES ",
                                      placeholders(kCas), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kCas));
  bind_row(kCas, ca, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  return expect_one(n, "CA " + ca.id);
}

Result<CaRecord> SqlTx::get_ca(std::string_view id) {
  static const std::string sql = cat({"SELECT ", select_list(kCas), " FROM cas WHERE id = ?"});
  const Value p[] = {text(id)};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no CA " + std::string(id));
  return read_row(kCas, rows[0]);
}

Result<std::vector<CaRecord>> SqlTx::list_cas() {
  static const std::string sql =
      cat({"SELECT ", select_list(kCas), " FROM cas ORDER BY created_at, id"});
  auto rows = HPKI_TRY(conn_.query(sql, {}));
  return read_rows(kCas, rows);
}

// ---------------------------------------------------------------- key refs

Result<void> SqlTx::insert_key_ref(const KeyRefRecord& k) {
  if (k.id.empty()) return fail(ErrorCode::kInvalidArgument, "key reference id is empty");
  static const std::string sql = cat({"INSERT INTO key_refs (", insert_list(kKeyRefs), ") VALUES ",
                                      placeholders(kKeyRefs), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kKeyRefs));
  bind_row(kKeyRefs, k, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  return expect_one(n, "key reference " + k.id.str());
}

Result<KeyRefRecord> SqlTx::get_key_ref(const KeyId& id) {
  static const std::string sql =
      cat({"SELECT ", select_list(kKeyRefs), " FROM key_refs WHERE id = ?"});
  const Value p[] = {text(id.str())};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no key reference " + id.str());
  return read_row(kKeyRefs, rows[0]);
}

Result<std::vector<KeyRefRecord>> SqlTx::list_key_refs() {
  static const std::string sql =
      cat({"SELECT ", select_list(kKeyRefs), " FROM key_refs ORDER BY id"});
  auto rows = HPKI_TRY(conn_.query(sql, {}));
  return read_rows(kKeyRefs, rows);
}

// ---------------------------------------------------------------- counters

Result<std::int64_t> SqlTx::reserve_counter(std::string_view name, std::int64_t count) {
  if (name.empty()) return fail(ErrorCode::kInvalidArgument, "counter name is empty");
  if (count < 1) {
    return fail(ErrorCode::kInvalidArgument,
                "counter " + std::string(name) + ": cannot reserve " + std::to_string(count));
  }
  const Value p[] = {text(name), Value{count}, Value{count}};
  // One statement: the row lock (PostgreSQL) or the database write lock (SQLite) orders
  // concurrent callers, so values are unique and increase in commit order.
  auto rows = HPKI_TRY(
      conn_.query("INSERT INTO counters (name, value) VALUES (?, ?) "
                  "ON CONFLICT (name) DO UPDATE SET value = counters.value + ? RETURNING value",
                  p));
  if (rows.empty()) return fail(ErrorCode::kStorage, "counter update returned no row");
  const auto last = HPKI_TRY(read_value<std::int64_t>(rows[0], 0, {"counters", "value"}));
  return last - count + 1;
}

// ---------------------------------------------------------------- running a Tx

Result<void> SqlTx::run(Connection& conn, const Clock& clock, const Store::TxFn& fn) {
  SqlTx tx(conn, clock);
  HPKI_TRY(fn(tx));
  return tx.flush_audit();
}

Result<std::int64_t> SqlTx::exec_rows_here(std::string_view head, std::size_t cols,
                                           std::span<const Value> values, std::string_view tail) {
  return exec_rows(
      [this](std::string_view sql, std::span<const Value> v) { return conn_.exec(sql, v); }, head,
      cols, values, tail);
}

Result<void> SqlTx::exec_rows_deferred(std::string_view head, std::size_t cols,
                                       std::span<const Value> values, const Deferred& how) {
  HPKI_TRY(exec_rows(
      [this, &how](std::string_view sql, std::span<const Value> v) -> Result<std::int64_t> {
        HPKI_TRY(conn_.exec_deferred(sql, v, how));
        return 0;
      },
      head, cols, values));
  return {};
}

// ---------------------------------------------------------------- raw (store/detail/raw.h)

Result<std::int64_t> SqlTx::exec(std::string_view sql, std::span<const Value> params) {
  HPKI_TRY(flush_audit());  // raw SQL may read or change the audit log
  audit_tail_.reset();
  audit_tail_known_ = false;
  if (params.empty()) return conn_.exec_script(sql);
  return conn_.exec(sql, params);
}

Result<std::vector<Row>> SqlTx::query(std::string_view sql, std::span<const Value> params) {
  HPKI_TRY(flush_audit());  // raw SQL may read or change the audit log
  audit_tail_.reset();
  audit_tail_known_ = false;
  return conn_.query(sql, params);
}

}  // namespace hpki::store::detail
