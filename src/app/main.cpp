// The single hpki binary: commands live in cli/; app/ adds `serve`, which wires every module.
#include <iostream>

#include "app/serve.h"
#include "cli/cli.h"

int main(int argc, char** argv) {
  return hpki::cli::run(argc, argv, std::cout, std::cerr, {hpki::app::add_serve_command});
}
