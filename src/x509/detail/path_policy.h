// Certificate policy processing of path validation (RFC 5280 6.1.2 (a), (d)-(f), 6.1.3 (d)-(f),
// 6.1.4 (a), (b), (h)-(j), 6.1.5 (a), (b), (g)): the valid_policy_tree and the
// explicit_policy, inhibit_anyPolicy and policy_mapping state variables of one candidate path.
// Private to the x509 module (path.cpp drives it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "der/oid.h"
#include "x509/certificate.h"
#include "x509/path.h"

namespace hpki::x509::detail {

// RFC 5280 6.1.2 (a) valid_policy_tree. Bounded: a tree past kMaxNodes nodes (policies x
// mappings per level grow it, CVE-2023-0464 in OpenSSL) is treated as NULL and too_large()
// says so.
class PolicyTree {
 public:
  static constexpr std::size_t kMaxNodes = 4096;

  PolicyTree();
  [[nodiscard]] bool null() const { return null_; }
  [[nodiscard]] bool too_large() const { return too_large_; }
  void make_null() { null_ = true; }

  // 6.1.3 (d) for certificate i (1-based) with its policies.
  void process_certificate(std::size_t i, const std::vector<der::Oid>& policies, bool any_allowed);
  // 6.1.4 (b) for certificate i with its mappings (issuerDomainPolicy -> subjectDomainPolicies).
  void apply_mappings(std::size_t i, const std::map<der::Oid, std::vector<der::Oid>>& mappings,
                      bool mapping_allowed);
  // 6.1.5 (g): intersection with the user-initial-policy-set, for a path of n certificates.
  void intersect(std::size_t n, const std::vector<der::Oid>& user_set);
  // The policies of the leaves at depth n, each named in the trust anchor's domain (sorted,
  // dotted): the user-constrained policy set of 6.1.6.
  [[nodiscard]] std::vector<std::string> leaf_policies(std::size_t n) const;

 private:
  struct Node {
    der::Oid valid_policy;
    std::vector<der::Oid> expected;
    int parent;
    bool deleted;
  };

  void add(std::size_t depth, const der::Oid& policy, int parent);
  [[nodiscard]] bool has_child_with(std::size_t depth, int parent, const der::Oid& policy) const;
  [[nodiscard]] bool has_children(std::size_t depth, std::size_t k) const;
  void delete_subtree(std::size_t depth, std::size_t k);
  // Deletes childless nodes of depth < `depth`, bottom up; an emptied tree becomes NULL.
  void prune(std::size_t depth);

  std::vector<std::vector<Node>> levels_;
  bool null_ = false;
  bool too_large_ = false;
  std::size_t nodes_ = 1;
};

// The policy state of one candidate path of n certificates (n >= 1; certificate n is the
// target). The path driver calls the steps in RFC 5280 order for each certificate i = 1..n;
// each step appends its findings to the certificate's report (diag::kMalformedExtension,
// kPolicyTreeTooLarge, kExplicitPolicyRequired, kPolicyAnyPolicyMapping).
class PolicyState {
 public:
  // 6.1.2 (a), (d), (e), (f): initialization from the options' policy inputs. `options` must
  // outlive this object.
  PolicyState(std::size_t n, const PathOptions& options);

  // 6.1.3 (d)-(f) for certificate i (1-based).
  void process_certificate(const Certificate& cert, std::size_t i, bool self_issued,
                           CertificateReport& cr);
  // 6.1.4 (a), (b): the policy mappings of intermediate i.
  void apply_mappings(const Certificate& cert, std::size_t i, CertificateReport& cr);
  // 6.1.4 (h), (i), (j): the counters for the next certificate, after intermediate `cert`.
  void prepare_next(const Certificate& cert, bool self_issued, CertificateReport& cr);
  // 6.1.5 (a), (b), (g) for the target; returns the user-constrained policy set (6.1.6).
  [[nodiscard]] std::vector<std::string> wrap_up(const Certificate& target, CertificateReport& cr);

 private:
  std::size_t n_;
  const PathOptions& options_;
  PolicyTree tree_;
  std::uint64_t explicit_policy_;
  std::uint64_t inhibit_any_;
  std::uint64_t policy_mapping_;
  bool tree_size_reported_ = false;
};

}  // namespace hpki::x509::detail
