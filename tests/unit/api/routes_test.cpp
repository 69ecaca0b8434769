// The REST API in process (issue 17): the real router of add_api_routes() over an ApiContext on
// a test CA home (RSA and SM2 hierarchies, their TSAs), called with http::Requests built the
// way the HTTP session builds them (no network). The auth matrix of the guard: every guarded
// route of the table refuses a caller without valid credentials (401) and a role without the
// route's permission (403, audited as denied); a caller of another organization gets 404 for a
// certificate, subject or timestamp of the first and empty listings; the per-caller rate limit;
// operator client certificates; the one integer parser of request parameters. SQLite and
// PostgreSQL.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/cosign_pdf.h"
#include "api/route_table.h"
#include "api/routes.h"
#include "auth/credentials.h"
#include "core/encoding.h"
#include "core/pem.h"
#include "cosign/service.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "tests/support/ca_fixture.h"
#include "tests/support/test_util.h"
#include "tests/unit/pdf/pdf_fixture.h"
#include "tsa/tsa_service.h"
#include "x509/certificate.h"
#include "x509/cms.h"
#include "x509/tsp.h"

namespace hpki::api {
namespace {

using auth::Permission;
using auth::Role;
using nlohmann::json;

const std::string kOrgA = "示例医院";
const std::string kOrgB = "其他医院";

struct Call {
  std::string method;
  std::string target;  // raw, percent-encoded, with the query
  std::string body{};
  std::string bearer{};  // sent as "Authorization: Bearer <bearer>" when not empty
  std::vector<std::pair<std::string, std::string>> headers{};  // names lower case
  std::vector<Bytes> peer_chain{};                             // a verified client chain
};

// What the HTTP session does with a request (http/detail/session.h dispatch()): the target split
// and decoded, the route matched, its pattern and parameters handed to the handler; an
// asynchronous route's reply is waited for.
http::Response dispatch(const http::Router& router, const Call& call) {
  http::Request req;
  req.method = call.method;
  req.target = call.target;
  const std::string_view target(req.target);
  const auto q = target.find('?');
  const std::string_view raw_path = target.substr(0, q);
  auto path = http::percent_decode(raw_path, false);
  auto query = q == std::string_view::npos
                   ? std::optional<std::vector<std::pair<std::string, std::string>>>(std::in_place)
                   : http::parse_query(target.substr(q + 1));
  if (!path || !query) return http::Response::text(400, "malformed target\n");
  auto m = router.match(req.method, raw_path);
  if (m.kind == http::RouteMatch::Kind::kNotFound) return http::Response::text(404, "no route\n");
  if (m.kind == http::RouteMatch::Kind::kMethodNotAllowed)
    return http::Response::text(405, "method not allowed\n");
  req.path = std::move(*path);
  req.query = std::move(*query);
  req.route = m.route->pattern;
  req.path_params = std::move(m.params);
  req.headers = call.headers;
  if (!call.bearer.empty()) req.headers.emplace_back("authorization", "Bearer " + call.bearer);
  if (!call.body.empty()) req.headers.emplace_back("content-type", "application/json");
  req.body = call.body;
  req.peer = "127.0.0.1:40000";
  req.tls = true;
  req.peer_chain = call.peer_chain;
  if (m.async != nullptr) {
    auto done = std::make_shared<std::promise<http::Response>>();
    auto answer = done->get_future();
    (*m.async)(std::move(req), [done](http::Response r) { done->set_value(std::move(r)); });
    return answer.get();
  }
  return (*m.handler)(req);
}

// `pattern` with each "{name}" replaced by values.at(name).
std::string fill(std::string_view pattern, const std::map<std::string, std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] != '{') {
      out += pattern[i++];
      continue;
    }
    const auto end = pattern.find('}', i);
    out += values.at(std::string(pattern.substr(i + 1, end - i - 1)));
    i = end + 1;
  }
  return out;
}

json body_of(const http::Response& r) { return json::parse(r.body, nullptr, false); }

std::string describe(const ApiRoute& r) {
  return std::string(r.method) + " " + std::string(r.pattern);
}

class ApiRouterTest : public test::CaFixture {
 protected:
  void SetUp() override {
    CaFixture::SetUp();
    if (HasFatalFailure()) return;
    auto pepper = auth::load_or_create_pepper(auth::pepper_path(rt_->config().keys_dir));
    ASSERT_TRUE(pepper) << pepper.error().to_string();
    pepper_ = std::move(*pepper);
    // As `hpki serve` makes it (app/serve.cpp make_tsa).
    auto tsa = tsa::TsaService::create(
        {.store = &rt_->store(),
         .audit = &rt_->audit(),
         .clock = &rt_->clock(),
         .signer_for = [this](const store::CaRecord& ca) { return rt_->ca().ca_signer(ca); },
         .batcher = &rt_->ca().batcher()},
        tsa::TsaOptions{});
    ASSERT_TRUE(tsa) << tsa.error().to_string();
    tsa_ = std::move(*tsa);
    cosign::Config cc;
    cc.base_url = "https://sign.hospital.example";
    cc.rp_id = "sign.hospital.example";
    cosign_ = std::make_unique<cosign::Service>(cc, cosign::Deps{.store = &rt_->store(),
                                                                 .ca = &rt_->ca(),
                                                                 .audit = &rt_->audit(),
                                                                 .sealer = &rt_->cosign_sealer(),
                                                                 .tsa = tsa_.get(),
                                                                 .clock = &rt_->clock(),
                                                                 .random = &random_,
                                                                 .webhook = {},
                                                                 .pdf = cosign_pdf_steps()});
    ctx_ = ApiContext{.runtime = rt_.get(),
                      .pepper = &pepper_,
                      .metrics = &metrics_,
                      .tsa = tsa_.get(),
                      .credentials = nullptr,
                      .signatures = nullptr,
                      .rate_limiter = nullptr,
                      .cosign = cosign_.get()};
    add_api_routes(router_, ctx_);
  }
  void TearDown() override {
    if (cosign_) cosign_->stop();
    if (tsa_) tsa_->stop();
  }

  auth::AuthContext auth_ctx() {
    return {.store = rt_->store(),
            .audit = rt_->audit(),
            .pepper = pepper_,
            .random = random_,
            .clock = rt_->clock()};
  }

  // A new API key of `role` (and `org`): the bearer token, its principal's audit actor.
  struct Key {
    std::string token;
    std::string actor;
  };
  Key key(Role role, std::optional<std::string> org = std::nullopt) {
    auto k = auth::create_api_key(auth_ctx(), role, std::move(org), "cli:test");
    EXPECT_TRUE(k) << k.error().to_string();
    if (!k) return {};
    return {k->key, "api-key:" + k->id};
  }

  http::Response call(const Call& c) { return dispatch(router_, c); }

  std::vector<store::AuditRecord> audit_entries() {
    return rt_->store()
        .transact_value<std::vector<store::AuditRecord>>(
            [](store::Tx& tx) { return tx.read_audit(1, 100000); })
        .value();
  }

  // A certificate issued through POST /api/v1/certificates by `who`; its serial.
  std::string issue(const Key& who, const std::string& family, const std::string& alg,
                    const std::string& name) {
    const json body{{"profile", "staff-sign"},
                    {"family", family},
                    {"keygen", {{"alg", alg}, {"passphrase", "doctor-pass-1"}}},
                    {"subject", {{"name", name}, {"org", kOrgA}}}};
    auto r = call({"POST", "/api/v1/certificates", body.dump(), who.token});
    EXPECT_EQ(r.status, 201) << r.body;
    return body_of(r).value("serial", "");
  }

  // A token of this home's TSA for `org` (what POST /api/v1/sign with "timestamp" asks for);
  // its serial.
  std::int64_t timestamp(crypto::HashAlg hash, const std::string& org) {
    x509::tsp::TimeStampReq req;
    req.message_imprint.hash_algorithm = x509::cms::hash_oid(hash);
    req.message_imprint.hashed_message = crypto::digest(hash, as_bytes("data")).value();
    req.cert_req = true;
    const auto reply =
        tsa_->respond(x509::tsp::encode_request(req).value(), std::nullopt, "api-key:test", org);
    EXPECT_EQ(reply.status, x509::tsp::PkiStatus::kGranted) << reply.status_string;
    return reply.serial.value_or(0);
  }

  SecretBytes pepper_;
  crypto::SystemRandom random_;
  http::MetricsRegistry metrics_;
  std::unique_ptr<tsa::TsaService> tsa_;
  std::unique_ptr<cosign::Service> cosign_;
  ApiContext ctx_;
  http::Router router_;
};

// Every guarded route: no credentials, another scheme, a made-up key, a real key id with a
// wrong secret, a revoked key, an unregistered client certificate — 401 with the Bearer
// challenge, before any handler runs; nothing is audited (there is no caller). The public
// route needs nothing.
TEST_P(ApiRouterTest, EveryGuardedRouteRefusesMissingOrInvalidCredentials) {
  const Key valid = key(Role::kAdmin);
  std::string wrong_secret = valid.token;
  wrong_secret.back() = wrong_secret.back() == 'A' ? 'B' : 'A';
  const Key revoked = key(Role::kAdmin);
  ASSERT_TRUE(auth::revoke_credential(auth_ctx(), revoked.actor.substr(8), "cli:test"));
  const auto not_an_operator = rt_->ca().list_cas().value().front().certificate;
  const auto before = audit_entries().size();

  std::size_t guarded_routes = 0;
  for (const auto& route : api_routes()) {
    const std::string target = fill(route.pattern, {{"serial", "7f01"}, {"id", "sm2-issuing"}});
    if (!route.permission) {
      EXPECT_EQ(call({std::string(route.method), target}).status, 200) << describe(route);
      continue;
    }
    ++guarded_routes;
    const std::vector<std::pair<std::string, Call>> calls = {
        {"none", {std::string(route.method), target}},
        {"basic", {std::string(route.method), target, "{}", "", {{"authorization", "Basic YTpi"}}}},
        {"made-up key",
         {std::string(route.method), target, "{}",
          "hpki_0123456789abcdef_" + std::string(43, 'A')}},
        {"wrong secret", {std::string(route.method), target, "{}", wrong_secret}},
        {"revoked key", {std::string(route.method), target, "{}", revoked.token}},
        {"unregistered client certificate",
         {std::string(route.method), target, "{}", "", {}, {not_an_operator}}},
    };
    for (const auto& [what, c] : calls) {
      const auto r = call(c);
      EXPECT_EQ(r.status, 401) << describe(route) << " with " << what << ": " << r.body;
      EXPECT_EQ(r.header("WWW-Authenticate").value_or(""), "Bearer realm=\"hpki\"")
          << describe(route) << " with " << what;
      EXPECT_EQ(body_of(r).value("status", 0), 401) << describe(route) << " with " << what;
    }
  }
  EXPECT_EQ(guarded_routes, api_routes().size() - 1);
  EXPECT_EQ(audit_entries().size(), before) << "a call without a principal was audited";
}

// Every role x every guarded route: the role's permission (auth::role_has) decides between 403
// (refused by the guard before the handler, audited as denied) and the handler's own answer
// (never 401 or 403 here, never a 5xx). Objects named in paths do not exist, so nothing
// changes whoever is allowed.
TEST_P(ApiRouterTest, EveryRoleGetsExactlyTheRoutesOfItsPermissions) {
  struct Caller {
    Role role;
    Key key;
  };
  std::vector<Caller> callers;
  for (Role r : auth::kAllRoles) {
    callers.push_back(
        {r, key(r, auth::role_requires_org(r) ? std::optional(kOrgA) : std::nullopt)});
  }
  std::set<std::pair<std::string, std::string>> expected_denied;
  std::set<Permission> used;
  for (const auto& c : callers) {
    for (const auto& route : api_routes()) {
      if (!route.permission) continue;
      used.insert(*route.permission);
      const std::string target =
          fill(route.pattern,
               {{"serial", "7f01"},
                {"id", route.pattern.starts_with("/api/v1/cas") ? "sm2-issuing" : "4242"}});
      const auto r = call({std::string(route.method), target, "", c.key.token});
      const std::string what = std::string(auth::to_string(c.role)) + " " + describe(route);
      if (auth::role_has(c.role, *route.permission)) {
        EXPECT_NE(r.status, 401) << what << ": " << r.body;
        EXPECT_NE(r.status, 403) << what << ": " << r.body;
        EXPECT_LT(r.status, 500) << what << ": " << r.body;
      } else {
        EXPECT_EQ(r.status, 403) << what << ": " << r.body;
        EXPECT_EQ(body_of(r).value("status", 0), 403) << what;
        expected_denied.insert({c.key.actor, "api." + describe(route)});
      }
    }
  }
  // Every permission but kAdmin (API keys and operators are managed by the CLI) guards a route.
  for (Permission p : auth::kAllPermissions) {
    EXPECT_EQ(used.contains(p), p != Permission::kAdmin) << auth::to_string(p);
  }
  std::set<std::pair<std::string, std::string>> denied;
  for (const auto& e : audit_entries()) {
    if (e.action.starts_with("api.") && e.outcome == audit::outcome::kDenied)
      denied.insert({e.actor, e.action});
  }
  EXPECT_FALSE(expected_denied.empty());
  EXPECT_EQ(denied, expected_denied);
}

// Issue 16 through the router: callers of 其他医院 (ra_officer, integration, auditor) get 404 for
// 示例医院's certificates (RSA and SM2 hierarchies), subject record and timestamps (SHA-256 and
// SM3) — the answer for a serial that does not exist — or 403 where their role lacks the
// permission anyway; their listings and audit log show nothing of 示例医院; nothing of 示例医院
// changes. 示例医院's own officer sees everything (the 404s are not vacuous).
TEST_P(ApiRouterTest, AnotherOrganizationSeesNothingOfTheFirst) {
  const Key ra_a = key(Role::kRaOfficer, kOrgA);
  const Key admin = key(Role::kAdmin);
  const std::vector<std::string> serials = {issue(ra_a, "sm2", "sm2", "张三"),
                                            issue(ra_a, "rsa", "p256", "王医生")};
  const json subject{
      {"kind", "staff"},
      {"subject", {{"name", "李四"}, {"org", kOrgA}, {"id_number", "11010519491231002X"}}}};
  auto created = call({"POST", "/api/v1/subjects", subject.dump(), ra_a.token});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string subject_id = std::to_string(body_of(created).at("id").get<std::int64_t>());
  const std::vector<std::int64_t> stamps = {timestamp(crypto::HashAlg::kSha256, kOrgA),
                                            timestamp(crypto::HashAlg::kSm3, kOrgA)};

  for (Role role : {Role::kRaOfficer, Role::kIntegration, Role::kAuditor}) {
    const Key b = key(role, kOrgB);
    const std::string who = std::string(auth::to_string(role)) + " of " + kOrgB;
    for (const auto& route : api_routes()) {
      const bool by_serial = route.pattern.find("{serial}") != std::string_view::npos;
      const bool by_subject = route.pattern.starts_with("/api/v1/subjects/");
      if (!by_serial && !by_subject) continue;
      std::vector<std::string> targets;
      if (route.pattern.starts_with("/api/v1/timestamps/")) {
        for (auto s : stamps)
          targets.push_back(fill(route.pattern, {{"serial", std::to_string(s)}}));
      } else if (by_serial) {
        for (const auto& s : serials) targets.push_back(fill(route.pattern, {{"serial", s}}));
      } else {
        targets.push_back(fill(route.pattern, {{"id", subject_id}}));
      }
      const int expected = auth::role_has(role, *route.permission) ? 404 : 403;
      for (const auto& t : targets) {
        const auto r = call({std::string(route.method), t, "{}", b.token});
        EXPECT_EQ(r.status, expected) << who << ": " << route.method << " " << t << ": " << r.body;
      }
    }
    // Listings are filtered, also when asked for 示例医院 by name.
    for (const std::string& target :
         std::vector<std::string>{"/api/v1/certificates",
                                  "/api/v1/certificates?org=%E7%A4%BA%E4%BE%8B%E5%8C%BB%E9%99%A2",
                                  "/api/v1/certificates?serial=" + serials[0]}) {
      const auto r = call({"GET", target, "", b.token});
      ASSERT_EQ(r.status, 200) << who << " " << target << ": " << r.body;
      EXPECT_TRUE(body_of(r).at("items").empty()) << who << " " << target << ": " << r.body;
    }
    for (const std::string target :
         {"/api/v1/subjects", "/api/v1/subjects?org=%E7%A4%BA%E4%BE%8B%E5%8C%BB%E9%99%A2"}) {
      const auto r = call({"GET", target, "", b.token});
      if (!auth::role_has(role, Permission::kSubjectRead)) {
        EXPECT_EQ(r.status, 403) << who << " " << target;
        continue;
      }
      ASSERT_EQ(r.status, 200) << who << " " << target << ": " << r.body;
      EXPECT_TRUE(body_of(r).at("items").empty()) << who << " " << target << ": " << r.body;
    }
    // Nothing can be created for 示例医院 either (403: nothing exists yet to hide).
    if (auth::role_has(role, Permission::kSubjectWrite)) {
      EXPECT_EQ(call({"POST", "/api/v1/subjects", subject.dump(), b.token}).status, 403) << who;
    }
    if (auth::role_has(role, Permission::kCertIssue)) {
      const json body{{"profile", "staff-sign"},
                      {"family", "sm2"},
                      {"keygen", {{"alg", "sm2"}, {"passphrase", "doctor-pass-1"}}},
                      {"subject", {{"name", "张三"}, {"org", kOrgA}}}};
      EXPECT_EQ(call({"POST", "/api/v1/certificates", body.dump(), b.token}).status, 403) << who;
    }
  }

  // The audit log: 其他医院's auditor reads its own organization's entries only (its callers'
  // 404s above among them), never 示例医院's; checkpoints (every organization) are refused.
  const Key auditor_b = key(Role::kAuditor, kOrgB);
  auto log_b = call({"GET", "/api/v1/audit?limit=1000", "", auditor_b.token});
  ASSERT_EQ(log_b.status, 200) << log_b.body;
  ASSERT_FALSE(body_of(log_b).empty());
  for (const auto& e : body_of(log_b)) EXPECT_EQ(e.at("org"), kOrgB) << e.dump();
  EXPECT_EQ(call({"GET", "/api/v1/audit/checkpoints", "", auditor_b.token}).status, 403);
  auto log_all = call({"GET", "/api/v1/audit?limit=1000", "", admin.token});
  ASSERT_EQ(log_all.status, 200);
  std::size_t of_a = 0;
  for (const auto& e : body_of(log_all)) of_a += e.at("org") == kOrgA ? 1 : 0;
  EXPECT_GT(of_a, 0u) << "示例医院 has audit entries that 其他医院 must not see";

  // 示例医院 itself: everything is there and unchanged.
  for (const auto& s : serials) {
    auto st = call({"GET", "/api/v1/certificates/" + s + "/status", "", ra_a.token});
    ASSERT_EQ(st.status, 200) << st.body;
    EXPECT_EQ(body_of(st).at("status"), "good");
  }
  auto listed = call({"GET", "/api/v1/certificates", "", ra_a.token});
  ASSERT_EQ(listed.status, 200);
  const json listing = body_of(listed);
  std::set<std::string> listed_serials;
  for (const auto& item : listing.at("items")) listed_serials.insert(item.value("serial", ""));
  for (const auto& s : serials) EXPECT_TRUE(listed_serials.contains(s)) << s;
  auto subj = call({"GET", "/api/v1/subjects/" + subject_id, "", ra_a.token});
  ASSERT_EQ(subj.status, 200) << subj.body;
  EXPECT_EQ(body_of(subj).at("name"), "李四");
  for (auto s : stamps) {
    auto t = call({"GET", "/api/v1/timestamps/" + std::to_string(s), "", ra_a.token});
    EXPECT_EQ(t.status, 200) << t.body;
  }
}

// The per-caller bucket is taken only after the credentials are verified: requests that fail
// authentication never touch it; over the burst a caller gets 429 with Retry-After (audited),
// while another caller is unaffected.
// Issue 19 through the router: 示例医院's enrollments and signing requests are 404 to every caller
// of 其他医院 (403 where the role lacks the permission), which can neither enroll 示例医院's staff
// nor send them requests; the webhook secrets of the two organizations differ.
TEST_P(ApiRouterTest, CosignRoutesAreScopedByOrganization) {
  const Key ra_a = key(Role::kRaOfficer, kOrgA);
  const Key his_a = key(Role::kIntegration, kOrgA);
  const json subject{
      {"kind", "staff"},
      {"subject", {{"name", "李四"}, {"org", kOrgA}, {"id_number", "11010519491231002X"}}}};
  auto created = call({"POST", "/api/v1/subjects", subject.dump(), ra_a.token});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto subject_id = body_of(created).at("id").get<std::int64_t>();
  auto enr =
      call({"POST", "/api/v1/enrollments", json{{"subject_id", subject_id}}.dump(), his_a.token});
  ASSERT_EQ(enr.status, 201) << enr.body;
  EXPECT_EQ(body_of(enr).at("code").get<std::string>().size(), 8u);
  const std::string enrollment = body_of(enr).at("id");
  const json req{{"signer", subject_id},
                 {"document", base64_encode(as_bytes("处方"))},
                 {"summary", {{"document_type", "处方"}}}};
  auto sr = call({"POST", "/api/v1/signing-requests", req.dump(), his_a.token});
  ASSERT_EQ(sr.status, 201) << sr.body;
  const std::string request = body_of(sr).at("id");
  EXPECT_EQ(call({"GET", "/api/v1/signing-requests/" + request, "", his_a.token}).status, 200);
  EXPECT_EQ(call({"GET", "/api/v1/enrollments/" + enrollment, "", ra_a.token}).status, 200);
  const std::string secret_a =
      body_of(call({"GET", "/api/v1/cosign/webhook-secret", "", his_a.token})).value("secret", "");
  for (Role role : {Role::kRaOfficer, Role::kIntegration, Role::kAuditor}) {
    const Key b = key(role, kOrgB);
    const std::string who = std::string(auth::to_string(role)) + " of " + kOrgB;
    auto expect = [&](Permission p) { return auth::role_has(role, p) ? 404 : 403; };
    EXPECT_EQ(call({"GET", "/api/v1/enrollments/" + enrollment, "", b.token}).status,
              expect(Permission::kCertRead))
        << who;
    for (const std::string& t : {"/api/v1/signing-requests/" + request,
                                 "/api/v1/signing-requests/" + request + "/deliveries"}) {
      EXPECT_EQ(call({"GET", t, "", b.token}).status, expect(Permission::kSign)) << who << t;
    }
    EXPECT_EQ(
        call({"POST", "/api/v1/enrollments", json{{"subject_id", subject_id}}.dump(), b.token})
            .status,
        expect(Permission::kCertIssue))
        << who;
    EXPECT_EQ(call({"POST", "/api/v1/signing-requests", req.dump(), b.token}).status,
              expect(Permission::kSign))
        << who;
    if (auth::role_has(role, Permission::kSign)) {
      const auto secret_b =
          body_of(call({"GET", "/api/v1/cosign/webhook-secret", "", b.token})).value("secret", "");
      EXPECT_FALSE(secret_b.empty());
      EXPECT_NE(secret_b, secret_a) << who;
    }
  }
  // The phone's routes need the device token.
  EXPECT_EQ(call({"GET", "/api/v1/m/requests", "", ""}).status, 404);  // not in this router
}

// Format pdf through the router (docs/cosign.md §3 "Format pdf"): the options are answered as
// given; a document that is not a PDF is a problem of type cosign/document-invalid; bad options
// name the field; nothing is created for a refused request.
TEST_P(ApiRouterTest, PdfSigningRequestsTakeOptionsAndRefuseNonPdfs) {
  const Key ra_a = key(Role::kRaOfficer, kOrgA);
  const Key his_a = key(Role::kIntegration, kOrgA);
  const json subject{
      {"kind", "staff"},
      {"subject", {{"name", "李四"}, {"org", kOrgA}, {"id_number", "11010519491231002X"}}}};
  auto created = call({"POST", "/api/v1/subjects", subject.dump(), ra_a.token});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto subject_id = body_of(created).at("id").get<std::int64_t>();
  const json options{{"page", 1},
                     {"rect", {{"x", 100}, {"y", 500}, {"w", 150}, {"h", 80}}},
                     {"reason", "主治医师签名"}};
  json req{{"signer", subject_id}, {"format", "pdf"},
           {"timestamp", true},    {"document", base64_encode(pdf::test::PdfBuilder(1).data)},
           {"pdf", options},       {"summary", {{"document_type", "出院小结"}}}};
  auto sr = call({"POST", "/api/v1/signing-requests", req.dump(), his_a.token});
  ASSERT_EQ(sr.status, 201) << sr.body;
  const json got =
      body_of(call({"GET", "/api/v1/signing-requests/" + body_of(sr).at("id").get<std::string>(),
                    "", his_a.token}));
  EXPECT_EQ(got.at("format"), "pdf");
  EXPECT_EQ(got.at("pdf").at("rect").at("w"), 150);
  EXPECT_EQ(got.at("pdf").at("reason"), "主治医师签名");

  json not_pdf = req;
  not_pdf["document"] = base64_encode(as_bytes("处方: 阿司匹林 100mg"));
  auto bad = call({"POST", "/api/v1/signing-requests", not_pdf.dump(), his_a.token});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(body_of(bad).value("type", "").find("cosign/document-invalid"), std::string::npos)
      << bad.body;
  json bad_rect = req;
  bad_rect["pdf"]["rect"]["w"] = -1;
  bad = call({"POST", "/api/v1/signing-requests", bad_rect.dump(), his_a.token});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(body_of(bad).value("detail", "").find("pdf.rect"), std::string::npos) << bad.body;
  json unknown = req;
  unknown["pdf"]["colour"] = "red";
  EXPECT_EQ(call({"POST", "/api/v1/signing-requests", unknown.dump(), his_a.token}).status, 400);
  json cms = req;
  cms["format"] = "cms";
  EXPECT_EQ(call({"POST", "/api/v1/signing-requests", cms.dump(), his_a.token}).status, 400);
}

TEST_P(ApiRouterTest, SealRoutesAreScopedByOrganization) {
  const Key ra_a = key(Role::kRaOfficer, kOrgA);
  const Key aud_a = key(Role::kAuditor, kOrgA);
  // A 4 x 4 PNG (seal/png.h checks it) and an RSA certificate allowed to use the seal (an RSA
  // seal is image + record: no maker key needed).
  const std::string png = base64_encode(
      hex_decode(
          "89504e470d0a1a0a0000000d4948445200000004000000040802000000269309290000001049444154"
          "789c63f8cfc000470cc47100ae930ff1d05f239e0000000049454e44ae426082")
          .value());
  auto issued = issue_csr("rsa");
  ASSERT_TRUE(issued) << issued.error().to_string();
  const json req{{"name", "示例医院电子公章"},
                 {"image", png},
                 {"width_mm", 42},
                 {"certificates", {pem_encode("CERTIFICATE", issued->der)}},
                 {"days", 30}};
  auto created = call({"POST", "/api/v1/seals", req.dump(), ra_a.token});
  ASSERT_EQ(created.status, 201) << created.body;
  const json seal = body_of(created);
  EXPECT_EQ(seal.at("organization"), kOrgA);
  EXPECT_EQ(seal.at("algorithm"), "rsa");
  EXPECT_EQ(seal.at("width_mm"), 42);
  EXPECT_EQ(seal.at("status"), "active");
  const std::string id = seal.at("id");
  auto shown = call({"GET", "/api/v1/seals/" + id, "", aud_a.token});
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(body_of(shown).at("image"), png);
  EXPECT_EQ(body_of(call({"GET", "/api/v1/seals", "", aud_a.token})).at("items").size(), 1u);
  // JSON numbers are type- and range-checked; a non-PNG image is refused; nothing is stored.
  for (const auto& [field, value] :
       std::vector<std::pair<std::string, json>>{{"width_mm", "42"},
                                                 {"width_mm", 1.5},
                                                 {"width_mm", 0},
                                                 {"width_mm", 501},
                                                 {"height_mm", true},
                                                 {"days", 4294967297LL},
                                                 {"image", base64_encode(as_bytes("GIF89a"))},
                                                 {"certificates", json::array()},
                                                 {"kind", "stamp"}}) {
    json bad = req;
    bad[field] = value;
    auto r = call({"POST", "/api/v1/seals", bad.dump(), ra_a.token});
    EXPECT_EQ(r.status, 400) << field << "=" << value.dump() << ": " << r.body;
    EXPECT_EQ(body_of(r).value("status", 0), 400) << field;  // an RFC 9457 problem
  }
  EXPECT_EQ(body_of(call({"GET", "/api/v1/seals", "", aud_a.token})).at("items").size(), 1u);
  // The auditor reads but may not create or revoke.
  EXPECT_EQ(call({"POST", "/api/v1/seals", req.dump(), aud_a.token}).status, 403);
  EXPECT_EQ(
      call({"POST", "/api/v1/seals/" + id + "/revoke", R"({"reason":"x"})", aud_a.token}).status,
      403);
  // Another organization: 404 where the role may act, 403 where it may not, empty listings;
  // creating for 示例医院 is 403.
  for (Role role : {Role::kRaOfficer, Role::kIntegration, Role::kAuditor}) {
    const Key b = key(role, kOrgB);
    const std::string who = std::string(auth::to_string(role)) + " of " + kOrgB;
    auto expect = [&](Permission p) { return auth::role_has(role, p) ? 404 : 403; };
    EXPECT_EQ(call({"GET", "/api/v1/seals/" + id, "", b.token}).status,
              expect(Permission::kCertRead))
        << who;
    EXPECT_EQ(
        call({"POST", "/api/v1/seals/" + id + "/revoke", R"({"reason":"x"})", b.token}).status,
        expect(Permission::kCertLifecycle))
        << who;
    if (auth::role_has(role, Permission::kCertRead)) {
      EXPECT_TRUE(body_of(call({"GET", "/api/v1/seals", "", b.token})).at("items").empty()) << who;
      const std::string of_a = "/api/v1/seals?org=%E7%A4%BA%E4%BE%8B%E5%8C%BB%E9%99%A2";
      EXPECT_TRUE(body_of(call({"GET", of_a, "", b.token})).at("items").empty()) << who;
    }
    json other = req;
    other["organization"] = kOrgA;
    EXPECT_EQ(call({"POST", "/api/v1/seals", other.dump(), b.token}).status, 403) << who;
  }
  // Revoked by its own organization's RA officer; twice is a conflict.
  auto rv = call({"POST", "/api/v1/seals/" + id + "/revoke", R"({"reason":"lost"})", ra_a.token});
  ASSERT_EQ(rv.status, 200) << rv.body;
  EXPECT_EQ(body_of(rv).at("status"), "revoked");
  EXPECT_EQ(
      call({"POST", "/api/v1/seals/" + id + "/revoke", R"({"reason":"lost"})", ra_a.token}).status,
      409);
}

TEST_P(ApiRouterTest, PerCallerRateLimitAfterAuthentication) {
  http::RateLimiter limiter(http::RateLimitOptions{.rate_per_second = 0.001, .burst = 2});
  ctx_.rate_limiter = &limiter;
  const Key k = key(Role::kAuditor);
  const Key other = key(Role::kAuditor);
  std::string wrong = k.token;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call({"GET", "/api/v1/cas", "", wrong}).status, 401);
    EXPECT_EQ(call({"GET", "/api/v1/cas"}).status, 401);
  }
  EXPECT_EQ(call({"GET", "/api/v1/cas", "", k.token}).status, 200);
  EXPECT_EQ(call({"GET", "/api/v1/profiles", "", k.token}).status, 200);
  const auto limited = call({"GET", "/api/v1/cas", "", k.token});
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_TRUE(limited.header("Retry-After").has_value());
  EXPECT_EQ(call({"GET", "/api/v1/cas", "", other.token}).status, 200);
  ctx_.rate_limiter = nullptr;
  bool audited = false;
  for (const auto& e : audit_entries()) {
    audited |= e.actor == k.actor && e.outcome == audit::outcome::kFailure &&
               e.details.find("429") != std::string::npos;
  }
  EXPECT_TRUE(audited);
}

// Operators authenticate with a registered client certificate (auth/credentials.h) whose chain
// the TLS layer verified; an Authorization header, when present, is what counts.
TEST_P(ApiRouterTest, OperatorClientCertificates) {
  for (auto family : {store::CaFamily::kSm2, store::CaFamily::kRsa}) {
    ca::IssueRequest req;
    req.requester = test::admin();
    req.profile = "operator";
    req.family = family;
    req.keygen = ca::KeygenOptions{
        .spec = crypto::parse_key_spec(family == store::CaFamily::kSm2 ? "sm2" : "p256").value(),
        .passphrase = SecretBytes(std::string_view("operator-pass"))};
    req.subject.data.organization = kOrgA;
    req.subject.data.common_name = "operator-" + std::string(store::to_string(family));
    auto issued = rt_->ca().issue(req);
    ASSERT_TRUE(issued) << issued.error().to_string();
    const auto cert = x509::Certificate::parse(issued->der).value();
    const std::vector<Bytes> chain = {issued->der};
    EXPECT_EQ(call({"GET", "/api/v1/cas", "", "", {}, chain}).status, 401);
    auto id = auth::register_operator(auth_ctx(), *cert, Role::kAuditor, std::nullopt, "cli:test");
    ASSERT_TRUE(id) << id.error().to_string();
    EXPECT_EQ(call({"GET", "/api/v1/cas", "", "", {}, chain}).status, 200);
    EXPECT_EQ(call({"GET", "/api/v1/audit", "", "", {}, chain}).status, 200);
    EXPECT_EQ(call({"POST", "/api/v1/subjects", "{}", "", {}, chain}).status, 403);
    EXPECT_EQ(call({"GET", "/api/v1/cas", "", "hpki_0123456789abcdef_x", {}, chain}).status, 401);
    bool audited = false;
    for (const auto& e : audit_entries()) audited |= e.actor == "operator:" + *id;
    EXPECT_TRUE(audited);
    ASSERT_TRUE(auth::revoke_credential(auth_ctx(), *id, "cli:test"));
    EXPECT_EQ(call({"GET", "/api/v1/cas", "", "", {}, chain}).status, 401);
  }
}

// Integer request parameters have one strict parser (api/request.h): query parameters are 400
// outside their range or in any other spelling; numeric path ids are 404 (they name nothing).
TEST_P(ApiRouterTest, IntegerParametersHaveOneStrictParser) {
  const Key admin = key(Role::kAdmin);
  for (const std::string v : {"0", "1001", "-1", "-0", "", "1e3", "%207", "%2B7", "0x10", "7%20",
                              "99999999999999999999", "1.0"}) {
    for (const std::string route : {"/api/v1/certificates", "/api/v1/subjects"}) {
      const auto r = call({"GET", route + "?limit=" + v, "", admin.token});
      EXPECT_EQ(r.status, 400) << route << " limit=" << v << ": " << r.body;
    }
  }
  for (const std::string v : {"1", "1000"}) {
    EXPECT_EQ(call({"GET", "/api/v1/certificates?limit=" + v, "", admin.token}).status, 200) << v;
  }
  EXPECT_EQ(call({"GET", "/api/v1/certificates?offset=-1", "", admin.token}).status, 400);
  EXPECT_EQ(call({"GET", "/api/v1/certificates?expiring_within=36501", "", admin.token}).status,
            400);
  EXPECT_EQ(call({"GET", "/api/v1/certificates?expiring_within=36500", "", admin.token}).status,
            200);
  EXPECT_EQ(call({"GET", "/api/v1/audit?from=0", "", admin.token}).status, 400);
  for (const std::string v : {"-1", "%2B1", "1x", "0x1", "1234567890123456789", "%201"}) {
    auto s = call({"GET", "/api/v1/subjects/" + v, "", admin.token});
    EXPECT_EQ(s.status, 404) << v << ": " << s.body;
    auto t = call({"GET", "/api/v1/timestamps/" + v, "", admin.token});
    EXPECT_EQ(t.status, 404) << v << ": " << t.body;
  }
  const auto stamp = timestamp(crypto::HashAlg::kSm3, "");
  const std::string padded =
      std::string(18 - std::to_string(stamp).size(), '0') + std::to_string(stamp);
  EXPECT_EQ(call({"GET", "/api/v1/timestamps/" + padded, "", admin.token}).status, 200) << padded;
  EXPECT_EQ(call({"GET", "/api/v1/timestamps/0" + padded, "", admin.token}).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiRouterTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::api
