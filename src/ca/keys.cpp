#include "ca/keys.h"

#include <string>

namespace hpki::ca {

Result<crypto::KeyStore*> key_store_for(std::string_view key_ref, crypto::KeyStore* file,
                                        crypto::KeyStore* hsm) {
  if (key_ref.starts_with("pkcs11:")) {
    if (hsm == nullptr) return fail(ErrorCode::kConfigMissing, "no PKCS#11 token configured");
    return hsm;
  }
  if (key_ref.starts_with("file:") && file != nullptr) return file;
  return fail(
      ErrorCode::kInvalidArgument,
      "key reference must be file:NAME or pkcs11:LABEL, not '" + std::string(key_ref) + "'");
}

}  // namespace hpki::ca
