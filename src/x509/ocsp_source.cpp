#include "x509/ocsp_source.h"

#include <algorithm>
#include <string>

#include "core/clock.h"
#include "der/oids.h"

namespace hpki::x509 {
namespace {

// How telling a failure is: a response for the certificate that could not be used says more
// than a response about other certificates.
int rank(OcspValidity v) {
  switch (v) {
    case OcspValidity::kValid:
      return 9;
    case OcspValidity::kNoMatchingResponse:
      return 0;
    case OcspValidity::kUntrustedResponder:
      return 1;
    case OcspValidity::kBadSignature:
      return 2;
    case OcspValidity::kUnhandledCriticalExtension:
      return 3;
    case OcspValidity::kBadProducedAt:
      return 4;
    case OcspValidity::kTooOld:
      return 5;
    case OcspValidity::kNotYetValid:
      return 6;
    case OcspValidity::kExpired:
      return 7;
  }
  return 0;
}

std::string failure_detail(OcspValidity v) {
  switch (v) {
    case OcspValidity::kValid:
      return "usable";
    case OcspValidity::kNoMatchingResponse:
      return "no OCSP response for this certificate (CertID of serial and issuer)";
    case OcspValidity::kUntrustedResponder:
      return "the OCSP responder is not authorised (neither the issuer nor a valid delegate "
             "with id-kp-OCSPSigning issued by it)";
    case OcspValidity::kBadSignature:
      return "the OCSP response signature does not verify";
    case OcspValidity::kUnhandledCriticalExtension:
      return "the OCSP response has an unhandled critical extension";
    case OcspValidity::kBadProducedAt:
      return "producedAt lies outside the certificate's validity";
    case OcspValidity::kTooOld:
      return "thisUpdate is older than the maximum age at the validation time";
    case OcspValidity::kNotYetValid:
      return "thisUpdate is after the validation time";
    case OcspValidity::kExpired:
      return "nextUpdate is before the validation time";
  }
  return "unusable";
}

bool has_nocheck(const Certificate& c) {
  return c.find_extension(der::oids::kOcspNoCheck) != nullptr;
}

// RFC 6960 4.2.2.2: a certificate of the response that names the responder and the issuer as
// its issuer but whose signature the issuer's key does not verify (not the same key that
// signed the certificate in question).
std::optional<std::string> wrong_key_delegate(const BasicOcspResponse& resp,
                                              const RevocationQuery& q) {
  for (const auto& c : resp.certs()) {
    if (!resp.responder_is(*c) || !(c->issuer() == q.issuer.subject())) continue;
    if (verify_certificate_signature(*c, q.issuer.spki_der(), q.sm2_id)) continue;
    return "the OCSP responder certificate " + to_string(c->subject()) + " (serial " +
           c->serial_number().hex() + ") names " + to_string(q.issuer.subject()) +
           " as its issuer but was not signed by that issuer's key";
  }
  return std::nullopt;
}

}  // namespace

std::string_view ocsp_validity_diag(OcspValidity v) {
  switch (v) {
    case OcspValidity::kValid:
      return diag::kOcspGood;
    case OcspValidity::kNoMatchingResponse:
      return diag::kOcspNoResponse;
    case OcspValidity::kUnhandledCriticalExtension:
      return diag::kOcspUnhandledCriticalExtension;
    case OcspValidity::kNotYetValid:
      return diag::kOcspNotYetValid;
    case OcspValidity::kExpired:
      return diag::kOcspExpired;
    case OcspValidity::kTooOld:
      return diag::kOcspTooOld;
    case OcspValidity::kBadProducedAt:
      return diag::kOcspBadProducedAt;
    case OcspValidity::kUntrustedResponder:
      return diag::kOcspResponderNotAuthorised;
    case OcspValidity::kBadSignature:
      return diag::kOcspSignatureInvalid;
  }
  return diag::kOcspNoResponse;
}

RevocationAnswer OcspRevocationSource::check(const RevocationQuery& q) const {
  const TimePoint at = std::chrono::floor<std::chrono::seconds>(q.at);
  OcspCheckOptions o;
  o.now = at;
  o.max_age = options_.max_age;
  o.tolerance = options_.tolerance;
  o.trusted_responders = options_.trusted_responders;
  o.sm2_id = q.sm2_id;
  // Why the last delegate was refused for its designation, or for its own status (reset for
  // every response).
  std::optional<std::string> refused, own_status;
  // RFC 6960 4.2.2.2: a delegate is valid at the validation time; 4.2.2.2.1: without
  // id-pkix-ocsp-nocheck its own status must be checked (its path, revocation included).
  o.accept_delegate = [&q, at, &refused, &own_status,
                       designation = options_.designation](const CertificatePtr& d) {
    // RFC 6960 4.2.2.2 "local configuration" (issue 16): a delegate the issuer did not
    // designate is refused where the caller knows the issuer's designations.
    if (designation != nullptr) {
      auto des = designation->designation(TrustService::kOcspSigning, *d, q.issuer);
      if (!des) {
        refused = "the designated OCSP responders of " + to_string(q.issuer.subject()) +
                  " could not be read (" + des.error().to_string() + "): delegate " +
                  to_string(d->subject()) + " refused";
        return false;
      }
      if (*des == Designation::kNotDesignated) {
        refused = "the delegated OCSP responder " + to_string(d->subject()) + " (serial " +
                  d->serial_number().hex() + ") is not a designated responder of " +
                  to_string(q.issuer.subject());
        return false;
      }
    }
    if (at < d->validity().not_before || at > d->validity().not_after) return false;
    if (has_nocheck(*d)) return true;
    if (q.validate_other && q.validate_other(d)) return true;
    // RFC 6960 4.2.2.2.1: the delegate's own status (its path, revocation included) failed.
    own_status = "the delegated OCSP responder " + to_string(d->subject()) + " (serial " +
                 d->serial_number().hex() +
                 ") has no id-pkix-ocsp-nocheck and does not validate itself (its path or "
                 "revocation status)";
    return false;
  };

  std::optional<RevocationAnswer> good, unknown;
  OcspValidity worst = OcspValidity::kNoMatchingResponse;
  // Why an otherwise authorised delegate was refused: {diag, detail}.
  std::optional<std::pair<std::string_view, std::string>> refusal;
  for (const auto& resp : responses_) {
    if (!resp) continue;
    refused.reset();
    own_status.reset();
    const OcspCheckResult r = check_ocsp_response(*resp, q.subject, q.issuer, o);
    if (r.validity != OcspValidity::kValid) {
      if (r.validity == OcspValidity::kUntrustedResponder) {
        if (refused)
          refusal = {diag::kOcspResponderNotDesignated, *refused};
        else if (own_status)
          refusal = {diag::kOcspResponderRevocation, *own_status};
        else if (auto k = wrong_key_delegate(*resp, q))
          refusal = {diag::kOcspDelegateSameKey, *k};
      }
      if (rank(r.validity) > rank(worst)) worst = r.validity;
      continue;
    }
    const std::string by = r.signer ? " (responder " + to_string(r.signer->subject()) + ")" : "";
    switch (r.status) {
      case OcspCertStatus::kRevoked: {
        const TimePoint when = r.revocation_time.value_or(TimePoint{});
        std::string why = r.reason ? " (" + std::string(reason_name(*r.reason)) + ")" : "";
        if (when <= at)
          return {RevocationStatus::kRevoked, diag::kOcspRevoked,
                  "serial " + q.subject.serial_number().hex() + " revoked at " +
                      format_rfc3339(when) + why + " per OCSP" + by};
        if (!good)
          good = RevocationAnswer{RevocationStatus::kGood, diag::kOcspGood,
                                  "revoked only at " + format_rfc3339(when) + why +
                                      ", after the validation time, per OCSP" + by};
        break;
      }
      case OcspCertStatus::kGood:
        good = RevocationAnswer{RevocationStatus::kGood, diag::kOcspGood, "good per OCSP" + by};
        break;
      case OcspCertStatus::kUnknown:
        if (!unknown)
          unknown = RevocationAnswer{RevocationStatus::kUnknown, diag::kOcspCertUnknown,
                                     "the OCSP responder does not know the certificate" + by};
        break;
    }
  }
  if (good) return *good;
  if (unknown) return *unknown;
  // A refused undesignated delegate says more than "no authorised responder", less than a
  // response from an authorised one that could not be used.
  if (refusal && rank(worst) <= rank(OcspValidity::kUntrustedResponder))
    return {RevocationStatus::kUnknown, refusal->first, refusal->second};
  return {RevocationStatus::kUnknown, ocsp_validity_diag(worst), failure_detail(worst)};
}

}  // namespace hpki::x509
