// CMS SignedData (RFC 5652 5) built and checked by hpki itself, for every signing service
// (RFC 3161 tokens, the signing service, evidence): OpenSSL 3.0's CMS signs SM2 with the empty
// ID (and outputs nothing from CMS_sign for SM2), and TS_RESP_CTX refuses SM2 keys
// (reference/openssl-3.0-notes.md section 3).
//
// What sign() produces (DER ContentInfo):
//   ContentInfo { contentType signedData (RFC 5652 1.2.840.113549.1.7.2, or GM/T 0010
//     1.2.156.10197.6.1.4.2.2 with OidStyle::kGmt0010), content [0] EXPLICIT SignedData {
//       version (RFC 5652 5.1: 1 for id-data, 3 for another eContentType; GM/T 0010: 1),
//       digestAlgorithms { the signer's digest },
//       encapContentInfo { eContentType, eContent [0] EXPLICIT OCTET STRING (absent when
//         detached) },
//       certificates [0] IMPLICIT (signer certificate first, then the extra ones),
//       signerInfos { SignerInfo v1 { issuerAndSerialNumber, digestAlgorithm,
//         signedAttrs [0] IMPLICIT { contentType, messageDigest, signingTime?,
//           signingCertificateV2 (RFC 5035 ESSCertIDv2 with issuerSerial), extra attributes },
//         signatureAlgorithm, signature, unsignedAttrs [1] IMPLICIT? } } } }
// The digest is the one of the signer's algorithm: SM3 for SM2 (signature SM2-with-SM3
// 1.2.156.10197.1.501 over SM3(Z_A || DER(signedAttrs)), Z_A with the signer's ID, which is the
// GM/T 0009 default "1234567812345678" for every hpki signer), SHA-256 for RSA / ECDSA P-256
// (sha256WithRSAEncryption, ecdsa-with-SHA256). With kGmt0010 an id-data content is labelled
// with the GM/T 0010 data OID too; any other eContentType (e.g. id-ct-TSTInfo) is kept.
//
// parse_signed_data() accepts both OID styles, SignerInfo v1 (issuerAndSerialNumber) and v3
// (subjectKeyIdentifier), with or without signed attributes; size limit kMaxCmsSize. Errors
// are kMalformed / kTooLarge / kUnexpectedType, with the field named.
//
// verify_signed_data() checks one SignerInfo: the signer certificate is found (embedded or
// given), the messageDigest attribute equals the digest of the content, contentType equals
// eContentType, the signature over the signed attributes (or over the content when there are
// none) verifies with the certificate's key (SM2 with `sm2_id`), and, when a
// signingCertificateV2 / signingCertificate attribute is present, its hash and issuerSerial
// name the signer certificate. It does NOT validate the certificate chain, validity period,
// key usage or revocation: callers do that with the returned signer certificate. Failures
// are kBadSignature whose detail starts with one of the cms::diag ids (x509/diag.h).
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "der/oid.h"
#include "der/oids.h"
#include "x509/certificate.h"
#include "x509/diag.h"

namespace hpki::x509::cms {

inline constexpr std::size_t kMaxCmsSize = 16 * 1024 * 1024;

enum class OidStyle { kRfc5652, kGmt0010 };

// Diagnostic ids (cms::diag::k*, the start of a kBadSignature detail): x509/diag.h.

// Attribute ::= SEQUENCE { attrType OID, attrValues SET OF AttributeValue }.
struct Attribute {
  der::Oid type;
  std::vector<Bytes> values;  // each one complete DER element
};

// Digest AlgorithmIdentifier OIDs (RFC 5754 2, GM/T 0006 SM3) and back.
[[nodiscard]] der::Oid hash_oid(crypto::HashAlg h) noexcept;
[[nodiscard]] Result<crypto::HashAlg> hash_from_oid(const der::Oid& oid);
// DER AlgorithmIdentifier of a digest: SHA-2 with absent parameters (RFC 5754 2), SM3 without.
[[nodiscard]] Bytes hash_algorithm_der(crypto::HashAlg h);

struct SignOptions {
  der::Oid content_type = der::oids::kData;  // eContentType
  bool detached = false;                     // omit eContent
  // The content's digest (with the signer's hash algorithm) instead of the content: for a
  // detached signature over data too large to copy (a PDF's ByteRange, issue 20); sign()'s
  // `content` is then ignored. kInvalidArgument without `detached` or for a wrong length.
  std::optional<Bytes> content_digest{};
  std::optional<TimePoint> signing_time{};  // PKCS#9 signingTime (RFC 5652 11.3)
  bool signing_certificate_v2 = true;       // RFC 5035 ESSCertIDv2 with issuerSerial
  std::vector<Attribute> extra_signed_attributes{};
  std::vector<Attribute> unsigned_attributes{};  // e.g. id-aa-timeStampToken (RFC 3161 App. A)
  bool include_signer_certificate = true;
  std::vector<CertificatePtr> extra_certificates{};  // e.g. the issuing CA
  OidStyle oid_style = OidStyle::kRfc5652;
};

// Signs `content` with `signer`, whose certificate is `signer_cert` (its key must be the
// signer's: kKeyMismatch otherwise). Returns the DER ContentInfo.
[[nodiscard]] Result<Bytes> sign(BytesView content, const Certificate& signer_cert,
                                 const crypto::Signer& signer, const SignOptions& options = {});

// The signingCertificateV2 attribute sign() adds for `signer_cert` when the signature hashes
// with `h` (RFC 5035; SHA-256 is the DEFAULT and not written). A signer that signs many times
// with one certificate computes it once and passes it in extra_signed_attributes with
// signing_certificate_v2 = false: the same signed attributes (a DER SET OF is sorted), without
// hashing the certificate each time.
[[nodiscard]] Result<Attribute> signing_certificate_v2_attribute(const Certificate& signer_cert,
                                                                 crypto::HashAlg h);

// The SignedData ContentInfo `content_info` without its certificates field, everything else
// byte for byte (for storing many tokens of one signer without a copy of its certificates in
// each). kUnexpectedType for another content type, kMalformed when it does not parse.
[[nodiscard]] Result<Bytes> strip_certificates(BytesView content_info);
// The inverse for a ContentInfo that sign() made with `options` and strip_certificates()
// stripped: puts back the certificates sign() included (the signer's when
// include_signer_certificate, and extra_certificates), encoded as sign() encodes them, so the
// result is the signed ContentInfo byte for byte. kBadState when it already holds
// certificates.
[[nodiscard]] Result<Bytes> restore_certificates(BytesView content_info,
                                                 const Certificate& signer_cert,
                                                 const SignOptions& options);

struct SignerInfo {
  int version = 1;
  Bytes issuer_der;                       // issuerAndSerialNumber.issuer (Name DER), v1
  Bytes serial;                           // INTEGER content, v1
  std::optional<Bytes> subject_key_id{};  // v3
  AlgorithmIdentifier digest_algorithm;
  std::optional<Bytes> signed_attrs_der{};  // the SET OF as signed (tag 0x31)
  std::vector<Attribute> signed_attributes;
  AlgorithmIdentifier signature_algorithm;
  Bytes signature;
  std::vector<Attribute> unsigned_attributes;

  [[nodiscard]] const Attribute* find_signed(const der::Oid& type) const;
  [[nodiscard]] const Attribute* find_unsigned(const der::Oid& type) const;
};

struct SignedData {
  OidStyle oid_style = OidStyle::kRfc5652;
  int version = 1;
  std::vector<AlgorithmIdentifier> digest_algorithms;
  der::Oid content_type;           // eContentType (GM/T 0010 data OID kept as written)
  std::optional<Bytes> content{};  // eContent, absent when detached
  std::vector<CertificatePtr> certificates;
  std::vector<SignerInfo> signers;
  Bytes der;  // the whole ContentInfo
};

[[nodiscard]] Result<SignedData> parse_signed_data(BytesView der);

struct VerifyOptions {
  std::optional<BytesView> detached_content{};  // required when eContent is absent
  // Instead of detached_content: the detached content's digest with a given hash (streamed by
  // the caller, e.g. over a PDF's ByteRange). Needs signed attributes (messageDigest); the
  // result's `content` stays empty.
  std::function<Result<Bytes>(crypto::HashAlg)> detached_digest{};
  std::vector<CertificatePtr> extra_certificates{};
  std::size_t signer_index = 0;
  bool require_signing_certificate = false;  // refuse a SignerInfo without the ESS attribute
  std::string_view sm2_id = crypto::kSm2DefaultId;
  // The signer key's policy; its `cache` keeps the signer's decoded key across calls.
  crypto::VerifyPolicy key_policy = {};
};

struct VerifyResult {
  CertificatePtr signer;
  crypto::SignatureAlg signature_alg = crypto::SignatureAlg::kRsaPkcs1Sha256;
  crypto::HashAlg digest_alg = crypto::HashAlg::kSha256;
  der::Oid content_type;
  Bytes content;  // the signed content (eContent or the detached content)
  std::optional<TimePoint> signing_time{};
  bool ess_bound = false;  // a signingCertificate(V2) attribute named the signer certificate
};

[[nodiscard]] Result<VerifyResult> verify_signed_data(const SignedData& sd,
                                                      const VerifyOptions& options = {});

}  // namespace hpki::x509::cms
