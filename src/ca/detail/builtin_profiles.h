// Profiles compiled into hpki (issue 21): a home made before a standard profile was added has no
// file for it in <home>/profiles; the runtime then uses the shipped one (profiles/*.toml, read at
// build time), so that the home keeps opening and gets the new feature.
#pragma once

#include <string_view>

namespace hpki::ca::detail {

// profiles/audit-signer.toml as shipped.
[[nodiscard]] std::string_view audit_signer_profile_toml();

}  // namespace hpki::ca::detail
