// Randomness is injected (STYLE.md "Data and types"). The production implementation draws
// from the OpenSSL CSPRNG (crypto/random.h); tests may substitute a deterministic source
// where an output must be reproducible.
#pragma once

#include <cstdint>
#include <span>

#include "core/error.h"

namespace hpki {

class Random {
 public:
  virtual ~Random() = default;
  // Fills `out` with random bytes, or fails (e.g. the generator could not be seeded).
  [[nodiscard]] virtual Result<void> fill(std::span<std::uint8_t> out) = 0;
};

}  // namespace hpki
