// Internal: one HTTP/1.1 connection, templated on the stream (plain TCP or TLS).
// Instantiated in plain_session.cpp and tls_session.cpp; StreamTraits<Stream> supplies the
// stream-specific handshake and peer-certificate steps.
#pragma once

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/log.h"
#include "http/detail/core.h"
#include "http/problem.h"

namespace hpki::http::detail {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// Specialized per stream type: handshake(stream, callback(error_code)) and
// peer_chain(stream) -> Result<std::vector<Bytes>>.
template <class Stream>
struct StreamTraits;

inline constexpr std::size_t kReadChunk = 4096;
inline constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Runs a handler on a worker thread; exceptions become a generic 500.
Response run_handler(const Handler& handler, const Request& request);
// Runs a route's fast path on the I/O thread; an exception is logged and gives nullopt (the
// request then goes to the worker pool).
std::optional<Response> run_inline(const InlineHandler& fast, const Request& request);
// Starts an asynchronous handler; when it throws before replying, a generic 500 is sent.
void run_async(const AsyncHandler& handler, Request request, Reply reply);

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... StreamArgs>
  Session(Server::Core& core, ListenerState& listener, Client client, bool tls,
          StreamArgs&&... stream_args)
      : core_(core),
        listener_(listener),
        stream_(std::forward<StreamArgs>(stream_args)...),
        timer_(stream_.get_executor()),
        peer_(std::move(client.peer)),
        client_key_(std::move(client.key)),
        slot_(std::move(client.slot)),
        tls_(tls) {}

  ~Session() override { core_.unregister_session(this); }

  void start() {
    auto self = this->shared_from_this();
    if (!core_.register_session(self)) {
      close();
      return;
    }
    state_ = State::kHandshake;
    arm(core_.options.read_timeout);
    StreamTraits<Stream>::handshake(stream_, [self](beast::error_code ec) {
      self->disarm();
      if (ec) {
        log::debug("http {}: handshake with {} failed: {}", self->listener_.config.name,
                   self->peer_, ec.message());
        self->close();
        return;
      }
      auto chain = StreamTraits<Stream>::peer_chain(self->stream_);
      if (!chain) {
        log::info("http {}: peer {} rejected: {}", self->listener_.config.name, self->peer_,
                  chain.error().to_string());
        self->close();
        return;
      }
      self->peer_chain_ = std::move(*chain);
      self->wait_request();
    });
  }

  void on_stop() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->state_ == State::kHandshake || self->state_ == State::kIdle ||
          self->state_ == State::kReading) {
        self->close();
      }
    });
  }

 private:
  enum class State { kNew, kHandshake, kIdle, kReading, kHandling, kWriting, kClosed };

  // Timeouts: one deadline per phase (handshake, idle, reading, writing) and one timer wait
  // at a time. Arming only moves the deadline; the timer is reset only when the new deadline
  // is earlier than its pending expiry (a reset cancels the pending wait, an extra handler
  // run). When the wait completes before the deadline it waits again for the rest. So a
  // keep-alive connection answering request after request touches the timer queue about
  // once per read timeout, not three times per request.
  void arm(std::chrono::milliseconds timeout) {
    deadline_ = std::chrono::steady_clock::now() + timeout;
    armed_ = true;
    timed_out_ = false;
    if (!timer_waiting_ || deadline_ < timer_expiry_) start_timer();
  }

  void disarm() { armed_ = false; }

  void start_timer() {
    std::uint64_t gen = ++timer_gen_;
    timer_expiry_ = deadline_;
    timer_waiting_ = true;
    timer_.expires_at(deadline_);  // cancels a pending wait (its handler sees a stale gen)
    timer_.async_wait([self = this->shared_from_this(), gen](beast::error_code ec) {
      if (gen != self->timer_gen_) return;
      self->timer_waiting_ = false;
      if (ec || !self->armed_ || self->state_ == State::kClosed) return;
      if (std::chrono::steady_clock::now() < self->deadline_) {
        self->start_timer();  // re-armed to a later deadline meanwhile
        return;
      }
      self->armed_ = false;
      self->timed_out_ = true;
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).cancel(ignored);
    });
  }

  void wait_request() {
    state_ = State::kIdle;
    if (core_.stopping.load()) {
      close();
      return;
    }
    if (buffer_.size() > 0) {
      read_header();
      return;
    }
    arm(core_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->disarm();
                              if (ec) {
                                self->close();  // peer closed, idle timeout or stop
                                return;
                              }
                              self->buffer_.commit(n);
                              self->read_header();
                            });
  }

  void read_header() {
    state_ = State::kReading;
    started_ = std::chrono::steady_clock::now();
    route_label_ = "unmatched";
    method_ = "-";
    request_id_.clear();
    keep_alive_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(core_.options.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(core_.options.max_body_bytes);
    arm(core_.options.read_timeout);
    // Usually the whole header is already buffered (read by wait_request): parse it here,
    // without a round through the I/O scheduler.
    if (buffer_.size() > 0) {
      beast::error_code ec;
      const std::size_t n = parser_->put(buffer_.data(), ec);
      buffer_.consume(n);
      if (ec != bhttp::error::need_more) {
        on_header(ec);
        return;
      }
    }
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               self->on_header(ec);
                             });
  }

  void on_header(beast::error_code ec) {
    if (ec) {
      on_read_error(ec);
      return;
    }
    auto& req = parser_->get();
    method_ = std::string(req.method_string());
    keep_alive_ = req.keep_alive();
    request_id_ = core_.request_id(header_of(req, "x-request-id"));
    std::string_view target(req.target().data(), req.target().size());
    match_ = listener_.config.router->match(method_, target.substr(0, target.find('?')));
    std::size_t limit = core_.options.max_body_bytes;
    if (match_.kind == RouteMatch::Kind::kFound) {
      route_label_ = match_.route->pattern;
      if (match_.route->options.max_body_bytes != 0) limit = match_.route->options.max_body_bytes;
    }
    parser_->body_limit(limit);
    if (auto cl = parser_->content_length(); cl && *cl > limit) {
      respond_error(413, "too-large", "Content too large",
                    "request body exceeds " + std::to_string(limit) + " bytes", true);
      return;
    }
    auto expect = header_of(req, "expect");
    if (expect && iequals(*expect, "100-continue") && !parser_->is_done()) {
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = this->shared_from_this()](beast::error_code wec, std::size_t) {
                         if (wec) {
                           self->on_read_error(wec);
                           return;
                         }
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    // The body (if any) is often buffered already as well.
    while (!parser_->is_done() && buffer_.size() > 0) {
      beast::error_code ec;
      const std::size_t n = parser_->put(buffer_.data(), ec);
      buffer_.consume(n);
      if (ec == bhttp::error::need_more) break;
      if (ec) {
        on_read_error(ec);
        return;
      }
      if (n == 0) break;
    }
    if (parser_->is_done()) {
      disarm();
      dispatch();
      return;
    }
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->disarm();
                        if (ec) {
                          self->on_read_error(ec);
                          return;
                        }
                        self->dispatch();
                      });
  }

  void on_read_error(beast::error_code ec) {
    disarm();
    if (timed_out_) {
      respond_error(408, "request-timeout", "Request timeout",
                    "the request was not received in time", true);
    } else if (ec == bhttp::error::header_limit) {
      respond_error(
          431, "header-too-large", "Request header fields too large",
          "request header exceeds " + std::to_string(core_.options.max_header_bytes) + " bytes",
          true);
    } else if (ec == bhttp::error::body_limit) {
      respond_error(413, "too-large", "Content too large", "request body exceeds the limit", true);
    } else if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
               ec == net::error::operation_aborted || ec == net::error::connection_reset ||
               ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) {
      close();
    } else {
      respond_error(400, "bad-request", "Bad request", "malformed HTTP request", true);
    }
  }

  static std::optional<std::string_view> header_of(const bhttp::request<bhttp::string_body>& req,
                                                   std::string_view name) {
    auto it = req.find(beast::string_view(name.data(), name.size()));
    if (it == req.end()) return std::nullopt;
    return std::string_view(it->value().data(), it->value().size());
  }

  static bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  }

  void respond_error(int status, std::string_view suffix, std::string_view title,
                     std::string detail, bool close_after) {
    if (close_after) close_after_ = true;
    if (request_id_.empty()) request_id_ = core_.request_id(std::nullopt);
    write_response(core_.error_response(listener_, status, suffix, title, detail));
  }

  void dispatch() {
    state_ = State::kHandling;
    auto& breq = parser_->get();
    Request req;
    req.method = method_;
    req.target = std::string(breq.target());
    std::string_view target(req.target);
    std::string_view raw_path = target.substr(0, target.find('?'));
    auto path = percent_decode(raw_path, false);
    std::optional<std::vector<std::pair<std::string, std::string>>> query;
    if (auto q = target.find('?'); q != std::string_view::npos) {
      query = parse_query(target.substr(q + 1));
    } else {
      query.emplace();
    }
    if (!path || !query) {
      respond_error(400, "bad-request", "Bad request", "malformed percent-encoding in target",
                    false);
      return;
    }
    if (match_.kind == RouteMatch::Kind::kNotFound) {
      respond_error(404, "not-found", "Not found", "no route for this path", false);
      return;
    }
    if (match_.kind == RouteMatch::Kind::kMethodNotAllowed) {
      std::string allow;
      for (const auto& m : match_.allowed) allow += (allow.empty() ? "" : ", ") + m;
      Response r = core_.error_response(listener_, 405, "method-not-allowed", "Method not allowed",
                                        method_ + " is not allowed here; allowed: " + allow);
      r.set_header("Allow", allow);
      write_response(std::move(r));
      return;
    }
    req.path = std::move(*path);
    req.query = std::move(*query);
    req.route = match_.route->pattern;
    req.path_params = std::move(match_.params);
    for (const auto& field : breq) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      });
      req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    req.body = std::move(breq.body());
    req.peer = peer_;
    req.tls = tls_;
    req.peer_chain = peer_chain_;
    req.request_id = request_id_;

    // Per client address, before the handler: the request's credentials (unchecked yet) play
    // no part, so nobody can spend another caller's bucket or dodge this one with made-up ids.
    if (match_.route->options.rate_limited && core_.ip_limiter) {
      auto decision = core_.ip_limiter->take(client_key_);
      if (!decision.allowed) {
        Response r = core_.error_response(listener_, 429, "rate-limited", "Too many requests",
                                          "request rate limit exceeded; retry later");
        r.set_header("Retry-After", std::to_string(decision.retry_after.count()));
        write_response(std::move(r));
        return;
      }
    }

    if (match_.async != nullptr) {
      auto self = this->shared_from_this();
      Reply reply = [self](Response r) {
        auto ex = self->stream_.get_executor();
        auto write = [self, r = std::move(r)]() mutable { self->write_response(std::move(r)); };
        if (auto* batch = BatchScope::current()) {
          // The replier finishes many requests at once (a TSA commit round): one post per I/O
          // thread for all of them, not a wake-up each.
          batch->add(
              &net::query(ex, net::execution::context),
              [ex](std::vector<BatchScope::Item> items) {
                net::post(ex, [items = std::move(items)] {
                  for (const auto& f : items) f();
                });
              },
              std::move(write));
          return;
        }
        net::post(ex, std::move(write));
      };
      run_async(*match_.async, std::move(req), std::move(reply));
      return;
    }
    if (match_.fast != nullptr) {
      if (auto r = run_inline(*match_.fast, req)) {
        write_response(std::move(*r));
        return;
      }
    }
    const Handler* handler = match_.handler;
    auto self = this->shared_from_this();
    bool queued = core_.workers->submit([self, handler, request = std::move(req)]() mutable {
      Response r = run_handler(*handler, request);
      net::post(self->stream_.get_executor(),
                [self, r = std::move(r)]() mutable { self->write_response(std::move(r)); });
    });
    core_.update_queue_gauges();
    if (!queued) {
      Response r = core_.error_response(listener_, 503, "overloaded", "Service overloaded",
                                        "the server is busy; retry later");
      r.set_header("Retry-After", "1");
      write_response(std::move(r));
    }
  }

  void write_response(Response r) {
    if (state_ == State::kClosed) return;
    core_.update_queue_gauges();
    state_ = State::kWriting;
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(r.status));
    bool has_type = false;
    for (const auto& [k, v] : r.headers) {
      if (iequals(k, "content-type")) has_type = true;
      res_.insert(beast::string_view(k.data(), k.size()), beast::string_view(v.data(), v.size()));
    }
    if (!has_type && !r.body.empty()) {
      res_.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    }
    res_.set("X-Request-Id", request_id_);
    res_.keep_alive(keep_alive_ && !close_after_ && !core_.stopping.load());
    status_ = r.status;
    res_.body() = std::move(r.body);
    res_.prepare_payload();
    arm(core_.options.write_timeout);
    bhttp::async_write(stream_, res_,
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                         self->on_write(ec);
                       });
  }

  void on_write(beast::error_code ec) {
    disarm();
    core_.record(listener_, series_, route_label_, method_, status_,
                 std::chrono::steady_clock::now() - started_, request_id_, peer_);
    if (ec || !res_.keep_alive()) {
      close();
      return;
    }
    parser_.reset();
    wait_request();
  }

  void close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    disarm();
    ++timer_gen_;
    timer_.cancel();  // the pending wait holds the session alive
    beast::error_code ignored;
    auto& sock = beast::get_lowest_layer(stream_);
    sock.shutdown(Socket::shutdown_both, ignored);
    sock.close(ignored);
  }

  Server::Core& core_;
  ListenerState& listener_;
  Stream stream_;
  net::steady_timer timer_;
  std::string peer_;
  std::string client_key_;
  std::optional<ConnectionLimiter::Slot> slot_;
  bool tls_;
  std::vector<Bytes> peer_chain_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  RouteMatch match_;
  SeriesCache series_;
  State state_ = State::kNew;
  std::uint64_t timer_gen_ = 0;
  std::chrono::steady_clock::time_point deadline_{};
  std::chrono::steady_clock::time_point timer_expiry_{};
  bool armed_ = false;
  bool timer_waiting_ = false;
  bool timed_out_ = false;
  bool keep_alive_ = false;
  bool close_after_ = false;
  int status_ = 0;
  std::string route_label_ = "unmatched";
  std::string method_ = "-";
  std::string request_id_;
  std::chrono::steady_clock::time_point started_{};
};

// The accepted connection's peer and its per-address key (no slot yet).
Client client_of(const Socket& socket);

}  // namespace hpki::http::detail
