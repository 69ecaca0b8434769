// Plain-TCP connections.
#include "http/detail/session.h"

namespace hpki::http::detail {

template <>
struct StreamTraits<tcp::socket> {
  template <class Callback>
  static void handshake(tcp::socket&, Callback&& callback) {
    callback(beast::error_code{});
  }
  static Result<std::vector<Bytes>> peer_chain(tcp::socket&) { return std::vector<Bytes>{}; }
};

void start_plain_session(tcp::socket socket, ListenerState& listener, Server::Core& core) {
  std::string peer = peer_string(socket);
  auto session = std::make_shared<Session<tcp::socket>>(core, listener, std::move(peer), false,
                                                        std::move(socket));
  session->start();
}

}  // namespace hpki::http::detail
