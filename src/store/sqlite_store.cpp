#include "store/sqlite_store.h"

#include <algorithm>

#include <sqlite3.h>
#include <sys/stat.h>

#include <map>
#include <string>
#include <utility>

#include "store/detail/connection.h"
#include "store/detail/sql_tx.h"
#include "store/migrations.h"

namespace hpki::store {
namespace detail {

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  [[nodiscard]] Dialect dialect() const noexcept override { return Dialect::kSqlite; }

  Result<std::int64_t> exec(std::string_view sql, std::span<const Value> params) override {
    const auto before = sqlite3_total_changes64(db_);
    HPKI_TRY(run(sql, params, nullptr));
    return sqlite3_total_changes64(db_) - before;
  }

  Result<std::vector<Row>> query(std::string_view sql, std::span<const Value> params) override {
    std::vector<Row> rows;
    HPKI_TRY(run(sql, params, &rows));
    return rows;
  }

  Result<std::int64_t> exec_script(std::string_view sql) override {
    const auto before = sqlite3_total_changes64(db_);
    std::string text(sql);
    char* msg = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
      std::string detail = msg != nullptr ? msg : sqlite3_errstr(rc);
      sqlite3_free(msg);
      return fail(error_for(sqlite3_extended_errcode(db_), detail));
    }
    return sqlite3_total_changes64(db_) - before;
  }

  Result<void> commit() override {
    HPKI_TRY(exec_script("COMMIT"));
    return {};
  }

  void rollback() noexcept override {
    if (sqlite3_get_autocommit(db_) == 0) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }

  sqlite3* handle() const noexcept { return db_; }

 private:
  Error error_for(int ext_code, const std::string& msg) {
    const int primary = ext_code & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
      mark_transient();
      return Error(ErrorCode::kUnavailable, "sqlite: database is busy: " + msg);
    }
    switch (ext_code) {
      case SQLITE_CONSTRAINT_UNIQUE:
      case SQLITE_CONSTRAINT_PRIMARYKEY:
        return Error(ErrorCode::kConflict, "sqlite: unique constraint: " + msg);
      case SQLITE_CONSTRAINT_FOREIGNKEY:
        return Error(ErrorCode::kConflict, "sqlite: foreign key constraint: " + msg);
      case SQLITE_CONSTRAINT_CHECK:
      case SQLITE_CONSTRAINT_NOTNULL:
        return Error(ErrorCode::kInvalidArgument, "sqlite: " + msg);
      default:
        return Error(ErrorCode::kStorage, "sqlite: " + msg);
    }
  }

  // Prepared statements are kept per connection, keyed by their SQL text (the store's
  // statements are constants, so the cache stays small; past kMaxStatements new texts are
  // prepared and finalized each time). A statement is reset right after use, so it never
  // holds a read snapshot or a lock between calls. A schema change makes SQLite re-prepare a
  // cached statement by itself (sqlite3_prepare_v2).
  static constexpr std::size_t kMaxStatements = 256;

  Result<void> run(std::string_view sql, std::span<const Value> params, std::vector<Row>* rows) {
    sqlite3_stmt* stmt = nullptr;
    bool cached = false;
    if (auto it = statements_.find(sql); it != statements_.end()) {
      stmt = it->second;
      cached = true;
    } else {
      int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
      if (rc != SQLITE_OK) {
        return fail(error_for(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_)));
      }
      if (stmt != nullptr && statements_.size() < kMaxStatements) {
        statements_.emplace(std::string(sql), stmt);
        cached = true;
      }
    }
    struct Release {
      sqlite3_stmt* s;
      bool cached;
      ~Release() {
        if (!cached) {
          sqlite3_finalize(s);
          return;
        }
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } release{stmt, cached};
    int rc = SQLITE_OK;
    if (stmt == nullptr) return {};  // empty statement
    if (static_cast<std::size_t>(sqlite3_bind_parameter_count(stmt)) != params.size()) {
      return fail(ErrorCode::kInternal, "sqlite: parameter count mismatch");
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i) + 1;
      const Value& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) {
        rc = sqlite3_bind_null(stmt, idx);
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, idx, *n);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else {
        const auto& b = std::get<Bytes>(v);
        // An empty blob must stay a blob, not become NULL (bind_blob with no data does).
        rc = b.empty() ? sqlite3_bind_zeroblob(stmt, idx, 0)
                       : sqlite3_bind_blob64(stmt, idx, b.data(), b.size(), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) return fail(error_for(rc, sqlite3_errmsg(db_)));
    }
    for (;;) {
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return {};
      if (rc != SQLITE_ROW) {
        return fail(error_for(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_)));
      }
      if (rows == nullptr) continue;
      const int n = sqlite3_column_count(stmt);
      Row row;
      row.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL:
            row.emplace_back(std::monostate{});
            break;
          case SQLITE_INTEGER:
            row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_BLOB: {
            const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, c));
            const auto len = static_cast<std::size_t>(sqlite3_column_bytes(stmt, c));
            row.emplace_back(p == nullptr ? Bytes{} : Bytes(p, p + len));
            break;
          }
          default: {  // TEXT, and FLOAT as its text form
            const auto* p = sqlite3_column_text(stmt, c);
            const auto len = static_cast<std::size_t>(sqlite3_column_bytes(stmt, c));
            row.emplace_back(p == nullptr ? std::string()
                                          : std::string(reinterpret_cast<const char*>(p), len));
            break;
          }
        }
      }
      rows->push_back(std::move(row));
    }
  }

  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

}  // namespace detail

SqliteStore::SqliteStore(std::unique_ptr<detail::SqliteConnection> conn, std::string path,
                         const Clock& clock, const StoreOptions& options)
    : path_(std::move(path)), conn_(std::move(conn)), clock_(clock), options_(options) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, const Clock& clock,
                                                       const StoreOptions& options) {
  struct stat st {};
  const bool existed = ::stat(path.c_str(), &st) == 0;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return fail(ErrorCode::kStorage, "sqlite: cannot open " + path + ": " + msg);
  }
  if (!existed) ::chmod(path.c_str(), 0600);
  auto conn = std::make_unique<detail::SqliteConnection>(db);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  sqlite3_extended_result_codes(db, 1);
  // journal_mode returns a row; the others do not.
  auto mode = conn->query("PRAGMA journal_mode = WAL", {});
  if (!mode) return fail(mode.error().with_context("sqlite: " + path));
  if (mode->empty() || !std::holds_alternative<std::string>((*mode)[0][0]) ||
      std::get<std::string>((*mode)[0][0]) != "wal") {
    return fail(ErrorCode::kStorage, "sqlite: cannot switch " + path + " to WAL mode");
  }
  // Foreign keys are off while the migrations run (a step may rebuild a referenced table, see
  // migrations.cpp; migrate checks them at the end), on for everything else.
  auto pragmas = conn->exec_script("PRAGMA foreign_keys = OFF; PRAGMA synchronous = FULL;");
  if (!pragmas) return fail(pragmas.error().with_context("sqlite: " + path));

  auto* c = conn.get();
  auto migrated = detail::run_transaction(
      *c, "BEGIN IMMEDIATE",
      [&]() -> Result<void> {
        HPKI_TRY(detail::migrate(*c, options, clock));
        return {};
      },
      options.max_retries);
  if (!migrated) return fail(migrated.error().with_context(path));
  auto fk_on = conn->exec_script("PRAGMA foreign_keys = ON;");
  if (!fk_on) return fail(fk_on.error().with_context("sqlite: " + path));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(conn), path, clock, options));
}

Result<void> SqliteStore::transact(const TxFn& fn) {
  return observed([&]() -> Result<void> {
    std::lock_guard lock(mu_);
    return detail::run_transaction(
        *conn_, "BEGIN IMMEDIATE",
        [&]() -> Result<void> { return detail::SqlTx::run(*conn_, clock_, fn); },
        options_.max_retries);
  });
}

Result<std::unique_ptr<detail::SqliteConnection>> SqliteStore::acquire_reader() {
  {
    std::lock_guard lock(readers_mu_);
    if (!readers_.empty()) {
      auto c = std::move(readers_.back());
      readers_.pop_back();
      return c;
    }
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return fail(ErrorCode::kStorage, "sqlite: cannot open " + path_ + ": " + msg);
  }
  auto conn = std::make_unique<detail::SqliteConnection>(db);
  sqlite3_busy_timeout(db, static_cast<int>(options_.busy_timeout.count()));
  sqlite3_extended_result_codes(db, 1);
  HPKI_TRY(conn->exec_script("PRAGMA query_only = ON; PRAGMA foreign_keys = ON;"));
  return conn;
}

void SqliteStore::release_reader(std::unique_ptr<detail::SqliteConnection> c) {
  std::lock_guard lock(readers_mu_);
  if (readers_.size() < static_cast<std::size_t>(std::max(options_.pool_size, 1)))
    readers_.push_back(std::move(c));
}

Result<void> SqliteStore::read(const TxFn& fn) {
  return observed([&]() -> Result<void> {
    auto conn = HPKI_TRY(acquire_reader());
    // BEGIN (deferred): a WAL read snapshot, taken at the first read; never waits for the writer.
    auto r = detail::run_transaction(
        *conn, "BEGIN", [&]() -> Result<void> { return detail::SqlTx::run(*conn, clock_, fn); },
        options_.max_retries);
    release_reader(std::move(conn));
    return r;
  });
}

Result<int> SqliteStore::schema_version() {
  std::lock_guard lock(mu_);
  return detail::read_schema_version(*conn_);
}

}  // namespace hpki::store
