// fuzz-links: core
// PEM decoder: must never crash; whatever decodes must re-encode and decode to the same bytes.
#include <cstdlib>

#include "core/pem.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto blocks = hpki::pem_decode_all(hpki::as_string({data, size}));
  if (!blocks) return 0;
  for (const auto& b : *blocks) {
    auto again = hpki::pem_decode(hpki::pem_encode(b.label, b.data), b.label);
    if (!again || *again != b.data) std::abort();
  }
  return 0;
}
