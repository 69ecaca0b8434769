// The names an organization may have certified (issue 16: device and SSL certificates). An
// organization's allowed DNS names and IP ranges ([organizations."<O>"] dns / ip in hpki.toml)
// are permitted subtrees in the sense of RFC 5280 4.2.1.10 name constraints, applied by the CA
// before it signs — the certificate itself carries no constraint:
//   - a DNS entry "example.cn" permits example.cn and every name below it (pacs.example.cn,
//     *.ward.example.cn); ".example.cn" permits only the names below it;
//   - an IP entry is an address ("10.1.2.3", "fd00::1") or a range in CIDR form
//     ("10.1.0.0/16", "fd00::/8");
//   - a URI's host must be a permitted DNS name (an IP literal host must be in an IP range).
// Anything else (another organization's domain, a public name, localhost, a wildcard above
// the permitted domain) is refused with kPolicyRefused naming the first such name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "x509/extensions.h"

namespace hpki::x509 {

struct PermittedNames {
  std::vector<GeneralName> dns;  // dNSName subtrees (lower case)
  std::vector<GeneralName> ip;   // iPAddress subtrees: address || mask (8 or 32 bytes)
  // Every name: only for certificates hpki makes for itself (its API's TLS certificate),
  // never for a request from the CLI or the API.
  bool any = false;
};

// Parses the configured entries; kInvalidArgument naming a bad entry.
[[nodiscard]] Result<PermittedNames> parse_permitted_names(const std::vector<std::string>& dns,
                                                           const std::vector<std::string>& ip);

// kPolicyRefused unless every dNSName, iPAddress and URI host of `names` lies within
// `permitted`; `who` names the organization in the message. Other name forms are not checked.
[[nodiscard]] Result<void> check_permitted_names(const std::vector<GeneralName>& names,
                                                 const PermittedNames& permitted,
                                                 std::string_view who);

// Whether a subject commonName is a host name or an IP address in text form (then it is held
// to the same permitted names as the SANs): "pacs.example.cn", "10.1.2.3", "::1"; not
// "pacs-1" or "张三".
[[nodiscard]] bool looks_like_host(std::string_view common_name);

}  // namespace hpki::x509
