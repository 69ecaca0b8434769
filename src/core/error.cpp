#include "core/error.h"

#include <cstdio>
#include <cstdlib>

namespace hpki {

std::string_view error_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kAlreadyExists:
      return "already_exists";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kLimitExceeded:
      return "limit_exceeded";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kPermissionDenied:
      return "permission_denied";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kMalformed:
      return "malformed";
    case ErrorCode::kTrailingData:
      return "trailing_data";
    case ErrorCode::kTooLarge:
      return "too_large";
    case ErrorCode::kUnexpectedType:
      return "unexpected_type";
    case ErrorCode::kConfigInvalid:
      return "config_invalid";
    case ErrorCode::kConfigMissing:
      return "config_missing";
    case ErrorCode::kCrypto:
      return "crypto";
    case ErrorCode::kUnsupportedAlgorithm:
      return "unsupported_algorithm";
    case ErrorCode::kBadSignature:
      return "bad_signature";
    case ErrorCode::kBadPassphrase:
      return "bad_passphrase";
    case ErrorCode::kKeyNotFound:
      return "key_not_found";
    case ErrorCode::kKeyMismatch:
      return "key_mismatch";
    case ErrorCode::kDecryptFailed:
      return "decrypt_failed";
    case ErrorCode::kTokenError:
      return "token_error";
    case ErrorCode::kUnsupportedByToken:
      return "unsupported_by_token";
    case ErrorCode::kBadCertificate:
      return "bad_certificate";
    case ErrorCode::kBadCsr:
      return "bad_csr";
    case ErrorCode::kBadCrl:
      return "bad_crl";
    case ErrorCode::kLintFailed:
      return "lint_failed";
    case ErrorCode::kPolicyRefused:
      return "policy_refused";
    case ErrorCode::kUnknownProfile:
      return "unknown_profile";
    case ErrorCode::kProofOfPossession:
      return "proof_of_possession";
    case ErrorCode::kStorage:
      return "storage";
    case ErrorCode::kSchemaMismatch:
      return "schema_mismatch";
    case ErrorCode::kBadState:
      return "bad_state";
    case ErrorCode::kRevoked:
      return "revoked";
    case ErrorCode::kAuditBroken:
      return "audit_broken";
  }
  return "unknown";
}

std::string_view error_domain(ErrorCode code) noexcept {
  switch (static_cast<std::uint16_t>(code) / 100) {
    case 1:
      return "general";
    case 2:
      return "decode";
    case 3:
      return "config";
    case 4:
      return "crypto";
    case 5:
      return "x509";
    case 6:
      return "storage";
    case 7:
      return "ca";
    default:
      return "unknown";
  }
}

std::string Error::to_string() const {
  std::string out(error_name(code_));
  if (!detail_.empty()) {
    out += ": ";
    out += detail_;
  }
  return out;
}

Error Error::with_context(std::string_view context) const {
  std::string d(context);
  if (!detail_.empty()) {
    d += ": ";
    d += detail_;
  }
  return Error{code_, std::move(d)};
}

void detail_check_failed(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "hpki: internal invariant failed: %s at %s:%d\n", cond, file, line);
  std::abort();
}

}  // namespace hpki
