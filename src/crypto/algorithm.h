// Algorithm identifiers used across hpki. Names are stable (config, CLI, API, profiles).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::crypto {

// GM/T 0009: the default SM2 distinguishing ID. Every SM2 sign/verify in hpki uses an explicit
// ID; OpenSSL 3.0's silent default is the EMPTY ID, which must never be used.
inline constexpr std::string_view kSm2DefaultId = "1234567812345678";

enum class HashAlg { kSha1, kSha256, kSha384, kSha512, kSm3 };

enum class KeyType { kRsa, kEcP256, kEcP384, kSm2 };

// A key to generate or a key that exists: type plus RSA modulus size.
struct KeySpec {
  KeyType type = KeyType::kEcP256;
  int rsa_bits = 0;  // 2048, 3072 or 4096 for kRsa; 0 otherwise
  friend bool operator==(const KeySpec&, const KeySpec&) = default;
};

enum class SignatureAlg {
  kRsaPkcs1Sha256,
  kRsaPkcs1Sha384,
  kRsaPkcs1Sha512,
  kRsaPssSha256,  // RSASSA-PSS, MGF1-SHA256, salt length 32
  kEcdsaSha256,
  kEcdsaSha384,
  kSm2Sm3,  // SM2 signature with SM3 (1.2.156.10197.1.501), with a distinguishing ID
};

// "sha1", "sha256", "sha384", "sha512", "sm3".
[[nodiscard]] std::string_view hash_name(HashAlg h) noexcept;
[[nodiscard]] Result<HashAlg> parse_hash(std::string_view name);
[[nodiscard]] std::size_t hash_size(HashAlg h) noexcept;

// "rsa2048", "rsa3072", "rsa4096", "p256", "p384", "sm2" (also "ecdsa" = "p256", "rsa" =
// "rsa2048").
[[nodiscard]] std::string key_spec_name(const KeySpec& k);
[[nodiscard]] Result<KeySpec> parse_key_spec(std::string_view name);

// "rsa-pkcs1-sha256", "rsa-pss-sha256", "ecdsa-sha256", "sm2-sm3", ...
[[nodiscard]] std::string_view signature_alg_name(SignatureAlg a) noexcept;
[[nodiscard]] Result<SignatureAlg> parse_signature_alg(std::string_view name);
// The digest the signature algorithm uses.
[[nodiscard]] HashAlg signature_hash(SignatureAlg a) noexcept;
// Whether the algorithm can be used with a key of this type.
[[nodiscard]] bool signature_alg_fits(SignatureAlg a, KeyType k) noexcept;
// The default signature algorithm for a key (RSA: PKCS#1 v1.5 SHA-256; P-256: ECDSA-SHA256;
// P-384: ECDSA-SHA384; SM2: SM2-with-SM3).
[[nodiscard]] SignatureAlg default_signature_alg(KeyType k) noexcept;

}  // namespace hpki::crypto
