// OCSP (RFC 6960) at the domain level: request parsing and building, BasicOCSPResponse
// building (signed through any crypto::Signer), response parsing and checking. Used by the
// responder (revocation/ocsp_responder.h) and reusable by a path validator.
//
// SM2: responses are signed and verified with the distinguishing ID (crypto::kSm2DefaultId by
// default). OpenSSL 3.0's OCSP_basic_verify has no ID hook (it uses the empty ID), so hpki
// encodes the ResponseData and checks its signature itself.
//
// Errors: kTooLarge over the size limits, kMalformed (detail names the field) for anything
// that is not the DER of the structure, kUnsupportedAlgorithm for CertID hash algorithms other
// than SHA-1, SHA-256 and SM3 when a hash must be computed.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "crypto/signer.h"
#include "der/oid.h"
#include "x509/certificate.h"
#include "x509/crl.h"
#include "x509/extensions.h"
#include "x509/name.h"

namespace hpki::x509 {

inline constexpr std::size_t kMaxOcspRequestSize = 64 * 1024;
inline constexpr std::size_t kMaxOcspRequestEntries = 256;  // Requests in one OCSPRequest
inline constexpr std::size_t kMaxOcspResponseSize = 1024 * 1024;
// RFC 8954 2.1: a nonce of 1 to 32 octets.
inline constexpr std::size_t kMinOcspNonce = 1;
inline constexpr std::size_t kMaxOcspNonce = 32;

// RFC 6960 4.1.1 CertID.
struct OcspCertId {
  der::Oid hash_oid;                    // hashAlgorithm.algorithm
  std::optional<crypto::HashAlg> hash;  // SHA-1, SHA-256 or SM3; none for other algorithms
  Bytes issuer_name_hash;
  Bytes issuer_key_hash;
  Bytes serial;  // INTEGER content bytes, as sent (two's complement)
  friend bool operator==(const OcspCertId&, const OcspCertId&) = default;
};

// The CertID of certificate `serial` (INTEGER content bytes) issued by `issuer`:
// hash(issuer subject Name DER), hash(issuer subjectPublicKey BIT STRING value).
// kUnsupportedAlgorithm for hashes other than SHA-1, SHA-256 and SM3.
[[nodiscard]] Result<OcspCertId> make_ocsp_cert_id(crypto::HashAlg hash, const Certificate& issuer,
                                                   BytesView serial);
// RFC 6960 4.2.1 KeyHash: SHA-1 of the subjectPublicKey BIT STRING value of `spki_der`.
[[nodiscard]] Result<Bytes> ocsp_key_hash(BytesView spki_der);
// Whether `id` names a certificate of `issuer` (hashes recomputed with id's algorithm; false
// for an unsupported hash).
[[nodiscard]] bool ocsp_cert_id_matches_issuer(const OcspCertId& id, const Certificate& issuer);

// RFC 6960 4.1.1 OCSPRequest. The optional signature is parsed but not checked (hpki's
// responder does not require signed requests).
struct OcspRequest {
  std::vector<OcspCertId> ids;  // one per Request, in order (at least one)
  // RFC 8954: the nonce (the OCTET STRING inside the extension value), 1..32 octets; a
  // nonce extension of another form or length makes the request malformed.
  std::optional<Bytes> nonce;
  bool has_signature = false;
};

// Strict DER; size limit kMaxOcspRequestSize (kTooLarge); at most kMaxOcspRequestEntries
// Requests (kLimitExceeded); unknown critical request extensions are refused (kMalformed).
[[nodiscard]] Result<OcspRequest> parse_ocsp_request(BytesView der);
// An unsigned OCSPRequest for `ids` with an optional nonce (for tests and clients).
[[nodiscard]] Result<Bytes> build_ocsp_request(const std::vector<OcspCertId>& ids,
                                               std::optional<BytesView> nonce = std::nullopt);

// RFC 6960 4.2.1 OCSPResponseStatus.
enum class OcspResponseStatus {
  kSuccessful = 0,
  kMalformedRequest = 1,
  kInternalError = 2,
  kTryLater = 3,
  kSigRequired = 5,
  kUnauthorized = 6,
};
[[nodiscard]] std::string_view ocsp_response_status_name(OcspResponseStatus s);

enum class OcspCertStatus { kGood, kRevoked, kUnknown };
[[nodiscard]] std::string_view ocsp_cert_status_name(OcspCertStatus s);  // "good" ...

struct OcspSingleResponse {
  OcspCertId id;
  OcspCertStatus status = OcspCertStatus::kGood;
  std::optional<TimePoint> revocation_time;  // kRevoked
  std::optional<RevocationReason> reason;    // kRevoked, when given
  TimePoint this_update{};
  std::optional<TimePoint> next_update;
  std::vector<Extension> extensions;  // singleExtensions
};

// What the builder signs.
struct OcspResponseTemplate {
  BytesView responder_spki;  // responderID byKey is the SHA-1 key hash of this key
  TimePoint produced_at{};
  std::vector<OcspSingleResponse> responses;  // extensions are not written
  std::optional<BytesView> nonce;             // echoed (RFC 8954) when present
  std::vector<BytesView> certs;               // DER certificates (the responder certificate)
  // RFC 6960 4.4.8 id-pkix-ocsp-extended-revoke: required when "revoked" answers a serial
  // that was never issued (2.2: revocationTime 1970-01-01, reason certificateHold).
  bool extended_revoke = false;
};

// A successful OCSPResponse with a BasicOCSPResponse signed by `signer` (whose public key
// must be `responder_spki`). Times are encoded to the second.
[[nodiscard]] Result<Bytes> build_ocsp_response(const OcspResponseTemplate& t,
                                                const crypto::Signer& signer);
// An OCSPResponse without responseBytes (any status but successful).
[[nodiscard]] Bytes build_ocsp_error_response(OcspResponseStatus status);

// RFC 6960 4.2.1: BasicOCSPResponse, parsed.
class BasicOcspResponse {
 public:
  [[nodiscard]] static Result<std::shared_ptr<const BasicOcspResponse>> parse(BytesView der);

  [[nodiscard]] const Bytes& der() const { return der_; }
  [[nodiscard]] BytesView tbs_der() const { return tbs_; }  // ResponseData, signed
  [[nodiscard]] int version() const { return version_; }    // 1
  // ResponderID: exactly one of these is set.
  [[nodiscard]] const std::optional<Bytes>& responder_key_hash() const { return by_key_; }
  [[nodiscard]] const std::optional<Name>& responder_name() const { return by_name_; }
  [[nodiscard]] TimePoint produced_at() const { return produced_at_; }
  [[nodiscard]] const std::vector<OcspSingleResponse>& responses() const { return responses_; }
  [[nodiscard]] const std::vector<Extension>& extensions() const { return extensions_; }
  // The nonce (RFC 8954, the OCTET STRING inside the extension value) when present.
  [[nodiscard]] std::optional<Bytes> nonce() const;
  [[nodiscard]] const AlgorithmIdentifier& signature_algorithm() const { return sig_alg_; }
  [[nodiscard]] const Bytes& signature() const { return signature_; }
  [[nodiscard]] const std::vector<CertificatePtr>& certs() const { return certs_; }

  // Checks the signature over ResponseData with `signer_spki` (SM2 with `sm2_id`). RSA
  // PKCS#1 v1.5 with SHA-1 is accepted for verification only (existing responders use it).
  [[nodiscard]] Result<void> verify_signature(
      BytesView signer_spki, std::string_view sm2_id = crypto::kSm2DefaultId) const;
  // Whether the responderID names this certificate (key hash, or subject Name).
  [[nodiscard]] bool responder_is(const Certificate& cert) const;

 private:
  BasicOcspResponse() = default;
  Bytes der_;
  BytesView tbs_;
  int version_ = 1;
  std::optional<Bytes> by_key_;
  std::optional<Name> by_name_;
  TimePoint produced_at_{};
  std::vector<OcspSingleResponse> responses_;
  std::vector<Extension> extensions_;
  AlgorithmIdentifier sig_alg_;
  Bytes signature_;
  std::vector<CertificatePtr> certs_;
};
using BasicOcspResponsePtr = std::shared_ptr<const BasicOcspResponse>;

// RFC 6960 4.2.1 OCSPResponse.
struct OcspResponse {
  OcspResponseStatus status = OcspResponseStatus::kSuccessful;
  std::optional<der::Oid> response_type;  // present with responseBytes
  Bytes response_bytes;                   // the `response` OCTET STRING contents
  BasicOcspResponsePtr basic;             // set when the type is id-pkix-ocsp-basic
};

// Parses the OCSPResponse envelope and, for id-pkix-ocsp-basic, the BasicOCSPResponse.
// Envelope errors are "OCSPResponse: ..."; a successful status without responseBytes, or a
// response type other than basic, is kMalformed. A BasicOCSPResponse that does not parse is
// kMalformed "BasicOCSPResponse: ...".
[[nodiscard]] Result<OcspResponse> parse_ocsp_response(BytesView der);
// Only the envelope (status, type and bytes; `basic` stays empty, no type check).
[[nodiscard]] Result<OcspResponse> parse_ocsp_response_envelope(BytesView der);

// --- checking a response for one certificate (RFC 6960 3.2, 4.2.2.2) ----------------------

enum class OcspValidity {
  kValid,
  kNoMatchingResponse,          // no SingleResponse for the certificate
  kUnhandledCriticalExtension,  // a critical response / single extension hpki does not know
  kNotYetValid,                 // thisUpdate after `now`
  kExpired,                     // nextUpdate before `now`
  kTooOld,                      // thisUpdate older than max_age
  kBadProducedAt,               // producedAt outside the certificate's validity
  kUntrustedResponder,          // no authorised responder certificate found (4.2.2.2)
  kBadSignature,                // the signature does not verify
};
[[nodiscard]] std::string_view ocsp_validity_name(OcspValidity v);

struct OcspCheckOptions {
  TimePoint now{};
  std::optional<std::chrono::seconds> max_age;
  // Responder certificates trusted in addition to the issuer and its delegates (4.2.2.2
  // "local configuration").
  std::vector<CertificatePtr> trusted_responders;
  std::string_view sm2_id = crypto::kSm2DefaultId;
  // Clock tolerance on the SingleResponse dates: usable when thisUpdate <= now + tolerance and
  // now <= nextUpdate + tolerance.
  std::chrono::seconds tolerance{0};
  // Extra condition on a delegated responder certificate (4.2.2.2), after the built-in ones
  // (issued by `issuer`, EKU OCSPSigning, valid at producedAt): e.g. valid at the validation
  // time and not revoked unless id-pkix-ocsp-nocheck. Empty: no extra condition.
  std::function<bool(const CertificatePtr& delegate)> accept_delegate = {};
};

struct OcspCheckResult {
  OcspValidity validity = OcspValidity::kValid;
  // kUnknown unless validity is kValid. Several SingleResponses for the certificate: the
  // worst wins (revoked over unknown over good).
  OcspCertStatus status = OcspCertStatus::kUnknown;
  std::optional<TimePoint> revocation_time;
  std::optional<RevocationReason> reason;
  CertificatePtr signer;  // the certificate whose key signed (the issuer or a delegate)
};

// RFC 6960 4.2.2.2: the signer is the issuer itself, a certificate in the response issued by
// the issuer with EKU id-kp-OCSPSigning (valid at producedAt), or a trusted responder; the
// responderID must name it. Then the SingleResponses for `cert` are matched by CertID
// (hashes over `issuer`, serial) and their dates checked.
[[nodiscard]] OcspCheckResult check_ocsp_response(const BasicOcspResponse& resp,
                                                  const Certificate& cert,
                                                  const Certificate& issuer,
                                                  const OcspCheckOptions& options);

}  // namespace hpki::x509
