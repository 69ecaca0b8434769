#include "x509/lint.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "x509/detail/name_match.h"
#include "x509/diag.h"
#include "x509/spki.h"

namespace hpki::x509 {
namespace {

// Rule ids: x509/diag.h, namespace diag::lint (docs/conformance.md "Lint rules").
namespace rule_id = diag::lint;

class Findings {
 public:
  void error(std::string_view id, std::string_view source, std::string message) {
    add(Severity::kError, id, source, std::move(message));
  }
  void warn(std::string_view id, std::string_view source, std::string message) {
    add(Severity::kWarning, id, source, std::move(message));
  }
  void notice(std::string_view id, std::string_view source, std::string message) {
    add(Severity::kNotice, id, source, std::move(message));
  }
  std::vector<Finding> take() { return std::move(items_); }

 private:
  void add(Severity s, std::string_view id, std::string_view source, std::string message) {
    items_.push_back(Finding{std::string(id), s, std::string(source), std::move(message)});
  }
  std::vector<Finding> items_;
};

int year_of(TimePoint t) {
  auto days = std::chrono::floor<std::chrono::days>(t);
  return static_cast<int>(std::chrono::year_month_day(days).year());
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  });
  return s;
}

// RFC 5280 4.1.2.5: the validity period is from notBefore through notAfter, inclusive.
// In seconds: the difference of two TimePoints (nanoseconds) can overflow when a date was
// saturated to TimePoint::min() / max() (years before 1678 / after 2262).
std::chrono::seconds validity_period(const Validity& v) {
  using std::chrono::floor;
  using std::chrono::seconds;
  return floor<seconds>(v.not_after).time_since_epoch() -
         floor<seconds>(v.not_before).time_since_epoch() + seconds(1);
}

bool is_internal_name(std::string dns) {
  // CA/B BR 7.1.4.2.1 / 4.2.2: no internal names (names that cannot be verified as belonging to
  // a registered domain): single-label names and reserved or commonly used private suffixes.
  dns = lower(std::move(dns));
  if (dns.ends_with(".")) dns.pop_back();
  if (dns.find('.') == std::string::npos) return true;
  static const char* kReserved[] = {".local",   ".localhost",   ".internal",  ".lan",  ".home",
                                    ".corp",    ".intranet",    ".private",   ".test", ".example",
                                    ".invalid", ".localdomain", ".home.arpa", ".onion"};
  for (const char* suffix : kReserved) {
    if (dns.ends_with(suffix)) return true;
  }
  return false;
}

// CA/B BR 1.6.1 "Wildcard Domain Name": "*." followed by a fully-qualified domain name; the
// asterisk is a whole label, the leftmost one, and only one. Also refused: a wildcard directly
// under a top-level domain ("*.cn"), which would cover a whole registry.
bool is_bad_wildcard(const std::string& dns) {
  if (dns.find('*') == std::string::npos) return false;
  if (!dns.starts_with("*.")) return true;
  std::string_view rest = std::string_view(dns).substr(2);
  if (rest.find('*') != std::string_view::npos) return true;
  if (rest.ends_with(".")) rest.remove_suffix(1);
  return rest.find('.') == std::string_view::npos;
}

bool is_reserved_ip(const Bytes& ip) {
  // CA/B BR 1.6.1 "Reserved IP Address": IANA special-purpose ranges (the common ones).
  if (ip.size() == 4) {
    return ip[0] == 0 || ip[0] == 10 || ip[0] == 127 || ip[0] >= 224 ||
           (ip[0] == 100 && (ip[1] & 0xc0) == 64) || (ip[0] == 169 && ip[1] == 254) ||
           (ip[0] == 172 && (ip[1] & 0xf0) == 16) || (ip[0] == 192 && ip[1] == 168) ||
           (ip[0] == 192 && ip[1] == 0 && (ip[2] == 0 || ip[2] == 2)) ||
           (ip[0] == 198 && (ip[1] & 0xfe) == 18) ||
           (ip[0] == 198 && ip[1] == 51 && ip[2] == 100) ||
           (ip[0] == 203 && ip[1] == 0 && ip[2] == 113);
  }
  if (ip.size() == 16) {
    return (ip[0] & 0xfe) == 0xfc || (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) || ip[0] == 0xff ||
           (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0x0d && ip[3] == 0xb8) ||
           std::all_of(ip.begin(), ip.end() - 1, [](std::uint8_t b) { return b == 0; });
  }
  return false;
}

void lint_extensions_generic(const Certificate& c, Findings& f) {
  std::set<der::Oid> seen;
  for (const auto& e : c.extensions()) {
    // RFC 5280 4.2: a certificate MUST NOT include more than one instance of an extension.
    if (!seen.insert(e.oid).second) {
      f.error(rule_id::kDuplicateExtension, "RFC 5280 4.2",
              "extension " + e.oid.to_string() + " appears more than once");
    }
  }
}

// Whether a required identifier of a profile is in the certificate where the profile puts it.
// nullopt: cannot be checked (health OID not configured).
std::optional<bool> identifier_present(const Certificate& c, const std::string& id,
                                       const IdentifierRule& rule, const LintContext& ctx) {
  auto has = [&](const der::Oid& o) { return c.find_extension(o) != nullptr; };
  switch (rule.placement) {
    case IdentifierPlacement::kNone:
      return std::nullopt;
    case IdentifierPlacement::kSubjectSerialNumber:
      return !c.subject().get(der::oids::kSerialNumber).empty();
    case IdentifierPlacement::kGmt0015:
    case IdentifierPlacement::kGmt0015v2023:
      // GM/T 0015-2012 and -2023 forms are both accepted (the builder emits one, configured).
      if (id == "id_number")
        return has(der::oids::kGmIdentifyCode) || has(der::oids::kGmResidentIdCardNumber) ||
               has(der::oids::kGmPassportNumber);
      if (id == "insurance_number") return has(der::oids::kGmInsuranceNumber);
      if (id == "org_code")
        return has(der::oids::kGmOrganizationCode) || has(der::oids::kGmUnifiedSocialCreditCode);
      return std::nullopt;
    case IdentifierPlacement::kHealthExtension: {
      auto it = ctx.health_oids.find(id);
      if (it == ctx.health_oids.end()) return std::nullopt;
      return has(it->second);
    }
  }
  return std::nullopt;
}

constexpr KeyUsageBits bit(KeyUsageBit b) { return ku(b); }

// RFC 6962 3.1: the Precertificate Signing Certificate extended key usage.
constexpr der::Oid kCtPrecertSigning = der::Oid::literal("1.3.6.1.4.1.11129.2.4.4");

// RFC 5321 4.1.2 / RFC 5280 7.5: the local-part of a mailbox compares exactly, the domain
// case-insensitively.
bool same_mailbox(std::string_view a, std::string_view b) {
  const auto at_a = a.rfind('@');
  const auto at_b = b.rfind('@');
  if (at_a == std::string_view::npos || at_b == std::string_view::npos) return a == b;
  return a.substr(0, at_a) == b.substr(0, at_b) &&
         detail::ascii_lower(a.substr(at_a)) == detail::ascii_lower(b.substr(at_b));
}

// CA/B BR 7.1.2.7.12: a dNSName in an IP address reverse zone (in-addr.arpa, ip6.arpa).
bool in_reverse_zone(std::string dns) {
  dns = lower(std::move(dns));
  if (dns.ends_with(".")) dns.pop_back();
  for (std::string_view zone : {"in-addr.arpa", "ip6.arpa"}) {
    if (dns == zone || dns.ends_with("." + std::string(zone))) return true;
  }
  return false;
}

// The subject key's family for the CA/B Forum key rules (BR 6.1.5 / 7.1.2.7.11): RSA, ECDSA
// (id-ecPublicKey on any curve but SM2's) or neither. SM2 keys (GM/T 0015 TLCP site
// certificates of the ssl-server profile) are outside the BRs and never refused by them.
enum class BrKey { kRsa, kEcdsa, kOther };
BrKey br_key_family(const Certificate& c) {
  const auto& alg = c.spki_algorithm();
  if (alg.oid == der::oids::kRsaEncryption) return BrKey::kRsa;
  if (alg.oid != der::oids::kEcPublicKey) return BrKey::kOther;
  auto k = c.key_spec();
  return k && k->type == crypto::KeyType::kSm2 ? BrKey::kOther : BrKey::kEcdsa;
}

}  // namespace

std::vector<Finding> lint_certificate(const Certificate& c, const LintContext& ctx) {
  Findings f;
  // ---- RFC 5280 4.1 basic fields ----
  const auto& serial = c.serial();
  // RFC 5280 4.1.2.2: serial MUST be a positive integer.
  if (!der::integer_is_positive(serial)) {
    f.error(rule_id::kSerialNotPositive, "RFC 5280 4.1.2.2", "serial number is not positive");
  }
  // RFC 5280 4.1.2.2: serial no longer than 20 octets.
  if (serial.size() > 20) {
    f.error(rule_id::kSerialTooLong, "RFC 5280 4.1.2.2",
            "serial number is " + std::to_string(serial.size()) + " octets (max 20)");
  }
  // RFC 5280 4.1.2.1: with extensions, as this profile expects, version MUST be 3.
  if (c.version() != 3)
    f.error(rule_id::kNotV3, "RFC 5280 4.1.2.1", "certificate is not version 3");
  // RFC 5280 4.1.1.2: signatureAlgorithm MUST be the same as tbsCertificate.signature.
  if (c.signature_algorithm().der != c.tbs_signature_algorithm().der) {
    f.error(rule_id::kSignatureAlgorithmMismatch, "RFC 5280 4.1.1.2",
            "signatureAlgorithm differs from tbsCertificate.signature");
  }
  // hpki algorithms: only the signature algorithms hpki signs and verifies (crypto/algorithm.h;
  // no SHA-1, no MD5, PSS only with SHA-256 parameters).
  if (!signature_alg_from(c.tbs_signature_algorithm())) {
    f.error(rule_id::kSignatureAlgorithmUnsupported, "hpki algorithms",
            "unsupported or malformed signature algorithm " +
                c.tbs_signature_algorithm().oid.to_string() +
                (der::oid_name(c.tbs_signature_algorithm().oid).empty()
                     ? std::string()
                     : " (" + std::string(der::oid_name(c.tbs_signature_algorithm().oid)) + ")"));
  }
  // RFC 5280 4.1.2.5: notBefore < notAfter (a certificate valid for no time is an error).
  const auto& v = c.validity();
  if (v.not_before >= v.not_after) {
    f.error(rule_id::kValidityNotBeforeAfterNotAfter, "RFC 5280 4.1.2.5",
            "notBefore is not before notAfter");
  }
  // RFC 5280 4.1.2.5: UTCTime for dates through 2049, GeneralizedTime from 2050 (and before
  // 1950, which UTCTime cannot express).
  for (auto [t, enc, name] : {std::tuple{v.not_before, v.not_before_encoding, "notBefore"},
                              std::tuple{v.not_after, v.not_after_encoding, "notAfter"}}) {
    const int year = year_of(t);
    const bool want_utc = year >= 1950 && year < 2050;
    if (want_utc != (enc == TimeEncoding::kUtcTime)) {
      f.error(rule_id::kTimeEncoding, "RFC 5280 4.1.2.5",
              std::string(name) + " for year " + std::to_string(year) + " must be " +
                  (want_utc ? "UTCTime" : "GeneralizedTime"));
    }
  }
  // RFC 5280 4.1.2.4: the issuer field MUST contain a non-empty distinguished name.
  if (c.issuer().empty())
    f.error(rule_id::kIssuerEmpty, "RFC 5280 4.1.2.4", "issuer name is empty");
  // RFC 5280 4.1.2.8: CAs conforming to this profile MUST NOT generate unique identifiers.
  if (c.has_unique_ids())
    f.error(rule_id::kUniqueIdPresent, "RFC 5280 4.1.2.8",
            "issuerUniqueID / subjectUniqueID present (conforming CAs must not generate them)");

  // Subject attribute values (issue 16). RFC 5280 Appendix A.1: each within its upper bound
  // (ub-common-name 64 ...); RFC 4518 2.4 and UAX #9: no control characters and no characters
  // that change the display direction, which make a name read as something else.
  for (const auto& rdn : c.subject().rdns) {
    for (const auto& atv : rdn) {
      if (atv.string_type == StringType::kOther) continue;  // not a string: nothing to count
      const std::string name = attribute_short_name(atv.type);
      if (auto ub = attribute_upper_bound(atv.type); ub && utf8_length(atv.value) > *ub) {
        f.error(rule_id::kSubjectAttributeTooLong, "RFC 5280 Appendix A.1",
                "subject " + name + " has " + std::to_string(utf8_length(atv.value)) +
                    " characters (upper bound " + std::to_string(*ub) + ")");
      }
      if (auto bad = prohibited_name_character(atv.value)) {
        char code[16];
        std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(*bad));
        f.error(rule_id::kNameProhibitedCharacter, "RFC 4518 2.4",
                "subject " + name + " contains the control or bidirectional formatting character " +
                    code);
      }
    }
  }

  // RFC 5280 Appendix A.1 bounds hold for the issuer Name too: a CA whose own subject breaks
  // them passes the defect to every certificate it issues.
  for (const auto& rdn : c.issuer().rdns) {
    for (const auto& atv : rdn) {
      if (atv.string_type == StringType::kOther) continue;
      if (auto ub = attribute_upper_bound(atv.type); ub && utf8_length(atv.value) > *ub) {
        f.error(rule_id::kIssuerAttributeTooLong, "RFC 5280 Appendix A.1",
                "issuer " + attribute_short_name(atv.type) + " has " +
                    std::to_string(utf8_length(atv.value)) + " characters (upper bound " +
                    std::to_string(*ub) + ")");
      }
    }
  }

  lint_extensions_generic(c, f);

  // ---- Extensions ----
  const auto* bc_ext = c.find_extension(der::oids::kBasicConstraints);
  std::optional<BasicConstraints> bc;
  if (bc_ext != nullptr) {
    auto p = parse_basic_constraints(bc_ext->value);
    if (!p) {
      // RFC 5280 4.2.1.9: BasicConstraints syntax.
      f.error(rule_id::kBasicConstraintsMalformed, "RFC 5280 4.2.1.9", p.error().detail());
    } else {
      bc = *p;
      // RFC 5280 4.2.1.9: MUST be critical in CA certificates that validate signatures.
      if (bc->ca && !bc_ext->critical)
        f.error(rule_id::kBasicConstraintsNotCritical, "RFC 5280 4.2.1.9",
                "basicConstraints of a CA must be critical");
    }
  }
  const bool is_ca = bc && bc->ca;
  std::optional<KeyUsageBits> ku_bits;
  if (const auto* e = c.find_extension(der::oids::kKeyUsage)) {
    auto p = parse_key_usage(e->value);
    if (!p) {
      // RFC 5280 4.2.1.3: KeyUsage syntax.
      f.error(rule_id::kKeyUsageMalformed, "RFC 5280 4.2.1.3", p.error().detail());
    } else {
      ku_bits = *p;
      // RFC 5280 4.2.1.3: conforming CAs SHOULD mark keyUsage critical (hpki: required).
      if (!e->critical)
        f.error(rule_id::kKeyUsageNotCritical, "RFC 5280 4.2.1.3", "keyUsage must be critical");
      // RFC 5280 4.2.1.3: when keyUsage appears, at least one bit MUST be set.
      if (*ku_bits == 0)
        f.error(rule_id::kKeyUsageEmpty, "RFC 5280 4.2.1.3", "keyUsage has no bit set");
      // RFC 5280 4.2.1.3: encipherOnly / decipherOnly are undefined without keyAgreement.
      if ((*ku_bits & (bit(KeyUsageBit::kEncipherOnly) | bit(KeyUsageBit::kDecipherOnly))) != 0 &&
          (*ku_bits & bit(KeyUsageBit::kKeyAgreement)) == 0)
        f.error(rule_id::kKeyUsageEncipherOnlyWithoutKeyAgreement, "RFC 5280 4.2.1.3",
                "encipherOnly or decipherOnly asserted without keyAgreement");
    }
  } else if (is_ca) {
    // RFC 5280 4.2.1.3: CA certificates (signing certificates or CRLs) MUST include keyUsage.
    f.error(rule_id::kCaKeyUsageMissing, "RFC 5280 4.2.1.3", "CA certificate without keyUsage");
  }
  const KeyUsageBits cert_sign = bit(KeyUsageBit::kKeyCertSign);
  const bool has_cert_sign = ku_bits && (*ku_bits & cert_sign) != 0;
  if (has_cert_sign && bc && !bc->ca) {
    // RFC 5280 4.2.1.3: keyCertSign only when basicConstraints cA is TRUE.
    f.error(rule_id::kKeyCertSignWithoutCa, "RFC 5280 4.2.1.3",
            "keyCertSign asserted but basicConstraints cA is FALSE");
  }
  if (has_cert_sign && bc_ext == nullptr) {
    // RFC 5280 4.2.1.9: CA certificates MUST include basicConstraints with cA TRUE (and
    // 4.2.1.3: keyCertSign only then).
    f.error(rule_id::kCaBasicConstraintsMissing, "RFC 5280 4.2.1.9",
            "keyCertSign asserted in a certificate without basicConstraints");
  }
  if (is_ca && ku_bits && !has_cert_sign) {
    // RFC 5280 4.2.1.9: cA TRUE with a keyUsage that lacks keyCertSign.
    f.error(rule_id::kCaWithoutKeyCertSign, "RFC 5280 4.2.1.9",
            "cA is TRUE but keyUsage lacks keyCertSign");
  }
  if (bc && bc->path_len && !is_ca) {
    // RFC 5280 4.2.1.9: CAs MUST NOT include pathLenConstraint unless cA is TRUE.
    f.error(rule_id::kPathLenWithoutCa, "RFC 5280 4.2.1.9", "pathLenConstraint with cA FALSE");
  }
  if (is_ca && c.subject().empty()) {
    // RFC 5280 4.1.2.6: if the subject is a CA, the subject field MUST be non-empty.
    f.error(rule_id::kCaSubjectEmpty, "RFC 5280 4.1.2.6", "CA certificate with an empty subject");
  }
  // RFC 5280 4.2.1.2: SKI MUST appear in CA certificates, SHOULD in end entities (hpki: always);
  // never critical.
  std::optional<Bytes> ski;
  if (const auto* e = c.find_extension(der::oids::kSubjectKeyIdentifier)) {
    auto p = parse_subject_key_identifier(e->value);
    if (p)
      ski = *p;
    else
      f.error(rule_id::kSkiMalformed, "RFC 5280 4.2.1.2", p.error().detail());
    if (e->critical)
      f.error(rule_id::kSkiCritical, "RFC 5280 4.2.1.2",
              "subjectKeyIdentifier must not be critical");
  } else {
    f.error(rule_id::kSkiMissing, "RFC 5280 4.2.1.2", "subjectKeyIdentifier is missing");
  }
  // RFC 5280 4.2.1.1: AKI MUST be present except in self-signed certificates, with a
  // keyIdentifier; never critical.
  std::optional<AuthorityKeyIdentifier> aki;
  if (const auto* e = c.find_extension(der::oids::kAuthorityKeyIdentifier)) {
    auto p = parse_authority_key_identifier(e->value);
    if (p)
      aki = *p;
    else
      f.error(rule_id::kAkiMalformed, "RFC 5280 4.2.1.1", p.error().detail());
    if (e->critical)
      f.error(rule_id::kAkiCritical, "RFC 5280 4.2.1.1",
              "authorityKeyIdentifier must not be critical");
    if (p && !p->key_id)
      f.error(rule_id::kAkiNoKeyId, "RFC 5280 4.2.1.1",
              "authorityKeyIdentifier without keyIdentifier");
  } else if (!c.is_self_issued()) {
    f.error(rule_id::kAkiMissing, "RFC 5280 4.2.1.1", "authorityKeyIdentifier is missing");
  }
  // RFC 5280 4.2.1.6: SAN critical iff the subject is empty; an empty subject needs a SAN.
  std::vector<GeneralName> sans;
  bool san_parsed = true;  // absent or well-formed
  if (const auto* e = c.find_extension(der::oids::kSubjectAltName)) {
    auto p = parse_general_names(e->value);
    if (!p) {
      f.error(rule_id::kSanMalformed, "RFC 5280 4.2.1.6", p.error().detail());
      san_parsed = false;
    } else {
      sans = *p;
    }
    for (const auto& g : sans) {
      // RFC 5280 4.2.1.6: no empty dNSName, rfc822Name or URI ("MUST NOT" use the empty
      // string / a name "with no host").
      if ((g.type == GeneralName::Type::kDns || g.type == GeneralName::Type::kRfc822 ||
           g.type == GeneralName::Type::kUri) &&
          g.text.empty())
        f.error(rule_id::kSanEmptyName, "RFC 5280 4.2.1.6", "subjectAltName with an empty name");
      // RFC 5280 4.2.1.6: an iPAddress is four octets (IPv4) or sixteen (IPv6).
      if (g.type == GeneralName::Type::kIp && g.ip.size() != 4 && g.ip.size() != 16)
        f.error(rule_id::kSanIpLength, "RFC 5280 4.2.1.6",
                "subjectAltName iPAddress of " + std::to_string(g.ip.size()) + " octets (4 or 16)");
    }
    if (c.subject().empty() && !e->critical)
      f.error(rule_id::kSanNotCriticalEmptySubject, "RFC 5280 4.2.1.6",
              "SAN must be critical when the subject is empty");
    // RFC 5280 4.2.1.6: with a non-empty subject, SAN SHOULD be non-critical.
    if (!c.subject().empty() && e->critical)
      f.warn(rule_id::kSanCriticalWithSubject, "RFC 5280 4.2.1.6",
             "SAN should not be critical when the subject is not empty");
  } else if (c.subject().empty()) {
    f.error(rule_id::kSubjectEmptyWithoutSan, "RFC 5280 4.2.1.6",
            "empty subject and no subjectAltName");
  }
  // RFC 5280 4.1.2.6: new certificates with e-mail addresses MUST carry them as rfc822Name
  // SANs; an emailAddress attribute in the subject is only permitted in addition. (Not
  // repeated when the SAN does not parse: e_san_malformed says so.)
  if (san_parsed) {
    for (const auto& rdn : c.subject().rdns) {
      for (const auto& atv : rdn) {
        if (atv.type != der::oids::kEmailAddress) continue;
        const bool in_san = std::any_of(sans.begin(), sans.end(), [&](const GeneralName& g) {
          return g.type == GeneralName::Type::kRfc822 && same_mailbox(g.text, atv.value);
        });
        if (!in_san)
          f.error(rule_id::kEmailInSubjectWithoutSan, "RFC 5280 4.1.2.6",
                  "subject emailAddress '" + atv.value + "' is not an rfc822Name subjectAltName");
      }
    }
  }
  // RFC 5280 4.2.1.10: nameConstraints only in CA certificates, MUST be critical.
  if (const auto* e = c.find_extension(der::oids::kNameConstraints)) {
    if (!is_ca)
      f.error(rule_id::kNameConstraintsNotCa, "RFC 5280 4.2.1.10",
              "nameConstraints in a non-CA certificate");
    if (!e->critical)
      f.error(rule_id::kNameConstraintsNotCritical, "RFC 5280 4.2.1.10",
              "nameConstraints must be critical");
    // RFC 5280 4.2.1.10: NameConstraints syntax; permittedSubtrees or excludedSubtrees present,
    // neither empty; GeneralSubtree minimum zero and no maximum.
    if (auto p = parse_name_constraints(e->value); !p)
      f.error(rule_id::kNameConstraintsMalformed, "RFC 5280 4.2.1.10", p.error().detail());
  }
  // RFC 5280 4.2.2.1: AuthorityInfoAccessSyntax, SEQUENCE SIZE (1..MAX) OF AccessDescription.
  if (const auto* e = c.find_extension(der::oids::kAuthorityInfoAccess)) {
    if (auto p = parse_authority_info_access(e->value); !p)
      f.error(rule_id::kAiaMalformed, "RFC 5280 4.2.2.1", p.error().detail());
  }
  std::vector<der::Oid> ekus;
  bool eku_critical = false;
  if (const auto* e = c.find_extension(der::oids::kExtKeyUsage)) {
    auto p = parse_extended_key_usage(e->value);
    if (p)
      ekus = *p;
    else
      f.error(rule_id::kEkuMalformed, "RFC 5280 4.2.1.12", p.error().detail());
    eku_critical = e->critical;
  }
  auto has_eku = [&](const der::Oid& o) {
    return std::find(ekus.begin(), ekus.end(), o) != ekus.end();
  };
  // RFC 3161 2.3: a TSA certificate has exactly one EKU, timeStamping, critical.
  if (has_eku(der::oids::kTimeStamping) && (ekus.size() != 1 || !eku_critical)) {
    f.error(rule_id::kTsaEku, "RFC 3161 2.3",
            "timeStamping must be the only extended key usage and be critical");
  }
  // RFC 6960 4.2.2.2.1: id-pkix-ocsp-nocheck belongs in OCSP responder certificates.
  if (c.find_extension(der::oids::kOcspNoCheck) && !has_eku(der::oids::kOcspSigning)) {
    f.warn(rule_id::kOcspNocheckWithoutOcspSigning, "RFC 6960 4.2.2.2.1",
           "id-pkix-ocsp-nocheck in a certificate without OCSPSigning");
  }

  // ---- Issuer ----
  if (ctx.issuer != nullptr) {
    // RFC 5280 4.1.2.4 / 6.1.3 (a)(4): the issuer name chains to the issuing CA's subject.
    if (!names_match(c.issuer(), ctx.issuer->subject())) {
      f.error(rule_id::kIssuerNameMismatch, "RFC 5280 4.1.2.4",
              "issuer does not match the issuing CA's subject");
    }
    // RFC 5280 4.2.1.1: the keyIdentifier is the issuer's subjectKeyIdentifier.
    if (aki && aki->key_id) {
      if (const auto* e = ctx.issuer->find_extension(der::oids::kSubjectKeyIdentifier)) {
        auto issuer_ski = parse_subject_key_identifier(e->value);
        if (issuer_ski && *issuer_ski != *aki->key_id) {
          f.error(rule_id::kAkiSkiMismatch, "RFC 5280 4.2.1.1",
                  "authorityKeyIdentifier differs from the issuer's subjectKeyIdentifier");
        }
      }
    }
  }

  // ---- CA/Browser Forum Baseline Requirements (SSL server certificates) ----
  // With a profile, the profile says whether the BRs apply (private device certificates with
  // serverAuth are not publicly trusted); without one (`hpki cert lint`), serverAuth implies them.
  const bool cabf =
      ctx.cabf_server || (ctx.profile ? ctx.profile->cabf_server : has_eku(der::oids::kServerAuth));
  if (cabf && !is_ca) {
    std::vector<const GeneralName*> dns_ip;
    for (const auto& g : sans) {
      if (g.type == GeneralName::Type::kDns || g.type == GeneralName::Type::kIp)
        dns_ip.push_back(&g);
    }
    // CA/B BR 7.1.2.7.12: subjectAltName with at least one dNSName or iPAddress.
    if (dns_ip.empty())
      f.error(rule_id::kCabfSanMissing, "CA/B BR 7.1.2.7.12",
              "SSL server certificate without dNSName or iPAddress SAN");
    // CA/B BR 7.1.2.7.12: the SAN holds only dNSName and iPAddress entries.
    for (const auto& g : sans) {
      if (g.type != GeneralName::Type::kDns && g.type != GeneralName::Type::kIp)
        f.error(rule_id::kCabfSanType, "CA/B BR 7.1.2.7.12",
                "subjectAltName entry of a type other than dNSName or iPAddress (" +
                    (g.text.empty() ? std::string("directoryName or otherName") : g.text) + ")");
    }
    for (const auto* g : dns_ip) {
      // CA/B BR 7.1.4.2.1: no internal names, no reserved IP addresses.
      if (g->type == GeneralName::Type::kDns && is_internal_name(g->text)) {
        f.error(rule_id::kCabfInternalName, "CA/B BR 7.1.4.2.1",
                "internal name '" + g->text + "' in an SSL certificate");
      }
      if (g->type == GeneralName::Type::kDns && is_bad_wildcard(g->text)) {
        f.error(rule_id::kCabfBadWildcard, "CA/B BR 1.6.1",
                "'" + g->text + "' is not a wildcard domain name ('*.' + a registered name)");
      } else if (g->type == GeneralName::Type::kDns && g->text.starts_with("*.")) {
        // CA/B BR 3.2.2.6: no wildcard directly over a public suffix (the Public Suffix List
        // the validator uses, detail/name_match.h).
        std::string rest = detail::ascii_lower(g->text.substr(2));
        if (rest.ends_with(".")) rest.pop_back();
        if (detail::is_public_suffix(rest))
          f.error(rule_id::kCabfWildcardPublicSuffix, "CA/B BR 3.2.2.6",
                  "wildcard '" + g->text + "' directly over the public suffix '" + rest + "'");
      }
      // CA/B BR 7.1.2.7.12: effective 2026-03-15, no dNSName in an IP address reverse zone.
      if (g->type == GeneralName::Type::kDns && in_reverse_zone(g->text) &&
          v.not_before >= std::chrono::sys_days(std::chrono::year{2026} / 3 / 15)) {
        f.error(rule_id::kCabfReverseZone, "CA/B BR 7.1.2.7.12",
                "'" + g->text + "' is in an IP address reverse zone (in-addr.arpa / ip6.arpa)");
      }
      if (g->type == GeneralName::Type::kIp && is_reserved_ip(g->ip)) {
        f.error(rule_id::kCabfReservedIp, "CA/B BR 7.1.4.2.1",
                "reserved IP address in an SSL certificate");
      }
    }
    // CA/B BR 6.3.2: validity period at most 398 days (counted inclusively, RFC 5280 4.1.2.5).
    if (validity_period(v) > std::chrono::days(398)) {
      f.error(rule_id::kCabfValidityTooLong, "CA/B BR 6.3.2",
              "SSL certificate valid for more than 398 days");
    }
    // CA/B BR 6.1.5: RSA modulus at least 2048 bits, its size divisible by 8.
    const BrKey family = br_key_family(c);
    if (auto k = c.key_spec(); k && k->type == crypto::KeyType::kRsa && k->rsa_bits < 2048) {
      f.error(rule_id::kCabfRsaTooSmall, "CA/B BR 6.1.5",
              "RSA key of " + std::to_string(k->rsa_bits) + " bits (at least 2048)");
    } else if (k && k->type == crypto::KeyType::kRsa && k->rsa_bits % 8 != 0) {
      f.error(rule_id::kCabfRsaNotMultipleOf8, "CA/B BR 6.1.5",
              "RSA modulus of " + std::to_string(k->rsa_bits) + " bits (not divisible by 8)");
    }
    // CA/B BR 6.1.5 / 7.1.3.1.2 with the Chrome and Mozilla policies: ECDSA keys on P-256 or
    // P-384 (named curves). SM2 keys are not ECDSA keys here (br_key_family).
    if (family == BrKey::kEcdsa) {
      auto k = c.key_spec();
      if (!k || (k->type != crypto::KeyType::kEcP256 && k->type != crypto::KeyType::kEcP384))
        f.error(
            rule_id::kCabfEcCurve, "CA/B BR 6.1.5",
            "ECDSA key not on P-256 or P-384" + (k ? std::string() : ": " + k.error().detail()));
    }
    // CA/B BR 7.1.2.7.11: subscriber keyUsage fits the key. RSA: digitalSignature,
    // keyEncipherment, dataEncipherment; ECDSA: digitalSignature, keyAgreement; nothing else.
    if (ku_bits && family != BrKey::kOther) {
      const KeyUsageBits allowed =
          family == BrKey::kRsa
              ? bit(KeyUsageBit::kDigitalSignature) | bit(KeyUsageBit::kKeyEncipherment) |
                    bit(KeyUsageBit::kDataEncipherment)
              : bit(KeyUsageBit::kDigitalSignature) | bit(KeyUsageBit::kKeyAgreement);
      if ((*ku_bits & ~allowed) != 0)
        f.error(rule_id::kCabfEeKeyUsage, "CA/B BR 7.1.2.7.11",
                std::string("keyUsage has bits a subscriber ") +
                    (family == BrKey::kRsa ? "RSA" : "ECDSA") + " key may not have");
    }
    // CA/B BR 7.1.2.7.10: no codeSigning, emailProtection, timeStamping, OCSPSigning or
    // precertificate-signing purpose in a subscriber certificate.
    for (const auto& o : ekus) {
      if (o == der::oids::kCodeSigning || o == der::oids::kEmailProtection ||
          o == der::oids::kTimeStamping || o == der::oids::kOcspSigning || o == kCtPrecertSigning)
        f.error(rule_id::kCabfEkuForbidden, "CA/B BR 7.1.2.7.10",
                "extended key usage " + o.to_string() + " in an SSL server certificate");
    }
    // CA/B BR 7.1.4.1: each RDN holds one attribute; no attribute type twice in the name
    // (domainComponent and streetAddress may repeat); 7.1.4.3: at most one commonName.
    std::map<der::Oid, int> type_count;
    for (const auto& rdn : c.subject().rdns) {
      if (rdn.size() > 1)
        f.error(rule_id::kCabfMultiValuedRdn, "CA/B BR 7.1.4.1",
                "a subject RDN holds " + std::to_string(rdn.size()) + " attributes");
      for (const auto& atv : rdn) ++type_count[atv.type];
    }
    // CA/B BR 7.1.4.2: countryName and serialNumber are PrintableString, domainComponent
    // IA5String, the others UTF8String or PrintableString (emailAddress, IA5String by PKCS#9,
    // is not a BR attribute); postalCode at most 40 characters, surname and givenName 64.
    for (const auto& rdn : c.subject().rdns) {
      for (const auto& atv : rdn) {
        if (atv.string_type == StringType::kOther || atv.type == der::oids::kEmailAddress) continue;
        const std::string name = attribute_short_name(atv.type);
        const bool printable_only =
            atv.type == der::oids::kCountryName || atv.type == der::oids::kSerialNumber;
        const bool ia5_only = atv.type == der::oids::kDomainComponent;
        const bool ok = printable_only ? atv.string_type == StringType::kPrintable
                        : ia5_only     ? atv.string_type == StringType::kIa5
                                       : atv.string_type == StringType::kUtf8 ||
                                         atv.string_type == StringType::kPrintable;
        if (!ok)
          f.error(rule_id::kCabfAttributeEncoding, "CA/B BR 7.1.4.2",
                  "subject " + name + " must be " +
                      (printable_only ? "PrintableString"
                       : ia5_only     ? "IA5String"
                                      : "UTF8String or PrintableString"));
        const std::size_t max =
            atv.type == der::oids::kPostalCode                                       ? 40
            : (atv.type == der::oids::kSurname || atv.type == der::oids::kGivenName) ? 64
                                                                                     : 0;
        if (max != 0 && utf8_length(atv.value) > max)
          f.error(rule_id::kCabfAttributeEncoding, "CA/B BR 7.1.4.2",
                  "subject " + name + " longer than " + std::to_string(max) + " characters");
      }
    }
    for (const auto& [type, n] : type_count) {
      if (n > 1 && type != der::oids::kDomainComponent && type != der::oids::kStreetAddress)
        f.error(
            rule_id::kCabfCnMultiple,
            type == der::oids::kCommonName ? "CA/B BR 7.1.4.3" : "CA/B BR 7.1.4.1",
            "subject has " + std::to_string(n) + " " + attribute_short_name(type) + " attributes");
    }
    // CA/B BR 7.1.4.3: a commonName, if present, must be one of the SAN values.
    std::string cn = c.subject().get(der::oids::kCommonName);
    if (!cn.empty()) {
      auto cn_ip = ip_address(cn);
      bool found = std::any_of(sans.begin(), sans.end(), [&](const GeneralName& g) {
        if (g.type == GeneralName::Type::kDns) return lower(g.text) == lower(cn);
        return g.type == GeneralName::Type::kIp && cn_ip && cn_ip->ip == g.ip;
      });
      if (!found)
        f.error(rule_id::kCabfCnNotInSan, "CA/B BR 7.1.4.3",
                "commonName '" + cn + "' is not one of the SAN entries");
    }
  }

  // ---- Profile rules ----
  if (const Profile* prof = ctx.profile) {
    const std::string src = "hpki profile " + prof->name;
    auto key = c.key_spec();
    // hpki profile: the subject key algorithm is one the profile allows.
    if (!key) {
      f.error(rule_id::kProfileKeyAlgorithm, src, "subject key: " + key.error().detail());
    } else if (!prof->allows(*key)) {
      f.error(rule_id::kProfileKeyAlgorithm, src,
              crypto::key_spec_name(*key) + " keys are not allowed");
    }
    // hpki profile: a CA profile makes CA certificates, an end-entity profile never does.
    const bool want_ca = prof->kind != CertKind::kEndEntity;
    if (want_ca != is_ca) {
      f.error(rule_id::kProfileKind, src,
              want_ca ? "CA profile but basicConstraints cA is not TRUE"
                      : "end-entity profile but basicConstraints cA is TRUE");
    }
    // GB/T 25056 / GM/T 0015 dual certificates: signing (nonRepudiation) and encryption usages
    // never share a key.
    const KeyUsageBits enc_bits = bit(KeyUsageBit::kKeyEncipherment) |
                                  bit(KeyUsageBit::kDataEncipherment) |
                                  bit(KeyUsageBit::kKeyAgreement);
    const bool sign_and_encrypt = ku_bits && (*ku_bits & bit(KeyUsageBit::kNonRepudiation)) != 0 &&
                                  (*ku_bits & enc_bits) != 0;
    if (sign_and_encrypt) {
      f.error(rule_id::kProfileSignAndEncrypt, "GB/T 25056 / GM/T 0015",
              "nonRepudiation combined with key encipherment, data encipherment or key agreement");
    }
    // hpki profile: keyUsage exactly as the profile states for this key type (not repeated
    // when the dual-certificate rule above already explains the difference).
    if (key && ku_bits && !sign_and_encrypt && *ku_bits != prof->key_usage_for(key->type)) {
      f.error(rule_id::kProfileKeyUsage, src, "keyUsage differs from the profile");
    }
    // hpki profile: validity at most max_days (inclusive period, RFC 5280 4.1.2.5).
    if (validity_period(v) > std::chrono::days(prof->max_days)) {
      f.error(rule_id::kProfileValidity, src,
              "validity exceeds " + std::to_string(prof->max_days) + " days");
    }
    // hpki profile: extended key usage exactly as the profile states.
    std::vector<std::string> cert_ekus;
    for (const auto& o : ekus) cert_ekus.push_back(o.to_string());
    if (cert_ekus != prof->extended_key_usage) {
      f.error(rule_id::kProfileEku, src, "extended key usage differs from the profile");
    }
    // hpki profile: required identifiers are present where the profile places them.
    for (const auto& [id, rule] : prof->identifiers) {
      if (!rule.required) continue;
      auto present = identifier_present(c, id, rule, ctx);
      if (present && !*present)
        f.error(rule_id::kProfileIdentifierMissing, src,
                "required identifier " + id + " is missing");
    }
    // hpki profile: required subject attributes are present.
    for (const auto& req : prof->subject_required) {
      auto oid = attribute_oid(req);
      if (oid && c.subject().get(*oid).empty()) {
        f.error(rule_id::kProfileSubjectAttribute, src,
                "subject attribute " + req + " is required");
      }
    }
  }
  return f.take();
}

Result<std::vector<Finding>> lint_tbs_certificate(BytesView tbs_der, const LintContext& ctx) {
  // Wrap the TBS with its own signature algorithm and an empty signature so the certificate
  // parser can read it; nothing signature-related is linted here.
  der::Reader r(tbs_der);
  auto tbs = HPKI_TRY(r.read_sequence());
  HPKI_TRY(r.expect_end());
  if (tbs.peek_is(der::Tag::context_constructed(0))) (void)tbs.read_tlv();
  (void)tbs.read_tlv();  // serial
  auto alg = HPKI_TRY(tbs.read_tlv());
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& c) -> Result<void> {
    HPKI_TRY(c.add_raw(tbs_der));
    HPKI_TRY(c.add_raw(alg.encoded));
    return c.add_bit_string({});
  }));
  auto cert = Certificate::parse(w.bytes());
  if (!cert)
    return fail(Error{ErrorCode::kLintFailed, "TBS does not parse: " + cert.error().detail()});
  auto findings = lint_certificate(**cert, ctx);
  // The placeholder signature algorithm check is meaningful (same bytes), keep all findings.
  return findings;
}

bool has_errors(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::kError; });
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNotice:
      return "notice";
  }
  return "unknown";
}

std::string format_findings(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings) {
    out += std::string(severity_name(f.severity)) + " " + f.id + " [" + f.source +
           "]: " + f.message + "\n";
  }
  return out;
}

}  // namespace hpki::x509
