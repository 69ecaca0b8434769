// Certificate profiles: data, not code (issue 3 "Profiles"). Each profiles/<name>.toml is read
// into a Profile and validated at load; a profile that contradicts itself or a standard (an
// end-entity profile with keyCertSign, a TSA profile whose timeStamping EKU is not critical,
// an SSL profile allowing more than 398 days ...) stops loading with a precise message.
//
// Profiles are used by the certificate builder and by lint: lint checks an assembled TBS
// against the profile it claims, so a profile is also a specification.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "crypto/algorithm.h"

namespace hpki::x509 {

enum class CertKind { kRootCa, kIssuingCa, kEndEntity };

// RFC 5280 4.2.1.3 KeyUsage bit numbers.
enum class KeyUsageBit : std::uint8_t {
  kDigitalSignature = 0,
  kNonRepudiation = 1,
  kKeyEncipherment = 2,
  kDataEncipherment = 3,
  kKeyAgreement = 4,
  kKeyCertSign = 5,
  kCrlSign = 6,
  kEncipherOnly = 7,
  kDecipherOnly = 8,
};
using KeyUsageSet = std::uint16_t;  // bit i set = KeyUsageBit i asserted
[[nodiscard]] constexpr KeyUsageSet ku(KeyUsageBit b) {
  return static_cast<KeyUsageSet>(1u << static_cast<unsigned>(b));
}
[[nodiscard]] Result<KeyUsageBit> parse_key_usage(std::string_view name);
[[nodiscard]] std::string_view key_usage_name(KeyUsageBit b);

// Where an identifier of the subject record goes in the certificate.
enum class IdentifierPlacement {
  kNone,                 // not put in certificates
  kGmt0015,              // GM/T 0015-2012 private extension (IdentifyCode / OrganizationCode ...)
  kGmt0015v2023,         // GM/T 0015-2023 forms (1.2.156.10260.4.1.1.1, 1.2.156.10260.4.4)
  kSubjectSerialNumber,  // X.520 serialNumber (2.5.4.5) attribute of the subject
  kHealthExtension,      // health-system extension whose OID comes from configuration
};

// Identifiers a subject record may carry (CLI --id-number, --staff-no, --licence-no,
// --org-code; plus insurance number, institution code).
inline constexpr std::string_view kIdentifierNames[] = {
    "id_number", "insurance_number", "org_code", "staff_no", "licence_no", "institution_code"};

struct IdentifierRule {
  IdentifierPlacement placement = IdentifierPlacement::kNone;
  bool required = false;
};

struct PolicyInfo {
  std::string oid;      // dotted
  std::string cps_uri;  // optional CPS pointer qualifier
};

struct Profile {
  std::string name;
  std::string description;
  CertKind kind = CertKind::kEndEntity;
  std::vector<crypto::KeySpec> key_algorithms;  // allowed subject key algorithms
  int default_days = 365;
  int max_days = 365;

  // Subject DN: RDN order (most significant first) and which attributes are required.
  // Attribute short names: C, ST, L, O, OU, CN, serialNumber, organizationIdentifier, emailAddress.
  std::vector<std::string> subject_order;
  std::vector<std::string> subject_required;

  KeyUsageSet key_usage = 0;
  KeyUsageSet key_usage_sm2_extra = 0;  // added when the subject key is SM2 (e.g. keyAgreement)
  std::vector<std::string> extended_key_usage;  // dotted OIDs
  bool extended_key_usage_critical = false;

  bool basic_constraints = true;  // emit basicConstraints (always for CAs)
  std::optional<int> path_len;    // CA only

  bool ocsp_nocheck = false;  // id-pkix-ocsp-nocheck (OCSP responder certificates)

  bool san_required = false;
  std::vector<std::string> san_allowed;  // subset of dns, ip, email, uri

  // URL templates; "{base_url}" is the CA's public HTTP base, "{ca}" the issuing CA's id,
  // "{shard}" the certificate's CRL shard ("-N" when [ca] crl_shards > 1, else empty).
  std::vector<std::string> crl_distribution_points;
  std::vector<std::string> ocsp_urls;
  std::vector<std::string> ca_issuers_urls;
  std::vector<PolicyInfo> policies;

  std::map<std::string, IdentifierRule> identifiers;  // key: one of kIdentifierNames

  // Name constraints for sub-CAs (RFC 5280 4.2.1.10), dNSName subtrees only for now.
  std::vector<std::string> permitted_dns;
  std::vector<std::string> excluded_dns;

  // CA/Browser Forum Baseline Requirements apply (SSL server certificates).
  bool cabf_server = false;

  // [san] organization_names: every dNSName and iPAddress of a certificate of this profile
  // (from the request or the CSR), and a CN that is a host name or an IP address, must lie
  // within the names configured for the subject's organization ([organizations."<O>"] dns /
  // ip in hpki.toml); the CA refuses the request otherwise (issue 16: device and ssl-server).
  bool organization_names = false;

  // Who may request certificates of this profile, and renew, re-key, modify, revoke, hold or
  // release them: role names (kRequesterRoles). Trust-service profiles (CA certificates,
  // OCSPSigning or timeStamping EKU, the `operator` profile) are admin-only and loading fails
  // when they list anyone else; other profiles default to every role that may issue.
  std::vector<std::string> requesters;
  [[nodiscard]] bool allows_requester(std::string_view role) const;
  // True for the profiles whose certificates others trust for OCSP answers, timestamps,
  // certificate signing, operator access or audit checkpoints (hpkiAuditCheckpointSigning).
  [[nodiscard]] bool trust_service() const;

  [[nodiscard]] bool allows(const crypto::KeySpec& k) const;
  // Key usage for a subject key of this type: SM2 extras added; for cabf_server profiles and
  // ECDSA keys, keyEncipherment and dataEncipherment removed (CA/B BR 7.1.2.7.11).
  [[nodiscard]] KeyUsageSet key_usage_for(crypto::KeyType t) const;
};

// Roles that may appear in a profile's `requesters` (the API's roles that can request
// certificates; the CLI acts as "admin").
inline constexpr std::string_view kRequesterRoles[] = {"admin", "ra_officer", "integration"};
// The profile whose certificates authenticate hpki's operators (api/auth.h).
inline constexpr std::string_view kOperatorProfileName = "operator";

// Parses and validates one profile document. `source` names it in messages.
[[nodiscard]] Result<Profile> parse_profile(std::string_view toml_text, std::string source);
[[nodiscard]] Result<Profile> load_profile(const std::filesystem::path& file);

// All profiles/*.toml in a directory, by name. A duplicate name or any invalid profile is an
// error naming the file.
[[nodiscard]] Result<std::map<std::string, Profile>> load_profiles(
    const std::filesystem::path& dir);

// The names tooling relies on (issue 3); load_profiles() checks they are all present when
// `require_standard_set` is true.
inline constexpr std::string_view kStandardProfiles[] = {
    "root-ca", "issuing-ca", "staff-sign",     "staff-enc", "org-sign", "org-enc",
    "device",  "ssl-server", "ocsp-responder", "tsa",       "operator", "audit-signer"};

[[nodiscard]] Result<void> check_standard_set(const std::map<std::string, Profile>& profiles);

// True for "1.2.840..." style OIDs (at least two arcs, first 0..2, second < 40 under 0/1).
[[nodiscard]] bool is_dotted_oid(std::string_view s);

}  // namespace hpki::x509
