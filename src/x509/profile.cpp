#include "x509/profile.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "der/oid.h"
#include "der/oids.h"

namespace hpki::x509 {
namespace {

constexpr std::pair<std::string_view, KeyUsageBit> kKeyUsageNames[] = {
    {"digitalSignature", KeyUsageBit::kDigitalSignature},
    {"nonRepudiation", KeyUsageBit::kNonRepudiation},
    {"keyEncipherment", KeyUsageBit::kKeyEncipherment},
    {"dataEncipherment", KeyUsageBit::kDataEncipherment},
    {"keyAgreement", KeyUsageBit::kKeyAgreement},
    {"keyCertSign", KeyUsageBit::kKeyCertSign},
    {"cRLSign", KeyUsageBit::kCrlSign},
    {"encipherOnly", KeyUsageBit::kEncipherOnly},
    {"decipherOnly", KeyUsageBit::kDecipherOnly},
};

// RFC 5280 4.2.1.12 key purposes, plus OCSPSigning (RFC 6960) and timeStamping (RFC 3161).
constexpr std::pair<std::string_view, std::string_view> kEkuNames[] = {
    {"serverAuth", "1.3.6.1.5.5.7.3.1"},   {"clientAuth", "1.3.6.1.5.5.7.3.2"},
    {"codeSigning", "1.3.6.1.5.5.7.3.3"},  {"emailProtection", "1.3.6.1.5.5.7.3.4"},
    {"timeStamping", "1.3.6.1.5.5.7.3.8"}, {"OCSPSigning", "1.3.6.1.5.5.7.3.9"},
};
constexpr std::string_view kEkuTimeStamping = "1.3.6.1.5.5.7.3.8";
constexpr std::string_view kEkuOcspSigning = "1.3.6.1.5.5.7.3.9";
constexpr std::string_view kEkuServerAuth = "1.3.6.1.5.5.7.3.1";

constexpr std::string_view kSubjectAttributes[] = {
    "C", "ST", "L", "O", "OU", "CN", "serialNumber", "organizationIdentifier", "emailAddress"};
constexpr std::string_view kSanTypes[] = {"dns", "ip", "email", "uri"};

template <typename Range>
bool contains(const Range& r, std::string_view v) {
  return std::find(std::begin(r), std::end(r), v) != std::end(r);
}

class ProfileReader {
 public:
  explicit ProfileReader(ConfigDoc& doc) : doc_(doc) {}

  Error error(std::string_view key, std::string_view what) const {
    return Error{ErrorCode::kConfigInvalid, doc_.where(key) + ": " + std::string(what)};
  }

  Result<std::string> string(std::string_view key, std::optional<std::string> dflt = std::nullopt) {
    auto v = HPKI_TRY(doc_.get_string(key));
    if (v) return *v;
    if (dflt) return *dflt;
    return fail(error(key, "required key is missing"));
  }
  Result<std::vector<std::string>> list(std::string_view key) {
    auto v = HPKI_TRY(doc_.get_string_list(key));
    return v ? *v : std::vector<std::string>{};
  }
  Result<bool> boolean(std::string_view key, bool dflt) {
    auto v = HPKI_TRY(doc_.get_bool(key));
    return v ? *v : dflt;
  }
  Result<std::optional<std::int64_t>> integer(std::string_view key) { return doc_.get_int(key); }

  ConfigDoc& doc() { return doc_; }

 private:
  ConfigDoc& doc_;
};

Result<void> check_url_template(ProfileReader& r, std::string_view key, const std::string& url) {
  // Placeholders allowed: {base_url}, {ca}, {shard}. Anything else in braces is a typo.
  for (std::size_t pos = url.find('{'); pos != std::string::npos; pos = url.find('{', pos + 1)) {
    auto end = url.find('}', pos);
    if (end == std::string::npos)
      return fail(r.error(key, "unclosed '{' in URL template '" + url + "'"));
    auto ph = std::string_view(url).substr(pos, end - pos + 1);
    if (ph != "{base_url}" && ph != "{ca}" && ph != "{shard}") {
      return fail(r.error(key, "unknown placeholder " + std::string(ph) + " in '" + url +
                                   "' (allowed: {base_url}, {ca}, {shard})"));
    }
  }
  if (!url.starts_with("{base_url}") && !url.starts_with("http://") &&
      !url.starts_with("https://") && !url.starts_with("ldap://")) {
    return fail(r.error(key, "URL template '" + url +
                                 "' must start with {base_url}, http://, https:// or ldap://"));
  }
  return {};
}

Result<std::string> eku_oid(ProfileReader& r, std::string_view key, const std::string& name) {
  for (auto [n, oid] : kEkuNames) {
    if (name == n || name == oid) return std::string(oid);
  }
  if (is_dotted_oid(name)) return name;
  return fail(r.error(key, "unknown extended key usage '" + name +
                               "' (use serverAuth, clientAuth, codeSigning, emailProtection, "
                               "timeStamping, OCSPSigning or a dotted OID)"));
}

Result<IdentifierPlacement> parse_placement(ProfileReader& r, std::string_view key,
                                            const std::string& v) {
  if (v == "none") return IdentifierPlacement::kNone;
  if (v == "gmt0015") return IdentifierPlacement::kGmt0015;
  if (v == "gmt0015-2023") return IdentifierPlacement::kGmt0015v2023;
  if (v == "subject-serial-number") return IdentifierPlacement::kSubjectSerialNumber;
  if (v == "health") return IdentifierPlacement::kHealthExtension;
  return fail(r.error(key, "unknown placement '" + v +
                               "' (none, gmt0015, gmt0015-2023, subject-serial-number, health)"));
}

Result<Profile> read_profile(ConfigDoc& doc) {
  ProfileReader r(doc);
  Profile p;
  p.name = HPKI_TRY(r.string("name"));
  p.description = HPKI_TRY(r.string("description", std::string()));
  std::string kind = HPKI_TRY(r.string("kind"));
  if (kind == "root-ca") {
    p.kind = CertKind::kRootCa;
  } else if (kind == "issuing-ca") {
    p.kind = CertKind::kIssuingCa;
  } else if (kind == "end-entity") {
    p.kind = CertKind::kEndEntity;
  } else {
    return fail(r.error("kind", "'" + kind + "' is not one of root-ca, issuing-ca, end-entity"));
  }
  const bool is_ca = p.kind != CertKind::kEndEntity;

  auto algs = HPKI_TRY(r.list("key_algorithms"));
  if (algs.empty())
    return fail(r.error("key_algorithms", "at least one key algorithm is required"));
  for (const auto& a : algs) {
    auto spec = crypto::parse_key_spec(a);
    if (!spec) return fail(r.error("key_algorithms", spec.error().detail()));
    p.key_algorithms.push_back(*spec);
  }

  auto dd = HPKI_TRY(r.integer("validity.default_days"));
  auto md = HPKI_TRY(r.integer("validity.max_days"));
  if (!dd || !md) return fail(r.error("validity", "default_days and max_days are required"));
  if (*dd < 1 || *md < 1 || *md > 365 * 50) {
    return fail(r.error("validity", "days must be between 1 and 18250"));
  }
  if (*dd > *md) return fail(r.error("validity.default_days", "exceeds max_days"));
  p.default_days = static_cast<int>(*dd);
  p.max_days = static_cast<int>(*md);

  p.subject_order = HPKI_TRY(r.list("subject.order"));
  if (p.subject_order.empty()) p.subject_order = {"C", "ST", "L", "O", "OU", "CN"};
  std::set<std::string> seen;
  for (const auto& a : p.subject_order) {
    if (!contains(kSubjectAttributes, a)) {
      return fail(r.error("subject.order", "unknown attribute '" + a +
                                               "' (C, ST, L, O, OU, CN, serialNumber, "
                                               "organizationIdentifier, emailAddress)"));
    }
    if (!seen.insert(a).second)
      return fail(r.error("subject.order", "attribute '" + a + "' listed twice"));
  }
  p.subject_required = HPKI_TRY(r.list("subject.required"));
  for (const auto& a : p.subject_required) {
    if (!contains(p.subject_order, a)) {
      return fail(r.error("subject.required", "'" + a + "' is required but not in subject.order"));
    }
  }

  for (const auto& [key, out] :
       {std::pair<std::string_view, KeyUsageSet*>{"key_usage.usages", &p.key_usage},
        {"key_usage.sm2_extra", &p.key_usage_sm2_extra}}) {
    for (const auto& name : HPKI_TRY(r.list(key))) {
      auto b = parse_key_usage(name);
      if (!b) return fail(r.error(key, b.error().detail()));
      *out = static_cast<KeyUsageSet>(*out | ku(*b));
    }
  }
  if (p.key_usage == 0)
    return fail(r.error("key_usage.usages", "at least one key usage is required"));

  for (const auto& e : HPKI_TRY(r.list("extended_key_usage.usages"))) {
    p.extended_key_usage.push_back(HPKI_TRY(eku_oid(r, "extended_key_usage.usages", e)));
  }
  p.extended_key_usage_critical = HPKI_TRY(r.boolean("extended_key_usage.critical", false));

  p.basic_constraints = HPKI_TRY(r.boolean("basic_constraints.emit", true));
  if (auto pl = HPKI_TRY(r.integer("basic_constraints.path_len"))) {
    if (!is_ca)
      return fail(r.error("basic_constraints.path_len", "only CA profiles have a path length"));
    if (*pl < 0 || *pl > 16) return fail(r.error("basic_constraints.path_len", "must be 0..16"));
    p.path_len = static_cast<int>(*pl);
  }

  p.san_required = HPKI_TRY(r.boolean("san.required", false));
  p.san_allowed = HPKI_TRY(r.list("san.allowed"));
  for (const auto& t : p.san_allowed) {
    if (!contains(kSanTypes, t))
      return fail(r.error("san.allowed", "unknown SAN type '" + t + "' (dns, ip, email, uri)"));
  }
  if (p.san_required && p.san_allowed.empty()) {
    return fail(r.error("san.required", "a required SAN needs at least one allowed type"));
  }

  p.crl_distribution_points = HPKI_TRY(r.list("urls.crl"));
  p.ocsp_urls = HPKI_TRY(r.list("urls.ocsp"));
  p.ca_issuers_urls = HPKI_TRY(r.list("urls.ca_issuers"));
  for (const auto& [key, list] : {std::pair<std::string_view, const std::vector<std::string>*>{
                                      "urls.crl", &p.crl_distribution_points},
                                  {"urls.ocsp", &p.ocsp_urls},
                                  {"urls.ca_issuers", &p.ca_issuers_urls}}) {
    for (const auto& u : *list) HPKI_TRY(check_url_template(r, key, u));
  }

  auto policy_oids = HPKI_TRY(r.list("policies.oids"));
  std::string cps = HPKI_TRY(r.string("policies.cps_uri", std::string()));
  for (const auto& o : policy_oids) {
    if (!is_dotted_oid(o)) return fail(r.error("policies.oids", "'" + o + "' is not a dotted OID"));
    p.policies.push_back(PolicyInfo{o, cps});
  }
  if (!cps.empty() && policy_oids.empty()) {
    return fail(r.error("policies.cps_uri", "a CPS URI needs at least one policy OID"));
  }

  for (const auto& id : HPKI_TRY(doc.keys_of("identifiers"))) {
    std::string base = "identifiers." + id;
    if (!contains(kIdentifierNames, id)) {
      return fail(r.error(base,
                          "unknown identifier (id_number, insurance_number, org_code, "
                          "staff_no, licence_no, institution_code)"));
    }
    IdentifierRule rule;
    rule.placement =
        HPKI_TRY(parse_placement(r, base + ".placement", HPKI_TRY(r.string(base + ".placement"))));
    rule.required = HPKI_TRY(r.boolean(base + ".required", false));
    bool gm = rule.placement == IdentifierPlacement::kGmt0015 ||
              rule.placement == IdentifierPlacement::kGmt0015v2023;
    if (gm && id != "id_number" && id != "insurance_number" && id != "org_code") {
      return fail(
          r.error(base + ".placement", "GM/T 0015 has no extension for '" + id + "' (use health)"));
    }
    if (rule.required && rule.placement == IdentifierPlacement::kNone) {
      return fail(r.error(base, "a required identifier needs a placement"));
    }
    p.identifiers[id] = rule;
  }

  p.permitted_dns = HPKI_TRY(r.list("name_constraints.permitted_dns"));
  p.excluded_dns = HPKI_TRY(r.list("name_constraints.excluded_dns"));
  if (!is_ca && (!p.permitted_dns.empty() || !p.excluded_dns.empty())) {
    return fail(r.error("name_constraints", "only CA profiles carry name constraints"));
  }

  p.ocsp_nocheck = HPKI_TRY(r.boolean("options.ocsp_nocheck", false));
  p.cabf_server = HPKI_TRY(r.boolean("options.cabf_server", false));
  p.organization_names = HPKI_TRY(r.boolean("san.organization_names", false));
  if (p.organization_names && !contains(p.san_allowed, "dns") && !contains(p.san_allowed, "ip")) {
    return fail(r.error("san.organization_names", "needs dns or ip in san.allowed"));
  }
  auto requesters = HPKI_TRY(doc.get_string_list("requesters"));
  HPKI_TRY(doc.check_unknown_keys());

  // Issue 16: certificates that others trust for OCSP answers, timestamps, certificate signing
  // or operator access are issued only by hpki itself (ca init) or an admin.
  if (requesters) {
    for (const auto& role : *requesters) {
      if (!contains(kRequesterRoles, role)) {
        return fail(
            r.error("requesters", "unknown role '" + role + "' (admin, ra_officer, integration)"));
      }
      if (p.trust_service() && role != "admin") {
        return fail(
            r.error("requesters", "profile " + p.name +
                                      " is a trust-service profile (CA, OCSP, TSA, operator or "
                                      "audit signer certificates): only admin may request it, "
                                      "not " +
                                      role));
      }
    }
    p.requesters = *requesters;
  } else if (p.trust_service()) {
    p.requesters = {"admin"};
  } else {
    p.requesters.assign(std::begin(kRequesterRoles), std::end(kRequesterRoles));
  }

  // Consistency rules. Each names its source.
  const KeyUsageSet ca_bits = ku(KeyUsageBit::kKeyCertSign) | ku(KeyUsageBit::kCrlSign);
  if (is_ca) {
    // RFC 5280 4.2.1.9: a CA certificate has basicConstraints cA=TRUE; 4.2.1.3 keyCertSign.
    if (!p.basic_constraints)
      return fail(r.error("basic_constraints.emit", "CA profiles must emit basicConstraints"));
    if ((p.key_usage & ku(KeyUsageBit::kKeyCertSign)) == 0) {
      return fail(r.error("key_usage.usages", "RFC 5280 4.2.1.3: a CA profile needs keyCertSign"));
    }
    if (!p.extended_key_usage.empty()) {
      return fail(
          r.error("extended_key_usage", "CA profiles must not restrict extended key usage here"));
    }
  } else if ((p.key_usage & ca_bits) != 0) {
    // RFC 5280 4.2.1.3: keyCertSign only with cA=TRUE.
    return fail(
        r.error("key_usage.usages",
                "RFC 5280 4.2.1.3: end-entity profiles must not have keyCertSign or cRLSign"));
  }
  // GB/T 25056 / GM/T 0015 dual certificates: a key is either for signatures (nonRepudiation)
  // or for encryption, never both.
  const KeyUsageSet enc_bits =
      ku(KeyUsageBit::kKeyEncipherment) | ku(KeyUsageBit::kDataEncipherment);
  if ((p.key_usage & ku(KeyUsageBit::kNonRepudiation)) != 0 &&
      ((p.key_usage | p.key_usage_sm2_extra) & enc_bits) != 0) {
    return fail(r.error(
        "key_usage.usages",
        "GB/T 25056 dual certificates: nonRepudiation must not be combined with encipherment"));
  }
  bool has_tsa = contains(p.extended_key_usage, kEkuTimeStamping);
  if (has_tsa && (p.extended_key_usage.size() != 1 || !p.extended_key_usage_critical)) {
    return fail(
        r.error("extended_key_usage",
                "RFC 3161 2.3: a TSA certificate has timeStamping as its only EKU, critical"));
  }
  if (contains(p.extended_key_usage, kEkuOcspSigning) && !p.ocsp_nocheck) {
    return fail(r.error("options.ocsp_nocheck",
                        "RFC 6960 4.2.2.2.1: an OCSP responder profile should set ocsp_nocheck"));
  }
  if (p.ocsp_nocheck && !contains(p.extended_key_usage, kEkuOcspSigning)) {
    return fail(
        r.error("options.ocsp_nocheck", "ocsp_nocheck only belongs in OCSP responder profiles"));
  }
  if (p.cabf_server) {
    // CA/B Forum BR 6.3.2 (398 days), 7.1.2.3 (serverAuth, SAN with dNSName).
    if (p.max_days > 398)
      return fail(r.error("validity.max_days",
                          "CA/B Forum BR 6.3.2: at most 398 days for SSL certificates"));
    if (!contains(p.extended_key_usage, kEkuServerAuth))
      return fail(r.error("extended_key_usage", "CA/B Forum BR 7.1.2.3: serverAuth required"));
    if (!p.san_required || !contains(p.san_allowed, "dns"))
      return fail(r.error("san", "CA/B Forum BR 7.1.2.3: SAN with dNSName required"));
    for (const auto& k : p.key_algorithms) {
      if (k.type == crypto::KeyType::kRsa && k.rsa_bits < 2048)
        return fail(r.error("key_algorithms", "CA/B Forum BR 6.1.5: RSA >= 2048"));
    }
  }
  return p;
}

}  // namespace

Result<KeyUsageBit> parse_key_usage(std::string_view name) {
  for (auto [n, b] : kKeyUsageNames) {
    if (n == name) return b;
  }
  return fail(ErrorCode::kInvalidArgument, "unknown key usage '" + std::string(name) + "'");
}

std::string_view key_usage_name(KeyUsageBit b) {
  for (auto [n, bit] : kKeyUsageNames) {
    if (bit == b) return n;
  }
  return "unknown";
}

bool Profile::allows_requester(std::string_view role) const { return contains(requesters, role); }

bool Profile::trust_service() const {
  // Issue 21: the audit checkpoint signer, which evidence packages trust for the audit log.
  static const std::string audit_eku = der::oids::kHpkiAuditCheckpointSigning.to_string();
  return kind != CertKind::kEndEntity || contains(extended_key_usage, kEkuOcspSigning) ||
         contains(extended_key_usage, kEkuTimeStamping) ||
         contains(extended_key_usage, audit_eku) || name == kOperatorProfileName;
}

bool Profile::allows(const crypto::KeySpec& k) const {
  return std::find(key_algorithms.begin(), key_algorithms.end(), k) != key_algorithms.end();
}

KeyUsageSet Profile::key_usage_for(crypto::KeyType t) const {
  if (t == crypto::KeyType::kSm2) return static_cast<KeyUsageSet>(key_usage | key_usage_sm2_extra);
  // CA/B BR 7.1.2.7.11 (and RFC 5480 3): an ECDSA subscriber key has no keyEncipherment or
  // dataEncipherment (RSA key transport); the SSL server profile lists them for RSA keys.
  if (cabf_server && (t == crypto::KeyType::kEcP256 || t == crypto::KeyType::kEcP384)) {
    return static_cast<KeyUsageSet>(
        key_usage & ~(ku(KeyUsageBit::kKeyEncipherment) | ku(KeyUsageBit::kDataEncipherment)));
  }
  return key_usage;
}

bool is_dotted_oid(std::string_view s) {
  int arcs = 0;
  std::size_t i = 0;
  long first = -1;
  while (i <= s.size()) {
    std::size_t j = s.find('.', i);
    if (j == std::string_view::npos) j = s.size();
    auto arc = s.substr(i, j - i);
    // Any number of digits (X.667 UUID arcs under 2.25 have 39), no leading zero.
    if (arc.empty() || (arc.size() > 1 && arc[0] == '0')) return false;
    for (char c : arc) {
      if (c < '0' || c > '9') return false;
    }
    // Only the first two arcs are limited (X.660: 0..2, then below 40 under 0 and 1).
    const long v = arc.size() > 18 ? 1000 : std::stol(std::string(arc));
    if (arcs == 0) {
      if (v > 2) return false;
      first = v;
    } else if (arcs == 1 && first < 2 && v >= 40) {
      return false;
    }
    ++arcs;
    i = j + 1;
    if (j == s.size()) break;
  }
  return arcs >= 2 && der::Oid::from_string(s).has_value();
}

Result<Profile> parse_profile(std::string_view toml_text, std::string source) {
  auto doc = HPKI_TRY(ConfigDoc::parse(toml_text, std::move(source)));
  return read_profile(doc);
}

Result<Profile> load_profile(const std::filesystem::path& file) {
  auto doc = HPKI_TRY(ConfigDoc::load_file(file));
  auto p = HPKI_TRY(read_profile(doc));
  if (p.name != file.stem().string()) {
    return fail(ErrorCode::kConfigInvalid,
                file.string() + ": name '" + p.name + "' does not match the file name");
  }
  return p;
}

Result<std::map<std::string, Profile>> load_profiles(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path());
  }
  if (ec) return fail(ErrorCode::kConfigMissing, dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::map<std::string, Profile> out;
  for (const auto& f : files) {
    auto p = HPKI_TRY(load_profile(f));
    std::string name = p.name;
    if (!out.emplace(name, std::move(p)).second) {
      return fail(ErrorCode::kConfigInvalid,
                  f.string() + ": duplicate profile name '" + name + "'");
    }
  }
  return out;
}

Result<void> check_standard_set(const std::map<std::string, Profile>& profiles) {
  for (auto name : kStandardProfiles) {
    if (!profiles.contains(std::string(name))) {
      return fail(ErrorCode::kUnknownProfile,
                  "standard profile '" + std::string(name) + "' is missing");
    }
  }
  return {};
}

}  // namespace hpki::x509
