// The certificate profile checks of path validation (detail/path_profile.h).
#include "x509/detail/path_profile.h"

#include <algorithm>
#include <set>
#include <string>

#include "crypto/key.h"
#include "der/oids.h"
#include "x509/detail/name_match.h"
#include "x509/detail/path_name_constraints.h"
#include "x509/diag.h"
#include "x509/profile.h"

namespace hpki::x509::detail {
namespace {

// RFC 5952 4 text form of an IPv6 address; dotted decimal for IPv4.
std::string canonical_ip(const Bytes& ip) {
  std::string out;
  if (ip.size() == 4) {
    for (std::size_t i = 0; i < 4; ++i) out += (i ? "." : "") + std::to_string(ip[i]);
    return out;
  }
  if (ip.size() != 16) return out;
  std::uint16_t g[8];
  for (std::size_t i = 0; i < 8; ++i)
    g[i] = static_cast<std::uint16_t>((ip[2 * i] << 8) | ip[2 * i + 1]);
  // RFC 5952 4.2.2, 4.2.3: the longest run (first if tied) of two or more zero groups is "::".
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::string h;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const char c = kHex[(g[i] >> shift) & 0xF];
      if (h.empty() && c == '0' && shift != 0) continue;
      h += c;
    }
    out += h;
  }
  return out;
}

}  // namespace

// RFC 5280 6.1.4 (o) / 6.1.5 (f): what the validator processes (the header says why).
bool is_processed_extension(const der::Oid& oid) {
  namespace o = der::oids;
  return oid == o::kBasicConstraints || oid == o::kKeyUsage || oid == o::kExtKeyUsage ||
         oid == o::kSubjectAltName || oid == o::kNameConstraints ||
         oid == o::kCertificatePolicies || oid == o::kPolicyMappings ||
         oid == o::kPolicyConstraints || oid == o::kInhibitAnyPolicy ||
         oid == o::kSubjectKeyIdentifier || oid == o::kAuthorityKeyIdentifier ||
         oid == o::kCrlDistributionPoints;
}

std::vector<Diagnostic> check_profile(const Certificate& cert, Position pos, Rules rules) {
  std::vector<Diagnostic> out;
  auto bad = [&](std::string detail) {
    out.push_back(Diagnostic{diag::kProfileViolation, std::move(detail)});
  };
  auto bad_web = [&](std::string detail) {
    if (rules == Rules::kWebPki) out.push_back(Diagnostic{diag::kWebPkiProfile, std::move(detail)});
  };
  const bool is_ca = pos != Position::kTarget;
  const bool self_signed = names_match(cert.issuer(), cert.subject());

  // RFC 5280 4.2: at most one instance of an extension.
  std::set<der::Oid> seen;
  for (const auto& e : cert.extensions()) {
    if (!seen.insert(e.oid).second) bad("duplicate extension " + e.oid.to_string());
  }
  // RFC 5280 4.1.2.2: serial numbers of at most 20 octets.
  if (cert.serial().size() > 20) bad("serialNumber longer than 20 octets");
  // RFC 5480 2.1.1: EC keys name their curve (no implicit or specified curves).
  if (cert.spki_algorithm().oid == der::oids::kEcPublicKey &&
      (cert.spki_algorithm().parameters.empty() || cert.spki_algorithm().parameters[0] != 0x06))
    bad("EC public key without a named curve");

  std::optional<BasicConstraints> bc;
  const Extension* bc_ext = cert.find_extension(der::oids::kBasicConstraints);
  if (bc_ext) {
    if (auto v = parse_basic_constraints(bc_ext->value)) bc = *v;
  }
  std::optional<KeyUsageBits> key_usage;
  if (const Extension* e = cert.find_extension(der::oids::kKeyUsage)) {
    if (auto v = parse_key_usage(e->value))
      key_usage = *v;
    else
      bad("keyUsage: " + v.error().detail());
  }
  // RFC 5280 4.2.1.9: keyCertSign requires cA.
  if (key_usage && (*key_usage & ku(KeyUsageBit::kKeyCertSign)) != 0 && !(bc && bc->ca))
    bad("keyCertSign asserted without basicConstraints cA");

  // RFC 5280 4.2.1.1: the keyIdentifier of authorityKeyIdentifier in every certificate but a
  // self-signed one.
  const Extension* aki_ext = cert.find_extension(der::oids::kAuthorityKeyIdentifier);
  std::optional<AuthorityKeyIdentifier> aki;
  if (aki_ext) {
    if (auto v = parse_authority_key_identifier(aki_ext->value))
      aki = *v;
    else
      bad("authorityKeyIdentifier: " + v.error().detail());
  }
  if (!self_signed && pos != Position::kAnchor && !(aki && aki->key_id))
    bad("no authorityKeyIdentifier keyIdentifier (RFC 5280 4.2.1.1)");
  if (pos == Position::kAnchor && aki) {
    // CA/B Forum BR 7.1.2.1.3: a root's AKI has only the keyIdentifier.
    if (!aki->key_id) bad_web("root authorityKeyIdentifier without keyIdentifier");
    if (!aki->issuer.empty() || aki->serial)
      bad_web("root authorityKeyIdentifier with authorityCertIssuer/SerialNumber");
  }
  // RFC 5280 4.2.1.2: subjectKeyIdentifier in every CA certificate.
  if (is_ca && cert.find_extension(der::oids::kSubjectKeyIdentifier) == nullptr)
    bad("CA certificate without subjectKeyIdentifier (RFC 5280 4.2.1.2)");
  // RFC 5280 4.1.2.6: a CA has a non-empty subject.
  if (is_ca && cert.subject().empty()) bad("CA certificate with an empty subject");

  // RFC 5280 4.2.1.6: subjectAltName well-formed, critical when the subject is empty.
  std::vector<GeneralName> san;
  if (const Extension* e = cert.find_extension(der::oids::kSubjectAltName)) {
    if (auto v = parse_general_names(e->value))
      san = *v;
    else
      bad("subjectAltName: " + v.error().detail());
    if (cert.subject().empty() && !e->critical)
      bad("subjectAltName not critical although the subject is empty");
    if (!cert.subject().empty() && e->critical)
      bad_web("subjectAltName critical although the subject is not empty (BR 7.1.2.7.12)");
    for (const auto& g : san) {
      if (g.type == GeneralName::Type::kDns && !valid_dns_name(g.text, true))
        bad("subjectAltName dNSName \"" + g.text + "\" is not a valid DNS name");
    }
  }
  std::optional<std::vector<der::Oid>> eku;
  const Extension* eku_ext = cert.find_extension(der::oids::kExtKeyUsage);
  if (eku_ext) {
    if (auto v = parse_extended_key_usage(eku_ext->value))
      eku = *v;
    else
      bad("extKeyUsage: " + v.error().detail());
  }
  // RFC 5280 4.2.1.10: name constraints only in CA certificates, critical, well-formed.
  if (const Extension* e = cert.find_extension(der::oids::kNameConstraints)) {
    if (!is_ca && !(bc && bc->ca)) bad("nameConstraints in an end-entity certificate");
    if (!e->critical && rules == Rules::kRfc5280) bad("nameConstraints not critical");
    if (auto v = parse_name_constraints(e->value)) {
      for (const auto* list : {&v->permitted, &v->excluded}) {
        for (const auto& g : *list) {
          if (auto why = malformed_constraint(g)) bad(*why);
        }
      }
    }
  }
  // RFC 5280 4.2.1.11 says conforming CAs mark policyConstraints critical, but NIST PKITS
  // (4.8, 4.10, 4.12) expects paths through non-critical ones to be valid: not checked.

  if (pos == Position::kAnchor) {
    // A trust anchor given as a certificate must be a CA certificate (RFC 5280 4.2.1.9:
    // basicConstraints present and critical with cA; keyUsage, if present, with keyCertSign).
    if (!bc || !bc->ca)
      bad("trust anchor without basicConstraints cA");
    else if (!bc_ext->critical)
      bad("trust anchor basicConstraints not critical");
    if (key_usage && (*key_usage & ku(KeyUsageBit::kKeyCertSign)) == 0)
      bad("trust anchor keyUsage without keyCertSign");
    for (const auto& e : cert.extensions()) {
      if (e.critical && !is_processed_extension(e.oid))
        bad("trust anchor has the unrecognized critical extension " + e.oid.to_string());
    }
    if (eku) bad_web("root certificate with extKeyUsage (BR 7.1.2.1.2)");
  }

  if (rules == Rules::kWebPki) {
    // BR 6.1.5: RSA moduli of at least 2048 bits, a multiple of 8.
    if (cert.spki_algorithm().oid == der::oids::kRsaEncryption) {
      auto key = crypto::PublicKey::from_spki(
          cert.spki_der(), crypto::VerifyPolicy{.allow_legacy_rsa_insecure = true});
      if (!key || key->spec().rsa_bits < 2048 || key->spec().rsa_bits % 8 != 0)
        bad_web("RSA key size not allowed (BR 6.1.5: >= 2048 bits, multiple of 8)");
    }
    if (pos == Position::kTarget) {
      // BR 7.1.2.7.8 / 7.1.2.7.11: a subscriber certificate is not a CA.
      if ((bc && bc->ca) || (key_usage && (*key_usage & ku(KeyUsageBit::kKeyCertSign)) != 0))
        bad_web("CA certificate in the end-entity position");
      // BR 7.1.2.7.10 / 7.1.2.7.6: extKeyUsage present, not critical, no anyExtendedKeyUsage.
      if (!eku_ext)
        bad_web("end-entity certificate without extKeyUsage");
      else if (eku_ext->critical)
        bad_web("critical extKeyUsage");
      if (eku && std::find(eku->begin(), eku->end(), der::oids::kAnyExtendedKeyUsage) != eku->end())
        bad_web("anyExtendedKeyUsage in an end-entity certificate");
      // BR 7.1.4.3: a commonName is a character-for-character copy of a SAN entry (IP
      // addresses in their RFC 3986 / RFC 5952 text form).
      for (const auto& rdn : cert.subject().rdns) {
        for (const auto& atv : rdn) {
          if (atv.type != der::oids::kCommonName) continue;
          const std::string& cn = atv.value;
          bool copy = false, same_identity = false;
          for (const auto& g : san) {
            if (g.type == GeneralName::Type::kDns) {
              copy = copy || g.text == cn;
              same_identity = same_identity || ascii_lower(g.text) == ascii_lower(cn);
            }
            if (g.type == GeneralName::Type::kIp) copy = copy || canonical_ip(g.ip) == cn;
          }
          // A legacy commonName naming some other FQDN is tolerated; one that encodes an
          // identity differently (case, IP literal forms, U-label or A-label IDNs) is not.
          const std::string lower = ascii_lower(cn);
          const bool fqdn = valid_dns_name(cn, true) && cn.find('.') != std::string::npos &&
                            lower.find("xn--") == std::string::npos;
          if (!copy && (same_identity || !fqdn))
            bad_web("commonName \"" + cn +
                    "\" is not a character-for-character copy of a SAN entry");
        }
      }
    }
  }
  return out;
}

}  // namespace hpki::x509::detail
