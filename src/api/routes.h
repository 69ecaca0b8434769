// The REST API (issue 5) on top of the CA service: /api/v1/... routes with authentication
// (Bearer API key or an operator client certificate), role checks, organization scoping (another
// organization's object is 404, no existence leak) and RFC 9457 problem responses; plus the
// routes conventionally served over plain HTTP (CA certificates for AIA caIssuers, /readyz).
// Services never see HTTP; this file is the edge where errors become statuses.
#pragma once

#include <string>

#include "auth/credentials.h"
#include "ca/runtime.h"
#include "core/bytes.h"
#include "crypto/signature_cache.h"
#include "http/metrics.h"
#include "http/rate_limit.h"
#include "http/router.h"
#include "tsa/tsa_service.h"

namespace hpki::api {

struct ApiContext {
  ca::Runtime* runtime = nullptr;
  const SecretBytes* pepper = nullptr;           // API key / operator hash pepper
  http::MetricsRegistry* metrics = nullptr;      // issuance / revocation counters (may be null)
  const tsa::TsaService* tsa = nullptr;          // the TSA (routes answer 503 without one)
  auth::CredentialCache* credentials = nullptr;  // API-key look-ups (none: every request reads)
  // Certificate / CRL signatures and keys already checked by /api/v1/verify (none: each request
  // checks everything).
  const crypto::SignatureCache* signatures = nullptr;
  // Per-caller rate limit of the authenticated routes: one bucket per principal, taken right
  // after its credentials are verified (never by a request that fails authentication); over it
  // the route answers 429 rate-limited with Retry-After. None: no per-caller limit. The HTTP
  // server limits per client address before this (http/server.h).
  http::RateLimiter* rate_limiter = nullptr;
};

// /api/v1/... (HTTPS listener).
void add_api_routes(http::Router& router, ApiContext& ctx);
// Instruments the runtime for /metrics (c.metrics; nothing when null): database transaction
// latency by operation (hpki_db_transaction_seconds), group-commit batch sizes and queue depth.
// Sets the store's and the batcher's observers: call once, before serving.
void add_runtime_metrics(ApiContext& ctx);
// /ca/{id}.crt, /readyz (plain HTTP listener; also mounted on the API listener).
void add_public_routes(http::Router& router, ApiContext& ctx);

// RFC 3161 over HTTP (RFC 3161 3.4): POST /tsa, /tsa/{family} with application/timestamp-query,
// answered application/timestamp-reply (a TimeStampResp for every outcome, HTTP 415 for another
// media type). Public routes (plain HTTP listener, API listener, `serve --role tsa`).
void add_tsa_routes(http::Router& router, ApiContext& ctx);
// The OpenAPI 3.1 document describing the API routes (served at /api/v1/openapi.json and
// committed as docs/openapi.json).
[[nodiscard]] const std::string& openapi_json();

}  // namespace hpki::api
