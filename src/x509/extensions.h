// X.509 v3 extensions (RFC 5280 4.2) and the Chinese private extensions (GM/T 0015), as
// semantic structs with an encoder and a parser each. Encoders produce the extnValue
// contents (the DER inside the OCTET STRING); parsers take the same and are strict.
//
// Encoders live in extensions_encode.cpp, parsers in extensions_parse.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "der/oid.h"
#include "x509/name.h"

namespace hpki::x509 {

struct Extension {
  der::Oid oid;
  bool critical = false;
  Bytes value;  // extnValue contents (DER of the extension's own type)
  friend bool operator==(const Extension&, const Extension&) = default;
};

// RFC 5280 4.2.1.6 GeneralName (the forms hpki emits and checks; others kept raw).
struct GeneralName {
  enum class Type {
    kOther = 0,
    kRfc822 = 1,
    kDns = 2,
    kX400 = 3,
    kDirectory = 4,
    kEdiParty = 5,
    kUri = 6,
    kIp = 7,
    kRegisteredId = 8
  };
  Type type = Type::kDns;
  std::string text;  // rfc822Name, dNSName, URI (IA5); dotted OID for registeredID
  Bytes ip;          // iPAddress: 4 or 16 bytes (or 8/32 with mask in name constraints)
  std::optional<Name> directory;
  Bytes raw;  // the whole encoded GeneralName (always set by the parser)
  friend bool operator==(const GeneralName&, const GeneralName&) = default;
};
[[nodiscard]] Result<GeneralName> dns_name(std::string_view name);    // validates LDH labels
[[nodiscard]] Result<GeneralName> ip_address(std::string_view text);  // IPv4 or IPv6 text
[[nodiscard]] Result<GeneralName> email_address(std::string_view addr);
[[nodiscard]] Result<GeneralName> uri_name(std::string_view uri);

struct BasicConstraints {
  bool ca = false;
  std::optional<int> path_len;
};

using KeyUsageBits = std::uint16_t;  // bit i = RFC 5280 KeyUsage bit i (see profile.h KeyUsageBit)

struct AuthorityKeyIdentifier {
  std::optional<Bytes> key_id;
  std::vector<GeneralName> issuer;  // authorityCertIssuer (parsed only)
  std::optional<Bytes> serial;      // authorityCertSerialNumber (parsed only)
};

struct PolicyQualifiedInfo {
  der::Oid policy;
  std::vector<std::string> cps_uris;
};

struct DistributionPoint {
  std::vector<GeneralName> full_name;         // distributionPoint fullName (URIs)
  std::optional<Bytes> relative_name;         // nameRelativeToCRLIssuer, raw
  std::optional<std::uint8_t> reasons;        // ReasonFlags first octet, if present
  std::optional<std::uint16_t> reason_flags;  // all ReasonFlags: bit n = 1 << n (parsed only)
  std::vector<GeneralName> crl_issuer;
};

struct AccessDescription {
  der::Oid method;  // id-ad-ocsp or id-ad-caIssuers
  GeneralName location;
};

struct NameConstraints {
  std::vector<GeneralName> permitted;
  std::vector<GeneralName> excluded;
};

// RFC 5280 5.2.5 issuingDistributionPoint.
struct IssuingDistributionPoint {
  std::vector<GeneralName> full_name;
  std::optional<Bytes> relative_name;  // nameRelativeToCRLIssuer, raw (parsed only)
  bool only_contains_user_certs = false;
  bool only_contains_ca_certs = false;
  std::optional<std::uint16_t> only_some_reasons;
  bool indirect_crl = false;
  bool only_contains_attribute_certs = false;
};

// GM/T 0015-2012 IdentifyCode ::= CHOICE { residenterCardNumber [0] PrintableString,
//   militaryOfficerCardNumber [1] UTF8String, passportNumber [2] PrintableString }.
// The standard does not say IMPLICIT or EXPLICIT; hpki emits one configured style and
// parses both (and the 2023 split form 1.2.156.10260.4.1.1.1 / .2, a bare PrintableString).
struct IdentifyCode {
  enum class Kind { kResidentId = 0, kOfficerCard = 1, kPassport = 2 };
  Kind kind = Kind::kResidentId;
  std::string value;
};
enum class TagStyle { kImplicit, kExplicit };

// ---- encoders (extnValue contents) ----
[[nodiscard]] Result<Bytes> encode_basic_constraints(const BasicConstraints& bc);
[[nodiscard]] Result<Bytes> encode_key_usage(KeyUsageBits bits);
[[nodiscard]] Result<Bytes> encode_extended_key_usage(const std::vector<der::Oid>& purposes);
[[nodiscard]] Result<Bytes> encode_subject_key_identifier(BytesView key_id);
[[nodiscard]] Result<Bytes> encode_authority_key_identifier(BytesView key_id);
[[nodiscard]] Result<Bytes> encode_general_names(const std::vector<GeneralName>& names);  // SAN/IAN
[[nodiscard]] Result<Bytes> encode_certificate_policies(const std::vector<PolicyQualifiedInfo>& p);
[[nodiscard]] Result<Bytes> encode_crl_distribution_points(const std::vector<std::string>& uris);
[[nodiscard]] Result<Bytes> encode_authority_info_access(
    const std::vector<std::string>& ocsp, const std::vector<std::string>& ca_issuers);
[[nodiscard]] Result<Bytes> encode_name_constraints(const NameConstraints& nc);
[[nodiscard]] Bytes encode_ocsp_nocheck();  // NULL
[[nodiscard]] Result<Bytes> encode_identify_code(const IdentifyCode& id, TagStyle style);
// InsuranceNumber, ICRegistrationNumber, OrganizationCode, TaxationNumber, 2023 forms and
// configured health identifiers: a PrintableString (UTF8String when not printable and
// `allow_utf8`).
[[nodiscard]] Result<Bytes> encode_printable_identifier(std::string_view value,
                                                        bool allow_utf8 = false);
// CRL extensions (RFC 5280 5.2).
[[nodiscard]] Result<Bytes> encode_crl_number(BytesView big_endian_number);
[[nodiscard]] Result<Bytes> encode_issuing_distribution_point(const IssuingDistributionPoint& idp);
[[nodiscard]] Result<Bytes> encode_reason_code(int reason);
[[nodiscard]] Result<Bytes> encode_invalidity_date(std::chrono::system_clock::time_point t);

// ---- parsers (extnValue contents) ----
[[nodiscard]] Result<BasicConstraints> parse_basic_constraints(BytesView v);
[[nodiscard]] Result<KeyUsageBits> parse_key_usage(BytesView v);
[[nodiscard]] Result<std::vector<der::Oid>> parse_extended_key_usage(BytesView v);
[[nodiscard]] Result<Bytes> parse_subject_key_identifier(BytesView v);
[[nodiscard]] Result<AuthorityKeyIdentifier> parse_authority_key_identifier(BytesView v);
[[nodiscard]] Result<std::vector<GeneralName>> parse_general_names(BytesView v);
[[nodiscard]] Result<std::vector<PolicyQualifiedInfo>> parse_certificate_policies(BytesView v);
[[nodiscard]] Result<std::vector<DistributionPoint>> parse_crl_distribution_points(BytesView v);
[[nodiscard]] Result<std::vector<AccessDescription>> parse_authority_info_access(BytesView v);
[[nodiscard]] Result<NameConstraints> parse_name_constraints(BytesView v);
[[nodiscard]] Result<IdentifyCode> parse_identify_code(BytesView v);  // both tag styles
[[nodiscard]] Result<std::string> parse_printable_identifier(BytesView v);
[[nodiscard]] Result<Bytes> parse_crl_number(BytesView v);
[[nodiscard]] Result<IssuingDistributionPoint> parse_issuing_distribution_point(BytesView v);
[[nodiscard]] Result<int> parse_reason_code(BytesView v);
[[nodiscard]] Result<std::chrono::system_clock::time_point> parse_invalidity_date(BytesView v);

}  // namespace hpki::x509
