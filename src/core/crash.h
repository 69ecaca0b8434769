// Crash injection for the crash-safety tests (issue 4: "a test harness kills the process
// (SIGKILL) at injected points during issuance, revocation and modification"). When the
// environment variable HPKI_CRASH_AT names a point, the process kills itself with SIGKILL when
// it reaches that point. Without the variable this is one getenv per call and does nothing.
#pragma once

#include <string_view>

namespace hpki {
void crash_point(std::string_view name);
}  // namespace hpki
