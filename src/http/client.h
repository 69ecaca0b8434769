// A small synchronous HTTP/1.1 client (Boost.Beast) for the CLI: one request per connection,
// http:// and https:// URLs (RFC 3161 3.4 time-stamping, later OCSP and CRL fetches). Not for
// servers: it blocks the calling thread. https:// verifies the server's chain against
// ClientOptions::ca_file (or the system's trust store) and its name or IP address against the
// URL's host; TLS 1.2 or later.
//
// Errors: kInvalidArgument for a URL that is not http(s)://host[:port][/path]; kUnavailable
// when the host cannot be resolved or reached or the exchange fails or exceeds `timeout` (each
// step: resolve, connect, handshake, send, read); kBadCertificate when the server's TLS
// certificate is not trusted or does not name the host; kTooLarge when the response body
// exceeds `max_body_bytes`. An HTTP error status is not an Error: the caller reads
// ClientResponse::status.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::http {

struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

struct ClientOptions {
  std::chrono::milliseconds timeout{10000};
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::string ca_file;  // https://: PEM trust anchors; empty = the system's trust store
  // Further request headers (e.g. a webhook's signature header).
  std::vector<std::pair<std::string, std::string>> headers{};
};

[[nodiscard]] Result<ClientResponse> post(std::string_view url, std::string_view content_type,
                                          BytesView body, const ClientOptions& options = {});

}  // namespace hpki::http
