// TEST-ONLY: raw SQL on a store transaction (issue 17: the store owns SQL).
//
// Every module outside src/store/ talks to the database through the typed operations of
// store::Tx (store/store.h); cmake/check_layers.cmake (CTest arch.layers) fails the build's
// checks on SQL text, raw query calls or an include of this header in src/ outside src/store/.
// This header is the one explicit way around that, for
//   - tests that tamper with rows (the audit tamper tests, a token edited in place, a
//     corrupted column) or check what the typed operations wrote, and
//   - tests of the store itself (schema, statement cache, the multi-row builders).
// It bypasses every invariant the typed operations keep; it is not for production code.
//
//   #include "store/detail/raw.h"
//   namespace raw = hpki::store::raw;
//   store.transact([&](store::Tx& tx) -> Result<void> {
//     const raw::Value p[] = {raw::Value{std::int64_t{3}}};
//     HPKI_TRY(raw::exec(tx, "DELETE FROM audit_log WHERE seq = ?", p));
//     return {};
//   });
//
// Placeholders are `?` in both dialects (no `?` inside string literals). The audit entries the
// transaction appended so far are written first (raw SQL may read or change the audit log), and
// the transaction forgets the audit tail it knew. `tx` must be a transaction of a store made by
// store::open_store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/detail/sql.h"
#include "store/store.h"

namespace hpki::store::raw {

using Value = detail::Value;
using Row = detail::Row;
inline constexpr std::size_t kMaxRowsPerStatement = detail::kMaxRowsPerStatement;

// Returns the number of rows changed. Without params, `sql` may hold several statements.
[[nodiscard]] Result<std::int64_t> exec(Tx& tx, std::string_view sql,
                                        std::span<const Value> params = {});
[[nodiscard]] Result<std::vector<Row>> query(Tx& tx, std::string_view sql,
                                             std::span<const Value> params = {});
// detail::exec_rows / detail::query_in (store/detail/sql.h) through exec / query above.
[[nodiscard]] Result<std::int64_t> exec_rows(Tx& tx, std::string_view head, std::size_t cols,
                                             std::span<const Value> values,
                                             std::string_view tail = {});
[[nodiscard]] Result<std::vector<Row>> query_in(Tx& tx, std::string_view before,
                                                std::span<const Value> fixed,
                                                std::span<const Value> list,
                                                std::string_view after = {});

}  // namespace hpki::store::raw
