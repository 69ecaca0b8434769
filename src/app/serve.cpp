// `hpki serve`: wires the CA runtime, the REST API routes and the HTTP server together and
// runs until SIGTERM / SIGINT (graceful: in-flight requests finish).
#include "app/serve.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <thread>

#include "api/cosign_pdf.h"
#include "api/cosign_routes.h"
#include "api/crl_routes.h"
#include "api/ocsp_routes.h"
#include "api/openapi.h"
#include "api/public_routes.h"
#include "api/routes.h"
#include "api/runtime_metrics.h"
#include "api/tsa_routes.h"
#include "auth/credentials.h"
#include "cli/common.h"
#include "core/log.h"
#include "core/pem.h"
#include "core/random.h"
#include "cosign/service.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "evidence/exporter.h"
#include "http/client.h"
#include "http/server.h"
#include "http/worker_pool.h"
#include "revocation/crl_publisher.h"
#include "revocation/ocsp_responder.h"
#include "tsa/tsa_service.h"

namespace hpki::app {
namespace {

struct ServeArgs {
  std::string role = "all";
  std::string api_listen;
  std::string http_listen;
  std::size_t threads = 2;
  std::size_t workers = 4;
  int checkpoint_minutes = 10;
};

// The API's TLS server certificate: issued once by the RSA (else first) issuing CA from the
// `device` profile for localhost / 127.0.0.1 (the `ssl-server` profile applies the CA/B Forum
// rules, which forbid internal names). Kept in <home>/tls/.
Result<http::TlsConfig> ensure_tls(ca::Runtime& rt, std::ostream& err) {
  const auto dir = rt.config().home / "tls";
  const auto chain_file = dir / "api-chain.pem";
  const crypto::KeyRef key_ref{"file:api-tls"};
  if (!std::filesystem::exists(chain_file)) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!rt.file_keys().public_key(key_ref)) {
      HPKI_TRY(rt.file_keys().generate({crypto::KeyType::kRsa, 2048}, "api-tls"));
    }
    auto cas = HPKI_TRY(rt.ca().list_cas());
    std::optional<store::CaFamily> family;
    for (const auto& c : cas) {
      if (c.role == store::CaRole::kIssuing && (!family || c.family == store::CaFamily::kRsa))
        family = c.family;
    }
    if (!family)
      return fail(ErrorCode::kBadState, "no issuing CA to issue the API's TLS certificate");
    ca::IssueRequest r;
    r.profile = "device";
    r.family = *family;
    r.internal_spki = HPKI_TRY(rt.file_keys().public_key(key_ref));
    r.subject.data.common_name = "localhost";
    r.subject.data.organization = rt.config().ca.organization;
    r.subject.data.dns_names = {"localhost"};
    r.subject.data.ip_addresses = {"127.0.0.1", "::1"};
    r.requester = {"hpki-serve", std::string(ca::kAdminRole)};
    auto issued = HPKI_TRY(rt.ca().issue(r));
    std::string pem = pem_encode("CERTIFICATE", issued.der);
    for (std::size_t i = 0; i + 1 < issued.chain.size(); ++i)
      pem += pem_encode("CERTIFICATE", issued.chain[i]);
    std::ofstream(chain_file) << pem;
    std::ofstream(dir / "ca.pem") << pem_encode("CERTIFICATE", issued.chain.back());
    err << "hpki: issued the API's TLS certificate (" << issued.serial.hex() << "); clients trust "
        << (dir / "ca.pem").string() << "\n";
  }
  http::TlsConfig tls;
  std::ifstream in(chain_file);
  tls.cert_chain_pem.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  auto key = HPKI_TRY(rt.file_keys().load(key_ref));
  auto der = HPKI_TRY(key.to_pkcs8_der());
  tls.private_key_pem = pem_encode("PRIVATE KEY", der.view());
  // Client certificates are requested (not required) and verified against hpki's CAs.
  tls.request_client_cert = true;
  for (const auto& c : HPKI_TRY(rt.ca().list_cas())) {
    if (c.role == store::CaRole::kRoot || c.role == store::CaRole::kIssuing)
      tls.trusted_client_ca_der.push_back(c.certificate);
  }
  return tls;
}

// [server] limits per client address: the connection cap and the rate limit before
// authentication (the per-caller limit after it is ApiContext::rate_limiter).
void set_client_limits(http::ServerOptions& o, const RawConfig::Server& s) {
  o.max_connections_per_ip = static_cast<std::size_t>(s.max_connections_per_ip);
  if (s.ip_rate_limit_per_second > 0) {
    o.ip_rate_limit =
        http::RateLimitOptions{.rate_per_second = static_cast<double>(s.ip_rate_limit_per_second),
                               .burst = static_cast<double>(s.ip_rate_limit_burst)};
  }
}

// The OCSP responder over the runtime's database, with one signer per delegated responder
// certificate (`<family>-ocsp`, created by `hpki ca init`).
Result<std::unique_ptr<revocation::OcspResponder>> make_responder(ca::Runtime& rt,
                                                                  std::size_t sign_threads) {
  revocation::OcspResponderSettings s;
  s.validity = std::chrono::seconds(rt.config().ocsp.validity_seconds);
  s.refresh_after = std::chrono::seconds(rt.config().ocsp.refresh_after_seconds);
  s.max_on_demand = static_cast<std::size_t>(rt.config().ocsp.max_on_demand);
  // Bulk pre-signing is CPU-bound: more threads than cores only add thread start-ups (the
  // background presigner signs batches of status changes this way).
  s.sign_threads =
      std::clamp<std::size_t>(sign_threads, 1, std::max(1u, std::thread::hardware_concurrency()));
  s.batcher = &rt.ca().batcher();
  auto r = std::make_unique<revocation::OcspResponder>(
      rt.store(), rt.clock(),
      [&rt](const store::CaRecord& ocsp) { return rt.ca().ca_signer(ocsp); }, s);
  HPKI_TRY(r->load());
  return r;
}

// `--role ocsp`: the responder alone on the plain listener (with /healthz /readyz /metrics), and
// the published CRLs (/crl/...) from the database.
// When the database goes away it keeps answering from memory; /readyz says so (503).
Result<int> serve_ocsp(cli::Context& ctx, const ServeArgs& a, sigset_t set) {
  auto rt = HPKI_TRY(cli::open_runtime(ctx));
  const auto& cfg = rt->config();
  auto lvl = HPKI_TRY(log::parse_level(cfg.base.log.level));
  log::init(lvl, cfg.base.log.format == "json" ? log::Format::kJson : log::Format::kText);
  ListenAddress http_addr = cfg.base.server.http_listen;
  if (!a.http_listen.empty()) http_addr = HPKI_TRY(parse_listen_address(a.http_listen));
  auto metrics = std::make_shared<http::MetricsRegistry>();
  auto responder = HPKI_TRY(make_responder(*rt, a.workers));
  api::publish_ocsp_metrics(*responder, *metrics);
  auto router = std::make_shared<http::Router>();
  api::add_ocsp_routes(*router, *responder, metrics, rt->clock());
  // CRLs as published by the CA node (this node never generates them): read from the database
  // and cached, so they stay available while the database is down. The cache is warmed here.
  auto crls = cli::make_crl_publisher(*rt);
  if (auto scopes = crls->scopes()) {
    for (const auto& scope : *scopes) {
      for (bool delta : {false, true}) (void)crls->latest(revocation::crl_name(scope, delta));
    }
  }
  api::add_crl_routes(*router, *crls, rt->clock(), metrics.get());
  http::add_operational_routes(*router, metrics);
  router->add(
      "GET", "/readyz",
      [&responder](const http::Request&) {
        auto h = responder->health();
        if (!h.database_ok) {
          return http::Response::text(
              503, "degraded: database unavailable (" + h.reason +
                       "); answering from the pre-signed cache: " + std::to_string(h.responses) +
                       " responses, " + std::to_string(h.expired) + " expired\n");
        }
        return http::Response::text(200, "ready\n");
      },
      http::RouteOptions{.public_route = true,
                         .rate_limited = false,
                         .max_body_bytes = 0,
                         .summary = "Readiness"});
  http::ServerOptions o;
  o.io_threads = a.threads;
  o.worker_threads = a.workers;
  o.max_body_bytes = cfg.base.server.max_body_bytes;
  set_client_limits(o, cfg.base.server);
  o.metrics = metrics;
  std::vector<http::ListenerConfig> listeners;
  listeners.push_back({.name = "http",
                       .address = http_addr,
                       .router = router,
                       .tls = std::nullopt,
                       .problem_json = false});
  auto server = HPKI_TRY(http::Server::start(o, listeners));
  responder->start(std::chrono::seconds(cfg.ocsp.sync_seconds),
                   [&] { api::publish_ocsp_metrics(*responder, *metrics); });
  ctx.out << "hpki OCSP responder for " << cfg.home.string() << "\n"
          << "  HTTP http://" << ListenAddress{http_addr.host, server->port(0)}.to_string()
          << "/ocsp\n"
          << std::flush;
  log::info("ocsp responder listening: http {}", server->port(0));
  int sig = 0;
  sigwait(&set, &sig);
  log::info("signal {}: shutting down", sig);
  server->stop();
  responder->stop();
  return cli::kExitOk;
}

// The RFC 3161 TSA from the [tsa] settings, signing with the CA service's key access.
// The built web front ends (m/, qr/): $HPKI_WEB_DIR, else the build's (CMake HPKI_WEB_DIR).
std::filesystem::path web_dir() {
  if (const char* env = std::getenv("HPKI_WEB_DIR"); env != nullptr && *env != '\0') return env;
  return HPKI_WEB_DIR;
}

// Mobile co-signing's settings: the WebAuthn origin and RP ID are base_url's (a phone must
// reach hpki under that name; docs/cosign.md).
cosign::Config cosign_config(const ca::HomeConfig& cfg) {
  cosign::Config c;
  c.base_url = cfg.cosign.base_url.empty() ? cfg.ca.base_url : cfg.cosign.base_url;
  c.notify_url = cfg.cosign.notify_url;
  c.callback_prefixes = cfg.cosign.callback_prefixes;
  c.max_pin_failures = cfg.cosign.max_pin_failures;
  c.decrypt_per_hour = cfg.cosign.decrypt_per_hour;
  c.reenroll_revokes = cfg.cosign.reenroll == "revoke";
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  std::string host = c.base_url.substr(
      c.base_url.find("://") == std::string::npos ? 0 : c.base_url.find("://") + 3);
  host = host.substr(0, host.find('/'));
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  c.rp_id = host;
  return c;
}

cosign::Deps cosign_deps(ca::Runtime& rt, const tsa::TsaService* tsa) {
  static crypto::SystemRandom random;
  cosign::Deps d;
  d.store = &rt.store();
  d.ca = &rt.ca();
  d.audit = &rt.audit();
  d.sealer = &rt.cosign_sealer();
  d.tsa = tsa;
  d.clock = &rt.clock();
  d.random = &random;
  // Webhooks: one POST per attempt on the service's delivery thread.
  d.webhook = [](const std::string& url, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers) {
    http::ClientOptions o;
    o.timeout = std::chrono::seconds(10);
    o.max_body_bytes = 64 * 1024;
    for (const auto& h : headers) {
      if (h.first != "Content-Type") o.headers.push_back(h);
    }
    auto r =
        http::post(url, "application/json",
                   BytesView(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()), o);
    if (!r) return cosign::WebhookResult{0, r.error().detail()};
    return cosign::WebhookResult{r->status, std::to_string(r->status)};
  };
  // Format pdf: the PDF module's steps (pdf/ is above cosign/; docs/cosign.md §3).
  d.pdf = api::cosign_pdf_steps();
  return d;
}

Result<int> serve(cli::Context& ctx, const ServeArgs& a) {
  if (a.role != "all" && a.role != "api" && a.role != "ocsp" && a.role != "tsa") {
    return fail(ErrorCode::kUnsupported,
                "role '" + a.role + "' is not available (all, api, ocsp, tsa)");
  }
  if (a.role == "ocsp") {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return serve_ocsp(ctx, a, set);
  }
  auto rt = HPKI_TRY(cli::open_runtime(ctx));
  const auto& cfg = rt->config();
  auto lvl = HPKI_TRY(log::parse_level(cfg.base.log.level));
  log::init(lvl, cfg.base.log.format == "json" ? log::Format::kJson : log::Format::kText);
  ListenAddress api_addr = cfg.base.server.api_listen;
  ListenAddress http_addr = cfg.base.server.http_listen;
  if (!a.api_listen.empty()) api_addr = HPKI_TRY(parse_listen_address(a.api_listen));
  if (!a.http_listen.empty()) http_addr = HPKI_TRY(parse_listen_address(a.http_listen));

  auto pepper = HPKI_TRY(auth::load_or_create_pepper(auth::pepper_path(cfg.keys_dir)));
  auto metrics = std::make_shared<http::MetricsRegistry>();
  std::unique_ptr<tsa::TsaService> tsa_service;
  if (auto t = cli::make_tsa(*rt)) {
    tsa_service = std::move(*t);
  } else if (a.role == "tsa") {
    return fail(t.error().with_context("TSA"));
  } else {
    log::warn("TSA not available: {}", t.error().to_string());
  }
  auth::CredentialCache credentials(
      std::chrono::milliseconds(rt->config().base.server.credential_cache_ms));
  const crypto::SignatureCache signatures;  // for /api/v1/verify
  http::RateLimiter caller_limits(http::RateLimitOptions{
      .rate_per_second = static_cast<double>(cfg.base.server.rate_limit_per_second),
      .burst = static_cast<double>(cfg.base.server.rate_limit_burst)});
  api::ApiContext actx{rt.get(),     &pepper,     metrics.get(), tsa_service.get(),
                       &credentials, &signatures, &caller_limits};
  api::add_runtime_metrics(actx);

  // Mobile co-signing (issue 19): not on a TSA node.
  std::unique_ptr<cosign::Service> cosign_service;
  if (a.role != "tsa") {
    cosign_service =
        std::make_unique<cosign::Service>(cosign_config(cfg), cosign_deps(*rt, tsa_service.get()));
    actx.cosign = cosign_service.get();
  }

  // CRLs (issue 6): published on schedule and after each revocation, hold or release; served
  // from the database on both listeners (not by a TSA node).
  std::unique_ptr<revocation::CrlPublisher> crls;
  if (a.role != "tsa") {
    crls = cli::make_crl_publisher(*rt);
    api::observe_crl_metrics(*crls, *metrics);
    actx.crls = crls.get();
  }
  auto http_router = std::make_shared<http::Router>();
  if (a.role != "tsa") api::add_public_routes(*http_router, actx);
  // The phone app and its API on the plain listener too: a phone browser trusts the hospital's
  // TLS front (base_url), and http://localhost is a secure context for WebAuthn in tests.
  api::add_cosign_phone_routes(*http_router, actx, web_dir());
  if (crls) api::add_crl_routes(*http_router, *crls, rt->clock(), metrics.get());
  api::add_tsa_routes(*http_router, actx);
  http::add_operational_routes(*http_router, metrics);
  // The OCSP responder (role all): re-signs as soon as the CA commits a status change.
  std::unique_ptr<revocation::OcspResponder> responder;
  if (a.role == "all") {
    responder = HPKI_TRY(make_responder(*rt, a.workers));
    api::add_ocsp_routes(*http_router, *responder, metrics, rt->clock());
    api::publish_ocsp_metrics(*responder, *metrics);
  }
  // Committed status changes: the responder re-signs, the CRL publisher republishes.
  rt->ca().set_status_listener([r = responder.get(), p = crls.get()](const ca::StatusChange& c) {
    if (r) r->on_status_change(c.ca_id, c.serial);
    if (p) p->on_status_change(c.ca_id, c.serial, c.action);
  });
  std::shared_ptr<http::Router> api_router;
  std::optional<http::TlsConfig> tls;
  if (a.role != "tsa") {
    tls = HPKI_TRY(ensure_tls(*rt, ctx.err));
    api_router = std::make_shared<http::Router>();
    api::add_api_routes(*api_router, actx);
    api::add_public_routes(*api_router, actx);
    api::add_cosign_phone_routes(*api_router, actx, web_dir());
    if (crls) api::add_crl_routes(*api_router, *crls, rt->clock(), metrics.get());
    api::add_tsa_routes(*api_router, actx);
    http::add_operational_routes(*api_router, metrics);
  }

  http::ServerOptions o;
  o.io_threads = a.threads;
  o.worker_threads = a.workers;
  o.max_body_bytes = cfg.base.server.max_body_bytes;
  set_client_limits(o, cfg.base.server);
  o.metrics = metrics;
  std::vector<http::ListenerConfig> listeners;
  if (api_router) {
    listeners.push_back({.name = "api",
                         .address = api_addr,
                         .router = api_router,
                         .tls = tls,
                         .problem_json = true});
  }
  listeners.push_back({.name = "http",
                       .address = http_addr,
                       .router = http_router,
                       .tls = std::nullopt,
                       .problem_json = false});

  // Signals are taken by sigwait() below: block them before any server thread starts.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // The issuance pipeline's tasks (CaService::issue_async): none of them ever waits for a
  // commit, so one thread per core unless [server] issuance_threads says otherwise.
  const auto issuance_threads =
      rt->config().base.server.issuance_threads > 0
          ? static_cast<std::size_t>(rt->config().base.server.issuance_threads)
          : std::size_t{std::max(1u, std::thread::hardware_concurrency())};
  http::WorkerPool issuance_pool(issuance_threads, std::numeric_limits<std::size_t>::max(),
                                 "hpki-issue");
  rt->ca().set_executor([&issuance_pool](std::function<void()> task) {
    auto t = std::make_shared<std::function<void()>>(std::move(task));
    if (!issuance_pool.submit([t] { (*t)(); })) (*t)();  // stopped: run it here
  });
  auto server = HPKI_TRY(http::Server::start(o, listeners));
  const std::size_t http_index = api_router ? 1 : 0;
  ctx.out << "hpki serving " << cfg.home.string() << " (role " << a.role << ")\n";
  if (api_router) {
    ctx.out << "  API  https://" << ListenAddress{api_addr.host, server->port(0)}.to_string()
            << "/api/v1/\n";
  }
  ctx.out << "  HTTP http://" << ListenAddress{http_addr.host, server->port(http_index)}.to_string()
          << "/\n";
  if (tsa_service) {
    ctx.out << "  TSA  http://"
            << ListenAddress{http_addr.host, server->port(http_index)}.to_string() << "/tsa\n";
  }
  ctx.out << std::flush;
  log::info("listening: http {}", server->port(http_index));
  if (crls) crls->start();
  if (responder) {
    responder->start(std::chrono::seconds(cfg.ocsp.sync_seconds),
                     [&] { api::publish_ocsp_metrics(*responder, *metrics); });
  }
  // Audit checkpoints: every `checkpoint_minutes` and at shutdown, so the unprotected tail of the
  // log (entries after the newest signed checkpoint) stays short.
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  auto checkpoint = [&rt] {
    auto signer = rt->file_keys().signer(crypto::to_key_ref(ca::audit_key_id()));
    if (!signer) return log::error("audit checkpoint: {}", signer.error().to_string());
    auto c = rt->audit().checkpoint(rt->store(), **signer, ca::audit_key_id());
    if (!c) return log::error("audit checkpoint: {}", c.error().to_string());
    log::debug("audit checkpoint at entry {}", c->seq);
  };
  std::thread checkpointer([&] {
    std::unique_lock lock(mu);
    while (
        !cv.wait_for(lock, std::chrono::minutes(a.checkpoint_minutes), [&] { return stopping; })) {
      lock.unlock();
      checkpoint();
      lock.lock();
    }
  });
  // Evidence packages (issue 21): re-time-stamped before their newest timestamp's TSA
  // certificate expires ([evidence]); every node may run it (a package renewed by another node
  // meanwhile is skipped).
  std::mutex renew_mu;
  std::condition_variable renew_cv;
  bool renew_stopping = false;
  std::thread renewer;
  if (tsa_service && crls) {
    renewer = std::thread([&] {
      evidence::Exporter ex({.runtime = rt.get(),
                             .tsa = tsa_service.get(),
                             .crls = crls.get(),
                             .policy = evidence::renewal_policy(cfg.evidence)});
      std::unique_lock lock(renew_mu);
      do {
        lock.unlock();
        // A backlog is worked off in rounds of 16 (the oldest timestamps first).
        for (int round = 0; round < 1000; ++round) {
          auto n = ex.renew_due(16);
          if (!n) {
            log::error("evidence renewal: {}", n.error().to_string());
            break;
          }
          if (*n > 0) log::info("evidence renewal: {} package(s) re-time-stamped", *n);
          if (*n < 16) break;
          std::lock_guard stop(renew_mu);
          if (renew_stopping) break;
        }
        lock.lock();
      } while (!renew_cv.wait_for(lock, std::chrono::seconds(cfg.evidence.check_interval_seconds),
                                  [&] { return renew_stopping; }));
    });
  }
  int sig = 0;
  sigwait(&set, &sig);
  log::info("signal {}: shutting down (in-flight requests finish)", sig);
  // Open event streams of phones are answered now (they reconnect elsewhere).
  if (cosign_service) cosign_service->stop();
  server->stop();
  if (renewer.joinable()) {
    {
      std::lock_guard lock(renew_mu);
      renew_stopping = true;
    }
    renew_cv.notify_all();
    renewer.join();
  }
  // After the server's drain (in-flight timestamp requests were answered by the running TSA),
  // before the server is destroyed (a late answer is posted to its I/O contexts).
  if (tsa_service) tsa_service->stop();
  // Issuances still in the pipeline (only if the grace period ran out) finish before the server
  // goes: the pool runs what is queued, later steps run where they are posted, and drain_async
  // waits until every one has answered (answers to closed connections are dropped).
  issuance_pool.stop();
  rt->ca().drain_async();
  rt->ca().set_executor({});
  if (responder) responder->stop();
  if (crls) crls->stop();
  rt->ca().set_status_listener({});
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  cv.notify_all();
  checkpointer.join();
  checkpoint();
  return cli::kExitOk;
}

}  // namespace

void add_serve_command(CLI::App& app, cli::Context& ctx) {
  auto* doc = app.add_subcommand("openapi", "print the OpenAPI 3.1 document of the REST API");
  doc->callback([&ctx] { ctx.out << api::openapi_json(); });

  auto a = std::make_shared<ServeArgs>();
  auto* cmd =
      app.add_subcommand("serve", "run the network service (REST API, CA certificates, CRLs)");
  cmd->add_option(
      "--role", a->role,
      "all | api | ocsp | tsa (ocsp: the OCSP responder alone; tsa: /tsa alone; both on the "
      "plain HTTP listener with /healthz, /metrics)");
  cmd->add_option("--api-listen", a->api_listen,
                  "HTTPS API listener ADDR:PORT (default from hpki.toml, 127.0.0.1:8443)");
  cmd->add_option("--http-listen", a->http_listen,
                  "plain HTTP listener ADDR:PORT (default 127.0.0.1:8080)");
  cmd->add_option("--threads", a->threads, "I/O threads (default 2)");
  cmd->add_option("--workers", a->workers,
                  "worker threads for the synchronous routes (default 4; issuance runs on "
                  "[server] issuance_threads, the TSA on its own threads)");
  cmd->callback(
      [&ctx, a] { cli::run_command(ctx, [&]() -> Result<int> { return serve(ctx, *a); }); });
}

}  // namespace hpki::app
