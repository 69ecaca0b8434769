// The /api/v1 route table (issue 17): one entry per route — method, pattern, summary,
// permission, request schema, success status and handler — from which both the router
// (add_api_routes, api/routes.h) and the OpenAPI document (openapi_json, api/openapi.h) are
// made. Each resource's routes are listed in its own file (api/*_routes.h).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "api/context.h"
#include "auth/roles.h"
#include "core/error.h"
#include "http/message.h"

namespace hpki::api {

// A route run by guarded() with the route's permission.
using GuardedFn = Result<http::Response> (*)(ApiContext&, const http::Request&,
                                             const auth::Principal&);
// A route run by guarded_async() on the CA service's executor; it calls `finish` exactly once.
using GuardedAsyncFn = void (*)(ApiContext&, std::shared_ptr<const http::Request>,
                                const auth::Principal&, Finish);
// A public route (no credentials, not audited, not rate-limited).
using PublicFn = http::Response (*)(ApiContext&, const http::Request&);
using RouteHandler = std::variant<GuardedFn, GuardedAsyncFn, PublicFn>;

struct ApiRoute {
  std::string_view method;   // upper case
  std::string_view pattern;  // "/api/v1/...", "{name}" for a path parameter
  std::string_view summary;  // the OpenAPI summary and the router's
  // The permission of a guarded route; nullopt exactly for a PublicFn.
  std::optional<auth::Permission> permission;
  std::string_view request_schema;  // its #/components/schemas name; "" without a body
  int success;                      // status of a successful call
  RouteHandler handler;
  std::size_t max_body_bytes = 0;  // request body limit; 0 = the server's ([server])
};

// Every /api/v1 route: the resources' lists (cas and profiles, certificates, subjects, audit,
// timestamps, signing, the OpenAPI document), in that order.
[[nodiscard]] const std::vector<ApiRoute>& api_routes();

}  // namespace hpki::api
