// Test helpers for the symmetric crypto tests: parsers for the two third-party vector formats
// (tests/vectors/sm/README.md) and a small driver for the openssl CLI.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::test {

// One vector from a file: its fields in order of appearance plus where it started.
struct VectorRecord {
  std::string kind;  // Botan: the [section]; OpenSSL: the first keyword (Digest, MAC, Cipher)
  std::string name;  // OpenSSL: the value of the first keyword ("SM3", "SM4-CBC"); Botan: ""
  std::map<std::string, std::string> fields;
  int line = 0;

  // The field decoded as bytes: "..." is ASCII, anything else hex. kNotFound if absent.
  [[nodiscard]] Result<Bytes> bytes(const std::string& key) const;
  [[nodiscard]] bool has(const std::string& key) const { return fields.contains(key); }
};

// Botan .vec: "[Section]" headers, "Key = value" lines, a blank line closes a vector, '#'
// starts a comment line. A key repeated inside one vector is an error (kMalformed).
[[nodiscard]] Result<std::vector<VectorRecord>> parse_botan_vec(std::string_view text);

// OpenSSL evp_test stanzas: a block starts at its first "Keyword = value" line and ends at a
// blank line; "Title = ..." blocks are skipped; '#' lines are comments.
[[nodiscard]] Result<std::vector<VectorRecord>> parse_evp_test(std::string_view text);

// tests/vectors/sm/<name>, read whole (fails the calling test if unreadable).
[[nodiscard]] std::string read_vector_file(const std::string& name);

// A fresh directory under ::testing::TempDir(), removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

void write_file(const std::string& path, BytesView data);
[[nodiscard]] Bytes read_file(const std::string& path);

// Runs "/usr/bin/openssl <args>" through the shell with stderr captured into the temp dir;
// returns the exit status and puts stderr into *err.
[[nodiscard]] int run_openssl(const TempDir& dir, const std::string& args, std::string* err);

}  // namespace hpki::test
