// The single hpki binary. Wires configuration into services and dispatches commands.
#include <CLI/CLI.hpp>

#include <iostream>

#include "core/version.h"
#include "ossl/error.h"

int main(int argc, char** argv) {
  CLI::App app{"hpki: certificate authority and trust services for hospitals"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(hpki::version()));

  auto* version =
      app.add_subcommand("version", "print the hpki version and the OpenSSL it runs on");
  version->callback([] {
    std::cout << "hpki " << hpki::version() << "\n"
              << "OpenSSL: " << hpki::ossl::library_version() << "\n";
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
