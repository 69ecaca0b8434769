#include "api/routes.h"

#include <memory>
#include <type_traits>

#include "api/audit_routes.h"
#include "api/ca_routes.h"
#include "api/certificate_routes.h"
#include "api/cosign_routes.h"
#include "api/evidence_routes.h"
#include "api/openapi.h"
#include "api/route_table.h"
#include "api/seal_routes.h"
#include "api/sign_routes.h"
#include "api/subject_routes.h"
#include "api/tsa_routes.h"

namespace hpki::api {

const std::vector<ApiRoute>& api_routes() {
  static const std::vector<ApiRoute> all = [] {
    std::vector<ApiRoute> v;
    for (auto list :
         {ca_routes(), certificate_routes(), subject_routes(), audit_routes(), timestamp_routes(),
          sign_routes(), cosign_routes(), seal_routes(), evidence_routes(), openapi_routes()}) {
      v.insert(v.end(), list.begin(), list.end());
    }
    return v;
  }();
  return all;
}

void add_api_routes(http::Router& router, ApiContext& c) {
  for (const ApiRoute& spec : api_routes()) {
    http::RouteOptions o;
    o.summary = std::string(spec.summary);
    o.max_body_bytes = spec.max_body_bytes;
    std::visit(
        [&](auto fn) {
          using Fn = decltype(fn);
          if constexpr (std::is_same_v<Fn, GuardedFn>) {
            HPKI_CHECK(spec.permission.has_value());
            router.add(
                spec.method, spec.pattern,
                [&c, fn, perm = *spec.permission](const http::Request& req) {
                  return guarded(c, req, perm,
                                 [&](const auth::Principal& p) { return fn(c, req, p); });
                },
                o);
          } else if constexpr (std::is_same_v<Fn, GuardedAsyncFn>) {
            HPKI_CHECK(spec.permission.has_value());
            router.add_async(
                spec.method, spec.pattern,
                [&c, fn, perm = *spec.permission](http::Request request, http::Reply reply) {
                  auto req = std::make_shared<const http::Request>(std::move(request));
                  // The guard and the handler run on the CA's executor, never on the I/O
                  // thread (credential look-ups read the database).
                  c.runtime->ca().post([&c, req, reply, fn, perm] {
                    guarded_async(c, req, perm, reply,
                                  [&c, req, fn](const auth::Principal& p, Finish finish) {
                                    fn(c, req, p, std::move(finish));
                                  });
                  });
                },
                o);
          } else {
            static_assert(std::is_same_v<Fn, PublicFn>);
            HPKI_CHECK(!spec.permission.has_value());
            o.public_route = true;
            o.rate_limited = false;
            router.add(
                spec.method, spec.pattern,
                [&c, fn](const http::Request& req) { return fn(c, req); }, o);
          }
        },
        spec.handler);
  }
}

}  // namespace hpki::api
