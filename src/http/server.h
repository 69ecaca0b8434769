// Asynchronous HTTP/1.1 server (Boost.Beast/Asio) with TLS, limits, metrics and graceful stop.
//
// Threads: `io_threads` run Asio (accept, TLS handshakes, reading and writing); handlers run
// on a separate pool of `worker_threads` std::threads, so crypto and database work never
// blocks an I/O thread. Each connection lives on its own strand.
//
// Per request: the header must arrive within `read_timeout` of its first byte (and the body
// with it), else 408; an idle keep-alive connection is closed silently after `idle_timeout`.
// Header bigger than `max_header_bytes` -> 431; body bigger than the route's (or the
// default) body limit -> 413; unknown path -> 404; known path, other method -> 405 with
// Allow; the client address's rate limit bucket empty -> 429 with Retry-After; worker queue
// full -> 503. Limit answers close the connection when the request was not read completely.
// Bodies are application/problem+json (RFC 9457) on listeners with `problem_json`, else
// text/plain.
//
// Per client address (client_address_key(): the IPv4 address, an IPv6 /64): at most
// `max_connections_per_ip` open connections — a further one is closed right after accept,
// before any TLS handshake, and counted in http_connections_refused_total{listener}; and, when
// `ip_rate_limit` is set, a token bucket taken by every request to a rate-limited route before
// its handler runs (so before any authentication; whatever credentials the request carries).
// Limits per authenticated caller are the handlers' business (api/routes.cpp).
//
// Every response carries X-Request-Id (the client's, when it is a sane token, else a fresh
// one). Each request is counted in http_requests_total{route,method,status} and
// http_request_duration_seconds{route}. Every label is bounded whatever clients send: route is
// the matched pattern or "unmatched", method is one of RFC 9110's methods and PATCH, else
// "other" ("-" when no request line was read). Worker queue depth and busy workers are gauges;
// each request writes one access log line (core/log.h, info level).
//
// stop(): closes the listeners, closes idle connections, lets in-flight requests finish and
// be written (up to `shutdown_grace`), then stops the I/O threads and the workers. The
// destructor calls stop().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "http/connection_limit.h"
#include "http/message.h"
#include "http/metrics.h"
#include "http/rate_limit.h"
#include "http/router.h"
#include "ossl/tls.h"

namespace hpki::http {

using TlsConfig = ossl::TlsServerConfig;

// Reads a PEM chain and key from files into a TlsConfig (client certificates not requested).
[[nodiscard]] Result<TlsConfig> tls_config_from_files(const std::string& chain_path,
                                                      const std::string& key_path);

struct ListenerConfig {
  std::string name = "api";  // metrics/log label
  ListenAddress address{"127.0.0.1", 0};
  std::shared_ptr<const Router> router;
  std::optional<TlsConfig> tls;
  bool problem_json = true;  // limit/404/405 bodies as problem+json (else text/plain)
};

struct ServerOptions {
  std::size_t io_threads = 2;
  std::size_t worker_threads = 4;
  std::size_t max_queue = 4096;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds shutdown_grace{10000};
  // Per client address, before any handler (see the top of this file); nullopt: no limit.
  std::optional<RateLimitOptions> ip_rate_limit;
  // Open connections per client address; 0: no cap.
  std::size_t max_connections_per_ip = 0;
  // Registry to record into; when null the server owns one (see Server::metrics()).
  std::shared_ptr<MetricsRegistry> metrics;
};

// Registers GET /healthz (200 "ok") and GET /metrics (registry text format) as public,
// not rate-limited routes.
void add_operational_routes(Router& router, std::shared_ptr<MetricsRegistry> metrics);

class Server {
 public:
  // Binds every listener (port 0 = any free port) and starts the threads.
  [[nodiscard]] static Result<std::unique_ptr<Server>> start(ServerOptions options,
                                                             std::vector<ListenerConfig> listeners);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Actual bound port of listener `index` (in the order given to start()).
  [[nodiscard]] std::uint16_t port(std::size_t index) const;
  [[nodiscard]] const std::shared_ptr<MetricsRegistry>& metrics() const;
  void stop();

  struct Core;

 private:
  explicit Server(std::unique_ptr<Core> core);
  std::unique_ptr<Core> core_;
};

}  // namespace hpki::http
