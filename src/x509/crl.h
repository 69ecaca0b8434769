// CRLs (RFC 5280 section 5): a builder that produces a linted, signed v2 CRL through any
// crypto::Signer, and a strict parser with signature verification (SM2 with the standard ID:
// OpenSSL 3.0's X509_CRL_verify cannot, so hpki checks the TBSCertList bytes itself).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/signer.h"
#include "x509/certificate.h"
#include "x509/extensions.h"
#include "x509/name.h"

namespace hpki::x509 {

inline constexpr std::size_t kMaxCrlSize = 256 * 1024 * 1024;

// RFC 5280 5.3.1 CRLReason.
enum class RevocationReason {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kCaCompromise = 2,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
  kCertificateHold = 6,
  kRemoveFromCrl = 8,
  kPrivilegeWithdrawn = 9,
  kAaCompromise = 10,
};
[[nodiscard]] std::string_view reason_name(RevocationReason r);              // "keyCompromise" ...
[[nodiscard]] Result<RevocationReason> parse_reason(std::string_view name);  // names or numbers

struct RevokedEntry {
  Bytes serial;  // INTEGER content bytes
  TimePoint revocation_date;
  std::optional<RevocationReason> reason;
  std::optional<TimePoint> invalidity_date;
  // Entry extensions other than reasonCode and invalidityDate (those two are decoded into the
  // fields above by the parser and encoded from them by the builder). Unknown critical ones
  // are kept: the parser accepts them, the CRL checks (crl_check.h) refuse such a CRL.
  std::vector<Extension> extensions;
};

struct CrlTemplate {
  Name issuer;             // the CA's subject Name (DER used as is)
  Bytes authority_key_id;  // the CA's SKI
  TimePoint this_update;
  TimePoint next_update;
  Bytes crl_number;                 // big-endian unsigned magnitude
  std::optional<Bytes> delta_base;  // deltaCRLIndicator: base CRL number (makes a delta CRL)
  std::optional<IssuingDistributionPoint> idp;  // partitioned CRLs
  // RFC 5280 5.2.6 freshestCRL (complete CRLs whose deltas are published): delta CRL URLs.
  std::vector<std::string> freshest_crl;
  std::vector<RevokedEntry> revoked;
};

// Lints (see lint.h) and signs. kLintFailed lists the findings.
[[nodiscard]] Result<Bytes> build_crl(const CrlTemplate& t, const crypto::Signer& signer);

// A parsed CRL. Strict DER; size limit kMaxCrlSize (kTooLarge); other errors kBadCrl naming
// the field. RFC 5280 5.1.2.1: v1 (no version field) may carry neither CRL nor entry
// extensions; a version field must be 1 (v2). An empty revokedCertificates SEQUENCE is refused
// (5.1.2.6). The values of cRLNumber, deltaCRLIndicator and issuingDistributionPoint are
// checked; other extensions (including unknown critical ones) are kept for the caller.
// Not checked here: signatures (verify_signature), dates, scope (crl_check.h).
class Crl {
 public:
  [[nodiscard]] static Result<std::shared_ptr<const Crl>> parse(BytesView der);
  [[nodiscard]] static Result<std::shared_ptr<const Crl>> parse_any(
      BytesView data);  // PEM "X509 CRL" or DER

  [[nodiscard]] const Bytes& der() const { return der_; }
  [[nodiscard]] BytesView tbs_der() const { return tbs_; }
  [[nodiscard]] int version() const { return version_; }  // 1 or 2
  [[nodiscard]] const AlgorithmIdentifier& signature_algorithm() const { return sig_alg_; }
  [[nodiscard]] const AlgorithmIdentifier& tbs_signature_algorithm() const { return tbs_sig_alg_; }
  [[nodiscard]] const Name& issuer() const { return issuer_; }
  [[nodiscard]] TimePoint this_update() const { return this_update_; }
  [[nodiscard]] std::optional<TimePoint> next_update() const { return next_update_; }
  [[nodiscard]] const std::vector<RevokedEntry>& revoked() const { return revoked_; }
  [[nodiscard]] const std::vector<Extension>& extensions() const { return extensions_; }
  [[nodiscard]] const Extension* find_extension(const der::Oid& oid) const;
  [[nodiscard]] const Bytes& signature() const { return signature_; }
  [[nodiscard]] std::optional<Bytes> crl_number() const;
  [[nodiscard]] bool is_delta() const;
  // Entry for a serial (INTEGER content bytes), or nullptr. Linear in the number of entries.
  [[nodiscard]] const RevokedEntry* find(BytesView serial) const;

  [[nodiscard]] Result<void> verify_signature(
      BytesView issuer_spki, std::string_view sm2_id = crypto::kSm2DefaultId) const;

 private:
  Crl() = default;
  Bytes der_;
  BytesView tbs_;
  int version_ = 1;
  AlgorithmIdentifier sig_alg_, tbs_sig_alg_;
  Name issuer_;
  TimePoint this_update_{};
  std::optional<TimePoint> next_update_;
  std::vector<RevokedEntry> revoked_;
  std::vector<Extension> extensions_;
  Bytes signature_;
};

using CrlPtr = std::shared_ptr<const Crl>;

}  // namespace hpki::x509
