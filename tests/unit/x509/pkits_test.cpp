// NIST PKITS 1.0.1 (RFC 5280 6.1 / 6.3 conformance) through the path validator, read in place
// from tests/vectors/pkits (see its README: trust anchor first, target last, the middle
// certificates are a pool; revocation checking on for every certificate). Prints the pass rate
// and every disagreement; cases that do not apply to hpki are listed (with the reason) in
// docs/conformance.md and in kNotApplicable below.
#include <gtest/gtest.h>

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

TEST(Pkits, AllCases) {
  std::ifstream in(kDir + "/pkits_cases.tsv");
  ASSERT_TRUE(in) << "missing " << kDir;
  std::string line;
  std::getline(in, line);  // header
  std::map<std::string, CertificatePtr> certs;
  auto cert = [&](const std::string& f) {
    auto& c = certs[f];
    if (!c) {
      auto parsed = Certificate::parse(test::read_file(kDir + "/certs/" + f));
      EXPECT_TRUE(parsed) << f << ": " << parsed.error().to_string();
      if (parsed) c = *parsed;
    }
    return c;
  };
  int total = 0, passed = 0, skipped = 0, policy_set_matches = 0, policy_set_checked = 0;
  std::ostringstream failures;
  std::set<std::string> unparseable;
  while (std::getline(in, line)) {
    auto f = split(line, '\t');
    ASSERT_GE(f.size(), 13u) << line;
    const std::string& id = f[0];
    const bool expect_valid = f[3] == "valid";
    if (kNotApplicable.contains(id)) {
      ++skipped;
      continue;
    }
    ++total;
    auto names = split(f[6], ',');
    std::vector<CertificatePtr> anchors{cert(names.front())};
    std::vector<CertificatePtr> pool;
    for (std::size_t k = 1; k + 1 < names.size(); ++k) pool.push_back(cert(names[k]));
    CertificatePtr target = cert(names.back());
    std::vector<CrlPtr> crl_list;
    for (const auto& c : split(f[7], ',')) {
      if (c.empty()) continue;
      // A CRL that does not parse (e.g. BadCRLSignatureCACRL's damaged signature BIT STRING)
      // is not usable, as if it were absent.
      auto parsed = Crl::parse(test::read_file(kDir + "/crls/" + c));
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
    PathReport r = validate_path(target, pool, anchors, o);
    if (const char* only = std::getenv("HPKI_PKITS_CASE"); only != nullptr && id == only) {
      std::cout << path_report_text(r);
      for (const auto& c : pool) std::cout << "pool: " << to_string(c->subject()) << "\n";
    }
    if (r.valid == expect_valid) {
      ++passed;
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
      ++policy_set_checked;
      if (want == r.user_constrained_policy_set) {
        ++policy_set_matches;
      } else {
        failures << "PKITS POLICY-SET " << id << ": expected {";
        for (const auto& p : want) failures << p << " ";
        failures << "}, got {";
        for (const auto& p : r.user_constrained_policy_set) failures << p << " ";
        failures << "}\n";
      }
    }
  }
  std::ostringstream summary;
  summary << "PKITS: " << passed << "/" << total << " passed ("
          << (total ? 100.0 * passed / total : 0.0) << "%), " << skipped
          << " not applicable; user-constrained policy set " << policy_set_matches << "/"
          << policy_set_checked << "\n";
  std::cout << failures.str() << summary.str();
  test::write_conformance_summary("pkits", summary.str() + failures.str());
  EXPECT_EQ(passed, total) << failures.str();
  EXPECT_EQ(policy_set_matches, policy_set_checked);
}

}  // namespace
}  // namespace hpki::x509
