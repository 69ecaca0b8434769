// The hpki home: everything one CA installation needs, in one directory.
//
//   <home>/hpki.toml     configuration (core sections + [ca] + [x509] + [audit])
//   <home>/hpki.db       SQLite database (default; [database] url may point to PostgreSQL)
//   <home>/keys/         file key store (encrypted PKCS#8, 0600), pii.key (wrapped data key)
//   <home>/profiles/     certificate profiles (copied from the distribution at init)
//
// `--home DIR`, else $HPKI_HOME, else ./hpki-data (the CLI resolves this).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "x509/builder.h"

namespace hpki::ca {

struct CaSettings {
  std::string organization = "hpki";  // O of the CA certificates
  std::string country = "CN";
  std::string province;
  std::string city;
  std::string base_url = "http://127.0.0.1:8080";  // {base_url} in profile URL templates
  int crl_shards = 1;
};

// [ocsp]: the OCSP responder (revocation/ocsp_responder.h).
struct OcspConfig {
  int validity_seconds = 86400;  // nextUpdate - thisUpdate of a pre-signed response
  // Pre-signed responses are re-signed once this much of their validity has passed (at most
  // half, RFC 5019 6: well before nextUpdate).
  int refresh_after_seconds = 43200;
  // How often the responder looks for status changes made by other processes / nodes and for
  // responses due for refresh; also how quickly it notices the database is back.
  int sync_seconds = 10;
  // Signatures made on demand (nonce, several CertIDs, SHA-256 / SM3 CertID) at once per node;
  // requests beyond it get the pre-signed response without nonce, or tryLater.
  int max_on_demand = 8;
};

// [tsa] (issue 7): the RFC 3161 TSA's policy and accuracy. Plain data; the application hands
// it to tsa::TsaService (the ca module does not know the TSA).
struct TsaSettings {
  std::string policy = "1.3.6.1.4.1.59999.3161.1";  // TSAPolicyId, dotted
  int accuracy_seconds = 1;                         // TSTInfo accuracy (0 0 0: omitted)
  int accuracy_millis = 0;                          // 0..999
  int accuracy_micros = 0;                          // 0..999
  bool tsa_name = true;                             // TSTInfo.tsa = the TSA's directoryName
};

// [crl] (issue 6): CRL publication. Times in seconds.
// [evidence] (issue 21): when `hpki serve` re-time-stamps the evidence packages it exported.
struct EvidenceSettings {
  // Renew when the newest timestamp's TSA certificate has less than this left.
  std::int64_t renew_before_days = 180;
  // Also renew when the newest timestamp is older than this (0 = only before expiry): a
  // deployment that retires an algorithm or a key size renews everything with the new TSA.
  std::int64_t max_age_days = 0;
  std::int64_t check_interval_seconds = 3600;  // how often serve looks for due packages
};

struct CrlSettings {
  std::int64_t validity_seconds = 7 * 86400;  // nextUpdate - thisUpdate of complete CRLs
  // A new complete CRL is published once the current one has less than this left, so
  // relying parties always find a CRL that is still valid (the overlap).
  std::int64_t regenerate_before_seconds = 3 * 86400;
  // Delta CRLs (RFC 5280 5.2.4): a new one every interval, valid for two intervals; 0 = none.
  std::int64_t delta_interval_seconds = 3600;
  // Publish new CRLs right after a revocation, hold or release (the affected shard only).
  bool regenerate_on_revoke = true;
  // How often the scheduler looks at the published CRLs.
  std::int64_t check_interval_seconds = 60;
  int keep = 3;  // CRLs kept per name in the database (older ones are pruned)
};

// [organizations."<name>"] (issue 16): what each organization's device and site certificates
// (profiles with [san] organization_names) may name. An organization without an entry may have
// no DNS name, IP address or URI host certified.
//   [organizations."示例医院"]
//   dns = ["example-hospital.cn", "hospital.internal"]   # these and every name below them
//   ip = ["10.20.0.0/16", "fd00:20::/32"]                # addresses or CIDR ranges
struct OrganizationSettings {
  std::vector<std::string> dns;
  std::vector<std::string> ip;
  x509::PermittedNames permitted;  // dns and ip, parsed (x509/name_policy.h)
};

// [cosign]: mobile co-signing (issue 19; docs/cosign.md). Read here, used by cosign/ and app/.
struct CosignSettings {
  // The origin phones reach hpki at: the WebAuthn origin and RP ID (its host) and the links in
  // QR codes. Empty: [ca] base_url. Must be https:// in production (http://localhost in tests).
  std::string base_url;
  // Wake-up sink for new signing requests (an SMS / 企业微信 / 钉钉 gateway): POST of
  // {"event", "organization", "subject_id", "pending", "link"} — never patient data. Empty: none.
  std::string notify_url;
  // Allowed prefixes of hospital systems' callback URLs (e.g. "https://his.example/"); empty:
  // any http(s) URL (every organization's callback is reached from hpki's network).
  std::vector<std::string> callback_prefixes;
  int max_pin_failures = 5;   // consecutive, per device (1..20)
  int decrypt_per_hour = 60;  // two-party decryptions per device and hour (1..10000)
  // A new enrollment of a doctor who has active devices: "revoke" (default: the old devices are
  // revoked and their certificates revoked as superseded) or "keep".
  std::string reenroll = "revoke";
};

struct HomeConfig {
  std::filesystem::path home;
  RawConfig base;
  CaSettings ca;
  OcspConfig ocsp;
  CrlSettings crl;
  EvidenceSettings evidence;
  CosignSettings cosign;
  x509::BuildSettings build;
  crypto::HashAlg audit_hash = crypto::HashAlg::kSm3;
  TsaSettings tsa;
  std::map<std::string, OrganizationSettings> organizations;  // by organization name (O)
  std::string database_url;  // resolved: sqlite paths made absolute
  std::filesystem::path keys_dir;
  std::filesystem::path profiles_dir;
};

[[nodiscard]] std::filesystem::path config_path(const std::filesystem::path& home);

// Reads and validates <home>/hpki.toml (or `config_file` instead, used during init).
[[nodiscard]] Result<HomeConfig> load_home(const std::filesystem::path& home,
                                           const std::filesystem::path& config_file = {});

struct InitOptions {
  std::string organization = "hpki";
  std::string base_url = "http://127.0.0.1:8080";
  int crl_shards = 1;
  std::string database_url;  // empty: sqlite:hpki.db in the home
  crypto::HashAlg audit_hash = crypto::HashAlg::kSm3;
  std::string keystore_type = "file";  // "pkcs11" puts RSA/ECDSA CA keys on a token
  std::string pkcs11_module;
  std::string pkcs11_token;
  std::string passphrase_file;  // demo homes: a 0600 file in the home
  // [organizations."<organization>"] of the new home: the DNS names and IP ranges its device and
  // site certificates may name (none: it gets no such names certified until configured).
  std::vector<std::string> organization_dns;
  std::vector<std::string> organization_ip;
};

// The hpki.toml text for a new home.
[[nodiscard]] std::string initial_config(const InitOptions& o);

}  // namespace hpki::ca
