#include "api/context.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <string>

#include "core/log.h"
#include "http/problem.h"
#include "store/store.h"
#include "x509/certificate.h"

namespace hpki::api {
namespace {

http::Response unauthenticated(std::string_view detail) {
  return http::problem(401, "unauthenticated", "Unauthenticated", detail)
      .set_header("WWW-Authenticate", "Bearer realm=\"hpki\"");
}

// No principal: 401 for missing or bad credentials, else the error's own problem (e.g. 503).
http::Response authentication_failed(const Error& e) {
  if (e.code() == ErrorCode::kPermissionDenied) return unauthenticated(e.detail());
  return http::problem_for(e);
}

Result<void> audit_call(ApiContext& c, const http::Request& req, const auth::Principal& p,
                        int status) {
  return c.runtime->ca().record_event(call_event(req, p, status));
}

}  // namespace

Result<auth::Principal> authenticate(ApiContext& c, const http::Request& req) {
  if (auto h = req.header("authorization")) {
    std::string_view v = *h;
    if (!v.starts_with("Bearer "))
      return fail(ErrorCode::kPermissionDenied, "expected 'Authorization: Bearer <api-key>'");
    return auth::authenticate_api_key(c.runtime->store(), *c.pepper, v.substr(7), c.credentials);
  }
  if (!req.peer_chain.empty()) {
    auto leaf = HPKI_TRY(x509::Certificate::parse(req.peer_chain.front()));
    return auth::principal_from_certificate(c.runtime->store(), *c.pepper, *leaf,
                                            c.runtime->clock().now());
  }
  return fail(ErrorCode::kPermissionDenied,
              "no credentials: send 'Authorization: Bearer <api-key>' or a client certificate");
}

audit::Event call_event(const http::Request& req, const auth::Principal& p, int status) {
  std::string_view outcome = audit::outcome::kSuccess;
  if (status == 401 || status == 403) {
    outcome = audit::outcome::kDenied;
  } else if (status >= 400) {
    outcome = audit::outcome::kFailure;
  }
  audit::Event e;
  e.actor = p.actor();
  e.action = std::string(audit::action::kApiCallPrefix) + req.method + " " + req.route;
  e.object = req.path.substr(0, 512);
  e.outcome = std::string(outcome);
  e.details = nlohmann::json{{"status", status}}.dump();
  e.org = p.org.value_or("");
  return e;
}

std::optional<http::Response> over_rate_limit(ApiContext& c, const auth::Principal& p) {
  if (c.rate_limiter == nullptr) return std::nullopt;
  const auto decision = c.rate_limiter->take(p.actor());
  if (decision.allowed) return std::nullopt;
  return http::problem(429, "rate-limited", "Too many requests",
                       "request rate limit of this caller exceeded; retry later")
      .set_header("Retry-After", std::to_string(decision.retry_after.count()));
}

http::Response guarded(ApiContext& c, const http::Request& req, auth::Permission perm,
                       const Body& body) {
  // Database time of this call (the credential lookup included) is reported under its route;
  // transactions of the group-commit leader are reported as "group_commit".
  store::TxLabel label(req.route);
  auto who = authenticate(c, req);
  if (!who) return authentication_failed(who.error());
  http::Response out;
  if (auto limited = over_rate_limit(c, *who)) {
    out = std::move(*limited);
  } else if (auto ok = auth::authorize(*who, perm, std::nullopt);
             !ok && ok.error().code() == ErrorCode::kPermissionDenied) {
    // Role problems are 403; an org-scoped principal reaching another org's object gets 404 from
    // the body's own authorize() call.
    out = http::problem_for(ok.error());
  } else {
    try {
      auto r = body(*who);
      out = r ? std::move(*r) : http::problem_for(r.error());
    } catch (const std::exception& e) {
      // A bug, not bad input (inputs are checked into errors): a 500 that is audited like
      // every failed call.
      log::error("{} {}: handler failed: {}", req.method, req.route, e.what());
      out = http::problem_for(Error{ErrorCode::kInternal, "internal error"});
    }
  }
  const bool read = req.method == "GET" || req.method == "HEAD";
  if (read || out.status >= 400) {
    if (auto a = audit_call(c, req, *who, out.status); !a && read && out.status < 400) {
      return http::problem_for(
          Error{ErrorCode::kUnavailable, "the audit log cannot be written: " + a.error().detail()});
    }
  }
  return out;
}

void guarded_async(ApiContext& c, std::shared_ptr<const http::Request> req, auth::Permission perm,
                   http::Reply reply, const AsyncBody& body) {
  auto answered = std::make_shared<std::atomic<bool>>(false);
  auto answer = [reply, answered](http::Response r) {
    if (!answered->exchange(true)) reply(std::move(r));
  };
  try {
    store::TxLabel label(req->route);
    auto who = authenticate(c, *req);
    if (!who) return answer(authentication_failed(who.error()));
    Finish finish = [&c, req, p = *who, answer](Result<http::Response> r) {
      auto out = std::make_shared<http::Response>(r ? std::move(*r) : http::problem_for(r.error()));
      if (out->status < 400) return answer(std::move(*out));
      // A refused or failed call is audited (like guarded()) before it is answered.
      c.runtime->ca().record_event_async(call_event(*req, p, out->status),
                                         [out, answer](Result<void>) { answer(std::move(*out)); });
    };
    if (auto limited = over_rate_limit(c, *who)) return finish(std::move(*limited));
    if (auto ok = auth::authorize(*who, perm, std::nullopt);
        !ok && ok.error().code() == ErrorCode::kPermissionDenied) {
      finish(fail(ok.error()));
      return;
    }
    body(*who, finish);
  } catch (const std::exception& e) {
    log::error("{} {}: handler failed: {}", req->method, req->route, e.what());
    answer(http::problem_for(Error{ErrorCode::kInternal, "internal error"}));
  }
}

ca::Requester requester_of(const auth::Principal& p) {
  return {p.actor(), std::string(auth::to_string(p.role))};
}

}  // namespace hpki::api
