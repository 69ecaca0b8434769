// SQLite implementation of Store (the embedded default). One connection to a database file in
// WAL mode with foreign keys on and a busy timeout. Transactions of this process are
// serialised by a mutex; other processes are kept out by BEGIN IMMEDIATE (every transaction
// takes the write lock at its start, so two writers never deadlock on a lock upgrade) and
// waited for up to the busy timeout, then retried. synchronous=FULL: a committed transaction
// survives a crash of the process and of the machine.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

struct sqlite3;

namespace hpki::store {

namespace detail {
class SqliteConnection;
}

class SqliteStore final : public Store {
 public:
  // Opens or creates the file at `path` (a new file gets mode 0600: it holds personal data)
  // and migrates it. The clock must outlive the store.
  [[nodiscard]] static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                                 const Clock& clock,
                                                                 const StoreOptions& options);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  [[nodiscard]] Dialect dialect() const noexcept override { return Dialect::kSqlite; }
  [[nodiscard]] Result<void> transact(const TxFn& fn) override;
  // On a pooled reader connection (query_only), without the writer's mutex.
  [[nodiscard]] Result<void> read(const TxFn& fn) override;
  [[nodiscard]] Result<int> schema_version() override;

 private:
  SqliteStore(std::unique_ptr<detail::SqliteConnection> conn, std::string path, const Clock& clock,
              const StoreOptions& options);
  [[nodiscard]] Result<std::unique_ptr<detail::SqliteConnection>> acquire_reader();
  void release_reader(std::unique_ptr<detail::SqliteConnection> c);

  std::mutex mu_;
  std::string path_;
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<detail::SqliteConnection>> readers_;
  std::unique_ptr<detail::SqliteConnection> conn_;
  const Clock& clock_;
  StoreOptions options_;
};

}  // namespace hpki::store
