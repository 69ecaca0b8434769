// Name constraints processing of path validation (RFC 5280 6.1.3 (b), (c), 6.1.4 (g), 4.2.1.10):
// the permitted and excluded subtrees gathered along one candidate path, and the check of each
// certificate's names against them. The matching of one name against one subtree is
// name_match.h. Private to the x509 module (path.cpp drives it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "x509/certificate.h"
#include "x509/extensions.h"
#include "x509/path.h"

namespace hpki::x509::detail {

class NameConstraintState {
 public:
  // Bound on names x constraints per certificate (x509-limbo pathological::nc-dos-*): past it
  // the certificate is refused with kNameConstraintUnsupported rather than checked.
  static constexpr std::size_t kMaxChecks = 1 << 20;

  // RFC 5280 6.1.4 (g) (and, for the trust anchor certificate, RFC 5937 3.2): adds `cert`'s
  // nameConstraints subtrees; a malformed extension is a kMalformedExtension finding in `cr`.
  void add(const Certificate& cert, CertificateReport& cr);

  // RFC 5280 6.1.3 (b), (c): the subject name, the subjectAltName entries and the subject's
  // emailAddress attributes (4.2.1.10) of `cert` against every subtree gathered so far; under
  // Rules::kWebPki a leaf without subjectAltName has a host-like commonName checked as a
  // dNSName. The first finding, or nullopt.
  [[nodiscard]] std::optional<Diagnostic> check(const Certificate& cert, bool is_leaf,
                                                Rules rules) const;

 private:
  std::vector<std::vector<GeneralName>> permitted_;  // one list per constraining certificate
  std::vector<std::vector<GeneralName>> excluded_;
};

// RFC 5280 4.2.1.10: why a constraint's base is not well-formed (a dNSName that is not a DNS
// name, an rfc822Name with two '@', an iPAddress that is not address + CIDR mask), or nullopt.
[[nodiscard]] std::optional<std::string> malformed_constraint(const GeneralName& g);

}  // namespace hpki::x509::detail
