// The certificate profile as a relying party checks it during path validation: the RFC 5280
// section 4 MUSTs visible in a certificate (diag::kProfileViolation) and, under Rules::kWebPki,
// the CA/Browser Forum Baseline Requirements (diag::kWebPkiProfile). Private to the x509 module
// (path.cpp drives it).
#pragma once

#include <vector>

#include "der/oid.h"
#include "x509/certificate.h"
#include "x509/path.h"

namespace hpki::x509::detail {

// Where a certificate sits on the candidate path.
enum class Position { kTarget, kIntermediate, kAnchor };

// RFC 5280 6.1.4 (o) / 6.1.5 (f): the extensions path validation processes. Anything else
// marked critical makes the path invalid.
[[nodiscard]] bool is_processed_extension(const der::Oid& oid);
// The finding for a critical extension that is not processed: kUnknownCriticalExtension,
// naming the rule a critical instance of that extension breaks where there is one
// (issuerAltName e_ian_critical, subjectDirectoryAttributes e_sda_critical, the CT precertificate
// poison e_cabf_precert_poison).
[[nodiscard]] Diagnostic unknown_critical_finding(const der::Oid& oid, std::string detail);

// Every profile finding of `cert` at `pos` (empty = none), in a fixed order; each names its
// rule (rules.h). `issuer` is the next certificate of the path (nullptr for the anchor).
[[nodiscard]] std::vector<Diagnostic> check_profile(const Certificate& cert, Position pos,
                                                    Rules rules,
                                                    const Certificate* issuer = nullptr);

}  // namespace hpki::x509::detail
