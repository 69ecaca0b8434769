#include "crypto/algorithm.h"

namespace hpki::crypto {

std::string_view hash_name(HashAlg h) noexcept {
  switch (h) {
    case HashAlg::kSha1:
      return "sha1";
    case HashAlg::kSha256:
      return "sha256";
    case HashAlg::kSha384:
      return "sha384";
    case HashAlg::kSha512:
      return "sha512";
    case HashAlg::kSm3:
      return "sm3";
  }
  return "unknown";
}

Result<HashAlg> parse_hash(std::string_view name) {
  for (auto h :
       {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512, HashAlg::kSm3}) {
    if (name == hash_name(h)) return h;
  }
  if (name == "sha-256") return HashAlg::kSha256;
  if (name == "sha-384") return HashAlg::kSha384;
  if (name == "sha-512") return HashAlg::kSha512;
  return fail(ErrorCode::kUnsupportedAlgorithm,
              "unknown hash '" + std::string(name) + "' (expected sha256, sha384, sha512, sm3)");
}

std::size_t hash_size(HashAlg h) noexcept {
  switch (h) {
    case HashAlg::kSha1:
      return 20;
    case HashAlg::kSha256:
      return 32;
    case HashAlg::kSha384:
      return 48;
    case HashAlg::kSha512:
      return 64;
    case HashAlg::kSm3:
      return 32;
  }
  return 0;
}

std::string key_spec_name(const KeySpec& k) {
  switch (k.type) {
    case KeyType::kRsa:
      return "rsa" + std::to_string(k.rsa_bits);
    case KeyType::kEcP256:
      return "p256";
    case KeyType::kEcP384:
      return "p384";
    case KeyType::kSm2:
      return "sm2";
  }
  return "unknown";
}

Result<KeySpec> parse_key_spec(std::string_view name) {
  if (name == "rsa" || name == "rsa2048") return KeySpec{KeyType::kRsa, 2048};
  if (name == "rsa3072") return KeySpec{KeyType::kRsa, 3072};
  if (name == "rsa4096") return KeySpec{KeyType::kRsa, 4096};
  if (name == "p256" || name == "ecdsa" || name == "ec" || name == "prime256v1" ||
      name == "P-256") {
    return KeySpec{KeyType::kEcP256, 0};
  }
  if (name == "p384" || name == "secp384r1" || name == "P-384") return KeySpec{KeyType::kEcP384, 0};
  if (name == "sm2") return KeySpec{KeyType::kSm2, 0};
  return fail(ErrorCode::kUnsupportedAlgorithm,
              "unknown key algorithm '" + std::string(name) +
                  "' (expected rsa2048, rsa3072, rsa4096, p256, p384, sm2)");
}

std::string_view signature_alg_name(SignatureAlg a) noexcept {
  switch (a) {
    case SignatureAlg::kRsaPkcs1Sha256:
      return "rsa-pkcs1-sha256";
    case SignatureAlg::kRsaPkcs1Sha384:
      return "rsa-pkcs1-sha384";
    case SignatureAlg::kRsaPkcs1Sha512:
      return "rsa-pkcs1-sha512";
    case SignatureAlg::kRsaPssSha256:
      return "rsa-pss-sha256";
    case SignatureAlg::kEcdsaSha256:
      return "ecdsa-sha256";
    case SignatureAlg::kEcdsaSha384:
      return "ecdsa-sha384";
    case SignatureAlg::kSm2Sm3:
      return "sm2-sm3";
  }
  return "unknown";
}

Result<SignatureAlg> parse_signature_alg(std::string_view name) {
  for (auto a : {SignatureAlg::kRsaPkcs1Sha256, SignatureAlg::kRsaPkcs1Sha384,
                 SignatureAlg::kRsaPkcs1Sha512, SignatureAlg::kRsaPssSha256,
                 SignatureAlg::kEcdsaSha256, SignatureAlg::kEcdsaSha384, SignatureAlg::kSm2Sm3}) {
    if (name == signature_alg_name(a)) return a;
  }
  return fail(ErrorCode::kUnsupportedAlgorithm,
              "unknown signature algorithm '" + std::string(name) + "'");
}

HashAlg signature_hash(SignatureAlg a) noexcept {
  switch (a) {
    case SignatureAlg::kRsaPkcs1Sha384:
    case SignatureAlg::kEcdsaSha384:
      return HashAlg::kSha384;
    case SignatureAlg::kRsaPkcs1Sha512:
      return HashAlg::kSha512;
    case SignatureAlg::kSm2Sm3:
      return HashAlg::kSm3;
    default:
      return HashAlg::kSha256;
  }
}

bool signature_alg_fits(SignatureAlg a, KeyType k) noexcept {
  switch (a) {
    case SignatureAlg::kRsaPkcs1Sha256:
    case SignatureAlg::kRsaPkcs1Sha384:
    case SignatureAlg::kRsaPkcs1Sha512:
    case SignatureAlg::kRsaPssSha256:
      return k == KeyType::kRsa;
    case SignatureAlg::kEcdsaSha256:
    case SignatureAlg::kEcdsaSha384:
      return k == KeyType::kEcP256 || k == KeyType::kEcP384;
    case SignatureAlg::kSm2Sm3:
      return k == KeyType::kSm2;
  }
  return false;
}

SignatureAlg default_signature_alg(KeyType k) noexcept {
  switch (k) {
    case KeyType::kRsa:
      return SignatureAlg::kRsaPkcs1Sha256;
    case KeyType::kEcP256:
      return SignatureAlg::kEcdsaSha256;
    case KeyType::kEcP384:
      return SignatureAlg::kEcdsaSha384;
    case KeyType::kSm2:
      return SignatureAlg::kSm2Sm3;
  }
  return SignatureAlg::kEcdsaSha256;
}

}  // namespace hpki::crypto
