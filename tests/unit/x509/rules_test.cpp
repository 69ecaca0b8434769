// The rule inventory (src/x509/rules.h): every rule decided, every diagnostic id of diag.h a
// rule, docs/rules.md generated from it, and a `Rule.<id>` pair test for every rule the parser,
// the validator, CRL processing or the OCSP check enforces.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/support/test_util.h"
#include "x509/rules.h"

namespace hpki::x509 {
namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(RuleInventory, EveryRuleIsDecided) {
  std::set<std::string_view> ids;
  for (const auto& r : rule_inventory()) {
    EXPECT_TRUE(ids.insert(r.id).second) << "duplicate rule " << r.id;
    EXPECT_TRUE(std::regex_match(std::string(r.id), std::regex("[a-z][a-z0-9_]*"))) << r.id;
    EXPECT_FALSE(r.source.empty()) << r.id;
    EXPECT_FALSE(r.requirement.empty()) << r.id;
    // A rule that is not enforced says why.
    if (r.where == W::kNone) {
      EXPECT_FALSE(r.note.empty()) << r.id << ": not enforced, no reason";
    }
    EXPECT_EQ(std::string(r.note).find("GAP"), std::string::npos) << r.id << " is undecided";
  }
  EXPECT_GE(ids.size(), 200u);
}

// Every id of the lint, CRL lint and path-rule namespaces of diag.h is a rule of the inventory
// with the matching place of enforcement.
TEST(RuleInventory, DiagnosticIdsAreRules) {
  const std::string header = read_text(std::filesystem::path(HPKI_SOURCE_DIR) / "src/x509/diag.h");
  const std::regex constant_re(R"re(k[A-Za-z0-9]+ =\s*"([^"]*)")re");
  for (const auto& [ns, bit] :
       {std::pair{std::string("lint"), W::kLint}, std::pair{std::string("crl_lint"), W::kCrlLint},
        std::pair{std::string("path_rule"), W::kValidator | W::kWebPki}}) {
    const auto begin = header.find("namespace " + ns + " {");
    const auto end = header.find("}  // namespace " + ns, begin);
    ASSERT_NE(begin, std::string::npos) << ns;
    const std::string block = header.substr(begin, end - begin);
    int n = 0;
    for (auto it = std::sregex_iterator(block.begin(), block.end(), constant_re);
         it != std::sregex_iterator(); ++it, ++n) {
      const std::string id = (*it)[1].str();
      const Rule* r = find_rule(id);
      ASSERT_NE(r, nullptr) << ns << " id " << id << " is not in src/x509/rule_table.inc";
      EXPECT_NE(r->where & bit, 0u)
          << id << " is enforced by " << ns << " but the table says " << where_text(r->where);
    }
    EXPECT_GT(n, 10) << ns;
  }
}

// docs/rules.md is the rendering of the table. HPKI_UPDATE_RULES_DOC=1 rewrites it.
TEST(RuleInventory, DocsAreCurrent) {
  const auto path = std::filesystem::path(HPKI_SOURCE_DIR) / "docs/rules.md";
  const std::string want = rules_markdown();
  if (const char* u = std::getenv("HPKI_UPDATE_RULES_DOC"); u != nullptr && *u == '1') {
    std::ofstream(path, std::ios::binary) << want;
  }
  EXPECT_TRUE(read_text(path) == want)
      << "docs/rules.md differs from src/x509/rule_table.inc: run the test with "
         "HPKI_UPDATE_RULES_DOC=1 (e.g. HPKI_UPDATE_RULES_DOC=1 build/tests/test_x509_path "
         "--gtest_filter=RuleInventory.DocsAreCurrent)";
}

// Every rule enforced outside lint has its pair test `Rule.<id>` in this binary. Lint rules
// have theirs in lint_test.cpp (Lint.EveryRuleIsDocumentedAndTested).
TEST(RuleInventory, EnforcedRulesHaveTests) {
  std::set<std::string> tests;
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const auto* suite = unit->GetTestSuite(i);
    if (std::string(suite->name()) != "Rule") continue;
    for (int j = 0; j < suite->total_test_count(); ++j) tests.insert(suite->GetTestInfo(j)->name());
  }
  constexpr unsigned kPaired =
      W::kParser | W::kValidator | W::kWebPki | W::kCrlCheck | W::kOcspCheck;
  std::string missing;
  for (const auto& r : rule_inventory()) {
    if ((r.where & kPaired) != 0 && !tests.contains(std::string(r.id)))
      missing += " " + std::string(r.id);
  }
  for (const auto& t : tests) {
    EXPECT_NE(find_rule(t), nullptr) << "Rule." << t << " tests no rule of the inventory";
  }
  EXPECT_TRUE(missing.empty()) << "rules without a Rule.<id> pair test:" << missing;
}

}  // namespace
}  // namespace hpki::x509
