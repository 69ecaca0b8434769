#include "api/public_routes.h"

#include "http/problem.h"

namespace hpki::api {

void add_public_routes(http::Router& router, ApiContext& c) {
  // AIA caIssuers: the CA certificate in DER (RFC 5280 4.2.2.1: application/pkix-cert).
  router.add(
      "GET", "/ca/{file}",
      [&c](const http::Request& req) {
        std::string file(req.param("file").value_or(""));
        if (!file.ends_with(".crt")) return http::problem(404, "not-found", "Not Found");
        std::string id = file.substr(0, file.size() - 4);
        auto cas = c.runtime->ca().list_cas();
        if (!cas) return http::problem_for(cas.error());
        for (const auto& ca : *cas) {
          if (ca.id == id) {
            http::Response r;
            r.status = 200;
            r.body.assign(ca.certificate.begin(), ca.certificate.end());
            r.set_header("Content-Type", "application/pkix-cert")
                .set_header("Cache-Control", "max-age=86400");
            return r;
          }
        }
        return http::problem(404, "not-found", "Not Found", "no CA " + id);
      },
      http::RouteOptions{.public_route = true,
                         .rate_limited = false,
                         .max_body_bytes = 0,
                         .summary = "CA certificate (DER)"});
  router.add(
      "GET", "/readyz",
      [&c](const http::Request&) {
        // Ready when the database answers and the CA keys are usable.
        auto cas = c.runtime->ca().list_cas();
        if (!cas)
          return http::Response::text(503,
                                      "database unavailable: " + cas.error().to_string() + "\n");
        for (const auto& ca : *cas) {
          if (ca.role != store::CaRole::kIssuing) continue;
          if (auto s = c.runtime->ca().ca_signer(ca); !s)
            return http::Response::text(503, "key unavailable: " + ca.id + "\n");
        }
        return http::Response::text(200, "ready\n");
      },
      http::RouteOptions{.public_route = true,
                         .rate_limited = false,
                         .max_body_bytes = 0,
                         .summary = "Readiness"});
}

}  // namespace hpki::api
