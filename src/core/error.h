// Errors as values (STYLE.md "Errors"): every operation that can fail on input, policy,
// time or I/O returns Result<T> = std::expected<T, Error>. An Error carries a code from a
// domain-grouped enum and a human-readable detail. Codes are mapped once, at the edges
// (HTTP status, exit code, OCSP status, PKIStatus); their names are stable identifiers.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace hpki {

// Domains are the hundreds digit. Values are stable: they appear in logs and API problem
// types (by name) and must not be renumbered.
enum class ErrorCode : std::uint16_t {
  // 1xx general
  kInternal = 100,
  kInvalidArgument = 101,
  kNotFound = 102,
  kAlreadyExists = 103,
  kUnsupported = 104,
  kLimitExceeded = 105,
  kIo = 106,
  kPermissionDenied = 107,
  kUnavailable = 108,
  kConflict = 109,
  // 2xx decoding of external input (hex, base64, PEM, DER, JSON, TOML)
  kMalformed = 200,
  kTrailingData = 201,
  kTooLarge = 202,
  kUnexpectedType = 203,
  // 3xx configuration
  kConfigInvalid = 300,
  kConfigMissing = 301,
  // 4xx cryptography and keys
  kCrypto = 400,
  kUnsupportedAlgorithm = 401,
  kBadSignature = 402,
  kBadPassphrase = 403,
  kKeyNotFound = 404,
  kKeyMismatch = 405,
  kDecryptFailed = 406,
  kTokenError = 407,
  kUnsupportedByToken = 408,
  // 5xx X.509, profiles, policy
  kBadCertificate = 500,
  kBadCsr = 501,
  kBadCrl = 502,
  kLintFailed = 503,
  kPolicyRefused = 504,
  kUnknownProfile = 505,
  kProofOfPossession = 506,
  // 6xx storage
  kStorage = 600,
  kSchemaMismatch = 601,
  // 7xx CA lifecycle and services
  kBadState = 700,
  kRevoked = 701,
  kAuditBroken = 702,
};

// Stable identifier, e.g. "malformed" or "bad_signature" (used in API problem types).
[[nodiscard]] std::string_view error_name(ErrorCode code) noexcept;
// Domain name, e.g. "decode" or "crypto".
[[nodiscard]] std::string_view error_domain(ErrorCode code) noexcept;

class Error {
 public:
  Error(ErrorCode code, std::string detail) : code_(code), detail_(std::move(detail)) {}

  [[nodiscard]] ErrorCode code() const noexcept { return code_; }
  [[nodiscard]] const std::string& detail() const noexcept { return detail_; }
  // "<name>: <detail>", for logs and one-line CLI errors.
  [[nodiscard]] std::string to_string() const;

  // Returns a copy whose detail is "<context>: <detail>" (adds where it happened).
  [[nodiscard]] Error with_context(std::string_view context) const;

  friend bool operator==(const Error&, const Error&) = default;

 private:
  ErrorCode code_;
  std::string detail_;
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for `return std::unexpected(Error{...})`.
[[nodiscard]] inline std::unexpected<Error> fail(ErrorCode code, std::string detail) {
  return std::unexpected<Error>(Error{code, std::move(detail)});
}
[[nodiscard]] inline std::unexpected<Error> fail(Error e) {
  return std::unexpected<Error>(std::move(e));
}

}  // namespace hpki

// Propagates the error of a Result expression, else yields its value:
//   Bytes der = HPKI_TRY(pem_decode(text, "CERTIFICATE"));
// Uses a GNU statement expression (g++ and clang); nests without shadowing.
#define HPKI_CONCAT_INNER_(a, b) a##b
#define HPKI_CONCAT_(a, b) HPKI_CONCAT_INNER_(a, b)
#define HPKI_TRY(expr) HPKI_TRY_IMPL_(expr, HPKI_CONCAT_(hpki_try_result_, __COUNTER__))
#define HPKI_TRY_IMPL_(expr, var)                                        \
  __extension__({                                                        \
    auto&& var = (expr);                                                 \
    if (!var.has_value()) [[unlikely]]                                   \
      return ::std::unexpected<::hpki::Error>(::std::move(var).error()); \
    ::std::move(var).value();                                            \
  })

// Internal invariant check (always on). Never for bad input: that is an Error.
#define HPKI_CHECK(cond)                                      \
  do {                                                        \
    if (!(cond)) [[unlikely]]                                 \
      ::hpki::detail_check_failed(#cond, __FILE__, __LINE__); \
  } while (false)

namespace hpki {
[[noreturn]] void detail_check_failed(const char* cond, const char* file, int line);
}
