// SqlTx (store/detail/sql_tx.h): subjects.
#include "store/detail/sql_tx.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/detail/columns.h"
#include "store/detail/descriptors.h"

namespace hpki::store::detail {

// ---------------------------------------------------------------- subjects

Result<std::int64_t> SqlTx::insert_subject(const SubjectRecord& s) {
  static const std::string sql =
      cat({"INSERT INTO subjects (", insert_list(kSubjects), ") VALUES ", placeholders(kSubjects),
           " ON CONFLICT DO NOTHING RETURNING id"});
  std::vector<Value> p;
  p.reserve(written_count(kSubjects));
  bind_row(kSubjects, s, now(), p);
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) {
    return fail(ErrorCode::kConflict, "a subject with this identifier already exists");
  }
  return scalar<std::int64_t>(rows, {"subjects", "id"});
}

Result<SubjectRecord> SqlTx::get_subject(std::int64_t id) {
  static const std::string sql =
      cat({"SELECT ", select_list(kSubjects), " FROM subjects WHERE id = ?"});
  const Value p[] = {Value{id}};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no subject " + std::to_string(id));
  return read_row(kSubjects, rows[0]);
}

Result<void> SqlTx::update_subject(const SubjectRecord& s) {
  // Every field but id and created_at.
  static const std::string sql =
      cat({"UPDATE subjects SET ", set_list(kSubjects), " WHERE id = ?"});
  std::vector<Value> p;
  p.reserve(written_count(kSubjects));
  bind_fields(kSubjects, s, p);
  p.push_back(Value{s.id});
  auto n = HPKI_TRY(conn_.exec(sql, p));
  if (n == 0) return fail(ErrorCode::kNotFound, "no subject " + std::to_string(s.id));
  return {};
}

Result<void> SqlTx::delete_subject(std::int64_t id) {
  const Value p[] = {Value{id}};
  // Checked first so that the transaction stays usable (a foreign-key error would abort it
  // on PostgreSQL); the constraint still guards against races.
  auto refs = HPKI_TRY(conn_.query("SELECT COUNT(*) FROM certificates WHERE subject_id = ?", p));
  if (!refs.empty() && HPKI_TRY(read_value<std::int64_t>(refs[0], 0, {{}, "count"})) > 0) {
    return fail(ErrorCode::kConflict,
                "subject " + std::to_string(id) + " is referred to by certificates");
  }
  auto n = HPKI_TRY(conn_.exec("DELETE FROM subjects WHERE id = ?", p));
  if (n == 0) return fail(ErrorCode::kNotFound, "no subject " + std::to_string(id));
  return {};
}

Result<std::optional<SubjectRecord>> SqlTx::find_subject_by_id_hash(std::string_view org,
                                                                    BytesView id_number_hash) {
  static const std::string sql = cat(
      {"SELECT ", select_list(kSubjects), " FROM subjects WHERE org = ? AND id_number_hash = ?"});
  const Value p[] = {text(org), blob(id_number_hash)};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return std::nullopt;
  return read_row(kSubjects, rows[0]);
}

Result<std::vector<SubjectRecord>> SqlTx::list_subjects(std::optional<SubjectKind> kind,
                                                        std::optional<std::string> org,
                                                        std::int64_t limit, std::int64_t offset) {
  if (limit < 1 || limit > kMaxSearchLimit || offset < 0) {
    return fail(ErrorCode::kInvalidArgument, "list limit or offset out of range");
  }
  static const std::string head =
      cat({"SELECT ", select_list(kSubjects), " FROM subjects WHERE 1 = 1"});
  std::vector<Value> p;
  std::string sql = head;
  if (kind) {
    sql += " AND kind = ?";
    p.push_back(text(to_string(*kind)));
  }
  if (org) {
    sql += " AND org = ?";
    p.push_back(text(*org));
  }
  sql += " ORDER BY id LIMIT ? OFFSET ?";
  p.push_back(Value{limit});
  p.push_back(Value{offset});
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kSubjects, rows);
}

}  // namespace hpki::store::detail
