// Name matching shared by path validation: RFC 5280 4.2.1.10 name constraints, RFC 6125
// identity matching and DNS name syntax. Private to the x509 module.
#pragma once

#include <string_view>
#include <vector>

#include "x509/extensions.h"
#include "x509/name.h"

namespace hpki::x509::detail {

enum class NcMatch { kMatch, kNoMatch, kUnsupported };

// Whether `name` lies within the subtree `base` (same GeneralName form assumed by the caller;
// a different form is kNoMatch). `for_exclusion`: a SAN wildcard dNSName lies within a subtree
// when any name it could stand for does (so "*.example.com" is caught by an exclusion of
// "host.example.com").
[[nodiscard]] NcMatch name_in_subtree(const GeneralName& name, const GeneralName& base,
                                      bool for_exclusion);

// RFC 5280 4.2.1.10 directoryName: `base`'s RDNs are the first RDNs of `name`.
[[nodiscard]] bool dn_in_subtree(const Name& name, const Name& base);

// RFC 5280 4.2.1.6 / RFC 1034 3.5 preferred name syntax (LDH labels of 1..63 characters, at most
// 253 in all); with `allow_wildcard`, a leading "*." label as in certificates.
[[nodiscard]] bool valid_dns_name(std::string_view name, bool allow_wildcard);

// RFC 5280 4.2.1.6 / RFC 5321 4.1.2: an rfc822Name is a Mailbox, local-part "@" domain: one
// "@", a non-empty local-part of printable ASCII without spaces, and a domain in the preferred
// name syntax.
[[nodiscard]] bool valid_mailbox(std::string_view name);

// Whether `domain` (lower-case, A-labels) is a public suffix by the Public Suffix List
// algorithm (publicsuffix.org/list: exact rules, "*." wildcard rules, "!" exceptions; the
// implicit "*" rule makes every single label a public suffix). The list is Debian's, compiled in.
[[nodiscard]] bool is_public_suffix(std::string_view domain);

// Lower-case ASCII.
[[nodiscard]] std::string ascii_lower(std::string_view s);

}  // namespace hpki::x509::detail
