// Evidence packages (issue 21; docs/evidence.md is the auditor's copy of this format): what a
// package holds, how it is assembled, and how it is checked OFFLINE with nothing but trust
// anchors.
//
// A package is a ZIP container (container.h) with:
//   mimetype                   "application/vnd.hpki.evidence+zip" (stored, first)
//   META-INF/manifest.json     the manifest: format "hpki-evidence/1", the package id, when and
//                              by which hpki it was made, what was signed (name, SHA-256, SM3,
//                              size, whether the data is included), the signature's format, and
//                              EVERY other member with its role, size, SHA-256 and SM3
//   META-INF/manifest.tst      RFC 3161 token over manifest.json (SM3 for SM2 signers, SHA-256
//                              otherwise) from hpki's TSA: the package time
//   META-INF/renewal-N.tst     renewals (N = 1, 2 ...): token N over
//                              manifest.json || manifest.tst || renewal-1.tst || ... ||
//                              renewal-(N-1).tst, made before the previous TSA certificate
//                              expired (RFC 4998 in spirit: a chain of timestamps)
//   data/NAME                  the signed data (absent when only its hash was exported)
//   signature/signature.p7s    CMS SignedData (attached or detached), or
//   signature/signature.sig    a raw signature, or
//   signature/document.pdf     a signed PDF (the data and its signatures in one)
//   certs/signer.cer           the signer's certificate (DER)
//   certs/ca-N.cer             every CA certificate of the signer's, the TSA's and the audit
//                              signer's chains up to and including the roots
//   certs/audit.cer            the certificate of hpki's audit checkpoint key (EKU
//                              hpkiAuditCheckpointSigning, critical)
//   revocation/crl-N.crl       CRLs hpki issued, fresh at export, covering every certificate above
//   records/identity.json      the signer's subject record (identifiers masked)
//   records/approval.json      the co-signing approval (mobile signing) when there is one
//   audit/entries.json         the audit-log entries of the signer's certificate, subject record
//                              and this signature, each with its RFC 9162 inclusion proof
//   audit/checkpoint.json      the signed audit checkpoint the proofs lead to
//   report/validation.json     hpki's validation report at export (report_json())
//
// verify() checks, without network or hpki home: the container, every member's two hashes and
// that nothing is missing or unlisted, the package timestamps, the signature, the signer's path
// at the signing time with the packaged CRLs as of the package time, the signature timestamp,
// every audit entry's hash and inclusion proof, the checkpoint signature and its signer's path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "evidence/container.h"
#include "evidence/report.h"
#include "x509/certificate.h"

namespace hpki::evidence {

inline constexpr std::string_view kFormat = "hpki-evidence/1";
inline constexpr std::string_view kManifestName = "META-INF/manifest.json";
inline constexpr std::string_view kManifestTimestampName = "META-INF/manifest.tst";
inline constexpr std::string_view kRenewalPrefix = "META-INF/renewal-";

// The roles of manifest members.
namespace role {
inline constexpr std::string_view kData = "data";
inline constexpr std::string_view kSignature = "signature";
inline constexpr std::string_view kSignerCertificate = "signer_certificate";
inline constexpr std::string_view kCaCertificate = "ca_certificate";
inline constexpr std::string_view kAuditCertificate = "audit_certificate";
inline constexpr std::string_view kCrl = "crl";
inline constexpr std::string_view kIdentityRecord = "identity_record";
inline constexpr std::string_view kApprovalRecord = "approval_record";
inline constexpr std::string_view kAuditEntries = "audit_entries";
inline constexpr std::string_view kAuditCheckpoint = "audit_checkpoint";
inline constexpr std::string_view kValidationReport = "validation_report";
}  // namespace role

// Stable reason ids of evidence checks (x509, sign and tsp ids are used as they are).
namespace reason {
inline constexpr std::string_view kContainerMalformed = "evidence.container_malformed";
inline constexpr std::string_view kManifestMalformed = "evidence.manifest_malformed";
inline constexpr std::string_view kMemberMissing = "evidence.member_missing";
inline constexpr std::string_view kMemberHashMismatch = "evidence.member_hash_mismatch";
inline constexpr std::string_view kMemberUnlisted = "evidence.member_unlisted";
inline constexpr std::string_view kPackageTimestampMissing = "evidence.package_timestamp_missing";
inline constexpr std::string_view kPackageTimestampInvalid = "evidence.package_timestamp_invalid";
inline constexpr std::string_view kRenewalInvalid = "evidence.renewal_invalid";
inline constexpr std::string_view kTimestampChainExpired = "evidence.timestamp_chain_expired";
inline constexpr std::string_view kDocumentHashMismatch = "evidence.document_hash_mismatch";
inline constexpr std::string_view kDataNotIncluded = "evidence.data_not_included";
inline constexpr std::string_view kSignerMismatch = "evidence.signer_mismatch";
inline constexpr std::string_view kAuditEntryHashMismatch = "evidence.audit_entry_hash_mismatch";
inline constexpr std::string_view kAuditProofInvalid = "evidence.audit_proof_invalid";
inline constexpr std::string_view kAuditMalformed = "evidence.audit_malformed";
inline constexpr std::string_view kAuditMissing = "evidence.audit_missing";
inline constexpr std::string_view kCheckpointSignatureInvalid =
    "evidence.checkpoint_signature_invalid";
inline constexpr std::string_view kCheckpointSignerUntrusted =
    "evidence.checkpoint_signer_untrusted";
inline constexpr std::string_view kRecordMalformed = "evidence.record_malformed";
inline constexpr std::string_view kValid = "valid";
}  // namespace reason

struct ManifestMember {
  std::string name;
  std::string role;
  std::int64_t size = 0;
  std::string sha256, sm3;  // lower-case hex
};

struct Manifest {
  std::string format = std::string(kFormat);
  std::string id;
  std::string created_at;        // RFC 3339
  std::string hpki_version;      // of the exporting hpki
  std::string signature_format;  // "raw", "cms" or "pdf"
  std::string timestamp_hash;    // "sha256" or "sm3": the package timestamps' hash
  Report::Document document;
  std::vector<ManifestMember> members;  // every member but mimetype and META-INF/*
};

[[nodiscard]] std::string manifest_json(const Manifest& m);
// Strict: kMalformed for a missing field, a wrong type, a bad hex string or an unknown format.
[[nodiscard]] Result<Manifest> parse_manifest(BytesView json);

struct PackageMember {
  std::string role;
  zip::Member member;
};

// A package timestamp: an RFC 3161 token over `data` (hashed with `hash`).
using PackageTimestampFn = std::function<Result<Bytes>(crypto::HashAlg hash, BytesView data)>;

// Computes the members' hashes into m.members, writes manifest.json, asks `timestamp` for the
// token over it (none: a package without a timestamp, for the export-time report only) and
// returns the ZIP. kInvalidArgument for bad or duplicate member names.
[[nodiscard]] Result<Bytes> assemble(Manifest m, const std::vector<PackageMember>& members,
                                     const PackageTimestampFn& timestamp);

// Adds the next renewal timestamp to a package (see the file comment); the package must read
// and its newest token must still verify (kBadState otherwise, renewing an invalid chain would
// hide the break).
[[nodiscard]] Result<Bytes> renew(BytesView package, const PackageTimestampFn& timestamp,
                                  const std::vector<x509::CertificatePtr>& anchors);

struct VerifyOptions {
  std::vector<x509::CertificatePtr> anchors;  // trust anchors (roots)
  TimePoint now{};                            // the verification time
  bool expect_package_timestamp = true;       // false: the export-time self check
  zip::Limits limits{};
};

// Never fails: every problem is an element of the report with a reason.
[[nodiscard]] Report verify(BytesView package, const VerifyOptions& options);

[[nodiscard]] std::string report_json(const Report& r);
[[nodiscard]] std::string report_text(const Report& r);

}  // namespace hpki::evidence
