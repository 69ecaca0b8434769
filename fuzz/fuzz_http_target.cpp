// fuzz-links: http
// Request-target handling of the HTTP server: route matching (path parameters decoded),
// query parsing and percent-decoding on arbitrary bytes. Input: "<METHOD> <target>".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "http/message.h"
#include "http/router.h"

namespace {

const hpki::http::Router& router() {
  static const hpki::http::Router r = [] {
    hpki::http::Router x;
    auto h = [](const hpki::http::Request&) { return hpki::http::Response{}; };
    x.add("GET", "/api/v1/certificates", h);
    x.add("GET", "/api/v1/certificates/{serial}", h);
    x.add("POST", "/api/v1/certificates/{serial}/revoke", h);
    x.add("GET", "/api/v1/certificates/search", h);
    x.add("GET", "/{a}/{b}/{c}", h);
    return x;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto sp = in.find(' ');
  std::string_view method = in.substr(0, sp);
  std::string_view target = sp == std::string_view::npos ? std::string_view{} : in.substr(sp + 1);
  std::string_view path = target.substr(0, target.find('?'));
  auto m = router().match(method, path);
  if (m.kind == hpki::http::RouteMatch::Kind::kFound) {
    HPKI_CHECK(m.route != nullptr && m.handler != nullptr);
    for (const auto& [k, v] : m.params) HPKI_CHECK(!k.empty() && !v.empty());
  } else {
    HPKI_CHECK(m.route == nullptr);
    HPKI_CHECK((m.kind == hpki::http::RouteMatch::Kind::kMethodNotAllowed) == !m.allowed.empty());
  }
  if (auto q = target.find('?'); q != std::string_view::npos) {
    static_cast<void>(hpki::http::parse_query(target.substr(q + 1)));
  }
  auto decoded = hpki::http::percent_decode(path, false);
  if (decoded) HPKI_CHECK(decoded->size() <= path.size());
  return 0;
}
