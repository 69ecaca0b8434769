// fuzz-links: crypto
// Decryption of attacker-supplied sealed values: the first byte picks the algorithm (the three
// AEADs in packed form, or SM4-CBC with the IV in front), the rest is the input. Any input
// must give a value or an Error, never a crash; whatever opens must re-seal to the same bytes.
#include <cstdlib>

#include "crypto/cipher.h"

namespace {

constexpr std::uint8_t kKey[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                   16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki;
  using namespace hpki::crypto;
  if (size == 0) return 0;
  BytesView in(data + 1, size - 1);
  const BytesView aad = as_bytes("fuzz");
  switch (data[0] % 4) {
    case 3: {
      if (in.size() < kSm4BlockSize) return 0;
      BytesView key = BytesView(kKey).first(kSm4KeySize);
      BytesView iv = in.first(kSm4BlockSize);
      BytesView ct = in.subspan(kSm4BlockSize);
      auto pt = sm4_cbc_decrypt(key, iv, ct);
      if (pt.has_value()) {
        auto again = sm4_cbc_encrypt_with_iv(key, iv, pt->view());
        if (!again || Bytes(ct.begin(), ct.end()) != *again) std::abort();
      } else if (pt.error().code() != ErrorCode::kDecryptFailed) {
        std::abort();
      }
      return 0;
    }
    default: {
      auto alg = static_cast<AeadAlg>(data[0] % 4);
      BytesView key = BytesView(kKey).first(aead_key_size(alg));
      auto sealed = aead_unpack(alg, in);
      if (!sealed) {
        if (sealed.error().code() != ErrorCode::kDecryptFailed) std::abort();
        return 0;
      }
      auto pt = aead_open(alg, key, *sealed, aad);
      if (pt.has_value()) {
        auto again = aead_seal_with_nonce(alg, key, sealed->nonce, pt->view(), aad);
        if (!again || aead_pack(*again) != Bytes(in.begin(), in.end())) std::abort();
      } else if (pt.error().code() != ErrorCode::kDecryptFailed) {
        std::abort();
      }
      return 0;
    }
  }
}
