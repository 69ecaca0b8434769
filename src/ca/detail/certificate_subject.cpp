#include "ca/detail/certificate_subject.h"

#include "core/encoding.h"
#include "der/oids.h"

namespace hpki::ca::detail {

using store::CaFamily;

std::string family_prefix(CaFamily f) { return std::string(store::to_string(f)); }

std::string key_type_name(const crypto::KeySpec& k) { return crypto::key_spec_name(k); }

const char* family_title(CaFamily f) {
  switch (f) {
    case CaFamily::kRsa:
      return "RSA";
    case CaFamily::kEcdsa:
      return "ECDSA";
    case CaFamily::kSm2:
      return "SM2";
  }
  return "";
}

FamilyKeys keys_of(CaFamily f) {
  using crypto::KeyType;
  switch (f) {
    case CaFamily::kRsa:
      return {{KeyType::kRsa, 3072}, {KeyType::kRsa, 2048}, {KeyType::kRsa, 2048}};
    case CaFamily::kEcdsa:
      return {{KeyType::kEcP384, 0}, {KeyType::kEcP256, 0}, {KeyType::kEcP256, 0}};
    case CaFamily::kSm2:
      return {{KeyType::kSm2, 0}, {KeyType::kSm2, 0}, {KeyType::kSm2, 0}};
  }
  return {};
}

CaFamily family_for_key(const crypto::KeySpec& k, bool have_ecdsa) {
  switch (k.type) {
    case crypto::KeyType::kSm2:
      return CaFamily::kSm2;
    case crypto::KeyType::kRsa:
      return CaFamily::kRsa;
    default:
      return have_ecdsa ? CaFamily::kEcdsa : CaFamily::kRsa;
  }
}

store::SubjectKind kind_for_profile(std::string_view profile) {
  if (profile.starts_with("staff")) return store::SubjectKind::kStaff;
  if (profile.starts_with("org")) return store::SubjectKind::kOrganization;
  return store::SubjectKind::kDevice;
}

// Fills empty subject fields from the CSR's subject.
void merge_csr_subject(x509::SubjectData& s, const x509::Name& n) {
  auto take = [&](std::string& field, const der::Oid& oid) {
    if (field.empty()) field = n.get(oid);
  };
  if (s.country.empty()) s.country = n.get(der::oids::kCountryName);
  take(s.province, der::oids::kStateOrProvinceName);
  take(s.city, der::oids::kLocalityName);
  take(s.organization, der::oids::kOrganizationName);
  take(s.department, der::oids::kOrganizationalUnitName);
  take(s.common_name, der::oids::kCommonName);
  take(s.email, der::oids::kEmailAddress);
}

// A SubjectData back from an issued certificate (renew / re-key / modify keep the subject).
x509::SubjectData subject_from_cert(const x509::Certificate& c) {
  x509::SubjectData s;
  s.country.clear();
  merge_csr_subject(s, c.subject());
  if (s.country.empty()) s.country = "CN";
  if (const auto* e = c.find_extension(der::oids::kSubjectAltName)) {
    if (auto names = x509::parse_general_names(e->value)) {
      for (const auto& g : *names) {
        switch (g.type) {
          case x509::GeneralName::Type::kDns:
            s.dns_names.push_back(g.text);
            break;
          case x509::GeneralName::Type::kRfc822:
            s.emails.push_back(g.text);
            break;
          case x509::GeneralName::Type::kUri:
            s.uris.push_back(g.text);
            break;
          case x509::GeneralName::Type::kIp:
            // The parser keeps bytes only: rendered as text again.
            if (g.ip.size() == 4) {
              s.ip_addresses.push_back(std::to_string(g.ip[0]) + "." + std::to_string(g.ip[1]) +
                                       "." + std::to_string(g.ip[2]) + "." +
                                       std::to_string(g.ip[3]));
            } else if (g.ip.size() == 16) {
              std::string text;
              for (std::size_t i = 0; i < 16; i += 2) {
                if (i) text += ':';
                text += hex_encode(BytesView(g.ip).subspan(i, 2));
              }
              s.ip_addresses.push_back(text);
            }
            break;
          default:
            break;
        }
      }
    }
  }
  // Identifiers carried in the certificate.
  if (const auto* e = c.find_extension(der::oids::kGmIdentifyCode)) {
    if (auto id = x509::parse_identify_code(e->value)) s.identifiers["id_number"] = id->value;
  }
  if (const auto* e = c.find_extension(der::oids::kGmResidentIdCardNumber)) {
    if (auto v = x509::parse_printable_identifier(e->value)) s.identifiers["id_number"] = *v;
  }
  for (const auto& oid : {der::oids::kGmOrganizationCode, der::oids::kGmUnifiedSocialCreditCode}) {
    if (const auto* e = c.find_extension(oid)) {
      if (auto v = x509::parse_printable_identifier(e->value)) s.identifiers["org_code"] = *v;
    }
  }
  if (const auto* e = c.find_extension(der::oids::kGmInsuranceNumber)) {
    if (auto v = x509::parse_printable_identifier(e->value)) s.identifiers["insurance_number"] = *v;
  }
  return s;
}

}  // namespace hpki::ca::detail
