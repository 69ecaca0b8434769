#include "x509/crl_check.h"

#include "der/oids.h"
#include "x509/profile.h"

namespace hpki::x509 {
namespace {

CrlCheckResult unknown(std::string_view id, std::string detail) {
  return CrlCheckResult{CrlStatus::kUnknown, id, std::move(detail), std::nullopt, nullptr};
}

// RFC 5280 5.2: the CRL extensions this code processes (or that are non-critical by
// definition and need no processing to use the CRL).
bool is_known_crl_extension(const der::Oid& oid) {
  return oid == der::oids::kAuthorityKeyIdentifier || oid == der::oids::kCrlNumber ||
         oid == der::oids::kDeltaCrlIndicator || oid == der::oids::kIssuingDistributionPoint ||
         oid == der::oids::kFreshestCrl;
}

bool is_ca(const Certificate& c) {
  const auto* e = c.find_extension(der::oids::kBasicConstraints);
  if (e == nullptr) return false;
  auto bc = parse_basic_constraints(e->value);
  return bc && bc->ca;
}

bool any_name_matches(const std::vector<GeneralName>& a, const std::vector<GeneralName>& b) {
  for (const auto& x : a) {
    for (const auto& y : b) {
      if (x.raw == y.raw) return true;
    }
  }
  return false;
}

}  // namespace

std::string_view crl_status_name(CrlStatus s) {
  switch (s) {
    case CrlStatus::kGood:
      return "good";
    case CrlStatus::kRevoked:
      return "revoked";
    case CrlStatus::kUnknown:
      break;
  }
  return "unknown";
}

CrlCheckResult check_crl_for(const Crl& crl, const Certificate& issuer, const Certificate& subject,
                             const CrlCheckOptions& options) {
  const Certificate* one[] = {&issuer};
  return check_crl_for(crl, one, subject, options);
}

CrlCheckResult check_crl_for(const Crl& crl, std::span<const Certificate* const> issuers,
                             const Certificate& subject, const CrlCheckOptions& options) {
  // RFC 5280 6.3.3: reason subsets and indirect CRLs (cRLIssuer in the DP) are not supported;
  // a CRL covering all reasons must then exist for the other distribution points.
  if (const DistributionPoint* dp = options.distribution_point) {
    if (dp->reasons)
      return unknown(diag::kCrlDpReasonsUnsupported,
                     "the distribution point covers a subset of reasons");
    if (!dp->crl_issuer.empty())
      return unknown(diag::kCrlIndirectUnsupported,
                     "the distribution point names a cRLIssuer (indirect CRL)");
  }

  // RFC 5280 5.1.1.2: signatureAlgorithm MUST equal tbsCertList.signature.
  if (crl.signature_algorithm().der != crl.tbs_signature_algorithm().der)
    return unknown(diag::kCrlSignatureAlgorithmMismatch,
                   "signatureAlgorithm differs from tbsCertList.signature");
  if (auto alg = signature_alg_from(crl.signature_algorithm()); !alg)
    return unknown(diag::kCrlSignatureAlgorithmUnsupported, alg.error().detail());

  // RFC 5280 6.3.3 (a)(1): the CRL must be current.
  if (crl.this_update() > options.at)
    return unknown(diag::kCrlNotYetValid, "thisUpdate is after the validation time");
  if (crl.next_update() && *crl.next_update() <= options.at)
    return unknown(diag::kCrlExpired, "nextUpdate is not after the validation time");
  // Arithmetic on the validation time only: thisUpdate may be saturated (TimePoint::min()).
  if (options.max_age && crl.this_update() < options.at - *options.max_age)
    return unknown(diag::kCrlTooOld, "thisUpdate is older than the maximum CRL age");

  // RFC 5280 6.3.3 (b)(1): the CRL issuer matches the certificate issuer (RFC 5280 7.1
  // comparison, as NIST PKITS 4.14.35 needs).
  if (!names_match(crl.issuer(), subject.issuer()))
    return unknown(diag::kCrlWrongIssuer, "the CRL issuer is not the certificate's issuer");

  // RFC 5280 6.3.3 (a)(2): only complete CRLs are used here.
  if (crl.is_delta())
    return unknown(diag::kCrlDeltaUnsupported, "a delta CRL cannot be used as a complete CRL");

  // RFC 5280 6.3.3 (b)(2): issuingDistributionPoint scope.
  if (const Extension* e = crl.find_extension(der::oids::kIssuingDistributionPoint)) {
    auto idp = parse_issuing_distribution_point(e->value);
    if (!idp) return unknown(diag::kCrlIdpMalformed, idp.error().detail());
    if (idp->indirect_crl)
      return unknown(diag::kCrlIndirectUnsupported, "issuingDistributionPoint has indirectCRL");
    if (idp->only_some_reasons)
      return unknown(diag::kCrlIdpReasonsUnsupported,
                     "issuingDistributionPoint has onlySomeReasons (partial CRL)");
    if (idp->relative_name)  // RFC 5280 6.3.3 (b)(2)(i) with nameRelativeToCRLIssuer: see
                             // revocation.h, which handles it
      return unknown(diag::kCrlIdpNameMismatch,
                     "issuingDistributionPoint nameRelativeToCRLIssuer is not supported here");
    if (!idp->full_name.empty()) {
      // (b)(2)(i); RFC 5280 5.2.5: identical encodings in the certificate and the CRL.
      const DistributionPoint* dp = options.distribution_point;
      if (dp == nullptr || !any_name_matches(idp->full_name, dp->full_name))
        return unknown(diag::kCrlIdpNameMismatch,
                       "no issuingDistributionPoint name matches the certificate's "
                       "distribution point");
    }
    if (idp->only_contains_user_certs) {
      // (b)(2)(ii); RFC 5280 5.2.5: such a CRL's scope excludes v1 and v2 certificates.
      if (is_ca(subject) || subject.version() < 3)
        return unknown(diag::kCrlIdpScopeMismatch,
                       "onlyContainsUserCerts, but the certificate is a CA or not v3");
    }
    if (idp->only_contains_ca_certs && !is_ca(subject))  // (b)(2)(iii)
      return unknown(diag::kCrlIdpScopeMismatch,
                     "onlyContainsCACerts, but the certificate is not a CA");
    if (idp->only_contains_attribute_certs)  // (b)(2)(iv)
      return unknown(diag::kCrlIdpScopeMismatch, "onlyContainsAttributeCerts");
  }

  // RFC 5280 5.2: a CRL with an unrecognized critical extension MUST NOT be used.
  for (const auto& e : crl.extensions()) {
    // RFC 5280 5.2.3: cRLNumber MUST be non-critical; a CRL marking it critical is not
    // conforming and is not used.
    if (e.critical && e.oid == der::oids::kCrlNumber)
      return unknown(diag::kCrlUnknownCriticalExtension, "cRLNumber marked critical");
    if (e.critical && !is_known_crl_extension(e.oid))
      return unknown(diag::kCrlUnknownCriticalExtension,
                     "unknown critical CRL extension " + e.oid.to_string());
  }
  // RFC 5280 5.3: nor one with an unrecognized critical entry extension, for any certificate.
  // (reasonCode and invalidityDate are decoded by the parser; certificateIssuer belongs to
  // indirect CRLs, which are not supported.)
  for (const auto& entry : crl.revoked()) {
    for (const auto& e : entry.extensions) {
      if (e.critical)
        return unknown(diag::kCrlUnknownCriticalEntryExtension,
                       "unsupported critical CRL entry extension " + e.oid.to_string());
    }
  }

  // RFC 5280 6.3.3 (f), (g): a candidate issuer with a matching name, cRLSign if keyUsage is
  // present, whose key verifies the signature. When none qualifies, the diagnostic names the
  // most telling reason: a key that did sign but may not sign CRLs, then a bad signature.
  std::string_view why = diag::kCrlIssuerNotFound;
  std::string why_detail = "no candidate issuer certificate has the CRL issuer's name";
  const Certificate* signer = nullptr;
  for (const Certificate* cand : issuers) {
    if (cand == nullptr || !names_match(cand->subject(), crl.issuer())) continue;
    bool crl_sign = true;
    if (const Extension* ku = cand->find_extension(der::oids::kKeyUsage)) {
      auto bits = parse_key_usage(ku->value);
      crl_sign = bits && (*bits & x509::ku(KeyUsageBit::kCrlSign)) != 0;
    }
    auto ok = options.verify_signature ? options.verify_signature(crl, *cand)
                                       : crl.verify_signature(cand->spki_der(), options.sm2_id);
    if (ok && crl_sign) {
      signer = cand;
      break;
    }
    if (ok) {
      why = diag::kCrlIssuerNoCrlSign;
      why_detail = "the signing key's certificate has a keyUsage without cRLSign";
    } else if (why != diag::kCrlIssuerNoCrlSign) {
      why = diag::kCrlSignatureInvalid;
      why_detail = "CRL signature: " + ok.error().to_string();
    }
  }
  if (signer == nullptr) return unknown(why, std::move(why_detail));

  // RFC 5280 6.3.3 (l).
  if (const RevokedEntry* entry = crl.find(subject.serial())) {
    std::string detail = "serial " + subject.serial_number().hex() + " is revoked";
    if (entry->reason) detail += " (" + std::string(reason_name(*entry->reason)) + ")";
    return CrlCheckResult{CrlStatus::kRevoked, diag::kCrlRevoked, std::move(detail), *entry,
                          signer};
  }
  return CrlCheckResult{CrlStatus::kGood, diag::kCrlGood, "not revoked", std::nullopt, signer};
}

}  // namespace hpki::x509
