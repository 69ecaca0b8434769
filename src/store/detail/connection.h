// One database connection of either dialect, as the shared SQL code (sql_tx.cpp,
// migrations.cpp) sees it. Private to the store module.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/detail/sql.h"
#include "store/store.h"

namespace hpki::store::detail {

// How the failure of a deferred write (Connection::exec_deferred) is reported.
struct Deferred {
  // A unique violation (SQLSTATE 23505) on `table` becomes kConflict with this text — the
  // error the immediate form of the write returns when its ON CONFLICT DO NOTHING finds the row
  // taken. Empty: the ordinary mapping of database errors.
  std::string_view table{};
  std::string conflict{};
};

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

  // --- pipeline mode (PostgreSQL, issue 17): a transaction in one or two round trips.
  // Starts a transaction (begin_sql) whose statements are pipelined: exec_deferred queues a
  // write without waiting for its result; exec and query send what is queued with themselves
  // and wait once; commit sends what is queued with COMMIT and waits once. Ends with commit()
  // or rollback(). Not supported by default (kInternal): callers ask pipelined() first.
  [[nodiscard]] virtual Result<void> begin_pipelined(std::string_view /*begin_sql*/) {
    return fail(ErrorCode::kInternal, "this connection has no pipeline mode");
  }
  // In a transaction begun by begin_pipelined.
  [[nodiscard]] virtual bool pipelined() const noexcept { return false; }
  // Queues a write whose result is not needed now. Its failure is returned by the next exec,
  // query or commit (the first failure of what was queued, mapped by `how`) and aborts the
  // transaction. So that nothing of a failed transaction can commit, a deferred write must fail
  // by a database error (a constraint, a cast), never by a row count the client checks.
  [[nodiscard]] virtual Result<void> exec_deferred(std::string_view /*sql*/,
                                                   std::span<const Value> /*params*/,
                                                   Deferred /*how*/) {
    return fail(ErrorCode::kInternal, "this connection has no pipeline mode");
  }

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
// again (after a short pause) when the failure was transient, up to max_retries times. With
// `pipelined`, the transaction is begun with Connection::begin_pipelined.
[[nodiscard]] Result<void> run_transaction(Connection& conn, std::string_view begin_sql,
                                           const std::function<Result<void>()>& body,
                                           int max_retries, bool pipelined = false);

// Seconds since the epoch, floored.
[[nodiscard]] std::int64_t to_unix(TimePoint t) noexcept;
[[nodiscard]] TimePoint from_unix(std::int64_t s) noexcept;

}  // namespace hpki::store::detail
