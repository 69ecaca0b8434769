// Walks real certificates and CRLs with the generic walker (fuzz/der_walk.h): the Reader must
// accept every element of these DER files, consume every byte, and the Writer must reproduce
// every element it can decode byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "core/pem.h"
#include "der_walk.h"

namespace hpki::der {
namespace {

namespace fs = std::filesystem;

const fs::path kVectors = fs::path(HPKI_SOURCE_DIR) / "tests/vectors";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// DER files as-is; PEM files split into their blocks.
std::vector<std::pair<std::string, Bytes>> load(const fs::path& dir) {
  std::vector<std::pair<std::string, Bytes>> out;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const std::string ext = f.extension().string();
    if (ext != ".crt" && ext != ".crl" && ext != ".pem" && ext != ".der") continue;
    const std::string text = read_file(f);
    if (text.find("-----BEGIN ") != std::string::npos) {
      auto blocks = pem_decode_all(text);
      if (!blocks) continue;
      for (auto& b : *blocks) out.emplace_back(f.filename().string() + ":" + b.label, b.data);
    } else {
      out.emplace_back(f.filename().string(), to_bytes(text));
    }
  }
  return out;
}

void walk_all(const fs::path& dir, std::size_t min_files) {
  const auto files = load(dir);
  ASSERT_GE(files.size(), min_files) << dir;
  std::size_t elements = 0;
  for (const auto& [name, der] : files) {
    Reader r(der);
    walk::Stats st;
    const auto ok = walk::walk(r, st);
    ASSERT_TRUE(ok.has_value()) << name << ": " << ok.error().to_string();
    EXPECT_TRUE(r.at_end()) << name;
    EXPECT_TRUE(st.mismatches.empty()) << name << ": " << st.mismatches.front();
    EXPECT_EQ(st.invalid_values, 0u) << name;
    // Even a minimal CRL has more elements than this.
    EXPECT_GE(st.elements, 3u) << name;
    EXPECT_GT(st.reencoded, st.elements) << name;
    elements += st.elements;
  }
  EXPECT_GT(elements, files.size() * 15);
}

TEST(DerWalk, PkitsCertificates) { walk_all(kVectors / "pkits/certs", 300); }
TEST(DerWalk, PkitsCrls) { walk_all(kVectors / "pkits/crls", 100); }
TEST(DerWalk, TongsuoSm2Certificates) { walk_all(kVectors / "sm2-certs", 6); }
TEST(DerWalk, BoringsslCrlTestData) { walk_all(kVectors / "crl-boringssl", 60); }

TEST(DerWalk, SeedCorpusWellFormedFilesWalk) {
  // The well-formed seeds of fuzz/corpus/der (named *.der) must walk completely.
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(HPKI_SOURCE_DIR) / "fuzz/corpus/der")) {
    if (entry.path().extension() != ".der") continue;
    const std::string text = read_file(entry.path());
    Reader r(as_bytes(text));
    walk::Stats st;
    ASSERT_TRUE(walk::walk(r, st).has_value()) << entry.path();
    EXPECT_TRUE(st.mismatches.empty()) << entry.path();
    EXPECT_EQ(st.invalid_values, 0u) << entry.path();
    ++n;
  }
  EXPECT_GE(n, 3u);
}

TEST(DerWalk, SeedCorpusMalformedFilesAreRejected) {
  // Each *.bad seed breaks one DER rule: the walk must fail with kMalformed.
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(HPKI_SOURCE_DIR) / "fuzz/corpus/der")) {
    if (entry.path().extension() != ".bad") continue;
    const std::string text = read_file(entry.path());
    Reader r(as_bytes(text));
    walk::Stats st;
    const auto ok = walk::walk(r, st);
    // Either the structure is rejected, or a value breaks its type's rules.
    if (ok) {
      EXPECT_GT(st.invalid_values, 0u) << entry.path();
    } else {
      EXPECT_EQ(ok.error().code(), ErrorCode::kMalformed) << entry.path();
    }
    EXPECT_TRUE(st.mismatches.empty()) << entry.path();
    ++n;
  }
  EXPECT_GE(n, 10u);
}

TEST(DerWalk, MutatedCertificatesNeverMisencode) {
  // A small deterministic fuzz run in the unit tests: byte flips, insertions and truncations
  // of real certificates either fail to parse or re-encode exactly.
  const auto files = load(kVectors / "pkits/certs");
  ASSERT_FALSE(files.empty());
  std::mt19937 rng(5280);
  std::size_t parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes der = files[rng() % files.size()].second;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits && !der.empty(); ++k) {
      const std::size_t pos = rng() % der.size();
      switch (rng() % 4) {
        case 0:
          der[pos] = static_cast<std::uint8_t>(rng());
          break;
        case 1:
          der[pos] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 2:
          der.insert(der.begin() + static_cast<std::ptrdiff_t>(pos),
                     static_cast<std::uint8_t>(rng()));
          break;
        default:
          der.resize(pos);
          break;
      }
    }
    Reader r(der);
    walk::Stats st;
    const auto ok = walk::walk(r, st);
    if (ok)
      ++parsed;
    else
      EXPECT_EQ(ok.error().code(), ErrorCode::kMalformed);
    ASSERT_TRUE(st.mismatches.empty()) << st.mismatches.front();
  }
  EXPECT_GT(parsed, 0u);
}

}  // namespace
}  // namespace hpki::der
