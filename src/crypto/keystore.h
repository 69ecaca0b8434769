// Key stores: where private keys live. One interface, several backends:
//   - FileKeyStore (crypto/file_keystore.h): encrypted PKCS#8 files unlocked by a passphrase;
//   - Pkcs11KeyStore (crypto/pkcs11_keystore.h): keys generated and used on a PKCS#11 token,
//     never leaving it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/key_id.h"
#include "crypto/algorithm.h"
#include "crypto/signer.h"

namespace hpki::crypto {

// A reference to a key in some store, e.g. "file:issuing-rsa" or "pkcs11:issuing-rsa".
// Stored in the database next to the CA; never contains key material.
struct KeyRef {
  std::string id;
  friend bool operator==(const KeyRef&, const KeyRef&) = default;
  friend auto operator<=>(const KeyRef&, const KeyRef&) = default;
};

// The one conversion between a key's id as hpki stores and configures it (hpki::KeyId,
// core/key_id.h) and a key store's reference: the same text.
[[nodiscard]] inline KeyRef to_key_ref(const KeyId& id) { return KeyRef{id.str()}; }
// kInvalidArgument (KeyId::parse) for a reference that is not file:NAME or pkcs11:LABEL.
[[nodiscard]] inline Result<KeyId> to_key_id(const KeyRef& ref) { return KeyId::parse(ref.id); }

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // "file" or "pkcs11".
  [[nodiscard]] virtual std::string_view kind() const = 0;
  // Creates a new key under `label` (letters, digits, '-', '_', '.'); an existing label is
  // kAlreadyExists, never an overwrite. Unsupported key types fail with kUnsupportedByToken.
  [[nodiscard]] virtual Result<KeyRef> generate(const KeySpec& spec, std::string_view label) = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<Signer>> signer(
      const KeyRef& ref, std::optional<SignatureAlg> alg = std::nullopt,
      std::string_view sm2_id = kSm2DefaultId) = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<Decrypter>> decrypter(const KeyRef& ref) = 0;
  // DER SubjectPublicKeyInfo.
  [[nodiscard]] virtual Result<Bytes> public_key(const KeyRef& ref) = 0;
  [[nodiscard]] virtual Result<std::vector<KeyRef>> list() = 0;
};

}  // namespace hpki::crypto
