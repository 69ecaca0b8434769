// fuzz-links: core
// Strict base64 / base64url: decode never crashes; decode(x) succeeds only for canonical x.
#include <cstdlib>

#include "core/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = hpki::as_string({data, size});
  if (auto d = hpki::base64_decode(text); d && hpki::base64_encode(*d) != text) std::abort();
  if (auto d = hpki::base64url_decode(text); d && hpki::base64url_encode(*d) != text) std::abort();
  return 0;
}
