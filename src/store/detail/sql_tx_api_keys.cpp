// SqlTx (store/detail/sql_tx.h): API keys.
#include "store/detail/sql_tx.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/detail/columns.h"
#include "store/detail/descriptors.h"

namespace hpki::store::detail {

// ---------------------------------------------------------------- API keys

Result<void> SqlTx::insert_api_key(const ApiKeyRecord& k) {
  if (k.id.empty() || k.hash.empty()) {
    return fail(ErrorCode::kInvalidArgument, "API key id or hash is empty");
  }
  static const std::string sql = cat({"INSERT INTO api_keys (", insert_list(kApiKeys), ") VALUES ",
                                      placeholders(kApiKeys), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kApiKeys));
  bind_row(kApiKeys, k, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  return expect_one(n, "API key " + k.id);
}

Result<std::optional<ApiKeyRecord>> SqlTx::find_api_key_by_hash(BytesView hash) {
  static const std::string sql =
      cat({"SELECT ", select_list(kApiKeys), " FROM api_keys WHERE hash = ?"});
  const Value p[] = {blob(hash)};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return std::nullopt;
  return read_row(kApiKeys, rows[0]);
}

Result<std::vector<ApiKeyRecord>> SqlTx::list_api_keys() {
  static const std::string sql =
      cat({"SELECT ", select_list(kApiKeys), " FROM api_keys ORDER BY created_at, id"});
  auto rows = HPKI_TRY(conn_.query(sql, {}));
  return read_rows(kApiKeys, rows);
}

Result<void> SqlTx::revoke_api_key(std::string_view id, TimePoint at) {
  const Value p[] = {Value{to_unix(at)}, text(id)};
  auto n = HPKI_TRY(
      conn_.exec("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", p));
  if (n == 0) return fail(ErrorCode::kNotFound, "no active API key " + std::string(id));
  return {};
}

}  // namespace hpki::store::detail
