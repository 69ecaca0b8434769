// Building a DER SubjectPublicKeyInfo (RFC 5280 4.1.2.7) from raw public-key components, as a
// PKCS#11 token returns them (CKA_MODULUS / CKA_PUBLIC_EXPONENT, CKA_EC_POINT).
// No OpenSSL types in this header.
#pragma once

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::ossl {

enum class EcCurve {
  kP256,  // prime256v1 / secp256r1, 1.2.840.10045.3.1.7
  kP384,  // secp384r1, 1.3.132.0.34
  kSm2,   // sm2p256v1, 1.2.156.10197.1.301
};

// RFC 3279 2.3.1: rsaEncryption with NULL parameters, RSAPublicKey{n, e}. `n` and `e` are
// unsigned big-endian (leading zeros allowed). Fails with kInvalidArgument on an empty or even
// exponent, or a modulus under 1024 or over 16384 bits.
[[nodiscard]] Result<Bytes> spki_from_rsa(BytesView n, BytesView e);

// RFC 5480 2.1.1 / GM/T 0015: id-ecPublicKey with the named-curve OID, and the uncompressed
// point 04||x||y (a compressed point is accepted and written uncompressed). The point must be on
// the curve (kInvalidArgument otherwise). For kSm2 the curve OID is sm2p256v1, the form that
// OpenSSL and GM/T 0015 certificates use.
[[nodiscard]] Result<Bytes> spki_from_ec_point(EcCurve curve, BytesView point);

}  // namespace hpki::ossl
