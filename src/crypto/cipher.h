// Symmetric encryption: AES-GCM (NIST SP 800-38D), SM4 (GB/T 32907-2016, GM/T 0002-2012) in
// ECB, CBC and CTR mode (GB/T 17964-2021), and "sm4-ctr-hmac-sm3", an authenticated SM4 mode
// built from SM4-CTR and HMAC-SM3 because OpenSSL 3.0 has no SM4-GCM (docs/crypto.md,
// "Authenticated SM4").
//
// Prefer the AEAD functions: the unauthenticated SM4 modes exist for interoperability with
// peers and standards that prescribe them (e.g. GM/T 0010 envelopes, device protocols). A
// CBC ciphertext that is not authenticated by other means is malleable and, if the caller
// reveals padding errors to an attacker, a padding oracle.
//
// Keys are borrowed (pass SecretBytes::view()); plaintext results are SecretBytes. IVs and
// nonces come from the OpenSSL CSPRNG unless the caller passes one to a *_with_iv /
// *_with_nonce function (which then must never repeat a nonce under one key).
//
// Error codes:
//   kInvalidArgument  key, IV or nonce of the wrong length; unpadded plaintext that is not a
//                     whole number of blocks.
//   kDecryptFailed    the ciphertext does not decrypt: authentication tag mismatch or wrong
//                     tag length (AEAD), bad PKCS#7 padding, ciphertext length impossible for
//                     the mode, packed input too short. No plaintext is returned.
//   kUnsupportedAlgorithm / kCrypto  OpenSSL lacks the cipher / fails internally.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::crypto {

// GB/T 32907: SM4 has a 128-bit key and a 128-bit block.
inline constexpr std::size_t kSm4KeySize = 16;
inline constexpr std::size_t kSm4BlockSize = 16;

// ---- AEAD ------------------------------------------------------------------------------

enum class AeadAlg {
  kAes128Gcm,      // key 16, nonce 12, tag 16
  kAes256Gcm,      // key 32, nonce 12, tag 16
  kSm4CtrHmacSm3,  // key 32, IV 16, tag 32 (docs/crypto.md "Authenticated SM4")
};

// "aes-128-gcm", "aes-256-gcm", "sm4-ctr-hmac-sm3" (stable: stored with encrypted data).
[[nodiscard]] std::string_view aead_name(AeadAlg alg) noexcept;
[[nodiscard]] Result<AeadAlg> parse_aead(std::string_view name);
[[nodiscard]] std::size_t aead_key_size(AeadAlg alg) noexcept;
[[nodiscard]] std::size_t aead_nonce_size(AeadAlg alg) noexcept;
[[nodiscard]] std::size_t aead_tag_size(AeadAlg alg) noexcept;

struct AeadSealed {
  Bytes nonce;       // aead_nonce_size(alg) bytes (the IV for sm4-ctr-hmac-sm3)
  Bytes ciphertext;  // as long as the plaintext
  Bytes tag;         // aead_tag_size(alg) bytes
  friend bool operator==(const AeadSealed&, const AeadSealed&) = default;
};

// Encrypts and authenticates `plaintext` and authenticates `aad`, with a fresh random nonce.
[[nodiscard]] Result<AeadSealed> aead_seal(AeadAlg alg, BytesView key, BytesView plaintext,
                                           BytesView aad = {});
// Same with a caller-chosen nonce (known-answer tests, protocols that fix the nonce). The
// caller guarantees the nonce is never reused with the same key: for GCM a repeat reveals
// the XOR of the plaintexts and lets an attacker forge tags.
[[nodiscard]] Result<AeadSealed> aead_seal_with_nonce(AeadAlg alg, BytesView key, BytesView nonce,
                                                      BytesView plaintext, BytesView aad = {});

// Checks the tag over `aad`, nonce and ciphertext and only then returns the plaintext.
// kDecryptFailed when anything was modified (or the key or AAD is wrong).
[[nodiscard]] Result<SecretBytes> aead_open(AeadAlg alg, BytesView key, BytesView nonce,
                                            BytesView ciphertext, BytesView tag,
                                            BytesView aad = {});
[[nodiscard]] Result<SecretBytes> aead_open(AeadAlg alg, BytesView key, const AeadSealed& sealed,
                                            BytesView aad = {});

// Storage form nonce || ciphertext || tag (the algorithm is recorded elsewhere).
[[nodiscard]] Bytes aead_pack(const AeadSealed& sealed);
// Splits a packed value; kDecryptFailed when it is shorter than nonce + tag.
[[nodiscard]] Result<AeadSealed> aead_unpack(AeadAlg alg, BytesView packed);

// ---- SM4 block modes (unauthenticated) ---------------------------------------------------

enum class Padding {
  kNone,   // input must be a whole number of 16-byte blocks
  kPkcs7,  // RFC 5652 6.3 / PKCS#7: 1..16 bytes of value n appended
};

struct IvAndCiphertext {
  Bytes iv;
  Bytes ciphertext;
};

// SM4-ECB: each block on its own. Only for single blocks / key wrapping formats that
// prescribe it: equal plaintext blocks give equal ciphertext blocks.
[[nodiscard]] Result<Bytes> sm4_ecb_encrypt(BytesView key, BytesView plaintext, Padding padding);
[[nodiscard]] Result<SecretBytes> sm4_ecb_decrypt(BytesView key, BytesView ciphertext,
                                                  Padding padding);

// SM4-CBC with a 16-byte IV. The default is PKCS#7 padding.
[[nodiscard]] Result<IvAndCiphertext> sm4_cbc_encrypt(BytesView key, BytesView plaintext,
                                                      Padding padding = Padding::kPkcs7);
[[nodiscard]] Result<Bytes> sm4_cbc_encrypt_with_iv(BytesView key, BytesView iv,
                                                    BytesView plaintext,
                                                    Padding padding = Padding::kPkcs7);
[[nodiscard]] Result<SecretBytes> sm4_cbc_decrypt(BytesView key, BytesView iv, BytesView ciphertext,
                                                  Padding padding = Padding::kPkcs7);

// SM4-CTR: the 16-byte IV is the initial counter block, incremented as one 128-bit
// big-endian integer per block (as OpenSSL and GB/T 17964 do). Ciphertext length equals
// plaintext length.
[[nodiscard]] Result<IvAndCiphertext> sm4_ctr_encrypt(BytesView key, BytesView plaintext);
[[nodiscard]] Result<Bytes> sm4_ctr_encrypt_with_iv(BytesView key, BytesView iv,
                                                    BytesView plaintext);
[[nodiscard]] Result<SecretBytes> sm4_ctr_decrypt(BytesView key, BytesView iv,
                                                  BytesView ciphertext);

}  // namespace hpki::crypto
