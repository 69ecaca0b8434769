// Path building for validate_path (RFC 4158 in spirit): the candidate issuers of each
// certificate (names chaining, matching key identifiers first), loops refused, the budget of
// paths and signature checks, and the signature checks themselves, each done once per
// (subject, issuer) pair. Each complete candidate path goes to process_path() (path.cpp).
// Private to the x509 module.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "crypto/key.h"
#include "x509/certificate.h"
#include "x509/path.h"

namespace hpki::x509::detail {

// The state of one validate_path() call (and of each nested validation it starts for a
// revocation source).
struct PathContext {
  PathContext(const std::vector<CertificatePtr>& i, const std::vector<CertificatePtr>& a,
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
  bool cycle_cut = false;  // a candidate was skipped because it was already in the path
  std::optional<PathReport> best;
  // A certificate whose issuer candidates all failed the signature check (for the report).
  std::optional<std::pair<CertificatePtr, Error>> signature_failure;
  // RFC 5280 4.1.2.4: a certificate with an empty issuer was met (it has no issuer candidate).
  bool issuer_empty = false;
  // RFC 5280 6.1.3 (a)(4): a certificate with no issuer candidate by name whose signature
  // verifies with the key of a certificate its authorityKeyIdentifier names, under another
  // subject name (the report says issuer_name_mismatch instead of no_path_to_trust_anchor).
  std::optional<std::pair<CertificatePtr, std::string>> issuer_mismatch;
};

// A failed signature check of `subject` (edge_signature): the status (kSignatureInvalid or
// kUnsupportedAlgorithm) and the rule (rules.h) it breaks: e_signature_algorithm_mismatch
// (RFC 5280 4.1.1.2), e_cabf_no_sha1, e_signature_algorithm_unsupported, else the status.
struct SignatureFinding {
  std::string_view status;
  std::string_view rule;
};
[[nodiscard]] SignatureFinding signature_finding(const Certificate& subject, const Error& e);

// RFC 5280 6.1.3 (a)(1): whether `issuer`'s key verifies `subject`'s signature (SM2 with the
// options' ID); computed once per pair and remembered in `ctx`.
[[nodiscard]] const Result<void>& edge_signature(PathContext& ctx, const Certificate& subject,
                                                 const Certificate& issuer);

// Builds candidate paths from `target` to a trust anchor and processes each until one is valid;
// the report of the valid path, else of the first complete candidate, else one saying why no
// path was found (kPathBudgetExceeded, kMaxDepthExceeded, kSignatureInvalid, kNoPath).
[[nodiscard]] PathReport build_and_validate(PathContext& ctx, const CertificatePtr& target);

// A certificate validated for a revocation source (e.g. a CRL signer): same anchors, pool, time
// and revocation as `parent`, default policy inputs and no target requirements.
[[nodiscard]] PathReport validate_nested(PathContext& parent, const CertificatePtr& target);

// RFC 5280 6.1 on one candidate path, `chain` = target first, trust anchor last (path.cpp).
[[nodiscard]] PathReport process_path(PathContext& ctx, const std::vector<CertificatePtr>& chain);

}  // namespace hpki::x509::detail
