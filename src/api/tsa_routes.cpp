#include "api/tsa_routes.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <map>
#include <memory>
#include <mutex>

#include "api/request.h"
#include "core/encoding.h"
#include "x509/tsp.h"

namespace hpki::api {
namespace {

using nlohmann::json;

Result<http::Response> timestamp(ApiContext& c, const http::Request& req,
                                 const auth::Principal& p) {
  if (c.tsa == nullptr) return fail(ErrorCode::kUnavailable, "no TSA on this node");
  auto t = HPKI_TRY(c.tsa->get(HPKI_TRY(path_id(req, "serial", "timestamp"))));
  // Issue 16: an organization-scoped caller reads only the timestamps its organization
  // requested (anonymous RFC 3161 requests belong to no organization); another's is 404.
  HPKI_TRY(auth::authorize(p, auth::Permission::kVerify, t.org));
  json j{{"serial", t.serial},
         {"tsa", t.tsa_id},
         {"gen_time", format_rfc3339(t.gen_time)},
         {"hash", t.hash_alg},
         {"imprint", hex_encode(t.imprint)},
         {"policy", t.policy},
         {"requester", t.requester}};
  if (t.nonce) j["nonce"] = hex_encode(*t.nonce);
  if (t.token) j["token"] = base64_encode(*t.token);
  return json_response(200, j);
}

constexpr ApiRoute kRoutes[] = {
    {"GET", "/api/v1/timestamps/{serial}",
     "A recorded RFC 3161 timestamp (serial, genTime, imprint, requester, token)",
     auth::Permission::kVerify, "", 200, &timestamp},
};

}  // namespace

std::span<const ApiRoute> timestamp_routes() { return kRoutes; }

void add_tsa_routes(http::Router& router, ApiContext& c) {
  if (c.tsa != nullptr && c.metrics != nullptr) {
    static const std::vector<double> kRoundBuckets{1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    http::MetricsRegistry* m = c.metrics;
    auto* recorded = &m->histogram("hpki_tsa_round_requests",
                                   "Per TSA commit round: requests recorded, tokens stored",
                                   {{"kind", "recorded"}}, kRoundBuckets);
    auto* stored = &m->histogram("hpki_tsa_round_requests",
                                 "Per TSA commit round: requests recorded, tokens stored",
                                 {{"kind", "stored"}}, kRoundBuckets);
    c.tsa->set_round_observer([recorded, stored](std::size_t r, std::size_t s) {
      recorded->observe(static_cast<double>(r));
      stored->observe(static_cast<double>(s));
    });
  }
  // hpki_timestamps_total{tsa, status}, each series resolved once (the registry lookup takes
  // a lock and builds label strings; answers are sent from the TSA's committer thread).
  struct TokenCounters {
    http::MetricsRegistry* metrics = nullptr;
    std::mutex mu;
    std::map<std::pair<std::string, int>, http::Counter*> series;
    void inc(const tsa::TsaReply& r) {
      if (metrics == nullptr) return;
      const std::string tsa = r.tsa_id.empty() ? "none" : r.tsa_id;
      http::Counter* counter = nullptr;
      {
        std::lock_guard lock(mu);
        auto& slot = series[{tsa, static_cast<int>(r.status)}];
        if (slot == nullptr) {
          slot = &metrics->counter(
              "hpki_timestamps_total", "RFC 3161 responses",
              {{"tsa", tsa}, {"status", std::string(x509::tsp::to_string(r.status))}});
        }
        counter = slot;
      }
      counter->inc();
    }
  };
  auto counters = std::make_shared<TokenCounters>();
  counters->metrics = c.metrics;
  // Asynchronous: the request is checked on the I/O thread and handed to the TSA's own
  // pipeline (tsa_service.h); no worker thread waits for its commits.
  auto handle = [&c, counters](http::Request req, http::Reply reply) {
    auto reply_of = [](int status, const tsa::TsaReply& r) {
      http::Response resp;
      resp.status = status;
      resp.body.assign(r.der.begin(), r.der.end());
      resp.set_header("Content-Type", "application/timestamp-reply");
      return resp;
    };
    auto refuse = [&](int status, x509::tsp::FailureInfo f, std::string text) {
      tsa::TsaReply r;
      r.der = x509::tsp::encode_response({.status = x509::tsp::PkiStatus::kRejection,
                                          .status_string = std::move(text),
                                          .fail_info = f,
                                          .token = std::nullopt});
      reply(reply_of(status, r));
    };
    // RFC 3161 3.4: the query is application/timestamp-query (parameters ignored).
    std::string type(req.header("content-type").value_or(""));
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') type.pop_back();
    for (auto& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (type != "application/timestamp-query")
      return refuse(415, x509::tsp::FailureInfo::kBadRequest,
                    "Content-Type must be application/timestamp-query");
    if (c.tsa == nullptr)
      return refuse(503, x509::tsp::FailureInfo::kSystemFailure, "no TSA on this node");
    std::optional<store::CaFamily> family;
    if (auto f = req.param("family")) {
      auto parsed = store::parse_ca_family(*f);
      if (!parsed)
        return refuse(404, x509::tsp::FailureInfo::kBadRequest,
                      "unknown TSA '" + std::string(*f) + "' (rsa, ecdsa, sm2)");
      family = *parsed;
    }
    std::string_view peer = req.peer;
    const std::string requester = "ip:" + std::string(peer.substr(0, peer.rfind(':')));
    const auto* body = reinterpret_cast<const std::uint8_t*>(req.body.data());
    c.tsa->respond_async(BytesView(body, req.body.size()), family, requester,
                         [counters, reply, reply_of](tsa::TsaReply r) {
                           counters->inc(r);
                           reply(reply_of(200, r));
                         });
  };
  for (const char* pattern : {"/tsa", "/tsa/{family}"}) {
    router.add_async("POST", pattern, handle,
                     // Not rate-limited per client: one HIS server time-stamps for a whole
                     // hospital; overload is bounded by the TSA's queue (systemFailure) and the
                     // load balancer.
                     http::RouteOptions{.public_route = true,
                                        .rate_limited = false,
                                        .max_body_bytes = x509::tsp::kMaxRequestSize,
                                        .summary = "RFC 3161 time-stamping"});
  }
}

}  // namespace hpki::api
