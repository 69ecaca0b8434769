#pragma once

#include "cli/cli.h"

namespace hpki::app {
// `hpki serve`: the network service (REST API over HTTPS, plain HTTP for CA certificates).
void add_serve_command(CLI::App& app, cli::Context& ctx);
}  // namespace hpki::app
