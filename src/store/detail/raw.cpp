#include "store/detail/raw.h"

#include "store/detail/sql_tx.h"

namespace hpki::store::raw {
namespace {

// Every Tx a store hands out is an SqlTx (store/detail/sql_tx.h).
detail::SqlTx& sql_tx(Tx& tx) {
  auto* s = dynamic_cast<detail::SqlTx*>(&tx);
  HPKI_CHECK(s != nullptr);
  return *s;
}

}  // namespace

Result<std::int64_t> exec(Tx& tx, std::string_view sql, std::span<const Value> params) {
  return sql_tx(tx).exec(sql, params);
}

Result<std::vector<Row>> query(Tx& tx, std::string_view sql, std::span<const Value> params) {
  return sql_tx(tx).query(sql, params);
}

Result<std::int64_t> exec_rows(Tx& tx, std::string_view head, std::size_t cols,
                               std::span<const Value> values, std::string_view tail) {
  detail::SqlTx& s = sql_tx(tx);
  return detail::exec_rows(
      [&s](std::string_view sql, std::span<const Value> p) { return s.exec(sql, p); }, head, cols,
      values, tail);
}

Result<std::vector<Row>> query_in(Tx& tx, std::string_view before, std::span<const Value> fixed,
                                  std::span<const Value> list, std::string_view after) {
  detail::SqlTx& s = sql_tx(tx);
  return detail::query_in(
      [&s](std::string_view sql, std::span<const Value> p) { return s.query(sql, p); }, before,
      fixed, list, after);
}

}  // namespace hpki::store::raw
