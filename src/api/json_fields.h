// Reading fields of a request's JSON body, with the API's error messages (shared by the
// REST routes and the signature routes).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/encoding.h"
#include "core/error.h"

namespace hpki::api {

// The string field `key` of `j`: "" when absent or null (kInvalidArgument "missing field"
// when `required`), kInvalidArgument when present but not a string.
[[nodiscard]] inline Result<std::string> string_field(const nlohmann::json& j, const char* key,
                                                      bool required = false) {
  if (!j.contains(key) || j.at(key).is_null()) {
    if (required)
      return fail(ErrorCode::kInvalidArgument, std::string("missing field '") + key + "'");
    return std::string();
  }
  if (!j.at(key).is_string())
    return fail(ErrorCode::kInvalidArgument, std::string("field '") + key + "' must be a string");
  return j.at(key).get<std::string>();
}

// The integer field `key` of `j` within [min, max]: nullopt when absent or null (kInvalidArgument
// "missing field" when `required`). kInvalidArgument, naming the field and the range, for
// anything else — a string, a boolean, an array, a fraction (1.5 and also 1.0), a number
// outside the range (no silent truncation or wrap-around: 4294967297 is out of range, not 1).
[[nodiscard]] inline Result<std::optional<std::int64_t>> int_field(const nlohmann::json& j,
                                                                   const char* key,
                                                                   std::int64_t min,
                                                                   std::int64_t max,
                                                                   bool required = false) {
  if (!j.contains(key) || j.at(key).is_null()) {
    if (required)
      return fail(ErrorCode::kInvalidArgument, std::string("missing field '") + key + "'");
    return std::optional<std::int64_t>{};
  }
  const auto& v = j.at(key);
  auto bad = [&] {
    return fail(ErrorCode::kInvalidArgument,
                std::string("field '") + key + "' must be an integer from " + std::to_string(min) +
                    " to " + std::to_string(max));
  };
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (max < 0 || u > static_cast<std::uint64_t>(max)) return bad();
    if (static_cast<std::int64_t>(u) < min) return bad();
    return std::optional<std::int64_t>{static_cast<std::int64_t>(u)};
  }
  if (!v.is_number_integer()) return bad();
  const auto n = v.get<std::int64_t>();
  if (n < min || n > max) return bad();
  return std::optional<std::int64_t>{n};
}

// The boolean field `key` of `j`: false when absent or null, kInvalidArgument when not a boolean.
[[nodiscard]] inline Result<bool> bool_field(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return false;
  if (!j.at(key).is_boolean())
    return fail(ErrorCode::kInvalidArgument, std::string("field '") + key + "' must be a boolean");
  return j.at(key).get<bool>();
}

// The base64 field `key` of `j` decoded: empty when absent (kInvalidArgument "missing field" when
// `required`), kInvalidArgument when not a string or not base64.
[[nodiscard]] inline Result<Bytes> base64_field(const nlohmann::json& j, const char* key,
                                                bool required) {
  auto s = HPKI_TRY(string_field(j, key, required));
  auto b = base64_decode(s);
  if (!b)
    return fail(ErrorCode::kInvalidArgument, std::string("field '") + key + "' is not base64");
  return *b;
}

}  // namespace hpki::api
