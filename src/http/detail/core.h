// Internal: the shared state of a running Server (Boost types live here, not in server.h).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/server.h"
#include "http/worker_pool.h"

namespace hpki::http::detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;
// A connection's socket is bound to the io_context of one I/O thread (no strand, no
// type-erased executor: every handler of a connection runs on that thread).
using Socket = net::basic_stream_socket<tcp, net::io_context::executor_type>;

// Defined in tls_session.cpp (the only src/http file that sees Asio's SSL headers).
struct TlsHolder;
[[nodiscard]] Result<std::shared_ptr<TlsHolder>> make_tls_holder(const TlsConfig& config);

struct ListenerState {
  ListenerConfig config;
  std::shared_ptr<TlsHolder> tls;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::uint16_t port = 0;
  Counter* refused_connections = nullptr;  // over the per-address connection cap
};

// The other end of an accepted connection.
struct Client {
  std::string peer;  // "ip:port" / "[ip6]:port" (logs, Request::peer)
  std::string key;   // client_address_key() of its address: the per-address limits' key
  std::optional<ConnectionLimiter::Slot> slot;  // its place under the connection cap
};

// Per connection: the metric series of its last (route, method, status), so that a keep-alive
// connection repeating one kind of request skips the registry look-up (a lock and label
// strings) for every response.
struct SeriesCache {
  std::string route;
  std::string method;
  int status = 0;
  Counter* requests = nullptr;
  Histogram* latency = nullptr;
};

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Called (from any thread) when the server stops: close if no request is being handled.
  virtual void on_stop() = 0;
};

void start_plain_session(Socket socket, Client client, ListenerState& listener, Server::Core& core);
void start_tls_session(Socket socket, Client client, ListenerState& listener, Server::Core& core);

}  // namespace hpki::http::detail

namespace hpki::http {

struct Server::Core {
  explicit Core(ServerOptions opts);

  // Limit/route-error answer in the listener's body format.
  [[nodiscard]] Response error_response(const detail::ListenerState& listener, int status,
                                        std::string_view type_suffix, std::string_view title,
                                        std::string_view detail) const;
  [[nodiscard]] std::string request_id(std::optional<std::string_view> from_client);
  void record(const detail::ListenerState& listener, detail::SeriesCache& cache,
              std::string_view route, std::string_view method, int status,
              std::chrono::steady_clock::duration took, std::string_view request_id,
              std::string_view peer);
  // Returns false when stopping (the caller closes the connection).
  bool register_session(const std::shared_ptr<detail::SessionBase>& session);
  void unregister_session(detail::SessionBase* session);
  void update_queue_gauges();

  // The io_context a new connection is bound to (round robin over the I/O threads).
  [[nodiscard]] detail::net::io_context& next_context();

  // Declaration order matters for destruction: whatever pending Asio handlers (sessions)
  // touch on destruction is declared before `contexts`; objects using them after it.
  ServerOptions options;
  std::shared_ptr<MetricsRegistry> metrics;
  std::unique_ptr<RateLimiter> ip_limiter;  // null: no per-address rate limit
  // Sessions give their slot back on destruction (possibly while `contexts` are destroyed).
  ConnectionLimiter connections;
  Gauge* queue_depth_gauge = nullptr;
  Gauge* busy_workers_gauge = nullptr;
  Gauge* connections_gauge = nullptr;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> request_seq{0};
  std::string request_id_prefix;
  std::mutex mutex;
  std::condition_variable cv;
  std::unordered_map<detail::SessionBase*, std::weak_ptr<detail::SessionBase>> sessions;
  bool stopped = false;
  std::unique_ptr<WorkerPool> workers;
  std::vector<std::thread> io_threads;
  // One io_context per I/O thread, each run by that thread alone (concurrency hint 1: no
  // cross-thread wake-ups inside Asio's scheduler); contexts[0] also runs the acceptors.
  std::vector<std::unique_ptr<detail::net::io_context>> contexts;
  std::atomic<std::size_t> next_context_index{0};
  std::vector<detail::net::executor_work_guard<detail::net::io_context::executor_type>> work;
  std::vector<std::unique_ptr<detail::ListenerState>> listeners;
};

}  // namespace hpki::http
