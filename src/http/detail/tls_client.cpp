// https:// for the CLI HTTP client (http/client.h). Like tls_session.cpp this file may include
// Boost's SSL headers (allow-list in cmake/check_openssl_includes.cmake) and makes no OpenSSL
// call itself: the SSL_CTX, the expected server identity and the verification error come from
// src/ossl/tls.h.
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "http/detail/client_exchange.h"
#include "ossl/tls.h"

namespace hpki::http::detail {

Result<ClientResponse> post_tls(const ClientUrl& u, std::string_view content_type, BytesView body,
                                const ClientOptions& options) {
  ossl::TlsContextPtr native =
      HPKI_TRY(ossl::make_client_tls_context(ossl::TlsClientConfig{.ca_file = options.ca_file}));
  boost::asio::ssl::context context(native.release());  // takes ownership
  boost::asio::io_context io;
  boost::beast::ssl_stream<boost::beast::tcp_stream> stream(io, context);
  auto& tcp = boost::beast::get_lowest_layer(stream);
  HPKI_TRY(connect(io, tcp, u, options));
  HPKI_TRY(ossl::expect_server_identity(stream.native_handle(), u.host));
  tcp.expires_after(options.timeout);
  auto ec = run_op(io, [&](auto h) {
    stream.async_handshake(boost::asio::ssl::stream_base::client, std::move(h));
  });
  if (ec) {
    std::string why = ossl::verify_failure(stream.native_handle());
    if (!why.empty()) {
      return fail(ErrorCode::kBadCertificate,
                  "TLS: the certificate of " + u.host_header + " is not trusted: " + why +
                      (options.ca_file.empty() ? " (system trust store; --cacert names another)"
                                               : " (trusted: " + options.ca_file + ")"));
    }
    return fail(ErrorCode::kUnavailable,
                "TLS handshake with " + u.host_header + ": " + ec.message());
  }
  auto out = exchange(io, stream, tcp, u, content_type, body, options);
  // Best effort close_notify, bounded like everything else; the answer is already read.
  tcp.expires_after(std::chrono::milliseconds(500));
  (void)run_op(io, [&](auto h) { stream.async_shutdown(std::move(h)); });
  return out;
}

}  // namespace hpki::http::detail
