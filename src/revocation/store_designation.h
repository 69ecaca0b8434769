// hpki's own designation of trust-service certificates (issue 16), read from its store: an
// x509::DesignationSource (x509/designation.h) for OcspRevocationSource (delegated responders)
// and tsp::verify_token (TSA certificates). Placed here (level 6) because x509 and store are
// both level 4 (as store_source.h).
//
// hpki designates its OCSP responders and TSAs in the cas table: a record with role kOcsp or
// kTsa whose parent_id is the record of the CA that issued it (`hpki ca init` makes one of each
// under every issuing CA; a rotation adds records). For a certificate `cert` and its issuer:
//   - the issuer is an hpki CA when a root or issuing CA record holds a certificate with the
//     issuer's subject and public key (x509::same_subject_and_key); if none does the answer is
//     kUnknownIssuer, so the RFC rules alone apply to CAs hpki does not run;
//   - `cert` is designated when a record of the service's role (kOcsp for OCSP signing, kTsa
//     for time stamping) under one of those CA records holds exactly `cert` (DER); every such
//     record counts, the current one and earlier ones alike;
//   - anything else is kNotDesignated: e.g. an `ocsp-responder` or `tsa` certificate issued
//     through the API or `hpki cert issue`, which is not a record of the cas table.
// A database error is returned as is (callers refuse the certificate). Thread-safe (the Store
// is).
#pragma once

#include "store/store.h"
#include "x509/designation.h"

namespace hpki::revocation {

class StoreDesignationSource final : public x509::DesignationSource {
 public:
  explicit StoreDesignationSource(store::Store& store) : store_(store) {}

  [[nodiscard]] Result<x509::Designation> designation(
      x509::TrustService service, const x509::Certificate& cert,
      const x509::Certificate& issuer) const override;

 private:
  store::Store& store_;
};

}  // namespace hpki::revocation
