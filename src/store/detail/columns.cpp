#include "store/detail/columns.h"

#include <nlohmann/json.hpp>

#include <charconv>

#include "store/detail/connection.h"

namespace hpki::store::detail {

std::string ColumnName::str() const {
  std::string s;
  s.reserve(table.size() + 1 + column.size());
  if (!table.empty()) {
    s += table;
    s += '.';
  }
  s += column;
  return s;
}

Result<std::string> Codec<std::string>::read(Value& v, ColumnName n) {
  if (auto* s = std::get_if<std::string>(&v)) return std::move(*s);
  if (const auto* b = std::get_if<Bytes>(&v)) return std::string(as_string(*b));
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return fail(ErrorCode::kStorage, "column " + n.str() + ": not text");
}

Result<Serial> Codec<Serial>::read(Value& v, ColumnName n) {
  const std::string text = HPKI_TRY(Codec<std::string>::read(v, n));
  auto s = Serial::from_canonical(text);
  if (!s) return fail(ErrorCode::kStorage, "column " + n.str() + ": " + s.error().detail());
  return s;
}

Result<KeyId> Codec<KeyId>::read(Value& v, ColumnName n) {
  const std::string text = HPKI_TRY(Codec<std::string>::read(v, n));
  auto k = KeyId::parse(text);
  if (!k) return fail(ErrorCode::kStorage, "column " + n.str() + ": " + k.error().detail());
  return k;
}

Result<std::int64_t> Codec<std::int64_t>::read(Value& v, ColumnName n) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* s = std::get_if<std::string>(&v)) {
    std::int64_t out = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc{} && p == s->data() + s->size()) return out;
  }
  return fail(ErrorCode::kStorage, "column " + n.str() + ": not an integer");
}

Result<int> Codec<int>::read(Value& v, ColumnName n) {
  return static_cast<int>(HPKI_TRY(Codec<std::int64_t>::read(v, n)));
}

Result<bool> Codec<bool>::read(Value& v, ColumnName n) {
  return HPKI_TRY(Codec<std::int64_t>::read(v, n)) != 0;
}

Value Codec<TimePoint>::bind(TimePoint v) { return Value{to_unix(v)}; }

Result<TimePoint> Codec<TimePoint>::read(Value& v, ColumnName n) {
  return from_unix(HPKI_TRY(Codec<std::int64_t>::read(v, n)));
}

Result<Bytes> Codec<Bytes>::read(Value& v, ColumnName n) {
  if (auto* b = std::get_if<Bytes>(&v)) return std::move(*b);
  if (const auto* s = std::get_if<std::string>(&v)) return to_bytes(*s);
  return fail(ErrorCode::kStorage, "column " + n.str() + ": not a blob");
}

Value Codec<std::vector<std::string>>::bind(const std::vector<std::string>& v) {
  return Value{nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

Result<std::vector<std::string>> Codec<std::vector<std::string>>::read(Value& v, ColumnName n) {
  const std::string text = HPKI_TRY(Codec<std::string>::read(v, n));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return fail(ErrorCode::kStorage, "column " + n.str() + ": not a JSON array");
  }
  std::vector<std::string> out;
  out.reserve(j.size());
  for (auto& e : j) {
    if (!e.is_string()) return fail(ErrorCode::kStorage, "column " + n.str() + ": not strings");
    out.push_back(std::move(e.get_ref<std::string&>()));
  }
  return out;
}

std::string placeholders(std::size_t n) {
  std::string out = "(";
  for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  out += ')';
  return out;
}

std::string_view pg_cast_placeholder(SqlType t) noexcept {
  switch (t) {
    case SqlType::kText:
      return "?::text";
    case SqlType::kInt:
      return "?::bigint";
    case SqlType::kBlob:
      return "?::bytea";
  }
  return "?";
}

}  // namespace hpki::store::detail
