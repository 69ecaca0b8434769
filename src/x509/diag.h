// Every diagnostic id of the x509 module, in one place: path validation, CRL and OCSP revocation
// answers, CMS and RFC 3161 token verification, and the lint rules. Ids are stable strings: they
// appear in logs, API responses, `--json` output of the CLI and tests, and never change once
// released. Each group names the standard its checks come from; the code that raises an id
// carries the section tag next to the check.
//
// Namespaces follow the ids' own prefixes: plain ids in x509::diag, "cms.*" in x509::cms::diag,
// "tsp.*" in x509::tsp::diag, lint rule ids ("e_*" errors, "w_*" warnings, zlint style) in
// x509::diag::lint (certificates, lint.cpp) and x509::diag::crl_lint (CRLs, crl_lint.cpp).
// Services keep their own ids in their modules (sign::diag "sign.*", revocation::diag
// "store_*") and refer to these constants rather than repeating a string. No two ids here
// share a value (tests/unit/x509/diag_test.cpp).
#pragma once

#include <string_view>

namespace hpki::x509::diag {

// ---- Path validation: RFC 5280 6.1 (validate_path, path.h) ---------------------------------
// The overall status of a PathReport is kValid or the first finding's id.
inline constexpr std::string_view kValid = "valid";
// RFC 5280 6.1 / RFC 4158 path building: no candidate path, or the search gave up.
inline constexpr std::string_view kNoPath = "no_path_to_trust_anchor";
inline constexpr std::string_view kPathBudgetExceeded = "path_building_budget_exceeded";
inline constexpr std::string_view kMaxDepthExceeded = "max_depth_exceeded";
// Every candidate issuer was already in the path: certificates that certify each other.
inline constexpr std::string_view kPathCycle = "path_cycle";
// RFC 5280 4.1: the target does not parse under hpki's strict DER parser (an intermediate or
// CRL that does not parse is unusable and listed in PathReport::unusable_inputs).
inline constexpr std::string_view kCertificateMalformed = "certificate_malformed";
// RFC 5280 6.1.3 (a): signature, validity, issuer name chaining.
inline constexpr std::string_view kSignatureInvalid = "signature_invalid";
inline constexpr std::string_view kUnsupportedAlgorithm = "unsupported_algorithm";
inline constexpr std::string_view kNotYetValid = "not_yet_valid";
inline constexpr std::string_view kNotAfterPassed = "not_after_passed";
inline constexpr std::string_view kIssuerNameMismatch = "issuer_name_mismatch";
// RFC 5280 6.1.4 (k)-(n): basicConstraints, pathLenConstraint, keyCertSign.
inline constexpr std::string_view kNotCa = "not_a_ca";
inline constexpr std::string_view kPathLenExceeded = "path_len_exceeded";
inline constexpr std::string_view kKeyCertSignMissing = "key_cert_sign_missing";
// RFC 5280 4.2 / 6.1.4 (o), 6.1.5 (f): extension syntax, unrecognized critical extensions.
inline constexpr std::string_view kMalformedExtension = "malformed_extension";
inline constexpr std::string_view kUnknownCriticalExtension = "unknown_critical_extension";
// RFC 5280 6.1.3 (b), (c), 6.1.4 (g): name constraints.
inline constexpr std::string_view kNameConstraintViolation = "name_constraint_violation";
inline constexpr std::string_view kNameConstraintUnsupported = "name_constraint_unsupported";
// RFC 5280 6.1.3 (d)-(f), 6.1.4 (a), (b), 6.1.5 (g): certificate policies.
inline constexpr std::string_view kPolicyAnyPolicyMapping = "policy_mapping_any_policy";
inline constexpr std::string_view kExplicitPolicyRequired = "explicit_policy_required";
inline constexpr std::string_view kPolicyTreeTooLarge = "policy_tree_too_large";
// RFC 5280 6.1.3 (a)(3): revocation (the source's own id is in the detail).
inline constexpr std::string_view kRevoked = "revoked";
inline constexpr std::string_view kRevocationUnknown = "revocation_unknown";
// The caller's requirements on the target: identity (RFC 6125 6.4 / CA/B BR 7.1.2.7.12),
// RFC 5280 4.2.1.12 extended key usage, 4.2.1.3 key usage.
inline constexpr std::string_view kNameMismatch = "name_mismatch";
inline constexpr std::string_view kEkuMissing = "eku_missing";
inline constexpr std::string_view kKeyUsageMissing = "key_usage_missing";
// Certificate profile as a relying party sees it: RFC 5280 section 4 MUSTs, and the CA/Browser
// Forum Baseline Requirements under Rules::kWebPki.
inline constexpr std::string_view kProfileViolation = "rfc5280_profile_violation";
inline constexpr std::string_view kWebPkiProfile = "webpki_profile_violation";

// ---- CRLs: RFC 5280 6.3.3 (check_crl_for, crl_check.h; CrlRevocationSource, revocation.h) ---
inline constexpr std::string_view kCrlGood = "crl_good";
inline constexpr std::string_view kCrlRevoked = "crl_revoked";
inline constexpr std::string_view kCrlDpReasonsUnsupported = "crl_dp_reasons_unsupported";
inline constexpr std::string_view kCrlIndirectUnsupported = "crl_indirect_unsupported";
// RFC 5280 6.3.3 (b)(1): the DP names a cRLIssuer, but the CRL lacks IDP indirectCRL.
inline constexpr std::string_view kCrlNotIndirect = "crl_not_indirect";
// RFC 5280 5.3.3: a certificateIssuer entry extension that does not parse, or one in a CRL
// that is not indirect (the CRL is not used).
inline constexpr std::string_view kCrlCertificateIssuerInvalid = "crl_certificate_issuer_invalid";
inline constexpr std::string_view kCrlSignatureAlgorithmMismatch =
    "crl_signature_algorithm_mismatch";
inline constexpr std::string_view kCrlSignatureAlgorithmUnsupported =
    "crl_signature_algorithm_unsupported";
inline constexpr std::string_view kCrlNotYetValid = "crl_not_yet_valid";  // thisUpdate > at
inline constexpr std::string_view kCrlExpired = "crl_expired";            // nextUpdate <= at
inline constexpr std::string_view kCrlTooOld = "crl_too_old";             // max_age exceeded
inline constexpr std::string_view kCrlWrongIssuer = "crl_wrong_issuer";
inline constexpr std::string_view kCrlDeltaUnsupported = "crl_delta_unsupported";
inline constexpr std::string_view kCrlIdpMalformed = "crl_idp_malformed";
inline constexpr std::string_view kCrlIdpNameMismatch = "crl_idp_name_mismatch";
inline constexpr std::string_view kCrlIdpScopeMismatch = "crl_idp_scope_mismatch";
inline constexpr std::string_view kCrlIdpReasonsUnsupported = "crl_idp_reasons_unsupported";
inline constexpr std::string_view kCrlUnknownCriticalExtension = "crl_unknown_critical_extension";
inline constexpr std::string_view kCrlUnknownCriticalEntryExtension =
    "crl_unknown_critical_entry_extension";
inline constexpr std::string_view kCrlIssuerNoCrlSign = "crl_issuer_no_crl_sign";
inline constexpr std::string_view kCrlIssuerNotFound = "crl_issuer_not_found";
// RFC 5280 6.3.3 (f): the CRL signer's certificate is not the path's issuer and has no valid
// path of its own to the same trust anchors (revocation included).
inline constexpr std::string_view kCrlIssuerPathInvalid = "crl_issuer_path_invalid";
inline constexpr std::string_view kCrlSignatureInvalid = "crl_signature_invalid";

// ---- OCSP answers: RFC 6960 4.2.2 (OcspRevocationSource, ocsp_source.h) ---------------------
inline constexpr std::string_view kOcspGood = "ocsp_good";
inline constexpr std::string_view kOcspRevoked = "ocsp_revoked";
inline constexpr std::string_view kOcspCertUnknown = "ocsp_cert_unknown";   // responder: unknown
inline constexpr std::string_view kOcspNoResponse = "ocsp_no_response";     // no CertID match
inline constexpr std::string_view kOcspNotYetValid = "ocsp_not_yet_valid";  // thisUpdate > at
inline constexpr std::string_view kOcspExpired = "ocsp_expired";            // nextUpdate < at
inline constexpr std::string_view kOcspTooOld = "ocsp_too_old";             // max_age exceeded
inline constexpr std::string_view kOcspBadProducedAt = "ocsp_bad_produced_at";
inline constexpr std::string_view kOcspResponderNotAuthorised = "ocsp_responder_not_authorised";
// A delegate that would be authorised by RFC 6960 4.2.2.2 alone, but that its issuer did not
// designate (OcspSourceOptions::designation), or whose designation could not be read.
inline constexpr std::string_view kOcspResponderNotDesignated = "ocsp_responder_not_designated";
// A delegate whose certificate names the issuer but was not signed by the issuer's key
// (RFC 6960 4.2.2.2), or that was refused because its own path or revocation status did not
// validate (4.2.2.2.1, a delegate without id-pkix-ocsp-nocheck).
inline constexpr std::string_view kOcspDelegateSameKey = "ocsp_delegate_same_key";
inline constexpr std::string_view kOcspResponderRevocation = "ocsp_responder_revocation";
inline constexpr std::string_view kOcspSignatureInvalid = "ocsp_signature_invalid";
inline constexpr std::string_view kOcspUnhandledCriticalExtension =
    "ocsp_unhandled_critical_extension";

// ---- Lint rules for certificates (lint_certificate, lint.h; lint.cpp) -----------------------
// The table with severities and what each checks is docs/conformance.md "Lint rules"; a test
// (tests/unit/x509/lint_test.cpp EveryRuleIsDocumentedAndTested) reads this namespace and
// requires each id there and in a negative test.
namespace lint {
// RFC 5280 4.1: basic fields.
inline constexpr std::string_view kSerialNotPositive = "e_serial_not_positive";  // 4.1.2.2
inline constexpr std::string_view kSerialTooLong = "e_serial_too_long";          // 4.1.2.2
inline constexpr std::string_view kNotV3 = "e_not_v3";                           // 4.1.2.1
inline constexpr std::string_view kSignatureAlgorithmMismatch =
    "e_signature_algorithm_mismatch";  // 4.1.1.2
inline constexpr std::string_view kValidityNotBeforeAfterNotAfter =
    "e_validity_not_before_after_not_after";                                 // 4.1.2.5
inline constexpr std::string_view kTimeEncoding = "e_time_encoding";         // 4.1.2.5
inline constexpr std::string_view kIssuerEmpty = "e_issuer_empty";           // 4.1.2.4
inline constexpr std::string_view kUniqueIdPresent = "e_unique_id_present";  // 4.1.2.8
inline constexpr std::string_view kCaSubjectEmpty = "e_ca_subject_empty";    // 4.1.2.6
inline constexpr std::string_view kEmailInSubjectWithoutSan =
    "e_email_in_subject_without_san";  // 4.1.2.6
// hpki algorithms (crypto/algorithm.h): only what hpki signs and verifies.
inline constexpr std::string_view kSignatureAlgorithmUnsupported =
    "e_signature_algorithm_unsupported";
// Subject attribute values: RFC 5280 Appendix A.1 upper bounds; RFC 4518 2.4 / UAX #9
// prohibited characters.
inline constexpr std::string_view kSubjectAttributeTooLong = "e_subject_attribute_too_long";
inline constexpr std::string_view kIssuerAttributeTooLong = "e_issuer_attribute_too_long";
inline constexpr std::string_view kNameProhibitedCharacter = "e_name_prohibited_character";
// RFC 5280 4.2: extensions in general.
inline constexpr std::string_view kDuplicateExtension = "e_duplicate_extension";
// RFC 5280 4.2.1.9: basicConstraints.
inline constexpr std::string_view kBasicConstraintsMalformed = "e_basic_constraints_malformed";
inline constexpr std::string_view kBasicConstraintsNotCritical = "e_basic_constraints_not_critical";
inline constexpr std::string_view kCaBasicConstraintsMissing = "e_ca_basic_constraints_missing";
inline constexpr std::string_view kCaWithoutKeyCertSign = "e_ca_without_key_cert_sign";
inline constexpr std::string_view kPathLenWithoutCa = "e_path_len_without_ca";
// RFC 5280 4.2.1.3: keyUsage.
inline constexpr std::string_view kKeyUsageMalformed = "e_key_usage_malformed";
inline constexpr std::string_view kKeyUsageNotCritical = "e_key_usage_not_critical";
inline constexpr std::string_view kKeyUsageEmpty = "e_key_usage_empty";
inline constexpr std::string_view kKeyUsageEncipherOnlyWithoutKeyAgreement =
    "e_key_usage_encipher_only_without_key_agreement";
inline constexpr std::string_view kCaKeyUsageMissing = "e_ca_key_usage_missing";
inline constexpr std::string_view kKeyCertSignWithoutCa = "e_key_cert_sign_without_ca";
// RFC 5280 4.2.1.2: subjectKeyIdentifier.
inline constexpr std::string_view kSkiMalformed = "e_ski_malformed";
inline constexpr std::string_view kSkiCritical = "e_ski_critical";
inline constexpr std::string_view kSkiMissing = "e_ski_missing";
// RFC 5280 4.2.1.1: authorityKeyIdentifier.
inline constexpr std::string_view kAkiMalformed = "e_aki_malformed";
inline constexpr std::string_view kAkiCritical = "e_aki_critical";
inline constexpr std::string_view kAkiNoKeyId = "e_aki_no_key_id";
inline constexpr std::string_view kAkiMissing = "e_aki_missing";
// RFC 5280 4.2.1.6: subjectAltName.
inline constexpr std::string_view kSanMalformed = "e_san_malformed";
inline constexpr std::string_view kSanNotCriticalEmptySubject = "e_san_not_critical_empty_subject";
inline constexpr std::string_view kSanCriticalWithSubject = "w_san_critical_with_subject";
inline constexpr std::string_view kSubjectEmptyWithoutSan = "e_subject_empty_without_san";
// RFC 5280 4.2.1.6: no empty name, iPAddress of 4 or 16 octets (also the validator).
inline constexpr std::string_view kSanEmptyName = "e_san_empty_name";
inline constexpr std::string_view kSanIpLength = "e_san_ip_length";
// RFC 5280 4.2.1.10: nameConstraints (syntax also the validator).
inline constexpr std::string_view kNameConstraintsNotCa = "e_name_constraints_not_ca";
inline constexpr std::string_view kNameConstraintsNotCritical = "e_name_constraints_not_critical";
inline constexpr std::string_view kNameConstraintsMalformed = "e_name_constraints_malformed";
// RFC 5280 4.2.2.1: authorityInfoAccess syntax (also the validator).
inline constexpr std::string_view kAiaMalformed = "e_aia_malformed";
// RFC 5280 4.2.1.12: extKeyUsage.
inline constexpr std::string_view kEkuMalformed = "e_eku_malformed";
// RFC 3161 2.3: TSA certificates.
inline constexpr std::string_view kTsaEku = "e_tsa_eku";
// RFC 6960 4.2.2.2.1: OCSP responder certificates.
inline constexpr std::string_view kOcspNocheckWithoutOcspSigning =
    "w_ocsp_nocheck_without_ocsp_signing";
// Issuer rules (issuing CA known): RFC 5280 4.1.2.4 name chaining, 4.2.1.1 AKI = issuer's SKI.
inline constexpr std::string_view kIssuerNameMismatch = "e_issuer_name_mismatch";
inline constexpr std::string_view kAkiSkiMismatch = "e_aki_ski_mismatch";
// CA/Browser Forum Baseline Requirements (SSL server certificates).
inline constexpr std::string_view kCabfSanMissing = "e_cabf_san_missing";             // 7.1.2.7.12
inline constexpr std::string_view kCabfInternalName = "e_cabf_internal_name";         // 7.1.4.2.1
inline constexpr std::string_view kCabfBadWildcard = "e_cabf_bad_wildcard";           // 1.6.1
inline constexpr std::string_view kCabfReservedIp = "e_cabf_reserved_ip";             // 7.1.4.2.1
inline constexpr std::string_view kCabfValidityTooLong = "e_cabf_validity_too_long";  // 6.3.2
inline constexpr std::string_view kCabfRsaTooSmall = "e_cabf_rsa_too_small";          // 6.1.5
inline constexpr std::string_view kCabfCnNotInSan = "e_cabf_cn_not_in_san";           // 7.1.4.3
inline constexpr std::string_view kCabfCnMultiple = "e_cabf_cn_multiple";             // 7.1.4.3
inline constexpr std::string_view kCabfMultiValuedRdn = "e_cabf_multi_valued_rdn";    // 7.1.4.1
inline constexpr std::string_view kCabfEkuForbidden = "e_cabf_eku_forbidden";         // 7.1.2.7.10
inline constexpr std::string_view kCabfEeKeyUsage = "e_cabf_ee_key_usage";            // 7.1.2.7.11
inline constexpr std::string_view kCabfSanType = "e_cabf_san_type";                   // 7.1.2.7.12
inline constexpr std::string_view kCabfReverseZone = "e_cabf_reverse_zone";           // 7.1.2.7.12
inline constexpr std::string_view kCabfAttributeEncoding = "e_cabf_attribute_encoding";  // 7.1.4.2
// Also webpki validation (path_profile.cpp).
inline constexpr std::string_view kCabfWildcardPublicSuffix =
    "e_cabf_wildcard_public_suffix";  // 3.2.2.6
inline constexpr std::string_view kCabfRsaNotMultipleOf8 = "e_cabf_rsa_not_multiple_of_8";  // 6.1.5
inline constexpr std::string_view kCabfEcCurve = "e_cabf_ec_curve";                         // 6.1.5
// hpki profile rules (profile known; source "hpki profile <name>").
inline constexpr std::string_view kProfileKeyAlgorithm = "e_profile_key_algorithm";
inline constexpr std::string_view kProfileKind = "e_profile_kind";
inline constexpr std::string_view kProfileKeyUsage = "e_profile_key_usage";
inline constexpr std::string_view kProfileValidity = "e_profile_validity";
inline constexpr std::string_view kProfileEku = "e_profile_eku";
inline constexpr std::string_view kProfileIdentifierMissing = "e_profile_identifier_missing";
inline constexpr std::string_view kProfileSubjectAttribute = "e_profile_subject_attribute";
// GB/T 25056 / GM/T 0015 dual certificates (profile known).
inline constexpr std::string_view kProfileSignAndEncrypt = "e_profile_sign_and_encrypt";
}  // namespace lint

// ---- Certificate rules only path validation applies (check_profile, path_profile.cpp) ------
// Trust anchors, and the web PKI (Rules::kWebPki) beyond what lint checks for ssl-server
// certificates. Listed with the others in the rule inventory (rules.h, docs/rules.md).
namespace path_rule {
// RFC 5280 4.1.2.2: a serial number is not zero (negative ones are tolerated, PKITS 4.4.14).
inline constexpr std::string_view kSerialZero = "e_serial_zero";
// RFC 5480 2.1.1: EC subject keys name their curve.
inline constexpr std::string_view kEcKeyWithoutNamedCurve = "e_ec_key_without_named_curve";
// RFC 5280 4.2.1.6: dNSName in the preferred name syntax (RFC 1034 3.5, RFC 1123 2.1; a
// leftmost "*" label allowed); rfc822Name a Mailbox (RFC 5321 4.1.2: local-part@domain).
// (iPAddress length and empty names: diag::lint, lint and validator.)
inline constexpr std::string_view kSanDnsSyntax = "e_san_dns_syntax";
inline constexpr std::string_view kSanRfc822Syntax = "e_san_rfc822_syntax";
// RFC 5280 4.2.2.1 / 4.2.2.2: information access, SIZE (1..MAX), never critical (AIA syntax:
// diag::lint kAiaMalformed, lint and validator).
inline constexpr std::string_view kAiaCritical = "e_aia_critical";
inline constexpr std::string_view kSiaMalformed = "e_sia_malformed";
inline constexpr std::string_view kSiaCritical = "e_sia_critical";
// RFC 5280 4.2.1.13: cRLDistributionPoints well-formed.
inline constexpr std::string_view kCrlDpMalformed = "e_crl_distribution_points_malformed";
// RFC 5280 4.2.1.10: constraint forms (dNSName without wildcard, one "@" in rfc822Name,
// iPAddress address + CIDR mask).
inline constexpr std::string_view kNameConstraintForm = "e_name_constraint_form";
// RFC 5280 4.2.1.9 / 6.1: a trust anchor given as a certificate is a CA certificate.
inline constexpr std::string_view kAnchorNotCa = "e_anchor_not_ca";
// CA/B Forum BR 7.1.1: X.509 v3.
inline constexpr std::string_view kCabfNotV3 = "e_cabf_not_v3";
// CA/B Forum BR 7.1.2.1.2, 7.1.2.1.3: root certificates.
inline constexpr std::string_view kCabfRootEku = "e_cabf_root_eku";
inline constexpr std::string_view kCabfRootAki = "e_cabf_root_aki";
inline constexpr std::string_view kCabfRootAkiNotSki = "e_cabf_root_aki_not_ski";
// CA/B Forum BR 6.1.5, 6.1.6, 7.1.3.1 with the Chrome and Mozilla root policies: keys (RSA
// modulus multiple of 8 and EC curves: diag::lint, lint and webpki validation).
inline constexpr std::string_view kCabfRsaExponent = "e_cabf_rsa_exponent";
inline constexpr std::string_view kCabfSpkiRsaEncoding = "e_cabf_spki_rsa_encoding";
inline constexpr std::string_view kCabfKeyAlgorithm = "e_cabf_key_algorithm";
// CA/B Forum BR 7.1.3.2: signature algorithms and their encodings; ECDSA hash per curve.
inline constexpr std::string_view kCabfSignatureAlgorithmEncoding =
    "e_cabf_signature_algorithm_encoding";
inline constexpr std::string_view kCabfEcdsaHashPairing = "e_cabf_ecdsa_hash_pairing";
// CA/B Forum BR 7.1.3.2.1 / Mozilla RSP 5.1.3: no SHA-1 signatures (refused under every rule set).
inline constexpr std::string_view kCabfNoSha1 = "e_cabf_no_sha1";
// CA/B Forum BR 7.1.2.10.4: a subordinate CA's basicConstraints is critical (webpki).
inline constexpr std::string_view kCabfCaBasicConstraints = "e_cabf_root_basic_constraints";
// CA/B Forum BR 7.1.2.9: a precertificate (critical poison extension) is never a certificate.
inline constexpr std::string_view kCabfPrecertPoison = "e_cabf_precert_poison";
// RFC 5280 4.2.1.7 / 4.2.1.8: issuerAltName and subjectDirectoryAttributes are non-critical
// (hpki does not process them, so a critical one is also an unknown critical extension).
inline constexpr std::string_view kIanCritical = "e_ian_critical";
inline constexpr std::string_view kSdaCritical = "e_sda_critical";
// RFC 5280 4.2.1.10: minimum zero and no maximum in a GeneralSubtree (nameConstraints syntax:
// diag::lint kNameConstraintsMalformed).
inline constexpr std::string_view kNameConstraintsMinMax = "e_name_constraints_min_max";
// RFC 5280 4.2.1.10: rfc822Name constraints on the subject's emailAddress; directoryName
// constraints on the subject.
inline constexpr std::string_view kNcEmailInSubject = "nc_email_in_subject";
inline constexpr std::string_view kNcDirectoryName = "nc_directory_name";
// RFC 5280 4.2.1.4, 4.2.1.5, 4.2.1.11, 4.2.1.14: the policy extensions parse.
inline constexpr std::string_view kCertificatePoliciesMalformed =
    "e_certificate_policies_malformed";
inline constexpr std::string_view kPolicyMappingsMalformed = "e_policy_mappings_malformed";
inline constexpr std::string_view kPolicyConstraintsEmpty = "e_policy_constraints_empty";
inline constexpr std::string_view kInhibitAnyPolicyMalformed = "e_inhibit_any_policy_malformed";
// RFC 5280 7.2 / 7.3 / 7.5: IDNs are A-labels (IA5String, ASCII) in dNSName, rfc822Name, URI.
inline constexpr std::string_view kIdnALabel = "e_idn_a_label";
// CA/B Forum BR 7.1.2.7: subscriber certificates (public-suffix wildcards: diag::lint).
inline constexpr std::string_view kCabfEeCa = "e_cabf_ee_ca";                // 7.1.2.7.8
inline constexpr std::string_view kCabfEkuRequired = "e_cabf_eku_required";  // 7.1.2.7.10
}  // namespace path_rule

// ---- Lint rules for CRLs: RFC 5280 section 5 (lint_crl, lint.h; crl_lint.cpp) ---------------
namespace crl_lint {
inline constexpr std::string_view kNotV2 = "e_crl_not_v2";  // 5.1.2.1
inline constexpr std::string_view kSignatureAlgorithmMismatch =
    "e_crl_signature_algorithm_mismatch";                                            // 5.1.1.2
inline constexpr std::string_view kIssuerEmpty = "e_crl_issuer_empty";               // 5.1.2.3
inline constexpr std::string_view kNextUpdateMissing = "e_crl_next_update_missing";  // 5.1.2.5
inline constexpr std::string_view kNextUpdateBeforeThisUpdate =
    "e_crl_next_update_before_this_update";                                           // 5.1.2.5
inline constexpr std::string_view kNumberMissing = "e_crl_number_missing";            // 5.2.3
inline constexpr std::string_view kNumberTooLong = "e_crl_number_too_long";           // 5.2.3
inline constexpr std::string_view kAkiMissing = "e_crl_aki_missing";                  // 5.2.1
inline constexpr std::string_view kDuplicateExtension = "e_crl_duplicate_extension";  // 5.2
inline constexpr std::string_view kDeltaNotCritical = "e_crl_delta_not_critical";     // 5.2.4
inline constexpr std::string_view kIdpNotCritical = "e_crl_idp_not_critical";         // 5.2.5
inline constexpr std::string_view kEntrySerialNotPositive =
    "e_crl_entry_serial_not_positive";                                              // 4.1.2.2
inline constexpr std::string_view kEntryDuplicate = "e_crl_entry_duplicate";        // 5.1.2.6
inline constexpr std::string_view kReasonUnspecified = "w_crl_reason_unspecified";  // 5.3.1
inline constexpr std::string_view kRemoveFromCrlInFullCrl =
    "e_crl_remove_from_crl_in_full_crl";  // 5.3.1
}  // namespace crl_lint

}  // namespace hpki::x509::diag

// ---- CMS SignedData verification: RFC 5652 5.4-5.6, RFC 5035 (cms::verify_signed_data) -------
// The start of a kBadSignature detail.
namespace hpki::x509::cms::diag {
inline constexpr std::string_view kSignerNotFound = "cms.signer_not_found";
inline constexpr std::string_view kContentMissing = "cms.content_missing";
inline constexpr std::string_view kContentTypeMismatch = "cms.content_type_mismatch";
inline constexpr std::string_view kMessageDigestMissing = "cms.message_digest_missing";
inline constexpr std::string_view kMessageDigestMismatch = "cms.message_digest_mismatch";
inline constexpr std::string_view kSignatureInvalid = "cms.signature_invalid";
inline constexpr std::string_view kEssCertMismatch = "cms.ess_cert_mismatch";
inline constexpr std::string_view kEssCertMissing = "cms.ess_cert_missing";
inline constexpr std::string_view kUnsupportedAlgorithm = "cms.unsupported_algorithm";
}  // namespace hpki::x509::cms::diag

// ---- Time-stamp token verification: RFC 3161 2.4.2 and 2.3, RFC 5816 (tsp::verify_token) ------
// The start of a kBadSignature detail; CMS failures keep the cms.* ids.
namespace hpki::x509::tsp::diag {
inline constexpr std::string_view kNotGranted = "tsp.not_granted";
inline constexpr std::string_view kNotTstInfo = "tsp.not_tst_info";
inline constexpr std::string_view kImprintMismatch = "tsp.imprint_mismatch";
inline constexpr std::string_view kNonceMismatch = "tsp.nonce_mismatch";
inline constexpr std::string_view kTsaCertificate = "tsp.tsa_certificate";
inline constexpr std::string_view kTsaNameMismatch = "tsp.tsa_name_mismatch";
inline constexpr std::string_view kChain = "tsp.chain";
// The TSA certificate's issuer is known to TokenVerifyOptions::designation and did not designate
// it as a TSA (or its designation could not be read).
inline constexpr std::string_view kTsaNotDesignated = "tsp.tsa_not_designated";
}  // namespace hpki::x509::tsp::diag
