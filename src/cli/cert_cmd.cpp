#include "cli/cli.h"

namespace hpki::cli {

// `hpki cert ...` commands arrive with the X.509 engine (lint) and the CA engine (lifecycle).
void add_cert_commands(CLI::App& app, Context& ctx) {
  (void)app;
  (void)ctx;
}

}  // namespace hpki::cli
