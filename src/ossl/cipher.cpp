#include "ossl/cipher.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <climits>
#include <string>

#include "ossl/error.h"
#include "ossl/ptr.h"

namespace hpki::ossl {
namespace {

// EVP_*Update take an int length: feed large inputs in pieces well below INT_MAX (a
// multiple of every block size, so block modes see whole blocks until the last piece).
constexpr std::size_t kMaxChunk = std::size_t{1} << 30;

Result<Ptr<EVP_CIPHER>> fetch_cipher(std::string_view name) {
  auto cipher = own(EVP_CIPHER_fetch(nullptr, std::string(name).c_str(), nullptr));
  if (!cipher) {
    return fail(take_error(ErrorCode::kUnsupportedAlgorithm,
                           "EVP_CIPHER_fetch(" + std::string(name) + ")"));
  }
  return cipher;
}

CipherInfo info_of(const EVP_CIPHER* c) {
  return CipherInfo{
      .key_size = static_cast<std::size_t>(EVP_CIPHER_get_key_length(c)),
      .iv_size = static_cast<std::size_t>(EVP_CIPHER_get_iv_length(c)),
      .block_size = static_cast<std::size_t>(EVP_CIPHER_get_block_size(c)),
  };
}

bool is_aead(const EVP_CIPHER* c) {
  return (EVP_CIPHER_get_flags(c) & EVP_CIPH_FLAG_AEAD_CIPHER) != 0;
}

std::string describe_length(std::string_view what, std::string_view cipher, std::size_t got,
                            std::size_t want) {
  return std::string(cipher) + ": " + std::string(what) + " must be " + std::to_string(want) +
         " bytes, got " + std::to_string(got);
}

// Runs EVP_CipherUpdate over `in` in chunks; returns the bytes written to `out`. With a null
// `out`, feeds AAD to an AEAD cipher.
Result<std::size_t> update_all(EVP_CIPHER_CTX* ctx, BytesView in, std::uint8_t* out) {
  std::size_t written = 0;
  for (std::size_t pos = 0; pos < in.size();) {
    std::size_t n = std::min(in.size() - pos, kMaxChunk);
    int outl = 0;
    if (EVP_CipherUpdate(ctx, out == nullptr ? nullptr : out + written, &outl, in.data() + pos,
                         static_cast<int>(n)) != 1) {
      return fail(take_error(ErrorCode::kCrypto, "EVP_CipherUpdate"));
    }
    written += static_cast<std::size_t>(outl);
    pos += n;
  }
  return written;
}

// Common set-up of an AEAD context: cipher, nonce length, key, nonce, AAD.
Result<Ptr<EVP_CIPHER_CTX>> aead_init(std::string_view cipher_name, int enc, BytesView key,
                                      BytesView nonce, BytesView aad, std::size_t tag_size) {
  auto cipher = HPKI_TRY(fetch_cipher(cipher_name));
  if (!is_aead(cipher.get())) {
    return fail(ErrorCode::kInvalidArgument, std::string(cipher_name) + " is not an AEAD cipher");
  }
  auto info = info_of(cipher.get());
  if (key.size() != info.key_size) {
    return fail(ErrorCode::kInvalidArgument,
                describe_length("key", cipher_name, key.size(), info.key_size));
  }
  if (nonce.empty() || nonce.size() > 64) {
    return fail(ErrorCode::kInvalidArgument, std::string(cipher_name) + ": nonce must be 1..64 " +
                                                 "bytes, got " + std::to_string(nonce.size()));
  }
  if (tag_size < 12 || tag_size > 16) {
    return fail(
        ErrorCode::kInvalidArgument,
        std::string(cipher_name) + ": tag must be 12..16 bytes, got " + std::to_string(tag_size));
  }
  auto ctx = own(EVP_CIPHER_CTX_new());
  if (!ctx) return fail(take_error(ErrorCode::kCrypto, "EVP_CIPHER_CTX_new"));
  if (EVP_CipherInit_ex2(ctx.get(), cipher.get(), nullptr, nullptr, enc, nullptr) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_CipherInit_ex2"));
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1) {
    return fail(take_error(ErrorCode::kInvalidArgument, "EVP_CTRL_AEAD_SET_IVLEN"));
  }
  if (EVP_CipherInit_ex2(ctx.get(), nullptr, key.data(), nonce.data(), enc, nullptr) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_CipherInit_ex2(key, nonce)"));
  }
  if (!aad.empty()) HPKI_TRY(update_all(ctx.get(), aad, nullptr));
  return ctx;
}

}  // namespace

Result<CipherInfo> cipher_info(std::string_view cipher_name) {
  auto cipher = HPKI_TRY(fetch_cipher(cipher_name));
  return info_of(cipher.get());
}

Result<std::size_t> cipher_crypt(std::string_view cipher_name, Direction dir, BytesView key,
                                 BytesView iv, BytesView in, bool pkcs7_padding,
                                 std::span<std::uint8_t> out) {
  auto cipher = HPKI_TRY(fetch_cipher(cipher_name));
  if (is_aead(cipher.get())) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(cipher_name) + " is an AEAD cipher: use aead_seal/aead_open");
  }
  auto info = info_of(cipher.get());
  if (key.size() != info.key_size) {
    return fail(ErrorCode::kInvalidArgument,
                describe_length("key", cipher_name, key.size(), info.key_size));
  }
  if (iv.size() != info.iv_size) {
    return fail(ErrorCode::kInvalidArgument,
                describe_length("IV", cipher_name, iv.size(), info.iv_size));
  }
  if (out.size() < in.size() + info.block_size) {
    return fail(ErrorCode::kInvalidArgument, std::string(cipher_name) + ": output buffer of " +
                                                 std::to_string(out.size()) +
                                                 " bytes is too small");
  }
  const bool block_mode = info.block_size > 1;
  const bool encrypt = dir == Direction::kEncrypt;
  if (block_mode && !pkcs7_padding && in.size() % info.block_size != 0) {
    std::string detail = std::string(cipher_name) + " without padding: input length " +
                         std::to_string(in.size()) + " is not a multiple of " +
                         std::to_string(info.block_size);
    return fail(encrypt ? ErrorCode::kInvalidArgument : ErrorCode::kDecryptFailed, detail);
  }
  if (block_mode && pkcs7_padding && !encrypt && (in.empty() || in.size() % info.block_size != 0)) {
    return fail(ErrorCode::kDecryptFailed,
                std::string(cipher_name) + ": ciphertext length " + std::to_string(in.size()) +
                    " is not a positive multiple of " + std::to_string(info.block_size));
  }

  auto ctx = own(EVP_CIPHER_CTX_new());
  if (!ctx) return fail(take_error(ErrorCode::kCrypto, "EVP_CIPHER_CTX_new"));
  if (EVP_CipherInit_ex2(ctx.get(), cipher.get(), key.data(), iv.empty() ? nullptr : iv.data(),
                         encrypt ? 1 : 0, nullptr) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_CipherInit_ex2"));
  }
  if (EVP_CIPHER_CTX_set_padding(ctx.get(), pkcs7_padding ? 1 : 0) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_CIPHER_CTX_set_padding"));
  }
  std::size_t written = HPKI_TRY(update_all(ctx.get(), in, out.data()));
  int outl = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + written, &outl) != 1) {
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    if (!encrypt) {
      // The only way a length-checked decryption fails here is bad PKCS#7 padding (a wrong
      // key or a modified ciphertext).
      return fail(
          take_error(ErrorCode::kDecryptFailed, std::string(cipher_name) + ": bad padding"));
    }
    return fail(take_error(ErrorCode::kCrypto, "EVP_CipherFinal_ex"));
  }
  return written + static_cast<std::size_t>(outl);
}

Result<void> aead_seal(std::string_view cipher_name, BytesView key, BytesView nonce, BytesView aad,
                       BytesView in, std::span<std::uint8_t> out, std::span<std::uint8_t> tag) {
  if (out.size() < in.size()) {
    return fail(ErrorCode::kInvalidArgument, "aead_seal: output buffer too small");
  }
  auto ctx = HPKI_TRY(aead_init(cipher_name, 1, key, nonce, aad, tag.size()));
  std::size_t written = 0;
  if (!in.empty()) written = HPKI_TRY(update_all(ctx.get(), in, out.data()));
  std::uint8_t scratch[16];  // GCM's final step writes nothing, but must get a valid pointer
  int outl = 0;
  if (EVP_CipherFinal_ex(ctx.get(), scratch, &outl) != 1 || outl != 0 || written != in.size()) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_CipherFinal_ex"));
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(tag.size()),
                          tag.data()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_CTRL_AEAD_GET_TAG"));
  }
  return {};
}

Result<void> aead_open(std::string_view cipher_name, BytesView key, BytesView nonce, BytesView aad,
                       BytesView in, BytesView tag, std::span<std::uint8_t> out) {
  if (out.size() < in.size()) {
    return fail(ErrorCode::kInvalidArgument, "aead_open: output buffer too small");
  }
  auto ctx = HPKI_TRY(aead_init(cipher_name, 0, key, nonce, aad, tag.size()));
  std::size_t written = 0;
  if (!in.empty()) written = HPKI_TRY(update_all(ctx.get(), in, out.data()));
  // EVP_CIPHER_CTX_ctrl takes a non-const pointer: hand it a copy of the tag.
  std::array<std::uint8_t, 16> expected{};
  std::copy(tag.begin(), tag.end(), expected.begin());
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag.size()),
                          expected.data()) != 1) {
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    return fail(take_error(ErrorCode::kCrypto, "EVP_CTRL_AEAD_SET_TAG"));
  }
  std::uint8_t scratch[16];
  int outl = 0;
  if (EVP_CipherFinal_ex(ctx.get(), scratch, &outl) != 1 || outl != 0 || written != in.size()) {
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    return fail(take_error(ErrorCode::kDecryptFailed,
                           std::string(cipher_name) + ": authentication tag mismatch"));
  }
  return {};
}

}  // namespace hpki::ossl
