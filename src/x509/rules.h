// The rule inventory (issue 18): every requirement of RFC 5280 sections 4-6, RFC 6960 and, for
// `--rules webpki`, the CA/Browser Forum Baseline Requirements and the Chrome / Mozilla root
// program policies, each with a stable id, its source clause and where hpki enforces it — or
// that it does not, and why. The table is rule_table.inc; docs/rules.md is generated from it
// (`hpki rules --markdown`) and a test keeps the two equal. Tests: every rule enforced by the
// parser, the validator, CRL or OCSP processing has a test named `Rule.<id>` with a valid and a
// violating case (tests/unit/x509/rule_*_test.cpp); every lint rule has its negative test next to
// a clean baseline in lint_test.cpp / crl_lint tests.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace hpki::x509 {

// Where a rule is enforced (a bit set).
namespace W {
inline constexpr unsigned kNone = 0;
inline constexpr unsigned kParser = 1U << 0;     // the parser refuses the object
inline constexpr unsigned kValidator = 1U << 1;  // path validation, every rule set
inline constexpr unsigned kWebPki = 1U << 2;     // path validation under Rules::kWebPki only
inline constexpr unsigned kLint = 1U << 3;       // certificate lint and lint-before-sign
inline constexpr unsigned kCrlLint = 1U << 4;    // CRL lint before a CRL is signed
inline constexpr unsigned kCrlCheck = 1U << 5;   // CRL processing (RFC 5280 6.3.3)
inline constexpr unsigned kOcspCheck = 1U << 6;  // OCSP response checks (RFC 6960)
}  // namespace W

struct Rule {
  std::string_view id;           // stable; a diag.h id where the rule has one
  std::string_view source;       // e.g. "RFC 5280 4.2.1.1"
  std::string_view requirement;  // one sentence
  unsigned where = W::kNone;     // W:: bits; kNone = not enforced (note says why)
  std::string_view note;
};

// The whole inventory, in the order of docs/rules.md.
[[nodiscard]] std::span<const Rule> rule_inventory();
// nullptr when `id` is not a rule.
[[nodiscard]] const Rule* find_rule(std::string_view id);
// "parser, validator" ... or "not enforced".
[[nodiscard]] std::string where_text(unsigned where);
// docs/rules.md.
[[nodiscard]] std::string rules_markdown();

}  // namespace hpki::x509
