#pragma once

#include <string_view>

namespace hpki {
// The product version (from CMake's project version).
[[nodiscard]] std::string_view version() noexcept;
}  // namespace hpki
