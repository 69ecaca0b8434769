#include "http/router.h"

#include <algorithm>

#include "core/error.h"

namespace hpki::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  while (true) {
    auto pos = path.find('/');
    out.push_back(path.substr(0, pos));
    if (pos == std::string_view::npos) break;
    path.remove_prefix(pos + 1);
  }
  return out;
}

bool is_param(std::string_view seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

Router& Router::add(std::string_view method, std::string_view pattern, Handler handler,
                    RouteOptions options, InlineHandler fast) {
  HPKI_CHECK(!method.empty() && !pattern.empty() && pattern.front() == '/');
  HPKI_CHECK(handler != nullptr);
  for (const Entry& e : entries_) {
    HPKI_CHECK(!(e.route.method == method && e.route.pattern == pattern));
  }
  Entry e;
  e.route = Route{std::string(method), std::string(pattern), std::move(options)};
  HPKI_CHECK(!e.route.options.last_param_takes_rest || is_param(split_path(pattern).back()));
  for (std::string_view seg : split_path(pattern)) {
    if (is_param(seg)) {
      HPKI_CHECK(seg.find_first_of("{}/", 1) == seg.size() - 1);
    } else {
      HPKI_CHECK(seg.find_first_of("{}") == std::string_view::npos);
      ++e.literals;
    }
    e.segments.emplace_back(seg);
  }
  e.handler = std::move(handler);
  e.fast = std::move(fast);
  entries_.push_back(std::move(e));
  return *this;
}

Router& Router::add_async(std::string_view method, std::string_view pattern, AsyncHandler handler,
                          RouteOptions options) {
  HPKI_CHECK(handler != nullptr);
  // The synchronous handler is never called for such a route; it keeps the table uniform.
  add(
      method, pattern, [](const Request&) { return Response::text(500, "no handler\n"); },
      std::move(options));
  entries_.back().async = std::move(handler);
  return *this;
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  RouteMatch result;
  std::vector<std::string_view> segs = split_path(path);
  if (segs.empty()) return result;
  const Entry* best = nullptr;
  std::map<std::string, std::string> best_params;
  for (const Entry& e : entries_) {
    const bool takes_rest = e.route.options.last_param_takes_rest;
    if (e.segments.size() != segs.size() && !(takes_rest && segs.size() > e.segments.size())) {
      continue;
    }
    // Literal segments first: most routes fail there, before any parameter is decoded.
    bool literals_match = true;
    for (std::size_t i = 0; i < e.segments.size() && literals_match; ++i) {
      if (!is_param(e.segments[i])) literals_match = e.segments[i] == segs[i];
    }
    if (!literals_match) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < e.segments.size() && ok; ++i) {
      const std::string& pat = e.segments[i];
      if (is_param(pat)) {
        std::string_view raw = segs[i];
        if (takes_rest && i + 1 == e.segments.size()) {
          // From this segment to the end of the path, '/' included.
          raw = path.substr(static_cast<std::size_t>(segs[i].data() - path.data()));
        }
        auto decoded = raw.empty() ? std::nullopt : percent_decode(raw, false);
        if (!decoded || decoded->empty()) {
          ok = false;
        } else {
          params.emplace(pat.substr(1, pat.size() - 2), std::move(*decoded));
        }
      }
    }
    if (!ok) continue;
    if (e.route.method != method) {
      if (std::find(result.allowed.begin(), result.allowed.end(), e.route.method) ==
          result.allowed.end()) {
        result.allowed.push_back(e.route.method);
      }
      continue;
    }
    if (best == nullptr || e.literals > best->literals) {
      best = &e;
      best_params = std::move(params);
    }
  }
  if (best != nullptr) {
    result.kind = RouteMatch::Kind::kFound;
    result.route = &best->route;
    result.handler = &best->handler;
    if (best->fast) result.fast = &best->fast;
    if (best->async) result.async = &best->async;
    result.params = std::move(best_params);
    result.allowed.clear();
    return result;
  }
  std::sort(result.allowed.begin(), result.allowed.end());
  result.kind =
      result.allowed.empty() ? RouteMatch::Kind::kNotFound : RouteMatch::Kind::kMethodNotAllowed;
  return result;
}

std::vector<Route> Router::routes() const {
  std::vector<Route> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.route);
  return out;
}

}  // namespace hpki::http
