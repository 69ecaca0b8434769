// RFC 3161 Time-Stamp Protocol structures (with RFC 5816 ESSCertIDv2 in the token, which
// cms::sign writes): TimeStampReq (parsed from the network, size limited), TSTInfo (built and
// parsed), TimeStampResp with PKIStatusInfo (built and parsed). The token itself is a CMS
// SignedData over DER(TSTInfo) with eContentType id-ct-TSTInfo (x509/cms.h). GM/T 0033 /
// GB/T 20520 use the same structures with SM3 and SM2 (reference/standards.md section 4).
//
// Parsers are strict DER; errors are kMalformed (kTooLarge over the limit, kTrailingData,
// kUnsupported for a version other than 1) with the field named. They do not judge the
// hash algorithm or the policy: the TSA does (badAlg, unacceptedPolicy).
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
#include "der/oid.h"
#include "x509/certificate.h"
#include "x509/designation.h"
#include "x509/diag.h"
#include "x509/extensions.h"

namespace hpki::x509::tsp {

// A request holds a hash and a few small fields: 64 KiB is generous (extensions included).
inline constexpr std::size_t kMaxRequestSize = 64 * 1024;
// A response holds a token with a few certificates.
inline constexpr std::size_t kMaxResponseSize = 1024 * 1024;

// MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
struct MessageImprint {
  der::Oid hash_algorithm;
  Bytes hash_parameters;  // raw DER of the parameters (NULL from many clients), may be empty
  Bytes hashed_message;
  friend bool operator==(const MessageImprint&, const MessageImprint&) = default;
};

// RFC 3161 2.4.1: TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint,
//   reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE,
//   extensions [0] IMPLICIT Extensions OPTIONAL }
struct TimeStampReq {
  int version = 1;
  MessageImprint message_imprint;
  std::optional<der::Oid> req_policy{};
  std::optional<Bytes> nonce{};  // INTEGER content octets (two's complement), copied verbatim
  bool cert_req = false;
  std::vector<Extension> extensions{};
};

[[nodiscard]] Result<TimeStampReq> parse_request(BytesView der);
[[nodiscard]] Result<Bytes> encode_request(const TimeStampReq& req);

// Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL,
//   micros [1] INTEGER (1..999) OPTIONAL }
struct Accuracy {
  int seconds = 0;
  int millis = 0;
  int micros = 0;
  friend bool operator==(const Accuracy&, const Accuracy&) = default;
};

// RFC 3161 2.4.2: TSTInfo ::= SEQUENCE { version INTEGER { v1(1) }, policy TSAPolicyId,
//   messageImprint, serialNumber INTEGER, genTime GeneralizedTime, accuracy Accuracy OPTIONAL,
//   ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL, tsa [0] GeneralName OPTIONAL,
//   extensions [1] IMPLICIT Extensions OPTIONAL }
// genTime is written with whole seconds (GeneralizedTime "YYYYMMDDHHMMSSZ"); the parser also
// accepts fractional seconds (RFC 3161 2.4.2: no trailing zeros) and keeps them.
struct TstInfo {
  int version = 1;
  der::Oid policy;
  MessageImprint message_imprint;
  Bytes serial;  // INTEGER content octets
  TimePoint gen_time{};
  std::optional<Accuracy> accuracy{};
  bool ordering = false;
  std::optional<Bytes> nonce{};
  std::optional<Bytes> tsa_name{};  // the GeneralName element, raw DER
  std::vector<Extension> extensions{};
};

[[nodiscard]] Result<Bytes> encode_tst_info(const TstInfo& info);
[[nodiscard]] Result<TstInfo> parse_tst_info(BytesView der);

// RFC 3161 2.4.2 / RFC 4210: PKIStatus and PKIFailureInfo.
enum class PkiStatus : int {
  kGranted = 0,
  kGrantedWithMods = 1,
  kRejection = 2,
  kWaiting = 3,
  kRevocationWarning = 4,
  kRevocationNotification = 5,
};
enum class FailureInfo : int {
  kBadAlg = 0,
  kBadRequest = 2,
  kBadDataFormat = 5,
  kTimeNotAvailable = 14,
  kUnacceptedPolicy = 15,
  kUnacceptedExtension = 16,
  kAddInfoNotAvailable = 17,
  kSystemFailure = 25,
};
[[nodiscard]] std::string_view to_string(PkiStatus s) noexcept;
[[nodiscard]] std::string_view to_string(FailureInfo f) noexcept;

// TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }
// PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL,
//   failInfo PKIFailureInfo OPTIONAL }
struct TimeStampResp {
  PkiStatus status = PkiStatus::kGranted;
  std::optional<std::string> status_string{};  // one UTF8String of PKIFreeText
  std::optional<FailureInfo> fail_info{};
  std::optional<Bytes> token{};  // ContentInfo DER
};

[[nodiscard]] Bytes encode_response(const TimeStampResp& resp);
[[nodiscard]] Result<TimeStampResp> parse_response(BytesView der);

// The serial of a TSTInfo as a non-negative integer, when it fits (hpki's serials do).
[[nodiscard]] Result<std::int64_t> serial_value(const TstInfo& info);

// ---- Token verification (RFC 3161 2.4.2 and 2.3, RFC 5816) -------------------------------------
// Diagnostic ids (tsp::diag::k*, the start of a kBadSignature detail; CMS failures keep the
// cms.* ids): x509/diag.h.

struct TokenVerifyOptions {
  // What was time-stamped: the data (hashed with the token's imprint algorithm) or its digest.
  std::optional<BytesView> data{};
  std::optional<BytesView> digest{};
  std::vector<CertificatePtr> trust_anchors{};  // at least one
  std::vector<CertificatePtr> untrusted{};      // intermediates and the TSA certificate
  std::optional<Bytes> nonce{};                 // the request's nonce (INTEGER content)
  std::size_t max_depth = 8;
  // Which TSA certificates the issuers designated (designation.h; issue 16): a TSA certificate
  // whose issuer on the chain the source knows must be one it designated, else the token is
  // refused (kTsaNotDesignated), as it is when the source fails; a TSA certificate that is itself
  // a trust anchor is trusted directly. None (default): RFC 3161 rules alone. Not owned.
  const DesignationSource* designation = nullptr;
};

struct TokenVerifyResult {
  TstInfo info;
  CertificatePtr tsa;                                                          // the signer
  crypto::SignatureAlg signature_alg = crypto::SignatureAlg::kRsaPkcs1Sha256;  // of the token
  std::vector<CertificatePtr> chain;  // TSA first, the trust anchor last
};

// Verifies a token (a ContentInfo) or a TimeStampResp holding one (status granted or
// grantedWithMods): the CMS signature (SM2 with the GM/T 0009 ID) and the ESS
// signingCertificate(V2) binding (required), eContentType id-ct-TSTInfo, the imprint against
// the data or digest, the nonce when given, the tsa name when present, the TSA certificate
// (extendedKeyUsage exactly timeStamping and critical, keyUsage if present allows
// digitalSignature or nonRepudiation) and its chain to a trust anchor (signatures with the
// standard SM2 ID at every level, issuers are CAs, every certificate valid at genTime).
// With options.designation, the TSA certificate must be designated by its issuer when the source
// knows that issuer. Revocation is not checked. Negative verdicts are kBadSignature with a diag id;
// unparsable input is kMalformed.
[[nodiscard]] Result<TokenVerifyResult> verify_token(BytesView token_or_response,
                                                     const TokenVerifyOptions& options);

}  // namespace hpki::x509::tsp
