#include "http/problem.h"

#include <nlohmann/json.hpp>

#include <string>

namespace hpki::http {

Response problem(int status, std::string_view type_suffix, std::string_view title,
                 std::string_view detail) {
  nlohmann::ordered_json j;
  j["type"] = std::string(kProblemTypeBase) + std::string(type_suffix);
  j["title"] = std::string(title);
  j["status"] = status;
  if (!detail.empty()) j["detail"] = std::string(detail);
  Response r;
  r.status = status;
  // Details may come from client input; replace invalid UTF-8 instead of throwing.
  r.body = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  r.headers.emplace_back("Content-Type", std::string(kProblemContentType));
  return r;
}

ProblemMapping problem_mapping(ErrorCode code) noexcept {
  using E = ErrorCode;
  switch (code) {
    case E::kMalformed:
    case E::kTrailingData:
    case E::kUnexpectedType:
      return {400, "malformed", "Malformed request", true};
    case E::kInvalidArgument:
      return {400, "invalid-argument", "Invalid argument", true};
    case E::kBadCsr:
    case E::kProofOfPossession:
      return {400, "bad-csr", "Bad certificate signing request", true};
    case E::kBadCertificate:
      return {400, "bad-certificate", "Bad certificate", true};
    case E::kBadCrl:
      return {400, "bad-crl", "Bad CRL", true};
    case E::kUnsupportedAlgorithm:
      return {400, "unsupported-algorithm", "Unsupported algorithm", true};
    case E::kBadSignature:
      return {400, "bad-signature", "Bad signature", true};
    case E::kUnknownProfile:
      return {400, "unknown-profile", "Unknown profile", true};
    case E::kPolicyRefused:
      return {422, "policy-refused", "Refused by policy", true};
    case E::kLintFailed:
      return {422, "lint-failed", "Certificate lint failed", true};
    case E::kNotFound:
    case E::kKeyNotFound:
      return {404, "not-found", "Not found", true};
    case E::kPermissionDenied:
      return {403, "forbidden", "Forbidden", true};
    case E::kConflict:
    case E::kAlreadyExists:
    case E::kBadState:
    case E::kRevoked:
      return {409, "conflict", "Conflict", true};
    case E::kTooLarge:
      return {413, "too-large", "Content too large", true};
    case E::kLimitExceeded:
      return {429, "rate-limited", "Too many requests", true};
    case E::kUnsupported:
      return {501, "unsupported", "Not implemented", true};
    case E::kUnavailable:
      return {503, "unavailable", "Service unavailable", false};
    default:
      return {500, "internal", "Internal server error", false};
  }
}

Response problem_for(const Error& error) {
  ProblemMapping m = problem_mapping(error.code());
  if (m.expose_detail) return problem(m.status, m.type_suffix, m.title, error.detail());
  std::string_view generic = m.status == 503 ? "the service is temporarily unavailable"
                                             : "an internal error occurred; see the server log";
  return problem(m.status, m.type_suffix, m.title, generic);
}

std::string_view status_reason(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

}  // namespace hpki::http
