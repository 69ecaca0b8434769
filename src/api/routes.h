// The REST API (issue 5) on top of the CA service: the /api/v1/... routes of the route table
// (api/route_table.h), each run by the guard of api/context.h — authentication (Bearer API key
// or an operator client certificate), role checks, organization scoping (another
// organization's object is 404, no existence leak), audit, RFC 9457 problem responses.
// Services never see HTTP; this module is the edge where errors become statuses.
//
// The API module's files: context (ApiContext, the guard), request (the one integer parser,
// the JSON body), route_table (ApiRoute, api_routes()), one file per resource (ca_routes,
// certificate_routes, subject_routes, audit_routes, tsa_routes, sign_routes), openapi (the
// document), public_routes (/ca/{id}.crt, /readyz), ocsp_routes and crl_routes (plain HTTP),
// runtime_metrics.
#pragma once

#include "api/context.h"
#include "http/router.h"

namespace hpki::api {

// Registers every entry of api_routes() on `router` (HTTPS listener): a guarded route runs its
// handler inside guarded() with its permission; an asynchronous one inside guarded_async() on
// the CA service's executor; a public one (the OpenAPI document) as is, not rate-limited.
// `ctx` must outlive the router.
void add_api_routes(http::Router& router, ApiContext& ctx);

}  // namespace hpki::api
