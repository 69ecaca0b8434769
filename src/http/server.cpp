#include "http/server.h"

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include <fstream>
#include <future>
#include <random>
#include <sstream>

#include "core/log.h"
#include "core/thread.h"
#include "http/detail/core.h"
#include "http/detail/session.h"
#include "http/problem.h"

namespace hpki::http {

namespace detail {

namespace {

// Runs `fn`; an exception escaping it is logged (never sent to the client) and gives false.
template <class Fn>
bool run_logged(std::string_view what, std::string_view method, std::string_view route,
                std::string_view request_id, Fn&& fn) {
  try {
    fn();
    return true;
  } catch (const std::exception& e) {
    log::error("http {} for {} {} threw: {} (request_id={})", what, method, route, e.what(),
               request_id);
  } catch (...) {
    log::error("http {} for {} {} threw (request_id={})", what, method, route, request_id);
  }
  return false;
}

Response handler_threw() { return problem_for(Error{ErrorCode::kInternal, "handler threw"}); }

}  // namespace

Response run_handler(const Handler& handler, const Request& request) {
  Response r;
  if (run_logged("handler", request.method, request.route, request.request_id,
                 [&] { r = handler(request); })) {
    return r;
  }
  return handler_threw();
}

std::optional<Response> run_inline(const InlineHandler& fast, const Request& request) {
  std::optional<Response> r;
  run_logged("fast path", request.method, request.route, request.request_id,
             [&] { r = fast(request); });
  return r;  // nullopt after a throw: the worker handler answers
}

void run_async(const AsyncHandler& handler, Request request, Reply reply) {
  // Called at most once, whoever calls it: the handler, or this function after a throw.
  auto once = std::make_shared<std::atomic<bool>>(false);
  Reply guarded = [once, reply](Response r) {
    if (!once->exchange(true)) reply(std::move(r));
  };
  const std::string method = request.method, route = request.route, id = request.request_id;
  if (!run_logged("async handler", method, route, id,
                  [&] { handler(std::move(request), guarded); })) {
    guarded(handler_threw());
  }
}

Client client_of(const Socket& socket) {
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return Client{.peer = "unknown", .key = "unknown", .slot = std::nullopt};
  const std::string address = ep.address().to_string();
  return Client{.peer = ep.address().is_v6() ? fmt::format("[{}]:{}", address, ep.port())
                                             : fmt::format("{}:{}", address, ep.port()),
                .key = client_address_key(address),
                .slot = std::nullopt};
}

namespace {

void do_accept(ListenerState& listener, Server::Core& core) {
  listener.acceptor->async_accept(
      core.next_context(), [&listener, &core](beast::error_code ec, Socket socket) {
        if (ec == net::error::operation_aborted || core.stopping.load() ||
            !listener.acceptor->is_open()) {
          return;
        }
        if (!ec) {
          Client client = client_of(socket);
          client.slot = core.connections.acquire(client.key);
          if (!client.slot) {
            // Over the per-address cap: closed before any read or TLS handshake.
            listener.refused_connections->inc();
            log::debug("http {}: connection from {} refused: {} connections open from {}",
                       listener.config.name, client.peer, core.options.max_connections_per_ip,
                       client.key);
            boost::system::error_code ignored;
            socket.close(ignored);
          } else if (listener.tls) {
            start_tls_session(std::move(socket), std::move(client), listener, core);
          } else {
            start_plain_session(std::move(socket), std::move(client), listener, core);
          }
        } else {
          log::warn("http {}: accept failed: {}", listener.config.name, ec.message());
        }
        do_accept(listener, core);
      });
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// The method label of http_requests_total: clients choose the method token, so only the
// methods of RFC 9110 9.3 and PATCH (RFC 5789) get a series of their own.
std::string_view method_label(std::string_view method) {
  static constexpr std::string_view kKnown[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  if (method == "-") return method;  // no request line was read
  for (std::string_view m : kKnown) {
    if (method == m) return m;
  }
  return "other";
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, "cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) return fail(ErrorCode::kIo, "cannot read " + path);
  std::string text = ss.str();
  if (text.size() > 1024 * 1024) return fail(ErrorCode::kTooLarge, path + " exceeds 1 MiB");
  return text;
}

}  // namespace
}  // namespace detail

using detail::net::ip::tcp;

Server::Core::Core(ServerOptions opts)
    : options(std::move(opts)), connections(options.max_connections_per_ip) {
  for (std::size_t i = 0; i < std::max<std::size_t>(options.io_threads, 1); ++i) {
    contexts.push_back(std::make_unique<detail::net::io_context>(1));
  }
  metrics = options.metrics ? options.metrics : std::make_shared<MetricsRegistry>();
  if (options.ip_rate_limit) ip_limiter = std::make_unique<RateLimiter>(*options.ip_rate_limit);
  queue_depth_gauge =
      &metrics->gauge("http_worker_queue_depth", "Requests waiting for a worker thread");
  busy_workers_gauge = &metrics->gauge("http_workers_busy", "Worker threads running a handler");
  connections_gauge = &metrics->gauge("http_connections_open", "Open HTTP connections");
  std::random_device rd;
  request_id_prefix = fmt::format("{:08x}", rd());
}

detail::net::io_context& Server::Core::next_context() {
  return *contexts[next_context_index.fetch_add(1, std::memory_order_relaxed) % contexts.size()];
}

Response Server::Core::error_response(const detail::ListenerState& listener, int status,
                                      std::string_view type_suffix, std::string_view title,
                                      std::string_view detail) const {
  if (listener.config.problem_json) return problem(status, type_suffix, title, detail);
  return Response::text(status, fmt::format("{} {}: {}\n", status, title, detail));
}

std::string Server::Core::request_id(std::optional<std::string_view> from_client) {
  if (from_client && detail::valid_request_id(*from_client)) return std::string(*from_client);
  return fmt::format("{}-{:x}", request_id_prefix, ++request_seq);
}

void Server::Core::record(const detail::ListenerState& listener, detail::SeriesCache& cache,
                          std::string_view route, std::string_view method, int status,
                          std::chrono::steady_clock::duration took, std::string_view request_id,
                          std::string_view peer) {
  double seconds = std::chrono::duration<double>(took).count();
  const std::string_view raw_method = method;
  method = detail::method_label(raw_method);
  if (cache.requests == nullptr || cache.status != status || cache.route != route ||
      cache.method != method) {
    if (cache.latency == nullptr || cache.route != route) {
      cache.latency = &metrics->histogram("http_request_duration_seconds",
                                          "HTTP request latency (read to written)",
                                          {{"route", std::string(route)}});
    }
    cache.requests = &metrics->counter("http_requests_total", "HTTP requests answered",
                                       {{"route", std::string(route)},
                                        {"method", std::string(method)},
                                        {"status", std::to_string(status)}});
    cache.route.assign(route);
    cache.method.assign(method);
    cache.status = status;
  }
  cache.requests->inc();
  cache.latency->observe(seconds);
  log::info(
      "http access listener={} method={} route={} status={} duration_ms={:.3f} "
      "request_id={} peer={}",
      listener.config.name, raw_method, route, status, seconds * 1000.0, request_id, peer);
}

bool Server::Core::register_session(const std::shared_ptr<detail::SessionBase>& session) {
  std::lock_guard lock(mutex);
  if (stopping.load()) return false;
  sessions.emplace(session.get(), session);
  connections_gauge->set(static_cast<double>(sessions.size()));
  return true;
}

void Server::Core::unregister_session(detail::SessionBase* session) {
  {
    std::lock_guard lock(mutex);
    sessions.erase(session);
    connections_gauge->set(static_cast<double>(sessions.size()));
  }
  cv.notify_all();
}

void Server::Core::update_queue_gauges() {
  if (!workers) return;
  queue_depth_gauge->set(static_cast<double>(workers->queue_depth()));
  busy_workers_gauge->set(static_cast<double>(workers->busy()));
}

Result<TlsConfig> tls_config_from_files(const std::string& chain_path,
                                        const std::string& key_path) {
  TlsConfig c;
  c.cert_chain_pem = HPKI_TRY(detail::read_text_file(chain_path));
  c.private_key_pem = HPKI_TRY(detail::read_text_file(key_path));
  return c;
}

void add_operational_routes(Router& router, std::shared_ptr<MetricsRegistry> metrics) {
  RouteOptions ops;
  ops.public_route = true;
  ops.rate_limited = false;
  ops.summary = "Liveness probe";
  router.add(
      "GET", "/healthz", [](const Request&) { return Response::text(200, "ok\n"); }, ops);
  ops.summary = "Prometheus metrics";
  router.add(
      "GET", "/metrics",
      [metrics](const Request&) {
        return Response::text(200, metrics->render(), std::string(MetricsRegistry::kContentType));
      },
      ops);
}

Server::Server(std::unique_ptr<Core> core) : core_(std::move(core)) {}

Server::~Server() { stop(); }

Result<std::unique_ptr<Server>> Server::start(ServerOptions options,
                                              std::vector<ListenerConfig> listeners) {
  if (options.io_threads == 0 || options.worker_threads == 0 || options.max_queue == 0) {
    return fail(ErrorCode::kInvalidArgument, "server needs at least one I/O and worker thread");
  }
  if (listeners.empty()) return fail(ErrorCode::kInvalidArgument, "no listener configured");
  if (options.ip_rate_limit &&
      !(options.ip_rate_limit->rate_per_second > 0 && options.ip_rate_limit->burst >= 1)) {
    return fail(ErrorCode::kInvalidArgument, "per-address rate limit needs a rate > 0, burst >= 1");
  }
  auto core = std::make_unique<Core>(std::move(options));
  for (ListenerConfig& config : listeners) {
    if (!config.router) {
      return fail(ErrorCode::kInvalidArgument, "listener " + config.name + " has no router");
    }
    auto state = std::make_unique<detail::ListenerState>();
    if (config.tls) state->tls = HPKI_TRY(detail::make_tls_holder(*config.tls));
    boost::system::error_code ec;
    std::string host = config.address.host;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    auto address = detail::net::ip::make_address(host, ec);
    if (ec) {
      return fail(ErrorCode::kConfigInvalid,
                  "listener " + config.name + ": not an IP address: " + config.address.host);
    }
    tcp::endpoint endpoint(address, config.address.port);
    auto acceptor = std::make_unique<tcp::acceptor>(*core->contexts.front());
    std::string where = "listener " + config.name + " on " + config.address.to_string();
    if (acceptor->open(endpoint.protocol(), ec); ec) {
      return fail(ErrorCode::kIo, where + ": open: " + ec.message());
    }
    if (acceptor->set_option(detail::net::socket_base::reuse_address(true), ec); ec) {
      return fail(ErrorCode::kIo, where + ": SO_REUSEADDR: " + ec.message());
    }
    if (acceptor->bind(endpoint, ec); ec) {
      return fail(ErrorCode::kUnavailable, where + ": bind: " + ec.message());
    }
    if (acceptor->listen(detail::net::socket_base::max_listen_connections, ec); ec) {
      return fail(ErrorCode::kIo, where + ": listen: " + ec.message());
    }
    state->port = acceptor->local_endpoint().port();
    state->refused_connections = &core->metrics->counter(
        "http_connections_refused_total",
        "Connections closed at accept: the client address already had max_connections_per_ip open",
        {{"listener", config.name}});
    state->acceptor = std::move(acceptor);
    state->config = std::move(config);
    core->listeners.push_back(std::move(state));
  }
  core->workers =
      std::make_unique<WorkerPool>(core->options.worker_threads, core->options.max_queue);
  for (auto& ctx : core->contexts) core->work.emplace_back(ctx->get_executor());
  for (auto& listener : core->listeners) {
    // Each acceptor only ever runs its handlers through the io_context; the first accept
    // is started before any I/O thread runs, so no strand is needed for the acceptor.
    detail::do_accept(*listener, *core);
    log::info("http {}: listening on {}:{}{}", listener->config.name, listener->config.address.host,
              listener->port, listener->tls ? " (TLS)" : "");
  }
  Core* raw = core.get();
  for (auto& ctx : raw->contexts) {
    raw->io_threads.push_back(named_thread("hpki-io", [ctx = ctx.get()] { ctx->run(); }));
  }
  return std::unique_ptr<Server>(new Server(std::move(core)));
}

std::uint16_t Server::port(std::size_t index) const {
  HPKI_CHECK(index < core_->listeners.size());
  return core_->listeners[index]->port;
}

const std::shared_ptr<MetricsRegistry>& Server::metrics() const { return core_->metrics; }

void Server::stop() {
  Core& c = *core_;
  {
    std::lock_guard lock(c.mutex);
    if (c.stopped) return;
    c.stopped = true;
    c.stopping.store(true);
  }
  // 1. Stop accepting (acceptor operations are run on an I/O thread).
  std::promise<void> closed;
  detail::net::post(*c.contexts.front(), [&c, &closed] {
    for (auto& listener : c.listeners) {
      boost::system::error_code ignored;
      listener->acceptor->close(ignored);
    }
    closed.set_value();
  });
  closed.get_future().wait();
  // 2. Close idle connections; busy ones close after writing their response.
  std::vector<std::shared_ptr<detail::SessionBase>> live;
  {
    std::lock_guard lock(c.mutex);
    for (auto& [raw, weak] : c.sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->on_stop();
  live.clear();
  // 3. Bounded wait for in-flight requests.
  {
    std::unique_lock lock(c.mutex);
    bool drained =
        c.cv.wait_for(lock, c.options.shutdown_grace, [&c] { return c.sessions.empty(); });
    if (!drained) {
      log::warn("http: {} connection(s) still open after the shutdown grace period; closing",
                c.sessions.size());
    }
  }
  // 4. Stop I/O, then the workers (their late posts to the stopped io_context are dropped).
  c.work.clear();
  for (auto& ctx : c.contexts) ctx->stop();
  for (std::thread& t : c.io_threads) {
    if (t.joinable()) t.join();
  }
  c.workers->stop();
  log::info("http: server stopped");
}

}  // namespace hpki::http
