// One database connection of either dialect, as the shared SQL code (sql_tx.cpp,
// migrations.cpp) sees it. Private to the store module.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/detail/sql.h"
#include "store/store.h"

namespace hpki::store::detail {

class Connection {
 public:
  virtual ~Connection() = default;
  [[nodiscard]] virtual Dialect dialect() const noexcept = 0;
  // `?` placeholders. Returns the number of rows changed.
  [[nodiscard]] virtual Result<std::int64_t> exec(std::string_view sql,
                                                  std::span<const Value> params) = 0;
  [[nodiscard]] virtual Result<std::vector<Row>> query(std::string_view sql,
                                                       std::span<const Value> params) = 0;
  // Several statements, no parameters. Returns the number of rows changed (of the last
  // statement on PostgreSQL, of all on SQLite).
  [[nodiscard]] virtual Result<std::int64_t> exec_script(std::string_view sql) = 0;
  // COMMIT; an error when the database rolled back instead.
  [[nodiscard]] virtual Result<void> commit() = 0;
  // ROLLBACK, best effort.
  virtual void rollback() noexcept = 0;

  // Set when a statement failed with a transient error (lock busy, serialization failure,
  // deadlock): the transaction may succeed when run again.
  [[nodiscard]] bool transient_failure() const noexcept { return transient_; }
  void clear_transient_failure() noexcept { transient_ = false; }

 protected:
  void mark_transient() noexcept { transient_ = true; }

 private:
  bool transient_ = false;
};

// Runs body between `begin_sql` and COMMIT on `conn`; rolls back when body fails; runs it
// again (after a short pause) when the failure was transient, up to max_retries times.
[[nodiscard]] Result<void> run_transaction(Connection& conn, std::string_view begin_sql,
                                           const std::function<Result<void>()>& body,
                                           int max_retries);

// Seconds since the epoch, floored.
[[nodiscard]] std::int64_t to_unix(TimePoint t) noexcept;
[[nodiscard]] TimePoint from_unix(std::int64_t s) noexcept;

}  // namespace hpki::store::detail
