#include "x509/name_policy.h"

#include <charconv>

#include "x509/detail/name_match.h"

namespace hpki::x509 {
namespace {

Result<GeneralName> ip_range(std::string_view entry) {
  const auto slash = entry.find('/');
  auto addr = ip_address(entry.substr(0, slash));
  if (!addr) {
    return fail(ErrorCode::kInvalidArgument,
                "IP entry '" + std::string(entry) + "': " + addr.error().detail());
  }
  const std::size_t n = addr->ip.size();
  std::size_t prefix = n * 8;
  if (slash != std::string_view::npos) {
    const std::string_view len = entry.substr(slash + 1);
    const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
    if (len.empty() || ec != std::errc{} || end != len.data() + len.size() || prefix > n * 8) {
      return fail(ErrorCode::kInvalidArgument, "IP entry '" + std::string(entry) +
                                                   "': prefix length must be 0.." +
                                                   std::to_string(n * 8));
    }
  }
  GeneralName g;
  g.type = GeneralName::Type::kIp;
  g.ip = addr->ip;
  g.ip.resize(2 * n, 0);
  for (std::size_t bit = 0; bit < prefix; ++bit) {
    g.ip[n + bit / 8] = static_cast<std::uint8_t>(g.ip[n + bit / 8] | (0x80u >> (bit % 8)));
  }
  for (std::size_t i = 0; i < n; ++i) g.ip[i] = static_cast<std::uint8_t>(g.ip[i] & g.ip[n + i]);
  return g;
}

bool within(const GeneralName& name, const std::vector<GeneralName>& subtrees) {
  for (const auto& base : subtrees) {
    if (detail::name_in_subtree(name, base, false) == detail::NcMatch::kMatch) return true;
  }
  return false;
}

std::string display(const GeneralName& g) {
  if (g.type != GeneralName::Type::kIp) return g.text;
  std::string out;
  if (g.ip.size() == 4) {
    for (std::size_t i = 0; i < 4; ++i) out += (i ? "." : "") + std::to_string(g.ip[i]);
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < g.ip.size(); ++i) {
      if (i && i % 2 == 0) out += ':';
      out += kHex[g.ip[i] >> 4];
      out += kHex[g.ip[i] & 15];
    }
  }
  return out;
}

}  // namespace

Result<PermittedNames> parse_permitted_names(const std::vector<std::string>& dns,
                                             const std::vector<std::string>& ip) {
  PermittedNames out;
  for (const auto& entry : dns) {
    std::string_view e = entry;
    const bool subdomains_only = e.starts_with('.');
    if (subdomains_only) e.remove_prefix(1);
    if (e.starts_with("*")) {
      return fail(ErrorCode::kInvalidArgument,
                  "DNS entry '" + entry + "': no wildcards; 'example.cn' permits every name below");
    }
    auto g = dns_name(e);
    if (!g) return fail(ErrorCode::kInvalidArgument, "DNS entry: " + g.error().detail());
    if (subdomains_only) g->text.insert(0, ".");
    out.dns.push_back(std::move(*g));
  }
  for (const auto& entry : ip) out.ip.push_back(HPKI_TRY(ip_range(entry)));
  return out;
}

Result<void> check_permitted_names(const std::vector<GeneralName>& names,
                                   const PermittedNames& permitted, std::string_view who) {
  if (permitted.any) return {};
  auto refuse = [&](const GeneralName& g, std::string_view kind) {
    return fail(ErrorCode::kPolicyRefused, std::string(kind) + " '" + display(g) +
                                               "' is not among the names of " + std::string(who) +
                                               " (hpki.toml [organizations.\"" + std::string(who) +
                                               "\"] dns / ip)");
  };
  for (const auto& g : names) {
    switch (g.type) {
      case GeneralName::Type::kDns:
        if (!within(g, permitted.dns)) return refuse(g, "DNS name");
        break;
      case GeneralName::Type::kIp:
        if (!within(g, permitted.ip)) return refuse(g, "IP address");
        break;
      case GeneralName::Type::kUri: {
        // RFC 3986 3.2.2: the host; an IP literal is held to the IP ranges.
        std::string_view uri = g.text;
        const auto scheme_end = uri.find("://");
        if (scheme_end == std::string_view::npos) break;  // no authority: no host to certify
        std::string_view host = uri.substr(scheme_end + 3);
        host = host.substr(0, host.find_first_of("/?#"));
        if (const auto at = host.rfind('@'); at != std::string_view::npos)
          host = host.substr(at + 1);
        GeneralName h;
        if (host.starts_with('[')) {
          auto ip = ip_address(host.substr(1, host.find(']') - 1));
          if (!ip || !within(*ip, permitted.ip)) return refuse(g, "URI");
          break;
        }
        host = host.substr(0, host.find(':'));
        if (auto ip = ip_address(host)) {
          if (!within(*ip, permitted.ip)) return refuse(g, "URI");
          break;
        }
        auto d = dns_name(host);
        if (!d || !within(*d, permitted.dns)) return refuse(g, "URI");
        break;
      }
      default:
        break;
    }
  }
  return {};
}

bool looks_like_host(std::string_view cn) {
  if (ip_address(cn)) return true;
  if (cn.find('.') == std::string_view::npos) return false;
  return dns_name(cn).has_value();
}

}  // namespace hpki::x509
