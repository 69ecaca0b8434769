#include "store/pg_store.h"

#include <libpq-fe.h>

#include <atomic>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "store/detail/connection.h"
#include "store/detail/sql_tx.h"
#include "store/migrations.h"

namespace hpki::store {
namespace detail {
namespace {

// Type OIDs of pg_type.h (stable since PostgreSQL 7).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;

// `?` -> `$n`, outside string literals, quoted identifiers and comments.
std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char ch = sql[i];
    if (quote != 0) {
      out.push_back(ch);
      if (ch == quote) quote = 0;
      continue;
    }
    if (ch == '\'' || ch == '"') {
      quote = ch;
      out.push_back(ch);
    } else if (ch == '?') {
      out += "$" + std::to_string(++n);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea in text output format "hex" (the default since PostgreSQL 9.0): "\x0a1b...".
Result<Bytes> decode_bytea(std::string_view s) {
  if (!s.starts_with("\\x") || s.size() % 2 != 0) {
    return fail(ErrorCode::kStorage, "postgresql: bytea not in hex format");
  }
  Bytes out;
  out.reserve(s.size() / 2 - 1);
  for (std::size_t i = 2; i < s.size(); i += 2) {
    const int hi = hex_value(s[i]);
    const int lo = hex_value(s[i + 1]);
    if (hi < 0 || lo < 0) return fail(ErrorCode::kStorage, "postgresql: bad bytea hex");
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

void ignore_notice(void*, const char*) {}

}  // namespace

class PgConnection final : public Connection {
 public:
  PgConnection(PGconn* c, std::atomic<std::uint64_t>& round_trips)
      : conn_(c), round_trips_(round_trips) {}
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  [[nodiscard]] Dialect dialect() const noexcept override { return Dialect::kPostgres; }

  [[nodiscard]] bool ok() const noexcept { return PQstatus(conn_) == CONNECTION_OK; }

  Result<std::int64_t> exec(std::string_view sql, std::span<const Value> params) override {
    auto res = HPKI_TRY(run(sql, params));
    return changed(res.get());
  }

  Result<std::vector<Row>> query(std::string_view sql, std::span<const Value> params) override {
    auto res = HPKI_TRY(run(sql, params));
    PGresult* r = res.get();
    const int nrows = PQntuples(r);
    const int ncols = PQnfields(r);
    std::vector<Row> rows;
    rows.reserve(static_cast<std::size_t>(nrows));
    for (int i = 0; i < nrows; ++i) {
      Row row;
      row.reserve(static_cast<std::size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(r, i, c) != 0) {
          row.emplace_back(std::monostate{});
          continue;
        }
        std::string_view text(PQgetvalue(r, i, c), static_cast<std::size_t>(PQgetlength(r, i, c)));
        switch (PQftype(r, c)) {
          case kInt2Oid:
          case kInt4Oid:
          case kInt8Oid: {
            std::int64_t v = 0;
            auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc{} || p != text.data() + text.size()) {
              return fail(ErrorCode::kStorage, "postgresql: bad integer in result");
            }
            row.emplace_back(v);
            break;
          }
          case kBoolOid:
            row.emplace_back(std::int64_t{text == "t" ? 1 : 0});
            break;
          case kByteaOid:
            row.emplace_back(HPKI_TRY(decode_bytea(text)));
            break;
          default:
            row.emplace_back(std::string(text));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<std::int64_t> exec_script(std::string_view sql) override {
    // The simple protocol (several statements in one text) is not allowed in pipeline mode:
    // leave it for the script (after what is queued), enter it again after.
    const bool pipelined = pipeline_;
    if (pipelined) HPKI_TRY(leave_pipeline());
    std::string text(sql);
    ResultPtr res(wait(PQexec(conn_, text.c_str())));
    if (pipelined) HPKI_TRY(enter_pipeline());
    HPKI_TRY(check(res.get()));
    return changed(res.get());
  }

  Result<void> commit() override {
    ResultPtr res;
    if (pipeline_) {
      HPKI_TRY(send("COMMIT", {}, {}, false));
      auto synced = sync();  // the first failure of the transaction, if any
      auto left = leave_pipeline();
      res = HPKI_TRY(std::move(synced));
      HPKI_TRY(std::move(left));
    } else {
      res.reset(wait(PQexec(conn_, "COMMIT")));
      HPKI_TRY(check(res.get()));
    }
    // COMMIT of a transaction that had failed reports success with the tag ROLLBACK.
    if (std::strcmp(PQcmdStatus(res.get()), "ROLLBACK") == 0) {
      return fail(ErrorCode::kStorage, "postgresql: transaction was aborted and rolled back");
    }
    return {};
  }

  void rollback() noexcept override {
    if (pipeline_) {
      // What is still queued is read first (its failure is the one being rolled back).
      (void)leave_pipeline();
      if (pipeline_) return;  // a broken connection: nothing more to say to it
    }
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PQclear(wait(PQexec(conn_, "ROLLBACK")));
    }
    if (forget_statements_) {
      forget_statements_ = false;
      PQclear(wait(PQexec(conn_, "DEALLOCATE ALL")));
      statements_.clear();
    }
  }

  Result<void> begin_pipelined(std::string_view begin_sql) override {
    HPKI_TRY(enter_pipeline());
    return send(begin_sql, {}, {}, false);
  }

  [[nodiscard]] bool pipelined() const noexcept override { return pipeline_; }

  Result<void> exec_deferred(std::string_view sql, std::span<const Value> params,
                             Deferred how) override {
    if (!pipeline_) return fail(ErrorCode::kInternal, "postgresql: not in pipeline mode");
    HPKI_TRY(send(sql, params, std::move(how), true));
    // The results of queued statements wait in the server's socket buffer until the sync: a
    // bounded queue keeps them from filling it (the server would stop reading, and so would we).
    if (queued_.size() >= kMaxQueued) HPKI_TRY(sync());
    return {};
  }

 private:
  struct ResultDeleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

  // A statement sent in pipeline mode whose result is not read yet.
  struct Queued {
    bool prepare = false;  // a PQsendPrepare (of statements_[key])
    bool by_name = false;  // run as a prepared statement
    std::string key{};     // prepare: the cache entry to drop when it fails
    Deferred how{};        // how its failure is reported
  };

  // Counts one round trip: the client waited for the server's answer to produce `r`.
  PGresult* wait(PGresult* r) noexcept {
    round_trips_.fetch_add(1, std::memory_order_relaxed);
    return r;
  }

  static std::int64_t changed(PGresult* r) {
    const char* t = PQcmdTuples(r);
    std::int64_t n = 0;
    if (t != nullptr && *t != '\0') std::from_chars(t, t + std::strlen(t), n);
    return n;
  }

  // Parameters in libpq's arrays (pointing into `params` and `storage`).
  struct Bound {
    std::string text;  // `$n` placeholders
    std::vector<std::string> storage;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    std::vector<Oid> types;
    [[nodiscard]] int count() const noexcept { return static_cast<int>(values.size()); }
  };

  static Bound bind(std::string_view sql, std::span<const Value> params) {
    Bound b{.text = number_placeholders(sql),
            .storage = std::vector<std::string>(params.size()),
            .values = std::vector<const char*>(params.size(), nullptr),
            .lengths = std::vector<int>(params.size(), 0),
            .formats = std::vector<int>(params.size(), 0),
            .types = std::vector<Oid>(params.size(), 0)};
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        b.storage[i] = std::to_string(*n);
        b.values[i] = b.storage[i].c_str();
        b.types[i] = kInt8Oid;
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        b.values[i] = s->c_str();
      } else if (const auto* bytes = std::get_if<Bytes>(&v)) {
        // Binary format: no escaping. A non-null pointer even for an empty value.
        b.values[i] = bytes->empty() ? "" : reinterpret_cast<const char*>(bytes->data());
        b.lengths[i] = static_cast<int>(bytes->size());
        b.formats[i] = 1;
        b.types[i] = kByteaOid;
      }
    }
    return b;
  }

  // Prepared once per connection and (text, parameter types): the server parses and plans a
  // statement the first time only. The store's statements are constants, so the cache stays
  // small; past kMaxStatements other texts are run unprepared. Returns the statement's name
  // (nullptr: unprepared) and whether it has to be prepared now (then it is in the cache
  // already, under `key`).
  std::pair<const std::string*, bool> statement(const Bound& b, std::string& key) {
    key = b.text;
    key.push_back('\0');
    for (Oid t : b.types) key += std::to_string(t) + ",";
    if (auto it = statements_.find(key); it != statements_.end()) return {&it->second, false};
    if (statements_.size() >= kMaxStatements) return {nullptr, false};
    std::string fresh = "hpki_" + std::to_string(++statement_names_);
    return {&statements_.emplace(key, std::move(fresh)).first->second, true};
  }

  Result<ResultPtr> run(std::string_view sql, std::span<const Value> params) {
    if (pipeline_) {
      // Sent after what is queued; one wait for all of it.
      HPKI_TRY(send(sql, params, {}, true));
      return sync();
    }
    const Bound b = bind(sql, params);
    std::string key;
    auto [name, fresh] = statement(b, key);
    if (fresh) {
      ResultPtr prep(
          wait(PQprepare(conn_, name->c_str(), b.text.c_str(), b.count(), b.types.data())));
      if (auto c = check(prep.get()); !c) {
        statements_.erase(key);
        return fail(c.error());
      }
    }
    ResultPtr res(wait(name != nullptr
                           ? PQexecPrepared(conn_, name->c_str(), b.count(), b.values.data(),
                                            b.lengths.data(), b.formats.data(), 0)
                           : PQexecParams(conn_, b.text.c_str(), b.count(), b.types.data(),
                                          b.values.data(), b.lengths.data(), b.formats.data(), 0)));
    HPKI_TRY(checked(res.get(), name != nullptr, {}));
    return res;
  }

  // --- pipeline mode

  Result<void> enter_pipeline() {
    if (PQenterPipelineMode(conn_) != 1) return connection_error("cannot enter pipeline mode");
    pipeline_ = true;
    return {};
  }

  // Reads what is still queued (its first failure is returned), then leaves pipeline mode.
  Result<void> leave_pipeline() {
    Result<void> out;
    if (!queued_.empty()) {
      if (auto r = sync(); !r) out = fail(r.error());
    }
    if (PQexitPipelineMode(conn_) != 1) {
      queued_.clear();
      return connection_error("cannot leave pipeline mode");
    }
    pipeline_ = false;
    return out;
  }

  // Queues a statement (and its PQsendPrepare the first time; prepared with `prepare`).
  Result<void> send(std::string_view sql, std::span<const Value> params, Deferred how,
                    bool prepare) {
    const Bound b = bind(sql, params);
    std::string key;
    const std::string* name = nullptr;
    if (prepare) {
      bool fresh = false;
      std::tie(name, fresh) = statement(b, key);
      if (fresh) {
        if (PQsendPrepare(conn_, name->c_str(), b.text.c_str(), b.count(), b.types.data()) != 1) {
          statements_.erase(key);
          return connection_error("cannot send");
        }
        queued_.push_back({.prepare = true, .key = key});
      }
    }
    const int sent =
        name != nullptr ? PQsendQueryPrepared(conn_, name->c_str(), b.count(), b.values.data(),
                                              b.lengths.data(), b.formats.data(), 0)
                        : PQsendQueryParams(conn_, b.text.c_str(), b.count(), b.types.data(),
                                            b.values.data(), b.lengths.data(), b.formats.data(), 0);
    if (sent != 1) return connection_error("cannot send");
    queued_.push_back({.by_name = name != nullptr, .how = std::move(how)});
    return {};
  }

  // Sends a sync point and reads the results of everything queued: one round trip. Returns the
  // last statement's result, or the first failure of the queue (an error makes the server skip
  // the rest up to the sync; inside BEGIN the transaction is then aborted).
  Result<ResultPtr> sync() {
    std::vector<Queued> queued = std::move(queued_);
    queued_.clear();
    if (PQpipelineSync(conn_) != 1) return connection_error("cannot send");
    round_trips_.fetch_add(1, std::memory_order_relaxed);
    std::optional<Error> first;
    ResultPtr last;
    std::size_t next = 0;  // the queued statement the next result belongs to
    for (int nulls = 0;;) {
      ResultPtr r(PQgetResult(conn_));
      if (r == nullptr) {
        // NULL ends each statement's results; two in a row: nothing more will come.
        if (++nulls > 1 || !ok()) return fail(first.value_or(lost_connection()));
        continue;
      }
      nulls = 0;
      const ExecStatusType st = PQresultStatus(r.get());
      if (st == PGRES_PIPELINE_SYNC) break;
      if (next >= queued.size()) return fail(first.value_or(lost_connection()));
      const Queued& q = queued[next++];
      if (st == PGRES_PIPELINE_ABORTED) {
        // Skipped after an earlier failure (the first one is reported).
        if (q.prepare) statements_.erase(q.key);
        if (!first) first = Error(ErrorCode::kStorage, "postgresql: pipeline aborted");
        continue;
      }
      if (q.prepare) {
        if (auto c = check(r.get()); !c) {
          statements_.erase(q.key);
          if (!first) first = c.error();
        }
        continue;
      }
      if (auto c = checked(r.get(), q.by_name, q.how); !c && !first) first = c.error();
      last = std::move(r);
    }
    if (first) return fail(*first);
    if (next != queued.size() || last == nullptr) return fail(lost_connection());
    return last;
  }

  static std::string_view sqlstate(PGresult* r) {
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    return state != nullptr ? state : "";
  }

  Error lost_connection() const {
    std::string msg = PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return Error(ErrorCode::kUnavailable, "postgresql: connection: " + msg);
  }

  std::unexpected<Error> connection_error(std::string_view what) const {
    const Error e = lost_connection();
    return fail(ErrorCode::kUnavailable,
                "postgresql: connection: " + std::string(what) + ": " + e.detail());
  }

  // check() of a statement's result, with what is particular to the statement: a prepared
  // statement whose plan went stale, a deferred write's own conflict error.
  Result<void> checked(PGresult* r, bool by_name, const Deferred& how) {
    auto c = check(r);
    if (c) return c;
    const std::string_view state = sqlstate(r);
    if (by_name && state == "0A000") {
      // "cached plan must not change result type": the table changed under a prepared
      // statement (a migration, another node's ALTER). Forget the cache and let the store
      // run the transaction again (kUnavailable + transient), which prepares afresh.
      forget_statements_ = true;
      mark_transient();
      return fail(ErrorCode::kUnavailable, "postgresql: " + c.error().detail());
    }
    if (state == "23505" && !how.conflict.empty()) {
      const char* table = PQresultErrorField(r, PG_DIAG_TABLE_NAME);
      if (table != nullptr && how.table == table) return fail(ErrorCode::kConflict, how.conflict);
    }
    return c;
  }

  static constexpr std::size_t kMaxStatements = 256;
  static constexpr std::size_t kMaxQueued = 1024;
  std::map<std::string, std::string> statements_;  // (text, types) -> prepared statement name
  std::uint64_t statement_names_ = 0;              // names given so far (hpki_1, hpki_2, ...)
  bool forget_statements_ = false;
  bool pipeline_ = false;       // in pipeline mode
  std::vector<Queued> queued_;  // sent, result not read yet (pipeline mode)

  Result<void> check(PGresult* r) {
    const auto st = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return {};
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string msg = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    const std::string_view code = state != nullptr ? state : "";
    if (code == "40001" || code == "40P01" || code == "55P03") {
      // serialization_failure, deadlock_detected, lock_not_available
      mark_transient();
      return fail(ErrorCode::kUnavailable, "postgresql: " + msg);
    }
    if (code == "23505") return fail(ErrorCode::kConflict, "postgresql: " + msg);
    if (code == "23503") {
      return fail(ErrorCode::kConflict, "postgresql: foreign key constraint: " + msg);
    }
    if (code == "23514" || code == "23502" || code.starts_with("22")) {
      return fail(ErrorCode::kInvalidArgument, "postgresql: " + msg);
    }
    if (code.starts_with("08") || !ok()) {
      return fail(ErrorCode::kUnavailable, "postgresql: connection: " + msg);
    }
    return fail(ErrorCode::kStorage, "postgresql: " + msg);
  }

  PGconn* conn_;
  std::atomic<std::uint64_t>& round_trips_;
};

}  // namespace detail

namespace {

Result<std::unique_ptr<detail::PgConnection>> connect(const std::string& url,
                                                      std::atomic<std::uint64_t>& round_trips) {
  PGconn* c = PQconnectdb(url.c_str());
  if (c == nullptr) return fail(ErrorCode::kUnavailable, "postgresql: out of memory");
  auto conn = std::make_unique<detail::PgConnection>(c, round_trips);
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return fail(ErrorCode::kUnavailable, "postgresql: cannot connect: " + msg);
  }
  // Notices (e.g. "relation already exists, skipping") are not errors: keep stderr clean.
  PQsetNoticeProcessor(c, detail::ignore_notice, nullptr);
  HPKI_TRY(conn->exec_script("SET client_min_messages = warning; SET TIME ZONE 'UTC'"));
  return conn;
}

}  // namespace

PgStore::PgStore(std::string url, const Clock& clock, const StoreOptions& options)
    : url_(std::move(url)), clock_(clock), options_(options) {}

PgStore::~PgStore() = default;

Result<std::unique_ptr<PgStore>> PgStore::open(const std::string& url, const Clock& clock,
                                               const StoreOptions& options) {
  if (options.pool_size < 1) return fail(ErrorCode::kInvalidArgument, "pool_size must be >= 1");
  std::unique_ptr<PgStore> store(new PgStore(url, clock, options));
  auto conn = HPKI_TRY(connect(url, store->round_trips_));
  auto* c = conn.get();
  HPKI_TRY(detail::run_transaction(
      *c, "BEGIN ISOLATION LEVEL READ COMMITTED",
      [&]() -> Result<void> {
        HPKI_TRY(detail::migrate(*c, options, clock));
        return {};
      },
      options.max_retries));
  store->open_ = 1;
  store->idle_.push_back(std::move(conn));
  return store;
}

Result<std::unique_ptr<detail::PgConnection>> PgStore::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || open_ < options_.pool_size; });
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (c->ok()) return c;
    --open_;  // broken: replace it below
  }
  ++open_;
  lock.unlock();
  auto c = connect(url_, round_trips_);
  if (!c) {
    lock.lock();
    --open_;
    cv_.notify_one();
  }
  return c;
}

void PgStore::release(std::unique_ptr<detail::PgConnection> conn) {
  std::lock_guard lock(mu_);
  if (conn->ok()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  cv_.notify_one();
}

Result<void> PgStore::transact(const TxFn& fn) {
  return observed([&]() -> Result<void> { return transact_once(fn, false); });
}

Result<void> PgStore::transact_pipelined(const TxFn& fn) {
  return observed([&]() -> Result<void> { return transact_once(fn, true); });
}

Result<void> PgStore::transact_once(const TxFn& fn, bool pipelined) {
  // An idle pooled connection may have died (server restart, idle timeout) without libpq
  // knowing until it is used. When that shows before fn ran, run again on a new connection;
  // once fn has run, the outcome of a lost COMMIT is unknown and the error is returned.
  for (int attempt = 0;; ++attempt) {
    auto conn = HPKI_TRY(acquire());
    auto* c = conn.get();
    bool fn_ran = false;
    auto r = detail::run_transaction(
        *c, "BEGIN ISOLATION LEVEL READ COMMITTED",
        [&]() -> Result<void> {
          fn_ran = true;
          return detail::SqlTx::run(*c, clock_, fn);
        },
        options_.max_retries, pipelined);
    const bool broken = !c->ok();
    release(std::move(conn));
    if (!r && broken && !fn_ran && attempt == 0) continue;
    return r;
  }
}

Result<int> PgStore::schema_version() {
  auto conn = HPKI_TRY(acquire());
  auto v = detail::read_schema_version(*conn);
  release(std::move(conn));
  return v;
}

}  // namespace hpki::store
