// Electronic seals (电子印章) and electronic stamps (电子签章): the GB/T 38540-2020 (version 4)
// structures SESeal and SES_Signature, and their GM/T 0031-2014 predecessors (version 1, read
// for verification only), DER-encoded and decoded with der::Reader / der::Writer
// (docs/seals.md; standards.md §5).
//
// What hpki makes:
//   - make_seal(): a v4 SESeal. The seal maker (制章者, an organization key registered with
//     `hpki key register`) signs with SM2-with-SM3 and the distinguishing ID
//     "1234567812345678". GB/T 38540 7.1 text: the signed value is over the DER of
//     SEQUENCE { eSealInfo, cert, signAlgID } (MakerSignedBytes::kInfoCertAlg).
//   - make_signature(): a v4 SES_Signature over some data: dataHash = SM3(data), the signer's
//     SM2 signature over DER(TBS_Sign), optionally an RFC 3161 token over the signature value.
// What hpki verifies (verify_seal / verify_signature): the maker signature over EITHER the
// standard's bytes or DER(SES_SealInfo) alone (what ofdrw's v4 builder signs; some vendors
// follow it), the validity period, whether a signer certificate is allowed (certificate list or
// certificate-digest list), and for a stamp: data hash, signer signature, seal valid at
// timeInfo, timestamp bound to the signature. Problems are reported with the stable ids of
// namespace diag below, never thrown; a structure that does not decode is an Error (kMalformed /
// kTooLarge / kTrailingData) from decode_*.
//
// What it does not check: the maker's or the signer's certificate path (chain, revocation,
// key usage) — the caller validates those with the x509 path validator and its trust anchors;
// whether the TSA of a timestamp is trusted (only that the token's imprint is the signature's).
//
// RSA / ECDSA organisations: GB/T 38540 is an SM2 structure (signAlgID 1.2.156.10197.1.501,
// SM3 data hash). hpki makes no SESeal for an RSA or ECDSA maker key: such a seal is its image
// plus the database record (store::SealRecord: allowed certificates, validity, state), and a
// document carries it as a PAdES signature with the image as its appearance (src/pdf).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "crypto/signer.h"
#include "der/oid.h"

namespace hpki::seal {

// Size limits for hostile input (decode_* refuse larger input with kTooLarge).
inline constexpr std::size_t kMaxSealSize = 4 * 1024 * 1024;       // a whole SESeal
inline constexpr std::size_t kMaxSignatureSize = 8 * 1024 * 1024;  // a whole SES_Signature
inline constexpr std::size_t kMaxPictureSize = 1024 * 1024;        // SES_ESPictureInfo.data
inline constexpr std::size_t kMaxCertListEntries = 64;             // certList entries
inline constexpr std::size_t kMaxExtDatas = 32;                    // ExtensionDatas entries
inline constexpr std::size_t kMaxTextLength = 1024;  // esID, name, vid, propertyInfo, ...

// GB/T 38540 signAlgID / signatureAlgID: SM2 with SM3.
inline constexpr std::string_view kSm2WithSm3Oid = "1.2.156.10197.1.501";

enum class Format {
  kV1,  // GM/T 0031-2014 (UTCTime, SES_SignInfo, cert and algorithm inside TBS_Sign)
  kV4,  // GB/T 38540-2020 (header version 4)
};

// SES_ESPropertyInfo.type.
inline constexpr std::int64_t kTypeOrganization = 1;  // 单位
inline constexpr std::int64_t kTypePersonal = 2;      // 个人

// SES_ESPropertyInfo.certListType (v4 only; a v1 seal always lists certificates).
enum class CertListType : std::int64_t { kCertificates = 1, kDigests = 2 };

// ExtData ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
struct ExtData {
  der::Oid id;
  bool critical = false;
  Bytes value;
  friend bool operator==(const ExtData&, const ExtData&) = default;
};

// CertDigestObj ::= SEQUENCE { type PrintableString, value OCTET STRING }. hpki writes type
// "SM3" and the SM3 of the certificate DER; on verification "SM3", "SHA256", "SHA-256" and
// "SHA1" / "SHA-1" (case-insensitive) are understood.
struct CertDigest {
  std::string type;
  Bytes value;
  friend bool operator==(const CertDigest&, const CertDigest&) = default;
};

// SES_SealInfo ::= SEQUENCE { header SES_Header, esID IA5String, property SES_ESPropertyInfo,
//   picture SES_ESPictureInfo, extDatas ExtensionDatas OPTIONAL }
// flattened: header (id, version, vid), property, picture.
struct SealInfo {
  std::string header_id = "ES";  // SES_Header.id, fixed "ES"
  std::int64_t version = 4;      // SES_Header.version: 4 for GB/T 38540
  std::string vid;               // SES_Header.vid, vendor id
  std::string es_id;             // unique seal code
  std::int64_t type = kTypeOrganization;
  std::string name;  // UTF8String
  CertListType cert_list_type = CertListType::kCertificates;
  std::vector<Bytes> certs;              // certificate list: DER certificates
  std::vector<CertDigest> cert_digests;  // certificate-digest list
  TimePoint create_date{};               // whole seconds
  TimePoint valid_start{};
  TimePoint valid_end{};
  std::string picture_type = "PNG";  // "PNG", "GIF", "BMP", "JPG", "SVG", "OFD"
  Bytes picture;
  std::int64_t width_mm = 0;  // display size in millimetres
  std::int64_t height_mm = 0;
  std::vector<ExtData> ext_datas;
  friend bool operator==(const SealInfo&, const SealInfo&) = default;
};

// SESeal (v4) ::= SEQUENCE { eSealInfo SES_SealInfo, cert OCTET STRING,
//   signAlgID OBJECT IDENTIFIER, signedValue BIT STRING }
// SESeal (v1) ::= SEQUENCE { esealInfo SES_SealInfo, signInfo SES_SignInfo }
//   SES_SignInfo ::= SEQUENCE { cert OCTET STRING, signatureAlgorithm OID, signData BIT STRING }
// Decoded seals keep their bytes: `info_der` is the SES_SealInfo element, `der` the whole seal.
struct Seal {
  Format format = Format::kV4;
  SealInfo info;
  Bytes cert;  // the maker's certificate, DER
  der::Oid sign_alg;
  Bytes signed_value;
  Bytes info_der;
  Bytes der;
};

// Encodes a SES_SealInfo in the given format (v1: UTCTime, certList without certListType, which
// must be kCertificates). kInvalidArgument for values the ASN.1 refuses (a non-IA5 esID, a time
// outside UTCTime's years in v1, a digest list in v1) or beyond the limits above.
[[nodiscard]] Result<Bytes> encode_seal_info(const SealInfo& info, Format format);

// The bytes a seal maker signs (GB/T 38540 text; GM/T 0031 alike):
//   DER( SEQUENCE { eSealInfo, cert OCTET STRING, signAlgID OBJECT IDENTIFIER } ).
[[nodiscard]] Bytes maker_to_be_signed(BytesView info_der, BytesView cert, const der::Oid& alg);

// Assembles and encodes a seal from its parts (no signing): for tests and for seals whose
// signature was made elsewhere.
[[nodiscard]] Result<Seal> assemble_seal(Format format, const SealInfo& info, BytesView cert,
                                         const der::Oid& alg, BytesView signed_value);

// Makes a v4 seal: info.version is set to 4; the maker signs maker_to_be_signed(). `maker`
// must be an SM2 signer (SM2-with-SM3, ID 1234567812345678) whose key is `maker_cert`'s:
// kUnsupportedAlgorithm for RSA / ECDSA (see the file comment), kKeyMismatch when the
// certificate's key is another. kInvalidArgument for a picture over kMaxPictureSize, an empty
// name / esID, valid_end not after valid_start, an empty certificate (digest) list.
[[nodiscard]] Result<Seal> make_seal(SealInfo info, const crypto::Signer& maker,
                                     BytesView maker_cert);

// Decodes a v4 or a v1 seal (told apart by the structure: an OCTET STRING or a SES_SignInfo
// after the seal info). kTooLarge beyond kMaxSealSize or a limit above; kMalformed for anything
// that is not DER of these types; kTrailingData for bytes after the seal.
[[nodiscard]] Result<Seal> decode_seal(BytesView der);

// TBS_Sign (v4) ::= SEQUENCE { version INTEGER, eseal SESeal, timeInfo GeneralizedTime,
//   dataHash BIT STRING, propertyInfo IA5String, extDatas [0] EXPLICIT ExtensionDatas OPTIONAL }
// TBS_Sign (v1) ::= SEQUENCE { version INTEGER, eseal SESeal, timeInfo BIT STRING,
//   dataHash BIT STRING, propertyInfo IA5String, cert OCTET STRING, signatureAlgorithm OID }
// In v1, timeInfo is a BIT STRING holding a UTCTime (its DER element, or its bare
// "YYMMDDHHMMSSZ" text) or a time-stamp token; `time_info` is set when it is a time.
struct TbsSign {
  std::int64_t version = 4;
  Seal eseal;
  std::optional<TimePoint> time_info;
  Bytes time_info_raw;  // v1: the BIT STRING's bytes
  Bytes data_hash;      // SM3 of the protected data
  std::string property_info;
  std::vector<ExtData> ext_datas;  // v4
  Bytes cert;                      // v1: the signer's certificate
  der::Oid signature_alg;          // v1
};

// SES_Signature (v4) ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING,
//   signatureAlgID OBJECT IDENTIFIER, signature BIT STRING,
//   timeStamp [0] EXPLICIT BIT STRING OPTIONAL }
// SES_Signature (v1) ::= SEQUENCE { toSign TBS_Sign, signature BIT STRING }
// For v1, cert and signature_alg are copied from the TBS_Sign.
struct SesSignature {
  Format format = Format::kV4;
  TbsSign tbs;
  Bytes tbs_der;  // the TBS_Sign element, as signed
  Bytes cert;     // the signer's (签章者) certificate, DER
  der::Oid signature_alg;
  Bytes signature;
  std::optional<Bytes> timestamp;  // RFC 3161 TimeStampToken (ContentInfo DER)
  Bytes der;
};

// Returns an RFC 3161 TimeStampToken whose messageImprint is the `hash` digest of `message`
// (the same contract as sign::TimestampFn).
using TimestampFn = std::function<Result<Bytes>(crypto::HashAlg hash, BytesView message)>;

struct SignatureRequest {
  TimePoint time_info{};      // the signing time (whole seconds)
  std::string property_info;  // what was signed, e.g. "/Doc_0/Signs/Sign_0/Signature.xml"
  std::vector<ExtData> ext_datas{};
  TimestampFn timestamp{};  // when set: a token over the signature value (SM3)
};

// Makes a v4 SES_Signature: dataHash = SM3(data), the signer's SM2 signature (ID
// 1234567812345678) over DER(TBS_Sign). `seal` must be a v4 seal. Does not decide whether the
// signer may use the seal (verify_seal / the seal service do): kUnsupportedAlgorithm for a non-SM2
// signer, kKeyMismatch when signer_cert is not the signer's key.
[[nodiscard]] Result<SesSignature> make_signature(const Seal& seal, BytesView data,
                                                  const crypto::Signer& signer,
                                                  BytesView signer_cert,
                                                  const SignatureRequest& req);

// Assembles and encodes a signature from parts (no signing; tests, v1 test vectors).
[[nodiscard]] Result<SesSignature> assemble_signature(Format format, const TbsSign& tbs,
                                                      BytesView cert, const der::Oid& alg,
                                                      BytesView signature,
                                                      std::optional<BytesView> timestamp);
// The DER of a TBS_Sign (its eseal.der must be set).
[[nodiscard]] Result<Bytes> encode_tbs_sign(const TbsSign& tbs, Format format);

// Decodes a v4 or v1 SES_Signature (by the shape of its TBS_Sign). Errors as decode_seal, with
// kMaxSignatureSize.
[[nodiscard]] Result<SesSignature> decode_signature(BytesView der);

// --- verification

namespace diag {
inline constexpr std::string_view kValid = "seal.valid";
inline constexpr std::string_view kHeaderInvalid = "seal.header_invalid";  // id not "ES", version
inline constexpr std::string_view kMakerCertificateInvalid = "seal.maker_certificate_invalid";
inline constexpr std::string_view kMakerAlgorithmUnsupported = "seal.maker_algorithm_unsupported";
inline constexpr std::string_view kMakerSignatureInvalid = "seal.maker_signature_invalid";
inline constexpr std::string_view kNotYetValid = "seal.not_yet_valid";
inline constexpr std::string_view kExpired = "seal.expired";
inline constexpr std::string_view kSignerNotAllowed = "seal.signer_not_allowed";
inline constexpr std::string_view kCertListInvalid = "seal.cert_list_invalid";  // empty, bad type
inline constexpr std::string_view kSignerCertificateInvalid = "seal.signer_certificate_invalid";
inline constexpr std::string_view kSignatureAlgorithmUnsupported =
    "seal.signature_algorithm_unsupported";
inline constexpr std::string_view kSignatureInvalid = "seal.signature_invalid";
inline constexpr std::string_view kDataHashMismatch = "seal.data_hash_mismatch";
inline constexpr std::string_view kVersionMismatch = "seal.version_mismatch";  // TBS vs seal
inline constexpr std::string_view kNoSigningTime = "seal.no_signing_time";     // v1 token time
inline constexpr std::string_view kTimestampInvalid = "seal.timestamp_invalid";
// Store records (seal/service.h).
inline constexpr std::string_view kRevoked = "seal.revoked";
inline constexpr std::string_view kNotFound = "seal.not_found";
}  // namespace diag

struct Diagnostic {
  std::string id;  // one of diag::k*
  std::string detail;
  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

// Which bytes the maker signature was found over.
enum class MakerSignedBytes {
  kNone,          // it verified over neither
  kInfoCertAlg,   // SEQUENCE { eSealInfo, cert, signAlgID } (GB/T 38540 text, what hpki makes)
  kSealInfoOnly,  // DER(SES_SealInfo) (ofdrw v4 builder)
};

struct SealReport {
  bool ok = false;  // no diagnostics
  std::vector<Diagnostic> diagnostics;
  MakerSignedBytes maker_signed = MakerSignedBytes::kNone;
  [[nodiscard]] bool has(std::string_view id) const noexcept;
};

struct SealCheck {
  TimePoint at{};  // the validity period is checked at this time
  // When set: the signer certificate (DER) must be in the certificate list, or its digest in
  // the digest list.
  std::optional<BytesView> signer_cert{};
};

// Checks the seal's header, the maker signature (both signed-bytes variants), the validity
// period at check.at and, when given, the signer. Every failed rule adds its diagnostic.
[[nodiscard]] SealReport verify_seal(const Seal& seal, const SealCheck& check);

// Whether `cert_der` is allowed by the seal's list (exact DER in a certificate list; a digest of
// a known type in a digest list).
[[nodiscard]] bool seal_allows(const SealInfo& info, BytesView cert_der);

struct SignatureReport {
  bool ok = false;
  std::vector<Diagnostic> diagnostics;  // the seal's at timeInfo included
  SealReport seal;
  std::optional<TimePoint> signing_time;    // timeInfo
  std::optional<TimePoint> timestamp_time;  // genTime of the token, when there is one
  [[nodiscard]] bool has(std::string_view id) const noexcept;
};

// Checks a stamp over `data`: dataHash = SM3(data), the signer's SM2 signature over the
// TBS_Sign bytes, the embedded seal (verify_seal at timeInfo with the signer's certificate),
// the TBS version against the seal's, and a timestamp's imprint against the signature value.
[[nodiscard]] SignatureReport verify_signature(const SesSignature& sig, BytesView data);

}  // namespace hpki::seal
