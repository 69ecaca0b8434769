// Distinguished names (RFC 5280 4.1.2.4, X.520; GB/T 20518 naming with Chinese values).
//
// A Name is an ordered list of RDNs, most significant first, as encoded. Building uses
// UTF8String for values, PrintableString for countryName and for values that fit the
// PrintableString alphabet when `prefer_printable` is set (issue 3: "UTF8String;
// PrintableString for C and for values that fit"). Parsing accepts every DirectoryString
// form (UTF8, Printable, IA5, BMP, Teletex, Universal) and keeps the original DER, which is
// what certificates compare byte-for-byte where RFC 5280 allows it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "der/oid.h"

namespace hpki::x509 {

// X.520 string types as encoded.
enum class StringType {
  kUtf8,
  kPrintable,
  kIa5,
  kBmp,
  kTeletex,
  kUniversal,
  kNumeric,
  kVisible,
  kOther
};

struct AttributeTypeAndValue {
  der::Oid type;
  std::string value;  // UTF-8 (kOther: "#" + hex of the DER value, as RFC 4514 2.4)
  Bytes value_der;    // the encoded value element as received or written
  StringType string_type = StringType::kUtf8;
  friend bool operator==(const AttributeTypeAndValue&, const AttributeTypeAndValue&) = default;
};

using Rdn = std::vector<AttributeTypeAndValue>;  // almost always one attribute

struct Name {
  std::vector<Rdn> rdns;
  Bytes der;  // the encoded Name (set by parse_name and encode_name)

  [[nodiscard]] bool empty() const { return rdns.empty(); }
  // First value of an attribute type, or empty.
  [[nodiscard]] std::string get(const der::Oid& type) const;
  friend bool operator==(const Name& a, const Name& b) { return a.rdns == b.rdns; }
};

// Short names used by profiles, CLI and printing: C, ST, L, O, OU, CN, serialNumber,
// organizationIdentifier, emailAddress.
[[nodiscard]] Result<der::Oid> attribute_oid(std::string_view short_name);
[[nodiscard]] std::string attribute_short_name(const der::Oid& type);  // dotted if unknown

// RFC 5280 Appendix A.1: the upper bound (ub-*) of an attribute's value, in characters —
// ub-common-name, ub-organization-name, ub-organizational-unit-name, ub-title,
// ub-serial-number 64; ub-locality-name, ub-state-name, ub-pseudonym 128;
// ub-emailaddress-length 255; countryName exactly 2; ub-name 32768 (surname, givenName).
// nullopt for attributes without one here.
[[nodiscard]] std::optional<std::size_t> attribute_upper_bound(const der::Oid& type);
// Characters of a valid UTF-8 string (code points).
[[nodiscard]] std::size_t utf8_length(std::string_view utf8) noexcept;
// The first character of `utf8` that must not appear in a name, or nullopt: C0 and C1 control
// characters and DEL, and the characters that change display direction — RFC 4518 2.4
// prohibits those of RFC 3454 table C.8 (U+200E, U+200F, U+202A..U+202E, U+206A..U+206F), and
// the bidirectional isolates U+2066..U+2069 (Unicode 6.3, UAX #9) do the same; a name such as
// "Dr. \u202Egnahz" displays reversed (CVE-2021-42574, "Trojan Source"). Assumes valid UTF-8.
[[nodiscard]] std::optional<char32_t> prohibited_name_character(std::string_view utf8) noexcept;

struct NameBuildOptions {
  bool prefer_printable = true;  // PrintableString where the value fits
  std::size_t max_value_length = 256;
};

// One attribute per RDN, in the given order. Empty values are skipped. Country must be two
// letters; emailAddress is IA5String (PKCS#9). Values longer than their RFC 5280 upper bound
// (attribute_upper_bound) or with a prohibited character (prohibited_name_character) are
// refused (kInvalidArgument).
[[nodiscard]] Result<Name> build_name(
    const std::vector<std::pair<std::string, std::string>>& attributes,  // (short name, value)
    const NameBuildOptions& options = {});

// Parses DER Name. Strict: every RDN non-empty, values valid for their string type.
[[nodiscard]] Result<Name> parse_name(BytesView der);

// RFC 4514 string, most significant RDN first as written in openssl -nameopt RFC2253 reversed:
// "C=CN, ST=上海, O=示例医院, CN=张三" (the form `openssl x509 -nameopt utf8,sep_comma_plus_space`
// prints). For display only.
[[nodiscard]] std::string to_string(const Name& name);

// RFC 5280 7.1 comparison (case-insensitive, whitespace-folded for strings; byte equality
// otherwise). Used by path building.
[[nodiscard]] bool names_match(const Name& a, const Name& b);

}  // namespace hpki::x509
