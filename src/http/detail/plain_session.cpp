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

void start_plain_session(Socket socket, ListenerState& listener, Server::Core& core) {
  std::string peer = peer_string(socket);
  auto session =
      std::make_shared<Session<Socket>>(core, listener, std::move(peer), false, std::move(socket));
  session->start();
}

}  // namespace hpki::http::detail
