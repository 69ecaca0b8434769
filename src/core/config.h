// Configuration: TOML (toml++) read into raw structs, then validated once at start.
//
// ConfigDoc wraps a parsed TOML document and gives typed, checked access by dotted key
// ("server.api_listen"). Every error names the file, the key and, where known, the line and
// column. Keys that were never read are reported by check_unknown_keys(), so a misspelt key
// stops startup instead of being silently ignored.
//
// load_config() reads the sections of the base configuration (this issue: server, database,
// keystore, log, sm2) into RawConfig and validates them; later modules add their sections.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace hpki {

inline constexpr std::size_t kMaxConfigSize = 1024 * 1024;

class ConfigDoc {
 public:
  // `source` names the document in messages (usually the file path).
  [[nodiscard]] static Result<ConfigDoc> parse(std::string_view text, std::string source);
  [[nodiscard]] static Result<ConfigDoc> load_file(const std::filesystem::path& path);

  ConfigDoc(ConfigDoc&&) noexcept;
  ConfigDoc& operator=(ConfigDoc&&) noexcept;
  ~ConfigDoc();

  // Each getter returns nullopt when the key is absent, an error when it has the wrong type.
  [[nodiscard]] Result<std::optional<std::string>> get_string(std::string_view key);
  [[nodiscard]] Result<std::optional<std::int64_t>> get_int(std::string_view key);
  [[nodiscard]] Result<std::optional<bool>> get_bool(std::string_view key);
  [[nodiscard]] Result<std::optional<std::vector<std::string>>> get_string_list(
      std::string_view key);
  // Names of the sub-tables/keys directly under `key` ("" = top level); marks `key` as read.
  [[nodiscard]] Result<std::vector<std::string>> keys_of(std::string_view key);
  // The string lists of the tables directly under `key`, by table name then leaf name, for
  // tables named by data that may contain dots (e.g. [organizations."St. Mary"]). Every leaf
  // must be one of `leaves` and an array of strings; marks `key` as read. {} when absent.
  [[nodiscard]] Result<std::map<std::string, std::map<std::string, std::vector<std::string>>>>
  string_lists_by_table(std::string_view key, const std::vector<std::string_view>& leaves);
  // Marks a whole subtree as read (for sections handled elsewhere).
  void mark_read(std::string_view key);

  // Error listing every leaf key that no getter asked for.
  [[nodiscard]] Result<void> check_unknown_keys() const;

  [[nodiscard]] const std::string& source() const;
  // "<source>: <key>" plus " (line L, column C)" where the key exists.
  [[nodiscard]] std::string where(std::string_view key) const;

 private:
  struct Impl;
  explicit ConfigDoc(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A "host:port" listener address. IPv6 hosts are written "[::1]:8443".
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};
[[nodiscard]] Result<ListenAddress> parse_listen_address(std::string_view text);

struct RawConfig {
  struct Server {
    ListenAddress api_listen{"127.0.0.1", 8443};
    ListenAddress http_listen{"127.0.0.1", 8080};
    std::size_t max_body_bytes = 1024 * 1024;
    // Token bucket per authenticated caller (API key, operator) on the API routes, taken only
    // once the credentials are verified.
    std::int64_t rate_limit_per_second = 50;
    std::int64_t rate_limit_burst = 100;
    // Token bucket per client address (IPv4 address, IPv6 /64) on the same routes, taken before
    // authentication by every request; 0 per second = no per-address limit (e.g. behind a
    // proxy, where every request comes from the proxy's address).
    std::int64_t ip_rate_limit_per_second = 500;
    std::int64_t ip_rate_limit_burst = 1000;
    // Open connections per client address on each node (all listeners); 0 = no cap.
    std::int64_t max_connections_per_ip = 256;
    // How long a node trusts an API key it validated before reading it again (a revocation
    // by another process takes effect within this); 0 = read on every request.
    std::int64_t credential_cache_ms = 2000;
    // Threads of the issuance pipeline (CA work: CSR checks, signing, answers); 0 = one per
    // core. Its tasks never wait for the database; raise it when signing itself waits (a
    // network HSM).
    std::int64_t issuance_threads = 0;
  } server;
  struct Database {
    // "sqlite:<path relative to home or absolute>" or "postgresql://..." (libpq URL).
    std::string url = "sqlite:hpki.db";
  } database;
  struct KeyStore {
    std::string type = "file";  // "file" | "pkcs11"
    std::string dir = "keys";   // file key store directory (relative to home)
    std::string passphrase_env = "HPKI_PASSPHRASE";
    std::string passphrase_file;  // optional, e.g. the demo home's 0600 file
    std::string pkcs11_module;    // e.g. /usr/lib/softhsm/libsofthsm2.so
    std::string pkcs11_token;     // token label
    std::string pkcs11_pin_env = "HPKI_PKCS11_PIN";
  } keystore;
  struct Log {
    std::string level = "info";
    std::string format = "text";  // "text" | "json"
  } log;
  struct Sm2 {
    // GM/T 0009 default distinguishing ID; changing it breaks interop and is refused unless
    // `allow_nonstandard_id` is set.
    std::string distinguishing_id = "1234567812345678";
    bool allow_nonstandard_id = false;
  } sm2;
};

// Reads and validates the base sections; unknown keys anywhere are an error unless
// `allow_unknown_sections` names top-level tables owned by other modules.
[[nodiscard]] Result<RawConfig> read_config(ConfigDoc& doc,
                                            const std::set<std::string>& other_sections = {});
[[nodiscard]] Result<RawConfig> load_config(const std::filesystem::path& path,
                                            const std::set<std::string>& other_sections = {});

}  // namespace hpki
