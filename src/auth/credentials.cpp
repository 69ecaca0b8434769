#include "auth/credentials.h"

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

namespace hpki::auth {
namespace {

constexpr std::string_view kInvalidCredentials = "invalid credentials";
constexpr std::string_view kApiKeyTag = "hpki-apikey/1";
constexpr std::string_view kOperatorTag = "hpki-operator-cert/1";
constexpr std::string_view kOperatorIdPrefix = "op-";
constexpr std::size_t kIdBytes = 8;  // 16 hex characters

Error invalid_credentials() {
  return Error(ErrorCode::kPermissionDenied, std::string(kInvalidCredentials));
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

}  // namespace

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
                                   .action = std::string(audit::action::kApiKeyCreate),
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
                                   .action = std::string(op ? audit::action::kOperatorRevoke
                                                            : audit::action::kApiKeyRevoke),
                                   .object = (op ? "operator:" : "api-key:") + std::string(id),
                                   .outcome = std::string(audit::outcome::kSuccess),
                                   .details = "{}"}));
    return {};
  });
}

Result<std::vector<CredentialInfo>> list_credentials(store::Store& store) {
  auto recs = HPKI_TRY(store.read_value<std::vector<store::ApiKeyRecord>>(
      [](store::Tx& tx) { return tx.list_api_keys(); }));
  std::vector<CredentialInfo> out;
  out.reserve(recs.size());
  for (auto& rec : recs) {
    auto r = parse_role(rec.role);
    if (!r) return fail(ErrorCode::kStorage, "api_keys " + rec.id + ": unknown role " + rec.role);
    out.push_back({.id = rec.id,
                   .role = *r,
                   .org = std::move(rec.org),
                   .kind = kind_of(rec.id),
                   .created_at = rec.created_at,
                   .revoked_at = rec.revoked_at});
  }
  return out;
}

Result<std::string> register_operator(const AuthContext& ctx, const x509::Certificate& cert,
                                      Role role, std::optional<std::string> org,
                                      const std::string& actor) {
  org = HPKI_TRY(check_org(role, std::move(org)));
  const std::string id = std::string(kOperatorIdPrefix) + HPKI_TRY(random_id(ctx.random));
  const auto hash = HPKI_TRY(certificate_hash(ctx.pepper, cert.der()));
  const Serial& serial = cert.serial_number();
  HPKI_TRY(ctx.store.transact([&](store::Tx& tx) -> Result<void> {
    auto recs = HPKI_TRY(tx.find_certificates_by_serial(serial));
    const store::CertificateRecord* mine = nullptr;
    for (const auto& r : recs) {
      if (r.der && *r.der == cert.der()) mine = &r;
    }
    if (mine == nullptr) {
      return fail(ErrorCode::kInvalidArgument,
                  "certificate " + serial.hex() + " was not issued by this hpki");
    }
    if (mine->profile != kOperatorProfile) {
      return fail(ErrorCode::kInvalidArgument, "certificate " + serial.hex() + " has profile '" +
                                                   mine->profile + "', not 'operator'");
    }
    if (mine->status != store::CertStatus::kIssued) {
      return fail(ErrorCode::kBadState, "certificate " + serial.hex() + " is " +
                                            std::string(store::to_string(mine->status)));
    }
    auto inserted = tx.insert_api_key({.id = id,
                                       .hash = hash,
                                       .role = std::string(to_string(role)),
                                       .org = org.value_or(""),
                                       .created_at = {},
                                       .revoked_at = {}});
    if (!inserted && inserted.error().code() == ErrorCode::kConflict) {
      return fail(ErrorCode::kConflict, "certificate " + serial.hex() + " is already registered");
    }
    HPKI_TRY(std::move(inserted));
    HPKI_TRY(ctx.audit.append(tx, {.actor = actor,
                                   .action = std::string(audit::action::kOperatorAdd),
                                   .object = "operator:" + id,
                                   .outcome = std::string(audit::outcome::kSuccess),
                                   .details = "{\"role\":" + json_string(to_string(role)) +
                                              ",\"org\":" + json_string(org.value_or("")) +
                                              ",\"ca\":" + json_string(mine->ca_id) +
                                              ",\"serial\":" + json_string(serial.hex()) + "}"}));
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
  const Serial& serial = leaf.serial_number();
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

}  // namespace hpki::auth
