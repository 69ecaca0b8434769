// PostgreSQL implementation of Store (for HA and scale; DESIGN.md "One machine by default,
// many when needed"). libpq's C API; a small pool of connections (at most
// StoreOptions::pool_size) so that several threads run transactions at once. Transactions
// run at READ COMMITTED; what must be serialised is by row locks (counters, unique keys) or
// advisory transaction locks (audit chain, migrations). Deadlocks and serialization failures
// are retried. A connection found broken is dropped and replaced on the next use.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace hpki::store {

namespace detail {
class PgConnection;
}

class PgStore final : public Store {
 public:
  // `url` is a libpq connection URI ("postgresql://user@host:port/db?..."). Connects once,
  // migrates under an advisory lock, and keeps the connection in the pool.
  [[nodiscard]] static Result<std::unique_ptr<PgStore>> open(const std::string& url,
                                                             const Clock& clock,
                                                             const StoreOptions& options);
  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  [[nodiscard]] Dialect dialect() const noexcept override { return Dialect::kPostgres; }
  [[nodiscard]] Result<void> transact(const TxFn& fn) override;
  // In libpq's pipeline mode (issue 17): BEGIN, the deferred writes and the statement that
  // needs a result go in one round trip, the writes after it with COMMIT in another.
  [[nodiscard]] Result<void> transact_pipelined(const TxFn& fn) override;
  [[nodiscard]] bool defers_writes() const noexcept override { return true; }
  [[nodiscard]] Result<int> schema_version() override;

  // Network round trips since the store was opened (every time a connection waited for the
  // server's answer: a statement, a prepare, BEGIN, COMMIT). For tests and benchmarks.
  [[nodiscard]] std::uint64_t round_trips() const noexcept {
    return round_trips_.load(std::memory_order_relaxed);
  }

 private:
  [[nodiscard]] Result<void> transact_once(const TxFn& fn, bool pipelined);
  PgStore(std::string url, const Clock& clock, const StoreOptions& options);
  [[nodiscard]] Result<std::unique_ptr<detail::PgConnection>> acquire();
  void release(std::unique_ptr<detail::PgConnection> conn);

  std::string url_;
  const Clock& clock_;
  StoreOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<detail::PgConnection>> idle_;
  int open_ = 0;  // connections in use or idle
  std::atomic<std::uint64_t> round_trips_{0};
};

}  // namespace hpki::store
