// Certification path validation (RFC 5280 section 6) for RSA, ECDSA and SM2 chains.
//
// validate_path() builds candidate paths from the target certificate through a pool of
// untrusted intermediates to one of the trust anchors (several candidate issuers per step,
// key identifiers as a hint for the order, loops refused, bounded budget) and runs the RFC 5280
// 6.1 algorithm on each until one is valid:
//   - signatures with the working public key (SM2 with the standard ID at every level),
//   - validity at `options.at`, issuer/subject name chaining (RFC 5280 7.1 comparison),
//   - basicConstraints cA and pathLenConstraint, keyUsage keyCertSign,
//   - name constraints (directoryName, dNSName, rfc822Name, URI, iPAddress; other forms refuse a
//     certificate that carries a constrained form),
//   - certificate policies: the valid_policy_tree of 6.1.2 .. 6.1.5 with the initial policy
//     set, explicit policy, policy mapping inhibit and anyPolicy inhibit,
//   - unrecognized critical extensions,
//   - revocation through a RevocationSource (CRLs supplied by the caller: CrlRevocationSource in
//     x509/revocation.h; OCSP responses: OcspRevocationSource in x509/ocsp_source.h; hpki's own
//     store: revocation/store_source.h; several in order: CombinedRevocationSource),
//   - the caller's requirements on the target: identity (DNS name, IP address, e-mail; RFC 6125
//     matching), extended key usages, key usages.
// `Rules::kWebPki` adds CA/Browser Forum profile checks on top (see docs/conformance.md).
//
// The trust anchor is used as a name and a key (RFC 5280 6.1.1 (d)); its own validity and
// extensions are not checked. The result is a report, never an exception: overall status plus
// per-certificate diagnostics with stable ids (diag::k*), the same in logs, JSON and tests.
//
// Not supported: DSA keys, SHA-1 signatures, policy qualifiers processing (kept opaque).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "crypto/algorithm.h"
#include "crypto/key.h"
#include "der/oid.h"
#include "der/oids.h"
#include "x509/certificate.h"
#include "x509/crl_check.h"
#include "x509/diag.h"

namespace hpki::x509 {

// Diagnostic ids (diag::k*): x509/diag.h, "Path validation".

enum class Rules { kRfc5280, kWebPki };
[[nodiscard]] std::string_view rules_name(Rules r);  // "rfc5280", "webpki"

// The identity the target must carry (RFC 6125 6.4 / CA/B Forum BR 7.1.2.7.12 matching).
struct PeerIdentity {
  enum class Kind { kDns, kIp, kEmail };
  Kind kind = Kind::kDns;
  std::string value;  // DNS name, IP address text (v4 or v6), or e-mail address
};

enum class RevocationStatus { kGood, kRevoked, kUnknown };
[[nodiscard]] std::string_view revocation_status_name(RevocationStatus s);

struct RevocationAnswer {
  RevocationStatus status = RevocationStatus::kUnknown;
  std::string_view diag;  // e.g. diag::kCrlRevoked, diag::kCrlExpired
  std::string detail;
};

// What a revocation source is asked for one certificate of a path.
struct RevocationQuery {
  const Certificate& subject;
  const Certificate& issuer;  // the issuer on the path (the trust anchor for the first one)
  TimePoint at;
  std::string_view sm2_id;
  crypto::VerifyPolicy key_policy;
  // Validates a certificate that is not on the path (e.g. a separate CRL or OCSP signing
  // certificate) against the same anchors, pool and time; true when it chains and is not
  // revoked. Bounded recursion: returns false when nested too deeply.
  std::function<bool(const CertificatePtr&)> validate_other;
};

// A source of revocation information: caller-supplied CRLs (revocation.h), OCSP responses
// (ocsp_source.h) and hpki's store (revocation/store_source.h) implement it. kUnknown means "no
// usable information".
class RevocationSource {
 public:
  virtual ~RevocationSource() = default;
  [[nodiscard]] virtual RevocationAnswer check(const RevocationQuery& query) const = 0;
};

struct PathOptions {
  TimePoint at{};  // the validation time
  Rules rules = Rules::kRfc5280;
  // RFC 5280 6.1.1 (c), (e), (f), (g).
  std::vector<der::Oid> initial_policy_set = {der::oids::kAnyPolicy};
  bool initial_explicit_policy = false;
  bool initial_policy_mapping_inhibit = false;
  bool initial_any_policy_inhibit = false;
  // Most intermediates between the target and the anchor (the anchor not counted). Self-issued
  // intermediates (key rollover, RFC 5280 6.1.4 (l)) do not count, as for pathLenConstraint.
  std::size_t max_depth = 8;
  std::optional<PeerIdentity> identity = {};
  std::vector<der::Oid> required_ekus = {};  // each must be in the target's extendedKeyUsage
  KeyUsageBits required_key_usage = 0;       // bits that must be set when the target has keyUsage
  // Revocation: checked for every certificate of the path when set. With
  // `require_revocation_status`, kUnknown makes the path invalid; else it is a diagnostic.
  const RevocationSource* revocation = nullptr;
  bool require_revocation_status = true;
  std::string sm2_id = std::string(crypto::kSm2DefaultId);
  // See crypto::VerifyPolicy: accepting 1024-bit RSA is insecure and opt-in.
  crypto::VerifyPolicy key_policy = {};
  // Path-building budget: complete candidate paths examined and signature checks.
  std::size_t max_paths = 64;
  std::size_t max_signature_checks = 2048;
};

struct Diagnostic {
  std::string_view id;
  std::string detail;
  // The rule of the inventory (rules.h) the finding enforces; empty when `id` is the rule
  // itself (the RFC 5280 6.1 step ids, revocation answers).
  std::string_view rule = {};
};

struct CertificateReport {
  CertificatePtr certificate;
  std::string role;  // "target", "intermediate", "trust_anchor"
  std::optional<RevocationStatus> revocation;
  std::vector<Diagnostic> diagnostics;  // empty = no finding
};

struct PathReport {
  bool valid = false;
  std::string_view status = diag::kNoPath;  // diag::kValid or the first failure's id
  std::string_view rule;                    // the first failure's rule (rules.h); empty if valid
  std::string detail;
  // The path examined last (valid path, or the best invalid candidate), target first, anchor
  // last. Empty when no candidate path to an anchor exists.
  std::vector<CertificateReport> chain;
  // RFC 5280 6.1.6: the user-constrained policy set (dotted OIDs; "2.5.29.32.0" = anyPolicy).
  std::vector<std::string> user_constrained_policy_set;
  std::size_t paths_tried = 0;
  TimePoint at{};
  Rules rules = Rules::kRfc5280;
  // Inputs the strict parsers refused (an intermediate or CRL that cannot be parsed is
  // unusable, never an error): "<file>: item N: <defect>". Filled by the caller.
  std::vector<std::string> unusable_inputs;
};

// Validates `target`. `anchors` are trusted; `intermediates` an untrusted pool (order does not
// matter; duplicates and unrelated certificates are fine).
[[nodiscard]] PathReport validate_path(const CertificatePtr& target,
                                       const std::vector<CertificatePtr>& intermediates,
                                       const std::vector<CertificatePtr>& anchors,
                                       const PathOptions& options);

// The report for a target certificate the strict parser refused: invalid, status
// diag::kCertificateMalformed, `detail` naming the input and the defect.
[[nodiscard]] PathReport malformed_target_report(std::string detail, const PathOptions& options);

// Renderings of a report: JSON (the API and `hpki verify cert --json`) and text (CLI).
[[nodiscard]] std::string path_report_json(const PathReport& report);
[[nodiscard]] std::string path_report_text(const PathReport& report);

// RFC 6125 6.4 DNS-ID matching of a presented SAN dNSName against a reference name: case-
// insensitive, a wildcard only as the whole leftmost label and never in a public-suffix-like
// second label ("*.com"); IDNs compared in their A-label form.
[[nodiscard]] bool dns_name_matches(std::string_view presented, std::string_view reference);

}  // namespace hpki::x509
