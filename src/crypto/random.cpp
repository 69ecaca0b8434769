#include "crypto/random.h"

#include "ossl/random.h"

namespace hpki::crypto {

Result<void> SystemRandom::fill(std::span<std::uint8_t> out) { return ossl::random_bytes(out); }

Result<Bytes> random_bytes(std::size_t n) {
  Bytes out(n);
  HPKI_TRY(ossl::random_bytes(out));
  return out;
}

}  // namespace hpki::crypto
