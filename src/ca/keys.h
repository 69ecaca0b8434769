// Which key store holds a key (the one rule for the CA service, the runtime, the signing service
// and the CLI), and the ids of the keys hpki makes itself.
#pragma once

#include "core/error.h"
#include "core/key_id.h"
#include "crypto/keystore.h"

namespace hpki::ca {

// "pkcs11:..." -> `hsm` (kConfigMissing when there is no token), "file:..." -> `file`
// (kConfigMissing when there is none); an empty id is kInvalidArgument.
[[nodiscard]] Result<crypto::KeyStore*> key_store_for(const KeyId& key, crypto::KeyStore* file,
                                                      crypto::KeyStore* hsm);

// The audit checkpoint key in the file key store, "file:audit" (SM2 when the audit hash is SM3,
// else P-256).
[[nodiscard]] const KeyId& audit_key_id();

}  // namespace hpki::ca
