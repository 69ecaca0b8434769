#include "core/version.h"

#ifndef HPKI_VERSION
#error "HPKI_VERSION must be defined by the build"
#endif

namespace hpki {
std::string_view version() noexcept { return HPKI_VERSION; }
}  // namespace hpki
