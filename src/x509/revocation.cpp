#include "x509/revocation.h"

#include <map>
#include <optional>
#include <string>

#include "crypto/key.h"
#include "der/oids.h"
#include "x509/crl_check.h"
#include "x509/profile.h"

namespace hpki::x509 {
namespace {

// Reason flags as a mask: bit n = ReasonFlags bit n (RFC 5280 4.2.1.13); bit 0 (unused) never
// set. All reasons = bits 1..8.
using ReasonMask = std::uint16_t;
inline constexpr ReasonMask kAllReasons = 0x1FE;

ReasonMask dp_reasons(const DistributionPoint& dp) {
  if (dp.reason_flags) return static_cast<ReasonMask>(*dp.reason_flags & kAllReasons);
  if (!dp.reasons) return kAllReasons;
  // Only the first octet known: bit n of the string is (octet >> (7 - n)) & 1.
  ReasonMask m = 0;
  for (unsigned n = 1; n < 8; ++n) {
    if (((*dp.reasons >> (7 - n)) & 1u) != 0) m = static_cast<ReasonMask>(m | (1u << n));
  }
  return m;
}

// RFC 5280 5.2: CRL extensions processed here; 5.3: entry extensions processed here.
bool known_crl_extension(const der::Oid& oid) {
  return oid == der::oids::kAuthorityKeyIdentifier || oid == der::oids::kCrlNumber ||
         oid == der::oids::kDeltaCrlIndicator || oid == der::oids::kIssuingDistributionPoint ||
         oid == der::oids::kFreshestCrl;
}
bool known_entry_extension(const der::Oid& oid) {
  return oid == der::oids::kCertificateIssuer;  // reasonCode and invalidityDate are decoded
}

// nameRelativeToCRLIssuer ([1] IMPLICIT RDN, raw) appended to `base`.
std::optional<Name> relative_to(const Name& base, const Bytes& rdn_element) {
  if (rdn_element.size() < 2) return std::nullopt;
  Bytes set = rdn_element;
  set[0] = 0x31;  // [1] constructed -> SET
  Bytes seq;
  seq.push_back(0x30);
  const std::size_t n = set.size();
  if (n < 128) {
    seq.push_back(static_cast<std::uint8_t>(n));
  } else if (n < 256) {
    seq.push_back(0x81);
    seq.push_back(static_cast<std::uint8_t>(n));
  } else {
    seq.push_back(0x82);
    seq.push_back(static_cast<std::uint8_t>(n >> 8));
    seq.push_back(static_cast<std::uint8_t>(n & 0xFF));
  }
  seq.insert(seq.end(), set.begin(), set.end());
  auto rdn = parse_name(seq);
  if (!rdn || rdn->rdns.size() != 1) return std::nullopt;
  Name out = base;
  out.der.clear();
  out.rdns.push_back(rdn->rdns.front());
  return out;
}

GeneralName directory_name(Name n) {
  GeneralName g;
  g.type = GeneralName::Type::kDirectory;
  g.directory = std::move(n);
  return g;
}

bool general_names_match(const GeneralName& a, const GeneralName& b) {
  if (a.type != b.type) return false;
  if (a.type == GeneralName::Type::kDirectory)
    return a.directory && b.directory && names_match(*a.directory, *b.directory);
  if (a.type == GeneralName::Type::kIp) return a.ip == b.ip;
  if (a.type == GeneralName::Type::kOther || a.type == GeneralName::Type::kX400 ||
      a.type == GeneralName::Type::kEdiParty)
    return a.raw == b.raw;
  return a.text == b.text;
}

bool any_match(const std::vector<GeneralName>& a, const std::vector<GeneralName>& b) {
  for (const auto& x : a) {
    for (const auto& y : b) {
      if (general_names_match(x, y)) return true;
    }
  }
  return false;
}

bool is_ca(const Certificate& c) {
  const Extension* e = c.find_extension(der::oids::kBasicConstraints);
  if (e == nullptr) return false;
  auto bc = parse_basic_constraints(e->value);
  return bc && bc->ca;
}

// Big-endian magnitude comparison of two CRL numbers.
int compare_numbers(const Bytes& a, const Bytes& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && a[i] == 0) ++i;
  while (j < b.size() && b[j] == 0) ++j;
  if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j ? -1 : 1;
  for (; i < a.size(); ++i, ++j) {
    if (a[i] != b[j]) return a[i] < b[j] ? -1 : 1;
  }
  return 0;
}

struct Failure {
  std::string_view diag = diag::kCrlIssuerNotFound;
  std::string detail;
};

class Checker {
 public:
  Checker(const RevocationQuery& q, const std::vector<CrlPtr>& crls,
          const std::vector<CertificatePtr>& certificates)
      : q_(q), crls_(crls), certificates_(certificates) {}

  RevocationAnswer run() {
    const Certificate& cert = q_.subject;
    std::vector<DistributionPoint> dps;
    if (const Extension* e = cert.find_extension(der::oids::kCrlDistributionPoints)) {
      auto v = parse_crl_distribution_points(e->value);
      if (!v)
        return {RevocationStatus::kUnknown, diag::kCrlIdpMalformed,
                "cRLDistributionPoints: " + v.error().detail()};
      dps = std::move(*v);
    }
    const bool implicit_dp = dps.empty();
    if (implicit_dp) {
      // RFC 5280 6.3.3: without the extension, a DP whose CRL issuer is the certificate issuer.
      DistributionPoint dp;
      dp.crl_issuer.push_back(directory_name(cert.issuer()));
      dps.push_back(std::move(dp));
    }
    failure_.detail = "no CRL from the certificate's issuer " + to_string(cert.issuer());
    ReasonMask reasons_mask = 0;
    for (const auto& dp : dps) {
      if (reasons_mask == kAllReasons) break;
      for (const auto& crl : crls_) {
        if (reasons_mask == kAllReasons) break;
        if (crl->is_delta()) {
          // RFC 5280 6.3.3 (a)(2): a delta CRL is used only with its complete CRL.
          if (names_match(crl->issuer(), cert.issuer()) &&
              (failure_.diag == diag::kCrlIssuerNotFound || failure_.diag == diag::kCrlWrongIssuer))
            fail_with(diag::kCrlDeltaUnsupported,
                      "a delta CRL of the issuer, usable only with its complete CRL");
          continue;
        }
        auto r = use_crl(*crl, dp, implicit_dp, reasons_mask);
        if (r) return *r;  // revoked
      }
    }
    if (reasons_mask == kAllReasons)
      return {RevocationStatus::kGood, diag::kCrlGood, "not revoked"};
    if (reasons_mask != 0)
      failure_ = {diag::kCrlDpReasonsUnsupported, "the CRLs used do not cover every reason"};
    return {RevocationStatus::kUnknown, failure_.diag, failure_.detail};
  }

 private:
  // Keeps the most telling failure: a CRL of another issuer says less than a CRL that was in
  // scope and could not be used.
  void fail_with(std::string_view id, std::string detail) {
    if (id == diag::kCrlWrongIssuer && failure_.diag != diag::kCrlIssuerNotFound &&
        failure_.diag != diag::kCrlWrongIssuer)
      return;
    failure_ = {id, std::move(detail)};
  }

  // Processes one complete CRL for one DP; returns a revoked answer, or nullopt (and updates
  // `reasons_mask` when the CRL was usable).
  std::optional<RevocationAnswer> use_crl(const Crl& crl, const DistributionPoint& dp,
                                          bool implicit_dp, ReasonMask& reasons_mask) {
    const Certificate& cert = q_.subject;
    std::optional<IssuingDistributionPoint> idp;
    if (const Extension* e = crl.find_extension(der::oids::kIssuingDistributionPoint)) {
      auto v = parse_issuing_distribution_point(e->value);
      if (!v) return fail_with(diag::kCrlIdpMalformed, v.error().detail()), std::nullopt;
      idp = std::move(*v);
    }
    // RFC 5280 6.3.3 (b)(1): with a cRLIssuer in the DP (RFC 5280 4.2.1.13), the CRL issuer is
    // one of its names and the CRL is indirect (5.2.5 indirectCRL); a CRL of the certificate
    // issuer itself (a DP naming the issuer as cRLIssuer, which 4.2.1.13 tells CAs to omit) is
    // accepted as a direct CRL. Without a cRLIssuer: the CRL issuer is the certificate issuer.
    // 6.3.3 also allows falling back to the certificate issuer's own CRLs for a DP with a
    // cRLIssuer; hpki does not (PKITS 4.14.27 expects that CRL not to be used).
    const bool delegated = !dp.crl_issuer.empty() && !implicit_dp;
    if (delegated) {
      if (!any_match({directory_name(crl.issuer())}, dp.crl_issuer))
        return fail_with(diag::kCrlWrongIssuer, "the CRL issuer is not the DP's cRLIssuer"),
               std::nullopt;
      if (!names_match(crl.issuer(), cert.issuer()) && !(idp && idp->indirect_crl))
        return fail_with(diag::kCrlNotIndirect,
                         "the DP names a cRLIssuer but the CRL is not indirect"),
               std::nullopt;
    } else if (!names_match(crl.issuer(), cert.issuer())) {
      return fail_with(diag::kCrlWrongIssuer, "the CRL issuer is not the certificate's issuer"),
             std::nullopt;
    }
    // (b)(2)
    if (idp) {
      if (!idp->full_name.empty() || idp->relative_name) {
        std::vector<GeneralName> idp_names = idp->full_name;
        if (idp->relative_name) {
          if (auto n = relative_to(crl.issuer(), *idp->relative_name))
            idp_names.push_back(directory_name(*n));
        }
        std::vector<GeneralName> dp_names = dp.full_name;
        if (dp.relative_name) {
          // RFC 5280 4.2.1.13: relative to the DP's cRLIssuer when present (its directoryName),
          // else to the certificate issuer.
          const Name* base = &cert.issuer();
          for (const auto& g : dp.crl_issuer) {
            if (g.type == GeneralName::Type::kDirectory && g.directory) {
              base = &*g.directory;
              break;
            }
          }
          if (auto n = relative_to(*base, *dp.relative_name))
            dp_names.push_back(directory_name(*n));
        }
        // RFC 5280 6.3.3 (b)(2)(i): against the DP's name, or, when the DP has none, against
        // its cRLIssuer names.
        const bool ok = (dp_names.empty() && !implicit_dp) ? any_match(idp_names, dp.crl_issuer)
                                                           : any_match(idp_names, dp_names);
        if (!ok)
          return fail_with(diag::kCrlIdpNameMismatch,
                           "no issuingDistributionPoint name matches the certificate's "
                           "distribution point"),
                 std::nullopt;
      }
      // RFC 5280 6.3.3 (b)(2)(ii), (iii); 5.2.5: the scope of a CRL with onlyContainsUserCerts
      // or onlyContainsCACerts includes no v1 or v2 certificate.
      if (idp->only_contains_user_certs && (is_ca(cert) || cert.version() < 3))
        return fail_with(diag::kCrlIdpScopeMismatch,
                         "onlyContainsUserCerts, but a CA or a v1/v2 certificate"),
               std::nullopt;
      if (idp->only_contains_ca_certs && !is_ca(cert))
        return fail_with(diag::kCrlIdpScopeMismatch, "onlyContainsCACerts, but not a CA"),
               std::nullopt;
      if (idp->only_contains_attribute_certs)
        return fail_with(diag::kCrlIdpScopeMismatch, "onlyContainsAttributeCerts"), std::nullopt;
    }
    // (c), (d)
    ReasonMask interim = dp_reasons(dp);
    if (idp && idp->only_some_reasons)
      interim = static_cast<ReasonMask>(interim & *idp->only_some_reasons & kAllReasons);
    if ((interim & ~reasons_mask & kAllReasons) == 0) return std::nullopt;

    const bool indirect = idp && idp->indirect_crl;
    if (!usable(crl, indirect, true)) return std::nullopt;
    // (f), (g), (h)
    const Certificate* signer = find_signer(crl, delegated);
    if (signer == nullptr) return std::nullopt;

    // (i), (j): a delta CRL for this complete CRL.
    if (const Crl* delta = find_delta(crl, *signer, indirect)) {
      if (auto entry = lookup(*delta)) {
        if (entry->reason && *entry->reason == RevocationReason::kRemoveFromCrl) {
          reasons_mask = static_cast<ReasonMask>(reasons_mask | interim);
          return std::nullopt;
        }
        return revoked(*entry, "delta CRL");
      }
    }
    // (k)
    if (auto entry = lookup(crl)) {
      if (!(entry->reason && *entry->reason == RevocationReason::kRemoveFromCrl))
        return revoked(*entry, "CRL");
    }
    reasons_mask = static_cast<ReasonMask>(reasons_mask | interim);  // (l)
    return std::nullopt;
  }

  // (a) currency, algorithm consistency, critical extensions, certificateIssuer entries; for a
  // complete CRL (`report`: the failure is kept) and for a delta CRL alike.
  bool usable(const Crl& crl, bool indirect, bool report) {
    auto fail = [&](std::string_view id, std::string detail) {
      if (report) fail_with(id, std::move(detail));
      return false;
    };
    const auto at = std::chrono::floor<std::chrono::seconds>(q_.at);
    if (crl.signature_algorithm().der != crl.tbs_signature_algorithm().der)
      return fail(diag::kCrlSignatureAlgorithmMismatch,
                  "signatureAlgorithm differs from tbsCertList.signature");
    // RFC 5280 5.1.1.2: an algorithm hpki does not verify (SHA-1, DSA ...) is named as such, not
    // as a bad signature.
    if (auto alg = signature_alg_from(crl.signature_algorithm()); !alg)
      return fail(diag::kCrlSignatureAlgorithmUnsupported, alg.error().detail());
    if (crl.this_update() > at)
      return fail(diag::kCrlNotYetValid, "thisUpdate is after the validation time");
    if (crl.next_update() && *crl.next_update() < at)
      return fail(diag::kCrlExpired, "nextUpdate is before the validation time");
    for (const auto& e : crl.extensions()) {
      // RFC 5280 5.2.3: cRLNumber MUST be non-critical; a CRL marking it critical is not used.
      if (e.critical && e.oid == der::oids::kCrlNumber)
        return fail(diag::kCrlUnknownCriticalExtension,
                    "cRLNumber marked critical (RFC 5280 5.2.3: non-critical)");
      // RFC 5280 5.2: a CRL with an unrecognized critical extension is not used.
      if (e.critical && !known_crl_extension(e.oid))
        return fail(diag::kCrlUnknownCriticalExtension,
                    "critical CRL extension " + e.oid.to_string());
    }
    // RFC 5280 5.2.3: conforming CRL issuers MUST include cRLNumber in all CRLs; path validation
    // does not use one without it (check_crl_for does, see crl_check.h).
    if (!crl.crl_number())
      return fail(diag::crl_lint::kNumberMissing, "no cRLNumber extension (RFC 5280 5.2.3)");
    for (const auto& entry : crl.revoked()) {
      for (const auto& e : entry.extensions) {
        if (e.critical && !known_entry_extension(e.oid))
          return fail(diag::kCrlUnknownCriticalEntryExtension,
                      "critical CRL entry extension " + e.oid.to_string());
        if (e.oid != der::oids::kCertificateIssuer) continue;
        // RFC 5280 5.3.3: certificateIssuer belongs to indirect CRLs (5.2.5: a CRL without
        // indirectCRL lists only its issuer's certificates), and must be read to tell whose
        // certificates the following entries are.
        if (!indirect)
          return fail(diag::kCrlCertificateIssuerInvalid,
                      "certificateIssuer entry extension in a CRL that is not indirect");
        auto names = parse_general_names(e.value);
        if (!names || names->empty())
          return fail(diag::kCrlCertificateIssuerInvalid,
                      "certificateIssuer entry extension: " +
                          (names ? std::string("no name") : names.error().detail()));
      }
    }
    return true;
  }

  Result<void> verify(const Crl& crl, const Certificate& signer) const {
    auto alg = HPKI_TRY(signature_alg_from(crl.signature_algorithm()));
    return crypto::verify_signature(signer.spki_der(), alg, crl.tbs_der(), crl.signature(),
                                    q_.sm2_id, q_.key_policy);
  }

  // RFC 5280 6.3.3 (f), (g): a certificate with the CRL issuer's name, cRLSign when it has
  // keyUsage, whose key verifies the CRL, and which is the certificate's issuer on the path or
  // has a valid path of its own to the same anchors (another key of the same CA, a separate CRL
  // issuer). `delegated`: the CRL was matched through the DP's cRLIssuer.
  const Certificate* find_signer(const Crl& crl, bool delegated) {
    std::vector<const Certificate*> candidates;
    if (names_match(q_.issuer.subject(), crl.issuer())) candidates.push_back(&q_.issuer);
    for (const auto& c : certificates_) {
      if (c->der() != q_.issuer.der() && names_match(c->subject(), crl.issuer()))
        candidates.push_back(c.get());
    }
    if (candidates.empty()) {
      fail_with(diag::kCrlIssuerNotFound,
                "no certificate of the CRL issuer " + to_string(crl.issuer()));
      return nullptr;
    }
    for (const Certificate* c : candidates) {
      auto ok = verify(crl, *c);
      if (!ok) {
        if (failure_.diag != diag::kCrlIssuerNoCrlSign)
          fail_with(diag::kCrlSignatureInvalid, "CRL signature: " + ok.error().to_string());
        continue;
      }
      if (const Extension* ku = c->find_extension(der::oids::kKeyUsage)) {
        auto bits = parse_key_usage(ku->value);
        if (!bits || (*bits & x509::ku(KeyUsageBit::kCrlSign)) == 0) {
          fail_with(diag::kCrlIssuerNoCrlSign, "the CRL signer's keyUsage lacks cRLSign");
          continue;
        }
      }
      if (c == &q_.issuer) return c;
      // RFC 5280 4.2.1.13, 6.3.3 (f): a CRL issuer whose own certificate names it as cRLIssuer
      // (PKITS 4.14.30): the certificate asked about is the CRL issuer's, so its path is the
      // one being validated now (ending at the same anchors) and is not validated again, which
      // would ask for this certificate's status once more, without end. Only where the
      // certificate's issuer delegated its revocation status to that CRL issuer by name.
      if (delegated && c->der() == q_.subject.der()) return c;
      // RFC 5280 6.3.3 (f): the CRL issuer's own path, to the same trust anchors.
      auto it = validated_.find(c);
      if (it == validated_.end()) {
        bool ok_path = false;
        for (const auto& p : certificates_) {
          if (p.get() == c && q_.validate_other) ok_path = q_.validate_other(p);
        }
        it = validated_.emplace(c, ok_path).first;
      }
      if (it->second) return c;
      fail_with(diag::kCrlIssuerPathInvalid, "the CRL signer's certificate " +
                                                 to_string(c->subject()) +
                                                 " has no valid path to the trust anchors");
    }
    return nullptr;
  }

  // RFC 5280 6.3.3 (c), (h), 5.2.4: a current delta CRL of the same issuer and scope whose base
  // is not newer than the complete CRL, signed by the same key, itself usable (no unknown
  // critical extension: a removeFromCRL must not come from a CRL that may not be used).
  const Crl* find_delta(const Crl& complete, const Certificate& signer, bool indirect) {
    const Extension* idp = complete.find_extension(der::oids::kIssuingDistributionPoint);
    const auto number = complete.crl_number();
    for (const auto& d : crls_) {
      if (!d->is_delta() || !names_match(d->issuer(), complete.issuer())) continue;
      const Extension* didp = d->find_extension(der::oids::kIssuingDistributionPoint);
      if ((idp == nullptr) != (didp == nullptr) || (idp && idp->value != didp->value)) continue;
      // RFC 5280 5.2.4: the delta's base must not be newer than the complete CRL.
      const Extension* base = d->find_extension(der::oids::kDeltaCrlIndicator);
      if (base == nullptr || !number) continue;
      auto base_number = parse_crl_number(base->value);
      if (!base_number || compare_numbers(*base_number, *number) > 0) continue;
      if (!usable(*d, indirect, false)) continue;
      if (!verify(*d, signer)) continue;
      return d.get();
    }
    return nullptr;
  }

  // The entry for the certificate: its serial, and its issuer. RFC 5280 5.3.3: an entry's
  // certificateIssuer names the issuer of that entry's certificate and of the following
  // entries' up to the next certificateIssuer; before the first, it is the CRL issuer. The
  // entry is the certificate's when one of those names (a directoryName) is its issuer.
  // usable() has already refused a CRL whose certificateIssuer does not parse.
  std::optional<RevokedEntry> lookup(const Crl& crl) const {
    std::vector<GeneralName> entry_issuer{directory_name(crl.issuer())};
    const std::vector<GeneralName> cert_issuer{directory_name(q_.subject.issuer())};
    for (const auto& entry : crl.revoked()) {
      for (const auto& e : entry.extensions) {
        if (e.oid != der::oids::kCertificateIssuer) continue;
        auto names = parse_general_names(e.value);
        entry_issuer = names ? std::move(*names) : std::vector<GeneralName>{};
      }
      if (entry.serial == q_.subject.serial() && any_match(entry_issuer, cert_issuer)) return entry;
    }
    return std::nullopt;
  }

  RevocationAnswer revoked(const RevokedEntry& entry, std::string_view where) const {
    std::string detail = "serial " + q_.subject.serial_number().hex() + " is revoked";
    if (entry.reason) detail += " (" + std::string(reason_name(*entry.reason)) + ")";
    detail += " on a " + std::string(where);
    return {RevocationStatus::kRevoked, diag::kCrlRevoked, std::move(detail)};
  }

  const RevocationQuery& q_;
  const std::vector<CrlPtr>& crls_;
  const std::vector<CertificatePtr>& certificates_;
  std::map<const Certificate*, bool> validated_;
  Failure failure_;
};

}  // namespace

RevocationAnswer CrlRevocationSource::check(const RevocationQuery& q) const {
  Checker checker(q, crls_, certificates_);
  return checker.run();
}

RevocationAnswer CombinedRevocationSource::check(const RevocationQuery& query) const {
  std::optional<RevocationAnswer> first;
  for (const RevocationSource* source : sources_) {
    if (source == nullptr) continue;
    RevocationAnswer a = source->check(query);
    if (a.status != RevocationStatus::kUnknown) return a;
    if (!first) first = std::move(a);
  }
  if (first) return *first;
  return {RevocationStatus::kUnknown, diag::kCrlIssuerNotFound, "no revocation source"};
}

}  // namespace hpki::x509
