// RFC 5280 6.1 name constraints processing for path validation (detail/path_name_constraints.h).
#include "x509/detail/path_name_constraints.h"

#include "der/oids.h"
#include "x509/detail/name_match.h"
#include "x509/diag.h"

namespace hpki::x509::detail {

void NameConstraintState::add(const Certificate& cert, CertificateReport& cr) {
  const Extension* e = cert.find_extension(der::oids::kNameConstraints);
  if (e == nullptr) return;
  auto v = parse_name_constraints(e->value);
  if (!v) {
    // RFC 5280 4.2.1.10: a GeneralSubtree with a minimum or maximum is refused by the parser
    // ("GeneralSubtree with minimum/maximum"); every other failure is a malformed extension.
    const bool min_max = v.error().detail().find("minimum/maximum") != std::string::npos;
    cr.diagnostics.push_back(Diagnostic{
        diag::kMalformedExtension, "nameConstraints: " + v.error().detail(),
        min_max ? diag::path_rule::kNameConstraintsMinMax : diag::lint::kNameConstraintsMalformed});
    return;
  }
  if (!v->permitted.empty()) permitted_.push_back(v->permitted);
  if (!v->excluded.empty()) excluded_.push_back(v->excluded);
}

std::optional<Diagnostic> NameConstraintState::check(const Certificate& cert, bool is_leaf,
                                                     Rules rules) const {
  if (permitted_.empty() && excluded_.empty()) return std::nullopt;
  std::vector<GeneralName> names;
  if (!cert.subject().empty()) {
    GeneralName dn;
    dn.type = GeneralName::Type::kDirectory;
    dn.directory = cert.subject();
    names.push_back(dn);
  }
  bool has_san = false;
  if (const Extension* e = cert.find_extension(der::oids::kSubjectAltName)) {
    auto san = parse_general_names(e->value);
    if (!san)
      return Diagnostic{diag::kMalformedExtension, "subjectAltName: " + san.error().detail(),
                        diag::lint::kSanMalformed};
    has_san = true;
    names.insert(names.end(), san->begin(), san->end());
  }
  // RFC 5280 4.2.1.10: e-mail addresses in the subject's emailAddress attribute are constrained
  // by rfc822Name subtrees.
  const std::size_t first_subject_email = names.size();
  for (const auto& rdn : cert.subject().rdns) {
    for (const auto& atv : rdn) {
      if (atv.type == der::oids::kEmailAddress) {
        GeneralName g;
        g.type = GeneralName::Type::kRfc822;
        g.text = atv.value;
        names.push_back(g);
      }
    }
  }
  const std::size_t end_subject_email = names.size();
  // CA/B Forum (webpki): a leaf without subjectAltName has its commonName constrained as a
  // dNSName when it looks like a host name.
  if (rules == Rules::kWebPki && is_leaf && !has_san) {
    const std::string cn = cert.subject().get(der::oids::kCommonName);
    if (!cn.empty() && cn.find(' ') == std::string::npos && cn.find('.') != std::string::npos) {
      GeneralName g;
      g.type = GeneralName::Type::kDns;
      g.text = cn;
      names.push_back(g);
    }
  }
  // Quadratic work bound (x509-limbo pathological::nc-dos-*): refuse rather than spin.
  std::size_t constraints = 0;
  for (const auto& l : permitted_) constraints += l.size();
  for (const auto& l : excluded_) constraints += l.size();
  if (names.size() * constraints > kMaxChecks)
    return Diagnostic{diag::kNameConstraintUnsupported,
                      std::to_string(names.size()) + " names against " +
                          std::to_string(constraints) + " constraints exceed the work limit"};
  // The rule a violation breaks: directoryName constraints on the subject and directoryName
  // SANs (nc_directory_name), rfc822Name constraints on emailAddress attributes of the subject
  // (nc_email_in_subject), else name_constraint_violation itself.
  auto rule_of = [&](std::size_t k) -> std::string_view {
    if (names[k].type == GeneralName::Type::kDirectory) return diag::path_rule::kNcDirectoryName;
    if (k >= first_subject_email && k < end_subject_email)
      return diag::path_rule::kNcEmailInSubject;
    return {};
  };
  for (std::size_t k = 0; k < names.size(); ++k) {
    const GeneralName& name = names[k];
    for (const auto& list : excluded_) {
      for (const auto& base : list) {
        if (base.type != name.type) continue;
        const NcMatch m = name_in_subtree(name, base, true);
        if (m == NcMatch::kMatch)
          return Diagnostic{diag::kNameConstraintViolation,
                            "a name of the certificate is in an excluded subtree", rule_of(k)};
        if (m == NcMatch::kUnsupported)
          return Diagnostic{diag::kNameConstraintUnsupported,
                            "a name form constrained by an excluded subtree cannot be checked"};
      }
    }
    for (const auto& list : permitted_) {
      bool constrained = false, ok = false, unsupported = false;
      for (const auto& base : list) {
        if (base.type != name.type) continue;
        constrained = true;
        const NcMatch m = name_in_subtree(name, base, false);
        if (m == NcMatch::kMatch) ok = true;
        if (m == NcMatch::kUnsupported) unsupported = true;
      }
      if (constrained && !ok) {
        if (unsupported)
          return Diagnostic{diag::kNameConstraintUnsupported,
                            "a name form constrained by a permitted subtree cannot be checked"};
        return Diagnostic{diag::kNameConstraintViolation,
                          "a name of the certificate is outside the permitted subtrees",
                          rule_of(k)};
      }
    }
  }
  return std::nullopt;
}

// RFC 5280 4.2.1.10: the forms of a constraint that are well-formed.
std::optional<std::string> malformed_constraint(const GeneralName& g) {
  using T = GeneralName::Type;
  switch (g.type) {
    case T::kDns:
      // "DNS name restrictions are expressed as host.example.com": no wildcard, no leading
      // period (an empty constraint matches every name).
      if (!g.text.empty() && !valid_dns_name(g.text, false))
        return "dNSName constraint \"" + g.text + "\" is not a DNS name";
      return std::nullopt;
    case T::kRfc822: {
      const auto at = g.text.find('@');
      if (at != std::string::npos && g.text.find('@', at + 1) != std::string::npos)
        return "rfc822Name constraint \"" + g.text + "\" is not a mailbox, host or domain";
      return std::nullopt;
    }
    case T::kIp: {
      if (g.ip.size() != 8 && g.ip.size() != 32) return "iPAddress constraint of bad length";
      const std::size_t n = g.ip.size() / 2;
      bool zero_seen = false;
      for (std::size_t i = 0; i < n; ++i) {
        for (int b = 7; b >= 0; --b) {
          const bool bit = ((g.ip[n + i] >> b) & 1) != 0;
          if (bit && zero_seen) return "iPAddress constraint mask is not a CIDR prefix";
          if (!bit) zero_seen = true;
        }
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace hpki::x509::detail
