// Thin typed wrappers over EVP_CIPHER. Ciphers are named by their OpenSSL fetch names
// ("SM4-CBC", "SM4-CTR", "SM4-ECB", "AES-128-GCM", "AES-256-GCM"). Output goes into a buffer
// the caller owns, so that callers can put plaintext into wiped memory (SecretBytes).
// No OpenSSL type appears in this header.
//
// Error codes: an unknown cipher is kUnsupportedAlgorithm; a key, IV, nonce or tag of the
// wrong length for the cipher, or an output buffer that is too small, is kInvalidArgument;
// a ciphertext that does not decrypt (bad padding, wrong length for a block mode, failed
// tag check) is kDecryptFailed; anything else OpenSSL reports is kCrypto.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::ossl {

struct CipherInfo {
  std::size_t key_size = 0;
  std::size_t iv_size = 0;     // 0 for ECB; the default nonce size for GCM
  std::size_t block_size = 0;  // 1 for stream modes (CTR, GCM)
};

// Key, IV and block sizes of a cipher.
[[nodiscard]] Result<CipherInfo> cipher_info(std::string_view cipher_name);

enum class Direction { kEncrypt, kDecrypt };

// Encrypts or decrypts `in` with a non-AEAD cipher (ECB, CBC, CTR ...). `iv` must be empty
// for ECB and exactly the cipher's IV length otherwise. With `pkcs7_padding` (block modes
// only) encryption pads per PKCS#7 (RFC 5652 6.3) and decryption checks and removes the
// padding. `out` must hold in.size() + block_size bytes; returns the number of bytes written.
// Without padding, an input that is not a multiple of the block size is kInvalidArgument
// when encrypting and kDecryptFailed when decrypting.
[[nodiscard]] Result<std::size_t> cipher_crypt(std::string_view cipher_name, Direction dir,
                                               BytesView key, BytesView iv, BytesView in,
                                               bool pkcs7_padding, std::span<std::uint8_t> out);

// AEAD (GCM) encryption: writes in.size() bytes of ciphertext to `out` and the tag (whose
// length is tag.size(), 12..16 bytes) to `tag`. `nonce` may be 1..64 bytes; callers that
// want the standard 12-byte nonce enforce it themselves.
[[nodiscard]] Result<void> aead_seal(std::string_view cipher_name, BytesView key, BytesView nonce,
                                     BytesView aad, BytesView in, std::span<std::uint8_t> out,
                                     std::span<std::uint8_t> tag);

// AEAD (GCM) decryption: checks `tag` (12..16 bytes) and writes in.size() bytes of plaintext
// to `out`. On a failed check returns kDecryptFailed and zeroes `out`.
[[nodiscard]] Result<void> aead_open(std::string_view cipher_name, BytesView key, BytesView nonce,
                                     BytesView aad, BytesView in, BytesView tag,
                                     std::span<std::uint8_t> out);

}  // namespace hpki::ossl
