// The certificate profile checks of path validation (detail/path_profile.h).
#include "x509/detail/path_profile.h"

#include <algorithm>
#include <set>
#include <string>

#include "crypto/key.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
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

struct RsaExponent {
  bool odd_at_least_3 = false;
};
// The public exponent of an RSA SubjectPublicKeyInfo (RFC 8017 A.1.1 RSAPublicKey).
std::optional<RsaExponent> rsa_public_exponent(BytesView spki) {
  der::Reader r(spki);
  auto outer = r.read_sequence();
  if (!outer) return std::nullopt;
  if (!outer->read_sequence()) return std::nullopt;  // AlgorithmIdentifier
  auto bits = outer->read_bit_string();
  if (!bits) return std::nullopt;
  der::Reader key(bits->bytes);
  auto seq = key.read_sequence();
  if (!seq) return std::nullopt;
  if (!seq->read_integer()) return std::nullopt;  // modulus
  auto e = seq->read_integer();
  if (!e || e->empty() || (e->front() & 0x80) != 0) return std::nullopt;
  const bool at_least_3 = e->size() > 1 || e->back() >= 3;
  return RsaExponent{.odd_at_least_3 = at_least_3 && (e->back() & 1) != 0};
}

// Whether an encoded GeneralNames holds an rfc822Name, dNSName or URI (IA5String) with a
// non-ASCII octet: a U-label where RFC 5280 7.2 / 7.3 / 7.5 require an A-label.
bool has_non_ascii_ia5_name(BytesView general_names) {
  der::Reader r(general_names);
  auto seq = r.read_sequence();
  if (!seq) return false;
  while (!seq->at_end()) {
    auto el = seq->read_tlv();
    if (!el) return false;
    const auto n = el->tag.number();
    if (el->tag.cls() != der::TagClass::kContextSpecific || el->tag.constructed() ||
        (n != 1 && n != 2 && n != 6))
      continue;
    if (std::any_of(el->value.begin(), el->value.end(), [](auto b) { return b >= 0x80; }))
      return true;
  }
  return false;
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

Diagnostic unknown_critical_finding(const der::Oid& oid, std::string detail) {
  std::string_view rule;
  // RFC 5280 4.2.1.7: issuerAltName SHOULD NOT be critical; 4.2.1.8: subjectDirectoryAttributes
  // MUST be non-critical.
  if (oid == der::oids::kIssuerAltName) rule = diag::path_rule::kIanCritical;
  if (oid == der::oids::kSubjectDirectoryAttributes) rule = diag::path_rule::kSdaCritical;
  // CA/B BR 7.1.2.9: a precertificate is never accepted as a certificate.
  if (oid == der::oids::kCtPrecertPoison) rule = diag::path_rule::kCabfPrecertPoison;
  return Diagnostic{diag::kUnknownCriticalExtension, std::move(detail), rule};
}

std::vector<Diagnostic> check_profile(const Certificate& cert, Position pos, Rules rules,
                                      const Certificate* issuer) {
  namespace rule = diag::lint;
  namespace path_rule = diag::path_rule;
  std::vector<Diagnostic> out;
  // Each finding names its rule (rules.h, docs/rules.md).
  auto bad = [&](std::string_view id, std::string detail) {
    out.push_back(Diagnostic{diag::kProfileViolation, std::move(detail), id});
  };
  auto bad_web = [&](std::string_view id, std::string detail) {
    if (rules == Rules::kWebPki)
      out.push_back(Diagnostic{diag::kWebPkiProfile, std::move(detail), id});
  };
  const bool is_ca = pos != Position::kTarget;
  // Self-signed: issued by its own key. On the path, an anchor with its own name, or a
  // certificate whose issuer there has the same name and key (a target that is the anchor).
  const bool self_signed = names_match(cert.issuer(), cert.subject()) &&
                           (issuer == nullptr || (names_match(issuer->subject(), cert.subject()) &&
                                                  issuer->spki_der() == cert.spki_der()));

  // BR 7.1.1: X.509 v3. Checked first: a v1/v2 certificate has no extensions, so every
  // extension rule below would report it under another name.
  if (pos != Position::kAnchor && cert.version() != 3)
    bad_web(path_rule::kCabfNotV3, "not an X.509 v3 certificate (BR 7.1.1)");
  // RFC 5280 4.2: at most one instance of an extension.
  std::set<der::Oid> seen;
  for (const auto& e : cert.extensions()) {
    if (!seen.insert(e.oid).second)
      bad(rule::kDuplicateExtension, "duplicate extension " + e.oid.to_string());
  }
  // RFC 5280 4.1.2.2: serial numbers of at most 20 octets, not zero. Negative serials are
  // tolerated ("users SHOULD be prepared to gracefully handle" them; NIST PKITS 4.4.14).
  if (cert.serial().size() > 20) bad(rule::kSerialTooLong, "serialNumber longer than 20 octets");
  // A trust anchor is an input (RFC 5280 6.1.1 (d)), not checked for it: real roots have serial 0.
  if (pos != Position::kAnchor && cert.serial().size() == 1 && cert.serial()[0] == 0)
    bad(path_rule::kSerialZero, "serialNumber is zero");
  // RFC 5480 2.1.1: EC keys name their curve (no implicit or specified curves).
  if (cert.spki_algorithm().oid == der::oids::kEcPublicKey &&
      (cert.spki_algorithm().parameters.empty() || cert.spki_algorithm().parameters[0] != 0x06))
    bad(path_rule::kEcKeyWithoutNamedCurve, "EC public key without a named curve");

  std::optional<BasicConstraints> bc;
  const Extension* bc_ext = cert.find_extension(der::oids::kBasicConstraints);
  if (bc_ext) {
    // RFC 5280 4.2.1.9: basicConstraints in DER (no cA FALSE, pathLenConstraint 0..MAX).
    if (auto v = parse_basic_constraints(bc_ext->value))
      bc = *v;
    else
      bad(rule::kBasicConstraintsMalformed, "basicConstraints: " + v.error().detail());
  }
  std::optional<KeyUsageBits> key_usage;
  if (const Extension* e = cert.find_extension(der::oids::kKeyUsage)) {
    if (auto v = parse_key_usage(e->value))
      key_usage = *v;
    else
      bad(rule::kKeyUsageMalformed, "keyUsage: " + v.error().detail());
  }
  // RFC 5280 4.2.1.3 / 4.2.1.9: keyCertSign requires basicConstraints with cA TRUE (4.2.1.9:
  // such a certificate MUST include basicConstraints; 4.2.1.3: cA MUST be asserted).
  if (key_usage && (*key_usage & ku(KeyUsageBit::kKeyCertSign)) != 0 && !(bc && bc->ca)) {
    if (bc_ext == nullptr)
      bad(rule::kCaBasicConstraintsMissing,
          "keyCertSign asserted in a certificate without basicConstraints");
    else
      bad(rule::kKeyCertSignWithoutCa, "keyCertSign asserted without basicConstraints cA");
  }
  // CA/B BR 7.1.2.10.4: a subordinate CA's basicConstraints is critical (RFC 5280 6.1.4 (k)
  // checks presence only; the trust anchor: e_basic_constraints_not_critical).
  if (pos == Position::kIntermediate && bc && bc->ca && !bc_ext->critical)
    bad_web(path_rule::kCabfCaBasicConstraints,
            "CA certificate with a non-critical basicConstraints (BR 7.1.2.10.4)");

  // RFC 5280 4.2.1.1: the keyIdentifier of authorityKeyIdentifier in every certificate of the
  // path but a self-signed one; never critical. A trust anchor is an input (RFC 5280 6.1.1 (d):
  // its name and key), so a cross-signed anchor without AKI is accepted.
  const Extension* aki_ext = cert.find_extension(der::oids::kAuthorityKeyIdentifier);
  std::optional<AuthorityKeyIdentifier> aki;
  if (aki_ext) {
    if (auto v = parse_authority_key_identifier(aki_ext->value))
      aki = *v;
    else
      bad(rule::kAkiMalformed, "authorityKeyIdentifier: " + v.error().detail());
    if (aki_ext->critical) bad(rule::kAkiCritical, "authorityKeyIdentifier is critical");
  }
  if (!self_signed && pos != Position::kAnchor) {
    if (!aki_ext)
      bad(rule::kAkiMissing, "no authorityKeyIdentifier (RFC 5280 4.2.1.1)");
    else if (aki && !aki->key_id)
      bad(rule::kAkiNoKeyId, "authorityKeyIdentifier without keyIdentifier (RFC 5280 4.2.1.1)");
  }
  // RFC 5280 4.2.1.2: subjectKeyIdentifier in every CA certificate, never critical.
  const Extension* ski_ext = cert.find_extension(der::oids::kSubjectKeyIdentifier);
  std::optional<Bytes> ski;
  if (ski_ext) {
    if (auto v = parse_subject_key_identifier(ski_ext->value))
      ski = *v;
    else
      bad(rule::kSkiMalformed, "subjectKeyIdentifier: " + v.error().detail());
    if (ski_ext->critical) bad(rule::kSkiCritical, "subjectKeyIdentifier is critical");
  }
  if (is_ca && ski_ext == nullptr)
    bad(rule::kSkiMissing, "CA certificate without subjectKeyIdentifier (RFC 5280 4.2.1.2)");
  if (pos == Position::kAnchor && aki) {
    // CA/B Forum BR 7.1.2.1.3: a root's AKI has only the keyIdentifier, equal to its SKI.
    if (!aki->key_id)
      bad_web(path_rule::kCabfRootAki, "root authorityKeyIdentifier without keyIdentifier");
    if (!aki->issuer.empty() || aki->serial)
      bad_web(path_rule::kCabfRootAki,
              "root authorityKeyIdentifier with authorityCertIssuer/SerialNumber");
    if (self_signed && aki->key_id && ski && *aki->key_id != *ski)
      bad_web(path_rule::kCabfRootAkiNotSki,
              "root authorityKeyIdentifier differs from its subjectKeyIdentifier");
  }
  // RFC 5280 4.1.2.6: a CA has a non-empty subject.
  if (is_ca && cert.subject().empty())
    bad(rule::kCaSubjectEmpty, "CA certificate with an empty subject");

  // RFC 5280 4.2.1.6: subjectAltName well-formed, critical when the subject is empty.
  std::vector<GeneralName> san;
  if (const Extension* e = cert.find_extension(der::oids::kSubjectAltName)) {
    if (auto v = parse_general_names(e->value))
      san = *v;
    else if (has_non_ascii_ia5_name(e->value))
      // RFC 5280 7.2 / 7.3 / 7.5: internationalized names are stored as A-labels (ASCII).
      bad(path_rule::kIdnALabel,
          "subjectAltName: a dNSName, rfc822Name or URI is not ASCII "
          "(internationalized names are stored as A-labels)");
    else
      bad(rule::kSanMalformed, "subjectAltName: " + v.error().detail());
    if (cert.subject().empty() && !e->critical)
      bad(rule::kSanNotCriticalEmptySubject,
          "subjectAltName not critical although the subject is empty");
    if (!cert.subject().empty() && e->critical)
      bad_web(rule::kSanCriticalWithSubject,
              "subjectAltName critical although the subject is not empty (BR 7.1.2.7.12)");
    for (const auto& g : san) {
      // CA/B BR 1.6.1 (all rule sets): a "*" only as the whole leftmost label.
      if (g.type == GeneralName::Type::kDns && !g.text.empty() && !valid_dns_name(g.text, true))
        bad(g.text.find('*') != std::string::npos ? rule::kCabfBadWildcard
                                                  : path_rule::kSanDnsSyntax,
            "subjectAltName dNSName \"" + g.text + "\" is not a valid DNS name");
      if ((g.type == GeneralName::Type::kDns || g.type == GeneralName::Type::kRfc822 ||
           g.type == GeneralName::Type::kUri) &&
          g.text.empty())
        bad(rule::kSanEmptyName, "subjectAltName with an empty name");
      if (g.type == GeneralName::Type::kIp && g.ip.size() != 4 && g.ip.size() != 16)
        bad(rule::kSanIpLength,
            "subjectAltName iPAddress of " + std::to_string(g.ip.size()) + " octets (4 or 16)");
      if (g.type == GeneralName::Type::kRfc822 && !g.text.empty() && !valid_mailbox(g.text))
        bad(path_rule::kSanRfc822Syntax,
            "subjectAltName rfc822Name \"" + g.text + "\" is not a mailbox (local-part@domain)");
    }
  } else if (cert.subject().empty()) {
    bad(rule::kSubjectEmptyWithoutSan, "empty subject and no subjectAltName");
  }
  std::optional<std::vector<der::Oid>> eku;
  const Extension* eku_ext = cert.find_extension(der::oids::kExtKeyUsage);
  if (eku_ext) {
    if (auto v = parse_extended_key_usage(eku_ext->value))
      eku = *v;
    else
      bad(rule::kEkuMalformed, "extKeyUsage: " + v.error().detail());
  }
  // RFC 5280 4.2.2.1, 4.2.2.2: authority / subject information access, SIZE (1..MAX).
  if (const Extension* e = cert.find_extension(der::oids::kAuthorityInfoAccess)) {
    if (auto v = parse_authority_info_access(e->value); !v)
      bad(rule::kAiaMalformed, "authorityInfoAccess: " + v.error().detail());
    if (e->critical) bad(path_rule::kAiaCritical, "authorityInfoAccess is critical");
  }
  if (const Extension* e = cert.find_extension(der::oids::kSubjectInfoAccess)) {
    if (auto v = parse_authority_info_access(e->value); !v)
      bad(path_rule::kSiaMalformed, "subjectInfoAccess: " + v.error().detail());
    if (e->critical) bad(path_rule::kSiaCritical, "subjectInfoAccess is critical");
  }
  // RFC 5280 4.2.1.13: cRLDistributionPoints well-formed (SIZE (1..MAX), a point names a
  // distribution point or a cRLIssuer).
  if (const Extension* e = cert.find_extension(der::oids::kCrlDistributionPoints)) {
    if (auto v = parse_crl_distribution_points(e->value); !v)
      bad(path_rule::kCrlDpMalformed, "cRLDistributionPoints: " + v.error().detail());
  }
  // RFC 5280 4.2.1.10: name constraints only in CA certificates, critical, well-formed.
  if (const Extension* e = cert.find_extension(der::oids::kNameConstraints)) {
    if (!is_ca && !(bc && bc->ca))
      bad(rule::kNameConstraintsNotCa, "nameConstraints in an end-entity certificate");
    if (!e->critical && rules == Rules::kRfc5280)
      bad(rule::kNameConstraintsNotCritical, "nameConstraints not critical");
    if (auto v = parse_name_constraints(e->value)) {
      for (const auto* list : {&v->permitted, &v->excluded}) {
        for (const auto& g : *list) {
          if (auto why = malformed_constraint(g)) bad(path_rule::kNameConstraintForm, *why);
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
      bad(path_rule::kAnchorNotCa, "trust anchor without basicConstraints cA");
    else if (!bc_ext->critical)
      bad(rule::kBasicConstraintsNotCritical, "trust anchor basicConstraints not critical");
    if (key_usage && (*key_usage & ku(KeyUsageBit::kKeyCertSign)) == 0)
      bad(rule::kCaWithoutKeyCertSign, "trust anchor keyUsage without keyCertSign");
    for (const auto& e : cert.extensions()) {
      if (e.critical && !is_processed_extension(e.oid))
        out.push_back(unknown_critical_finding(
            e.oid, "trust anchor has the unrecognized critical extension " + e.oid.to_string()));
    }
    if (eku) bad_web(path_rule::kCabfRootEku, "root certificate with extKeyUsage (BR 7.1.2.1.2)");
  }

  if (rules == Rules::kWebPki) {
    // BR 6.1.5 with the Chrome and Mozilla root policies: RSA of at least 2048 bits (a
    // multiple of 8) or ECDSA on P-256 / P-384; nothing else (no DSA, no P-192, no SM2).
    const auto& key_oid = cert.spki_algorithm().oid;
    if (key_oid == der::oids::kRsaEncryption) {
      // BR 7.1.3.1.1: rsaEncryption with NULL parameters.
      if (cert.spki_algorithm().parameters != Bytes{0x05, 0x00})
        bad_web(path_rule::kCabfSpkiRsaEncoding, "rsaEncryption parameters are not NULL");
      auto key = crypto::PublicKey::from_spki(
          cert.spki_der(), crypto::VerifyPolicy{.allow_legacy_rsa_insecure = true});
      if (!key || key->spec().rsa_bits < 2048)
        bad_web(rule::kCabfRsaTooSmall, "RSA key below 2048 bits (BR 6.1.5)");
      else if (key->spec().rsa_bits % 8 != 0)
        bad_web(rule::kCabfRsaNotMultipleOf8, "RSA modulus size not a multiple of 8 (BR 6.1.5)");
      // BR 6.1.6: the public exponent is odd and at least 3.
      if (auto e = rsa_public_exponent(cert.spki_der()); !e || !e->odd_at_least_3)
        bad_web(path_rule::kCabfRsaExponent, "RSA public exponent not odd and >= 3 (BR 6.1.6)");
    } else if (key_oid == der::oids::kEcPublicKey) {
      const auto& p = cert.spki_algorithm().parameters;
      auto named = [&](const der::Oid& curve) {
        der::Writer w;
        w.add_oid(curve);
        return p == w.bytes();
      };
      const bool p256 = named(der::oids::kPrime256v1);
      const bool p384 = named(der::oids::kSecp384r1);
      if (!p256 && !p384)
        bad_web(rule::kCabfEcCurve, "EC key not on P-256 or P-384 (BR 6.1.5, Chrome, Mozilla)");
    } else {
      bad_web(path_rule::kCabfKeyAlgorithm, "subject key algorithm " + key_oid.to_string() +
                                                " is not RSA or ECDSA (BR 6.1.5 / 7.1.3.1)");
    }
    // BR 7.1.3.2: the signature algorithms and their exact encodings (RSA PKCS#1 v1.5 with
    // NULL parameters, RSASSA-PSS, ECDSA without parameters; no SHA-1, no SM2).
    if (pos != Position::kAnchor) {
      const auto& sa = cert.signature_algorithm();
      namespace o = der::oids;
      const bool rsa = sa.oid == o::kSha256WithRsaEncryption ||
                       sa.oid == o::kSha384WithRsaEncryption ||
                       sa.oid == o::kSha512WithRsaEncryption;
      const bool ecdsa = sa.oid == o::kEcdsaWithSha256 || sa.oid == o::kEcdsaWithSha384 ||
                         sa.oid == o::kEcdsaWithSha512;
      const bool ok = (rsa && sa.parameters == Bytes{0x05, 0x00}) ||
                      (ecdsa && sa.parameters.empty()) || sa.oid == o::kRsassaPss;
      if (!ok)
        bad_web(path_rule::kCabfSignatureAlgorithmEncoding,
                "signature algorithm " + sa.oid.to_string() + " not allowed (BR 7.1.3.2)");
    }
    // BR 7.1.3.2.2 / Mozilla 5.1.2: a P-256 key signs with SHA-256, a P-384 key with SHA-384.
    if (issuer != nullptr && issuer->spki_algorithm().oid == der::oids::kEcPublicKey) {
      der::Writer p256, p384;
      p256.add_oid(der::oids::kPrime256v1);
      p384.add_oid(der::oids::kSecp384r1);
      const auto& curve = issuer->spki_algorithm().parameters;
      const auto& sa = cert.signature_algorithm().oid;
      if ((curve == p256.bytes() && sa != der::oids::kEcdsaWithSha256) ||
          (curve == p384.bytes() && sa != der::oids::kEcdsaWithSha384))
        bad_web(path_rule::kCabfEcdsaHashPairing,
                "ECDSA signature hash does not match the issuer's curve (BR 7.1.3.2.2)");
    }
    if (pos == Position::kTarget) {
      // BR 7.1.2.7.12: a subjectAltName with at least one dNSName or iPAddress.
      if (std::none_of(san.begin(), san.end(), [](const GeneralName& g) {
            return g.type == GeneralName::Type::kDns || g.type == GeneralName::Type::kIp;
          }))
        bad_web(rule::kCabfSanMissing, "no dNSName or iPAddress subjectAltName (BR 7.1.2.7.12)");
      // BR 7.1.2.7.8 / 7.1.2.7.11: a subscriber certificate is not a CA.
      if ((bc && bc->ca) || (key_usage && (*key_usage & ku(KeyUsageBit::kKeyCertSign)) != 0))
        bad_web(path_rule::kCabfEeCa, "CA certificate in the end-entity position");
      // BR 7.1.2.7.10 / 7.1.2.7.6: extKeyUsage present, not critical, no anyExtendedKeyUsage.
      if (!eku_ext)
        bad_web(path_rule::kCabfEkuRequired, "end-entity certificate without extKeyUsage");
      else if (eku_ext->critical)
        bad_web(path_rule::kCabfEkuRequired, "critical extKeyUsage");
      if (eku && std::find(eku->begin(), eku->end(), der::oids::kAnyExtendedKeyUsage) != eku->end())
        bad_web(path_rule::kCabfEkuRequired, "anyExtendedKeyUsage in an end-entity certificate");
      // BR 3.2.2.6 / 1.6.1: a wildcard never stands directly over a public suffix (Debian's
      // publicsuffix list, ICANN and private sections).
      for (const auto& g : san) {
        if (g.type == GeneralName::Type::kDns && g.text.starts_with("*.") &&
            is_public_suffix(ascii_lower(g.text.substr(2))))
          bad_web(rule::kCabfWildcardPublicSuffix,
                  "wildcard \"" + g.text + "\" directly over a public suffix");
      }
      // BR 7.1.4.3: a commonName is a character-for-character copy of a SAN entry (IP
      // addresses in their RFC 3986 / RFC 5952 text form).
      for (const auto& rdn : cert.subject().rdns) {
        for (const auto& atv : rdn) {
          if (atv.type != der::oids::kCommonName) continue;
          const std::string& cn = atv.value;
          bool copy = false;
          for (const auto& g : san) {
            if (g.type == GeneralName::Type::kDns) copy = copy || g.text == cn;
            if (g.type == GeneralName::Type::kIp) copy = copy || canonical_ip(g.ip) == cn;
          }
          if (!copy)
            bad_web(
                rule::kCabfCnNotInSan,
                "commonName \"" + cn + "\" is not a character-for-character copy of a SAN entry");
        }
      }
    }
  }
  return out;
}

}  // namespace hpki::x509::detail
