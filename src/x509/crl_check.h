// Using a CRL to decide the revocation status of one certificate (RFC 5280 6.3.3), apart from
// parsing (crl.h). Path validation calls this for each certificate of a validated path; the
// CRL is a complete CRL fetched for one of the certificate's distribution points.
//
// What it checks, in RFC 5280 6.3.3 order: the distribution point is one hpki supports (no
// reasons subset, no cRLIssuer: indirect CRLs are not supported), signatureAlgorithm equals
// the TBS signature field and is supported, thisUpdate <= at < nextUpdate and an optional
// maximum age, (b)(1) the CRL issuer matches the certificate issuer (RFC 5280 7.1 name
// comparison), the CRL is complete (not a delta), (b)(2) the issuingDistributionPoint scope
// (names, onlyContainsUserCerts / onlyContainsCACerts; indirect, onlySomeReasons and attribute
// certificates are unsupported), no unknown critical CRL or entry extension (5.2, 5.3), (f)
// a candidate issuer whose subject matches, whose keyUsage (if present) asserts cRLSign, and
// (g) whose key verifies the signature (SM2 with the given ID), then (l) the serial lookup.
//
// A CRL without cRLNumber (RFC 5280 5.2.3) is still used here (some deployed CRLs, e.g.
// BoringSSL's test set, have none); CrlRevocationSource (revocation.h) refuses it.
//
// Several issuer candidates may be given (key rollover: the CA's old and new certificates).
// It does not build or validate the issuer's certification path: the caller passes issuer
// certificates from an already validated path.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "crypto/algorithm.h"
#include "x509/certificate.h"
#include "x509/crl.h"
#include "x509/diag.h"
#include "x509/extensions.h"

namespace hpki::x509 {

enum class CrlStatus { kGood, kRevoked, kUnknown };
[[nodiscard]] std::string_view crl_status_name(CrlStatus s);  // "good", "revoked", "unknown"

// Diagnostic ids (diag::kCrl*): x509/diag.h, "CRLs".

struct CrlCheckOptions {
  TimePoint at{};                                    // the validation time
  std::optional<std::chrono::seconds> max_age = {};  // thisUpdate older than this is too old
  // The subject certificate's distribution point the CRL was fetched for; nullptr when the
  // certificate has no cRLDistributionPoints (then an IDP naming a distribution point fails).
  const DistributionPoint* distribution_point = nullptr;
  std::string_view sm2_id = crypto::kSm2DefaultId;
  // RFC 5280 6.3.3 (g): checks the CRL signature with a candidate issuer's key. Empty (the
  // default): crl.verify_signature(issuer.spki_der(), sm2_id), with crypto's key policy (e.g.
  // RSA below 2048 bits is refused). Path validation may pass one that uses cached keys.
  std::function<Result<void>(const Crl& crl, const Certificate& issuer)> verify_signature = {};
};

struct CrlCheckResult {
  CrlStatus status = CrlStatus::kUnknown;
  std::string_view diag;                    // one of diag::kCrl*
  std::string detail;                       // human-readable
  std::optional<RevokedEntry> entry;        // set when revoked
  const Certificate* crl_issuer = nullptr;  // the candidate whose key signed the CRL
};

// `issuers`: candidate CRL issuer certificates (not null), e.g. the subject's issuer and, on
// key rollover, the CA's other certificate(s).
[[nodiscard]] CrlCheckResult check_crl_for(const Crl& crl,
                                           std::span<const Certificate* const> issuers,
                                           const Certificate& subject,
                                           const CrlCheckOptions& options);
[[nodiscard]] CrlCheckResult check_crl_for(const Crl& crl, const Certificate& issuer,
                                           const Certificate& subject,
                                           const CrlCheckOptions& options);

}  // namespace hpki::x509
