// NIST PKITS 1.0.1 (RFC 5280 6.1 / 6.3 conformance) through the path validator, read in place
// from tests/vectors/pkits (see its README: trust anchor first, target last, the middle
// certificates are a pool; revocation checking on for every certificate). Prints the pass rate
// and every disagreement; cases that do not apply to hpki are listed (with the reason) in
// docs/conformance.md and in kNotApplicable below.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "core/clock.h"
#include "tests/support/test_util.h"
#include "tests/unit/x509/conformance_util.h"
#include "x509/crl.h"
#include "x509/path.h"
#include "x509/revocation.h"

namespace hpki::x509 {
namespace {

const std::string kDir = std::string(HPKI_SOURCE_DIR) + "/tests/vectors/pkits";

// docs/conformance.md "PKITS: cases that do not apply".
const std::map<std::string, std::string> kNotApplicable = {
    {"4.1.4", "DSA (hpki supports RSA, ECDSA P-256/P-384 and SM2 keys)"},
    {"4.1.5", "DSA (hpki supports RSA, ECDSA P-256/P-384 and SM2 keys)"},
    {"4.1.6", "DSA (hpki supports RSA, ECDSA P-256/P-384 and SM2 keys)"},
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.push_back("");
  return out;
}

der::Oid policy_oid(const std::string& name) {
  if (name == "anyPolicy") return der::oids::kAnyPolicy;
  const std::string n = name.substr(name.rfind('-') + 1);
  return *der::Oid::from_string("2.16.840.1.101.3.2.1.48." + n);
}

std::string policy_dotted(const std::string& name) { return policy_oid(name).to_string(); }

struct RunResult {
  int total = 0, passed = 0, skipped = 0, policy_set_matches = 0, policy_set_checked = 0;
  int certs_not_parsed = 0;
  std::string failures;  // one line per disagreement
};

// Runs every row of `dir`/pkits_cases.tsv (the README's format) through validate_path.
RunResult run_cases(const std::string& dir) {
  RunResult out;
  std::ifstream in(dir + "/pkits_cases.tsv");
  EXPECT_TRUE(in) << "missing " << dir;
  if (!in) return out;
  std::string line;
  std::getline(in, line);  // header
  std::map<std::string, CertificatePtr> certs;
  std::ostringstream failures;
  std::set<std::string> unparseable;
  auto cert = [&](const std::string& f) {
    auto& c = certs[f];
    if (!c) {
      auto parsed = Certificate::parse(test::read_file(dir + "/certs/" + f));
      if (parsed) {
        c = *parsed;
      } else if (unparseable.insert(f).second) {
        ++out.certs_not_parsed;
        failures << "PKITS CERT-NOT-PARSED " << f << ": " << parsed.error().to_string() << "\n";
      }
    }
    return c;
  };
  while (std::getline(in, line)) {
    auto f = split(line, '\t');
    EXPECT_GE(f.size(), 13u) << line;
    if (f.size() < 13) continue;
    const std::string& id = f[0];
    const bool expect_valid = f[3] == "valid";
    if (kNotApplicable.contains(id)) {
      ++out.skipped;
      continue;
    }
    ++out.total;
    auto names = split(f[6], ',');
    // A certificate that does not parse cannot be part of a path (as in limbo_test.cpp): the
    // target's absence makes the case invalid, a pool or anchor certificate is left out.
    std::vector<CertificatePtr> anchors;
    if (auto a = cert(names.front())) anchors.push_back(a);
    std::vector<CertificatePtr> pool;
    for (std::size_t k = 1; k + 1 < names.size(); ++k) {
      if (auto c = cert(names[k])) pool.push_back(c);
    }
    CertificatePtr target = cert(names.back());
    std::vector<CrlPtr> crl_list;
    for (const auto& c : split(f[7], ',')) {
      if (c.empty()) continue;
      // A CRL that does not parse (e.g. BadCRLSignatureCACRL's damaged signature BIT STRING)
      // is not usable, as if it were absent.
      auto parsed = Crl::parse(test::read_file(dir + "/crls/" + c));
      if (parsed) {
        crl_list.push_back(*parsed);
      } else if (unparseable.insert(c).second) {
        failures << "PKITS CRL-NOT-PARSED " << c << ": " << parsed.error().to_string() << "\n";
      }
    }
    std::vector<CertificatePtr> all = pool;
    all.insert(all.end(), anchors.begin(), anchors.end());
    CrlRevocationSource revocation(crl_list, all);
    PathOptions o{.at = *parse_rfc3339("2011-04-15T00:00:00Z")};
    o.initial_policy_set.clear();
    for (const auto& p : split(f[8], ',')) o.initial_policy_set.push_back(policy_oid(p));
    o.initial_explicit_policy = f[9] == "true";
    o.initial_policy_mapping_inhibit = f[10] == "true";
    o.initial_any_policy_inhibit = f[11] == "true";
    o.revocation = &revocation;
    PathReport r;
    if (target) {
      r = validate_path(target, pool, anchors, o);
    } else {
      r.valid = false;
      r.status = "target_not_parsed";
    }
    if (const char* only = std::getenv("HPKI_PKITS_CASE"); only != nullptr && id == only) {
      std::cout << path_report_text(r);
      for (const auto& c : pool) std::cout << "pool: " << to_string(c->subject()) << "\n";
    }
    if (r.valid == expect_valid) {
      ++out.passed;
    } else {
      failures << "PKITS FAIL " << id << " (" << f[5] << "): expected " << f[3] << ", got "
               << (r.valid ? "valid" : "invalid: " + std::string(r.status) + " " + r.detail)
               << "\n";
    }
    if (expect_valid && r.valid) {
      // RFC 5280 6.1.6 output: the user-constrained policy set.
      std::vector<std::string> want;
      for (const auto& p : split(f[12], ',')) {
        if (!p.empty()) want.push_back(policy_dotted(p));
      }
      std::sort(want.begin(), want.end());
      ++out.policy_set_checked;
      if (want == r.user_constrained_policy_set) {
        ++out.policy_set_matches;
      } else {
        failures << "PKITS POLICY-SET " << id << ": expected {";
        for (const auto& p : want) failures << p << " ";
        failures << "}, got {";
        for (const auto& p : r.user_constrained_policy_set) failures << p << " ";
        failures << "}\n";
      }
    }
  }
  out.failures = failures.str();
  return out;
}

std::string summary_of(const RunResult& r) {
  std::ostringstream summary;
  summary << r.passed << "/" << r.total << " passed ("
          << (r.total ? 100.0 * r.passed / r.total : 0.0) << "%), " << r.skipped
          << " not applicable; user-constrained policy set " << r.policy_set_matches << "/"
          << r.policy_set_checked << "\n";
  return summary.str();
}

TEST(Pkits, AllCases) {
  const RunResult r = run_cases(kDir);
  const std::string summary = "PKITS: " + summary_of(r);
  std::cout << r.failures << summary;
  test::write_conformance_summary("pkits", summary + r.failures);
  EXPECT_GT(r.total, 0);
  EXPECT_EQ(r.certs_not_parsed, 0) << r.failures;
  EXPECT_EQ(r.passed, r.total) << r.failures;
  EXPECT_EQ(r.policy_set_matches, r.policy_set_checked);
}

// Cases outside the repository (docs/conformance.md "Outside runs"): HPKI_PKITS_DIR names a
// directory laid out as tests/vectors/pkits (certs/, crls/, pkits_cases.tsv), e.g. the
// held-back PKITS tests. Reports only; the suite's own directory above is the regression check.
TEST(Pkits, OutsideDir) {
  const char* dir = std::getenv("HPKI_PKITS_DIR");
  if (dir == nullptr || *dir == '\0') GTEST_SKIP() << "HPKI_PKITS_DIR not set";
  const RunResult r = run_cases(dir);
  std::cout << r.failures << "PKITS (" << dir << "): " << summary_of(r);
}

}  // namespace
}  // namespace hpki::x509
