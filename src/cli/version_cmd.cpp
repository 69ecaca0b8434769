#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "core/version.h"
#include "ossl/error.h"

namespace hpki::cli {

void add_version_commands(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("version", "print the hpki version and the OpenSSL it runs on");
  cmd->callback([&ctx] {
    run_command(ctx, [&]() -> Result<int> {
      if (ctx.json) {
        nlohmann::json j{{"hpki", hpki::version()}, {"openssl", ossl::library_version()}};
        ctx.out << j.dump() << "\n";
      } else {
        ctx.out << "hpki " << hpki::version() << "\nOpenSSL: " << ossl::library_version() << "\n";
      }
      return kExitOk;
    });
  });
}

}  // namespace hpki::cli
