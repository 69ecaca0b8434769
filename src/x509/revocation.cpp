#include "x509/revocation.h"

#include "crypto/key.h"
#include "der/oids.h"

namespace hpki::x509 {
namespace {

bool signer_problem(std::string_view id) {
  return id == diag::kCrlSignatureInvalid || id == diag::kCrlIssuerNotFound ||
         id == diag::kCrlIssuerNoCrlSign;
}

}  // namespace

RevocationAnswer CrlRevocationSource::check(const RevocationQuery& q) const {
  const Certificate& subject = q.subject;
  std::vector<DistributionPoint> dps;
  if (const Extension* e = subject.find_extension(der::oids::kCrlDistributionPoints)) {
    auto v = parse_crl_distribution_points(e->value);
    if (!v)
      return {RevocationStatus::kUnknown, diag::kCrlIdpMalformed,
              "cRLDistributionPoints: " + v.error().detail()};
    dps = std::move(*v);
  }
  std::vector<const DistributionPoint*> scopes;
  for (const auto& dp : dps) scopes.push_back(&dp);
  if (scopes.empty()) scopes.push_back(nullptr);

  CrlCheckOptions options{
      .at = q.at,
      .sm2_id = q.sm2_id,
      // RFC 5280 6.3.3 (g) with the caller's key policy (e.g. legacy RSA sizes).
      .verify_signature = [&q](const Crl& crl, const Certificate& issuer) -> Result<void> {
        if (crl.signature_algorithm().der != crl.tbs_signature_algorithm().der)
          return fail(ErrorCode::kBadCrl, "signatureAlgorithm differs from tbsCertList.signature");
        auto alg = HPKI_TRY(signature_alg_from(crl.signature_algorithm()));
        return crypto::verify_signature(issuer.spki_der(), alg, crl.tbs_der(), crl.signature(),
                                        q.sm2_id, q.key_policy);
      }};

  RevocationAnswer answer{RevocationStatus::kUnknown, diag::kCrlIssuerNotFound,
                          "no CRL from the certificate's issuer " + to_string(subject.issuer())};
  bool good = false;
  std::optional<std::vector<const Certificate*>> other_signers;  // computed on demand
  for (const auto& crl : crls_) {
    // RFC 5280 6.3.3 (b)(1): direct CRLs only (the CRL issuer is the certificate issuer).
    if (!names_match(crl->issuer(), subject.issuer()) || crl->is_delta()) continue;
    for (const DistributionPoint* dp : scopes) {
      options.distribution_point = dp;
      const Certificate* path_issuer[] = {&q.issuer};
      CrlCheckResult r = check_crl_for(*crl, path_issuer, subject, options);
      if (signer_problem(r.diag) && q.validate_other) {
        // RFC 5280 6.3.3 (f): another certificate with the issuer's name whose own path is
        // valid may hold the CRL signing key.
        if (!other_signers) {
          other_signers.emplace();
          for (const auto& c : certificates_) {
            if (c->der() == q.issuer.der() || !names_match(c->subject(), crl->issuer())) continue;
            if (q.validate_other(c)) other_signers->push_back(c.get());
          }
        }
        if (!other_signers->empty()) {
          CrlCheckResult r2 = check_crl_for(*crl, *other_signers, subject, options);
          if (r2.status != CrlStatus::kUnknown || !signer_problem(r2.diag)) r = std::move(r2);
        }
      }
      if (r.status == CrlStatus::kRevoked)
        return {RevocationStatus::kRevoked, r.diag, std::move(r.detail)};
      if (r.status == CrlStatus::kGood) {
        good = true;
      } else if (!good) {
        answer = {RevocationStatus::kUnknown, r.diag, std::move(r.detail)};
      }
    }
  }
  if (good) return {RevocationStatus::kGood, diag::kCrlGood, "not revoked"};
  return answer;
}

}  // namespace hpki::x509
