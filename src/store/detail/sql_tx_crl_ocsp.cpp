// SqlTx (store/detail/sql_tx.h): CRLs and stored OCSP responses.
#include "store/detail/sql_tx.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/detail/columns.h"
#include "store/detail/descriptors.h"

namespace hpki::store::detail {

// ---------------------------------------------------------------- CRLs

Result<void> SqlTx::insert_crl(const CrlRecord& crl) {
  if (crl.name.empty()) return fail(ErrorCode::kInvalidArgument, "CRL name is empty");
  if (crl.der.empty()) return fail(ErrorCode::kInvalidArgument, "CRL without DER");
  static const std::string sql = cat({"INSERT INTO crls (", insert_list(kCrls), ") VALUES ",
                                      placeholders(kCrls), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kCrls));
  bind_row(kCrls, crl, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  return expect_one(n, "CRL " + crl.name + " number " + std::to_string(crl.crl_number));
}

Result<std::optional<CrlRecord>> SqlTx::latest_crl(std::string_view name, bool with_der) {
  static const std::string with =
      cat({"SELECT ", select_list(kCrls),
           " FROM crls WHERE name = ? ORDER BY crl_number DESC LIMIT 1"});
  static const std::string without_der =
      cat({"SELECT ", select_list(kCrls, {}, kCrlWithoutDer),
           " FROM crls WHERE name = ? ORDER BY crl_number DESC LIMIT 1"});
  const Value p[] = {text(name)};
  auto rows = HPKI_TRY(conn_.query(with_der ? with : without_der, p));
  if (rows.empty()) return std::nullopt;
  return read_row(kCrls, rows[0], with_der ? kAllColumns : kCrlWithoutDer);
}

Result<std::int64_t> SqlTx::prune_crls(std::string_view name, int keep) {
  if (keep < 1) return fail(ErrorCode::kInvalidArgument, "prune_crls: keep at least one CRL");
  const Value p[] = {text(name), text(name), Value{std::int64_t{keep}}};
  return conn_.exec(
      "DELETE FROM crls WHERE name = ? AND crl_number < (SELECT MIN(crl_number) FROM (SELECT "
      "crl_number FROM crls WHERE name = ? ORDER BY crl_number DESC LIMIT ?) AS newest)",
      p);
}

// ---------------------------------------------------------------- OCSP responses

Result<std::vector<OcspResponseRecord>> SqlTx::list_ocsp_responses(std::string_view ca_id) {
  static const std::string sql =
      cat({"SELECT ", select_list(kOcspResponses), " FROM ocsp_responses WHERE ca_id = ?"});
  const Value p[] = {text(ca_id)};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kOcspResponses, rows);
}

Result<void> SqlTx::upsert_ocsp_responses(std::span<const OcspResponseRecord> responses) {
  // Multi-row: a batch of responses in a few statements. A stored response is replaced only by
  // one at least as new (another node may have stored a later one meanwhile).
  static const std::string head =
      cat({"INSERT INTO ocsp_responses (", insert_list(kOcspResponses), ")"});
  static const std::string tail =
      cat({"ON CONFLICT (ca_id, serial) DO UPDATE SET ",
           excluded_set_list(kOcspResponses, kOcspResponseNonKey),
           " WHERE ocsp_responses.this_update <= excluded.this_update"});
  const std::vector<Value> p = rows_values(kOcspResponses, responses, now());
  HPKI_TRY(exec_rows_here(head, written_count(kOcspResponses), p, tail));
  return {};
}

}  // namespace hpki::store::detail
