// Route table: (method, pattern) -> handler, with "{name}" path parameters.
//
// A pattern is "/"-separated; a segment "{name}" matches exactly one non-empty segment (after
// percent-decoding it is handed to the handler as a path parameter). When several routes
// match a path, the one with more literal segments wins ("/certs/search" over "/certs/{id}").
// match() distinguishes "no route for this path" (404) from "path known, method not" (405,
// with the allowed methods). The table is built once before the server starts and is
// read-only afterwards (safe to share between threads).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace hpki::http {

using Handler = std::function<Response(const Request&)>;
// Optional fast path of a route, run on the I/O thread that read the request (no hop to a
// worker thread). It must never block (no database, no signing, no locks held for long):
// it answers what it can from memory and returns nullopt for everything else, which then
// goes to the route's Handler on a worker thread as usual.
using InlineHandler = std::function<std::optional<Response>(const Request&)>;
// Asynchronous handler: called on the I/O thread that read the request; it must not block. It
// hands the work to its own threads and calls `reply` exactly once, from any thread, when the
// answer is ready (the connection waits for it; reply may also be called before returning).
// For services with their own pipeline (the TSA), so that no worker thread sits waiting.
using Reply = std::function<void(Response)>;
using AsyncHandler = std::function<void(Request, Reply)>;

struct RouteOptions {
  // Reachable without credentials (health, metrics, CA certificates, CRLs, OpenAPI).
  bool public_route = false;
  // Subject to the server's per-key rate limiter.
  bool rate_limited = true;
  // Request body limit for this route; 0 = the server default.
  std::size_t max_body_bytes = 0;
  // One-line description (OpenAPI summary, logs).
  std::string summary = {};
  // The pattern's last segment is a parameter that also takes any further path segments, '/'
  // included (RFC 6960 GET requests carry base64, and clients do not always percent-encode its
  // '/'): "/ocsp/{request}" then matches "/ocsp/MEow/TBA%3D" with request = "MEow/TBA=".
  bool last_param_takes_rest = false;
};

struct Route {
  std::string method;   // upper case
  std::string pattern;  // e.g. "/api/v1/certificates/{serial}/revoke"
  RouteOptions options;
};

struct RouteMatch {
  enum class Kind { kFound, kNotFound, kMethodNotAllowed };
  Kind kind = Kind::kNotFound;
  const Route* route = nullptr;
  const Handler* handler = nullptr;
  const InlineHandler* fast = nullptr;  // null when the route has no fast path
  const AsyncHandler* async = nullptr;  // set for routes added with add_async
  std::map<std::string, std::string> params;
  std::vector<std::string> allowed;  // for kMethodNotAllowed, sorted
};

class Router {
 public:
  // Programming errors (bad pattern, duplicate method+pattern) abort via HPKI_CHECK.
  Router& add(std::string_view method, std::string_view pattern, Handler handler,
              RouteOptions options = {}, InlineHandler fast = {});

  // A route answered by an AsyncHandler (no worker thread).
  Router& add_async(std::string_view method, std::string_view pattern, AsyncHandler handler,
                    RouteOptions options = {});

  // `path` is the raw (not yet decoded) path of the request target, without the query.
  [[nodiscard]] RouteMatch match(std::string_view method, std::string_view path) const;

  [[nodiscard]] std::vector<Route> routes() const;

 private:
  struct Entry {
    Route route;
    std::vector<std::string> segments;
    std::size_t literals = 0;
    Handler handler;
    InlineHandler fast;
    AsyncHandler async;
  };
  std::vector<Entry> entries_;
};

}  // namespace hpki::http
