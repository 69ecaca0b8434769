#include "crypto/cipher.h"

#include <array>
#include <cstdint>
#include <string>

#include "crypto/hmac.h"
#include "ossl/cipher.h"
#include "ossl/random.h"

namespace hpki::crypto {
namespace {

// Largest block size of the ciphers used here; the ossl layer wants room for one more block.
constexpr std::size_t kMaxBlock = 16;

constexpr std::size_t kGcmNonceSize = 12;  // NIST SP 800-38D 8.2: 96-bit IVs
constexpr std::size_t kGcmTagSize = 16;    // full 128-bit tags only (SP 800-38D 5.2.1.2)

// docs/crypto.md "Authenticated SM4": K = MAC_KEY (16) || ENC_KEY (16), random 16-byte IV,
// full 32-byte HMAC-SM3 tag.
constexpr std::size_t kSm4AeadKeySize = 32;
constexpr std::size_t kSm4AeadMacKeySize = 16;
constexpr std::size_t kSm4AeadIvSize = 16;
constexpr std::size_t kSm4AeadTagSize = 32;

Result<Bytes> encrypt(std::string_view cipher, BytesView key, BytesView iv, BytesView in,
                      Padding padding) {
  Bytes out(in.size() + kMaxBlock);
  std::size_t n = HPKI_TRY(ossl::cipher_crypt(cipher, ossl::Direction::kEncrypt, key, iv, in,
                                              padding == Padding::kPkcs7, out));
  out.resize(n);
  return out;
}

Result<SecretBytes> decrypt(std::string_view cipher, BytesView key, BytesView iv, BytesView in,
                            Padding padding) {
  SecretBytes out(in.size() + kMaxBlock);
  std::size_t n = HPKI_TRY(ossl::cipher_crypt(cipher, ossl::Direction::kDecrypt, key, iv, in,
                                              padding == Padding::kPkcs7,
                                              std::span<std::uint8_t>(out.data(), out.size())));
  out.truncate(n);
  return out;
}

Result<Bytes> fresh_random(std::size_t n) {
  Bytes out(n);
  HPKI_TRY(ossl::random_bytes(out));
  return out;
}

Result<void> check_length(std::string_view what, AeadAlg alg, std::size_t got, std::size_t want,
                          ErrorCode code) {
  if (got == want) return {};
  return fail(code, std::string(aead_name(alg)) + ": " + std::string(what) + " must be " +
                        std::to_string(want) + " bytes, got " + std::to_string(got));
}

std::string_view gcm_cipher(AeadAlg alg) {
  return alg == AeadAlg::kAes128Gcm ? "AES-128-GCM" : "AES-256-GCM";
}

// docs/crypto.md "Authenticated SM4": tag = HMAC-SM3(MAC_KEY, AL || AAD || IV || C), where AL
// is the AAD length in bytes as a 64-bit big-endian integer. IV has a fixed length and AL
// fixes where AAD ends, so the MAC input is an injective encoding of (AAD, IV, C).
Result<Bytes> sm4_aead_tag(BytesView mac_key, BytesView aad, BytesView iv, BytesView ciphertext) {
  auto mac = HPKI_TRY(Hmac::create(HashAlg::kSm3, mac_key));
  std::array<std::uint8_t, 8> al{};
  auto len = static_cast<std::uint64_t>(aad.size());
  for (std::size_t i = 0; i < al.size(); ++i) {
    al[al.size() - 1 - i] = static_cast<std::uint8_t>(len >> (8 * i));
  }
  HPKI_TRY(mac.update(al));
  HPKI_TRY(mac.update(aad));
  HPKI_TRY(mac.update(iv));
  HPKI_TRY(mac.update(ciphertext));
  return mac.finish();
}

}  // namespace

std::string_view aead_name(AeadAlg alg) noexcept {
  switch (alg) {
    case AeadAlg::kAes128Gcm:
      return "aes-128-gcm";
    case AeadAlg::kAes256Gcm:
      return "aes-256-gcm";
    case AeadAlg::kSm4CtrHmacSm3:
      return "sm4-ctr-hmac-sm3";
  }
  return "unknown";
}

Result<AeadAlg> parse_aead(std::string_view name) {
  for (auto a : {AeadAlg::kAes128Gcm, AeadAlg::kAes256Gcm, AeadAlg::kSm4CtrHmacSm3}) {
    if (name == aead_name(a)) return a;
  }
  return fail(ErrorCode::kUnsupportedAlgorithm,
              "unknown AEAD '" + std::string(name) +
                  "' (expected aes-128-gcm, aes-256-gcm, sm4-ctr-hmac-sm3)");
}

std::size_t aead_key_size(AeadAlg alg) noexcept {
  switch (alg) {
    case AeadAlg::kAes128Gcm:
      return 16;
    case AeadAlg::kAes256Gcm:
      return 32;
    case AeadAlg::kSm4CtrHmacSm3:
      return kSm4AeadKeySize;
  }
  return 0;
}

std::size_t aead_nonce_size(AeadAlg alg) noexcept {
  return alg == AeadAlg::kSm4CtrHmacSm3 ? kSm4AeadIvSize : kGcmNonceSize;
}

std::size_t aead_tag_size(AeadAlg alg) noexcept {
  return alg == AeadAlg::kSm4CtrHmacSm3 ? kSm4AeadTagSize : kGcmTagSize;
}

Result<AeadSealed> aead_seal(AeadAlg alg, BytesView key, BytesView plaintext, BytesView aad) {
  // Check the key before drawing randomness, so the error is the same as with a nonce.
  HPKI_TRY(check_length("key", alg, key.size(), aead_key_size(alg), ErrorCode::kInvalidArgument));
  Bytes nonce = HPKI_TRY(fresh_random(aead_nonce_size(alg)));
  return aead_seal_with_nonce(alg, key, nonce, plaintext, aad);
}

Result<AeadSealed> aead_seal_with_nonce(AeadAlg alg, BytesView key, BytesView nonce,
                                        BytesView plaintext, BytesView aad) {
  HPKI_TRY(check_length("key", alg, key.size(), aead_key_size(alg), ErrorCode::kInvalidArgument));
  HPKI_TRY(
      check_length("nonce", alg, nonce.size(), aead_nonce_size(alg), ErrorCode::kInvalidArgument));
  AeadSealed sealed;
  sealed.nonce.assign(nonce.begin(), nonce.end());
  if (alg == AeadAlg::kSm4CtrHmacSm3) {
    BytesView mac_key = key.first(kSm4AeadMacKeySize);
    BytesView enc_key = key.subspan(kSm4AeadMacKeySize);
    sealed.ciphertext = HPKI_TRY(encrypt("SM4-CTR", enc_key, nonce, plaintext, Padding::kNone));
    sealed.tag = HPKI_TRY(sm4_aead_tag(mac_key, aad, nonce, sealed.ciphertext));
    return sealed;
  }
  sealed.ciphertext.resize(plaintext.size());
  sealed.tag.resize(kGcmTagSize);
  HPKI_TRY(
      ossl::aead_seal(gcm_cipher(alg), key, nonce, aad, plaintext, sealed.ciphertext, sealed.tag));
  return sealed;
}

Result<SecretBytes> aead_open(AeadAlg alg, BytesView key, BytesView nonce, BytesView ciphertext,
                              BytesView tag, BytesView aad) {
  HPKI_TRY(check_length("key", alg, key.size(), aead_key_size(alg), ErrorCode::kInvalidArgument));
  HPKI_TRY(
      check_length("nonce", alg, nonce.size(), aead_nonce_size(alg), ErrorCode::kInvalidArgument));
  // A shorter tag would make OpenSSL's GCM check only that many bytes: require the full tag.
  HPKI_TRY(check_length("tag", alg, tag.size(), aead_tag_size(alg), ErrorCode::kDecryptFailed));
  if (alg == AeadAlg::kSm4CtrHmacSm3) {
    BytesView mac_key = key.first(kSm4AeadMacKeySize);
    BytesView enc_key = key.subspan(kSm4AeadMacKeySize);
    // Encrypt-then-MAC: verify before decrypting anything.
    Bytes expected = HPKI_TRY(sm4_aead_tag(mac_key, aad, nonce, ciphertext));
    if (!constant_time_equal(expected, tag)) {
      return fail(ErrorCode::kDecryptFailed, "sm4-ctr-hmac-sm3: authentication tag mismatch");
    }
    return decrypt("SM4-CTR", enc_key, nonce, ciphertext, Padding::kNone);
  }
  SecretBytes out(ciphertext.size());
  HPKI_TRY(ossl::aead_open(gcm_cipher(alg), key, nonce, aad, ciphertext, tag,
                           std::span<std::uint8_t>(out.data(), out.size())));
  return out;
}

Result<SecretBytes> aead_open(AeadAlg alg, BytesView key, const AeadSealed& sealed, BytesView aad) {
  return aead_open(alg, key, sealed.nonce, sealed.ciphertext, sealed.tag, aad);
}

Bytes aead_pack(const AeadSealed& sealed) {
  Bytes out;
  out.reserve(sealed.nonce.size() + sealed.ciphertext.size() + sealed.tag.size());
  out.insert(out.end(), sealed.nonce.begin(), sealed.nonce.end());
  out.insert(out.end(), sealed.ciphertext.begin(), sealed.ciphertext.end());
  out.insert(out.end(), sealed.tag.begin(), sealed.tag.end());
  return out;
}

Result<AeadSealed> aead_unpack(AeadAlg alg, BytesView packed) {
  const std::size_t n = aead_nonce_size(alg);
  const std::size_t t = aead_tag_size(alg);
  if (packed.size() < n + t) {
    return fail(ErrorCode::kDecryptFailed,
                std::string(aead_name(alg)) + ": sealed value of " + std::to_string(packed.size()) +
                    " bytes is shorter than nonce + tag (" + std::to_string(n + t) + ")");
  }
  auto nonce = packed.first(n);
  auto ciphertext = packed.subspan(n, packed.size() - n - t);
  auto tag = packed.last(t);
  return AeadSealed{.nonce = Bytes(nonce.begin(), nonce.end()),
                    .ciphertext = Bytes(ciphertext.begin(), ciphertext.end()),
                    .tag = Bytes(tag.begin(), tag.end())};
}

Result<Bytes> sm4_ecb_encrypt(BytesView key, BytesView plaintext, Padding padding) {
  return encrypt("SM4-ECB", key, {}, plaintext, padding);
}

Result<SecretBytes> sm4_ecb_decrypt(BytesView key, BytesView ciphertext, Padding padding) {
  return decrypt("SM4-ECB", key, {}, ciphertext, padding);
}

Result<IvAndCiphertext> sm4_cbc_encrypt(BytesView key, BytesView plaintext, Padding padding) {
  if (key.size() != kSm4KeySize) {
    return fail(ErrorCode::kInvalidArgument,
                "SM4-CBC: key must be 16 bytes, got " + std::to_string(key.size()));
  }
  IvAndCiphertext r;
  r.iv = HPKI_TRY(fresh_random(kSm4BlockSize));
  r.ciphertext = HPKI_TRY(encrypt("SM4-CBC", key, r.iv, plaintext, padding));
  return r;
}

Result<Bytes> sm4_cbc_encrypt_with_iv(BytesView key, BytesView iv, BytesView plaintext,
                                      Padding padding) {
  return encrypt("SM4-CBC", key, iv, plaintext, padding);
}

Result<SecretBytes> sm4_cbc_decrypt(BytesView key, BytesView iv, BytesView ciphertext,
                                    Padding padding) {
  return decrypt("SM4-CBC", key, iv, ciphertext, padding);
}

Result<IvAndCiphertext> sm4_ctr_encrypt(BytesView key, BytesView plaintext) {
  if (key.size() != kSm4KeySize) {
    return fail(ErrorCode::kInvalidArgument,
                "SM4-CTR: key must be 16 bytes, got " + std::to_string(key.size()));
  }
  IvAndCiphertext r;
  r.iv = HPKI_TRY(fresh_random(kSm4BlockSize));
  r.ciphertext = HPKI_TRY(encrypt("SM4-CTR", key, r.iv, plaintext, Padding::kNone));
  return r;
}

Result<Bytes> sm4_ctr_encrypt_with_iv(BytesView key, BytesView iv, BytesView plaintext) {
  return encrypt("SM4-CTR", key, iv, plaintext, Padding::kNone);
}

Result<SecretBytes> sm4_ctr_decrypt(BytesView key, BytesView iv, BytesView ciphertext) {
  return decrypt("SM4-CTR", key, iv, ciphertext, Padding::kNone);
}

}  // namespace hpki::crypto
