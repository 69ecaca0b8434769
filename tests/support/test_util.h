// Small helpers shared by hpki tests: temporary directories, files, running external tools
// (the openssl CLI and friends) and capturing their output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <random>
#include <string>

#include "core/bytes.h"
#include "core/key_id.h"
#include "core/serial.h"

namespace hpki {
// gtest prints a Serial by its hex.
inline void PrintTo(const Serial& s, std::ostream* os) { *os << s.hex(); }
// And a KeyId by its text.
inline void PrintTo(const KeyId& k, std::ostream* os) { *os << k.str(); }
}  // namespace hpki

namespace hpki::test {

// A serial written in a test ("0a1b2c"); aborts on a typo (a test bug, not a case).
inline Serial sn(std::string_view text) {
  auto s = Serial::parse(text);
  if (!s) std::abort();
  return *s;
}

// A key id written in a test ("file:rsa-root"); aborts on a typo.
inline KeyId key_id(std::string_view text) {
  auto k = KeyId::parse(text);
  if (!k) std::abort();
  return *k;
}

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    for (int i = 0; i < 100; ++i) {
      auto p = std::filesystem::temp_directory_path() / ("hpki-test-" + std::to_string(rd()));
      if (std::filesystem::create_directory(p)) {
        path_ = p;
        return;
      }
    }
    std::abort();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, BytesView data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}
inline void write_file(const std::string& path, std::string_view text) {
  write_file(path, as_bytes(text));
}

inline Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command, capturing stdout+stderr.
inline RunResult run(const std::string& command) {
  RunResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace hpki::test
