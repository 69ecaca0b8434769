// Versioned schema migrations (issue 4: "same schema, versioned migrations applied at start,
// schema version recorded"). An ordered list of steps; each step is portable SQL with a few
// type tokens that differ per dialect, or a per-dialect text where the SQL itself differs.
// The table schema_version holds one row per applied step. Later issues append steps; a step,
// once released, never changes.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "store/store.h"

namespace hpki::store {
namespace detail {
class Connection;
}

struct Migration {
  int version;  // 1, 2, 3, ... without gaps
  std::string_view description;
  // Portable text. Tokens: {blob} (BLOB / BYTEA), {int} (INTEGER / BIGINT: 64-bit),
  // {int_pk} (a 64-bit primary key given by the caller), {auto_pk} (a 64-bit primary key the
  // database assigns, never reused).
  std::string_view sql;
  std::string_view sqlite_sql = {};    // replaces sql on SQLite when not empty
  std::string_view postgres_sql = {};  // replaces sql on PostgreSQL when not empty
  // A data precondition: a SELECT COUNT(*) that must answer 0 after the upgrade step
  // (StoreOptions::before_migration) and before the SQL, else the step fails (kBadState) with
  // the count and none_left_why.
  std::string_view none_left = {};
  std::string_view none_left_why = {};
};

// All steps, in order.
[[nodiscard]] std::span<const Migration> migrations() noexcept;
// The newest schema version this binary knows.
[[nodiscard]] int latest_schema_version() noexcept;

// The SQL of a step for a dialect, tokens replaced.
[[nodiscard]] std::string render_migration(const Migration& m, Dialect d);

namespace detail {
// Inside an open transaction: takes the migration lock (PostgreSQL advisory transaction lock;
// on SQLite the caller's BEGIN IMMEDIATE), creates schema_version when missing, applies the
// steps after the recorded version up to options.target_schema_version (default: latest) —
// each after options.before_migration — and records them. kSchemaMismatch when the database's
// version is newer than the target. On SQLite the caller turns foreign keys off around it
// (table rebuilds); it checks them at the end.
[[nodiscard]] Result<int> migrate(Connection& conn, const StoreOptions& options,
                                  const Clock& clock);
// The recorded version (0 for an empty database).
[[nodiscard]] Result<int> read_schema_version(Connection& conn);
}  // namespace detail

}  // namespace hpki::store
