// SqlTx (store/detail/sql_tx.h): electronic seals (issue 20).
#include <cstdint>
#include <string>
#include <vector>

#include "store/detail/columns.h"
#include "store/detail/descriptors.h"
#include "store/detail/sql_tx.h"

namespace hpki::store::detail {

Result<void> SqlTx::insert_seal(const SealRecord& r) {
  if (r.id.empty()) return fail(ErrorCode::kInvalidArgument, "seal id is empty");
  static const std::string sql = cat({"INSERT INTO seals (", insert_list(kSeals), ") VALUES ",
                                      placeholders(kSeals), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kSeals));
  bind_row(kSeals, r, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  if (n == 0) return fail(ErrorCode::kConflict, "seal " + r.id + " already exists");
  return {};
}

Result<SealRecord> SqlTx::get_seal(std::string_view id) {
  static const std::string sql = cat({"SELECT ", select_list(kSeals), " FROM seals WHERE id = ?"});
  const Value p[] = {text(id)};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no seal " + std::string(id));
  return read_row(kSeals, rows[0]);
}

Result<void> SqlTx::update_seal(const SealRecord& r) {
  constexpr ColumnSet kAllButId = [] {
    ColumnSet s = kAllColumns;
    s &= ~(ColumnSet{1} << 0);  // id is the first column
    return s;
  }();
  static const std::string sql =
      cat({"UPDATE seals SET ", set_list(kSeals, kAllButId), ", updated_at = ? WHERE id = ?"});
  std::vector<Value> p;
  p.reserve(written_count(kSeals) + 1);
  bind_fields(kSeals, r, p, kAllButId);
  p.emplace_back(now());
  p.push_back(text(r.id));
  auto n = HPKI_TRY(conn_.exec(sql, p));
  if (n == 0) return fail(ErrorCode::kNotFound, "no seal " + r.id);
  return {};
}

Result<std::vector<SealRecord>> SqlTx::list_seals(std::string_view org, std::int64_t limit,
                                                  std::int64_t offset, bool with_images) {
  if (limit < 1 || limit > kMaxSearchLimit || offset < 0) {
    return fail(ErrorCode::kInvalidArgument, "list limit or offset out of range");
  }
  const ColumnSet cols = with_images ? kAllColumns : kSealSummary;
  std::string sql = cat({"SELECT ", select_list(kSeals, {}, cols), " FROM seals"});
  std::vector<Value> p;
  if (!org.empty()) {
    sql += " WHERE org = ?";
    p.push_back(text(org));
  }
  sql += " ORDER BY created_at, id LIMIT ? OFFSET ?";
  p.push_back(Value{limit});
  p.push_back(Value{offset});
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kSeals, rows, cols);
}

}  // namespace hpki::store::detail
