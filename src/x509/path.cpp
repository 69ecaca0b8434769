#include "x509/path.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "core/clock.h"
#include "der/reader.h"
#include "x509/detail/name_match.h"
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

namespace {

using detail::NcMatch;

// ---- extension decoders not needed elsewhere ------------------------------------------------

// RFC 5280 4.2.1.5 PolicyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE {
//   issuerDomainPolicy CertPolicyId, subjectDomainPolicy CertPolicyId }
Result<std::vector<std::pair<der::Oid, der::Oid>>> parse_policy_mappings(BytesView v) {
  der::Reader r(v);
  auto s = HPKI_TRY(r.read_sequence());
  HPKI_TRY(r.expect_end());
  std::vector<std::pair<der::Oid, der::Oid>> out;
  while (!s.at_end()) {
    auto m = HPKI_TRY(s.read_sequence());
    auto a = HPKI_TRY(m.read_oid());
    auto b = HPKI_TRY(m.read_oid());
    HPKI_TRY(m.expect_end());
    out.emplace_back(a, b);
  }
  if (out.empty()) return fail(ErrorCode::kMalformed, "empty policyMappings");
  return out;
}

struct PolicyConstraints {
  std::optional<std::uint64_t> require_explicit_policy;
  std::optional<std::uint64_t> inhibit_policy_mapping;
};

// RFC 5280 4.2.1.11 PolicyConstraints ::= SEQUENCE {
//   requireExplicitPolicy [0] SkipCerts OPTIONAL, inhibitPolicyMapping [1] SkipCerts OPTIONAL }
// "Conforming CAs MUST NOT issue certificates where policyConstraints is an empty sequence."
Result<PolicyConstraints> parse_policy_constraints(BytesView v) {
  der::Reader r(v);
  auto s = HPKI_TRY(r.read_sequence());
  HPKI_TRY(r.expect_end());
  PolicyConstraints pc;
  if (s.peek_is(der::Tag::context(0)))
    pc.require_explicit_policy = HPKI_TRY(s.read_uint64(der::Tag::context(0)));
  if (s.peek_is(der::Tag::context(1)))
    pc.inhibit_policy_mapping = HPKI_TRY(s.read_uint64(der::Tag::context(1)));
  HPKI_TRY(s.expect_end());
  if (!pc.require_explicit_policy && !pc.inhibit_policy_mapping)
    return fail(ErrorCode::kMalformed, "empty policyConstraints");
  return pc;
}

// RFC 5280 4.2.1.14 InhibitAnyPolicy ::= SkipCerts (INTEGER (0..MAX)).
Result<std::uint64_t> parse_inhibit_any_policy(BytesView v) {
  der::Reader r(v);
  auto n = HPKI_TRY(r.read_uint64());
  HPKI_TRY(r.expect_end());
  return n;
}

// RFC 5280 6.1.4 (o) / 6.1.5 (f): the extensions this validator processes. Anything else
// marked critical makes the path invalid.
bool is_processed_extension(const der::Oid& oid) {
  namespace o = der::oids;
  return oid == o::kBasicConstraints || oid == o::kKeyUsage || oid == o::kExtKeyUsage ||
         oid == o::kSubjectAltName || oid == o::kNameConstraints ||
         oid == o::kCertificatePolicies || oid == o::kPolicyMappings ||
         oid == o::kPolicyConstraints || oid == o::kInhibitAnyPolicy ||
         oid == o::kSubjectKeyIdentifier || oid == o::kAuthorityKeyIdentifier ||
         oid == o::kCrlDistributionPoints;
}

// ---- RFC 5280 6.1.2 (a) valid_policy_tree --------------------------------------------------

inline constexpr std::size_t kMaxPolicyNodes = 4096;

class PolicyTree {
 public:
  PolicyTree() {
    levels_.push_back({Node{der::oids::kAnyPolicy, {der::oids::kAnyPolicy}, -1, false}});
  }
  [[nodiscard]] bool null() const { return null_; }
  [[nodiscard]] bool too_large() const { return too_large_; }
  void make_null() { null_ = true; }

  // 6.1.3 (d) for certificate i (1-based) with its policies.
  void process_certificate(std::size_t i, const std::vector<der::Oid>& policies, bool any_allowed) {
    if (null_) return;
    levels_.resize(i + 1);
    auto& parents = levels_[i - 1];
    bool has_any = false;
    for (const auto& p : policies) {
      if (p == der::oids::kAnyPolicy) {
        has_any = true;
        continue;
      }
      bool matched = false;  // (d)(1)(i)
      for (std::size_t k = 0; k < parents.size(); ++k) {
        const Node& n = parents[k];
        if (n.deleted) continue;
        if (std::find(n.expected.begin(), n.expected.end(), p) != n.expected.end()) {
          add(i, p, static_cast<int>(k));
          matched = true;
        }
      }
      if (!matched) {  // (d)(1)(ii)
        for (std::size_t k = 0; k < parents.size(); ++k) {
          if (!parents[k].deleted && parents[k].valid_policy == der::oids::kAnyPolicy)
            add(i, p, static_cast<int>(k));
        }
      }
    }
    if (has_any && any_allowed) {  // (d)(2)
      for (std::size_t k = 0; k < levels_[i - 1].size(); ++k) {
        const Node n = levels_[i - 1][k];
        if (n.deleted) continue;
        for (const auto& e : n.expected) {
          if (!has_child_with(i, static_cast<int>(k), e)) add(i, e, static_cast<int>(k));
        }
      }
    }
    prune(i);  // (d)(3)
  }

  // 6.1.4 (b) for certificate i with its mappings (issuerDomainPolicy -> subjectDomainPolicies).
  void apply_mappings(std::size_t i, const std::map<der::Oid, std::vector<der::Oid>>& mappings,
                      bool mapping_allowed) {
    if (null_ || i >= levels_.size()) return;
    for (const auto& [idp, sdps] : mappings) {
      auto& level = levels_[i];
      if (mapping_allowed) {  // (b)(1)
        bool found = false;
        for (auto& n : level) {
          if (!n.deleted && n.valid_policy == idp) {
            n.expected = sdps;
            found = true;
          }
        }
        if (!found) {
          for (std::size_t k = 0; k < level.size(); ++k) {
            if (!level[k].deleted && level[k].valid_policy == der::oids::kAnyPolicy) {
              const int parent = level[k].parent;
              level.push_back(Node{idp, sdps, parent, false});
              break;
            }
          }
        }
      } else {  // (b)(2)
        for (auto& n : level) {
          if (!n.deleted && n.valid_policy == idp) n.deleted = true;
        }
        prune(i);
      }
    }
  }

  // 6.1.5 (g): intersection with the user-initial-policy-set, for a path of n certificates.
  void intersect(std::size_t n, const std::vector<der::Oid>& user_set) {
    if (null_) return;
    if (std::find(user_set.begin(), user_set.end(), der::oids::kAnyPolicy) != user_set.end())
      return;  // (g)(ii)
    levels_.resize(n + 1);
    // (g)(iii)(1): nodes whose parent has valid_policy anyPolicy.
    std::vector<std::pair<std::size_t, std::size_t>> set;
    std::set<der::Oid> set_policies;
    for (std::size_t d = 1; d <= n; ++d) {
      for (std::size_t k = 0; k < levels_[d].size(); ++k) {
        const Node& node = levels_[d][k];
        if (node.deleted || node.parent < 0) continue;
        const Node& parent = levels_[d - 1][static_cast<std::size_t>(node.parent)];
        if (parent.valid_policy == der::oids::kAnyPolicy) {
          set.emplace_back(d, k);
          set_policies.insert(node.valid_policy);
        }
      }
    }
    // (g)(iii)(2)
    for (const auto& [d, k] : set) {
      const Node& node = levels_[d][k];
      if (node.valid_policy != der::oids::kAnyPolicy &&
          std::find(user_set.begin(), user_set.end(), node.valid_policy) == user_set.end())
        delete_subtree(d, k);
    }
    // (g)(iii)(3)
    auto& leaves = levels_[n];
    for (std::size_t k = 0; k < leaves.size(); ++k) {
      if (leaves[k].deleted || leaves[k].valid_policy != der::oids::kAnyPolicy) continue;
      const int parent = leaves[k].parent;
      leaves[k].deleted = true;
      for (const auto& p : user_set) {
        if (!set_policies.contains(p)) leaves.push_back(Node{p, {p}, parent, false});
      }
      break;
    }
    prune(n);  // (g)(iii)(4)
  }

  [[nodiscard]] std::vector<std::string> leaf_policies(std::size_t n) const {
    std::vector<std::string> out;
    if (null_ || n >= levels_.size()) return out;
    for (std::size_t k = 0; k < levels_[n].size(); ++k) {
      if (levels_[n][k].deleted) continue;
      // The policy in the trust anchor's domain: the highest ancestor below anyPolicy nodes
      // (policy mapping renames policies on the way down).
      std::size_t d = n, idx = k;
      while (d > 1) {
        const Node& node = levels_[d][idx];
        const Node& parent = levels_[d - 1][static_cast<std::size_t>(node.parent)];
        if (parent.valid_policy == der::oids::kAnyPolicy) break;
        idx = static_cast<std::size_t>(node.parent);
        --d;
      }
      std::string s = levels_[d][idx].valid_policy.to_string();
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  struct Node {
    der::Oid valid_policy;
    std::vector<der::Oid> expected;
    int parent;
    bool deleted;
  };

  void add(std::size_t depth, const der::Oid& policy, int parent) {
    // Bounded: policy trees grow with policies x mappings per level (CVE-2023-0464 in
    // OpenSSL); a tree past the limit is treated as empty and reported.
    if (++nodes_ > kMaxPolicyNodes) {
      too_large_ = true;
      null_ = true;
      return;
    }
    levels_[depth].push_back(Node{policy, {policy}, parent, false});
  }
  bool has_child_with(std::size_t depth, int parent, const der::Oid& policy) const {
    for (const auto& n : levels_[depth]) {
      if (!n.deleted && n.parent == parent && n.valid_policy == policy) return true;
    }
    return false;
  }
  bool has_children(std::size_t depth, std::size_t k) const {
    if (depth + 1 >= levels_.size()) return false;
    for (const auto& n : levels_[depth + 1]) {
      if (!n.deleted && n.parent == static_cast<int>(k)) return true;
    }
    return false;
  }
  void delete_subtree(std::size_t depth, std::size_t k) {
    levels_[depth][k].deleted = true;
    if (depth + 1 >= levels_.size()) return;
    for (std::size_t c = 0; c < levels_[depth + 1].size(); ++c) {
      if (!levels_[depth + 1][c].deleted && levels_[depth + 1][c].parent == static_cast<int>(k))
        delete_subtree(depth + 1, c);
    }
  }
  // Deletes childless nodes of depth < `depth`, bottom up; an emptied tree becomes NULL.
  void prune(std::size_t depth) {
    for (std::size_t d = depth; d-- > 0;) {
      for (std::size_t k = 0; k < levels_[d].size(); ++k) {
        if (!levels_[d][k].deleted && !has_children(d, k)) levels_[d][k].deleted = true;
      }
    }
    bool any = false;
    for (const auto& n : levels_[depth]) any = any || !n.deleted;
    if (levels_[0][0].deleted || !any) null_ = true;
  }

  std::vector<std::vector<Node>> levels_;
  bool null_ = false;
  bool too_large_ = false;
  std::size_t nodes_ = 1;
};

// ---- validation context -------------------------------------------------------------------

struct Context {
  Context(const std::vector<CertificatePtr>& i, const std::vector<CertificatePtr>& a,
          const PathOptions& o)
      : intermediates(i), anchors(a), options(o) {}
  const std::vector<CertificatePtr>& intermediates;
  const std::vector<CertificatePtr>& anchors;
  const PathOptions& options;
  int recursion = 0;
  std::map<Bytes, std::optional<crypto::PublicKey>> keys;
  std::map<std::pair<const Certificate*, const Certificate*>, Result<void>> signatures;
  std::size_t signature_checks = 0;
  std::size_t paths = 0;
  bool budget_exceeded = false;
  bool depth_limited = false;
  std::optional<PathReport> best;
  // A certificate whose issuer candidates all failed the signature check (for the report).
  std::optional<std::pair<CertificatePtr, std::string>> signature_failure;
};

Result<void> check_signature_with(Context& ctx, BytesView spki, BytesView tbs,
                                  const AlgorithmIdentifier& sig_alg,
                                  const AlgorithmIdentifier& tbs_alg, BytesView signature) {
  if (sig_alg.der != tbs_alg.der)
    return fail(ErrorCode::kBadCertificate, "signatureAlgorithm differs from the TBS signature");
  auto alg = HPKI_TRY(signature_alg_from(sig_alg));
  if (ctx.options.key_policy.cache != nullptr) {
    // Keys and successful checks remembered across validations (crypto/signature_cache.h).
    return crypto::verify_signature(spki, alg, tbs, signature, ctx.options.sm2_id,
                                    ctx.options.key_policy);
  }
  Bytes key_der(spki.begin(), spki.end());
  auto it = ctx.keys.find(key_der);
  if (it == ctx.keys.end()) {
    auto key = crypto::PublicKey::from_spki(spki, ctx.options.key_policy);
    it = ctx.keys.emplace(key_der, key ? std::optional(*key) : std::nullopt).first;
    if (!key) return fail(key.error());
  }
  if (!it->second) return fail(ErrorCode::kUnsupportedAlgorithm, "issuer public key is not usable");
  return it->second->verify(alg, tbs, signature, ctx.options.sm2_id);
}

const Result<void>& edge_signature(Context& ctx, const Certificate& subject,
                                   const Certificate& issuer) {
  auto key = std::make_pair(&subject, &issuer);
  auto it = ctx.signatures.find(key);
  if (it != ctx.signatures.end()) return it->second;
  ++ctx.signature_checks;
  auto r =
      check_signature_with(ctx, issuer.spki_der(), subject.tbs_der(), subject.signature_algorithm(),
                           subject.tbs_signature_algorithm(), subject.signature());
  return ctx.signatures.emplace(key, std::move(r)).first->second;
}

std::optional<Bytes> ski_of(const Certificate& c) {
  if (const Extension* e = c.find_extension(der::oids::kSubjectKeyIdentifier)) {
    if (auto v = parse_subject_key_identifier(e->value)) return *v;
  }
  return std::nullopt;
}

std::optional<Bytes> aki_of(const Certificate& c) {
  if (const Extension* e = c.find_extension(der::oids::kAuthorityKeyIdentifier)) {
    if (auto v = parse_authority_key_identifier(e->value)) return v->key_id;
  }
  return std::nullopt;
}

bool same_certificate(const Certificate& a, const Certificate& b) { return a.der() == b.der(); }

// ---- RFC 5280 6.1.3 (b), (c): name constraints --------------------------------------------

inline constexpr std::size_t kMaxNameConstraintChecks = 1 << 20;

struct NcState {
  std::vector<std::vector<GeneralName>> permitted;  // one list per constraining certificate
  std::vector<std::vector<GeneralName>> excluded;
};

std::optional<Diagnostic> check_name_constraints(const Certificate& cert, const NcState& nc,
                                                 bool is_leaf, Rules rules) {
  if (nc.permitted.empty() && nc.excluded.empty()) return std::nullopt;
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
      return Diagnostic{diag::kMalformedExtension, "subjectAltName: " + san.error().detail()};
    has_san = true;
    names.insert(names.end(), san->begin(), san->end());
  }
  // RFC 5280 4.2.1.10: e-mail addresses in the subject's emailAddress attribute are constrained
  // by rfc822Name subtrees.
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
  for (const auto& l : nc.permitted) constraints += l.size();
  for (const auto& l : nc.excluded) constraints += l.size();
  if (names.size() * constraints > kMaxNameConstraintChecks)
    return Diagnostic{diag::kNameConstraintUnsupported,
                      std::to_string(names.size()) + " names against " +
                          std::to_string(constraints) + " constraints exceed the work limit"};
  for (const auto& name : names) {
    for (const auto& list : nc.excluded) {
      for (const auto& base : list) {
        if (base.type != name.type) continue;
        const NcMatch m = detail::name_in_subtree(name, base, true);
        if (m == NcMatch::kMatch)
          return Diagnostic{diag::kNameConstraintViolation,
                            "a name of the certificate is in an excluded subtree"};
        if (m == NcMatch::kUnsupported)
          return Diagnostic{diag::kNameConstraintUnsupported,
                            "a name form constrained by an excluded subtree cannot be checked"};
      }
    }
    for (const auto& list : nc.permitted) {
      bool constrained = false, ok = false, unsupported = false;
      for (const auto& base : list) {
        if (base.type != name.type) continue;
        constrained = true;
        const NcMatch m = detail::name_in_subtree(name, base, false);
        if (m == NcMatch::kMatch) ok = true;
        if (m == NcMatch::kUnsupported) unsupported = true;
      }
      if (constrained && !ok) {
        if (unsupported)
          return Diagnostic{diag::kNameConstraintUnsupported,
                            "a name form constrained by a permitted subtree cannot be checked"};
        return Diagnostic{diag::kNameConstraintViolation,
                          "a name of the certificate is outside the permitted subtrees"};
      }
    }
  }
  return std::nullopt;
}

// ---- target requirements ---------------------------------------------------------------------

std::optional<Diagnostic> check_identity(const Certificate& leaf, const PeerIdentity& id) {
  std::vector<GeneralName> san;
  if (const Extension* e = leaf.find_extension(der::oids::kSubjectAltName)) {
    auto parsed = parse_general_names(e->value);
    if (!parsed)
      return Diagnostic{diag::kMalformedExtension, "subjectAltName: " + parsed.error().detail()};
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

// ---- certificate profile (RFC 5280 section 4 MUSTs a relying party can see; CA/B Forum) ----

enum class Position { kTarget, kIntermediate, kAnchor };

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

// RFC 5280 4.2.1.6 / RFC 1034 3.5 preferred name syntax (LDH labels), with an optional
// leading "*." wildcard label in certificates.
bool valid_dns_name(std::string_view name, bool allow_wildcard) {
  if (allow_wildcard && name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63 || name[i - 1] == '-' || name[i - label] == '-') return false;
      label = 0;
      continue;
    }
    const char c = name[i];
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
    ++label;
  }
  return true;
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
              same_identity =
                  same_identity || detail::ascii_lower(g.text) == detail::ascii_lower(cn);
            }
            if (g.type == GeneralName::Type::kIp) copy = copy || canonical_ip(g.ip) == cn;
          }
          // A legacy commonName naming some other FQDN is tolerated; one that encodes an
          // identity differently (case, IP literal forms, U-label or A-label IDNs) is not.
          const std::string lower = detail::ascii_lower(cn);
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

// ---- one candidate path --------------------------------------------------------------------

struct Processed {
  PathReport report;
  bool structurally_valid = false;
};

void add_diag(CertificateReport& cr, std::string_view id, std::string detail) {
  cr.diagnostics.push_back(Diagnostic{id, std::move(detail)});
}

PathReport validate_impl(Context& parent, const CertificatePtr& target);

// `chain`: target first, trust anchor last.
PathReport process_path(Context& ctx, const std::vector<CertificatePtr>& chain) {
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
  PolicyTree tree;
  std::uint64_t explicit_policy = o.initial_explicit_policy ? 0 : n + 1;
  std::uint64_t inhibit_any = o.initial_any_policy_inhibit ? 0 : n + 1;
  std::uint64_t policy_mapping = o.initial_policy_mapping_inhibit ? 0 : n + 1;
  std::uint64_t max_path_length = n;
  NcState nc;
  const Certificate* working_issuer = chain[n].get();
  bool policy_tree_reported = false;

  // The trust anchor certificate: validity, profile, and its name constraints (applied as
  // trust anchor constraints, RFC 5937 3.2 / what browsers do).
  {
    const Certificate& anchor = *chain[n];
    CertificateReport& cr = rep.chain[n];
    const auto at = std::chrono::floor<std::chrono::seconds>(o.at);
    if (at < anchor.validity().not_before)
      add_diag(cr, diag::kNotYetValid, "notBefore " + format_rfc3339(anchor.validity().not_before));
    if (at > anchor.validity().not_after)
      add_diag(cr, diag::kNotAfterPassed,
               "notAfter " + format_rfc3339(anchor.validity().not_after));
    for (auto& d : check_profile(anchor, Position::kAnchor, o.rules)) cr.diagnostics.push_back(d);
    if (const Extension* e = anchor.find_extension(der::oids::kNameConstraints)) {
      if (auto v = parse_name_constraints(e->value)) {
        if (!v->permitted.empty()) nc.permitted.push_back(v->permitted);
        if (!v->excluded.empty()) nc.excluded.push_back(v->excluded);
      } else {
        add_diag(cr, diag::kMalformedExtension, "nameConstraints: " + v.error().detail());
      }
    }
  }

  for (std::size_t i = 1; i <= n; ++i) {
    const std::size_t idx = n - i;  // index in chain (target = 0)
    const Certificate& cert = *chain[idx];
    CertificateReport& cr = rep.chain[idx];
    const bool is_leaf = i == n;
    const bool self_issued = names_match(cert.issuer(), cert.subject());

    // 6.1.3 (a)(1) signature, (a)(2) validity, (a)(4) issuer name.
    if (const auto& sig = edge_signature(ctx, cert, *working_issuer); !sig)
      add_diag(cr,
               sig.error().code() == ErrorCode::kBadSignature ? diag::kSignatureInvalid
                                                              : diag::kUnsupportedAlgorithm,
               sig.error().to_string());
    // RFC 5280 4.1.2.5: validity has a granularity of one second.
    const auto at = std::chrono::floor<std::chrono::seconds>(o.at);
    if (at < cert.validity().not_before)
      add_diag(cr, diag::kNotYetValid, "notBefore " + format_rfc3339(cert.validity().not_before));
    if (at > cert.validity().not_after)
      add_diag(cr, diag::kNotAfterPassed, "notAfter " + format_rfc3339(cert.validity().not_after));
    if (!names_match(cert.issuer(), working_issuer->subject()))
      add_diag(cr, diag::kIssuerNameMismatch, "issuer does not match the issuer's subject");

    for (auto& d :
         check_profile(cert, is_leaf ? Position::kTarget : Position::kIntermediate, o.rules))
      cr.diagnostics.push_back(d);

    // 6.1.3 (b), (c): skipped for self-issued intermediates.
    if (is_leaf || !self_issued) {
      if (auto d = check_name_constraints(cert, nc, is_leaf, o.rules))
        add_diag(cr, d->id, std::move(d->detail));
    }

    // 6.1.3 (d)-(f): certificate policies.
    if (const Extension* e = cert.find_extension(der::oids::kCertificatePolicies)) {
      auto cp = parse_certificate_policies(e->value);
      if (!cp) {
        add_diag(cr, diag::kMalformedExtension, "certificatePolicies: " + cp.error().detail());
        tree.make_null();
      } else {
        std::vector<der::Oid> policies;
        for (const auto& p : *cp) policies.push_back(p.policy);
        tree.process_certificate(i, policies, inhibit_any > 0 || (!is_leaf && self_issued));
        if (tree.too_large() && !policy_tree_reported) {
          policy_tree_reported = true;
          add_diag(cr, diag::kPolicyTreeTooLarge, "the valid policy tree exceeds its size limit");
        }
      }
    } else {
      tree.make_null();  // (e)
    }
    // (f)
    if (explicit_policy == 0 && tree.null())
      add_diag(cr, diag::kExplicitPolicyRequired,
               "an explicit policy is required and the valid policy tree is empty");

    // Extensions common to every certificate.
    std::optional<BasicConstraints> bc;
    if (const Extension* e = cert.find_extension(der::oids::kBasicConstraints)) {
      auto v = parse_basic_constraints(e->value);
      if (v)
        bc = *v;
      else
        add_diag(cr, diag::kMalformedExtension, "basicConstraints: " + v.error().detail());
    }
    std::optional<KeyUsageBits> key_usage;
    if (const Extension* e = cert.find_extension(der::oids::kKeyUsage)) {
      auto v = parse_key_usage(e->value);
      if (v)
        key_usage = *v;
      else
        add_diag(cr, diag::kMalformedExtension, "keyUsage: " + v.error().detail());
    }
    // 6.1.4 (o) / 6.1.5 (f)
    for (const auto& e : cert.extensions()) {
      if (e.critical && !is_processed_extension(e.oid))
        add_diag(cr, diag::kUnknownCriticalExtension,
                 "unrecognized critical extension " + e.oid.to_string());
    }

    if (!is_leaf) {
      // 6.1.4 (a), (b): policy mappings.
      if (const Extension* e = cert.find_extension(der::oids::kPolicyMappings)) {
        auto pm = parse_policy_mappings(e->value);
        if (!pm) {
          add_diag(cr, diag::kMalformedExtension, "policyMappings: " + pm.error().detail());
        } else {
          std::map<der::Oid, std::vector<der::Oid>> mappings;
          for (const auto& [idp, sdp] : *pm) {
            if (idp == der::oids::kAnyPolicy || sdp == der::oids::kAnyPolicy) {
              add_diag(cr, diag::kPolicyAnyPolicyMapping, "policyMappings maps anyPolicy");
              continue;
            }
            auto& v = mappings[idp];
            if (std::find(v.begin(), v.end(), sdp) == v.end()) v.push_back(sdp);
          }
          tree.apply_mappings(i, mappings, policy_mapping > 0);
        }
      }
      // 6.1.4 (c)-(f): next working key and issuer name.
      working_issuer = &cert;
      // 6.1.4 (g): name constraints.
      if (const Extension* e = cert.find_extension(der::oids::kNameConstraints)) {
        auto v = parse_name_constraints(e->value);
        if (!v) {
          add_diag(cr, diag::kMalformedExtension, "nameConstraints: " + v.error().detail());
        } else {
          if (!v->permitted.empty()) nc.permitted.push_back(v->permitted);
          if (!v->excluded.empty()) nc.excluded.push_back(v->excluded);
        }
      }
      // 6.1.4 (h)
      if (!self_issued) {
        if (explicit_policy > 0) --explicit_policy;
        if (policy_mapping > 0) --policy_mapping;
        if (inhibit_any > 0) --inhibit_any;
      }
      // 6.1.4 (i)
      if (const Extension* e = cert.find_extension(der::oids::kPolicyConstraints)) {
        auto pc = parse_policy_constraints(e->value);
        if (!pc) {
          add_diag(cr, diag::kMalformedExtension, "policyConstraints: " + pc.error().detail());
        } else {
          if (pc->require_explicit_policy)
            explicit_policy = std::min(explicit_policy, *pc->require_explicit_policy);
          if (pc->inhibit_policy_mapping)
            policy_mapping = std::min(policy_mapping, *pc->inhibit_policy_mapping);
        }
      }
      // 6.1.4 (j)
      if (const Extension* e = cert.find_extension(der::oids::kInhibitAnyPolicy)) {
        auto v = parse_inhibit_any_policy(e->value);
        if (!v)
          add_diag(cr, diag::kMalformedExtension, "inhibitAnyPolicy: " + v.error().detail());
        else
          inhibit_any = std::min(inhibit_any, *v);
      }
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
      // 6.1.5 (a), (b)
      if (explicit_policy > 0) --explicit_policy;
      if (const Extension* e = cert.find_extension(der::oids::kPolicyConstraints)) {
        auto pc = parse_policy_constraints(e->value);
        if (!pc)
          add_diag(cr, diag::kMalformedExtension, "policyConstraints: " + pc.error().detail());
        else if (pc->require_explicit_policy && *pc->require_explicit_policy == 0)
          explicit_policy = 0;
      }
      // 6.1.5 (g)
      tree.intersect(n, o.initial_policy_set);
      if (explicit_policy == 0 && tree.null())
        add_diag(cr, diag::kExplicitPolicyRequired,
                 "no acceptable policy remains and an explicit policy is required");
      rep.user_constrained_policy_set = tree.leaf_policies(n);

      // The caller's requirements on the target.
      if (o.identity) {
        if (auto d = check_identity(cert, *o.identity)) add_diag(cr, d->id, std::move(d->detail));
      }
      if (o.required_key_usage != 0 && key_usage &&
          (*key_usage & o.required_key_usage) != o.required_key_usage)
        add_diag(cr, diag::kKeyUsageMissing, "keyUsage lacks a required usage");
      if (!o.required_ekus.empty()) {
        if (const Extension* e = cert.find_extension(der::oids::kExtKeyUsage)) {
          auto eku = parse_extended_key_usage(e->value);
          if (!eku) {
            add_diag(cr, diag::kMalformedExtension, "extKeyUsage: " + eku.error().detail());
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
            return validate_impl(ctx, other).valid;
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
      rep.detail = "certificate " + std::to_string(idx) + " (" + to_string(chain[idx]->subject()) +
                   "): " + rep.chain[idx].diagnostics.front().detail;
      break;
    }
  }
  return rep;
}

// Depth-first path building (RFC 4158 in spirit): anchors before intermediates, candidates with
// a matching key identifier first; stops at the first valid path or when the budget is spent.
bool build(Context& ctx, std::vector<CertificatePtr>& chain) {
  if (ctx.paths >= ctx.options.max_paths ||
      ctx.signature_checks >= ctx.options.max_signature_checks) {
    ctx.budget_exceeded = true;
    return false;
  }
  const Certificate& cur = *chain.back();
  const std::optional<Bytes> aki = aki_of(cur);
  auto rank = [&](const CertificatePtr& c) {
    if (!aki) return 1;
    auto ski = ski_of(*c);
    if (!ski) return 1;
    return *ski == *aki ? 0 : 2;
  };
  auto candidates = [&](const std::vector<CertificatePtr>& pool) {
    std::vector<CertificatePtr> out;
    for (const auto& c : pool) {
      if (names_match(c->subject(), cur.issuer())) out.push_back(c);
    }
    std::stable_sort(out.begin(), out.end(),
                     [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    return out;
  };

  for (const auto& anchor : candidates(ctx.anchors)) {
    const auto& sig = edge_signature(ctx, cur, *anchor);
    if (!sig) {
      if (!ctx.signature_failure) ctx.signature_failure = {chain.back(), sig.error().to_string()};
      continue;
    }
    chain.push_back(anchor);
    ++ctx.paths;
    PathReport rep = process_path(ctx, chain);
    chain.pop_back();
    if (rep.valid) {
      ctx.best = std::move(rep);
      return true;
    }
    if (!ctx.best) ctx.best = std::move(rep);
  }
  if (chain.size() > ctx.options.max_depth) {
    if (!candidates(ctx.intermediates).empty()) ctx.depth_limited = true;
    return false;
  }
  for (const auto& next : candidates(ctx.intermediates)) {
    // Loops: a certificate (or the same name and key) at most once per path; a pool copy of
    // an anchor is the anchor.
    bool skip = false;
    for (const auto& c : chain) {
      skip = skip || same_certificate(*c, *next) ||
             (names_match(c->subject(), next->subject()) && c->spki_der() == next->spki_der());
    }
    for (const auto& a : ctx.anchors) skip = skip || same_certificate(*a, *next);
    if (skip) continue;
    const auto& sig = edge_signature(ctx, cur, *next);
    if (!sig) {
      if (!ctx.signature_failure) ctx.signature_failure = {chain.back(), sig.error().to_string()};
      continue;
    }
    chain.push_back(next);
    const bool found = build(ctx, chain);
    chain.pop_back();
    if (found) return true;
    if (ctx.budget_exceeded) return false;
  }
  return false;
}

PathReport run(Context& ctx, const CertificatePtr& target) {
  const PathOptions& o = ctx.options;
  std::vector<CertificatePtr> chain{target};
  build(ctx, chain);
  if (ctx.best) {
    ctx.best->paths_tried = ctx.paths;
    return *ctx.best;
  }
  PathReport rep;
  rep.at = o.at;
  rep.rules = o.rules;
  rep.chain.push_back(CertificateReport{target, "target", std::nullopt, {}});
  if (ctx.budget_exceeded) {
    rep.status = diag::kPathBudgetExceeded;
    rep.detail =
        "path building gave up after " + std::to_string(ctx.signature_checks) + " signature checks";
  } else if (ctx.depth_limited) {
    rep.status = diag::kMaxDepthExceeded;
    rep.detail = "no path within " + std::to_string(o.max_depth) + " intermediates";
  } else if (ctx.signature_failure) {
    rep.status = diag::kSignatureInvalid;
    rep.detail =
        to_string(ctx.signature_failure->first->subject()) + ": " + ctx.signature_failure->second;
  } else {
    rep.status = diag::kNoPath;
    rep.detail = "no issuer of " +
                 to_string(target->issuer().rdns.empty() ? target->subject() : target->issuer()) +
                 " leads to a trust anchor";
  }
  rep.chain.front().diagnostics.push_back(Diagnostic{rep.status, rep.detail});
  return rep;
}

PathReport validate_impl(Context& parent, const CertificatePtr& target) {
  // A certificate validated for a revocation source (e.g. a CRL signer): same anchors, pool,
  // time and revocation, default policy inputs and no target requirements.
  PathOptions o = parent.options;
  o.initial_policy_set = {der::oids::kAnyPolicy};
  o.initial_explicit_policy = false;
  o.initial_policy_mapping_inhibit = false;
  o.initial_any_policy_inhibit = false;
  o.identity.reset();
  o.required_ekus.clear();
  o.required_key_usage = 0;
  for (const auto& a : parent.anchors) {
    if (same_certificate(*a, *target)) {
      PathReport rep;
      rep.valid = true;
      rep.status = diag::kValid;
      return rep;
    }
  }
  Context ctx{parent.intermediates, parent.anchors, o};
  ctx.recursion = parent.recursion + 1;
  return run(ctx, target);
}

}  // namespace

PathReport validate_path(const CertificatePtr& target,
                         const std::vector<CertificatePtr>& intermediates,
                         const std::vector<CertificatePtr>& anchors, const PathOptions& options) {
  Context ctx{intermediates, anchors, options};
  return run(ctx, target);
}

// ---- renderings -----------------------------------------------------------------------------

std::string path_report_json(const PathReport& r) {
  nlohmann::json j;
  j["valid"] = r.valid;
  j["status"] = std::string(r.status);
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
      c["serial"] = cr.certificate->serial_hex();
      c["not_before"] = format_rfc3339(cr.certificate->validity().not_before);
      c["not_after"] = format_rfc3339(cr.certificate->validity().not_after);
      c["fingerprint_sha256"] = cr.certificate->fingerprint_sha256();
    }
    if (cr.revocation) c["revocation"] = std::string(revocation_status_name(*cr.revocation));
    auto ds = nlohmann::json::array();
    for (const auto& d : cr.diagnostics)
      ds.push_back({{"id", std::string(d.id)}, {"detail", d.detail}});
    c["diagnostics"] = ds;
    chain.push_back(c);
  }
  j["chain"] = chain;
  j["user_constrained_policy_set"] = r.user_constrained_policy_set;
  return j.dump(2) + "\n";
}

std::string path_report_text(const PathReport& r) {
  std::string out = r.valid ? "valid" : "invalid: " + std::string(r.status);
  if (!r.valid && !r.detail.empty()) out += " (" + r.detail + ")";
  out += "\n";
  for (std::size_t k = 0; k < r.chain.size(); ++k) {
    const auto& cr = r.chain[k];
    out += "  [" + std::to_string(k) + "] " + cr.role;
    if (cr.certificate) out += " " + to_string(cr.certificate->subject());
    if (cr.revocation)
      out += " (revocation: " + std::string(revocation_status_name(*cr.revocation)) + ")";
    out += "\n";
    for (const auto& d : cr.diagnostics)
      out += "      " + std::string(d.id) + ": " + d.detail + "\n";
  }
  return out;
}

}  // namespace hpki::x509
