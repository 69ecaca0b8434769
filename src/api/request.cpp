#include "api/request.h"

#include <charconv>
#include <limits>
#include <optional>
#include <string>

namespace hpki::api {
namespace {

// The one decimal parser of request parameters: the whole of `text` is an integer within
// [min, max]; no sign unless min < 0, no spaces, no exponent, no base prefix.
std::optional<std::int64_t> bounded_decimal(std::string_view text, std::int64_t min,
                                            std::int64_t max) {
  if (text.empty() || (min >= 0 && text.front() == '-')) return std::nullopt;
  std::int64_t n = 0;
  const char* last = text.data() + text.size();
  const auto [end, ec] = std::from_chars(text.data(), last, n);
  if (ec != std::errc{} || end != last || n < min || n > max) return std::nullopt;
  return n;
}

// Path ids are at most 18 digits (they fit an int64 whatever the digits).
constexpr std::size_t kMaxIdDigits = 18;

}  // namespace

Result<std::int64_t> query_int(const http::Request& req, std::string_view name, std::int64_t dflt,
                               std::int64_t min, std::int64_t max) {
  auto v = req.query_param(name);
  if (!v) return dflt;
  if (auto n = bounded_decimal(*v, min, max)) return *n;
  return fail(ErrorCode::kInvalidArgument, "query parameter '" + std::string(name) +
                                               "' must be an integer from " + std::to_string(min) +
                                               " to " + std::to_string(max));
}

Result<std::int64_t> path_id(const http::Request& req, std::string_view name,
                             std::string_view what) {
  const std::string_view v = req.param(name).value_or("");
  std::optional<std::int64_t> n;
  if (v.size() <= kMaxIdDigits) n = bounded_decimal(v, 0, std::numeric_limits<std::int64_t>::max());
  if (!n) return fail(ErrorCode::kNotFound, "no " + std::string(what) + " " + std::string(v));
  return *n;
}

Result<nlohmann::json> parse_body(const http::Request& req) {
  if (req.body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::kMalformed, "request body is not valid JSON");
  if (!j.is_object()) return fail(ErrorCode::kMalformed, "request body must be a JSON object");
  return j;
}

http::Response json_response(int status, const nlohmann::json& j) {
  return http::Response::json(status, j.dump());
}

}  // namespace hpki::api
