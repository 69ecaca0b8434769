// Helpers for the asymmetric-crypto tests: temp dirs, files, and running the real openssl CLI.
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "core/bytes.h"
#include "crypto/key.h"
#include "tests/support/test_util.h"

namespace hpki::crypto::testing {

// Temporary directories and file reading: the shared test helpers.
using hpki::test::read_file;
using hpki::test::TempDir;

inline void write_file(const std::string& path, BytesView data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(f.good()) << path;
}
inline void write_file(const std::string& path, std::string_view text) {
  write_file(path, as_bytes(text));
}

inline std::string read_text(const std::string& path) {
  Bytes b = read_file(path);
  return std::string(as_string(b));
}

// Runs a shell command (stderr and stdout into `log`), returns the exit status.
inline int run(const std::string& cmd, std::string* output = nullptr) {
  std::string full = cmd + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) return -1;
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  if (output != nullptr) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Keys shared by the whole test binary (RSA keygen is slow; RSA-4096 once at most).
inline const PrivateKey& shared_key(const KeySpec& spec) {
  static std::map<std::string, PrivateKey> keys;
  static std::mutex mu;
  std::lock_guard lock(mu);
  const std::string name = key_spec_name(spec);
  auto it = keys.find(name);
  if (it == keys.end()) {
    auto k = PrivateKey::generate(spec);
    if (!k) throw std::runtime_error(k.error().to_string());
    it = keys.emplace(name, std::move(*k)).first;
  }
  return it->second;
}

inline const PrivateKey& rsa2048() { return shared_key({KeyType::kRsa, 2048}); }
inline const PrivateKey& rsa3072() { return shared_key({KeyType::kRsa, 3072}); }
inline const PrivateKey& p256() { return shared_key({KeyType::kEcP256, 0}); }
inline const PrivateKey& p384() { return shared_key({KeyType::kEcP384, 0}); }
inline const PrivateKey& sm2() { return shared_key({KeyType::kSm2, 0}); }

}  // namespace hpki::crypto::testing
