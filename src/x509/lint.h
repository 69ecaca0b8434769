// Lint before sign (issue 3): every TBSCertificate and TBSCertList is checked before a CA key
// touches it; an error finding stops signing. `hpki cert lint` runs the same rules on any
// certificate. Each rule has a stable id and names its source (RFC 5280 section, CA/B Forum
// BR section, GM/T / GB/T, or "hpki profile"); tests carry the same tags.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "x509/certificate.h"
#include "x509/profile.h"

namespace hpki::x509 {

enum class Severity { kError, kWarning, kNotice };

struct Finding {
  std::string id;  // a rule id of x509/diag.h (diag::lint, diag::crl_lint), e.g. e_not_v3
  Severity severity = Severity::kError;
  std::string source;  // e.g. "RFC 5280 4.1.2.2"
  std::string message;
};

struct LintContext {
  const Profile* profile = nullptr;     // profile rules when known
  const Certificate* issuer = nullptr;  // issuer checks (AKI matches SKI, name chaining)
  bool cabf_server = false;             // apply CA/B Forum BR (also implied by profile)
  // Health-system identifier OIDs from configuration (BuildSettings::health_oids): a required
  // identifier placed "health" is checked only when its OID is known here.
  std::map<std::string, der::Oid> health_oids;
};

// Every rule of lint.cpp (RFC 5280, CA/B Forum BR for SSL server certificates, hpki profile
// rules). Never fails: unparseable extension values are findings themselves. The rule list with
// ids, severities and sources is docs/conformance.md "Lint rules".
[[nodiscard]] std::vector<Finding> lint_certificate(const Certificate& cert,
                                                    const LintContext& ctx = {});
// Lints an unsigned TBSCertificate (wrapped with a placeholder signature for parsing).
[[nodiscard]] Result<std::vector<Finding>> lint_tbs_certificate(BytesView tbs_der,
                                                                const LintContext& ctx = {});

class Crl;
[[nodiscard]] std::vector<Finding> lint_crl(const Crl& crl);
[[nodiscard]] Result<std::vector<Finding>> lint_tbs_crl(BytesView tbs_der);

[[nodiscard]] bool has_errors(const std::vector<Finding>& findings);
// "error e_serial_not_positive [RFC 5280 4.1.2.2]: serial number is not positive" per line.
[[nodiscard]] std::string format_findings(const std::vector<Finding>& findings);
[[nodiscard]] std::string_view severity_name(Severity s);

}  // namespace hpki::x509
