// Personal data protection (issue 4 "Personal data"): identity-card numbers and similar
// identifiers are stored encrypted (sm4-ctr-hmac-sm3 under a data key) plus a keyed hash
// (HMAC-SM3) for exact lookup; output masks them (310***********1234).
//
// The 64-byte data secret (32 bytes AEAD key, 32 bytes hash key) is created at `ca init` and kept
// in <home>/keys/pii.key wrapped with a key derived by scrypt from the key-store passphrase
// (AES-256-GCM; format: "hpki-pii-v1" || salt(16) || nonce(12) || ciphertext || tag).
#pragma once

#include <filesystem>
#include <string>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::ca {

class PiiProtector {
 public:
  // Creates a new data secret and writes it wrapped to `file` (0600; refuses to overwrite).
  [[nodiscard]] static Result<PiiProtector> create(const std::filesystem::path& file,
                                                   const SecretBytes& passphrase);
  // kBadPassphrase when the passphrase does not unwrap the file.
  [[nodiscard]] static Result<PiiProtector> open(const std::filesystem::path& file,
                                                 const SecretBytes& passphrase);

  [[nodiscard]] Result<Bytes> encrypt(std::string_view value) const;
  [[nodiscard]] Result<std::string> decrypt(BytesView sealed) const;
  // Keyed hash of the normalised value (trimmed, ASCII upper-cased: ID numbers end in X/x).
  [[nodiscard]] Result<Bytes> lookup_hash(std::string_view value) const;

 private:
  explicit PiiProtector(SecretBytes secret) : secret_(std::move(secret)) {}
  SecretBytes secret_;
};

// "310101199001011234" -> "310***********1234": the first 3 and last 4 characters kept when
// the value is longer than 8, else all but the last 2 masked.
[[nodiscard]] std::string mask_identifier(std::string_view value);
[[nodiscard]] std::string normalize_identifier(std::string_view value);

}  // namespace hpki::ca
