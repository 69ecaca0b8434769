// Registered signing keys: which server-held key signs for which organization, with which
// certificate. One JSON file per key under <home>/signing-keys/<id>.json:
//   {"id": "...", "key_ref": "file:NAME" | "pkcs11:LABEL", "org": "示例医院",
//    "certificates": ["-----BEGIN CERTIFICATE----- (the key's certificate)", "(chain) ..."]}
// Written by `hpki key register` (which checks that the key is the certificate's); read by
// `hpki sign --key ID` and POST /api/v1/sign (an integration / ra_officer principal may only use
// keys of its own organization). The file never holds key material.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/key_id.h"
#include "x509/certificate.h"

namespace hpki::sign {

inline constexpr std::size_t kMaxRegistrationSize = 1024 * 1024;

struct RegisteredKey {
  std::string id;                                  // letters, digits, '-', '_', '.' (1..64)
  KeyId key_ref;                                   // the key (core/key_id.h)
  std::string org;                                 // the organization the key signs for
  std::vector<x509::CertificatePtr> certificates;  // the key's certificate first, then its chain
};

class KeyRegistry {
 public:
  explicit KeyRegistry(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // kInvalidArgument for a bad id, no key id, empty org or no certificate; kAlreadyExists unless
  // `replace`.
  [[nodiscard]] Result<void> add(const RegisteredKey& key, bool replace = false) const;
  // kNotFound for an unknown (or malformed) id; kMalformed for a damaged file.
  [[nodiscard]] Result<RegisteredKey> get(std::string_view id) const;
  [[nodiscard]] Result<std::vector<std::string>> list() const;

 private:
  std::filesystem::path dir_;
};

[[nodiscard]] bool valid_key_id(std::string_view id);

// Parses one registration file's text (at most kMaxRegistrationSize; kTooLarge beyond,
// kMalformed for anything but the format above — a key_ref that is not a key id with KeyId's
// reason —, certificate parse errors as they are).
[[nodiscard]] Result<RegisteredKey> parse_registration(std::string_view id, std::string_view text);

}  // namespace hpki::sign
