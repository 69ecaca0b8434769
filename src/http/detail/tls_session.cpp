// TLS connections. This is the only src/http file that includes Boost.Asio's SSL headers
// (which include OpenSSL headers themselves); it makes no OpenSSL call: the SSL_CTX comes
// from ossl::make_server_tls_context() and the peer chain from ossl::verified_peer_chain()
// (allow-list in cmake/check_openssl_includes.cmake, see docs/architecture.md).
#include <boost/asio/ssl/stream.hpp>

#include "http/detail/session.h"
#include "ossl/tls.h"

namespace hpki::http::detail {

using TlsStream = net::ssl::stream<Socket>;

struct TlsHolder {
  explicit TlsHolder(ossl::TlsContextPtr native) : context(native.release()) {}
  net::ssl::context context;  // takes ownership of the SSL_CTX
};

Result<std::shared_ptr<TlsHolder>> make_tls_holder(const TlsConfig& config) {
  ossl::TlsContextPtr native = HPKI_TRY(ossl::make_server_tls_context(config));
  return std::make_shared<TlsHolder>(std::move(native));
}

template <>
struct StreamTraits<TlsStream> {
  template <class Callback>
  static void handshake(TlsStream& stream, Callback&& callback) {
    stream.async_handshake(net::ssl::stream_base::server, std::forward<Callback>(callback));
  }
  static Result<std::vector<Bytes>> peer_chain(TlsStream& stream) {
    return ossl::verified_peer_chain(stream.native_handle());
  }
};

void start_tls_session(Socket socket, Client client, ListenerState& listener, Server::Core& core) {
  auto session = std::make_shared<Session<TlsStream>>(core, listener, std::move(client), true,
                                                      std::move(socket), listener.tls->context);
  session->start();
}

}  // namespace hpki::http::detail
