// RFC 5280 6.1 certificate policy processing for path validation (detail/path_policy.h).
#include "x509/detail/path_policy.h"

#include <algorithm>
#include <set>
#include <utility>

#include "der/oids.h"
#include "der/reader.h"
#include "x509/diag.h"

namespace hpki::x509::detail {
namespace {

// RFC 5280 4.2.1.11: an empty policyConstraints SEQUENCE has its own rule; other parse failures
// are a malformed extension (the status names it).
std::string_view policy_constraints_rule(BytesView value) {
  return value.size() == 2 && value[0] == 0x30 && value[1] == 0x00
             ? diag::path_rule::kPolicyConstraintsEmpty
             : std::string_view{};
}

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

}  // namespace

// ---- RFC 5280 6.1.2 (a) valid_policy_tree --------------------------------------------------

PolicyTree::PolicyTree() {
  levels_.push_back({Node{der::oids::kAnyPolicy, {der::oids::kAnyPolicy}, -1, false}});
}

// 6.1.3 (d) for certificate i (1-based) with its policies.
void PolicyTree::process_certificate(std::size_t i, const std::vector<der::Oid>& policies,
                                     bool any_allowed) {
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

void PolicyTree::apply_mappings(std::size_t i,
                                const std::map<der::Oid, std::vector<der::Oid>>& mappings,
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
void PolicyTree::intersect(std::size_t n, const std::vector<der::Oid>& user_set) {
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

std::vector<std::string> PolicyTree::leaf_policies(std::size_t n) const {
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

void PolicyTree::add(std::size_t depth, const der::Oid& policy, int parent) {
  // Bounded: policy trees grow with policies x mappings per level (CVE-2023-0464 in
  // OpenSSL); a tree past the limit is treated as empty and reported.
  if (++nodes_ > kMaxNodes) {
    too_large_ = true;
    null_ = true;
    return;
  }
  levels_[depth].push_back(Node{policy, {policy}, parent, false});
}

bool PolicyTree::has_child_with(std::size_t depth, int parent, const der::Oid& policy) const {
  for (const auto& n : levels_[depth]) {
    if (!n.deleted && n.parent == parent && n.valid_policy == policy) return true;
  }
  return false;
}

bool PolicyTree::has_children(std::size_t depth, std::size_t k) const {
  if (depth + 1 >= levels_.size()) return false;
  for (const auto& n : levels_[depth + 1]) {
    if (!n.deleted && n.parent == static_cast<int>(k)) return true;
  }
  return false;
}

void PolicyTree::delete_subtree(std::size_t depth, std::size_t k) {
  levels_[depth][k].deleted = true;
  if (depth + 1 >= levels_.size()) return;
  for (std::size_t c = 0; c < levels_[depth + 1].size(); ++c) {
    if (!levels_[depth + 1][c].deleted && levels_[depth + 1][c].parent == static_cast<int>(k))
      delete_subtree(depth + 1, c);
  }
}

void PolicyTree::prune(std::size_t depth) {
  for (std::size_t d = depth; d-- > 0;) {
    for (std::size_t k = 0; k < levels_[d].size(); ++k) {
      if (!levels_[d][k].deleted && !has_children(d, k)) levels_[d][k].deleted = true;
    }
  }
  bool any = false;
  for (const auto& n : levels_[depth]) any = any || !n.deleted;
  if (levels_[0][0].deleted || !any) null_ = true;
}

// ---- the policy state variables of one path ------------------------------------------------

// RFC 5280 6.1.2 (a), (d), (e), (f).
PolicyState::PolicyState(std::size_t n, const PathOptions& options)
    : n_(n),
      options_(options),
      explicit_policy_(options.initial_explicit_policy ? 0 : n + 1),
      inhibit_any_(options.initial_any_policy_inhibit ? 0 : n + 1),
      policy_mapping_(options.initial_policy_mapping_inhibit ? 0 : n + 1) {}

void PolicyState::process_certificate(const Certificate& cert, std::size_t i, bool self_issued,
                                      CertificateReport& cr) {
  const bool is_leaf = i == n_;
  // 6.1.3 (d)-(f): certificate policies.
  if (const Extension* e = cert.find_extension(der::oids::kCertificatePolicies)) {
    auto cp = parse_certificate_policies(e->value);
    if (!cp) {
      cr.diagnostics.push_back(Diagnostic{diag::kMalformedExtension,
                                          "certificatePolicies: " + cp.error().detail(),
                                          diag::path_rule::kCertificatePoliciesMalformed});
      tree_.make_null();
    } else {
      std::vector<der::Oid> policies;
      for (const auto& p : *cp) policies.push_back(p.policy);
      tree_.process_certificate(i, policies, inhibit_any_ > 0 || (!is_leaf && self_issued));
      if (tree_.too_large() && !tree_size_reported_) {
        tree_size_reported_ = true;
        cr.diagnostics.push_back(
            Diagnostic{diag::kPolicyTreeTooLarge, "the valid policy tree exceeds its size limit"});
      }
    }
  } else {
    tree_.make_null();  // (e)
  }
  // (f)
  if (explicit_policy_ == 0 && tree_.null())
    cr.diagnostics.push_back(
        Diagnostic{diag::kExplicitPolicyRequired,
                   "an explicit policy is required and the valid policy tree is empty"});
}

void PolicyState::apply_mappings(const Certificate& cert, std::size_t i, CertificateReport& cr) {
  // 6.1.4 (a), (b): policy mappings.
  if (const Extension* e = cert.find_extension(der::oids::kPolicyMappings)) {
    auto pm = parse_policy_mappings(e->value);
    if (!pm) {
      cr.diagnostics.push_back(Diagnostic{diag::kMalformedExtension,
                                          "policyMappings: " + pm.error().detail(),
                                          diag::path_rule::kPolicyMappingsMalformed});
    } else {
      std::map<der::Oid, std::vector<der::Oid>> mappings;
      for (const auto& [idp, sdp] : *pm) {
        if (idp == der::oids::kAnyPolicy || sdp == der::oids::kAnyPolicy) {
          cr.diagnostics.push_back(
              Diagnostic{diag::kPolicyAnyPolicyMapping, "policyMappings maps anyPolicy"});
          continue;
        }
        auto& v = mappings[idp];
        if (std::find(v.begin(), v.end(), sdp) == v.end()) v.push_back(sdp);
      }
      tree_.apply_mappings(i, mappings, policy_mapping_ > 0);
    }
  }
}

void PolicyState::prepare_next(const Certificate& cert, bool self_issued, CertificateReport& cr) {
  // 6.1.4 (h)
  if (!self_issued) {
    if (explicit_policy_ > 0) --explicit_policy_;
    if (policy_mapping_ > 0) --policy_mapping_;
    if (inhibit_any_ > 0) --inhibit_any_;
  }
  // 6.1.4 (i)
  if (const Extension* e = cert.find_extension(der::oids::kPolicyConstraints)) {
    auto pc = parse_policy_constraints(e->value);
    if (!pc) {
      cr.diagnostics.push_back(Diagnostic{diag::kMalformedExtension,
                                          "policyConstraints: " + pc.error().detail(),
                                          policy_constraints_rule(e->value)});
    } else {
      if (pc->require_explicit_policy)
        explicit_policy_ = std::min(explicit_policy_, *pc->require_explicit_policy);
      if (pc->inhibit_policy_mapping)
        policy_mapping_ = std::min(policy_mapping_, *pc->inhibit_policy_mapping);
    }
  }
  // 6.1.4 (j)
  if (const Extension* e = cert.find_extension(der::oids::kInhibitAnyPolicy)) {
    auto v = parse_inhibit_any_policy(e->value);
    if (!v)
      cr.diagnostics.push_back(Diagnostic{diag::kMalformedExtension,
                                          "inhibitAnyPolicy: " + v.error().detail(),
                                          diag::path_rule::kInhibitAnyPolicyMalformed});
    else
      inhibit_any_ = std::min(inhibit_any_, *v);
  }
}

std::vector<std::string> PolicyState::wrap_up(const Certificate& target, CertificateReport& cr) {
  // 6.1.5 (a), (b)
  if (explicit_policy_ > 0) --explicit_policy_;
  if (const Extension* e = target.find_extension(der::oids::kPolicyConstraints)) {
    auto pc = parse_policy_constraints(e->value);
    if (!pc)
      cr.diagnostics.push_back(Diagnostic{diag::kMalformedExtension,
                                          "policyConstraints: " + pc.error().detail(),
                                          policy_constraints_rule(e->value)});
    else if (pc->require_explicit_policy && *pc->require_explicit_policy == 0)
      explicit_policy_ = 0;
  }
  // 6.1.5 (g)
  tree_.intersect(n_, options_.initial_policy_set);
  if (explicit_policy_ == 0 && tree_.null())
    cr.diagnostics.push_back(
        Diagnostic{diag::kExplicitPolicyRequired,
                   "no acceptable policy remains and an explicit policy is required"});
  return tree_.leaf_policies(n_);
}

}  // namespace hpki::x509::detail
