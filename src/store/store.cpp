#include "store/store.h"

#include <chrono>
#include <functional>
#include <iterator>
#include <string>
#include <thread>

#include "store/detail/connection.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace hpki::store {
namespace {

template <typename E, std::size_t N>
Result<E> parse_enum(std::string_view s, const std::string_view (&names)[N],
                     std::string_view what) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return fail(ErrorCode::kInvalidArgument,
              "unknown " + std::string(what) + " '" + std::string(s) + "'");
}

constexpr std::string_view kFamilies[] = {"rsa", "ecdsa", "sm2"};
constexpr std::string_view kRoles[] = {"root", "issuing", "ocsp", "tsa"};
constexpr std::string_view kStatuses[] = {"issuing", "issued", "revoked", "hold",
                                          "never_delivered"};
constexpr std::string_view kKinds[] = {"staff", "organization", "device"};

}  // namespace

std::string_view to_string(CaFamily v) noexcept { return kFamilies[static_cast<int>(v)]; }
std::string_view to_string(CaRole v) noexcept { return kRoles[static_cast<int>(v)]; }
std::string_view to_string(CertStatus v) noexcept { return kStatuses[static_cast<int>(v)]; }
std::string_view to_string(SubjectKind v) noexcept { return kKinds[static_cast<int>(v)]; }

Result<CaFamily> parse_ca_family(std::string_view s) {
  return parse_enum<CaFamily>(s, kFamilies, "CA family");
}
Result<CaRole> parse_ca_role(std::string_view s) {
  return parse_enum<CaRole>(s, kRoles, "CA role");
}
Result<CertStatus> parse_cert_status(std::string_view s) {
  return parse_enum<CertStatus>(s, kStatuses, "certificate status");
}
Result<SubjectKind> parse_subject_kind(std::string_view s) {
  return parse_enum<SubjectKind>(s, kKinds, "subject kind");
}

Result<std::unique_ptr<Store>> open_store(std::string_view url, const Clock& clock,
                                          const StoreOptions& options) {
  if (url.starts_with("sqlite:")) {
    std::string_view path = url.substr(7);
    if (path.starts_with("//")) path.remove_prefix(2);  // "sqlite:///abs/path"
    if (path.empty()) return fail(ErrorCode::kInvalidArgument, "sqlite URL without a path");
    auto s = HPKI_TRY(SqliteStore::open(std::string(path), clock, options));
    return std::unique_ptr<Store>(std::move(s));
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    auto s = HPKI_TRY(PgStore::open(std::string(url), clock, options));
    return std::unique_ptr<Store>(std::move(s));
  }
  return fail(ErrorCode::kInvalidArgument,
              "database URL must start with sqlite: or postgresql:// (got '" +
                  std::string(url.substr(0, 16)) + "...')");
}

namespace {
thread_local std::string_view t_tx_label = "other";
}  // namespace

TxLabel::TxLabel(std::string_view op) noexcept : previous_(t_tx_label) { t_tx_label = op; }
TxLabel::~TxLabel() { t_tx_label = previous_; }
std::string_view TxLabel::current() noexcept { return t_tx_label; }

Result<void> Store::observed(const std::function<Result<void>()>& run) {
  if (!observer_) return run();
  const auto start = std::chrono::steady_clock::now();
  auto r = run();
  observer_(t_tx_label, std::chrono::steady_clock::now() - start, r.has_value());
  return r;
}

namespace detail {

namespace {

// How many of `left` items the next statement takes: the largest power of two <= both.
std::size_t chunk_of(std::size_t left) noexcept {
  std::size_t n = kMaxRowsPerStatement;
  while (n > left) n /= 2;
  return n;
}

// "(?, ?, ?)" for n placeholders.
void append_tuple(std::string& sql, std::size_t n) {
  sql += '(';
  for (std::size_t i = 0; i < n; ++i) sql += i == 0 ? "?" : ", ?";
  sql += ')';
}

}  // namespace

Result<std::int64_t> exec_rows(const ExecFn& exec, std::string_view head, std::size_t cols,
                               std::span<const Value> values, std::string_view tail) {
  if (cols == 0 || values.size() % cols != 0) {
    return fail(ErrorCode::kInvalidArgument, "exec_rows: " + std::to_string(values.size()) +
                                                 " values do not make rows of " +
                                                 std::to_string(cols));
  }
  std::int64_t changed = 0;
  while (!values.empty()) {
    const std::size_t rows = chunk_of(values.size() / cols);
    std::string sql(head);
    sql += " VALUES ";
    for (std::size_t r = 0; r < rows; ++r) {
      if (r > 0) sql += ", ";
      append_tuple(sql, cols);
    }
    if (!tail.empty()) {
      sql += ' ';
      sql += tail;
    }
    changed += HPKI_TRY(exec(sql, values.first(rows * cols)));
    values = values.subspan(rows * cols);
  }
  return changed;
}

Result<std::vector<Row>> query_in(const QueryFn& query, std::string_view before,
                                  std::span<const Value> fixed, std::span<const Value> list,
                                  std::string_view after) {
  std::vector<Row> out;
  std::vector<Value> params;
  while (!list.empty()) {
    const std::size_t n = chunk_of(list.size());
    std::string sql(before);
    sql += ' ';
    append_tuple(sql, n);
    if (!after.empty()) {
      sql += ' ';
      sql += after;
    }
    params.assign(fixed.begin(), fixed.end());
    params.insert(params.end(), list.begin(), list.begin() + static_cast<std::ptrdiff_t>(n));
    auto rows = HPKI_TRY(query(sql, params));
    if (out.empty()) {
      out = std::move(rows);
    } else {
      std::move(rows.begin(), rows.end(), std::back_inserter(out));
    }
    list = list.subspan(n);
  }
  return out;
}

std::int64_t to_unix(TimePoint t) noexcept {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

TimePoint from_unix(std::int64_t s) noexcept {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds(s)));
}

Result<void> run_transaction(Connection& conn, std::string_view begin_sql,
                             const std::function<Result<void>()>& body, int max_retries,
                             bool pipelined) {
  for (int attempt = 0;; ++attempt) {
    const bool may_retry = attempt < max_retries;
    if (attempt > 0) {
      // Back off a little, staggered by thread so that contenders do not collide again.
      const auto jitter = std::hash<std::thread::id>{}(std::this_thread::get_id()) % 7;
      std::this_thread::sleep_for(
          std::chrono::milliseconds(static_cast<long>(attempt * 3 + static_cast<int>(jitter))));
    }
    conn.clear_transient_failure();
    Result<void> begun;
    if (pipelined) {
      begun = conn.begin_pipelined(begin_sql);
    } else if (auto b = conn.exec_script(begin_sql); !b) {
      begun = fail(b.error());
    }
    if (!begun) {
      conn.rollback();
      if (conn.transient_failure() && may_retry) continue;
      return fail(begun.error());
    }
    auto r = body();
    if (!r) {
      conn.rollback();
      if (conn.transient_failure() && may_retry) continue;
      return r;
    }
    auto c = conn.commit();
    if (c) return {};
    conn.rollback();
    if (conn.transient_failure() && may_retry) continue;
    return c;
  }
}

}  // namespace detail
}  // namespace hpki::store
