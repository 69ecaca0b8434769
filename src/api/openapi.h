// The OpenAPI 3.1 document of the REST API, generated from the route table (api/route_table.h:
// one path operation per entry, with its summary, path parameters, request schema, success
// status, the common problem responses, and its security and x-hpki-permission unless
// public). Served at GET /api/v1/openapi.json (openapi_routes) and committed as
// docs/openapi.json (`hpki openapi`).
#pragma once

#include <span>
#include <string>

#include "api/route_table.h"

namespace hpki::api {

[[nodiscard]] const std::string& openapi_json();

// GET /api/v1/openapi.json (public).
[[nodiscard]] std::span<const ApiRoute> openapi_routes();

}  // namespace hpki::api
