// Raw SQL values and the builders of statements over many rows. Private to the store module
// (issue 17: the store owns SQL): the Connections bind and return these, SqlTx writes its typed
// operations with them. Tests reach raw SQL only through store/detail/raw.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::store::detail {

// A raw SQL value (a parameter or a column of a result row).
using Value = std::variant<std::monostate, std::int64_t, std::string, Bytes>;
using Row = std::vector<Value>;

// --- statements over many rows (one round trip per statement on PostgreSQL)
// Rows go in statements of kMaxRowsPerStatement, 16, 8, ..., 1 rows: a handful of statement
// texts, each prepared once.
inline constexpr std::size_t kMaxRowsPerStatement = 32;
using ExecFn = std::function<Result<std::int64_t>(std::string_view sql, std::span<const Value>)>;
using QueryFn =
    std::function<Result<std::vector<Row>>(std::string_view sql, std::span<const Value>)>;
// Runs `head VALUES (?, ...), (?, ...) tail` over values.size() / cols rows (values row by
// row); returns the rows changed in total. kInvalidArgument when values do not fill whole rows.
[[nodiscard]] Result<std::int64_t> exec_rows(const ExecFn& exec, std::string_view head,
                                             std::size_t cols, std::span<const Value> values,
                                             std::string_view tail = {});
// Runs `before (?, ?, ...) after` with the `fixed` parameters first and the `list` after,
// for a list of any length (the IN list of a look-up by many keys); the rows of all parts.
[[nodiscard]] Result<std::vector<Row>> query_in(const QueryFn& query, std::string_view before,
                                                std::span<const Value> fixed,
                                                std::span<const Value> list,
                                                std::string_view after = {});

}  // namespace hpki::store::detail
