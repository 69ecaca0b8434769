// HTTP request and response values handed to and returned by route handlers.
// Handlers never see Boost types: a Request is fully read (body included) before a handler
// runs, on a worker thread; the Response is written back by an I/O thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"

namespace hpki::http {

struct Request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // raw request target, e.g. "/api/v1/certificates?page=2"
  std::string path;    // percent-decoded path part of the target
  std::string route;   // matched route pattern, e.g. "/api/v1/certificates/{serial}"
  std::map<std::string, std::string> path_params;            // percent-decoded
  std::vector<std::pair<std::string, std::string>> query;    // percent-decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case, in order
  std::string body;
  std::string peer;  // "ip:port" of the TCP peer
  bool tls = false;
  std::vector<Bytes> peer_chain;  // verified client certificate chain (DER, leaf first)
  std::string request_id;

  // Case-insensitive header lookup (first occurrence).
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
  [[nodiscard]] std::optional<std::string_view> param(std::string_view name) const;
  [[nodiscard]] std::optional<std::string_view> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  [[nodiscard]] static Response json(int status, std::string body);
  [[nodiscard]] static Response text(int status, std::string body,
                                     std::string content_type = "text/plain; charset=utf-8");
  Response& set_header(std::string name, std::string value);
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

// RFC 3986 2.1: decodes %XX escapes ('+' stays '+' in paths; query decoding maps '+' to
// space). Returns nullopt on a malformed escape.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

// Splits an application/x-www-form-urlencoded query ("a=1&b=x%20y") into decoded pairs in
// order (empty parts skipped, a missing '=' gives an empty value); nullopt on a bad escape.
[[nodiscard]] std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(
    std::string_view query);

// RFC 9110 5.6.7 IMF-fixdate in UTC, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (whole seconds;
// years 1970-9999).
[[nodiscard]] std::string http_date(TimePoint t);

// RFC 9110 13.1.2: whether an If-None-Match value ("*" or a list of entity tags, weak
// comparison) matches `etag` (a quoted entity tag).
[[nodiscard]] bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace hpki::http
