#include "api/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/encoding.h"
#include "crypto/algorithm.h"
#include "crypto/hmac.h"
#include "crypto/random.h"
// TODO(issue 17): store/detail/raw.h (test-only raw SQL) for list_credentials until the
// credentials branch lands; the only file outside src/store/ allowed to include it.
#include "store/detail/raw.h"

namespace hpki::api {
namespace {

constexpr std::string_view kInvalidCredentials = "invalid credentials";
constexpr std::string_view kApiKeyTag = "hpki-apikey/1";
constexpr std::string_view kOperatorTag = "hpki-operator-cert/1";
constexpr std::string_view kOperatorIdPrefix = "op-";
constexpr std::size_t kIdBytes = 8;  // 16 hex characters

Error invalid_credentials() {
  return Error(ErrorCode::kPermissionDenied, std::string(kInvalidCredentials));
}

// The role -> permissions table (docs/operations.md "Authentication and roles").
bool table(Role r, Permission p) noexcept {
  using P = Permission;
  switch (r) {
    case Role::kAdmin:
      return true;
    case Role::kRaOfficer:
      return p == P::kCaRead || p == P::kProfileRead || p == P::kCertIssue || p == P::kCertRead ||
             p == P::kCertLifecycle || p == P::kSubjectRead || p == P::kSubjectWrite ||
             p == P::kSign || p == P::kVerify;
    case Role::kAuditor:
      return p == P::kCaRead || p == P::kProfileRead || p == P::kCertRead || p == P::kSubjectRead ||
             p == P::kAuditRead || p == P::kVerify;
    case Role::kIntegration:
      return p == P::kCaRead || p == P::kProfileRead || p == P::kCertIssue || p == P::kCertRead ||
             p == P::kSign || p == P::kVerify;
  }
  return false;
}

Result<Bytes> tagged_hmac(const SecretBytes& pepper, std::string_view tag, BytesView data) {
  if (pepper.size() != kPepperSize) {
    return fail(ErrorCode::kInvalidArgument, "the API key pepper must have 32 bytes");
  }
  auto mac = HPKI_TRY(crypto::Hmac::create(crypto::HashAlg::kSha256, pepper.view()));
  HPKI_TRY(mac.update(as_bytes(tag)));
  const std::uint8_t sep = 0;
  HPKI_TRY(mac.update(BytesView(&sep, 1)));
  HPKI_TRY(mac.update(data));
  return mac.finish();
}

Result<std::string> random_id(Random& random) {
  std::array<std::uint8_t, kIdBytes> b{};
  HPKI_TRY(random.fill(b));
  return hex_encode(b);
}

Result<std::optional<std::string>> check_org(Role role, std::optional<std::string> org) {
  if (org && org->empty()) org.reset();
  if (role_requires_org(role) && !org) {
    return fail(ErrorCode::kInvalidArgument,
                "role " + std::string(to_string(role)) + " needs an organization (--org)");
  }
  if (!role_allows_org(role) && org) {
    return fail(ErrorCode::kInvalidArgument,
                "role " + std::string(to_string(role)) + " takes no organization");
  }
  return org;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string details(Role role, const std::optional<std::string>& org) {
  return "{\"role\":" + json_string(to_string(role)) + ",\"org\":" + json_string(org.value_or("")) +
         "}";
}

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

PrincipalKind kind_of(std::string_view id) {
  return id.starts_with(kOperatorIdPrefix) ? PrincipalKind::kClientCertificate
                                           : PrincipalKind::kApiKey;
}

Result<Principal> principal_of(const store::ApiKeyRecord& rec) {
  auto role = parse_role(rec.role);
  if (!role) return fail(ErrorCode::kStorage, "api_keys " + rec.id + ": unknown role " + rec.role);
  Principal p{.id = rec.id, .role = *role, .org = {}, .kind = kind_of(rec.id)};
  if (!rec.org.empty()) p.org = rec.org;
  return p;
}

TimePoint from_unix(std::int64_t s) { return TimePoint(std::chrono::seconds(s)); }

}  // namespace

std::string_view to_string(Role r) noexcept {
  switch (r) {
    case Role::kAdmin:
      return "admin";
    case Role::kRaOfficer:
      return "ra_officer";
    case Role::kAuditor:
      return "auditor";
    case Role::kIntegration:
      return "integration";
  }
  return "unknown";
}

Result<Role> parse_role(std::string_view s) {
  for (Role r : kAllRoles) {
    if (to_string(r) == s) return r;
  }
  return fail(ErrorCode::kInvalidArgument,
              "unknown role '" + std::string(s) + "' (admin, ra_officer, auditor, integration)");
}

std::string_view to_string(Permission p) noexcept {
  switch (p) {
    case Permission::kCaRead:
      return "ca.read";
    case Permission::kProfileRead:
      return "profile.read";
    case Permission::kCertIssue:
      return "cert.issue";
    case Permission::kCertRead:
      return "cert.read";
    case Permission::kCertLifecycle:
      return "cert.lifecycle";
    case Permission::kSubjectRead:
      return "subject.read";
    case Permission::kSubjectWrite:
      return "subject.write";
    case Permission::kAuditRead:
      return "audit.read";
    case Permission::kSign:
      return "sign";
    case Permission::kVerify:
      return "verify";
    case Permission::kAdmin:
      return "admin";
  }
  return "unknown";
}

bool role_has(Role r, Permission p) noexcept { return table(r, p); }

bool role_requires_org(Role r) noexcept { return r == Role::kRaOfficer || r == Role::kIntegration; }

bool role_allows_org(Role r) noexcept { return r != Role::kAdmin; }

std::string_view to_string(PrincipalKind k) noexcept {
  return k == PrincipalKind::kApiKey ? "api_key" : "client_certificate";
}

std::string Principal::actor() const {
  return (kind == PrincipalKind::kApiKey ? "api-key:" : "operator:") + id;
}

Result<void> authorize(const Principal& p, Permission perm,
                       std::optional<std::string_view> object_org) {
  if (!role_has(p.role, perm)) {
    return fail(ErrorCode::kPermissionDenied, "role " + std::string(to_string(p.role)) +
                                                  " may not " + std::string(to_string(perm)));
  }
  // The admin role is never organization-scoped, even if a row carried an org.
  if (p.role != Role::kAdmin && p.org && !p.org->empty() && object_org && *object_org != *p.org) {
    return fail(ErrorCode::kNotFound, "not found");
  }
  return {};
}

Result<void> authorize_create(const Principal& p, Permission perm, std::string_view new_org) {
  auto r = authorize(p, perm, new_org);
  if (!r && r.error().code() == ErrorCode::kNotFound) {
    return fail(ErrorCode::kPermissionDenied,
                "organization '" + *p.org + "' may not act for another organization");
  }
  return r;
}

std::optional<std::string> org_scope(const Principal& p) {
  if (p.role == Role::kAdmin || !p.org || p.org->empty()) return std::nullopt;
  return p.org;
}

std::filesystem::path pepper_path(const std::filesystem::path& keys_dir) {
  return keys_dir / "apikey.pepper";
}

Result<SecretBytes> load_or_create_pepper(const std::filesystem::path& file) {
  auto read = [&]() -> Result<SecretBytes> {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(ErrorCode::kIo, "cannot read " + file.string());
    Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SecretBytes s(b);
    std::fill(b.begin(), b.end(), std::uint8_t{0});
    if (s.size() != kPepperSize) {
      return fail(ErrorCode::kConfigInvalid,
                  file.string() + ": expected " + std::to_string(kPepperSize) + " bytes");
    }
    return s;
  };
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) return read();

  SecretBytes fresh(kPepperSize);
  HPKI_TRY(crypto::SystemRandom().fill(std::span<std::uint8_t>(fresh.data(), fresh.size())));
  // Written to a private temporary file, then hard-linked into place: link() fails when the
  // file appeared meanwhile (another process won the race), and we then read theirs.
  std::string tmp = file.string() + ".XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return fail(ErrorCode::kIo, "cannot create " + tmp + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, S_IRUSR | S_IWUSR) == 0;
  std::size_t done = 0;
  while (ok && done < fresh.size()) {
    const auto n = ::write(fd, fresh.data() + done, fresh.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return fail(ErrorCode::kIo, "cannot write " + tmp);
  }
  const int linked = ::link(tmp.c_str(), file.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked == 0) return fresh;
  if (link_errno == EEXIST) return read();
  return fail(ErrorCode::kIo, "cannot create " + file.string() + ": " + std::strerror(link_errno));
}

Result<Bytes> api_key_hash(const SecretBytes& pepper, std::string_view token) {
  return tagged_hmac(pepper, kApiKeyTag, as_bytes(token));
}

Result<Bytes> certificate_hash(const SecretBytes& pepper, BytesView der) {
  return tagged_hmac(pepper, kOperatorTag, der);
}

Result<NewApiKey> create_api_key(const AuthContext& ctx, Role role, std::optional<std::string> org,
                                 const std::string& actor) {
  org = HPKI_TRY(check_org(role, std::move(org)));
  NewApiKey k;
  k.id = HPKI_TRY(random_id(ctx.random));
  SecretBytes secret(kApiKeySecretBytes);
  HPKI_TRY(ctx.random.fill(std::span<std::uint8_t>(secret.data(), secret.size())));
  k.key = std::string(kApiKeyPrefix) + k.id + "_" + base64url_encode(secret.view());
  store::ApiKeyRecord rec{.id = k.id,
                          .hash = HPKI_TRY(api_key_hash(ctx.pepper, k.key)),
                          .role = std::string(to_string(role)),
                          .org = org.value_or(""),
                          .created_at = {},
                          .revoked_at = {}};
  HPKI_TRY(ctx.store.transact([&](store::Tx& tx) -> Result<void> {
    HPKI_TRY(tx.insert_api_key(rec));
    HPKI_TRY(ctx.audit.append(tx, {.actor = actor,
                                   .action = "auth.apikey_create",
                                   .object = "api-key:" + k.id,
                                   .outcome = std::string(audit::outcome::kSuccess),
                                   .details = details(role, org)}));
    return {};
  }));
  return k;
}

std::optional<store::ApiKeyRecord> CredentialCache::get(const Bytes& hash) {
  if (ttl_.count() <= 0) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = entries_.find(hash);
  if (it == entries_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() >= it->second.until) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.rec;
}

void CredentialCache::put(const Bytes& hash, const store::ApiKeyRecord& rec) {
  if (ttl_.count() <= 0) return;
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_entries_) entries_.clear();
  entries_.insert_or_assign(hash, Entry{rec, std::chrono::steady_clock::now() + ttl_});
}

void CredentialCache::clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

Result<Principal> authenticate_api_key(store::Store& store, const SecretBytes& pepper,
                                       std::string_view token, CredentialCache* cache) {
  // Shape: "hpki_" + 16 lowercase hex + "_" + 43 base64url characters.
  if (token.size() > kMaxTokenSize || !token.starts_with(kApiKeyPrefix)) {
    return std::unexpected(invalid_credentials());
  }
  const auto rest = token.substr(kApiKeyPrefix.size());
  if (rest.size() < 2 * kIdBytes + 2 || rest[2 * kIdBytes] != '_' ||
      !is_lower_hex(rest.substr(0, 2 * kIdBytes))) {
    return std::unexpected(invalid_credentials());
  }
  const auto id = rest.substr(0, 2 * kIdBytes);
  const auto hash = HPKI_TRY(api_key_hash(pepper, token));
  std::optional<store::ApiKeyRecord> rec;
  if (cache != nullptr) rec = cache->get(hash);
  if (!rec) {
    // A read-only snapshot: on SQLite it does not queue behind the writer's commits.
    rec = HPKI_TRY(store.read_value<std::optional<store::ApiKeyRecord>>(
        [&](store::Tx& tx) { return tx.find_api_key_by_hash(hash); }));
    if (rec && !rec->revoked_at && cache != nullptr) cache->put(hash, *rec);
  }
  if (!rec || rec->revoked_at || rec->id != id) return std::unexpected(invalid_credentials());
  auto p = HPKI_TRY(principal_of(*rec));
  if (p.kind != PrincipalKind::kApiKey) return std::unexpected(invalid_credentials());
  return p;
}

Result<void> revoke_credential(const AuthContext& ctx, std::string_view id,
                               const std::string& actor) {
  const bool op = kind_of(id) == PrincipalKind::kClientCertificate;
  return ctx.store.transact([&](store::Tx& tx) -> Result<void> {
    HPKI_TRY(tx.revoke_api_key(id, ctx.clock.now()));
    HPKI_TRY(ctx.audit.append(tx, {.actor = actor,
                                   .action = op ? "auth.operator_revoke" : "auth.apikey_revoke",
                                   .object = (op ? "operator:" : "api-key:") + std::string(id),
                                   .outcome = std::string(audit::outcome::kSuccess),
                                   .details = "{}"}));
    return {};
  });
}

Result<std::vector<CredentialInfo>> list_credentials(store::Store& store) {
  // TODO(issue 17): raw SQL outside the store, allowed for this file only until the credentials
  // branch replaces it with a typed Tx operation (cmake/check_layers.cmake names the exception).
  auto rows = HPKI_TRY(store.transact_value<std::vector<store::raw::Row>>([](store::Tx& tx) {
    return store::raw::query(
        tx, "SELECT id, role, org, created_at, revoked_at FROM api_keys ORDER BY created_at, id");
  }));
  std::vector<CredentialInfo> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    const auto* id = row.size() == 5 ? std::get_if<std::string>(&row[0]) : nullptr;
    const auto* role = id ? std::get_if<std::string>(&row[1]) : nullptr;
    const auto* org = id ? std::get_if<std::string>(&row[2]) : nullptr;
    const auto* created = id ? std::get_if<std::int64_t>(&row[3]) : nullptr;
    if (id == nullptr || role == nullptr || org == nullptr || created == nullptr) {
      return fail(ErrorCode::kStorage, "api_keys: unexpected row shape");
    }
    auto r = parse_role(*role);
    if (!r) return fail(ErrorCode::kStorage, "api_keys " + *id + ": unknown role " + *role);
    CredentialInfo c{.id = *id,
                     .role = *r,
                     .org = *org,
                     .kind = kind_of(*id),
                     .created_at = from_unix(*created),
                     .revoked_at = {}};
    if (const auto* rv = std::get_if<std::int64_t>(&row[4])) c.revoked_at = from_unix(*rv);
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::string> register_operator(const AuthContext& ctx, const x509::Certificate& cert,
                                      Role role, std::optional<std::string> org,
                                      const std::string& actor) {
  org = HPKI_TRY(check_org(role, std::move(org)));
  const std::string id = std::string(kOperatorIdPrefix) + HPKI_TRY(random_id(ctx.random));
  const auto hash = HPKI_TRY(certificate_hash(ctx.pepper, cert.der()));
  const auto serial = cert.serial_hex();
  HPKI_TRY(ctx.store.transact([&](store::Tx& tx) -> Result<void> {
    auto recs = HPKI_TRY(tx.find_certificates_by_serial(serial));
    const store::CertificateRecord* mine = nullptr;
    for (const auto& r : recs) {
      if (r.der && *r.der == cert.der()) mine = &r;
    }
    if (mine == nullptr) {
      return fail(ErrorCode::kInvalidArgument,
                  "certificate " + serial + " was not issued by this hpki");
    }
    if (mine->profile != kOperatorProfile) {
      return fail(ErrorCode::kInvalidArgument,
                  "certificate " + serial + " has profile '" + mine->profile + "', not 'operator'");
    }
    if (mine->status != store::CertStatus::kIssued) {
      return fail(ErrorCode::kBadState,
                  "certificate " + serial + " is " + std::string(store::to_string(mine->status)));
    }
    auto inserted = tx.insert_api_key({.id = id,
                                       .hash = hash,
                                       .role = std::string(to_string(role)),
                                       .org = org.value_or(""),
                                       .created_at = {},
                                       .revoked_at = {}});
    if (!inserted && inserted.error().code() == ErrorCode::kConflict) {
      return fail(ErrorCode::kConflict, "certificate " + serial + " is already registered");
    }
    HPKI_TRY(std::move(inserted));
    HPKI_TRY(ctx.audit.append(tx, {.actor = actor,
                                   .action = "auth.operator_add",
                                   .object = "operator:" + id,
                                   .outcome = std::string(audit::outcome::kSuccess),
                                   .details = "{\"role\":" + json_string(to_string(role)) +
                                              ",\"org\":" + json_string(org.value_or("")) +
                                              ",\"ca\":" + json_string(mine->ca_id) +
                                              ",\"serial\":" + json_string(serial) + "}"}));
    return {};
  }));
  return id;
}

Result<Principal> principal_from_certificate(store::Store& store, const SecretBytes& pepper,
                                             const x509::Certificate& leaf, TimePoint now) {
  if (now < leaf.validity().not_before || now > leaf.validity().not_after) {
    return std::unexpected(invalid_credentials());
  }
  const auto hash = HPKI_TRY(certificate_hash(pepper, leaf.der()));
  const auto serial = leaf.serial_hex();
  std::optional<Principal> out;
  HPKI_TRY(store.transact([&](store::Tx& tx) -> Result<void> {
    out.reset();
    auto rec = HPKI_TRY(tx.find_api_key_by_hash(hash));
    if (!rec || rec->revoked_at) return {};
    auto p = HPKI_TRY(principal_of(*rec));
    if (p.kind != PrincipalKind::kClientCertificate) return {};
    // hpki's own record of the certificate must still be valid (not revoked, not on hold).
    for (const auto& c : HPKI_TRY(tx.find_certificates_by_serial(serial))) {
      if (c.der && *c.der == leaf.der() && c.status == store::CertStatus::kIssued) {
        out = std::move(p);
        break;
      }
    }
    return {};
  }));
  if (!out) return std::unexpected(invalid_credentials());
  return std::move(*out);
}

}  // namespace hpki::api
