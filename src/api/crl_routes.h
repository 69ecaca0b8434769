// CRLs over plain HTTP (issue 6; RFC 5280 4.2.1.13 / RFC 2585 3): GET /crl/<name>.crl serves
// the newest stored CRL of that name as DER (application/pkix-crl), the URL that certificates
// carry in cRLDistributionPoints (and, for deltas, the complete CRL's freshestCRL).
//
// Caching: ETag (a strong validator over the bytes; If-None-Match -> 304), Last-Modified
// (thisUpdate) and Cache-Control max-age bounded by nextUpdate (and by the delta interval when
// deltas are published, else by the check interval when CRLs are regenerated on revocation).
// Every node serves the bytes stored in the database; when the database does not answer, the
// CRL cached by this node is served.
#pragma once

#include "core/clock.h"
#include "http/metrics.h"
#include "http/router.h"
#include "revocation/crl_publisher.h"

namespace hpki::api {

// `publisher`, `clock` and `metrics` (may be null) must outlive the router.
void add_crl_routes(http::Router& router, revocation::CrlPublisher& publisher, const Clock& clock,
                    http::MetricsRegistry* metrics);

// Records each generated CRL in `metrics`: hpki_crl_generated_total{kind},
// hpki_crl_generation_seconds{kind} (histogram), hpki_crl_entries{crl}, hpki_crl_number{crl}.
void observe_crl_metrics(revocation::CrlPublisher& publisher, http::MetricsRegistry& metrics);

}  // namespace hpki::api
