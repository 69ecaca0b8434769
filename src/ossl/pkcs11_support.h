// The OpenSSL half of the PKCS#11 key store (crypto/pkcs11_keystore.h): the token does the
// private-key operation, these functions do the public, key-less parts around it.
// (Candidates for merging with ossl/spki.h and ossl/ecdsa_sig.h.)
#pragma once

#include <cstddef>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::ossl {

// Named curves the PKCS#11 key store knows ("P-256" / "P-384" in OpenSSL 3 naming).
enum class P11Curve { kP256, kP384 };

// Byte length of one coordinate / scalar of the curve (32 or 48).
[[nodiscard]] std::size_t p11_curve_field_size(P11Curve curve) noexcept;

// Message digest in software ("SHA256", "SHA384", "SHA512", "SM3", ...). Fails with
// kUnsupportedAlgorithm for an unknown name.
[[nodiscard]] Result<Bytes> p11_digest(std::string_view md_name, BytesView data);

// RFC 5480 / SEC 1: converts a raw PKCS#11 ECDSA signature r||s (two big-endian integers of
// equal length, as CKM_ECDSA returns them) into DER ECDSA-Sig-Value SEQUENCE{r, s}. Fails with
// kMalformed on an odd or empty input.
[[nodiscard]] Result<Bytes> p11_ecdsa_raw_to_der(BytesView raw);

// RFC 3279 2.3.1 / RFC 8017 A.1.1: DER SubjectPublicKeyInfo (rsaEncryption, NULL params) from
// a big-endian modulus and public exponent. Fails with kMalformed if OpenSSL rejects them.
[[nodiscard]] Result<Bytes> p11_spki_from_rsa(BytesView modulus, BytesView public_exponent);

// RFC 5480 2: DER SubjectPublicKeyInfo (id-ecPublicKey, namedCurve) from an uncompressed SEC 1
// point 04||X||Y. The point must be on `curve`, else kMalformed.
[[nodiscard]] Result<Bytes> p11_spki_from_ec_point(P11Curve curve, BytesView uncompressed_point);

// RFC 8017 7.1.2 step 3: EME-OAEP decoding with SHA-256 and MGF1-SHA-256 and an empty label,
// of the k-byte block `em` (the raw RSA result, left-padded to the modulus length). Runs in
// constant time with respect to the padding check (OpenSSL's implementation); any padding
// failure is the single error kDecryptFailed "OAEP decoding error" (no oracle detail).
[[nodiscard]] Result<SecretBytes> p11_oaep_sha256_decode(BytesView em);

}  // namespace hpki::ossl
