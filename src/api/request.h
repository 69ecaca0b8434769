// Reading a REST request and writing its JSON answer (issue 17). The integer parameters of a
// request are parsed here and only here: query parameters by query_int(), numeric ids in the
// path by path_id(), both on one bounded decimal parser; JSON body fields by
// api/json_fields.h (string_field, int_field).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "http/message.h"

namespace hpki::api {

// Validity periods and look-ahead windows in days: at most 100 years (profiles allow at most
// 50), so that date arithmetic never overflows.
inline constexpr std::int64_t kMaxDays = 36500;
// Paging offsets.
inline constexpr std::int64_t kMaxOffset = 1'000'000'000;

// A bounded integer query parameter: `dflt` when absent, else decimal digits (a leading '-'
// only where min < 0) within [min, max]; kInvalidArgument naming the parameter and its range
// otherwise (empty, "1e3", " 7", "+7", "0x10", "-0" when min >= 0, out of range).
[[nodiscard]] Result<std::int64_t> query_int(const http::Request& req, std::string_view name,
                                             std::int64_t dflt, std::int64_t min, std::int64_t max);

// A numeric id in the path (subject records, timestamp serials): 1 to 18 decimal digits, else
// kNotFound "no <what> <value>" — a malformed id names no object, like an unknown one.
[[nodiscard]] Result<std::int64_t> path_id(const http::Request& req, std::string_view name,
                                           std::string_view what);

// The JSON object of the request body ({} for an empty body); kMalformed when it is not JSON
// or not an object.
[[nodiscard]] Result<nlohmann::json> parse_body(const http::Request& req);

// `j` as application/json with `status`.
[[nodiscard]] http::Response json_response(int status, const nlohmann::json& j);

}  // namespace hpki::api
