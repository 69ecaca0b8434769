// A CA installation opened from its home: configuration, database, key stores, personal-data
// key, audit log, profiles and the CaService wired together. The CLI and the server use this;
// tests may build CaDeps themselves.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "audit/audit_log.h"
#include "ca/ca_service.h"
#include "ca/home.h"
#include "ca/pii.h"
#include "core/clock.h"
#include "crypto/file_keystore.h"
#include "crypto/pkcs11_keystore.h"
#include "crypto/random.h"
#include "store/store.h"

namespace hpki::ca {

struct OpenOptions {
  // The key-store passphrase; when absent it comes from the configured environment variable
  // or passphrase file (kConfigMissing if neither; the CLI then prompts).
  std::optional<SecretBytes> passphrase;
};

class Runtime {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Runtime>> open(const std::filesystem::path& home,
                                                             OpenOptions options);

  // Creates a new home (refuses an existing one), keys, database and the CA hierarchy.
  // `profiles_source` is copied to <home>/profiles.
  [[nodiscard]] static Result<std::unique_ptr<Runtime>> init(
      const std::filesystem::path& home, const InitOptions& init,
      const InitHierarchyOptions& hierarchy, SecretBytes passphrase,
      const std::filesystem::path& profiles_source);

  [[nodiscard]] CaService& ca() { return *service_; }
  [[nodiscard]] store::Store& store() { return *store_; }
  [[nodiscard]] const HomeConfig& config() const { return config_; }
  [[nodiscard]] audit::AuditLog& audit() { return *audit_; }
  [[nodiscard]] const Clock& clock() const { return clock_; }
  [[nodiscard]] const std::map<std::string, x509::Profile>& profiles() const { return profiles_; }
  [[nodiscard]] crypto::FileKeyStore& file_keys() { return *file_keys_; }
  // The data key that seals hpki's shares of two-party keys (issue 19; keys/cosign.key).
  [[nodiscard]] const PiiProtector& cosign_sealer() const { return *cosign_; }
  // The key store of a key: "pkcs11:..." on the configured token (kConfigMissing without
  // one), "file:..." in the file key store (ca::key_store_for).
  [[nodiscard]] Result<crypto::KeyStore*> keys_for(const KeyId& key_ref);
  // Reservations of a version before schema 7, left by a crash, that opening this home recorded
  // as never delivered (ca/upgrade.h).
  [[nodiscard]] int never_delivered_at_upgrade() const { return never_delivered_; }

 private:
  Runtime() = default;
  [[nodiscard]] Result<void> wire(SecretBytes passphrase, bool create_pii);

  HomeConfig config_;
  SystemClock clock_;
  crypto::SystemRandom random_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<crypto::FileKeyStore> file_keys_;
  std::unique_ptr<crypto::Pkcs11KeyStore> hsm_keys_;
  std::optional<PiiProtector> pii_;
  std::optional<PiiProtector> cosign_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::map<std::string, x509::Profile> profiles_;
  std::unique_ptr<CaService> service_;
  int never_delivered_ = 0;
};

// The passphrase for a home from its configuration (env var, then passphrase file).
[[nodiscard]] Result<SecretBytes> configured_passphrase(const HomeConfig& h);

}  // namespace hpki::ca
