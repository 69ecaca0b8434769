// Certificates that tests build directly with the x509 builder name whatever the test needs:
// the organization name policy (issue 16, x509/name_policy.h) has tests of its own
// (name_policy_test.cpp, the CA tests) and does not apply to these.
#pragma once

#include "x509/name_policy.h"

namespace hpki::x509 {

inline const PermittedNames kAnyNameForTests{.dns = {}, .ip = {}, .any = true};

}  // namespace hpki::x509
