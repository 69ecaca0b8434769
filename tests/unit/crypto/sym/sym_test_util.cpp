#include "sym_test_util.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/encoding.h"

namespace hpki::test {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

Error malformed(int line, std::string_view what) {
  return Error{ErrorCode::kMalformed, "line " + std::to_string(line) + ": " + std::string(what)};
}

}  // namespace

Result<Bytes> VectorRecord::bytes(const std::string& key) const {
  auto it = fields.find(key);
  if (it == fields.end()) return fail(ErrorCode::kNotFound, "no field " + key);
  const std::string& v = it->second;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    return to_bytes(std::string_view(v).substr(1, v.size() - 2));
  }
  return hex_decode(v);
}

Result<std::vector<VectorRecord>> parse_botan_vec(std::string_view text) {
  std::vector<VectorRecord> out;
  std::string section;
  VectorRecord cur;
  int n = 0;
  auto flush = [&] {
    if (!cur.fields.empty()) out.push_back(std::move(cur));
    cur = VectorRecord{};
  };
  for (std::string_view raw : lines_of(text)) {
    ++n;
    std::string_view line = trim(raw);
    if (line.empty()) {
      flush();
      continue;
    }
    if (line.front() == '#') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return fail(malformed(n, "bad section header"));
      flush();
      section = std::string(line.substr(1, line.size() - 2));
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos) return fail(malformed(n, "expected 'Key = value'"));
    std::string key(trim(line.substr(0, eq)));
    std::string value(trim(line.substr(eq + 1)));
    if (section.empty()) return fail(malformed(n, "vector outside a [section]"));
    if (cur.fields.empty()) {
      cur.kind = section;
      cur.line = n;
    }
    if (!cur.fields.emplace(key, value).second) {
      return fail(malformed(n, "key '" + key + "' repeated in one vector"));
    }
  }
  flush();
  return out;
}

Result<std::vector<VectorRecord>> parse_evp_test(std::string_view text) {
  std::vector<VectorRecord> out;
  VectorRecord cur;
  int n = 0;
  auto flush = [&] {
    if (!cur.fields.empty() && cur.kind != "Title") out.push_back(std::move(cur));
    cur = VectorRecord{};
  };
  for (std::string_view raw : lines_of(text)) {
    ++n;
    std::string_view line = trim(raw);
    if (line.empty()) {
      flush();
      continue;
    }
    if (line.front() == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) return fail(malformed(n, "expected 'Key = value'"));
    std::string key(trim(line.substr(0, eq)));
    std::string value(trim(line.substr(eq + 1)));
    if (cur.fields.empty()) {
      cur.kind = key;
      cur.name = value;
      cur.line = n;
    }
    if (!cur.fields.emplace(key, value).second) {
      return fail(malformed(n, "key '" + key + "' repeated in one stanza"));
    }
  }
  flush();
  return out;
}

std::string read_vector_file(const std::string& name) {
  std::string path = std::string(HPKI_SOURCE_DIR) + "/tests/vectors/sm/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TempDir::TempDir() {
  std::string tmpl = ::testing::TempDir() + "hpki-sym-XXXXXX";
  char* p = ::mkdtemp(tmpl.data());
  if (p == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, BytesView data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int run_openssl(const TempDir& dir, const std::string& args, std::string* err) {
  std::string err_path = dir.file("stderr.txt");
  std::string cmd = "/usr/bin/openssl " + args + " 2>'" + err_path + "'";
  int status = std::system(cmd.c_str());
  Bytes e = read_file(err_path);
  if (err != nullptr) *err = std::string(as_string(e));
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace hpki::test
