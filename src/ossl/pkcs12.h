// PKCS#12 (RFC 7292) files for keys generated on the server and handed to RSA/ECDSA
// subscribers, and scrypt (RFC 7914) for passphrase-derived keys.
#pragma once

#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::ossl {

// PKCS#12 with the private key (PKCS#8 DER), its certificate and the chain, encrypted with
// `passphrase`: AES-256-CBC with PBKDF2 (PBES2, 600000 iterations), MAC SHA-256 — what
// OpenSSL 3 and current browsers / Windows import. `friendly_name` labels the key.
[[nodiscard]] Result<Bytes> pkcs12_create(BytesView pkcs8_der, BytesView cert_der,
                                          const std::vector<Bytes>& chain_der,
                                          const SecretBytes& passphrase,
                                          std::string_view friendly_name);

// scrypt(passphrase, salt, N, r, p) -> out_len bytes (EVP_KDF "SCRYPT").
[[nodiscard]] Result<SecretBytes> scrypt(const SecretBytes& passphrase, BytesView salt,
                                         std::uint64_t n, std::uint32_t r, std::uint32_t p,
                                         std::size_t out_len);

}  // namespace hpki::ossl
