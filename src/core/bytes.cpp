#include "core/bytes.h"

#include <string.h>  // explicit_bzero (glibc)

namespace hpki {

void secure_wipe(void* p, std::size_t n) noexcept {
  if (p != nullptr && n != 0) explicit_bzero(p, n);
}

bool constant_time_equal(BytesView a, BytesView b) noexcept {
  if (a.size() != b.size()) return false;
  volatile std::uint8_t acc = 0;
  for (std::size_t i = 0; i < a.size(); ++i) acc = acc | static_cast<std::uint8_t>(a[i] ^ b[i]);
  return acc == 0;
}

void SecretBytes::truncate(std::size_t n) noexcept {
  if (n >= data_.size()) return;
  secure_wipe(data_.data() + n, data_.size() - n);
  data_.resize(n);
}

}  // namespace hpki
