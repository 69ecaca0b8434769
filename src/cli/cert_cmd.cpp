#include "cli/cli.h"

namespace hpki::cli {

// `hpki cert ...`: lint now; the lifecycle commands arrive with the CA engine.
void add_cert_commands(CLI::App& app, Context& ctx) {
  auto* cert = app.add_subcommand("cert", "certificates");
  cert->require_subcommand(1);
  add_cert_lint_command(*cert, ctx);
}

}  // namespace hpki::cli
