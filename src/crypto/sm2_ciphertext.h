// SM2 public-key encryption ciphertext layouts (GM/T 0003.4-2012 section 6.1, GM/T 0009-2012
// section 7.2). C1 is the ephemeral point 04||x||y (65 bytes on sm2p256v1), C3 the SM3 hash
// (32 bytes), C2 the masked message (as long as the plaintext).
//
//   SM2Cipher ::= SEQUENCE {            -- GM/T 0009 7.2, "ASN.1 C1C3C2"
//     XCoordinate INTEGER, YCoordinate INTEGER,
//     HASH        OCTET STRING (SIZE(32)),
//     CipherText  OCTET STRING }
//
// hpki always OUTPUTS the ASN.1 C1C3C2 form (what OpenSSL 3.0 and GM/T 0009 use). On input it
// also accepts the raw concatenations used by older peers and tokens: C1||C3||C2 (GM/T 0003
// 2012 layout) and C1||C2||C3 (the 2010 draft layout). No OpenSSL types here: pure byte work.
#pragma once

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::crypto {

enum class Sm2CiphertextFormat {
  kAuto,        // ASN.1 if it starts with SEQUENCE, else raw; raw is tried as C1C3C2 then C1C2C3
  kAsn1C1C3C2,  // DER SM2Cipher
  kRawC1C3C2,   // 04||x||y||C3||C2
  kRawC1C2C3,   // 04||x||y||C2||C3
};

inline constexpr std::size_t kSm2CoordinateLen = 32;
inline constexpr std::size_t kSm2C1Len = 1 + 2 * kSm2CoordinateLen;
inline constexpr std::size_t kSm2C3Len = 32;
// Ciphertexts larger than this are refused (kTooLarge): SM2 encrypts keys, not bulk data.
inline constexpr std::size_t kMaxSm2Ciphertext = 1024 * 1024;

// Raw (kRawC1C3C2 or kRawC1C2C3) -> DER SM2Cipher. kMalformed when too short (C2 must be at
// least one byte), C1 is not an uncompressed point, or the format is not a raw one.
[[nodiscard]] Result<Bytes> sm2_ciphertext_raw_to_der(BytesView raw, Sm2CiphertextFormat format);

// DER SM2Cipher -> raw in `format` (kRawC1C3C2 or kRawC1C2C3). Strict DER: minimal lengths and
// INTEGERs, no trailing data, coordinates of at most 32 bytes, C3 of exactly 32 bytes.
[[nodiscard]] Result<Bytes> sm2_ciphertext_der_to_raw(BytesView der, Sm2CiphertextFormat format);

}  // namespace hpki::crypto
