#include "http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <string>

namespace hpki::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

struct Url {
  std::string host;  // without brackets
  std::string port = "80";
  std::string target = "/";
  std::string host_header;
};

Result<Url> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme))
    return fail(ErrorCode::kInvalidArgument,
                "URL '" + std::string(url) + "': only http:// URLs are supported");
  std::string_view rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  Url u;
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
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  asio::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(u.host, u.port, ec);
  if (ec) return fail(ErrorCode::kUnavailable, "resolve " + u.host + ": " + ec.message());
  stream.expires_after(options.timeout);
  stream.connect(endpoints, ec);
  if (ec) return fail(ErrorCode::kUnavailable, "connect " + u.host_header + ": " + ec.message());
  beast::http::request<beast::http::string_body> req{beast::http::verb::post, u.target, 11};
  req.set(beast::http::field::host, u.host_header);
  req.set(beast::http::field::user_agent, "hpki");
  req.set(beast::http::field::content_type, content_type);
  req.body().assign(body.begin(), body.end());
  req.prepare_payload();
  stream.expires_after(options.timeout);
  beast::http::write(stream, req, ec);
  if (ec) return fail(ErrorCode::kUnavailable, "send to " + u.host_header + ": " + ec.message());
  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  beast::http::read(stream, buffer, parser, ec);
  if (ec == beast::http::error::body_limit)
    return fail(ErrorCode::kTooLarge, "response from " + u.host_header + " is too large");
  if (ec) return fail(ErrorCode::kUnavailable, "read from " + u.host_header + ": " + ec.message());
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  auto& res = parser.get();
  ClientResponse out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[beast::http::field::content_type]);
  out.body = std::move(res.body());
  return out;
}

}  // namespace hpki::http
