// PAdES baseline signatures (ETSI EN 319 142-1) on top of the incremental-update writer
// (pdf/sign.h): the levels a hospital asks for, with the CMS from a key hpki holds (sign/) or
// from any other signer (a doctor's co-signed key, issue 19):
//
//   B-B   a detached CMS over the ByteRange, SubFilter ETSI.CAdES.detached (adbe.pkcs7.detached
//         on request), signed attributes contentType, messageDigest, signingCertificateV2 and no
//         signingTime (EN 319 142-1 5.2.2: the claimed time is the dictionary's /M).
//   B-T   + a signatureTimeStampToken over the signature value (unsigned attribute).
//   B-LT  + the catalog's /DSS with the certificates, CRLs and OCSP responses that validate the
//         signer and the TSA (EN 319 142-1 5.4.2), as a further incremental update.
//   B-LTA + a document timestamp (/Type /DocTimeStamp, SubFilter ETSI.RFC3161) over everything
//         before it (EN 319 142-1 5.4.3).
//
// The ByteRange is hashed where it lies (no copy of the document), so memory stays the
// document's size whatever the size.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "pdf/sign.h"
#include "seal/ses.h"
#include "sign/sign_service.h"
#include "x509/certificate.h"

namespace hpki::pdf {

enum class Level { kBB, kBT, kBLT, kBLTA };
[[nodiscard]] std::string_view level_name(Level l) noexcept;  // "b-b", "b-t", "b-lt", "b-lta"
// kInvalidArgument for anything else (case-insensitive).
[[nodiscard]] Result<Level> parse_level(std::string_view s);

// The detached CMS SignedData over the ByteRange, given its digest with `hash`.
using CmsFn = std::function<Result<Bytes>(crypto::HashAlg hash, BytesView digest)>;
// The validation data (DER certificates, CRLs, OCSP responses) for these certificates: the
// signer's chain and the TSA's (B-LT).
using ValidationDataFn =
    std::function<Result<Dss>(const std::vector<x509::CertificatePtr>& certificates)>;

struct PadesOptions {
  Level level = Level::kBB;
  FieldSpec field{};  // sub_filter ETSI.CAdES.detached unless set otherwise
  // B-T and above: the TSA (a signatureTimeStampToken over the signature value; B-LTA: the
  // document timestamp too).
  sign::DigestTimestampFn timestamp{};
  // B-LT and above.
  ValidationDataFn validation_data{};
  bool gmt0010 = false;  // GM/T 0010 OIDs in an SM2 CMS
  std::size_t doc_timestamp_capacity = 16384;
};

struct PadesResult {
  Bytes pdf;
  crypto::SignatureAlg signature_alg = crypto::SignatureAlg::kRsaPkcs1Sha256;
  std::optional<TimePoint> timestamp_time{};      // the signatureTimeStampToken's genTime
  std::optional<TimePoint> doc_timestamp_time{};  // B-LTA
  std::size_t dss_entries = 0;                    // certificates + CRLs + OCSP responses
};

// Signs `pdf` with a key hpki holds at options.level. kInvalidArgument for a level above B-B
// without a timestamp function, B-LT without validation data, a document-timestamp sub_filter;
// the writer's, the signer's and the TSA's errors as they are.
[[nodiscard]] Result<PadesResult> sign_pades(BytesView pdf, const sign::SigningIdentity& id,
                                             const PadesOptions& options);

// Signs `pdf` with a CMS from anywhere (B-B or B-T as the CMS is): prepare, hash the ByteRange
// with `hash`, ask `cms`, finish. kInvalidArgument when the CMS does not fit
// field.contents_capacity (nothing is retried: the signer was asked once).
[[nodiscard]] Result<Bytes> sign_with_cms(BytesView pdf, const FieldSpec& field,
                                          crypto::HashAlg hash, const CmsFn& cms);

// A document timestamp (B-LTA; EN 319 142-1 5.4.3) over all of `pdf`: an invisible field with
// /Type /DocTimeStamp, SubFilter ETSI.RFC3161, the token (SHA-256) in /Contents.
[[nodiscard]] Result<Bytes> add_document_timestamp(BytesView pdf,
                                                   const sign::DigestTimestampFn& timestamp,
                                                   std::size_t capacity = 16384);

// An SM2 seal stamped on `pdf` (GB/T 38540; standards.md §5.3 variant (b)): the field's
// /Contents hold an SES_Signature whose dataHash is SM3 of the ByteRange bytes, made with
// `seal` (a v4 SESeal the seal service checked: active, valid now, `signer_cert` allowed) by
// the SM2 `signer`; timeInfo = field.signing_time; with `timestamp` the SES_Signature carries a
// token over its signature value. field.sub_filter is set to kSubFilterSes. The signer's and
// the writer's errors as they are.
[[nodiscard]] Result<Bytes> stamp_with_seal(BytesView pdf, FieldSpec field, const seal::Seal& seal,
                                            const crypto::Signer& signer,
                                            const x509::Certificate& signer_cert,
                                            const seal::TimestampFn& timestamp = {});

}  // namespace hpki::pdf
