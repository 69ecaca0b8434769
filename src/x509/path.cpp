// Path validation (path.h): the RFC 5280 6.1 processing of one candidate path, the entry point
// and the report renderings. The parts live in units of their own (private headers in
// x509/detail/): path building (path_build.cpp), certificate policies (path_policy.cpp), name
// constraints (path_name_constraints.cpp, with the name matching of name_match.cpp), and the
// certificate profile checks (path_profile.cpp).
#include "x509/path.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/clock.h"
#include "x509/detail/name_match.h"
#include "x509/detail/path_build.h"
#include "x509/detail/path_name_constraints.h"
#include "x509/detail/path_policy.h"
#include "x509/detail/path_profile.h"
#include "x509/diag.h"
#include "x509/profile.h"

namespace hpki::x509 {

std::string_view rules_name(Rules r) { return r == Rules::kWebPki ? "webpki" : "rfc5280"; }

std::string_view revocation_status_name(RevocationStatus s) {
  switch (s) {
    case RevocationStatus::kGood:
      return "good";
    case RevocationStatus::kRevoked:
      return "revoked";
    case RevocationStatus::kUnknown:
      break;
  }
  return "unknown";
}

namespace detail {
namespace {

void add_diag(CertificateReport& cr, std::string_view id, std::string detail) {
  cr.diagnostics.push_back(Diagnostic{id, std::move(detail)});
}

// RFC 5280 4.1.2.5: notBefore is before notAfter; such a certificate is never within its
// validity, reported under its own rule ahead of the time checks.
void check_validity_order(const Certificate& cert, CertificateReport& cr) {
  if (cert.validity().not_before > cert.validity().not_after)
    cr.diagnostics.push_back(Diagnostic{diag::kProfileViolation, "notBefore is after notAfter",
                                        diag::lint::kValidityNotBeforeAfterNotAfter});
}

// ---- target requirements ---------------------------------------------------------------------

std::optional<Diagnostic> check_identity(const Certificate& leaf, const PeerIdentity& id) {
  std::vector<GeneralName> san;
  if (const Extension* e = leaf.find_extension(der::oids::kSubjectAltName)) {
    auto parsed = parse_general_names(e->value);
    if (!parsed)
      return Diagnostic{diag::kMalformedExtension, "subjectAltName: " + parsed.error().detail(),
                        diag::lint::kSanMalformed};
    san = std::move(*parsed);
  }
  switch (id.kind) {
    case PeerIdentity::Kind::kDns:
      for (const auto& g : san) {
        if (g.type == GeneralName::Type::kDns && dns_name_matches(g.text, id.value))
          return std::nullopt;
      }
      break;
    case PeerIdentity::Kind::kIp: {
      auto want = ip_address(id.value);
      if (!want) return Diagnostic{diag::kNameMismatch, "not an IP address: " + id.value};
      for (const auto& g : san) {
        if (g.type == GeneralName::Type::kIp && g.ip == want->ip) return std::nullopt;
      }
      break;
    }
    case PeerIdentity::Kind::kEmail: {
      const auto at = id.value.rfind('@');
      for (const auto& g : san) {
        if (g.type != GeneralName::Type::kRfc822 || at == std::string::npos) continue;
        const auto gat = g.text.rfind('@');
        if (gat == std::string::npos) continue;
        if (g.text.substr(0, gat) == id.value.substr(0, at) &&
            detail::ascii_lower(g.text.substr(gat + 1)) ==
                detail::ascii_lower(id.value.substr(at + 1)))
          return std::nullopt;
      }
      break;
    }
  }
  return Diagnostic{diag::kNameMismatch,
                    "no subjectAltName entry matches the expected identity " + id.value};
}

}  // namespace

// ---- one candidate path --------------------------------------------------------------------

PathReport process_path(PathContext& ctx, const std::vector<CertificatePtr>& chain) {
  const PathOptions& o = ctx.options;
  PathReport rep;
  rep.at = o.at;
  rep.rules = o.rules;
  const std::size_t n = chain.size() - 1;  // certificates to process (RFC 5280 6.1: n)
  rep.chain.resize(chain.size());
  for (std::size_t k = 0; k < chain.size(); ++k) {
    rep.chain[k].certificate = chain[k];
    rep.chain[k].role = k == 0 ? "target" : (k == n ? "trust_anchor" : "intermediate");
  }
  // RFC 5280 6.1.2 initialization.
  PolicyState policy(n, o);
  std::uint64_t max_path_length = n;
  NameConstraintState nc;
  const Certificate* working_issuer = chain[n].get();

  // The trust anchor certificate: validity, profile, and its name constraints (applied as
  // trust anchor constraints, RFC 5937 3.2 / what browsers do).
  {
    const Certificate& anchor = *chain[n];
    CertificateReport& cr = rep.chain[n];
    const auto at = std::chrono::floor<std::chrono::seconds>(o.at);
    check_validity_order(anchor, cr);
    if (at < anchor.validity().not_before)
      add_diag(cr, diag::kNotYetValid, "notBefore " + format_rfc3339(anchor.validity().not_before));
    if (at > anchor.validity().not_after)
      add_diag(cr, diag::kNotAfterPassed,
               "notAfter " + format_rfc3339(anchor.validity().not_after));
    for (auto& d : check_profile(anchor, Position::kAnchor, o.rules)) cr.diagnostics.push_back(d);
    nc.add(anchor, cr);
  }

  for (std::size_t i = 1; i <= n; ++i) {
    const std::size_t idx = n - i;  // index in chain (target = 0)
    const Certificate& cert = *chain[idx];
    CertificateReport& cr = rep.chain[idx];
    const bool is_leaf = i == n;
    const bool self_issued = names_match(cert.issuer(), cert.subject());

    // 6.1.3 (a)(1) signature, (a)(2) validity, (a)(4) issuer name.
    if (const auto& sig = edge_signature(ctx, cert, *working_issuer); !sig) {
      const auto [status, rule] = signature_finding(cert, sig.error());
      cr.diagnostics.push_back(Diagnostic{status, sig.error().to_string(), rule});
    }
    // RFC 5280 4.1.2.5: validity has a granularity of one second.
    const auto at = std::chrono::floor<std::chrono::seconds>(o.at);
    check_validity_order(cert, cr);
    if (at < cert.validity().not_before)
      add_diag(cr, diag::kNotYetValid, "notBefore " + format_rfc3339(cert.validity().not_before));
    if (at > cert.validity().not_after)
      add_diag(cr, diag::kNotAfterPassed, "notAfter " + format_rfc3339(cert.validity().not_after));
    if (!names_match(cert.issuer(), working_issuer->subject()))
      add_diag(cr, diag::kIssuerNameMismatch, "issuer does not match the issuer's subject");

    for (auto& d : check_profile(cert, is_leaf ? Position::kTarget : Position::kIntermediate,
                                 o.rules, working_issuer))
      cr.diagnostics.push_back(d);

    // 6.1.3 (b), (c): skipped for self-issued intermediates.
    if (is_leaf || !self_issued) {
      if (auto d = nc.check(cert, is_leaf, o.rules)) cr.diagnostics.push_back(std::move(*d));
    }

    // 6.1.3 (d)-(f): certificate policies.
    policy.process_certificate(cert, i, self_issued, cr);

    // Extensions common to every certificate.
    std::optional<BasicConstraints> bc;
    if (const Extension* e = cert.find_extension(der::oids::kBasicConstraints)) {
      auto v = parse_basic_constraints(e->value);
      if (v)
        bc = *v;
      else
        cr.diagnostics.push_back(Diagnostic{diag::kMalformedExtension,
                                            "basicConstraints: " + v.error().detail(),
                                            diag::lint::kBasicConstraintsMalformed});
    }
    std::optional<KeyUsageBits> key_usage;
    if (const Extension* e = cert.find_extension(der::oids::kKeyUsage)) {
      auto v = parse_key_usage(e->value);
      if (v)
        key_usage = *v;
      else
        cr.diagnostics.push_back(Diagnostic{diag::kMalformedExtension,
                                            "keyUsage: " + v.error().detail(),
                                            diag::lint::kKeyUsageMalformed});
    }
    // 6.1.4 (o) / 6.1.5 (f)
    for (const auto& e : cert.extensions()) {
      if (e.critical && !is_processed_extension(e.oid))
        cr.diagnostics.push_back(unknown_critical_finding(
            e.oid, "unrecognized critical extension " + e.oid.to_string()));
    }

    if (!is_leaf) {
      // 6.1.4 (a), (b): policy mappings.
      policy.apply_mappings(cert, i, cr);
      // 6.1.4 (c)-(f): next working key and issuer name.
      working_issuer = &cert;
      // 6.1.4 (g): name constraints.
      nc.add(cert, cr);
      // 6.1.4 (h), (i), (j): policy counters.
      policy.prepare_next(cert, self_issued, cr);
      // 6.1.4 (k): RFC 5280 4.2.1.9 an intermediate must be a CA (v1/v2 certificates cannot
      // show it and are refused).
      if (!bc || !bc->ca) add_diag(cr, diag::kNotCa, "basicConstraints cA is not asserted");
      // 6.1.4 (l), (m)
      if (!self_issued) {
        if (max_path_length == 0)
          add_diag(cr, diag::kPathLenExceeded,
                   "the path is longer than a pathLenConstraint allows");
        else
          --max_path_length;
      }
      if (bc && bc->path_len)
        max_path_length =
            std::min<std::uint64_t>(max_path_length, static_cast<std::uint64_t>(*bc->path_len));
      // 6.1.4 (n): RFC 5280 4.2.1.3 keyCertSign for certificate signing keys.
      if (key_usage && (*key_usage & ku(KeyUsageBit::kKeyCertSign)) == 0)
        add_diag(cr, diag::kKeyCertSignMissing, "keyUsage does not assert keyCertSign");
    } else {
      // 6.1.5 (a), (b), (g): policies; 6.1.6 output.
      rep.user_constrained_policy_set = policy.wrap_up(cert, cr);

      // The caller's requirements on the target.
      if (o.identity) {
        if (auto d = check_identity(cert, *o.identity)) cr.diagnostics.push_back(std::move(*d));
      }
      if (o.required_key_usage != 0 && key_usage &&
          (*key_usage & o.required_key_usage) != o.required_key_usage)
        add_diag(cr, diag::kKeyUsageMissing, "keyUsage lacks a required usage");
      if (!o.required_ekus.empty()) {
        if (const Extension* e = cert.find_extension(der::oids::kExtKeyUsage)) {
          auto eku = parse_extended_key_usage(e->value);
          if (!eku) {
            cr.diagnostics.push_back(Diagnostic{diag::kMalformedExtension,
                                                "extKeyUsage: " + eku.error().detail(),
                                                diag::lint::kEkuMalformed});
          } else {
            const bool any =
                o.rules == Rules::kRfc5280 &&
                std::find(eku->begin(), eku->end(), der::oids::kAnyExtendedKeyUsage) != eku->end();
            for (const auto& want : o.required_ekus) {
              if (!any && std::find(eku->begin(), eku->end(), want) == eku->end())
                add_diag(cr, diag::kEkuMissing, "extKeyUsage lacks " + want.to_string());
            }
          }
        } else if (o.rules == Rules::kWebPki) {
          add_diag(cr, diag::kEkuMissing, "no extKeyUsage (CA/B Forum BR 7.1.2.7.10)");
        }
      }
    }
  }

  bool ok = true;
  for (const auto& cr : rep.chain) ok = ok && cr.diagnostics.empty();

  // RFC 5280 6.1.3 (a)(3): revocation, once everything else holds (a structurally invalid path
  // needs no revocation lookups).
  if (ok && o.revocation != nullptr) {
    for (std::size_t idx = 0; idx < n; ++idx) {
      const Certificate& cert = *chain[idx];
      RevocationQuery q{
          cert, *chain[idx + 1], o.at, o.sm2_id, o.key_policy, [&ctx](const CertificatePtr& other) {
            if (ctx.recursion >= 3) return false;
            return validate_nested(ctx, other).valid;
          }};
      RevocationAnswer a = o.revocation->check(q);
      CertificateReport& cr = rep.chain[idx];
      cr.revocation = a.status;
      if (a.status == RevocationStatus::kRevoked)
        add_diag(cr, diag::kRevoked, std::string(a.diag) + ": " + a.detail);
      else if (a.status == RevocationStatus::kUnknown && o.require_revocation_status)
        add_diag(cr, diag::kRevocationUnknown, std::string(a.diag) + ": " + a.detail);
    }
  }

  rep.valid = true;
  rep.status = diag::kValid;
  // The first finding in processing order (anchor side first) names the overall status.
  for (std::size_t idx = chain.size(); idx-- > 0;) {
    if (!rep.chain[idx].diagnostics.empty()) {
      rep.valid = false;
      rep.status = rep.chain[idx].diagnostics.front().id;
      rep.rule = rep.chain[idx].diagnostics.front().rule.empty()
                     ? rep.status
                     : rep.chain[idx].diagnostics.front().rule;
      rep.detail = "certificate " + std::to_string(idx) + " (" + to_string(chain[idx]->subject()) +
                   "): " + rep.chain[idx].diagnostics.front().detail;
      break;
    }
  }
  return rep;
}

}  // namespace detail

PathReport validate_path(const CertificatePtr& target,
                         const std::vector<CertificatePtr>& intermediates,
                         const std::vector<CertificatePtr>& anchors, const PathOptions& options) {
  detail::PathContext ctx{intermediates, anchors, options};
  return detail::build_and_validate(ctx, target);
}

PathReport malformed_target_report(std::string detail, const PathOptions& options) {
  PathReport rep;
  rep.valid = false;
  rep.status = diag::kCertificateMalformed;
  rep.rule = diag::kCertificateMalformed;
  rep.detail = std::move(detail);
  rep.at = options.at;
  rep.rules = options.rules;
  return rep;
}

// ---- renderings -----------------------------------------------------------------------------

std::string path_report_json(const PathReport& r) {
  nlohmann::json j;
  j["valid"] = r.valid;
  j["status"] = std::string(r.status);
  if (!r.rule.empty()) j["rule"] = std::string(r.rule);
  if (!r.detail.empty()) j["detail"] = r.detail;
  j["validation_time"] = format_rfc3339(r.at);
  j["rules"] = std::string(rules_name(r.rules));
  j["paths_tried"] = r.paths_tried;
  auto chain = nlohmann::json::array();
  for (std::size_t k = 0; k < r.chain.size(); ++k) {
    const auto& cr = r.chain[k];
    nlohmann::json c;
    c["index"] = k;
    c["role"] = cr.role;
    if (cr.certificate) {
      c["subject"] = to_string(cr.certificate->subject());
      c["issuer"] = to_string(cr.certificate->issuer());
      c["serial"] = cr.certificate->serial_number().hex();
      c["not_before"] = format_rfc3339(cr.certificate->validity().not_before);
      c["not_after"] = format_rfc3339(cr.certificate->validity().not_after);
      c["fingerprint_sha256"] = cr.certificate->fingerprint_sha256();
    }
    if (cr.revocation) c["revocation"] = std::string(revocation_status_name(*cr.revocation));
    auto ds = nlohmann::json::array();
    for (const auto& d : cr.diagnostics) {
      nlohmann::json one{{"id", std::string(d.id)}, {"detail", d.detail}};
      one["rule"] = std::string(d.rule.empty() ? d.id : d.rule);
      ds.push_back(std::move(one));
    }
    c["diagnostics"] = ds;
    chain.push_back(c);
  }
  j["chain"] = chain;
  j["user_constrained_policy_set"] = r.user_constrained_policy_set;
  if (!r.unusable_inputs.empty()) j["unusable_inputs"] = r.unusable_inputs;
  return j.dump(2) + "\n";
}

std::string path_report_text(const PathReport& r) {
  std::string out = r.valid ? "valid" : "invalid: " + std::string(r.status);
  if (!r.valid && !r.rule.empty() && r.rule != r.status) out += " [" + std::string(r.rule) + "]";
  if (!r.valid && !r.detail.empty()) out += " (" + r.detail + ")";
  out += "\n";
  for (const auto& u : r.unusable_inputs) out += "  unusable input: " + u + "\n";
  for (std::size_t k = 0; k < r.chain.size(); ++k) {
    const auto& cr = r.chain[k];
    out += "  [" + std::to_string(k) + "] " + cr.role;
    if (cr.certificate) out += " " + to_string(cr.certificate->subject());
    if (cr.revocation)
      out += " (revocation: " + std::string(revocation_status_name(*cr.revocation)) + ")";
    out += "\n";
    for (const auto& d : cr.diagnostics) {
      out += "      " + std::string(d.id);
      if (!d.rule.empty()) out += " [" + std::string(d.rule) + "]";
      out += ": " + d.detail + "\n";
    }
  }
  return out;
}

}  // namespace hpki::x509
