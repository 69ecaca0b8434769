#include "http/client.h"

#include <boost/asio/connect.hpp>

#include <charconv>
#include <string>

#include "http/detail/client_exchange.h"

namespace hpki::http {
namespace detail {

Result<void> connect(boost::asio::io_context& io, boost::beast::tcp_stream& stream,
                     const ClientUrl& u, const ClientOptions& options) {
  boost::asio::ip::tcp::resolver resolver(io);
  boost::asio::ip::tcp::resolver::results_type endpoints;
  auto ec = run_op(io, [&](auto h) {
    resolver.async_resolve(
        u.host, u.port,
        [&endpoints, h = std::move(h)](boost::beast::error_code e, auto results) mutable {
          endpoints = std::move(results);
          h(e);
        });
  });
  if (ec) return fail(ErrorCode::kUnavailable, "resolve " + u.host + ": " + ec.message());
  stream.expires_after(options.timeout);
  ec = run_op(io, [&](auto h) { stream.async_connect(endpoints, std::move(h)); });
  if (ec) return fail(ErrorCode::kUnavailable, "connect " + u.host_header + ": " + ec.message());
  return {};
}

}  // namespace detail

namespace {

Result<detail::ClientUrl> parse_url(std::string_view url) {
  detail::ClientUrl u;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
    u.port = "80";
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    u.port = "443";
    u.tls = true;
  } else {
    return fail(ErrorCode::kInvalidArgument,
                "URL '" + std::string(url) + "': only http:// and https:// URLs are supported");
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) u.target = std::string(rest.substr(slash));
  u.host_header = std::string(authority);
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      return fail(ErrorCode::kInvalidArgument, "URL '" + std::string(url) + "': bad IPv6 host");
    u.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':'))
      u.port = std::string(authority.substr(1));
    else if (!authority.empty())
      return fail(ErrorCode::kInvalidArgument, "URL '" + std::string(url) + "': bad authority");
  } else {
    const auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(authority.substr(colon + 1));
  }
  int port = 0;
  auto [p, ec] = std::from_chars(u.port.data(), u.port.data() + u.port.size(), port);
  if (u.host.empty() || ec != std::errc{} || p != u.port.data() + u.port.size() || port < 1 ||
      port > 65535)
    return fail(ErrorCode::kInvalidArgument, "URL '" + std::string(url) + "': bad host or port");
  return u;
}

}  // namespace

Result<ClientResponse> post(std::string_view url, std::string_view content_type, BytesView body,
                            const ClientOptions& options) {
  auto u = HPKI_TRY(parse_url(url));
  if (u.tls) return detail::post_tls(u, content_type, body, options);
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  HPKI_TRY(detail::connect(io, stream, u, options));
  auto out = detail::exchange(io, stream, stream, u, content_type, body, options);
  boost::beast::error_code ec;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  return out;
}

}  // namespace hpki::http
