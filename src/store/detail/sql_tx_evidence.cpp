// SqlTx (store/detail/sql_tx.h): evidence packages kept for renewal (issue 21).
#include <cstdint>
#include <string>
#include <vector>

#include "store/detail/columns.h"
#include "store/detail/descriptors.h"
#include "store/detail/sql_tx.h"

namespace hpki::store::detail {

Result<void> SqlTx::insert_evidence(const EvidenceRecord& r) {
  if (r.id.empty()) return fail(ErrorCode::kInvalidArgument, "evidence package id is empty");
  static const std::string sql =
      cat({"INSERT INTO evidence_packages (", insert_list(kEvidence), ") VALUES ",
           placeholders(kEvidence), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kEvidence));
  bind_row(kEvidence, r, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  if (n == 0) return fail(ErrorCode::kConflict, "evidence package " + r.id + " already exists");
  return {};
}

Result<EvidenceRecord> SqlTx::get_evidence(std::string_view id) {
  static const std::string sql =
      cat({"SELECT ", select_list(kEvidence), " FROM evidence_packages WHERE id = ?"});
  const Value p[] = {text(id)};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no evidence package " + std::string(id));
  return read_row(kEvidence, rows[0]);
}

Result<std::vector<EvidenceRecord>> SqlTx::due_evidence(TimePoint tsa_until_by,
                                                        std::optional<TimePoint> stamped_by,
                                                        TimePoint not_stamped_after,
                                                        std::int64_t limit) {
  if (limit < 1 || limit > 100)
    return fail(ErrorCode::kInvalidArgument, "evidence limit out of range (1..100)");
  static const std::string sql =
      cat({"SELECT ", select_list(kEvidence),
           " FROM evidence_packages WHERE (tsa_until <= ? OR stamped_at <= ?) AND stamped_at <= ?"
           " ORDER BY stamped_at, id LIMIT ?"});
  // Without a maximum age, a stamped_at bound no row has.
  const TimePoint stamped = stamped_by.value_or(TimePoint{});
  const Value p[] = {Codec<TimePoint>::bind(tsa_until_by), Codec<TimePoint>::bind(stamped),
                     Codec<TimePoint>::bind(not_stamped_after), Value{limit}};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kEvidence, rows);
}

Result<void> SqlTx::update_evidence(const EvidenceRecord& r, std::int64_t expected_renewals) {
  static const std::string sql =
      "UPDATE evidence_packages SET package = ?, renewals = ?, tsa_until = ?, stamped_at = ?, "
      "updated_at = ? WHERE id = ? AND renewals = ?";
  const Value p[] = {Value{r.package},
                     Value{r.renewals},
                     Codec<TimePoint>::bind(r.tsa_until),
                     Codec<TimePoint>::bind(r.stamped_at),
                     Value{now()},
                     text(r.id),
                     Value{expected_renewals}};
  auto n = HPKI_TRY(conn_.exec(sql, p));
  if (n == 1) return {};
  HPKI_TRY(get_evidence(r.id));  // kNotFound when absent
  return fail(ErrorCode::kConflict, "evidence package " + r.id + " was renewed meanwhile");
}

}  // namespace hpki::store::detail
