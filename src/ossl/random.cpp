#include "ossl/random.h"

#include <openssl/rand.h>

#include <climits>

#include "ossl/error.h"

namespace hpki::ossl {

Result<void> random_bytes(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    auto n = static_cast<int>(std::min<std::size_t>(out.size() - done, INT_MAX));
    if (RAND_bytes(out.data() + done, n) != 1) {
      return fail(take_error(ErrorCode::kCrypto, "RAND_bytes"));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace hpki::ossl
