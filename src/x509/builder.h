// Certificate builder: profile + subject data + subject public key -> TBSCertificate DER ->
// lint -> signature through any crypto::Signer (file key, PKCS#11, later co-signing), so the CA
// key never has to be an OpenSSL object. The subject's SubjectPublicKeyInfo bytes are copied
// as received (from the CSR), never re-encoded (OpenSSL 3.0's X509_set_pubkey costs ~139 us).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/random.h"
#include "crypto/signer.h"
#include "x509/certificate.h"
#include "x509/extensions.h"
#include "x509/lint.h"
#include "x509/name.h"
#include "x509/name_policy.h"
#include "x509/profile.h"

namespace hpki::x509 {

// What the RA knows about the subject (from the staff / organization / device record).
struct SubjectData {
  std::string country = "CN";
  std::string province;      // ST
  std::string city;          // L
  std::string organization;  // O
  std::string department;    // OU
  std::string common_name;   // CN
  std::string email;  // emailAddress attribute, only if the profile orders it (then also a SAN)
  std::string organization_identifier;  // 2.5.4.97
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::vector<std::string> emails;  // SAN rfc822Name
  std::vector<std::string> uris;
  // Identifiers by name (profile.h kIdentifierNames): id_number, staff_no, licence_no, ...
  std::map<std::string, std::string> identifiers;
};

// The issuing CA as the builder needs it.
struct IssuerInfo {
  Name subject;
  Bytes subject_key_id;  // becomes the authorityKeyIdentifier
  std::string ca_id;     // for URL templates ({ca})
};

// Settings from configuration that shape every certificate.
struct BuildSettings {
  std::string base_url = "http://127.0.0.1:8080";  // {base_url} in profile URL templates
  TagStyle identify_code_style = TagStyle::kImplicit;
  bool gmt0015_2023 = false;  // emit the 2023 forms where a profile says "gmt0015"
  // Health-system identifier OIDs (configuration; nothing of the health spec is hard-coded).
  std::map<std::string, der::Oid> health_oids;  // key: staff_no, licence_no, institution_code
};

struct IssueParams {
  const Profile* profile = nullptr;
  SubjectData subject;
  Bytes subject_spki;  // DER SubjectPublicKeyInfo, copied into the TBS
  Bytes serial;        // positive INTEGER content bytes (see generate_serial)
  TimePoint not_before{};
  std::optional<int> validity_days;    // default: the profile's default_days
  const IssuerInfo* issuer = nullptr;  // nullptr: self-signed (root CA)
  // Extensions the CSR asked for; honoured only where the profile allows (SAN types).
  std::vector<Extension> requested_extensions;
  // The certificate's CRL shard when the CA publishes partitioned CRLs: "{shard}" in URL
  // templates becomes "-N"; absent (one CRL per CA), "{shard}" becomes empty.
  std::optional<std::int64_t> crl_shard;
  // Profile::organization_names: the names the subject's organization may have certified
  // (name_policy.h). nullptr = none configured: then every DNS name, IP address, URI host and
  // host-like CN is refused (kPolicyRefused).
  const PermittedNames* permitted_names = nullptr;
};

// Expands a profile URL template: {base_url}, {ca} (the issuing CA's id) and {shard} ("-N"
// for CRL shard N, empty without a shard). The CRL publisher names its CRLs the same way.
[[nodiscard]] std::string expand_url_template(std::string_view tmpl, std::string_view base_url,
                                              std::string_view ca_id,
                                              std::optional<std::int64_t> crl_shard);

// >= 64 bits of CSPRNG output (here 126), positive, minimal, 16 octets (RFC 5280 4.1.2.2).
[[nodiscard]] Result<Bytes> generate_serial(Random& random);

// Subject key identifier: SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280
// 4.2.1.2 method (1)), for every key type including SM2 (what peers compute and expect).
[[nodiscard]] Result<Bytes> key_identifier(BytesView spki_der);

// The subject Name the builder would put in the certificate (profile order, required fields).
[[nodiscard]] Result<Name> subject_name(const IssueParams& p);

// Builds the TBSCertificate (no lint, no signature).
[[nodiscard]] Result<Bytes> build_tbs_certificate(const IssueParams& p, const BuildSettings& s,
                                                  crypto::SignatureAlg signature_alg);

// Wraps TBS + algorithm + signature into a Certificate.
[[nodiscard]] Bytes assemble_certificate(BytesView tbs, crypto::SignatureAlg alg,
                                         BytesView signature);

struct IssuedCertificate {
  Bytes der;
  std::vector<Finding> findings;  // warnings/notices (errors stop issuance)
};

// lint (errors: kLintFailed with every finding in the detail) -> sign -> assemble, for a TBS
// built by build_tbs_certificate (the CA pipeline records the TBS hash in between).
[[nodiscard]] Result<IssuedCertificate> lint_and_sign(BytesView tbs, const LintContext& ctx,
                                                      const crypto::Signer& signer);

// build -> lint (errors: kLintFailed with every finding in the detail) -> sign.
[[nodiscard]] Result<IssuedCertificate> issue_certificate(const IssueParams& p,
                                                          const BuildSettings& s,
                                                          const crypto::Signer& signer,
                                                          const Certificate* issuer_cert = nullptr);

}  // namespace hpki::x509
