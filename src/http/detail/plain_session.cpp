// Plain-TCP connections.
#include "http/detail/session.h"

namespace hpki::http::detail {

template <>
struct StreamTraits<Socket> {
  template <class Callback>
  static void handshake(Socket&, Callback&& callback) {
    callback(beast::error_code{});
  }
  static Result<std::vector<Bytes>> peer_chain(Socket&) { return std::vector<Bytes>{}; }
};

void start_plain_session(Socket socket, Client client, ListenerState& listener,
                         Server::Core& core) {
  auto session = std::make_shared<Session<Socket>>(core, listener, std::move(client), false,
                                                   std::move(socket));
  session->start();
}

}  // namespace hpki::http::detail
