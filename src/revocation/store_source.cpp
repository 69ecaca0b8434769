#include "revocation/store_source.h"

#include <optional>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "x509/crl.h"

namespace hpki::revocation {
namespace {

using x509::RevocationAnswer;
using x509::RevocationStatus;

std::string reason_text(int code) {
  if (code < 0 || code > 10) return "reason " + std::to_string(code);
  return std::string(x509::reason_name(static_cast<x509::RevocationReason>(code)));
}

struct Lookup {
  bool ca_certificate = false;
  std::optional<std::string> ca_id;
  std::optional<store::CertificateRecord> cert;
  std::optional<store::RevocationRecord> revocation;
};

}  // namespace

RevocationAnswer StoreRevocationSource::check(const x509::RevocationQuery& q) const {
  const TimePoint at = std::chrono::floor<std::chrono::seconds>(q.at);
  auto found = store_.read_value<Lookup>([&](store::Tx& tx) -> Result<Lookup> {
    Lookup l;
    auto cas = HPKI_TRY(tx.list_cas());
    for (const auto& ca : cas) {
      if (ca.certificate == q.subject.der()) l.ca_certificate = true;
      if (ca.certificate == q.issuer.der()) l.ca_id = ca.id;
    }
    if (l.ca_certificate || !l.ca_id) return l;
    auto rec = tx.get_certificate(*l.ca_id, q.subject.serial_number());
    if (rec) {
      l.cert = std::move(*rec);
    } else if (rec.error().code() != ErrorCode::kNotFound) {
      return fail(rec.error());
    }
    if (l.cert) l.revocation = HPKI_TRY(tx.find_revocation(*l.ca_id, l.cert->serial));
    return l;
  });
  if (!found)
    return {RevocationStatus::kUnknown, diag::kStoreUnavailable,
            "hpki's store: " + found.error().to_string()};
  const Lookup& l = *found;
  if (l.ca_certificate)
    return {RevocationStatus::kGood, diag::kStoreCaCertificate,
            "an hpki CA certificate (not revoked through the certificates table)"};
  if (!l.ca_id)
    return {RevocationStatus::kUnknown, diag::kStoreNotHpkiIssuer,
            "the issuer " + x509::to_string(q.issuer.subject()) + " is not an hpki CA"};
  if (!l.cert)
    return {RevocationStatus::kUnknown, diag::kStoreUnknownSerial,
            "CA " + *l.ca_id + " never issued serial " + q.subject.serial_number().hex()};
  const store::CertificateRecord& rec = *l.cert;
  if (rec.der && *rec.der != q.subject.der())
    return {RevocationStatus::kUnknown, diag::kStoreCertificateMismatch,
            "CA " + *l.ca_id + " issued another certificate with serial " + rec.serial.hex()};
  const std::string who = "CA " + *l.ca_id + " serial " + rec.serial.hex();
  switch (rec.status) {
    case store::CertStatus::kIssued:
      return {RevocationStatus::kGood, diag::kStoreGood, who + " is issued and not revoked"};
    case store::CertStatus::kIssuing:
      // RFC 6960 2.2: a serial hpki reserved but never completed counts as revoked.
      return {RevocationStatus::kRevoked, diag::kStoreNotIssued,
              who + " was never completed (status issuing)"};
    case store::CertStatus::kRevoked:
    case store::CertStatus::kNeverDelivered:
    case store::CertStatus::kHold:
      break;
  }
  const bool hold = rec.status == store::CertStatus::kHold;
  if (!l.revocation)
    return {RevocationStatus::kUnknown, diag::kStoreUnavailable,
            who + " has status " + std::string(store::to_string(rec.status)) +
                " but no revocation record"};
  const store::RevocationRecord& rv = *l.revocation;
  if (rv.revoked_at > at)
    return {RevocationStatus::kGood, diag::kStoreRevokedLater,
            who + (hold ? " was put on hold" : " was revoked") + " only at " +
                format_rfc3339(rv.revoked_at) + ", after the validation time"};
  if (hold)
    return {RevocationStatus::kRevoked, diag::kStoreOnHold,
            who + " is on hold (certificateHold) since " + format_rfc3339(rv.revoked_at)};
  return {
      RevocationStatus::kRevoked, diag::kStoreRevoked,
      who + " revoked at " + format_rfc3339(rv.revoked_at) + " (" + reason_text(rv.reason) + ")"};
}

}  // namespace hpki::revocation
