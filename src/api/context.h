// The REST API's context and guard (issue 5; issue 17 split it from the routes). Every
// /api/v1 route except the OpenAPI document runs its handler inside guarded() (or
// guarded_async()): authentication from the request (401), the caller's rate limit (429), the
// route's permission (403), the handler, the audit of the call — errors mapped to RFC 9457
// problems once, here. Organization scope (another organization's object is 404, no existence
// leak) is checked by the handlers with auth::authorize() on the object they load.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "audit/audit_log.h"
#include "auth/credentials.h"
#include "auth/roles.h"
#include "ca/runtime.h"
#include "core/bytes.h"
#include "cosign/service.h"
#include "crypto/signature_cache.h"
#include "http/metrics.h"
#include "http/rate_limit.h"
#include "http/router.h"
#include "revocation/crl_publisher.h"
#include "tsa/tsa_service.h"

namespace hpki::api {

// What the routes work with; everything must outlive the routers it is registered on.
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
  // Mobile co-signing (issue 19); none: its routes are not added.
  cosign::Service* cosign = nullptr;
  // Fresh CRLs for evidence packages (issue 21); none: POST /api/v1/evidence answers 503.
  revocation::CrlPublisher* crls = nullptr;
};

// The principal of a request: "Authorization: Bearer <api key>" when the header is present
// (another scheme is refused), else the leaf of the verified client certificate chain.
// kPermissionDenied for missing or invalid credentials (the guard answers 401), other codes
// for infrastructure failures (500 / 503).
[[nodiscard]] Result<auth::Principal> authenticate(ApiContext& c, const http::Request& req);

// The audit entry of one call of an authenticated caller: actor = the principal, action =
// "api.<METHOD> <route pattern>", object = the path (at most 512 bytes), outcome success /
// denied (401, 403) / failure (other statuses >= 400) with the status in the details, org =
// the principal's organization (issue 16: an organization's auditor reads its callers' entries).
[[nodiscard]] audit::Event call_event(const http::Request& req, const auth::Principal& p,
                                      int status);

// The per-caller rate limit (ApiContext::rate_limiter) for a principal whose credentials were
// verified: a 429 problem with Retry-After to answer, or nullopt to go on.
[[nodiscard]] std::optional<http::Response> over_rate_limit(ApiContext& c,
                                                            const auth::Principal& p);

// A route's work once its caller is known.
using Body = std::function<Result<http::Response>(const auth::Principal&)>;

// Authentication (401), the caller's rate limit (429), the role's `perm` (403), then `body`;
// a body's error becomes its problem response, a thrown exception a 500 (a bug: inputs are
// checked into errors). "Every call is audited with the caller's identity" (issue 5): state
// changes are audited by the services in their own transactions; here every read (GET, HEAD)
// and every refused or failed call of an authenticated caller is recorded (call_event) through
// the CA's group-commit batcher. A read whose audit entry cannot be written is not answered
// (503): no unaudited reads. Database time of the call is labelled with its route.
[[nodiscard]] http::Response guarded(ApiContext& c, const http::Request& req, auth::Permission perm,
                                     const Body& body);

// guarded() for a route whose body finishes later (issuance, answered by the CA's pipeline):
// call it on the CA service's executor, never on an I/O thread. `body` gets the principal and
// a `finish` to call exactly once, from any executor thread, with the route's result; a
// refused or failed call is audited before `reply` is called (exactly once).
using Finish = std::function<void(Result<http::Response>)>;
using AsyncBody = std::function<void(const auth::Principal&, Finish)>;
void guarded_async(ApiContext& c, std::shared_ptr<const http::Request> req, auth::Permission perm,
                   http::Reply reply, const AsyncBody& body);

// The CA's view of a principal: its audit actor and role (profile requesters, issue 16).
[[nodiscard]] ca::Requester requester_of(const auth::Principal& p);

}  // namespace hpki::api
