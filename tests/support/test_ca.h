// A CA home for tests: what `hpki ca init` makes, with the demo organization 示例医院, the
// test passphrase and the repository's profiles, on a given database URL ("" = SQLite in the
// home). Needs HPKI_SOURCE_DIR (set for every test by hpki_add_test) and hpki_ca.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ca/runtime.h"

namespace hpki::test {

inline constexpr std::string_view kTestPassphrase = "correct horse battery";

// A requester with the admin role (what the CLI is), named `actor` in the audit log.
inline ca::Requester admin(std::string actor = "test") {
  return {std::move(actor), std::string(ca::kAdminRole)};
}

inline Result<std::unique_ptr<ca::Runtime>> init_test_ca(
    const std::filesystem::path& home, const std::string& database_url = {},
    std::vector<store::CaFamily> families = {store::CaFamily::kRsa, store::CaFamily::kSm2}) {
  ca::InitOptions io;
  io.organization = "示例医院";
  // The demo organization's device names live under example.cn and 10.0.0.0/8.
  io.organization_dns = {"example.cn"};
  io.organization_ip = {"10.0.0.0/8"};
  io.database_url = database_url;
  ca::InitHierarchyOptions ho;
  ho.families = std::move(families);
  return ca::Runtime::init(home, io, ho, SecretBytes(kTestPassphrase),
                           std::filesystem::path(HPKI_SOURCE_DIR) / "profiles");
}

}  // namespace hpki::test
