#include "api/crl_routes.h"

#include <algorithm>

#include "http/problem.h"

namespace hpki::api {

void add_crl_routes(http::Router& router, revocation::CrlPublisher& publisher, const Clock& clock,
                    http::MetricsRegistry* metrics) {
  router.add(
      "GET", "/crl/{file}",
      [&publisher, &clock, metrics](const http::Request& req) {
        std::string file(req.param("file").value_or(""));
        if (!file.ends_with(".crl") || file.size() <= 4)
          return http::Response::text(404, "not found\n");
        const std::string name = file.substr(0, file.size() - 4);
        auto crl = publisher.latest(name);
        if (!crl) {
          if (crl.error().code() == ErrorCode::kNotFound)
            return http::Response::text(404, "no CRL " + name + "\n");
          return http::problem_for(crl.error());
        }
        const auto& rec = (*crl)->record;
        if (metrics != nullptr) {
          metrics
              ->counter("hpki_crl_requests_total", "CRL downloads",
                        {{"kind", rec.delta ? "delta" : "complete"}})
              .inc();
        }
        // RFC 5019 6.2-style caching for CRLs: never beyond nextUpdate; when CRLs change on
        // revocation, no longer than the publisher's check interval, so caches pick them up.
        const auto& o = publisher.options();
        auto max_age =
            std::chrono::duration_cast<std::chrono::seconds>(rec.next_update - clock.now());
        if (o.regenerate_on_revoke) {
          max_age = std::min(max_age, o.check_interval);
        } else if (rec.delta) {
          max_age = std::min(max_age, o.delta_interval);
        }
        max_age = std::max(max_age, std::chrono::seconds(0));
        http::Response r;
        r.set_header("ETag", (*crl)->etag)
            .set_header("Last-Modified", http::http_date(rec.this_update))
            .set_header("Expires", http::http_date(rec.next_update))
            .set_header("Cache-Control",
                        "public, max-age=" + std::to_string(max_age.count()) + ", no-transform");
        if (auto inm = req.header("if-none-match"); inm && http::etag_matches(*inm, (*crl)->etag)) {
          r.status = 304;  // RFC 9110 15.4.5
          return r;
        }
        r.status = 200;
        r.body.assign(rec.der.begin(), rec.der.end());
        // RFC 5280 4.2.1.13 / RFC 2585 4.2: a DER CRL over HTTP.
        r.set_header("Content-Type", "application/pkix-crl");
        return r;
      },
      http::RouteOptions{.public_route = true,
                         .rate_limited = false,
                         .max_body_bytes = 0,
                         .summary = "CRL (DER): complete, shard or delta"});
}

void observe_crl_metrics(revocation::CrlPublisher& publisher, http::MetricsRegistry& metrics) {
  publisher.set_observer([&metrics](const revocation::CrlGenerated& g) {
    const std::string kind = g.delta ? "delta" : "complete";
    metrics.counter("hpki_crl_generated_total", "CRLs generated", {{"kind", kind}}).inc();
    metrics
        .histogram("hpki_crl_generation_seconds", "time to load, build, lint, sign and store a CRL",
                   {{"kind", kind}}, {0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60})
        .observe(g.duration.count());
    metrics.gauge("hpki_crl_entries", "entries of the newest CRL", {{"crl", g.name}})
        .set(static_cast<double>(g.entries));
    metrics.gauge("hpki_crl_number", "cRLNumber of the newest CRL", {{"crl", g.name}})
        .set(static_cast<double>(g.crl_number));
  });
}

}  // namespace hpki::api
