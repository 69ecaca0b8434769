// The CLI HTTP client's parts shared by plain and TLS connections (http/client.h): the parsed
// URL and one request/response exchange over a connected stream. Every operation is
// asynchronous on a private io_context so that ClientOptions::timeout bounds it
// (beast::tcp_stream's deadline applies to asynchronous operations only).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "http/client.h"

namespace hpki::http::detail {

struct ClientUrl {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string target = "/";
  std::string host_header;
};

// Starts one asynchronous operation with a handler that records its error, runs `io` until it
// completed, and returns that error.
template <class Start>
boost::beast::error_code run_op(boost::asio::io_context& io, Start&& start) {
  boost::beast::error_code result = boost::asio::error::would_block;
  std::forward<Start>(start)([&result](boost::beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

// Resolves the URL's host and connects `stream` (a beast::tcp_stream) within the timeout.
Result<void> connect(boost::asio::io_context& io, boost::beast::tcp_stream& stream,
                     const ClientUrl& u, const ClientOptions& options);

// Writes the POST request and reads the response on a connected (and, for TLS, handshaken)
// stream.
template <class Stream>
Result<ClientResponse> exchange(boost::asio::io_context& io, Stream& stream,
                                boost::beast::tcp_stream& tcp, const ClientUrl& u,
                                std::string_view content_type, BytesView body,
                                const ClientOptions& options) {
  namespace bhttp = boost::beast::http;
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, u.target, 11};
  req.set(bhttp::field::host, u.host_header);
  req.set(bhttp::field::user_agent, "hpki");
  req.set(bhttp::field::content_type, content_type);
  for (const auto& [name, value] : options.headers) req.set(name, value);
  req.body().assign(body.begin(), body.end());
  req.prepare_payload();
  tcp.expires_after(options.timeout);
  auto ec = run_op(io, [&](auto h) { bhttp::async_write(stream, req, std::move(h)); });
  if (ec) return fail(ErrorCode::kUnavailable, "send to " + u.host_header + ": " + ec.message());
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  tcp.expires_after(options.timeout);
  ec = run_op(io, [&](auto h) { bhttp::async_read(stream, buffer, parser, std::move(h)); });
  if (ec == bhttp::error::body_limit)
    return fail(ErrorCode::kTooLarge, "response from " + u.host_header + " is too large");
  if (ec) return fail(ErrorCode::kUnavailable, "read from " + u.host_header + ": " + ec.message());
  auto& res = parser.get();
  ClientResponse out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[bhttp::field::content_type]);
  out.body = std::move(res.body());
  return out;
}

// post() for an https:// URL (detail/tls_client.cpp).
Result<ClientResponse> post_tls(const ClientUrl& u, std::string_view content_type, BytesView body,
                                const ClientOptions& options);

}  // namespace hpki::http::detail
