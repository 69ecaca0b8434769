// The diagnostic ids of the x509 module live in one header (src/x509/diag.h) as named constants:
// each value appears once there, the services' own ids (sign::diag, revocation::diag) do not
// repeat one, and no x509 source writes an id as a literal instead of naming its constant.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace hpki::x509 {
namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "kName = "value"" definitions of a header, as (name, value).
std::vector<std::pair<std::string, std::string>> string_constants(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::regex re(R"re(std::string_view (k[A-Za-z0-9]+) =\s*"([^"]*)")re");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    out.emplace_back((*it)[1].str(), (*it)[2].str());
  }
  return out;
}

const std::filesystem::path kRoot = std::filesystem::path(HPKI_SOURCE_DIR);

TEST(Diag, EveryIdOnceAcrossX509AndTheServices) {
  std::map<std::string, std::string> seen;  // value -> "file kName"
  std::size_t x509_ids = 0;
  for (const char* file :
       {"src/x509/diag.h", "src/sign/sign_service.h", "src/revocation/store_source.h"}) {
    for (const auto& [name, value] : string_constants(read_text(kRoot / file))) {
      if (std::string(file) == "src/x509/diag.h") ++x509_ids;
      const std::string where = std::string(file) + " " + name;
      auto [it, fresh] = seen.emplace(value, where);
      EXPECT_TRUE(fresh) << "\"" << value << "\": " << where << " repeats " << it->second;
    }
  }
  EXPECT_GE(x509_ids, 140u);
}

TEST(Diag, X509SourcesNameTheConstants) {
  // Ids with a separator ('_' or '.') are distinctive enough to grep for; "valid" and
  // "revoked" are also ordinary words of the text renderings.
  std::vector<std::string> ids;
  for (const auto& [name, value] : string_constants(read_text(kRoot / "src/x509/diag.h"))) {
    if (value.find_first_of("_.") != std::string::npos) ids.push_back("\"" + value + "\"");
  }
  ASSERT_GE(ids.size(), 140u);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kRoot / "src/x509")) {
    const auto ext = entry.path().extension();
    if (entry.path().filename() == "diag.h" || (ext != ".cpp" && ext != ".h")) continue;
    ++files;
    const std::string text = read_text(entry.path());
    for (const auto& id : ids) {
      EXPECT_EQ(text.find(id), std::string::npos)
          << entry.path().filename() << " writes the id " << id << " as a literal";
    }
  }
  EXPECT_GE(files, 40u);
}

}  // namespace
}  // namespace hpki::x509
