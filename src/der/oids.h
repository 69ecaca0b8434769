// Named OBJECT IDENTIFIER constants used by the CA, and a name lookup for printing.
// Every entry is written once in HPKI_DER_OID_LIST as (constant, dotted value, display name);
// the display names follow OpenSSL's short/long names where one exists so that logs read like
// `openssl asn1parse` output. Sources: RFC 3279, 4055, 5280, 5480, 5652, 5758, 6960, 3161,
// 5035, 2985 (PKCS#9), X.520, GM/T 0006 / 0010 / 0015 (reference/standards.md sections 0, 1.7
// and 3.1).
#pragma once

#include <span>
#include <string_view>

#include "der/oid.h"

// clang-format off
#define HPKI_DER_OID_LIST(X)                                                                    \
  /* RSA (RFC 8017, RFC 4055) */                                                                \
  X(kRsaEncryption,              "1.2.840.113549.1.1.1",  "rsaEncryption")                      \
  X(kSha1WithRsaEncryption,      "1.2.840.113549.1.1.5",  "sha1WithRSAEncryption")              \
  X(kRsaesOaep,                  "1.2.840.113549.1.1.7",  "rsaesOaep")                          \
  X(kMgf1,                       "1.2.840.113549.1.1.8",  "mgf1")                               \
  X(kRsassaPss,                  "1.2.840.113549.1.1.10", "rsassaPss")                          \
  X(kSha256WithRsaEncryption,    "1.2.840.113549.1.1.11", "sha256WithRSAEncryption")            \
  X(kSha384WithRsaEncryption,    "1.2.840.113549.1.1.12", "sha384WithRSAEncryption")            \
  X(kSha512WithRsaEncryption,    "1.2.840.113549.1.1.13", "sha512WithRSAEncryption")            \
  /* EC (RFC 5480, RFC 5758) */                                                                 \
  X(kEcPublicKey,                "1.2.840.10045.2.1",     "id-ecPublicKey")                     \
  X(kPrime256v1,                 "1.2.840.10045.3.1.7",   "prime256v1")                         \
  X(kSecp384r1,                  "1.3.132.0.34",          "secp384r1")                          \
  X(kSecp521r1,                  "1.3.132.0.35",          "secp521r1")                          \
  X(kEcdsaWithSha1,              "1.2.840.10045.4.1",     "ecdsa-with-SHA1")                    \
  X(kEcdsaWithSha256,            "1.2.840.10045.4.3.2",   "ecdsa-with-SHA256")                  \
  X(kEcdsaWithSha384,            "1.2.840.10045.4.3.3",   "ecdsa-with-SHA384")                  \
  X(kEcdsaWithSha512,            "1.2.840.10045.4.3.4",   "ecdsa-with-SHA512")                  \
  X(kEd25519,                    "1.3.101.112",           "ED25519")                            \
  /* Chinese algorithms (GM/T 0006, reference/standards.md section 0) */                        \
  X(kSm2,                        "1.2.156.10197.1.301",   "SM2")                                \
  X(kSm2Sign,                    "1.2.156.10197.1.301.1", "sm2sign")                            \
  X(kSm2Exchange,                "1.2.156.10197.1.301.2", "sm2exchange")                        \
  X(kSm2Encrypt,                 "1.2.156.10197.1.301.3", "sm2encrypt")                         \
  X(kSm3,                        "1.2.156.10197.1.401",   "SM3")                                \
  X(kHmacSm3,                    "1.2.156.10197.1.401.2", "hmac-sm3")                           \
  X(kSm2WithSm3,                 "1.2.156.10197.1.501",   "SM2-with-SM3")                       \
  X(kRsaWithSm3,                 "1.2.156.10197.1.504",   "RSA-SM3")                            \
  X(kSm4Ecb,                     "1.2.156.10197.1.104.1", "SM4-ECB")                            \
  X(kSm4Cbc,                     "1.2.156.10197.1.104.2", "SM4-CBC")                            \
  X(kSm4Gcm,                     "1.2.156.10197.1.104.8", "SM4-GCM")                            \
  /* Hashes (RFC 3279, RFC 5758) */                                                             \
  X(kSha1,                       "1.3.14.3.2.26",         "sha1")                               \
  X(kSha256,                     "2.16.840.1.101.3.4.2.1", "sha256")                            \
  X(kSha384,                     "2.16.840.1.101.3.4.2.2", "sha384")                            \
  X(kSha512,                     "2.16.840.1.101.3.4.2.3", "sha512")                            \
  /* X.520 attribute types (RFC 5280 Appendix A.1, RFC 4519) */                                 \
  X(kCommonName,                 "2.5.4.3",               "commonName")                         \
  X(kSurname,                    "2.5.4.4",               "surname")                            \
  X(kSerialNumber,               "2.5.4.5",               "serialNumber")                       \
  X(kCountryName,                "2.5.4.6",               "countryName")                        \
  X(kLocalityName,               "2.5.4.7",               "localityName")                       \
  X(kStateOrProvinceName,        "2.5.4.8",               "stateOrProvinceName")                \
  X(kStreetAddress,              "2.5.4.9",               "streetAddress")                      \
  X(kOrganizationName,           "2.5.4.10",              "organizationName")                   \
  X(kOrganizationalUnitName,     "2.5.4.11",              "organizationalUnitName")             \
  X(kTitle,                      "2.5.4.12",              "title")                              \
  X(kBusinessCategory,           "2.5.4.15",              "businessCategory")                   \
  X(kPostalCode,                 "2.5.4.17",              "postalCode")                         \
  X(kGivenName,                  "2.5.4.42",              "givenName")                          \
  X(kDnQualifier,                "2.5.4.46",              "dnQualifier")                        \
  X(kPseudonym,                  "2.5.4.65",              "pseudonym")                          \
  X(kOrganizationIdentifier,     "2.5.4.97",              "organizationIdentifier")             \
  X(kEmailAddress,               "1.2.840.113549.1.9.1",  "emailAddress")                       \
  X(kUserId,                     "0.9.2342.19200300.100.1.1",  "userId")                        \
  X(kDomainComponent,            "0.9.2342.19200300.100.1.25", "domainComponent")               \
  /* X.509 certificate and CRL extensions (RFC 5280 4.2, 5.2, 5.3) */                           \
  X(kSubjectDirectoryAttributes, "2.5.29.9",              "subjectDirectoryAttributes")         \
  X(kSubjectKeyIdentifier,       "2.5.29.14",             "subjectKeyIdentifier")               \
  X(kKeyUsage,                   "2.5.29.15",             "keyUsage")                           \
  X(kSubjectAltName,             "2.5.29.17",             "subjectAltName")                     \
  X(kIssuerAltName,              "2.5.29.18",             "issuerAltName")                      \
  X(kBasicConstraints,           "2.5.29.19",             "basicConstraints")                   \
  X(kCrlNumber,                  "2.5.29.20",             "cRLNumber")                          \
  X(kReasonCode,                 "2.5.29.21",             "cRLReason")                          \
  X(kInvalidityDate,             "2.5.29.24",             "invalidityDate")                     \
  X(kDeltaCrlIndicator,          "2.5.29.27",             "deltaCRL")                           \
  X(kIssuingDistributionPoint,   "2.5.29.28",             "issuingDistributionPoint")           \
  X(kCertificateIssuer,          "2.5.29.29",             "certificateIssuer")                  \
  X(kNameConstraints,            "2.5.29.30",             "nameConstraints")                    \
  X(kCrlDistributionPoints,      "2.5.29.31",             "crlDistributionPoints")              \
  X(kCertificatePolicies,        "2.5.29.32",             "certificatePolicies")                \
  X(kAnyPolicy,                  "2.5.29.32.0",           "anyPolicy")                          \
  X(kPolicyMappings,             "2.5.29.33",             "policyMappings")                     \
  X(kAuthorityKeyIdentifier,     "2.5.29.35",             "authorityKeyIdentifier")             \
  X(kPolicyConstraints,          "2.5.29.36",             "policyConstraints")                  \
  X(kExtKeyUsage,                "2.5.29.37",             "extendedKeyUsage")                   \
  X(kAnyExtendedKeyUsage,        "2.5.29.37.0",           "anyExtendedKeyUsage")                \
  X(kFreshestCrl,                "2.5.29.46",             "freshestCRL")                        \
  X(kInhibitAnyPolicy,           "2.5.29.54",             "inhibitAnyPolicy")                   \
  X(kAuthorityInfoAccess,        "1.3.6.1.5.5.7.1.1",     "authorityInfoAccess")                \
  X(kSubjectInfoAccess,          "1.3.6.1.5.5.7.1.11",    "subjectInfoAccess")                  \
  X(kCtPrecertPoison,            "1.3.6.1.4.1.11129.2.4.3", "ctPrecertificatePoison")         \
  /* Policy qualifiers (RFC 5280 4.2.1.4) */                                                    \
  X(kCpsQualifier,               "1.3.6.1.5.5.7.2.1",     "id-qt-cps")                          \
  X(kUserNoticeQualifier,        "1.3.6.1.5.5.7.2.2",     "id-qt-unotice")                      \
  /* Extended key usages (RFC 5280 4.2.1.12) */                                                 \
  X(kServerAuth,                 "1.3.6.1.5.5.7.3.1",     "serverAuth")                         \
  X(kClientAuth,                 "1.3.6.1.5.5.7.3.2",     "clientAuth")                         \
  X(kCodeSigning,                "1.3.6.1.5.5.7.3.3",     "codeSigning")                        \
  X(kEmailProtection,            "1.3.6.1.5.5.7.3.4",     "emailProtection")                    \
  X(kTimeStamping,               "1.3.6.1.5.5.7.3.8",     "timeStamping")                       \
  X(kOcspSigning,                "1.3.6.1.5.5.7.3.9",     "OCSPSigning")                        \
  /* Access methods (RFC 5280 4.2.2.1, 4.2.2.2) and OCSP (RFC 6960 4.2.1, 4.2.2.2.1, 4.4.1) */  \
  X(kAdOcsp,                     "1.3.6.1.5.5.7.48.1",    "OCSP")                               \
  X(kAdCaIssuers,                "1.3.6.1.5.5.7.48.2",    "caIssuers")                          \
  X(kAdTimeStamping,             "1.3.6.1.5.5.7.48.3",    "ad_timestamping")                    \
  X(kAdCaRepository,             "1.3.6.1.5.5.7.48.5",    "caRepository")                       \
  X(kOcspBasic,                  "1.3.6.1.5.5.7.48.1.1",  "basicOCSPResponse")                  \
  X(kOcspNonce,                  "1.3.6.1.5.5.7.48.1.2",  "Nonce")                              \
  X(kOcspNoCheck,                "1.3.6.1.5.5.7.48.1.5",  "noCheck")                            \
  /* CMS content types (RFC 5652 4-8) */                                                        \
  X(kData,                       "1.2.840.113549.1.7.1",  "pkcs7-data")                         \
  X(kSignedData,                 "1.2.840.113549.1.7.2",  "pkcs7-signedData")                   \
  X(kEnvelopedData,              "1.2.840.113549.1.7.3",  "pkcs7-envelopedData")                \
  X(kDigestedData,               "1.2.840.113549.1.7.5",  "pkcs7-digestData")                   \
  X(kEncryptedData,              "1.2.840.113549.1.7.6",  "pkcs7-encryptedData")                \
  /* PKCS#9 attributes (RFC 2985, RFC 5652 11) */                                               \
  X(kContentType,                "1.2.840.113549.1.9.3",  "contentType")                        \
  X(kMessageDigest,              "1.2.840.113549.1.9.4",  "messageDigest")                      \
  X(kSigningTime,                "1.2.840.113549.1.9.5",  "signingTime")                        \
  X(kCounterSignature,           "1.2.840.113549.1.9.6",  "countersignature")                   \
  X(kChallengePassword,          "1.2.840.113549.1.9.7",  "challengePassword")                  \
  X(kExtensionRequest,           "1.2.840.113549.1.9.14", "extensionRequest")                   \
  X(kCtTstInfo,                  "1.2.840.113549.1.9.16.1.4",  "id-smime-ct-TSTInfo")           \
  X(kAaSigningCertificate,       "1.2.840.113549.1.9.16.2.12", "id-smime-aa-signingCertificate") \
  X(kAaTimeStampToken,           "1.2.840.113549.1.9.16.2.14", "id-smime-aa-timeStampToken")    \
  X(kAaSigningCertificateV2,     "1.2.840.113549.1.9.16.2.47", "signingCertificateV2")          \
  /* hpki's own key purpose (X.667 UUID arc 2.25, no registration needed): the certificate of */ \
  /* the audit checkpoint key, which evidence packages check (issue 21, docs/evidence.md) */      \
  X(kHpkiAuditCheckpointSigning, "2.25.211302810790840878094416978654048294110",                 \
    "hpkiAuditCheckpointSigning")                                                               \
  /* GM/T 0015-2012 private certificate extensions (standards.md 1.7) */                        \
  X(kGmIdentifyCode,             "1.2.156.10260.4.1.1",   "IdentifyCode")                       \
  X(kGmInsuranceNumber,          "1.2.156.10260.4.1.2",   "InsuranceNumber")                    \
  X(kGmIcRegistrationNumber,     "1.2.156.10260.4.1.3",   "ICRegistrationNumber")               \
  X(kGmOrganizationCode,         "1.2.156.10260.4.1.4",   "OrganizationCode")                   \
  X(kGmTaxationNumber,           "1.2.156.10260.4.1.5",   "TaxationNumber")                     \
  /* GM/T 0015-2023 forms (standards.md 1.7, per xipki) */                                      \
  X(kGmResidentIdCardNumber,     "1.2.156.10260.4.1.1.1", "ResidentIdentityCardNumber")         \
  X(kGmPassportNumber,           "1.2.156.10260.4.1.1.2", "PassportNumber")                     \
  X(kGmUnifiedSocialCreditCode,  "1.2.156.10260.4.4",     "UnifiedSocialCreditCode")            \
  /* GM/T 0010 content types (standards.md 3.1) */                                              \
  X(kGmCmsArc,                   "1.2.156.10197.6.1.4.2", "gmt0010")                            \
  X(kGmData,                     "1.2.156.10197.6.1.4.2.1", "gmt0010-data")                     \
  X(kGmSignedData,               "1.2.156.10197.6.1.4.2.2", "gmt0010-signedData")               \
  X(kGmEnvelopedData,            "1.2.156.10197.6.1.4.2.3", "gmt0010-envelopedData")            \
  X(kGmSignedAndEnvelopedData,   "1.2.156.10197.6.1.4.2.4", "gmt0010-signedAndEnvelopedData")   \
  X(kGmEncryptedData,            "1.2.156.10197.6.1.4.2.5", "gmt0010-encryptedData")            \
  X(kGmKeyAgreementInfo,         "1.2.156.10197.6.1.4.2.6", "gmt0010-keyAgreementInfo")
// clang-format on

namespace hpki::der {

namespace oids {
#define HPKI_DER_OID_CONSTANT(name, dotted, display) \
  inline constexpr Oid name = Oid::literal(dotted);
HPKI_DER_OID_LIST(HPKI_DER_OID_CONSTANT)
#undef HPKI_DER_OID_CONSTANT
}  // namespace oids

struct OidEntry {
  Oid oid;
  std::string_view dotted;
  std::string_view name;
};

// Every constant of HPKI_DER_OID_LIST, in list order.
[[nodiscard]] std::span<const OidEntry> known_oids() noexcept;

// Display name of a known OID ("sha256WithRSAEncryption", "SM2-with-SM3"); empty if unknown.
[[nodiscard]] std::string_view oid_name(const Oid& oid) noexcept;

}  // namespace hpki::der
