#include "api/ocsp_routes.h"

#include <array>

#include "core/encoding.h"
#include "http/problem.h"

namespace hpki::api {
namespace {

constexpr std::string_view kRequestType = "application/ocsp-request";
constexpr std::string_view kResponseType = "application/ocsp-response";

// RFC 5019 5: base64 of the DER request, URL-encoded (the router has percent-decoded it);
// base64url and missing padding are accepted too.
std::optional<Bytes> decode_get_request(std::string_view param) {
  std::string s;
  s.reserve(param.size() + 3);
  for (char c : param) {
    if (c == '-') {
      s.push_back('+');
    } else if (c == '_') {
      s.push_back('/');
    } else if (c == ' ') {
      s.push_back('+');  // a '+' a client sent unencoded in a query-like way
    } else {
      s.push_back(c);
    }
  }
  while (s.size() % 4 != 0) s.push_back('=');
  auto der = base64_decode(s);
  if (!der) return std::nullopt;
  return *der;
}

// Counters resolved once (the registry lookup takes a lock and builds label strings).
struct OcspMetrics {
  std::shared_ptr<http::MetricsRegistry> registry;
  http::Counter* cache_hits = nullptr;
  http::Counter* signed_on_demand = nullptr;
  std::array<http::Counter*, 7> statuses{};  // by OcspResponseStatus value
  std::array<http::Counter*, 3> certs{};     // by OcspCertStatus

  explicit OcspMetrics(std::shared_ptr<http::MetricsRegistry> r) : registry(std::move(r)) {
    if (!registry) return;
    cache_hits = &registry->counter("hpki_ocsp_cache_hits_total", "OCSP answers served pre-signed");
    signed_on_demand = &registry->counter("hpki_ocsp_signed_total", "OCSP responses signed",
                                          {{"kind", "on_demand"}});
    using S = x509::OcspResponseStatus;
    for (S s : {S::kSuccessful, S::kMalformedRequest, S::kInternalError, S::kTryLater,
                S::kSigRequired, S::kUnauthorized}) {
      statuses[static_cast<std::size_t>(s)] =
          &registry->counter("hpki_ocsp_responses_total", "OCSP responses by responseStatus",
                             {{"status", std::string(x509::ocsp_response_status_name(s))}});
    }
    using C = x509::OcspCertStatus;
    for (C c : {C::kGood, C::kRevoked, C::kUnknown}) {
      certs[static_cast<std::size_t>(c)] = &registry->counter(
          "hpki_ocsp_cert_status_total", "Certificate statuses answered by the OCSP responder",
          {{"status", std::string(x509::ocsp_cert_status_name(c))}});
    }
  }
  [[nodiscard]] http::Counter& status(x509::OcspResponseStatus s) const {
    return *statuses.at(static_cast<std::size_t>(s));
  }
  [[nodiscard]] http::Counter& cert(x509::OcspCertStatus s) const {
    return *certs.at(static_cast<std::size_t>(s));
  }
};

http::Response to_http(const http::Request& req, const revocation::OcspAnswer& a,
                       const OcspMetrics& m, const Clock& clock) {
  if (m.registry) {
    m.status(a.status).inc();
    for (auto s : a.cert_statuses) m.cert(s).inc();
    if (a.from_cache) m.cache_hits->inc();
    if (a.signed_now) m.signed_on_demand->inc();
  }
  http::Response r;
  r.status = 200;
  r.body.assign(a.der.begin(), a.der.end());
  r.set_header("Content-Type", std::string(kResponseType));
  if (a.status == x509::OcspResponseStatus::kSuccessful && !a.signed_now) {
    // RFC 5019 6.2: cacheable until nextUpdate.
    const auto now = clock.now();
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(a.next_update - now);
    const std::string etag = a.etag.empty() ? revocation::response_etag(a.der) : a.etag;
    r.set_header("Cache-Control", "max-age=" + std::to_string(std::max<long>(0, left.count())) +
                                      ", public, no-transform, must-revalidate")
        .set_header("Last-Modified", http::http_date(a.produced_at))
        .set_header("Expires", http::http_date(a.next_update))
        .set_header("ETag", etag);
    if (auto inm = req.header("if-none-match"); inm && http::etag_matches(*inm, etag)) {
      r.status = 304;
      r.body.clear();
    }
  } else {
    r.set_header("Cache-Control", "no-store");
  }
  return r;
}

http::Response malformed(const OcspMetrics& m) {
  // RFC 6960 A.1: still an OCSP answer.
  auto e = x509::build_ocsp_error_response(x509::OcspResponseStatus::kMalformedRequest);
  if (m.registry) m.status(x509::OcspResponseStatus::kMalformedRequest).inc();
  http::Response r;
  r.body.assign(e.begin(), e.end());
  r.set_header("Content-Type", std::string(kResponseType));
  return r;
}

std::optional<BytesView> post_body(const http::Request& req) {
  auto ct = req.header("content-type").value_or("");
  if (ct.substr(0, ct.find(';')) != kRequestType) return std::nullopt;
  const auto* p = reinterpret_cast<const std::uint8_t*>(req.body.data());
  return BytesView(p, req.body.size());
}

http::Response wrong_type() {
  return http::Response::text(415, "expected Content-Type: application/ocsp-request\n");
}

}  // namespace

void add_ocsp_routes(http::Router& router, revocation::OcspResponder& responder,
                     std::shared_ptr<http::MetricsRegistry> metrics, const Clock& clock) {
  const OcspMetrics m(std::move(metrics));
  const http::RouteOptions opts{.public_route = true,
                                .rate_limited = false,
                                .max_body_bytes = x509::kMaxOcspRequestSize,
                                .summary = "OCSP (RFC 6960 / RFC 5019)"};
  // Each route has a fast path on the I/O thread for what is answered from memory
  // (pre-signed responses, error statuses); signing and database look-ups run on a worker.
  router.add(
      "POST", "/ocsp",
      [&responder, m, &clock](const http::Request& req) {
        auto der = post_body(req);
        if (!der) return wrong_type();
        return to_http(req, responder.respond(*der), m, clock);
      },
      opts,
      [&responder, m, &clock](const http::Request& req) -> std::optional<http::Response> {
        auto der = post_body(req);
        if (!der) return wrong_type();
        auto a = responder.respond_from_memory(*der);
        if (!a) return std::nullopt;
        return to_http(req, *a, m, clock);
      });
  http::RouteOptions get_opts = opts;
  get_opts.last_param_takes_rest = true;  // base64 '/' that the client did not encode
  router.add(
      "GET", "/ocsp/{request}",
      [&responder, m, &clock](const http::Request& req) {
        auto der = decode_get_request(req.param("request").value_or(""));
        if (!der) return malformed(m);
        return to_http(req, responder.respond(*der), m, clock);
      },
      get_opts,
      [&responder, m, &clock](const http::Request& req) -> std::optional<http::Response> {
        auto der = decode_get_request(req.param("request").value_or(""));
        if (!der) return malformed(m);
        auto a = responder.respond_from_memory(*der);
        if (!a) return std::nullopt;
        return to_http(req, *a, m, clock);
      });
}

void publish_ocsp_metrics(const revocation::OcspResponder& responder,
                          http::MetricsRegistry& metrics) {
  const auto h = responder.health();
  const auto& c = responder.counters();
  metrics.gauge("hpki_ocsp_database_up", "1 when the OCSP responder's database answers")
      .set(h.database_ok ? 1 : 0);
  metrics.gauge("hpki_ocsp_presigned_responses", "Pre-signed OCSP responses held in memory")
      .set(static_cast<double>(h.responses));
  metrics.gauge("hpki_ocsp_expired_responses", "Held responses past nextUpdate (tryLater)")
      .set(static_cast<double>(h.expired));
  metrics.gauge("hpki_ocsp_presigned_signed", "OCSP responses signed ahead of time (total)")
      .set(static_cast<double>(c.presigned.load()));
  metrics.gauge("hpki_ocsp_signing_seconds", "Time spent signing OCSP responses (total)")
      .set(c.sign_seconds.load());
  metrics
      .gauge("hpki_ocsp_on_demand_refused",
             "Requests over the on-demand signing limit (answered pre-signed or tryLater; total)")
      .set(static_cast<double>(c.on_demand_refused.load()));
}

}  // namespace hpki::api
