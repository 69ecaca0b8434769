// Record descriptors (issue 17): one table of columns per record type, from which SqlTx
// generates the SELECT list, the INSERT column list, the placeholders, the UPDATE SET list, the
// values to bind and the row reader, so that a column is named in exactly one place. Private to
// the store module.
//
//   constexpr Column<KeyRefRecord> kKeyRefColumns[] = {
//       field<&KeyRefRecord::id>("id"),
//       field<&KeyRefRecord::store_kind>("store_kind"),
//       ...
//       field<&KeyRefRecord::created_at>("created_at", Write::kStoreClock),
//   };
//   constexpr Descriptor<KeyRefRecord> kKeyRefs{"key_refs", kKeyRefColumns};
//
//   "SELECT " + select_list(kKeyRefs) + " FROM key_refs WHERE id = ?"
//   "INSERT INTO key_refs (" + insert_list(kKeyRefs) + ") VALUES " + placeholders(kKeyRefs)
//   bind_row(kKeyRefs, rec, now, params);  read_rows(kKeyRefs, rows);
//
// A column's SQL type and its conversion follow from the field's C++ type (Codec<T>): strings
// are TEXT, integers and times (unix seconds) INTEGER/BIGINT, bool 0/1, Bytes BLOB/BYTEA,
// std::optional<T> NULL when absent, the store enums their stable names, a list of strings a
// JSON array. Readers are defensive: rows may have been edited by hand (the audit tamper tests
// do exactly that), so a value of the wrong type is a kStorage Error naming the column, never a
// crash. Readers move strings and blobs out of the row (no copy).
//
// A ColumnSet picks some of a descriptor's columns for one statement (a reservation without
// its DER, a CRL read without its bytes); every generator and the reader take the same set, so
// the lists always agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/key_id.h"
#include "store/detail/sql.h"
#include "store/store.h"

namespace hpki::store::detail {

enum class SqlType { kText, kInt, kBlob };

// Where a column's value comes from when a row is written.
enum class Write {
  kField,       // the record's field (INSERT and UPDATE)
  kStoreClock,  // the store's clock at INSERT (created_at / updated_at "set by the store")
  kDatabase,    // assigned by the database (an identity column): never written, only read
};

// "table.column", for error messages (built only when there is an error).
struct ColumnName {
  std::string_view table;
  std::string_view column;
  [[nodiscard]] std::string str() const;
};

// --- codecs: one per C++ field type

template <typename T>
struct Codec;

template <>
struct Codec<std::string> {
  static constexpr SqlType kType = SqlType::kText;
  static Value bind(const std::string& v) { return Value{v}; }
  // TEXT; a BLOB or an integer is taken as its text.
  static Result<std::string> read(Value& v, ColumnName n);
};

template <>
struct Codec<std::int64_t> {
  static constexpr SqlType kType = SqlType::kInt;
  static Value bind(std::int64_t v) { return Value{v}; }
  // INTEGER; decimal text is accepted.
  static Result<std::int64_t> read(Value& v, ColumnName n);
};

template <>
struct Codec<int> {
  static constexpr SqlType kType = SqlType::kInt;
  static Value bind(int v) { return Value{std::int64_t{v}}; }
  static Result<int> read(Value& v, ColumnName n);
};

template <>
struct Codec<bool> {
  static constexpr SqlType kType = SqlType::kInt;
  static Value bind(bool v) { return Value{std::int64_t{v ? 1 : 0}}; }
  static Result<bool> read(Value& v, ColumnName n);  // non-zero is true
};

template <>
struct Codec<TimePoint> {
  static constexpr SqlType kType = SqlType::kInt;
  static Value bind(TimePoint v);  // unix seconds, floored
  static Result<TimePoint> read(Value& v, ColumnName n);
};

template <>
struct Codec<Bytes> {
  static constexpr SqlType kType = SqlType::kBlob;
  static Value bind(const Bytes& v) { return Value{v}; }
  // BLOB; TEXT is taken as its bytes.
  static Result<Bytes> read(Value& v, ColumnName n);
};

// A certificate serial as its canonical hex (core/serial.h) in a TEXT column; anything else read
// back is kStorage.
template <>
struct Codec<Serial> {
  static constexpr SqlType kType = SqlType::kText;
  static Value bind(const Serial& v) { return Value{v.hex()}; }
  static Result<Serial> read(Value& v, ColumnName n);
};

// Stored as its text ("file:NAME"); a stored value that is not a key id is kStorage naming the
// column.
template <>
struct Codec<KeyId> {
  static constexpr SqlType kType = SqlType::kText;
  static Value bind(const KeyId& v) { return Value{v.str()}; }
  static Result<KeyId> read(Value& v, ColumnName n);
};

// Write-only (a view of the caller's bytes, copied when bound): TimestampToken::token.
template <>
struct Codec<BytesView> {
  static constexpr SqlType kType = SqlType::kBlob;
  static Value bind(BytesView v) { return Value{Bytes(v.begin(), v.end())}; }
};

// A JSON array of strings in a TEXT column (subjects.dns).
template <>
struct Codec<std::vector<std::string>> {
  static constexpr SqlType kType = SqlType::kText;
  static Value bind(const std::vector<std::string>& v);
  static Result<std::vector<std::string>> read(Value& v, ColumnName n);
};

template <typename T>
struct Codec<std::optional<T>> {
  static constexpr SqlType kType = Codec<T>::kType;
  static Value bind(const std::optional<T>& v) { return v ? Codec<T>::bind(*v) : Value{}; }
  static Result<std::optional<T>> read(Value& v, ColumnName n) {
    if (std::holds_alternative<std::monostate>(v)) return std::optional<T>{};
    auto x = Codec<T>::read(v, n);
    if (!x) return fail(std::move(x).error());
    return std::optional<T>(std::move(*x));
  }
};

// The store's enums as their stable names (store.h to_string / parse_*).
template <typename E, Result<E> (*Parse)(std::string_view)>
struct EnumCodec {
  static constexpr SqlType kType = SqlType::kText;
  static Value bind(E v) { return Value{std::string(to_string(v))}; }
  static Result<E> read(Value& v, ColumnName n) {
    auto s = Codec<std::string>::read(v, n);
    if (!s) return fail(std::move(s).error());
    return Parse(*s);
  }
};
template <>
struct Codec<CaFamily> : EnumCodec<CaFamily, parse_ca_family> {};
template <>
struct Codec<CaRole> : EnumCodec<CaRole, parse_ca_role> {};
template <>
struct Codec<CertStatus> : EnumCodec<CertStatus, parse_cert_status> {};
template <>
struct Codec<SubjectKind> : EnumCodec<SubjectKind, parse_subject_kind> {};

// One value of a result row that is not a record (COUNT(*), RETURNING id, ...).
template <typename T>
[[nodiscard]] Result<T> read_value(Row& r, std::size_t i, ColumnName n) {
  if (i >= r.size()) return fail(ErrorCode::kStorage, "column " + n.str() + ": missing");
  return Codec<T>::read(r[i], n);
}

// --- columns and descriptors

template <typename Rec>
struct Column {
  std::string_view name;
  SqlType type = SqlType::kText;
  Write write = Write::kField;
  Value (*bind)(const Rec&) = nullptr;                       // for Write::kField
  Result<void> (*read)(Rec&, Value&, ColumnName) = nullptr;  // null: write-only record
  // A column of another table of a join (its table for messages, its alias in the SELECT list);
  // empty: the descriptor's table, under the alias the statement gives.
  std::string_view table{};
  std::string_view alias{};

  [[nodiscard]] constexpr Column from(std::string_view t, std::string_view a) const {
    Column c = *this;
    c.table = t;
    c.alias = a;
    return c;
  }
};

template <typename>
struct MemberOf;
template <typename C, typename T>
struct MemberOf<T C::*> {
  using Class = C;
  using Type = T;
};

namespace columns_internal {
template <typename T>
concept Readable = requires(Value& v, ColumnName n) {
  Codec<T>::read(v, n);
};
}  // namespace columns_internal

// The column `name` for the record field M (e.g. &CaRecord::id).
template <auto M>
[[nodiscard]] constexpr Column<typename MemberOf<decltype(M)>::Class> field(
    std::string_view name, Write write = Write::kField) {
  using Rec = typename MemberOf<decltype(M)>::Class;
  using T = typename MemberOf<decltype(M)>::Type;
  Column<Rec> c{
      .name = name, .type = Codec<T>::kType, .write = write, .bind = [](const Rec& r) -> Value {
        return Codec<T>::bind(r.*M);
      }};
  if constexpr (columns_internal::Readable<T>) {
    c.read = [](Rec& r, Value& v, ColumnName n) -> Result<void> {
      auto x = Codec<T>::read(v, n);
      if (!x) return fail(std::move(x).error());
      r.*M = std::move(*x);
      return {};
    };
  }
  return c;
}

// A record's table and columns (at most 64: a ColumnSet is a bit mask). Made constexpr, so a
// descriptor with too many columns, or a ColumnSet naming a column it does not have, does not
// compile.
template <typename Rec>
struct Descriptor {
  constexpr Descriptor(std::string_view t, std::span<const Column<Rec>> c) : table(t), columns(c) {
    if (c.size() > 64) throw std::logic_error("store descriptor: more than 64 columns");
  }
  std::string_view table;
  std::span<const Column<Rec>> columns;
};

// Some of a descriptor's columns (bit i: columns[i]).
using ColumnSet = std::uint64_t;
inline constexpr ColumnSet kAllColumns = ~ColumnSet{0};

namespace columns_internal {
template <typename Rec>
constexpr std::size_t index_of(const Descriptor<Rec>& d, std::string_view name) {
  for (std::size_t i = 0; i < d.columns.size(); ++i) {
    if (d.columns[i].name == name) return i;
  }
  // In a constant expression (how the sets below are meant to be made) this does not compile.
  throw std::logic_error("store descriptor: no such column");
}
constexpr bool in(ColumnSet s, std::size_t i) { return i < 64 && ((s >> i) & 1U) != 0; }
constexpr bool written(Write w) { return w != Write::kDatabase; }
}  // namespace columns_internal

// All columns but these (names checked at compile time when used in a constant expression).
template <typename Rec>
[[nodiscard]] constexpr ColumnSet without(const Descriptor<Rec>& d,
                                          std::initializer_list<std::string_view> names) {
  ColumnSet s = kAllColumns;
  for (auto n : names) s &= ~(ColumnSet{1} << columns_internal::index_of(d, n));
  return s;
}

// How many values a written row of the set has.
template <typename Rec>
[[nodiscard]] constexpr std::size_t written_count(const Descriptor<Rec>& d,
                                                  ColumnSet s = kAllColumns) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < d.columns.size(); ++i) {
    if (columns_internal::in(s, i) && columns_internal::written(d.columns[i].write)) ++n;
  }
  return n;
}

// Where column `name` is among the values bind_row appends for the set.
template <typename Rec>
[[nodiscard]] constexpr std::size_t slot_of(const Descriptor<Rec>& d, ColumnSet s,
                                            std::string_view name) {
  const std::size_t at = columns_internal::index_of(d, name);
  std::size_t n = 0;
  for (std::size_t i = 0; i < at; ++i) {
    if (columns_internal::in(s, i) && columns_internal::written(d.columns[i].write)) ++n;
  }
  return n;
}

// --- statement text (call once and keep: function-local statics)

// "a.x, a.y, r.z": the set's columns, under `alias` unless a column names its own.
template <typename Rec>
[[nodiscard]] std::string select_list(const Descriptor<Rec>& d, std::string_view alias = {},
                                      ColumnSet s = kAllColumns) {
  std::string out;
  for (std::size_t i = 0; i < d.columns.size(); ++i) {
    if (!columns_internal::in(s, i)) continue;
    const Column<Rec>& c = d.columns[i];
    if (!out.empty()) out += ", ";
    const std::string_view a = c.alias.empty() ? alias : c.alias;
    if (!a.empty()) {
      out += a;
      out += '.';
    }
    out += c.name;
  }
  return out;
}

// "x, y, z": the written columns of the set, in the order bind_row gives their values.
template <typename Rec>
[[nodiscard]] std::string insert_list(const Descriptor<Rec>& d, ColumnSet s = kAllColumns) {
  std::string out;
  for (std::size_t i = 0; i < d.columns.size(); ++i) {
    if (!columns_internal::in(s, i) || !columns_internal::written(d.columns[i].write)) continue;
    if (!out.empty()) out += ", ";
    out += d.columns[i].name;
  }
  return out;
}

// "(?, ?, ?)": one row of insert_list's values.
[[nodiscard]] std::string placeholders(std::size_t n);
template <typename Rec>
[[nodiscard]] std::string placeholders(const Descriptor<Rec>& d, ColumnSet s = kAllColumns) {
  return placeholders(written_count(d, s));
}

// "?::text, ?::bigint, ?::bytea": insert_list's values with PostgreSQL casts (INSERT ... SELECT,
// where PostgreSQL cannot infer a parameter's type).
[[nodiscard]] std::string_view pg_cast_placeholder(SqlType t) noexcept;
template <typename Rec>
[[nodiscard]] std::string pg_cast_placeholders(const Descriptor<Rec>& d,
                                               ColumnSet s = kAllColumns) {
  std::string out;
  for (std::size_t i = 0; i < d.columns.size(); ++i) {
    if (!columns_internal::in(s, i) || !columns_internal::written(d.columns[i].write)) continue;
    if (!out.empty()) out += ", ";
    out += pg_cast_placeholder(d.columns[i].type);
  }
  return out;
}

// "x = ?, y = ?": the set's record fields (Write::kField), in the order bind_fields gives them.
template <typename Rec>
[[nodiscard]] std::string set_list(const Descriptor<Rec>& d, ColumnSet s = kAllColumns) {
  std::string out;
  for (std::size_t i = 0; i < d.columns.size(); ++i) {
    if (!columns_internal::in(s, i) || d.columns[i].write != Write::kField) continue;
    if (!out.empty()) out += ", ";
    out += d.columns[i].name;
    out += " = ?";
  }
  return out;
}

// "x = excluded.x, y = excluded.y": an upsert's DO UPDATE SET list of the set's record fields.
template <typename Rec>
[[nodiscard]] std::string excluded_set_list(const Descriptor<Rec>& d, ColumnSet s) {
  std::string out;
  for (std::size_t i = 0; i < d.columns.size(); ++i) {
    if (!columns_internal::in(s, i) || d.columns[i].write != Write::kField) continue;
    if (!out.empty()) out += ", ";
    out += d.columns[i].name;
    out += " = excluded.";
    out += d.columns[i].name;
  }
  return out;
}

// --- values and rows

// Appends the values of insert_list(d, s) for `rec`; `now` (unix seconds) for kStoreClock.
template <typename Rec>
void bind_row(const Descriptor<Rec>& d, const Rec& rec, std::int64_t now, std::vector<Value>& out,
              ColumnSet s = kAllColumns) {
  for (std::size_t i = 0; i < d.columns.size(); ++i) {
    if (!columns_internal::in(s, i)) continue;
    const Column<Rec>& c = d.columns[i];
    if (c.write == Write::kField) {
      out.push_back(c.bind(rec));
    } else if (c.write == Write::kStoreClock) {
      out.emplace_back(now);  // in place: GCC 12 warns (wrongly) on moving a Value here
    }
  }
}

// Appends the values of set_list(d, s) for `rec`.
template <typename Rec>
void bind_fields(const Descriptor<Rec>& d, const Rec& rec, std::vector<Value>& out,
                 ColumnSet s = kAllColumns) {
  for (std::size_t i = 0; i < d.columns.size(); ++i) {
    if (columns_internal::in(s, i) && d.columns[i].write == Write::kField) {
      out.push_back(d.columns[i].bind(rec));
    }
  }
}

// Reads a row selected with select_list(d, ..., s), starting at column `first`; the row's values
// are moved out. Fields outside the set keep their defaults.
template <typename Rec>
[[nodiscard]] Result<Rec> read_row(const Descriptor<Rec>& d, Row& r, ColumnSet s = kAllColumns,
                                   std::size_t first = 0) {
  Rec rec{};
  std::size_t at = first;
  for (std::size_t i = 0; i < d.columns.size(); ++i) {
    if (!columns_internal::in(s, i)) continue;
    const Column<Rec>& c = d.columns[i];
    const ColumnName n{c.table.empty() ? d.table : c.table, c.name};
    if (at >= r.size()) return fail(ErrorCode::kStorage, "column " + n.str() + ": missing");
    HPKI_CHECK(c.read != nullptr);  // a write-only descriptor is never read
    HPKI_TRY(c.read(rec, r[at++], n));
  }
  return rec;
}

template <typename Rec>
[[nodiscard]] Result<std::vector<Rec>> read_rows(const Descriptor<Rec>& d, std::vector<Row>& rows,
                                                 ColumnSet s = kAllColumns) {
  std::vector<Rec> out;
  out.reserve(rows.size());
  for (Row& r : rows) out.push_back(HPKI_TRY(read_row(d, r, s)));
  return out;
}

}  // namespace hpki::store::detail
