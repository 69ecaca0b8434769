// OCSP over HTTP (RFC 6960 appendix A, RFC 5019): POST /ocsp (application/ocsp-request) and
// GET /ocsp/{base64 request} on the plain HTTP listener, answered by revocation::OcspResponder.
// Cacheable answers (no nonce) carry RFC 5019 6.2 headers: Cache-Control max-age bounded by
// nextUpdate, ETag, Last-Modified (producedAt), Expires (nextUpdate); If-None-Match -> 304.
// Metrics: hpki_ocsp_responses_total{status}, hpki_ocsp_cert_status_total{status},
// hpki_ocsp_cache_hits_total, hpki_ocsp_signed_total{kind}.
#pragma once

#include <memory>

#include "http/metrics.h"
#include "http/router.h"
#include "revocation/ocsp_responder.h"

namespace hpki::api {

void add_ocsp_routes(http::Router& router, revocation::OcspResponder& responder,
                     std::shared_ptr<http::MetricsRegistry> metrics, const Clock& clock);

// Publishes the responder's counters and health as gauges (called after each sync round).
void publish_ocsp_metrics(const revocation::OcspResponder& responder,
                          http::MetricsRegistry& metrics);

}  // namespace hpki::api
