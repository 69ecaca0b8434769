// The routes conventionally served over plain HTTP without credentials (plain HTTP listener;
// also mounted on the API listener): GET /ca/{id}.crt, a CA certificate in DER for AIA
// caIssuers (RFC 5280 4.2.2.1: application/pkix-cert), and GET /readyz (200 when the database
// answers and every issuing CA's key is usable, else 503).
#pragma once

#include "api/context.h"
#include "http/router.h"

namespace hpki::api {

void add_public_routes(http::Router& router, ApiContext& ctx);

}  // namespace hpki::api
