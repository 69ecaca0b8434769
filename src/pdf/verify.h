// Verification of the signatures of a PDF (issue 20; PAdES ETSI EN 319 142-1, ISO 32000-1
// 12.8): what `hpki verify pdf` and POST /api/v1/verify report.
//
// verify() opens the file (document.h: size limit, qpdf with every exception caught), lists its
// signatures (signatures.h) and checks each one:
//   - its /ByteRange and /Contents (pdf.byte_range_invalid, pdf.contents_invalid);
//   - CMS signatures (/SubFilter adbe.pkcs7.detached or ETSI.CAdES.detached; RSA, ECDSA, SM2
//     with the GM/T 0009 ID, RFC 5652 or GM/T 0010 OIDs) with sign::verify() on the bytes the
//     ByteRange covers as detached content: the signature, the signer's path to the trust
//     anchors and its revocation status at the signing time (a signatureTimeStampToken's
//     genTime when present: sign/sign_service.h). A messageDigest that does not match the
//     covered bytes is pdf.digest_mismatch; other failures keep sign::/x509:: ids;
//   - document timestamps (/SubFilter ETSI.RFC3161, /Type /DocTimeStamp): the TimeStampToken's
//     messageImprint over the covered bytes and its TSA chain (x509::tsp::verify_token;
//     revocation of the TSA certificate is not checked) (pdf.timestamp_invalid);
//   - SM2 seal stamps (/SubFilter GBT38540.SES, pdf/sign.h kSubFilterSes; GB/T 38540 v4 or
//     GM/T 0031 v1 SES_Signature in /Contents): seal::verify_signature on the covered bytes
//     (dataHash, the signer's SM2 signature, the embedded seal: maker signature, validity at
//     timeInfo, signer allowed; a timestamp bound to the signature), then the signer
//     certificate's path at the signing time (the token's genTime when it verifies, else the
//     claimed timeInfo) with the trust anchors, CRLs and revocation sources; failures keep the
//     seal.* ids (pdf.digest_mismatch for a dataHash that does not match);
//   - other /SubFilter values (adbe.pkcs7.sha1, adbe.x509.rsa_sha1 ...): pdf.unsupported_subfilter;
//   - the changes made after the revision it signs (changes.h), judged against the DocMDP
//     permissions of the certification signature in force; an invalidating finding makes the
//     signature invalid with that finding's id.
// The document security store (/DSS, ETSI EN 319 142-1 5.4.2) adds its /Certs to the untrusted
// intermediates, its /CRLs to the CRLs and its /OCSPs as an OCSP revocation source (used when
// a response is valid at the signing time, x509/ocsp_source.h). They never make a status
// required that `trust` did not require.
// The document is valid only when it has at least one signature and every one is valid.
// Never fails: every problem is in the report.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "pdf/changes.h"
#include "pdf/diag.h"
#include "pdf/signatures.h"
#include "seal/ses.h"
#include "sign/sign_service.h"
#include "x509/path.h"

namespace hpki::pdf {

struct VerifyPdfOptions {
  bool analyze_changes = true;  // compare each signed revision with the final document
  bool use_dss = true;          // take certificates, CRLs and OCSP responses from /DSS
};

// An SM2 seal stamp (GB/T 38540 SES_Signature).
struct SesReport {
  seal::SignatureReport stamp;           // data hash, signer signature, seal, timestamp imprint
  std::optional<x509::PathReport> path;  // the signer certificate at the signing time
  std::string signer;                    // subject of the signer certificate
  std::string seal_name, es_id;
  TimePoint validation_time{};
  std::string time_source;  // "timestamp" or "time_info" (claimed by the signer)
};

struct SignatureReport {
  SignatureInfo info;
  bool valid = false;
  std::string_view status = diag::kSignatureInvalid;  // diag::kValid or the first failure
  std::string detail;
  std::optional<sign::VerifyReport> cms{};               // CMS signatures
  std::optional<sign::TimestampReport> doc_timestamp{};  // document timestamps
  std::optional<SesReport> ses{};                        // SM2 seal stamps
  std::vector<Finding> findings{};                       // changes after it and other notes
};

struct DssReport {
  bool present = false;
  std::size_t certificates = 0, crls = 0, ocsp_responses = 0;
  std::vector<std::string> errors{};  // entries that could not be read (skipped)
};

struct VerifyPdfReport {
  bool valid = false;
  std::string_view status = diag::kMalformed;
  std::string detail;
  std::size_t size = 0, revisions = 0, pages = 0, qpdf_warnings = 0;
  std::vector<SignatureReport> signatures{};
  DssReport dss{};
};

[[nodiscard]] VerifyPdfReport verify(BytesView pdf, const sign::TrustSettings& trust,
                                     const VerifyPdfOptions& options = {});

[[nodiscard]] std::string verify_report_json(const VerifyPdfReport& report);
[[nodiscard]] std::string verify_report_text(const VerifyPdfReport& report);

}  // namespace hpki::pdf
