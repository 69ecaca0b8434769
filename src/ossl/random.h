#pragma once

#include <cstdint>
#include <span>

#include "core/error.h"

namespace hpki::ossl {
// RAND_bytes from the default (CSPRNG) provider.
[[nodiscard]] Result<void> random_bytes(std::span<std::uint8_t> out);
}  // namespace hpki::ossl
