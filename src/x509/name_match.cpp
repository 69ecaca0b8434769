#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "x509/detail/name_match.h"
#include "x509/path.h"

namespace hpki::x509 {
namespace detail {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 5280 4.2.1.6 / RFC 1034 3.5 preferred name syntax (LDH labels), with an optional
// leading "*." wildcard label in certificates.
bool valid_dns_name(std::string_view name, bool allow_wildcard) {
  if (allow_wildcard && name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63 || name[i - 1] == '-' || name[i - label] == '-') return false;
      label = 0;
      continue;
    }
    const char c = name[i];
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
    ++label;
  }
  return true;
}

bool valid_mailbox(std::string_view name) {
  const auto at = name.find('@');
  if (at == std::string_view::npos || at == 0 || name.find('@', at + 1) != std::string_view::npos)
    return false;
  for (char c : name.substr(0, at)) {
    if (c <= ' ' || c > '~') return false;
  }
  return valid_dns_name(name.substr(at + 1), false);
}

bool is_public_suffix(std::string_view domain) {
  static const std::unordered_set<std::string_view> kRules = [] {
    static constexpr std::string_view kList[] = {
#include "x509/public_suffix_data.inc"
    };
    return std::unordered_set<std::string_view>(std::begin(kList), std::end(kList));
  }();
  if (domain.empty()) return false;
  if (domain.find('.') == std::string_view::npos) return true;  // the implicit "*" rule
  const std::string exception = "!" + std::string(domain);
  if (kRules.contains(exception)) return false;
  if (kRules.contains(domain)) return true;
  const auto dot = domain.find('.');
  return kRules.contains("*." + std::string(domain.substr(dot + 1)));
}

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string strip_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return std::string(s);
}

// RFC 5280 4.2.1.10 dNSName: "any DNS name that can be constructed by simply adding zero or
// more labels to the left-hand side of the name satisfies the name constraint". A leading
// period (".example.com", common practice) allows subdomains only.
bool dns_in(std::string_view name, std::string_view constraint) {
  if (constraint.empty()) return true;
  if (constraint.front() == '.')
    return name.size() > constraint.size() && ends_with(name, constraint);
  if (name == constraint) return true;
  return name.size() > constraint.size() && ends_with(name, constraint) &&
         name[name.size() - constraint.size() - 1] == '.';
}

// RFC 5280 4.2.1.10 rfc822Name: a mailbox, a host, or a domain with a leading period.
bool email_in(std::string_view addr, std::string_view constraint) {
  const auto at = addr.rfind('@');
  if (at == std::string_view::npos) return false;
  const std::string local(addr.substr(0, at));
  const std::string host = ascii_lower(addr.substr(at + 1));
  if (constraint.find('@') != std::string_view::npos) {
    const auto cat = constraint.rfind('@');
    return local == constraint.substr(0, cat) && host == ascii_lower(constraint.substr(cat + 1));
  }
  const std::string c = ascii_lower(constraint);
  if (c.empty()) return true;
  if (c.front() == '.') return host.size() > c.size() && ends_with(host, c);
  return host == c;
}

// The host of a URI (RFC 3986 3.2.2), lower-case; empty when there is no authority.
std::string uri_host(std::string_view uri) {
  const auto scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view rest = uri.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') return {};  // IP literal: not a DNS host
  rest = rest.substr(0, rest.find(':'));
  return ascii_lower(rest);
}

// RFC 5280 4.2.1.10 iPAddress: address/mask of 8 (IPv4) or 32 (IPv6) octets. The mask must
// be a contiguous prefix (RFC 4632 style); anything else is unsupported.
NcMatch ip_in(const Bytes& ip, const Bytes& constraint) {
  if (constraint.size() != 8 && constraint.size() != 32) return NcMatch::kUnsupported;
  const std::size_t n = constraint.size() / 2;
  bool zero_seen = false;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t m = constraint[n + i];
    for (int b = 7; b >= 0; --b) {
      const bool bit = ((m >> b) & 1) != 0;
      if (bit && zero_seen) return NcMatch::kUnsupported;
      if (!bit) zero_seen = true;
    }
  }
  if (ip.size() != n) return NcMatch::kNoMatch;
  for (std::size_t i = 0; i < n; ++i) {
    if ((ip[i] & constraint[n + i]) != (constraint[i] & constraint[n + i]))
      return NcMatch::kNoMatch;
  }
  return NcMatch::kMatch;
}

}  // namespace

bool dn_in_subtree(const Name& name, const Name& base) {
  if (base.rdns.size() > name.rdns.size()) return false;
  for (std::size_t i = 0; i < base.rdns.size(); ++i) {
    Name a, b;
    a.rdns = {name.rdns[i]};
    b.rdns = {base.rdns[i]};
    if (!names_match(a, b)) return false;
  }
  return true;
}

NcMatch name_in_subtree(const GeneralName& name, const GeneralName& base, bool for_exclusion) {
  if (name.type != base.type) return NcMatch::kNoMatch;
  using T = GeneralName::Type;
  switch (name.type) {
    case T::kDns: {
      const std::string n = strip_dot(ascii_lower(name.text));
      const std::string c = ascii_lower(base.text);
      if (dns_in(n, c)) return NcMatch::kMatch;
      // A wildcard stands for any one label: an exclusion covering some name it matches
      // covers the wildcard name.
      if (for_exclusion && n.starts_with("*.")) {
        const std::string_view parent = std::string_view(n).substr(2);
        std::string_view cc = c;
        if (!cc.empty() && cc.front() == '.') cc.remove_prefix(1);
        const auto dot = cc.find('.');
        if (dot != std::string_view::npos && cc.substr(dot + 1) == parent) return NcMatch::kMatch;
      }
      return NcMatch::kNoMatch;
    }
    case T::kRfc822:
      return email_in(name.text, base.text) ? NcMatch::kMatch : NcMatch::kNoMatch;
    case T::kUri: {
      const std::string host = uri_host(name.text);
      if (host.empty()) return NcMatch::kUnsupported;
      // RFC 5280 4.2.1.10: a URI constraint with a leading period is a domain (subdomains
      // only); otherwise it names exactly one host.
      const std::string c = ascii_lower(base.text);
      if (!c.empty() && c.front() == '.')
        return dns_in(host, c) ? NcMatch::kMatch : NcMatch::kNoMatch;
      return host == c ? NcMatch::kMatch : NcMatch::kNoMatch;
    }
    case T::kIp:
      return ip_in(name.ip, base.ip);
    case T::kDirectory:
      if (!name.directory || !base.directory) return NcMatch::kUnsupported;
      return dn_in_subtree(*name.directory, *base.directory) ? NcMatch::kMatch : NcMatch::kNoMatch;
    default:
      return NcMatch::kUnsupported;
  }
}

}  // namespace detail

// RFC 6125 6.4.1 / 6.4.3; CA/B Forum BR 7.1.2.7.12: a wildcard is the whole leftmost label and
// stands for exactly one label; "*.com"-like wildcards (a single label after it) never match.
bool dns_name_matches(std::string_view presented, std::string_view reference) {
  std::string p = detail::ascii_lower(presented);
  std::string r = detail::ascii_lower(reference);
  if (!p.empty() && p.back() == '.') p.pop_back();
  if (!r.empty() && r.back() == '.') r.pop_back();
  if (p.empty() || r.empty()) return false;
  if (p.find('*') == std::string::npos) return p == r;
  if (!p.starts_with("*.")) return false;
  const std::string_view parent = std::string_view(p).substr(2);
  if (parent.find('*') != std::string_view::npos) return false;
  if (parent.find('.') == std::string_view::npos) return false;
  const auto dot = r.find('.');
  if (dot == std::string::npos || dot == 0) return false;
  return std::string_view(r).substr(dot + 1) == parent;
}

}  // namespace hpki::x509
