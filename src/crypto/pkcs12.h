// Packaging server-generated keys for subscribers (issue 4: "key returned encrypted: PKCS#12
// for RSA/ECDSA, encrypted PKCS#8 PEM for SM2") and passphrase-derived keys.
#pragma once

#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/key.h"

namespace hpki::crypto {

// PKCS#12 (AES-256-CBC, PBKDF2, SHA-256 MAC) holding key, certificate and chain.
[[nodiscard]] Result<Bytes> make_pkcs12(const PrivateKey& key, BytesView cert_der,
                                        const std::vector<Bytes>& chain_der,
                                        const SecretBytes& passphrase,
                                        std::string_view friendly_name);

// scrypt (RFC 7914) with N=2^15, r=8, p=1: a 32-byte key from a passphrase and a salt.
[[nodiscard]] Result<SecretBytes> derive_key_from_passphrase(const SecretBytes& passphrase,
                                                             BytesView salt,
                                                             std::size_t out_len = 32);

}  // namespace hpki::crypto
