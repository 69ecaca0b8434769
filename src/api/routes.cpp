#include "api/routes.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <charconv>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

#include "api/json_fields.h"
#include "api/sign_routes.h"
#include "audit/audit_log.h"
#include "auth/credentials.h"
#include "auth/roles.h"
#include "core/encoding.h"
#include "core/log.h"
#include "core/pem.h"
#include "crypto/algorithm.h"
#include "http/problem.h"
#include "store/commit_batcher.h"
#include "x509/certificate.h"
#include "x509/tsp.h"

namespace hpki::api {
using auth::authorize;
using auth::authorize_create;
using auth::org_scope;
using auth::Permission;
using auth::Principal;

namespace {

using nlohmann::json;

// Validity periods and look-ahead windows in days: at most 100 years (profiles allow at most
// 50), so that date arithmetic never overflows.
constexpr std::int64_t kMaxDays = 36500;
constexpr std::int64_t kMaxOffset = 1'000'000'000;

// ---------------------------------------------------------------------------------------------
// Route table: one entry per route drives both the router and the OpenAPI document.
struct RouteSpec {
  std::string_view method;
  std::string_view pattern;
  std::string_view summary;
  std::optional<Permission> permission;  // nullopt: public
  std::string_view request_schema;       // "" when there is no body
  int success = 200;
};

constexpr RouteSpec kApiRoutes[] = {
    {"GET", "/api/v1/cas", "List the certificate authorities", Permission::kCaRead, "", 200},
    {"GET", "/api/v1/cas/{id}/chain", "A CA's chain as PEM, the CA first, its root last",
     Permission::kCaRead, "", 200},
    {"GET", "/api/v1/profiles", "List the certificate profiles", Permission::kProfileRead, "", 200},
    {"POST", "/api/v1/certificates",
     "Issue a certificate from a CSR or with server-side key generation", Permission::kCertIssue,
     "IssueRequest", 201},
    {"GET", "/api/v1/certificates", "Search certificates (paged)", Permission::kCertRead, "", 200},
    {"GET", "/api/v1/certificates/{serial}", "Show a certificate", Permission::kCertRead, "", 200},
    {"GET", "/api/v1/certificates/{serial}/status", "good, revoked or hold", Permission::kCertRead,
     "", 200},
    {"POST", "/api/v1/certificates/{serial}/renew", "Same key, new serial and validity",
     Permission::kCertLifecycle, "RenewRequest", 201},
    {"POST", "/api/v1/certificates/{serial}/rekey", "New key (CSR or key generation), same subject",
     Permission::kCertLifecycle, "RekeyRequest", 201},
    {"POST", "/api/v1/certificates/{serial}/modify",
     "New certificate with changed subject data; the old one superseded",
     Permission::kCertLifecycle, "ModifyRequest", 201},
    {"POST", "/api/v1/certificates/{serial}/revoke", "Revoke (RFC 5280 reason)",
     Permission::kCertLifecycle, "RevokeRequest", 200},
    {"POST", "/api/v1/certificates/{serial}/hold", "Suspend (certificateHold)",
     Permission::kCertLifecycle, "", 200},
    {"POST", "/api/v1/certificates/{serial}/release", "Release from hold",
     Permission::kCertLifecycle, "", 200},
    {"GET", "/api/v1/subjects", "List subject records (staff, organizations, devices)",
     Permission::kSubjectRead, "", 200},
    {"POST", "/api/v1/subjects", "Create a subject record", Permission::kSubjectWrite,
     "SubjectRequest", 201},
    {"GET", "/api/v1/subjects/{id}", "Show a subject record (identifiers masked)",
     Permission::kSubjectRead, "", 200},
    {"PUT", "/api/v1/subjects/{id}", "Replace a subject record", Permission::kSubjectWrite,
     "SubjectRequest", 200},
    {"DELETE", "/api/v1/subjects/{id}", "Delete a subject record without certificates",
     Permission::kSubjectWrite, "", 204},
    {"GET", "/api/v1/audit", "Audit log entries", Permission::kAuditRead, "", 200},
    {"GET", "/api/v1/audit/checkpoints", "Signed audit checkpoints", Permission::kAuditRead, "",
     200},
    {"GET", "/api/v1/timestamps/{serial}",
     "A recorded RFC 3161 timestamp (serial, genTime, imprint, requester, token)",
     Permission::kVerify, "", 200},
    {"POST", "/api/v1/sign",
     "Sign data with a registered organization key (raw, CMS attached or detached, optional "
     "CAdES-T timestamp)",
     Permission::kSign, "SignRequest", 200},
    {"POST", "/api/v1/verify",
     "Verify a CMS or raw signature: signature, signer, chain, revocation at the signing time, "
     "timestamp",
     Permission::kVerify, "VerifyRequest", 200},
    {"GET", "/api/v1/openapi.json", "This document", std::nullopt, "", 200},
};

http::Response json_response(int status, const json& j) {
  return http::Response::json(status, j.dump());
}

http::Response unauthenticated(std::string_view detail) {
  return http::problem(401, "unauthenticated", "Unauthenticated", detail)
      .set_header("WWW-Authenticate", "Bearer realm=\"hpki\"");
}

Result<Principal> authenticate(ApiContext& c, const http::Request& req) {
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

using Body = std::function<Result<http::Response>(const Principal&)>;

// "Every call is audited with the caller's identity" (issue 5). State changes are audited by the
// CA service itself, in their own transaction; here the edge records what the service does not:
// every read (GET) and every refused or failed call of an authenticated caller — actor = the
// principal, action = "api.<METHOD> <route pattern>", object = the path, outcome = success /
// denied / failure with the HTTP status in the details. The entry goes through the CA's
// group-commit batcher, so concurrent reads share transactions. A read whose audit entry
// cannot be written is not answered (503): no unaudited reads.
audit::Event call_event(const http::Request& req, const Principal& p, int status) {
  std::string_view outcome = audit::outcome::kSuccess;
  if (status == 401 || status == 403) {
    outcome = audit::outcome::kDenied;
  } else if (status >= 400) {
    outcome = audit::outcome::kFailure;
  }
  audit::Event e;
  e.actor = p.actor();
  e.action = "api." + req.method + " " + req.route;
  e.object = req.path.substr(0, 512);
  e.outcome = std::string(outcome);
  e.details = json{{"status", status}}.dump();
  // An organization-scoped principal's calls are its organization's entries (issue 16).
  e.org = p.org.value_or("");
  return e;
}

Result<void> audit_call(ApiContext& c, const http::Request& req, const Principal& p, int status) {
  return c.runtime->ca().record_event(call_event(req, p, status));
}

// No principal: 401 for missing or bad credentials, else the error's own problem (e.g. 503).
http::Response authentication_failed(const Error& e) {
  if (e.code() == ErrorCode::kPermissionDenied) return unauthenticated(e.detail());
  return http::problem_for(e);
}

// The per-caller rate limit (ApiContext::rate_limiter), for a principal whose credentials were
// verified: a 429 to answer, or nullopt to go on.
std::optional<http::Response> over_rate_limit(ApiContext& c, const Principal& p) {
  if (c.rate_limiter == nullptr) return std::nullopt;
  const auto decision = c.rate_limiter->take(p.actor());
  if (decision.allowed) return std::nullopt;
  return http::problem(429, "rate-limited", "Too many requests",
                       "request rate limit of this caller exceeded; retry later")
      .set_header("Retry-After", std::to_string(decision.retry_after.count()));
}

// Authentication (401), the caller's rate limit (429), authorization (403), then the body;
// errors mapped once, here.
http::Response guarded(ApiContext& c, const http::Request& req, Permission perm, const Body& body) {
  // Database time of this call (the credential lookup included) is reported under its route;
  // transactions of the group-commit leader are reported as "group_commit".
  store::TxLabel label(req.route);
  auto who = authenticate(c, req);
  if (!who) return authentication_failed(who.error());
  http::Response out;
  if (auto limited = over_rate_limit(c, *who)) {
    out = std::move(*limited);
  } else if (auto ok = authorize(*who, perm, std::nullopt);
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

// guarded() for a route whose body finishes later (issuance, answered by the CA's pipeline):
// runs on the CA service's executor, never on an I/O thread; `body` gets the principal and a
// `finish` to call exactly once, from any executor thread, with the route's result. A thrown
// exception is a 500 like on the synchronous routes.
using Finish = std::function<void(Result<http::Response>)>;
using AsyncBody = std::function<void(const Principal&, Finish)>;

void guarded_async(ApiContext& c, std::shared_ptr<const http::Request> req, Permission perm,
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
    if (auto ok = authorize(*who, perm, std::nullopt);
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

// The CA's view of a principal: its audit actor and role (profile requesters, issue 16).
ca::Requester requester_of(const Principal& p) {
  return {p.actor(), std::string(to_string(p.role))};
}

// A bounded integer query parameter (the one parser of the API): `dflt` when absent, else
// decimal digits (a leading '-' where min < 0) within [min, max]; kInvalidArgument naming the
// parameter and its range otherwise (empty, "1e3", " 7", "0x10", out of range).
Result<std::int64_t> query_int(const http::Request& req, std::string_view name, std::int64_t dflt,
                               std::int64_t min, std::int64_t max) {
  auto v = req.query_param(name);
  if (!v) return dflt;
  std::int64_t n = 0;
  const char* first = v->data();
  const char* last = v->data() + v->size();
  const auto [end, ec] = std::from_chars(first, last, n);
  if (v->empty() || ec != std::errc{} || end != last || n < min || n > max) {
    return fail(ErrorCode::kInvalidArgument,
                "query parameter '" + std::string(name) + "' must be an integer from " +
                    std::to_string(min) + " to " + std::to_string(max));
  }
  return n;
}

Result<json> parse_body(const http::Request& req) {
  if (req.body.empty()) return json::object();
  auto j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::kMalformed, "request body is not valid JSON");
  if (!j.is_object()) return fail(ErrorCode::kMalformed, "request body must be a JSON object");
  return j;
}

Result<ca::SubjectInput> subject_from(const json& j) {
  ca::SubjectInput in;
  if (!j.contains("subject")) return in;
  const json& s = j.at("subject");
  if (!s.is_object()) return fail(ErrorCode::kInvalidArgument, "'subject' must be an object");
  auto& d = in.data;
  d.common_name = HPKI_TRY(string_field(s, "name"));
  d.organization = HPKI_TRY(string_field(s, "org"));
  d.department = HPKI_TRY(string_field(s, "dept"));
  d.province = HPKI_TRY(string_field(s, "province"));
  d.city = HPKI_TRY(string_field(s, "city"));
  d.country = HPKI_TRY(string_field(s, "country"));
  if (auto e = HPKI_TRY(string_field(s, "email")); !e.empty()) d.emails.push_back(e);
  for (const char* list : {"dns", "ip"}) {
    if (!s.contains(list)) continue;
    if (!s.at(list).is_array())
      return fail(ErrorCode::kInvalidArgument, std::string("'") + list + "' must be an array");
    for (const auto& v : s.at(list)) {
      if (!v.is_string())
        return fail(ErrorCode::kInvalidArgument,
                    std::string("'") + list + "' entries must be strings");
      (std::string_view(list) == "dns" ? d.dns_names : d.ip_addresses)
          .push_back(v.get<std::string>());
    }
  }
  for (const char* id : {"id_number", "staff_no", "licence_no", "org_code", "insurance_number",
                         "institution_code"}) {
    if (auto v = HPKI_TRY(string_field(s, id)); !v.empty()) d.identifiers[id] = v;
  }
  return in;
}

Result<std::optional<ca::KeygenOptions>> keygen_from(const json& j) {
  if (!j.contains("keygen")) return std::optional<ca::KeygenOptions>{};
  const json& k = j.at("keygen");
  if (!k.is_object()) return fail(ErrorCode::kInvalidArgument, "'keygen' must be an object");
  ca::KeygenOptions o;
  o.spec = HPKI_TRY(crypto::parse_key_spec(HPKI_TRY(string_field(k, "alg", true))));
  auto pass = HPKI_TRY(string_field(k, "passphrase", true));
  if (pass.size() < 8)
    return fail(ErrorCode::kInvalidArgument, "keygen.passphrase must have at least 8 characters");
  o.passphrase = SecretBytes(std::string_view(pass));
  return std::optional<ca::KeygenOptions>{std::move(o)};
}

json issued_json(const ca::IssueResult& r) {
  json chain = json::array();
  for (const auto& c : r.chain) chain.push_back(pem_encode("CERTIFICATE", c));
  json j{{"serial", r.serial},
         {"ca", r.ca_id},
         {"status", r.status},
         {"not_after", format_rfc3339(r.not_after)},
         {"certificate", pem_encode("CERTIFICATE", r.der)},
         {"chain", chain}};
  if (r.key_package) {
    j["key_format"] = r.key_package_format;
    j["key"] = r.key_package_format == "pkcs12" ? base64_encode(*r.key_package)
                                                : std::string(as_string(*r.key_package));
  }
  return j;
}

json status_json(const ca::CertStatusInfo& s) {
  json j{{"serial", s.serial}, {"ca", s.ca_id}, {"status", s.word()}};
  if (s.reason) j["reason"] = x509::reason_name(*s.reason);
  if (s.revoked_at) j["revoked_at"] = format_rfc3339(*s.revoked_at);
  if (s.invalidity_date) j["invalidity_date"] = format_rfc3339(*s.invalidity_date);
  return j;
}

json record_json(const store::CertificateRecord& r) {
  return json{{"serial", r.serial},
              {"ca", r.ca_id},
              {"subject", r.subject},
              {"org", r.org},
              {"dept", r.dept},
              {"profile", r.profile},
              {"status", store::to_string(r.status)},
              {"not_before", format_rfc3339(r.not_before)},
              {"not_after", format_rfc3339(r.not_after)},
              {"key", r.key_type}};
}

// The certificate named in the path, checked against the principal's organization (another
// organization's certificate is 404: no existence leak).
Result<ca::CertView> scoped_cert(ApiContext& c, const Principal& p, const http::Request& req,
                                 Permission perm) {
  auto v = c.runtime->ca().show(req.param("serial").value_or(""));
  if (!v) return fail(v.error());
  HPKI_TRY(authorize(p, perm, v->record.org));
  return v;
}

json subject_json(const ca::SubjectView& v) {
  const auto& r = v.record;
  json j{{"id", r.id},
         {"kind", store::to_string(r.kind)},
         {"name", r.name},
         {"org", r.org},
         {"dept", r.dept},
         {"province", r.province},
         {"city", r.city},
         {"email", r.email},
         {"dns", r.dns},
         {"staff_no", r.staff_no},
         {"licence_no", r.licence_no},
         {"org_code", r.org_code},
         {"created_at", format_rfc3339(r.created_at)}};
  if (!v.id_number_masked.empty()) j["id_number"] = v.id_number_masked;
  return j;
}

Result<ca::SubjectChange> subject_change(const http::Request& req) {
  auto j = HPKI_TRY(parse_body(req));
  ca::SubjectChange c;
  c.kind = HPKI_TRY(
      store::parse_subject_kind(j.contains("kind") ? HPKI_TRY(string_field(j, "kind")) : "staff"));
  c.data = HPKI_TRY(subject_from(j)).data;
  return c;
}

Result<std::int64_t> subject_id(const http::Request& req) {
  std::string v(req.param("id").value_or(""));
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
    return fail(ErrorCode::kNotFound, "no subject " + v);
  }
  return std::stoll(v);
}

// The subject named in the path, checked against the principal's organization.
Result<ca::SubjectView> scoped_subject(ApiContext& c, const Principal& p, const http::Request& req,
                                       Permission perm) {
  auto v = HPKI_TRY(c.runtime->ca().get_subject(HPKI_TRY(subject_id(req))));
  HPKI_TRY(authorize(p, perm, v.record.org));
  return v;
}

// "sm2-issuing" -> "sm2" (CA ids are "<family>-<role>", ca::ca_id).
std::string family_of(std::string_view ca_id) {
  return std::string(ca_id.substr(0, ca_id.find('-')));
}

void count_issued(ApiContext& c, const ca::IssueResult& r, std::string_view profile) {
  if (c.metrics == nullptr) return;
  c.metrics
      ->counter("hpki_certificates_issued_total", "Certificates issued",
                {{"family", family_of(r.ca_id)}, {"profile", std::string(profile)}})
      .inc();
}

void count_revoked(ApiContext& c, std::string_view ca_id, std::string_view profile) {
  if (c.metrics == nullptr) return;
  c.metrics
      ->counter("hpki_certificates_revoked_total", "Certificates revoked",
                {{"family", family_of(ca_id)}, {"profile", std::string(profile)}})
      .inc();
}

}  // namespace

void add_runtime_metrics(ApiContext& c) {
  if (c.metrics == nullptr) return;
  http::MetricsRegistry* m = c.metrics;
  static const std::vector<double> kDbBuckets{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  c.runtime->store().set_observer([m](std::string_view op, std::chrono::nanoseconds d, bool ok) {
    m->histogram("hpki_db_transaction_seconds",
                 "Database transaction duration (retries included) by operation: the API route, "
                 "group_commit for shared transactions, other",
                 {{"op", std::string(op)}, {"outcome", ok ? "commit" : "error"}}, kDbBuckets)
        .observe(std::chrono::duration<double>(d).count());
  });
  auto& batcher = c.runtime->ca().batcher();
  static const std::vector<double> kUnitBuckets{1, 2, 4, 8, 16, 32, 64, 128};
  batcher.set_observer([m](std::size_t units, bool committed) {
    m->histogram("hpki_commit_batch_units", "Units of work per group-commit transaction", {},
                 kUnitBuckets)
        .observe(static_cast<double>(units));
    if (!committed && units > 1) {
      m->counter("hpki_commit_batch_fallbacks_total",
                 "Shared transactions that failed (their units were rerun alone)")
          .inc();
    }
  });
  auto& depth =
      m->gauge("hpki_commit_queue_depth", "Units of work waiting for a group-commit transaction");
  m->add_collector(
      [&batcher, &depth] { depth.set(static_cast<double>(batcher.stats().queue_depth)); });
}

void add_api_routes(http::Router& router, ApiContext& c) {
  auto add = [&](const RouteSpec& spec,
                 std::function<Result<http::Response>(const http::Request&, const Principal&)> fn) {
    http::RouteOptions o;
    o.summary = std::string(spec.summary);
    o.public_route = !spec.permission.has_value();
    router.add(
        spec.method, spec.pattern,
        [&c, spec, fn](const http::Request& req) {
          return guarded(c, req, *spec.permission, [&](const Principal& p) { return fn(req, p); });
        },
        o);
  };
  auto spec = [](std::string_view method, std::string_view pattern) -> const RouteSpec& {
    for (const auto& s : kApiRoutes) {
      if (s.method == method && s.pattern == pattern) return s;
    }
    std::abort();
  };

  add(spec("GET", "/api/v1/cas"),
      [&c](const http::Request&, const Principal&) -> Result<http::Response> {
        json out = json::array();
        for (const auto& ca : HPKI_TRY(c.runtime->ca().list_cas())) {
          out.push_back({{"id", ca.id},
                         {"family", store::to_string(ca.family)},
                         {"role", store::to_string(ca.role)},
                         {"subject", ca.subject},
                         {"parent", ca.parent_id.value_or("")},
                         {"certificate", pem_encode("CERTIFICATE", ca.certificate)}});
        }
        return json_response(200, out);
      });
  add(spec("GET", "/api/v1/cas/{id}/chain"),
      [&c](const http::Request& req, const Principal&) -> Result<http::Response> {
        auto chain = HPKI_TRY(c.runtime->ca().chain_of(std::string(req.param("id").value_or(""))));
        std::string pem;
        for (const auto& d : chain) pem += pem_encode("CERTIFICATE", d);
        return http::Response::text(200, pem, "application/pem-certificate-chain");
      });
  add(spec("GET", "/api/v1/profiles"),
      [&c](const http::Request&, const Principal&) -> Result<http::Response> {
        json out = json::array();
        for (const auto& [name, p] : c.runtime->profiles()) {
          json algs = json::array();
          for (const auto& k : p.key_algorithms) algs.push_back(crypto::key_spec_name(k));
          out.push_back({{"name", name},
                         {"description", p.description},
                         {"key_algorithms", algs},
                         {"default_days", p.default_days},
                         {"max_days", p.max_days}});
        }
        return json_response(200, out);
      });
  // Issuance answers from the CA's pipeline (CaService::issue_async): no thread waits for its
  // two commits.
  auto issue_request = [](const http::Request& req,
                          const Principal& p) -> Result<ca::IssueRequest> {
    auto j = HPKI_TRY(parse_body(req));
    ca::IssueRequest r;
    r.profile = HPKI_TRY(string_field(j, "profile", true));
    if (auto f = HPKI_TRY(string_field(j, "family")); !f.empty())
      r.family = HPKI_TRY(store::parse_ca_family(f));
    if (auto csr = HPKI_TRY(string_field(j, "csr")); !csr.empty()) r.csr = to_bytes(csr);
    r.keygen = HPKI_TRY(keygen_from(j));
    r.subject = HPKI_TRY(subject_from(j));
    if (auto days = HPKI_TRY(int_field(j, "days", 1, kMaxDays))) r.days = static_cast<int>(*days);
    // Organization-scoped principals issue only for their own organization (default: theirs).
    if (auto scope = org_scope(p)) {
      if (r.subject.data.organization.empty()) r.subject.data.organization = *scope;
    }
    HPKI_TRY(authorize_create(p, Permission::kCertIssue, r.subject.data.organization));
    r.requester = requester_of(p);
    return r;
  };
  {
    const RouteSpec& s = spec("POST", "/api/v1/certificates");
    http::RouteOptions o;
    o.summary = std::string(s.summary);
    router.add_async(
        s.method, s.pattern,
        [&c, issue_request](http::Request request, http::Reply reply) {
          auto req = std::make_shared<const http::Request>(std::move(request));
          c.runtime->ca().post([&c, req, reply, issue_request] {
            guarded_async(c, req, Permission::kCertIssue, reply,
                          [&c, req, issue_request](const Principal& p, Finish finish) {
                            auto r = issue_request(*req, p);
                            if (!r) return finish(fail(r.error()));
                            std::string profile = r->profile;
                            c.runtime->ca().issue_async(
                                std::move(*r), [&c, finish, profile = std::move(profile)](
                                                   Result<ca::IssueResult> res) {
                                  if (!res) return finish(fail(res.error()));
                                  count_issued(c, *res, profile);
                                  finish(json_response(201, issued_json(*res)));
                                });
                          });
          });
        },
        o);
  }
  add(spec("GET", "/api/v1/certificates"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        store::CertificateFilter f;
        auto q = [&](std::string_view k) { return std::string(req.query_param(k).value_or("")); };
        if (auto s = q("serial"); !s.empty()) f.serial_prefix = HPKI_TRY(ca::normalize_serial(s));
        f.subject_contains = q("name");
        if (auto v = q("org"); !v.empty()) f.org = v;
        if (auto v = q("dept"); !v.empty()) f.dept = v;
        if (auto v = q("profile"); !v.empty()) f.profile = v;
        if (auto v = q("ca"); !v.empty()) f.ca_id = v;
        if (auto v = q("status"); !v.empty())
          f.statuses.push_back(HPKI_TRY(store::parse_cert_status(v)));
        f.limit = HPKI_TRY(query_int(req, "limit", 100, 1, 1000));
        f.offset = HPKI_TRY(query_int(req, "offset", 0, 0, kMaxOffset));
        // Bounded so that now + days cannot overflow the clock (issue 16).
        if (auto days = HPKI_TRY(query_int(req, "expiring_within", -1, 0, kMaxDays)); days >= 0) {
          f.not_after_from = c.runtime->clock().now();
          f.not_after_to = c.runtime->clock().now() + std::chrono::days(days);
        }
        if (auto scope = org_scope(p)) {
          if (f.org && *f.org != *scope)
            return json_response(
                200, json{{"items", json::array()}, {"limit", f.limit}, {"offset", f.offset}});
          f.org = *scope;
        }
        std::optional<std::string> id;
        if (auto v = q("id_number"); !v.empty()) id = v;
        json items = json::array();
        for (const auto& r : HPKI_TRY(c.runtime->ca().search(f, id)))
          items.push_back(record_json(r));
        return json_response(200, json{{"items", items}, {"limit", f.limit}, {"offset", f.offset}});
      });
  add(spec("GET", "/api/v1/certificates/{serial}"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertRead));
        json j = record_json(v.record);
        if (v.status) j["revocation"] = status_json(*v.status);
        j["identifiers"] = v.identifiers_masked;
        if (v.record.der) j["certificate"] = pem_encode("CERTIFICATE", *v.record.der);
        return json_response(200, j);
      });
  add(spec("GET", "/api/v1/certificates/{serial}/status"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertRead));
        return json_response(200, status_json(*v.status));
      });
  add(spec("POST", "/api/v1/certificates/{serial}/renew"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertLifecycle));
        auto j = HPKI_TRY(parse_body(req));
        std::optional<int> days;
        if (auto d = HPKI_TRY(int_field(j, "days", 1, kMaxDays))) days = static_cast<int>(*d);
        auto r = HPKI_TRY(c.runtime->ca().renew(v.record.serial, days, requester_of(p)));
        count_issued(c, r, v.record.profile);
        return json_response(201, issued_json(r));
      });
  add(spec("POST", "/api/v1/certificates/{serial}/rekey"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertLifecycle));
        auto j = HPKI_TRY(parse_body(req));
        std::optional<Bytes> csr;
        if (auto s = HPKI_TRY(string_field(j, "csr")); !s.empty()) csr = to_bytes(s);
        auto kg = HPKI_TRY(keygen_from(j));
        if (!csr && !kg) return fail(ErrorCode::kInvalidArgument, "rekey needs 'csr' or 'keygen'");
        auto r =
            HPKI_TRY(c.runtime->ca().rekey(v.record.serial, csr, std::move(kg), requester_of(p)));
        count_issued(c, r, v.record.profile);
        return json_response(201, issued_json(r));
      });
  add(spec("POST", "/api/v1/certificates/{serial}/modify"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertLifecycle));
        auto j = HPKI_TRY(parse_body(req));
        auto subject = HPKI_TRY(subject_from(j));
        if (!subject.data.organization.empty())
          HPKI_TRY(authorize_create(p, Permission::kCertLifecycle, subject.data.organization));
        auto r = HPKI_TRY(c.runtime->ca().modify(v.record.serial, subject, requester_of(p)));
        count_issued(c, r, v.record.profile);
        count_revoked(c, v.record.ca_id, v.record.profile);  // the old one, superseded
        return json_response(201, issued_json(r));
      });
  add(spec("POST", "/api/v1/certificates/{serial}/revoke"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertLifecycle));
        auto j = HPKI_TRY(parse_body(req));
        auto reason = HPKI_TRY(x509::parse_reason(
            j.contains("reason") ? HPKI_TRY(string_field(j, "reason")) : "unspecified"));
        std::optional<TimePoint> inv;
        if (auto s = HPKI_TRY(string_field(j, "invalidity_date")); !s.empty())
          inv = HPKI_TRY(parse_rfc3339(s));
        auto s = HPKI_TRY(c.runtime->ca().revoke(v.record.serial, reason, inv, requester_of(p)));
        count_revoked(c, s.ca_id, v.record.profile);
        return json_response(200, status_json(s));
      });
  add(spec("POST", "/api/v1/certificates/{serial}/hold"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertLifecycle));
        return json_response(
            200, status_json(HPKI_TRY(c.runtime->ca().hold(v.record.serial, requester_of(p)))));
      });
  add(spec("POST", "/api/v1/certificates/{serial}/release"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertLifecycle));
        return json_response(
            200, status_json(HPKI_TRY(c.runtime->ca().release(v.record.serial, requester_of(p)))));
      });
  add(spec("GET", "/api/v1/subjects"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        std::optional<store::SubjectKind> kind;
        if (auto k = req.query_param("kind")) kind = HPKI_TRY(store::parse_subject_kind(*k));
        std::optional<std::string> org;
        if (auto o = req.query_param("org")) org = std::string(*o);
        if (auto scope = org_scope(p)) {
          if (org && *org != *scope) return json_response(200, json{{"items", json::array()}});
          org = *scope;
        }
        const std::int64_t limit = HPKI_TRY(query_int(req, "limit", 100, 1, 1000));
        const std::int64_t offset = HPKI_TRY(query_int(req, "offset", 0, 0, kMaxOffset));
        json items = json::array();
        for (const auto& v : HPKI_TRY(c.runtime->ca().list_subjects(kind, org, limit, offset)))
          items.push_back(subject_json(v));
        return json_response(200, json{{"items", items}, {"limit", limit}, {"offset", offset}});
      });
  add(spec("POST", "/api/v1/subjects"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        auto change = HPKI_TRY(subject_change(req));
        if (auto scope = org_scope(p); scope && change.data.organization.empty())
          change.data.organization = *scope;
        HPKI_TRY(authorize_create(p, Permission::kSubjectWrite, change.data.organization));
        return json_response(
            201, subject_json(HPKI_TRY(c.runtime->ca().create_subject(change, p.actor()))));
      });
  add(spec("GET", "/api/v1/subjects/{id}"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        return json_response(
            200, subject_json(HPKI_TRY(scoped_subject(c, p, req, Permission::kSubjectRead))));
      });
  add(spec("PUT", "/api/v1/subjects/{id}"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        auto v = HPKI_TRY(scoped_subject(c, p, req, Permission::kSubjectWrite));
        auto change = HPKI_TRY(subject_change(req));
        if (change.data.organization.empty()) change.data.organization = v.record.org;
        HPKI_TRY(authorize_create(p, Permission::kSubjectWrite, change.data.organization));
        return json_response(
            200,
            subject_json(HPKI_TRY(c.runtime->ca().update_subject(v.record.id, change, p.actor()))));
      });
  add(spec("DELETE", "/api/v1/subjects/{id}"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        auto v = HPKI_TRY(scoped_subject(c, p, req, Permission::kSubjectWrite));
        HPKI_TRY(c.runtime->ca().delete_subject(v.record.id, p.actor()));
        http::Response r;
        r.status = 204;
        return r;
      });
  add(spec("GET", "/api/v1/audit"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        const std::int64_t from =
            HPKI_TRY(query_int(req, "from", 1, 1, std::numeric_limits<std::int64_t>::max()));
        const std::int64_t limit = HPKI_TRY(query_int(req, "limit", 100, 1, 1000));
        json out = json::array();
        // Issue 16: an organization-scoped auditor reads its organization's entries only.
        for (const auto& e :
             HPKI_TRY(c.runtime->audit().list(c.runtime->store(), from, limit, org_scope(p)))) {
          out.push_back({{"seq", e.seq},
                         {"at", format_rfc3339(e.at)},
                         {"actor", e.actor},
                         {"action", e.action},
                         {"object", e.object},
                         {"outcome", e.outcome},
                         {"org", e.org},
                         {"details", json::parse(e.details, nullptr, false)},
                         {"hash", hex_encode(e.hash)}});
        }
        return json_response(200, out);
      });
  add(spec("GET", "/api/v1/audit/checkpoints"),
      [&c](const http::Request&, const Principal& p) -> Result<http::Response> {
        // Checkpoints cover every organization's entries (and their count): system-wide
        // auditors only.
        if (org_scope(p)) {
          return fail(ErrorCode::kPermissionDenied,
                      "audit checkpoints cover every organization: an auditor of one "
                      "organization reads its entries at /api/v1/audit");
        }
        auto cps = HPKI_TRY(c.runtime->store().transact_value<std::vector<store::AuditCheckpoint>>(
            [](store::Tx& tx) { return tx.list_checkpoints(); }));
        json out = json::array();
        for (const auto& cp : cps) {
          out.push_back({{"seq", cp.seq},
                         {"tree_size", cp.tree_size},
                         {"root", hex_encode(cp.root_hash)},
                         {"signature", base64_encode(cp.signature)},
                         {"key_ref", cp.key_ref},
                         {"signed_at", format_rfc3339(cp.signed_at)}});
        }
        return json_response(200, out);
      });
  add(spec("GET", "/api/v1/timestamps/{serial}"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        if (c.tsa == nullptr) return fail(ErrorCode::kUnavailable, "no TSA on this node");
        std::string v(req.param("serial").value_or(""));
        if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
          return fail(ErrorCode::kNotFound, "no timestamp " + v);
        auto t = HPKI_TRY(c.tsa->get(std::stoll(v)));
        // Issue 16: an organization-scoped caller reads only the timestamps its organization
        // requested (anonymous RFC 3161 requests belong to no organization); another's is 404.
        HPKI_TRY(authorize(p, Permission::kVerify, t.org));
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
      });
  add(spec("POST", "/api/v1/sign"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        return json_response(200, HPKI_TRY(api_sign(c, p, HPKI_TRY(parse_body(req)))));
      });
  add(spec("POST", "/api/v1/verify"),
      [&c](const http::Request& req, const Principal& p) -> Result<http::Response> {
        return json_response(200, HPKI_TRY(api_verify(c, p, HPKI_TRY(parse_body(req)))));
      });
  router.add(
      "GET", "/api/v1/openapi.json",
      [](const http::Request&) { return http::Response::json(200, openapi_json()); },
      http::RouteOptions{.public_route = true,
                         .rate_limited = false,
                         .max_body_bytes = 0,
                         .summary = "This document"});
}

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

const std::string& openapi_json() {
  static const std::string doc = [] {
    json paths = json::object();
    for (const auto& s : kApiRoutes) {
      json op{{"summary", s.summary},
              {"operationId", std::string(s.method) + " " + std::string(s.pattern)}};
      json params = json::array();
      std::string_view pat = s.pattern;
      for (std::size_t pos = pat.find('{'); pos != std::string_view::npos;
           pos = pat.find('{', pos + 1)) {
        auto end = pat.find('}', pos);
        params.push_back({{"name", std::string(pat.substr(pos + 1, end - pos - 1))},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}}}});
      }
      if (!params.empty()) op["parameters"] = params;
      if (!s.request_schema.empty()) {
        op["requestBody"] = {
            {"required", true},
            {"content",
             {{"application/json",
               {{"schema",
                 {{"$ref", "#/components/schemas/" + std::string(s.request_schema)}}}}}}}};
      }
      json responses{{std::to_string(s.success), {{"description", "Success"}}}};
      json problem{{"content",
                    {{"application/problem+json",
                      {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
      for (auto [code, what] : {std::pair{"400", "Malformed request"},
                                {"401", "No or invalid credentials"},
                                {"403", "The role does not allow this"},
                                {"404", "Not found (or another organization's)"},
                                {"409", "Conflict with the current state"},
                                {"413", "Body too large"},
                                {"422", "Refused by policy or lint"},
                                {"429", "Rate limited"}}) {
        json r = problem;
        r["description"] = what;
        responses[code] = r;
      }
      op["responses"] = responses;
      if (s.permission) {
        op["security"] = json::array({{{"bearer", json::array()}}, {{"mtls", json::array()}}});
        op["x-hpki-permission"] = to_string(*s.permission);
      } else {
        op["security"] = json::array();
      }
      std::string method(s.method);
      for (auto& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      paths[std::string(s.pattern)][method] = op;
    }
    json subject{{"type", "object"},
                 {"properties",
                  {{"name", {{"type", "string"}}},
                   {"org", {{"type", "string"}}},
                   {"dept", {{"type", "string"}}},
                   {"province", {{"type", "string"}}},
                   {"city", {{"type", "string"}}},
                   {"country", {{"type", "string"}}},
                   {"email", {{"type", "string"}}},
                   {"dns", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                   {"ip", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                   {"id_number", {{"type", "string"}}},
                   {"staff_no", {{"type", "string"}}},
                   {"licence_no", {{"type", "string"}}},
                   {"org_code", {{"type", "string"}}}}}};
    json keygen{{"type", "object"},
                {"required", {"alg", "passphrase"}},
                {"properties",
                 {{"alg", {{"type", "string"}, {"enum", {"rsa2048", "rsa3072", "p256", "sm2"}}}},
                  {"passphrase", {{"type", "string"}, {"minLength", 8}}}}}};
    json d{{"openapi", "3.1.0"},
           {"info",
            {{"title", "hpki API"},
             {"version", "1"},
             {"description",
              "Certificate authority for hospitals: certificates for staff, organizations and "
              "devices in RSA/ECDSA and SM2."}}},
           {"paths", paths},
           {"components",
            {{"securitySchemes",
              {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
               {"mtls", {{"type", "mutualTLS"}}}}},
             {"schemas",
              {{"Problem",
                {{"type", "object"},
                 {"properties",
                  {{"type", {{"type", "string"}}},
                   {"title", {{"type", "string"}}},
                   {"status", {{"type", "integer"}}},
                   {"detail", {{"type", "string"}}}}}}},
               {"Subject", subject},
               {"Keygen", keygen},
               {"IssueRequest",
                {{"type", "object"},
                 {"required", {"profile"}},
                 {"properties",
                  {{"profile", {{"type", "string"}}},
                   {"family", {{"type", "string"}, {"enum", {"rsa", "ecdsa", "sm2"}}}},
                   {"csr", {{"type", "string"}, {"description", "PEM PKCS#10"}}},
                   {"keygen", {{"$ref", "#/components/schemas/Keygen"}}},
                   {"subject", {{"$ref", "#/components/schemas/Subject"}}},
                   {"days", {{"type", "integer"}}}}}}},
               {"SignRequest",
                {{"type", "object"},
                 {"required", {"key", "data"}},
                 {"properties",
                  {{"key", {{"type", "string"}, {"description", "registered key id"}}},
                   {"data", {{"type", "string"}, {"contentEncoding", "base64"}}},
                   {"mode", {{"type", "string"}, {"enum", {"cms", "cms-detached", "raw"}}}},
                   {"gmt0010", {{"type", "boolean"}}},
                   {"timestamp", {{"type", "boolean"}}}}}}},
               {"VerifyRequest",
                {{"type", "object"},
                 {"required", {"signature"}},
                 {"properties",
                  {{"signature", {{"type", "string"}, {"contentEncoding", "base64"}}},
                   {"content", {{"type", "string"}, {"contentEncoding", "base64"}}},
                   {"mode", {{"type", "string"}, {"enum", {"cms", "raw"}}}},
                   {"certificate", {{"type", "string"}, {"description", "PEM (raw mode)"}}},
                   {"require_revocation", {{"type", "boolean"}}}}}}},
               {"RenewRequest",
                {{"type", "object"}, {"properties", {{"days", {{"type", "integer"}}}}}}},
               {"RekeyRequest",
                {{"type", "object"},
                 {"properties",
                  {{"csr", {{"type", "string"}}},
                   {"keygen", {{"$ref", "#/components/schemas/Keygen"}}}}}}},
               {"ModifyRequest",
                {{"type", "object"},
                 {"properties", {{"subject", {{"$ref", "#/components/schemas/Subject"}}}}}}},
               {"RevokeRequest",
                {{"type", "object"},
                 {"properties",
                  {{"reason", {{"type", "string"}}},
                   {"invalidity_date", {{"type", "string"}, {"format", "date-time"}}}}}}}}}}}};
    return d.dump(2) + "\n";
  }();
  return doc;
}

}  // namespace hpki::api
