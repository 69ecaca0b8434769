// fuzz-links: crypto
// SM2 ciphertext layouts (GM/T 0009 7.2) and SM2 / RSA decryption of untrusted bytes: never a
// crash; a DER that parses must re-encode identically; every failure is kDecryptFailed or
// kTooLarge.
#include <cstdlib>

#include "crypto/key.h"
#include "crypto/sm2_ciphertext.h"

using hpki::crypto::Sm2CiphertextFormat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto decrypter = [] {
    auto key = hpki::crypto::PrivateKey::generate({hpki::crypto::KeyType::kSm2, 0});
    if (!key) std::abort();
    auto d = key->decrypter();
    if (!d) std::abort();
    return std::move(*d);
  }();
  const hpki::BytesView in(data, size);
  for (auto fmt : {Sm2CiphertextFormat::kRawC1C3C2, Sm2CiphertextFormat::kRawC1C2C3}) {
    auto raw = hpki::crypto::sm2_ciphertext_der_to_raw(in, fmt);
    if (raw) {
      auto der = hpki::crypto::sm2_ciphertext_raw_to_der(*raw, fmt);
      if (!der || *der != hpki::Bytes(in.begin(), in.end())) std::abort();
    }
    (void)hpki::crypto::sm2_ciphertext_raw_to_der(in, fmt);
  }
  auto pt = decrypter->decrypt(in);
  if (!pt && pt.error().code() != hpki::ErrorCode::kDecryptFailed &&
      pt.error().code() != hpki::ErrorCode::kTooLarge) {
    std::abort();
  }
  return 0;
}
