#include "ca/keys.h"

#include <string>

namespace hpki::ca {

Result<crypto::KeyStore*> key_store_for(const KeyId& key, crypto::KeyStore* file,
                                        crypto::KeyStore* hsm) {
  if (key.empty()) return fail(ErrorCode::kInvalidArgument, "no key id");
  switch (key.scheme()) {
    case KeyId::Scheme::kPkcs11:
      if (hsm == nullptr) return fail(ErrorCode::kConfigMissing, "no PKCS#11 token configured");
      return hsm;
    case KeyId::Scheme::kFile:
      if (file == nullptr) {
        return fail(ErrorCode::kConfigMissing, "no file key store for '" + key.str() + "'");
      }
      return file;
  }
  return fail(ErrorCode::kInvalidArgument, "key id '" + key.str() + "' has no key store");
}

const KeyId& audit_key_id() {
  static const KeyId id = KeyId::of(KeyId::Scheme::kFile, "audit").value();
  return id;
}

}  // namespace hpki::ca
