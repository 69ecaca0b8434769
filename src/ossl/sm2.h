// SM2 building blocks that OpenSSL 3.0 does not expose: Z_A and verification over a precomputed
// digest e with any hash (3.0's SM2 provider accepts SM3 only). Used by known-answer tests and
// by code that must check SM2 signatures made with another hash (GM/T 0003.2 allows it).
#pragma once

#include <openssl/evp.h>

#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::ossl {

// GM/T 0003.2-2012 5.5: Z_A = H(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), with
// ENTL_A the ID length in bits (2 bytes). `digest` is an OpenSSL digest name ("SM3",
// "SHA256"...). `pkey` must be an SM2 key. IDs over 8191 bytes are kInvalidArgument.
[[nodiscard]] Result<Bytes> sm2_compute_z(const EVP_PKEY* pkey, std::string_view digest,
                                          std::string_view id);

// GM/T 0003.2-2012 6.1 A1-A2: e = H(Z_A || M).
[[nodiscard]] Result<Bytes> sm2_message_digest(const EVP_PKEY* pkey, std::string_view digest,
                                               std::string_view id, BytesView message);

// GM/T 0003.2-2012 7.1 (B1-B7) over e = H(Z_A || M) already computed: r, s in [1, n-1],
// t = (r + s) mod n != 0, (x1, y1) = [s]G + [t]P_A, R = (e + x1) mod n == r. `signature` is
// DER SEQUENCE{r, s}. kBadSignature when it does not hold or the signature is malformed.
[[nodiscard]] Result<void> sm2_verify_digest(const EVP_PKEY* pkey, BytesView e,
                                             BytesView signature);

}  // namespace hpki::ossl
