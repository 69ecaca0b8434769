// The signature and verification service (issue 8): signing with a key hpki holds (an
// organization certificate's key, 单位证书) and verifying any signature with a report that says
// why it is (in)valid.
//
// This module sits at level 6 next to ca/ and tsa/ and includes neither: callers inject a
// crypto::Signer for the key reference, the signer certificate and chain, and optionally a
// timestamp function (hpki's own TSA in process for `hpki serve`, an RFC 3161 client over HTTP
// for the CLI).
//
// Signing (sign()):
//   - Mode::kRaw: the bare signature of the signer's algorithm over the data (RSA PKCS#1 v1.5
//     SHA-256, ECDSA P-256 SHA-256 DER, SM2 with SM3 and the GM/T 0009 ID "1234567812345678").
//   - Mode::kCmsAttached / kCmsDetached: CMS SignedData (RFC 5652, x509/cms.h) with signed
//     attributes contentType, messageDigest, signingTime, signingCertificateV2 (RFC 5035);
//     RFC 5652 OIDs, or GM/T 0010 (1.2.156.10197.6.1.4.2.x) with `gmt0010`.
//   - With a timestamp function: CAdES-T (ETSI EN 319 122-1 5.3, RFC 3161 Appendix A): the
//     token over the SignerInfo's signature value is added as the unsigned attribute
//     signatureTimeStampToken (id-aa-timeStampToken 1.2.840.113549.1.9.16.2.14).
//
// Verification (verify()): the signature (CMS via x509::cms::verify_signed_data, raw via
// crypto::verify_signature), then the signer's path to the trust anchors (x509::validate_path)
// and its revocation status AT THE SIGNING TIME:
//   - the genTime of a valid signatureTimeStampToken (trusted time) when present (with
//     TrustSettings::designation, from a TSA certificate its CA designated),
//   - else the signingTime signed attribute (claimed by the signer, reported as such),
//   - else the verification time (now).
// The path is validated at that time (an expired signer certificate is fine when the signature
// was made while it was valid, proven by a timestamp). Revocation information is taken as it is
// now (the newest CRLs) and a revocation whose date (or invalidity date, if earlier) is after the
// signing time does not invalidate the signature (RevokedAfterSigning); a revocation before it
// does (x509 diag "revoked").
//
// The report has stable diagnostic ids (the "sign.*" ids of diag below, and x509's: x509::diag,
// x509::cms::diag, x509::tsp::diag in x509/diag.h) and renders as JSON (API, --json) and text
// (CLI).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "crypto/signature_cache.h"
#include "crypto/signer.h"
#include "x509/certificate.h"
#include "x509/cms.h"
#include "x509/crl.h"
#include "x509/designation.h"
#include "x509/diag.h"
#include "x509/path.h"

namespace hpki::sign {

inline constexpr std::size_t kMaxDataSize = 16 * 1024 * 1024;

// Diagnostic ids of the signature service (x509's own ids are in x509/diag.h; none repeated).
namespace diag {
inline constexpr std::string_view kValid = x509::diag::kValid;    // the same word as x509's
inline constexpr std::string_view kMalformed = "sign.malformed";  // not a CMS / bad input
inline constexpr std::string_view kRawSignatureInvalid = "sign.raw_signature_invalid";
inline constexpr std::string_view kTimestampInvalid = "sign.timestamp_invalid";
inline constexpr std::string_view kRevokedAfterSigning = "sign.revoked_after_signing";
}  // namespace diag

enum class Mode { kRaw, kCmsAttached, kCmsDetached };
[[nodiscard]] std::string_view mode_name(Mode m);  // "raw", "cms", "cms-detached"
[[nodiscard]] Result<Mode> parse_mode(std::string_view s);

// Returns an RFC 3161 TimeStampToken (ContentInfo DER) whose messageImprint is the digest
// (algorithm `hash`) of `message`, i.e. of the signature value for CAdES-T.
using TimestampFn = std::function<Result<Bytes>(crypto::HashAlg hash, BytesView message)>;
// The same over a digest the caller computed (`digest` = hash of the data): a PDF document
// timestamp over its ByteRange (issue 20), hashed where it lies.
using DigestTimestampFn = std::function<Result<Bytes>(crypto::HashAlg hash, BytesView digest)>;
// A TimestampFn that hashes the message and asks `fn` for the token.
[[nodiscard]] TimestampFn timestamp_over_digest(DigestTimestampFn fn);

struct SigningIdentity {
  const crypto::Signer* signer = nullptr;     // the key (file key store or PKCS#11)
  x509::CertificatePtr certificate;           // its certificate (key must match)
  std::vector<x509::CertificatePtr> chain{};  // issuing CAs put into the CMS
};

struct SignRequest {
  Mode mode = Mode::kCmsAttached;
  bool gmt0010 = false;
  TimePoint signing_time{};  // the signingTime attribute (CMS)
  // PAdES (ETSI EN 319 142-1 5.2.2, issue 20): no signingTime attribute; the PDF's /M says it.
  bool omit_signing_time = false;
  // kCmsDetached only: the content's digest with the signer's hash instead of `data` (which is
  // then ignored), e.g. streamed over a PDF's ByteRange by the caller.
  std::optional<Bytes> content_digest{};
  TimestampFn timestamp{};  // CAdES-T when set (CMS only)
  // Further signed attributes (CMS only), e.g. the digest of a handwritten signature image
  // (issue 19, x509::cms handwriting attribute).
  std::vector<x509::cms::Attribute> extra_signed_attributes{};
};

struct SignResult {
  Bytes output;  // DER ContentInfo (CMS) or the raw signature
  crypto::SignatureAlg signature_alg = crypto::SignatureAlg::kRsaPkcs1Sha256;
  std::optional<TimePoint> timestamp_time{};  // genTime of the added token
};

// kInvalidArgument for a missing signer/certificate or a timestamp with kRaw, kKeyMismatch
// when the key is not the certificate's, the timestamp function's error as is.
[[nodiscard]] Result<SignResult> sign(BytesView data, const SigningIdentity& id,
                                      const SignRequest& request);

struct VerifyRequest {
  Mode mode = Mode::kCmsAttached;      // kCmsAttached and kCmsDetached both mean "CMS"
  BytesView signature;                 // the CMS ContentInfo DER or the raw signature
  std::optional<BytesView> content{};  // detached content / the data of a raw signature
  // CMS with signed attributes, instead of `content`: the detached content's digest with a
  // given hash (e.g. streamed over a PDF's ByteRange).
  std::function<Result<Bytes>(crypto::HashAlg)> content_digest{};
  x509::CertificatePtr signer_certificate{};  // required for kRaw; extra candidate for CMS
  // A signing time the caller vouches for (e.g. the time of hpki's audit entry of the
  // signature, kept in an evidence package; issue 21), used when the signature has no valid
  // timestamp; reported with time_source `attested_time_source`.
  std::optional<TimePoint> attested_time{};
  std::string attested_time_source = "audit";
};

struct TrustSettings {
  std::vector<x509::CertificatePtr> anchors;        // trust anchors (also for TSA tokens)
  std::vector<x509::CertificatePtr> intermediates;  // untrusted pool
  std::vector<x509::CrlPtr> crls;                   // revocation information
  // Further revocation sources (e.g. hpki's store, OCSP), asked before the CRLs. Unlike the
  // CRLs they are asked AS OF the signing time (query.at) and must judge a revocation date
  // themselves (revoked after query.at = good).
  std::vector<const x509::RevocationSource*> revocation_sources{};
  // When true (default with any CRL or source) every certificate needs a revocation status.
  std::optional<bool> require_revocation{};
  TimePoint now{};  // the verification time
  // Which TSA certificates the CAs designated (x509/designation.h; issue 16; for hpki's own CAs
  // the TSA records of its store): a signatureTimeStampToken from a TSA certificate whose issuer
  // the source knows but that it did not designate is not accepted (timestamp status
  // tsp.tsa_not_designated), so its genTime does not become the signing time. None: RFC 3161
  // rules alone. Not owned.
  const x509::DesignationSource* designation = nullptr;
  // Remembers checked certificate / CRL signatures and decoded keys across verifications (a
  // service keeps one; crypto/signature_cache.h). None: everything is checked each time.
  const crypto::SignatureCache* signature_cache = nullptr;
};

struct TimestampReport {
  bool valid = false;
  std::string_view status = diag::kTimestampInvalid;
  std::string detail;
  std::optional<TimePoint> gen_time{};
  std::string tsa;  // TSA subject
};

struct VerifyReport {
  bool valid = false;
  std::string_view status = diag::kMalformed;  // diag::kValid or the first failure
  std::string detail;
  bool signature_valid = false;
  std::string format;     // "cms", "raw"
  std::string oid_style;  // "rfc5652" or "gmt0010" (CMS)
  x509::CertificatePtr signer{};
  std::optional<crypto::SignatureAlg> signature_alg{};
  std::optional<TimePoint> signing_time{};  // the signed attribute
  std::optional<TimestampReport> timestamp{};
  TimePoint validation_time{};
  std::string time_source;  // "timestamp", "now" or VerifyRequest::attested_time_source
  std::optional<x509::PathReport> path{};
  std::vector<x509::Diagnostic> notes{};  // findings that do not invalidate (e.g. revoked later)
};

// Never fails: every problem is in the report.
[[nodiscard]] VerifyReport verify(const VerifyRequest& request, const TrustSettings& trust);

[[nodiscard]] std::string verify_report_json(const VerifyReport& report);
[[nodiscard]] std::string verify_report_text(const VerifyReport& report);

}  // namespace hpki::sign
