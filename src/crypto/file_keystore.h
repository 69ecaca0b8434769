// FileKeyStore: the default key backend. A directory of "<label>.key.pem" files, each an
// encrypted PKCS#8 key (PEM "ENCRYPTED PRIVATE KEY", PBES2 + scrypt + AES-256-CBC, see
// PrivateKey::to_encrypted_pem), all unlocked by one passphrase given when the store is opened.
//
// Files are written with mode 0600 into a directory created with mode 0700, atomically: the PEM
// goes to a hidden temporary file in the same directory, is fsync'ed, then linked into place
// under its final name (a rename that never replaces: an existing label is kAlreadyExists, even
// when two processes race) and the directory is fsync'ed. Key references are "file:<label>".
// Decrypted keys are cached in memory for the lifetime of the store. Thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/key.h"
#include "crypto/keystore.h"

namespace hpki::crypto {

inline constexpr std::string_view kFileKeyRefPrefix = "file:";
inline constexpr std::size_t kMaxKeyFileSize = 64 * 1024;

class FileKeyStore final : public KeyStore {
 public:
  // Opens `dir` (created with mode 0700 when missing). An empty passphrase is kInvalidArgument.
  // When the directory already holds keys, the passphrase is checked on one of them at once: a
  // wrong one is kBadPassphrase ("wrong passphrase for key store ...").
  [[nodiscard]] static Result<std::unique_ptr<FileKeyStore>> open(std::filesystem::path dir,
                                                                  SecretBytes passphrase);

  [[nodiscard]] std::string_view kind() const override { return "file"; }
  [[nodiscard]] Result<KeyRef> generate(const KeySpec& spec, std::string_view label) override;
  [[nodiscard]] Result<std::unique_ptr<Signer>> signer(
      const KeyRef& ref, std::optional<SignatureAlg> alg = std::nullopt,
      std::string_view sm2_id = kSm2DefaultId) override;
  [[nodiscard]] Result<std::unique_ptr<Decrypter>> decrypter(const KeyRef& ref) override;
  [[nodiscard]] Result<Bytes> public_key(const KeyRef& ref) override;
  // All keys in the directory, sorted by label (files whose name is not a valid label are
  // ignored).
  [[nodiscard]] Result<std::vector<KeyRef>> list() override;

  // Stores an existing key under `label` (same rules as generate).
  [[nodiscard]] Result<KeyRef> import_key(const PrivateKey& key, std::string_view label);
  // The key itself. kKeyNotFound when there is no such file, kBadPassphrase when it does not
  // decrypt, kInvalidArgument for a reference that is not "file:<label>".
  [[nodiscard]] Result<PrivateKey> load(const KeyRef& ref);

  // The file that holds `label`'s key.
  [[nodiscard]] std::filesystem::path path_of(std::string_view label) const;

 private:
  FileKeyStore(std::filesystem::path dir, SecretBytes passphrase)
      : dir_(std::move(dir)), passphrase_(std::move(passphrase)) {}
  Result<PrivateKey> load_label(const std::string& label);

  std::filesystem::path dir_;
  SecretBytes passphrase_;
  std::mutex mu_;       // cache_
  std::mutex load_mu_;  // held while a key is read and decrypted
  std::map<std::string, PrivateKey> cache_;
};

// Labels: 1..64 of [A-Za-z0-9._-], not starting with '.'.
[[nodiscard]] bool is_valid_key_label(std::string_view label) noexcept;

// Where the key-store passphrase comes from (prompting is the CLI's job, not this one's).
struct PassphraseSource {
  std::string env_var;         // e.g. "HPKI_KEY_PASSPHRASE"; used when set and non-empty
  std::filesystem::path file;  // else this file (one trailing newline is dropped)
};

// The passphrase from the environment variable, else from the file, else kConfigMissing. A file
// readable or writable by "others" is kPermissionDenied; an empty passphrase is kConfigInvalid;
// a missing or unreadable file is kIo.
[[nodiscard]] Result<SecretBytes> resolve_passphrase(const PassphraseSource& source);

}  // namespace hpki::crypto
