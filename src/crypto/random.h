// The production source of randomness: OpenSSL's CSPRNG (the default provider's DRBG,
// seeded from the operating system). Everything that needs random bytes takes a
// hpki::Random& (core/random.h) so tests can substitute a deterministic one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/bytes.h"
#include "core/error.h"
#include "core/random.h"

namespace hpki::crypto {

// Thread-safe: OpenSSL keeps one DRBG per thread. Fails (kCrypto) only if the DRBG cannot
// be seeded or reseeded.
class SystemRandom final : public Random {
 public:
  [[nodiscard]] Result<void> fill(std::span<std::uint8_t> out) override;
};

// n bytes from the CSPRNG.
[[nodiscard]] Result<Bytes> random_bytes(std::size_t n);

}  // namespace hpki::crypto
