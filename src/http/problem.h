// RFC 9457 problem details and the one place where hpki::Error codes become HTTP statuses.
//
// Problem types are stable URIs "https://hpki.dev/problems/<suffix>" (kProblemTypeBase);
// suffixes are lower-case words joined by '-', e.g. "bad-csr", "rate-limited". They are
// identifiers, not resolvable documentation links, and never change once published.
#pragma once

#include <string_view>

#include "core/error.h"
#include "http/message.h"

namespace hpki::http {

inline constexpr std::string_view kProblemTypeBase = "https://hpki.dev/problems/";
inline constexpr std::string_view kProblemContentType = "application/problem+json";

// A problem+json response: {"type", "title", "status", "detail"} (detail omitted if empty).
[[nodiscard]] Response problem(int status, std::string_view type_suffix, std::string_view title,
                               std::string_view detail = {});

struct ProblemMapping {
  int status;
  std::string_view type_suffix;
  std::string_view title;
  bool expose_detail;  // false: the Error detail is internal and replaced by a generic text
};

// ErrorCode -> status and type. Client errors (4xx) carry the Error detail; everything that
// maps to 500 gets a generic detail so internals (paths, SQL, OpenSSL queues) never leak.
[[nodiscard]] ProblemMapping problem_mapping(ErrorCode code) noexcept;
[[nodiscard]] Response problem_for(const Error& error);

// Standard reason phrase, e.g. 404 -> "Not Found" ("Unknown" for unlisted codes).
[[nodiscard]] std::string_view status_reason(int status) noexcept;

}  // namespace hpki::http
