// Limits of the pdf module, checked before any parsing (hostile input).
#pragma once

#include <cstddef>

namespace hpki::pdf {

// The largest PDF hpki reads, signs or verifies (a 100-page scanned record is ~5 MiB).
inline constexpr std::size_t kMaxPdfSize = 64 * 1024 * 1024;

}  // namespace hpki::pdf
