// Reading fields of a request's JSON body, with the API's error messages (shared by the
// REST routes and the signature routes).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

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

}  // namespace hpki::api
