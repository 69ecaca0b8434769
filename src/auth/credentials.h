// Credentials of hpki's front ends (issue 5 "Authentication and roles"; a services-level module
// since issue 17, used by the REST API to authenticate and by the CLI to manage them). No HTTP
// here: the API maps a request's credentials to a Principal (authenticate_api_key /
// principal_from_certificate) and authorizes it with auth/roles.h; `hpki apikey` and
// `hpki operator` create, list and revoke them.
//
// Credentials, both kept in the api_keys table through typed store::Tx operations (no secret
// and no certificate is stored):
//  - API keys "hpki_<id>_<secret>": <id> is 16 lowercase hex characters, <secret> is 32 CSPRNG
//    bytes in base64url without padding (43 characters). The database keeps only
//    HMAC-SHA256(pepper, "hpki-apikey/1" || 0x00 || whole key). Lookup hashes the presented key
//    and finds the row by that (unique, indexed) hash: no secret is ever compared byte by
//    byte, so timing reveals nothing about a stored key.
//  - Operator client certificates (issued by hpki from the `operator` profile and registered
//    with `hpki operator add`): id "op-<16 hex>", hash
//    HMAC-SHA256(pepper, "hpki-operator-cert/1" || 0x00 || certificate DER).
// The pepper is 32 random bytes in <home>/keys/apikey.pepper (0600, created at first use). A
// copy of the database alone is therefore not enough to test guessed keys offline; every node
// sharing one database must have the same pepper file.
//
// Authentication failures (unknown, malformed or revoked key; unregistered, revoked or
// no-longer-valid operator certificate) are all kPermissionDenied with one fixed detail
// ("invalid credentials"): the HTTP edge answers 401 to a kPermissionDenied from the
// authentication step, and 403 to a kPermissionDenied from authorize(). Other codes
// (kStorage, kUnavailable...) are infrastructure failures (500 / 503).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "auth/roles.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "store/store.h"
#include "x509/certificate.h"

namespace hpki::auth {

// --- the pepper

inline constexpr std::size_t kPepperSize = 32;
// Reads `file`, or creates it (0600, 32 CSPRNG bytes, atomically: two processes starting
// together end up with the same pepper). kConfigInvalid when the file has another size.
[[nodiscard]] Result<SecretBytes> load_or_create_pepper(const std::filesystem::path& file);
// <keys_dir>/apikey.pepper
[[nodiscard]] std::filesystem::path pepper_path(const std::filesystem::path& keys_dir);

// --- API keys

inline constexpr std::string_view kApiKeyPrefix = "hpki_";
inline constexpr std::size_t kApiKeySecretBytes = 32;
inline constexpr std::size_t kMaxTokenSize = 256;

struct NewApiKey {
  std::string id{};
  std::string key{};  // the whole bearer token; shown once, never stored
};

// Everything key management needs. The references must outlive the calls.
struct AuthContext {
  store::Store& store;
  const audit::AuditLog& audit;
  const SecretBytes& pepper;
  Random& random;
  const Clock& clock;
};

// Creates a key for `role` (org per role_requires_org / role_allows_org, else
// kInvalidArgument) and audits "auth.apikey_create" by `actor` in the same transaction.
[[nodiscard]] Result<NewApiKey> create_api_key(const AuthContext& ctx, Role role,
                                               std::optional<std::string> org,
                                               const std::string& actor);
// Valid API keys seen recently, per node (hpki serve), so that a busy client's every request
// does not read the database: an entry is used for `ttl` after its look-up. A key revoked with
// `hpki apikey revoke` (another process) therefore stops working on a serving node within
// `ttl` ([server] credential_cache_ms, default 2000; 0 = look up every request). Only valid
// keys are kept, keyed by their peppered hash; at most `max_entries` (then it starts over).
// Thread-safe.
class CredentialCache {
 public:
  explicit CredentialCache(std::chrono::milliseconds ttl, std::size_t max_entries = 10000)
      : ttl_(ttl), max_entries_(max_entries) {}
  [[nodiscard]] std::optional<store::ApiKeyRecord> get(const Bytes& hash);
  void put(const Bytes& hash, const store::ApiKeyRecord& rec);
  void clear();

 private:
  struct Entry {
    store::ApiKeyRecord rec;
    std::chrono::steady_clock::time_point until;
  };
  std::chrono::milliseconds ttl_;
  std::size_t max_entries_;
  std::mutex mu_;
  std::map<Bytes, Entry> entries_;
};

// The principal of a bearer token; kPermissionDenied ("invalid credentials") when malformed,
// unknown or revoked. With a cache, a key validated less than its ttl ago is not looked up.
[[nodiscard]] Result<Principal> authenticate_api_key(store::Store& store, const SecretBytes& pepper,
                                                     std::string_view bearer_token,
                                                     CredentialCache* cache = nullptr);
// Revokes a key or an operator registration by id and audits "auth.apikey_revoke" (or
// "auth.operator_revoke"). kNotFound when absent or already revoked.
[[nodiscard]] Result<void> revoke_credential(const AuthContext& ctx, std::string_view id,
                                             const std::string& actor);

struct CredentialInfo {
  std::string id{};
  Role role = Role::kAuditor;
  std::string org{};
  PrincipalKind kind = PrincipalKind::kApiKey;
  TimePoint created_at{};
  std::optional<TimePoint> revoked_at{};
};
// Every key and operator registration (never the hash), ordered by created_at, id.
[[nodiscard]] Result<std::vector<CredentialInfo>> list_credentials(store::Store& store);

// --- operators (client certificates)

inline constexpr std::string_view kOperatorProfile = "operator";

// Registers an operator certificate. It must be a certificate hpki issued from the
// `operator` profile and is currently kIssued (else kInvalidArgument / kBadState); a
// certificate already registered (and not revoked) gives kConflict. Audits
// "auth.operator_add". Returns the registration id ("op-<16 hex>").
[[nodiscard]] Result<std::string> register_operator(const AuthContext& ctx,
                                                    const x509::Certificate& cert, Role role,
                                                    std::optional<std::string> org,
                                                    const std::string& actor);
// Maps a client certificate — whose chain the TLS layer has already verified — to its
// principal. kPermissionDenied ("invalid credentials") when not registered, when the
// registration is revoked, when hpki's record of the certificate is no longer kIssued
// (revoked, on hold) or when `now` is outside its validity.
[[nodiscard]] Result<Principal> principal_from_certificate(store::Store& store,
                                                           const SecretBytes& pepper,
                                                           const x509::Certificate& leaf,
                                                           TimePoint now);

// The keyed hashes (public for tests and tools).
[[nodiscard]] Result<Bytes> api_key_hash(const SecretBytes& pepper, std::string_view token);
[[nodiscard]] Result<Bytes> certificate_hash(const SecretBytes& pepper, BytesView der);

}  // namespace hpki::auth
