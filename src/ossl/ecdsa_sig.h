// ECDSA / SM2 signature encodings: the raw r||s form (PKCS#11 CKM_ECDSA output, GM/T 0009
// "r||s", test vectors) and the DER form that goes into X.509 / CMS:
//   ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }   -- RFC 3279 2.2.3, GM/T 0009 7.2
// No OpenSSL types in this header.
#pragma once

#include <cstddef>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::ossl {

// Raw r||s (two big-endian halves of equal length, 1..66 bytes each) -> DER SEQUENCE{r, s}.
// Fails with kMalformed on an odd, empty or oversized input, or r or s equal to zero.
[[nodiscard]] Result<Bytes> ecdsa_sig_raw_to_der(BytesView raw);

// DER SEQUENCE{r, s} -> raw r||s with each half left-padded to `field_len` bytes (32 for P-256
// and SM2, 48 for P-384). Fails with kMalformed on bad DER or trailing bytes, and with
// kMalformed when r or s does not fit in `field_len` bytes.
[[nodiscard]] Result<Bytes> ecdsa_sig_der_to_raw(BytesView der, std::size_t field_len);

}  // namespace hpki::ossl
