// Conformance summaries: each conformance test writes its rate and disagreements to
// build/conformance/<name>.txt, which `make test` prints after ctest (CTest hides the output
// of passing tests).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace hpki::test {

inline void write_conformance_summary(const std::string& name, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(HPKI_CONFORMANCE_OUT, ec);
  std::ofstream out(std::string(HPKI_CONFORMANCE_OUT) + "/" + name + ".txt");
  out << text;
}

}  // namespace hpki::test
