// SubjectPublicKeyInfo inspection without OpenSSL (RFC 5280 4.1.2.7, RFC 3279, RFC 5480,
// GM/T 0015 for SM2: id-ecPublicKey with the sm2p256v1 curve OID).
#pragma once

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/algorithm.h"

namespace hpki::x509 {

// Key type and size. RSA: the modulus length in bits (2048, 3072, 4096 reported exactly;
// others too). Unknown algorithms or curves: kUnsupportedAlgorithm.
[[nodiscard]] Result<crypto::KeySpec> spki_key_spec(BytesView spki_der);
// The subjectPublicKey BIT STRING contents (used for key identifiers and OCSP key hashes).
[[nodiscard]] Result<BytesView> spki_public_key_bits(BytesView spki_der);

}  // namespace hpki::x509
