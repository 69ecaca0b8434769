// Which key store holds a key reference (the one rule for the CA service, the runtime, the
// signing service and the CLI).
#pragma once

#include <string_view>

#include "core/error.h"
#include "crypto/keystore.h"

namespace hpki::ca {

// "pkcs11:..." -> `hsm` (kConfigMissing when there is no token), "file:..." -> `file`; any
// other form is kInvalidArgument.
[[nodiscard]] Result<crypto::KeyStore*> key_store_for(std::string_view key_ref,
                                                      crypto::KeyStore* file,
                                                      crypto::KeyStore* hsm);

}  // namespace hpki::ca
