// Where PAdES B-LT finds its validation data (pdf/pades.h ValidationDataFn): CRLs for every
// certificate of the signature that is not a trust anchor (self-signed), from
//   - hpki's own store: a CRL distribution point URL ending in /crl/NAME.crl names the CRL
//     record NAME (revocation/crl_publisher.h), whose newest CRL is taken;
//   - CRLs the caller gives (e.g. `hpki sign pdf --crl FILE`), matched by issuer name.
// A certificate with no CRL from either is an error (kNotFound naming it): a B-LT signature
// whose validation data is incomplete would not be long-term verifiable.
#pragma once

#include <vector>

#include "pdf/pades.h"
#include "store/store.h"
#include "x509/crl.h"

namespace hpki::pdf {

struct ValidationSources {
  store::Store* store = nullptr;     // hpki's CRLs; none: only `crls`
  std::vector<x509::CrlPtr> crls{};  // given CRLs
};

[[nodiscard]] ValidationDataFn crl_validation_data(ValidationSources sources);

}  // namespace hpki::pdf
