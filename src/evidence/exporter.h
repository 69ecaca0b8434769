// Exporting an evidence package from hpki's records (issue 21; the format: package.h,
// docs/evidence.md).
//
// Given a signature (a CMS, a raw signature with its certificate, ...) hpki finds its own
// records of it: the signer's certificate record and chain (it must be a certificate hpki
// issued), the audit entries of that certificate, of the signer's subject record and of this
// signature (the signature service audits "sign.create" with object "signature:<SHA-256 of the
// signature>"), and packages them with fresh CRLs (a CRL older than the last status change of a
// certificate on the path is regenerated first), the audit checkpoint covering the entries (a
// new one is signed when the newest does not cover them) with an inclusion proof per entry, the
// audit signer's certificate, and a timestamp from hpki's TSA over the manifest (SM3 and the SM2
// TSA for SM2 signers, SHA-256 otherwise). The export itself is audited ("evidence.export").
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "ca/runtime.h"
#include "core/bytes.h"
#include "core/error.h"
#include "core/serial.h"
#include "evidence/package.h"
#include "evidence/report.h"
#include "revocation/crl_publisher.h"
#include "tsa/tsa_service.h"
#include "x509/certificate.h"

namespace hpki::evidence {

inline constexpr std::string_view kExportAction = "evidence.export";

struct ExportRequest {
  Bytes signed_object;               // CMS ContentInfo (DER or PEM), or a raw signature
  std::optional<Bytes> data{};       // the signed data (detached CMS, raw signature)
  x509::CertificatePtr certificate;  // raw signatures: the signer's certificate
  std::string document_name{};       // a file name for the data (kept in the manifest)
  // A mobile co-signing request (issue 19) of this hpki: its signed result is the signature
  // (signed_object may then be empty; if given it must be that result), its document the data,
  // and the package gets its approval record (records/approval.json: who asked, which device
  // approved how and when) and the audit entries of the request and of the device.
  std::optional<std::string> request_id{};
  // A certificate of this hpki by serial, without a signature: the package proves who it was
  // issued to, by whom, when, and its revocation status at the package time (signature_format
  // "certificate"; the certificate is the document).
  std::optional<Serial> serial{};
  bool include_data = true;  // false: only the data's SHA-256 and SM3 are exported
  std::string actor;         // the audit actor of the export
  // The caller's organization scope: a signer certificate of another organization is
  // kNotFound, as an unknown one is. None: every organization (admin, CLI).
  std::optional<std::string> org{};
};

struct ExportResult {
  Bytes package;
  std::string id;
  Report report;  // hpki's own check at export (also in report/validation.json)
};

inline constexpr std::string_view kRenewAction = "evidence.renew";

// When a kept package is re-time-stamped (ca::EvidenceSettings, [evidence] in hpki.toml): when
// its newest timestamp's TSA certificate has less than renew_before left, or (max_age > 0) that
// timestamp is older than max_age; never twice within min_gap (a TSA certificate that ends
// within renew_before with no newer TSA key would otherwise be renewed at every look).
struct RenewalPolicy {
  std::chrono::days renew_before{180};
  std::chrono::days max_age{0};
  std::chrono::seconds min_gap{3600};
};

struct ExporterDeps {
  ca::Runtime* runtime = nullptr;
  const tsa::TsaService* tsa = nullptr;      // the package timestamp
  revocation::CrlPublisher* crls = nullptr;  // fresh CRLs
  RenewalPolicy policy{};
};

// The policy of a home's [evidence] settings.
[[nodiscard]] RenewalPolicy renewal_policy(const ca::EvidenceSettings& s);

// The newest valid package timestamp of a verified package: its TSA certificate's notAfter and
// its genTime (kBadState when the timestamp chain does not verify: nothing to plan from).
struct StampInfo {
  TimePoint tsa_until{};
  TimePoint stamped_at{};
};
[[nodiscard]] Result<StampInfo> stamp_info(const Report& r);

class Exporter {
 public:
  explicit Exporter(ExporterDeps d) : d_(d) {}

  // kInvalidArgument for input that is neither a CMS nor a raw signature with certificate and
  // data; kNotFound when the signer's certificate is not one of this hpki (or of the caller's
  // organization); kBadSignature when the signature does not verify (nothing is exported for a
  // signature that is not one); store, TSA and CRL errors as they come.
  [[nodiscard]] Result<ExportResult> export_signature(const ExportRequest& r);

  // Every exported package is kept (store::EvidenceRecord) so that hpki serve re-time-stamps it
  // before its newest timestamp stops being verifiable (package.h "renewals"). Renews the kept
  // packages whose time has come, at most `limit`, each with its audit entry ("evidence.renew")
  // in one transaction; a package another node renewed meanwhile is left to it. Returns how
  // many were renewed; the first error after trying each.
  [[nodiscard]] Result<std::size_t> renew_due(std::int64_t limit = 16);
  // A kept package as last renewed; kNotFound for an unknown id and, with `org`, for a package
  // of another organization.
  [[nodiscard]] Result<store::EvidenceRecord> kept(std::string_view id,
                                                   const std::optional<std::string>& org);

 private:
  ExporterDeps d_;
};

}  // namespace hpki::evidence
