// fuzz-links: core
#include <cstdlib>

#include "core/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = hpki::as_string({data, size});
  auto d = hpki::hex_decode(text);
  if (d && hpki::hex_decode(hpki::hex_encode(*d)) != d) std::abort();
  return 0;
}
