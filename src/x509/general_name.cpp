#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "x509/extensions.h"

namespace hpki::x509 {

Result<GeneralName> dns_name(std::string_view name) {
  // RFC 5280 4.2.1.6 / RFC 1034 preferred name syntax; a leading "*." wildcard label is
  // accepted (CA/B BR 7.1.4.2); IDNs must already be A-labels.
  auto bad = [&](std::string_view why) {
    return fail(ErrorCode::kInvalidArgument,
                "DNS name '" + std::string(name) + "': " + std::string(why));
  };
  if (name.empty() || name.size() > 253) return bad("length must be 1..253");
  std::string_view rest = name;
  if (rest.starts_with("*.")) rest.remove_prefix(2);
  std::size_t start = 0;
  while (start <= rest.size()) {
    std::size_t dot = rest.find('.', start);
    if (dot == std::string_view::npos) dot = rest.size();
    auto label = rest.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return bad("empty or over-long label");
    if (label.front() == '-' || label.back() == '-') return bad("label starts or ends with '-'");
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return bad("invalid character");
    }
    if (dot == rest.size()) break;
    start = dot + 1;
  }
  GeneralName g;
  g.type = GeneralName::Type::kDns;
  g.text = std::string(name);
  std::transform(g.text.begin(), g.text.end(), g.text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return g;
}

Result<GeneralName> ip_address(std::string_view text) {
  GeneralName g;
  g.type = GeneralName::Type::kIp;
  std::string s(text);
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    g.ip.assign(buf, buf + 4);
  } else if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    g.ip.assign(buf, buf + 16);
  } else {
    return fail(ErrorCode::kInvalidArgument, "'" + s + "' is not an IPv4 or IPv6 address");
  }
  g.text = s;
  return g;
}

Result<GeneralName> email_address(std::string_view addr) {
  auto at = addr.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= addr.size() ||
      addr.find('@', at + 1) != std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument,
                "'" + std::string(addr) + "' is not an email address (local@domain)");
  }
  for (char c : addr) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return fail(ErrorCode::kInvalidArgument,
                  "email address '" + std::string(addr) + "' must be ASCII without spaces");
    }
  }
  HPKI_TRY(dns_name(addr.substr(at + 1)));
  GeneralName g;
  g.type = GeneralName::Type::kRfc822;
  g.text = std::string(addr);
  return g;
}

Result<GeneralName> uri_name(std::string_view uri) {
  auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail(ErrorCode::kInvalidArgument, "'" + std::string(uri) + "' is not an absolute URI");
  }
  for (char c : uri) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return fail(ErrorCode::kInvalidArgument,
                  "URI '" + std::string(uri) + "' must be ASCII without spaces");
    }
  }
  GeneralName g;
  g.type = GeneralName::Type::kUri;
  g.text = std::string(uri);
  return g;
}

}  // namespace hpki::x509
