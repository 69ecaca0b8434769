// Shared pieces of the certificate, CRL and CSR parsers (private to x509/).
#pragma once

#include <vector>

#include "der/reader.h"
#include "x509/certificate.h"
#include "x509/extensions.h"

namespace hpki::x509 {

// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }.
[[nodiscard]] Result<AlgorithmIdentifier> read_algorithm_identifier(der::Reader& r);
// Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension; critical FALSE encoded is refused (DER).
[[nodiscard]] Result<std::vector<Extension>> read_extensions(der::Reader& r);
// Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }.
[[nodiscard]] Result<TimePoint> read_time(der::Reader& r, TimeEncoding& enc);
// A decoded time (seconds; GeneralizedTime reaches year 9999) as a TimePoint (system_clock,
// nanoseconds: years 1678..2262). Later times saturate to TimePoint::max(), earlier ones to
// TimePoint::min(), instead of overflowing. Every parser converts der::Time through this.
[[nodiscard]] TimePoint to_time_point(der::Time t) noexcept;

}  // namespace hpki::x509

namespace hpki::der {
class Writer;
}

namespace hpki::x509 {
// GeneralName encode (RFC 5280 4.2.1.6, IMPLICIT tags; directoryName [4] explicit).
[[nodiscard]] Result<void> write_general_name(der::Writer& w, const GeneralName& g);
}  // namespace hpki::x509

namespace hpki::x509 {
[[nodiscard]] Result<GeneralName> read_general_name(der::Reader& r);
// The elements of a GeneralNames SEQUENCE (the reader over its content); empty is an error.
[[nodiscard]] Result<std::vector<GeneralName>> read_general_names(der::Reader& seq);
}  // namespace hpki::x509
