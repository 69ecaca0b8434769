#include "x509/builder.h"

#include <algorithm>

#include "crypto/digest.h"
#include "der/oids.h"
#include "der/writer.h"
#include "x509/spki.h"

namespace hpki::x509 {

std::string expand_url_template(std::string_view tmpl, std::string_view base_url,
                                std::string_view ca_id, std::optional<std::int64_t> crl_shard) {
  const std::string shard = crl_shard ? "-" + std::to_string(*crl_shard) : std::string();
  std::string out(tmpl);
  for (auto [ph, value] : {std::pair<std::string_view, std::string_view>{"{base_url}", base_url},
                           {"{ca}", ca_id},
                           {"{shard}", shard}}) {
    for (auto pos = out.find(ph); pos != std::string::npos;
         pos = out.find(ph, pos + value.size())) {
      out.replace(pos, ph.size(), value);
    }
  }
  return out;
}

namespace {

Error refused(std::string detail) { return Error{ErrorCode::kPolicyRefused, std::move(detail)}; }

std::string subject_value(const SubjectData& d, std::string_view attr) {
  if (attr == "C") return d.country;
  if (attr == "ST") return d.province;
  if (attr == "L") return d.city;
  if (attr == "O") return d.organization;
  if (attr == "OU") return d.department;
  if (attr == "CN") return d.common_name;
  if (attr == "emailAddress") return d.email;
  if (attr == "organizationIdentifier") return d.organization_identifier;
  return {};
}

Result<Name> build_subject(const IssueParams& p) {
  const Profile& prof = *p.profile;
  std::vector<std::pair<std::string, std::string>> attrs;
  for (const auto& attr : prof.subject_order) {
    std::string v = subject_value(p.subject, attr);
    if (attr == "serialNumber") {
      // Identifiers placed as X.520 serialNumber (profile: subject-serial-number).
      for (const auto& [id, rule] : prof.identifiers) {
        auto it = p.subject.identifiers.find(id);
        if (rule.placement == IdentifierPlacement::kSubjectSerialNumber &&
            it != p.subject.identifiers.end()) {
          v = it->second;
        }
      }
    }
    attrs.emplace_back(attr, v);
  }
  for (const auto& req : prof.subject_required) {
    auto it =
        std::find_if(attrs.begin(), attrs.end(), [&](const auto& a) { return a.first == req; });
    if (it == attrs.end() || it->second.empty()) {
      return fail(refused("profile " + prof.name + " requires subject attribute " + req));
    }
  }
  return build_name(attrs);
}

struct ExtList {
  std::vector<Extension> items;
  Result<void> add(const der::Oid& oid, bool critical, Result<Bytes> value) {
    if (!value) return fail(value.error().with_context(std::string(der::oid_name(oid))));
    items.push_back(Extension{oid, critical, std::move(*value)});
    return {};
  }
};

Result<std::vector<GeneralName>> subject_alt_names(const IssueParams& p) {
  const Profile& prof = *p.profile;
  auto allowed = [&](std::string_view t) {
    return std::find(prof.san_allowed.begin(), prof.san_allowed.end(), t) != prof.san_allowed.end();
  };
  std::vector<GeneralName> out;
  auto add = [&](std::string_view type, const std::vector<std::string>& values,
                 Result<GeneralName> (*make)(std::string_view)) -> Result<void> {
    if (values.empty()) return {};
    if (!allowed(type)) {
      return fail(refused("profile " + prof.name + " does not allow " + std::string(type) +
                          " subject alternative names"));
    }
    for (const auto& v : values) {
      auto g = make(v);
      if (!g) return fail(g.error());
      if (std::find(out.begin(), out.end(), *g) == out.end()) out.push_back(std::move(*g));
    }
    return {};
  };
  HPKI_TRY(add("dns", p.subject.dns_names, dns_name));
  HPKI_TRY(add("ip", p.subject.ip_addresses, ip_address));
  HPKI_TRY(add("email", p.subject.emails, email_address));
  // RFC 5280 4.1.2.6: an e-mail address written as the subject's emailAddress attribute is
  // also an rfc822Name SAN (the subject attribute alone is for legacy implementations only).
  if (!p.subject.email.empty() && std::find(prof.subject_order.begin(), prof.subject_order.end(),
                                            "emailAddress") != prof.subject_order.end()) {
    auto g = HPKI_TRY(email_address(p.subject.email));
    if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(std::move(g));
  }
  HPKI_TRY(add("uri", p.subject.uris, uri_name));
  // Requested in the CSR: honoured where the profile allows that type, silently dropped else.
  for (const auto& e : p.requested_extensions) {
    if (e.oid != der::oids::kSubjectAltName) continue;
    auto names = parse_general_names(e.value);
    if (!names)
      return fail(Error{ErrorCode::kBadCsr, "requested subjectAltName: " + names.error().detail()});
    for (auto& g : *names) {
      std::string_view t = g.type == GeneralName::Type::kDns      ? "dns"
                           : g.type == GeneralName::Type::kIp     ? "ip"
                           : g.type == GeneralName::Type::kRfc822 ? "email"
                           : g.type == GeneralName::Type::kUri    ? "uri"
                                                                  : "";
      if (t.empty() || !allowed(t)) continue;
      g.raw.clear();
      if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(std::move(g));
    }
  }
  if (prof.san_required && out.empty()) {
    return fail(refused("profile " + prof.name + " requires a subject alternative name"));
  }
  if (prof.organization_names) {
    // Issue 16: a device or site certificate names only hosts of its own organization.
    const std::string& org = p.subject.organization;
    std::vector<GeneralName> names = out;
    if (looks_like_host(p.subject.common_name)) {
      auto cn = ip_address(p.subject.common_name);
      names.push_back(cn ? *cn : HPKI_TRY(dns_name(p.subject.common_name)));
    }
    const PermittedNames none;
    HPKI_TRY(check_permitted_names(names, p.permitted_names ? *p.permitted_names : none,
                                   org.empty() ? "the subject's organization" : org));
  }
  return out;
}

Result<void> add_identifiers(const IssueParams& p, const BuildSettings& s, ExtList& ext) {
  const Profile& prof = *p.profile;
  for (const auto& [id, rule] : prof.identifiers) {
    auto it = p.subject.identifiers.find(id);
    if (it == p.subject.identifiers.end() || it->second.empty()) {
      if (rule.required)
        return fail(refused("profile " + prof.name + " requires identifier " + id));
      continue;
    }
    const std::string& value = it->second;
    auto placement = rule.placement;
    if (placement == IdentifierPlacement::kGmt0015 && s.gmt0015_2023)
      placement = IdentifierPlacement::kGmt0015v2023;
    switch (placement) {
      case IdentifierPlacement::kNone:
      case IdentifierPlacement::kSubjectSerialNumber:
        break;  // handled in the subject
      case IdentifierPlacement::kGmt0015:
        if (id == "id_number") {
          HPKI_TRY(ext.add(der::oids::kGmIdentifyCode, false,
                           encode_identify_code({IdentifyCode::Kind::kResidentId, value},
                                                s.identify_code_style)));
        } else if (id == "insurance_number") {
          HPKI_TRY(
              ext.add(der::oids::kGmInsuranceNumber, false, encode_printable_identifier(value)));
        } else if (id == "org_code") {
          HPKI_TRY(
              ext.add(der::oids::kGmOrganizationCode, false, encode_printable_identifier(value)));
        }
        break;
      case IdentifierPlacement::kGmt0015v2023:
        if (id == "id_number") {
          HPKI_TRY(ext.add(der::oids::kGmResidentIdCardNumber, false,
                           encode_printable_identifier(value)));
        } else if (id == "insurance_number") {
          HPKI_TRY(
              ext.add(der::oids::kGmInsuranceNumber, false, encode_printable_identifier(value)));
        } else if (id == "org_code") {
          HPKI_TRY(ext.add(der::oids::kGmUnifiedSocialCreditCode, false,
                           encode_printable_identifier(value)));
        }
        break;
      case IdentifierPlacement::kHealthExtension: {
        auto oid = s.health_oids.find(id);
        if (oid == s.health_oids.end()) {
          return fail(Error{ErrorCode::kConfigInvalid,
                            "identifier " + id +
                                " goes into a health-system extension, but no OID is configured "
                                "for it (set [x509.health_oids] " +
                                id + " = \"<OID>\" in hpki.toml)"});
        }
        HPKI_TRY(ext.add(oid->second, false, encode_printable_identifier(value, true)));
        break;
      }
    }
  }
  return {};
}

}  // namespace

Result<Name> subject_name(const IssueParams& p) {
  if (p.profile == nullptr) return fail(ErrorCode::kInvalidArgument, "no profile");
  return build_subject(p);
}

Result<Bytes> generate_serial(Random& random) {
  Bytes serial(16);
  HPKI_TRY(random.fill(serial));
  // RFC 5280 4.1.2.2: positive, at most 20 octets; CA/B BR 7.1: >= 64 bits of CSPRNG output.
  // Top bit cleared (positive), next bit set (no leading zero octet, always 16 octets).
  serial[0] = static_cast<std::uint8_t>((serial[0] & 0x7f) | 0x40);
  return serial;
}

Result<Bytes> key_identifier(BytesView spki_der) {
  auto bits = HPKI_TRY(spki_public_key_bits(spki_der));
  return crypto::digest(crypto::HashAlg::kSha1, bits);
}

Result<Bytes> build_tbs_certificate(const IssueParams& p, const BuildSettings& s,
                                    crypto::SignatureAlg signature_alg) {
  if (p.profile == nullptr) return fail(ErrorCode::kInvalidArgument, "no profile");
  const Profile& prof = *p.profile;
  auto key = spki_key_spec(p.subject_spki);
  if (!key) return fail(Error{ErrorCode::kBadCsr, "subject public key: " + key.error().detail()});
  if (!prof.allows(*key)) {
    return fail(refused("profile " + prof.name + " does not allow " + crypto::key_spec_name(*key) +
                        " keys"));
  }
  const int days = p.validity_days.value_or(prof.default_days);
  if (days < 1 || days > prof.max_days) {
    return fail(refused("validity of " + std::to_string(days) + " days outside 1.." +
                        std::to_string(prof.max_days) + " allowed by profile " + prof.name));
  }
  if (p.serial.empty()) return fail(ErrorCode::kInvalidArgument, "no serial number");
  const auto not_before = std::chrono::floor<std::chrono::seconds>(p.not_before);
  const auto not_after = not_before + std::chrono::days(days) - std::chrono::seconds(1);

  Name subject = HPKI_TRY(build_subject(p));
  const bool self_signed = p.issuer == nullptr;
  const Name& issuer_name = self_signed ? subject : p.issuer->subject;
  const std::string ca_id = self_signed ? std::string() : p.issuer->ca_id;
  Bytes ski = HPKI_TRY(key_identifier(p.subject_spki));

  ExtList ext;
  const bool is_ca = prof.kind != CertKind::kEndEntity;
  if (prof.basic_constraints) {
    // RFC 5280 4.2.1.9: MUST be critical in CA certificates; hpki marks it critical always.
    HPKI_TRY(ext.add(
        der::oids::kBasicConstraints, true,
        encode_basic_constraints({.ca = is_ca, .path_len = is_ca ? prof.path_len : std::nullopt})));
  }
  // RFC 5280 4.2.1.3: keyUsage SHOULD be critical.
  HPKI_TRY(ext.add(der::oids::kKeyUsage, true, encode_key_usage(prof.key_usage_for(key->type))));
  if (!prof.extended_key_usage.empty()) {
    std::vector<der::Oid> ekus;
    for (const auto& o : prof.extended_key_usage)
      ekus.push_back(HPKI_TRY(der::Oid::from_string(o)));
    HPKI_TRY(ext.add(der::oids::kExtKeyUsage, prof.extended_key_usage_critical,
                     encode_extended_key_usage(ekus)));
  }
  // RFC 5280 4.2.1.2 (SKI) and 4.2.1.1 (AKI; for self-signed the key's own identifier).
  HPKI_TRY(ext.add(der::oids::kSubjectKeyIdentifier, false, encode_subject_key_identifier(ski)));
  HPKI_TRY(ext.add(der::oids::kAuthorityKeyIdentifier, false,
                   encode_authority_key_identifier(
                       self_signed ? BytesView(ski) : BytesView(p.issuer->subject_key_id))));
  auto sans = HPKI_TRY(subject_alt_names(p));
  if (!sans.empty()) {
    // RFC 5280 4.2.1.6: critical when the subject is empty.
    HPKI_TRY(ext.add(der::oids::kSubjectAltName, subject.empty(), encode_general_names(sans)));
  } else if (subject.empty()) {
    return fail(refused("a certificate needs a subject name or a subject alternative name"));
  }
  if (!self_signed) {
    std::vector<std::string> crl, ocsp, issuers;
    auto expand = [&](const std::string& t) {
      return expand_url_template(t, s.base_url, ca_id, p.crl_shard);
    };
    for (const auto& t : prof.crl_distribution_points) crl.push_back(expand(t));
    for (const auto& t : prof.ocsp_urls) ocsp.push_back(expand(t));
    for (const auto& t : prof.ca_issuers_urls) issuers.push_back(expand(t));
    if (!crl.empty())
      HPKI_TRY(
          ext.add(der::oids::kCrlDistributionPoints, false, encode_crl_distribution_points(crl)));
    if (!ocsp.empty() || !issuers.empty()) {
      HPKI_TRY(ext.add(der::oids::kAuthorityInfoAccess, false,
                       encode_authority_info_access(ocsp, issuers)));
    }
  }
  if (!prof.policies.empty()) {
    std::vector<PolicyQualifiedInfo> pol;
    for (const auto& pi : prof.policies) {
      PolicyQualifiedInfo q{HPKI_TRY(der::Oid::from_string(pi.oid)), {}};
      if (!pi.cps_uri.empty()) q.cps_uris.push_back(pi.cps_uri);
      pol.push_back(std::move(q));
    }
    HPKI_TRY(ext.add(der::oids::kCertificatePolicies, false, encode_certificate_policies(pol)));
  }
  if (is_ca && (!prof.permitted_dns.empty() || !prof.excluded_dns.empty())) {
    NameConstraints nc;
    for (const auto& d : prof.permitted_dns) nc.permitted.push_back(HPKI_TRY(dns_name(d)));
    for (const auto& d : prof.excluded_dns) nc.excluded.push_back(HPKI_TRY(dns_name(d)));
    // RFC 5280 4.2.1.10: MUST be critical.
    HPKI_TRY(ext.add(der::oids::kNameConstraints, true, encode_name_constraints(nc)));
  }
  if (prof.ocsp_nocheck)
    ext.items.push_back(Extension{der::oids::kOcspNoCheck, false, encode_ocsp_nocheck()});
  HPKI_TRY(add_identifiers(p, s, ext));

  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& t) -> Result<void> {
    t.add_explicit(0, [](der::Writer& v) { v.add_integer(2); });  // v3
    HPKI_TRY(t.add_integer_bytes(p.serial));
    HPKI_TRY(t.add_raw(algorithm_identifier_der(signature_alg)));
    HPKI_TRY(t.add_raw(issuer_name.der));
    HPKI_TRY(t.add_sequence([&](der::Writer& v) -> Result<void> {
      HPKI_TRY(v.add_time(not_before));
      return v.add_time(not_after);
    }));
    HPKI_TRY(t.add_raw(subject.der));
    HPKI_TRY(t.add_raw(p.subject_spki));  // copied, never re-encoded
    t.add_explicit(3, [&](der::Writer& x) {
      x.add_sequence([&](der::Writer& list) {
        for (const auto& e : ext.items) {
          list.add_sequence([&](der::Writer& one) {
            one.add_oid(e.oid);
            if (e.critical) one.add_boolean(true);
            one.add_octet_string(e.value);
          });
        }
      });
    });
    return {};
  }));
  return w.take();
}

Bytes assemble_certificate(BytesView tbs, crypto::SignatureAlg alg, BytesView signature) {
  der::Writer w;
  w.add_sequence([&](der::Writer& c) {
    (void)c.add_raw(tbs);
    (void)c.add_raw(algorithm_identifier_der(alg));
    (void)c.add_bit_string(signature);
  });
  return w.take();
}

Result<IssuedCertificate> lint_and_sign(BytesView tbs, const LintContext& ctx,
                                        const crypto::Signer& signer) {
  IssuedCertificate out;
  auto findings = HPKI_TRY(lint_tbs_certificate(tbs, ctx));
  if (has_errors(findings)) {
    return fail(ErrorCode::kLintFailed,
                "certificate not signed, lint found errors:\n" + format_findings(findings));
  }
  Bytes sig = HPKI_TRY(signer.sign(tbs));
  out.der = assemble_certificate(tbs, signer.algorithm(), sig);
  out.findings = std::move(findings);
  return out;
}

Result<IssuedCertificate> issue_certificate(const IssueParams& p, const BuildSettings& s,
                                            const crypto::Signer& signer,
                                            const Certificate* issuer_cert) {
  Bytes tbs = HPKI_TRY(build_tbs_certificate(p, s, signer.algorithm()));
  // Self-signed: the signer's key must be the subject key.
  if (p.issuer == nullptr && signer.public_key_der() != p.subject_spki) {
    return fail(ErrorCode::kKeyMismatch,
                "self-signed certificate: signer key differs from the subject key");
  }
  LintContext ctx{.profile = p.profile,
                  .issuer = issuer_cert,
                  .cabf_server = p.profile->cabf_server,
                  .health_oids = s.health_oids};
  return lint_and_sign(tbs, ctx, signer);
}

}  // namespace hpki::x509
