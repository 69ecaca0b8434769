// The single hpki binary: all commands live in cli/; app/ only wires them to the process.
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) { return hpki::cli::run(argc, argv, std::cout, std::cerr); }
