// Revocation from hpki's own store: an x509::RevocationSource (path.h) answering for the
// certificates hpki issued, from the certificates and revocations tables, at the validation
// time. Placed here (level 6) because x509 and store are both level 4.
//
// The certificate's issuer on the path is looked up among hpki's CA records (by certificate
// DER); then the certificate by (CA, serial):
//   - issued -> good; revoked / never_delivered -> revoked (reason and time of the revocation
//     record) when revoked_at <= the validation time, else good with diag kStoreRevokedLater
//     (revoked only later: a signature made before stays valid, and its verifier notes it);
//   - hold -> revoked with reason certificateHold while on hold (hold time <= validation time);
//     a released hold leaves no record, so the certificate is good at every time afterwards;
//   - issuing (serial reserved, never completed) -> revoked, as hpki's OCSP responder answers
//     (RFC 6960 2.2: a serial never delivered);
//   - an hpki CA certificate (a CA record's own certificate) -> good: CA certificates are not
//     revoked through the certificates table;
//   - anything else (an issuer that is not an hpki CA, a serial hpki did not produce, a
//     different certificate under a known serial) -> unknown, so a CombinedRevocationSource
//     asks the next source.
// A database error gives unknown with diag kStoreUnavailable. Thread-safe (the Store is).
#pragma once

#include <string_view>

#include "store/store.h"
#include "x509/path.h"

namespace hpki::revocation {

// Diagnostic ids of this source's answers (x509's own ids are in x509/diag.h; none repeated).
namespace diag {
inline constexpr std::string_view kStoreGood = "store_good";
// Good at the validation time, revoked (or put on hold) only after it.
inline constexpr std::string_view kStoreRevokedLater = "store_revoked_later";
inline constexpr std::string_view kStoreRevoked = "store_revoked";
inline constexpr std::string_view kStoreOnHold = "store_on_hold";
inline constexpr std::string_view kStoreNotIssued = "store_not_issued";  // serial reserved only
inline constexpr std::string_view kStoreCaCertificate = "store_ca_certificate";
inline constexpr std::string_view kStoreNotHpkiIssuer = "store_not_hpki_issuer";
inline constexpr std::string_view kStoreUnknownSerial = "store_unknown_serial";
inline constexpr std::string_view kStoreCertificateMismatch = "store_certificate_mismatch";
inline constexpr std::string_view kStoreUnavailable = "store_unavailable";
}  // namespace diag

class StoreRevocationSource final : public x509::RevocationSource {
 public:
  explicit StoreRevocationSource(store::Store& store) : store_(store) {}

  [[nodiscard]] x509::RevocationAnswer check(const x509::RevocationQuery& query) const override;

 private:
  store::Store& store_;
};

}  // namespace hpki::revocation
