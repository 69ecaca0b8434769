#include "der/oids.h"
#include "der/writer.h"
#include "x509/detail/asn1_common.h"
#include "x509/extensions.h"

namespace hpki::x509 {
namespace {

template <typename F>
Result<Bytes> encode(F&& f) {
  der::Writer w;
  HPKI_TRY(f(w));
  return w.take();
}

}  // namespace

// GeneralName ::= CHOICE { rfc822Name [1] IA5String, dNSName [2] IA5String,
//   directoryName [4] Name, uniformResourceIdentifier [6] IA5String, iPAddress [7] OCTET STRING,
//   registeredID [8] OBJECT IDENTIFIER, ... }  (RFC 5280 4.2.1.6; IMPLICIT module tags)
Result<void> write_general_name(der::Writer& w, const GeneralName& g) {
  switch (g.type) {
    case GeneralName::Type::kRfc822:
      return w.add_ia5_string(g.text, der::Tag::context(1));
    case GeneralName::Type::kDns:
      return w.add_ia5_string(g.text, der::Tag::context(2));
    case GeneralName::Type::kUri:
      return w.add_ia5_string(g.text, der::Tag::context(6));
    case GeneralName::Type::kIp:
      w.add_octet_string(g.ip, der::Tag::context(7));
      return {};
    case GeneralName::Type::kDirectory:
      if (!g.directory) return fail(ErrorCode::kInvalidArgument, "directoryName without a Name");
      // Name is a CHOICE, so [4] is EXPLICIT (RFC 5280 Appendix A.2 note).
      return w.add_explicit(
          4, [&](der::Writer& e) -> Result<void> { return e.add_raw(g.directory->der); });
    case GeneralName::Type::kRegisteredId: {
      auto oid = HPKI_TRY(der::Oid::from_string(g.text));
      w.add_oid(oid, der::Tag::context(8));
      return {};
    }
    default:
      if (!g.raw.empty()) return w.add_raw(g.raw);
      return fail(ErrorCode::kUnsupported, "cannot encode this GeneralName form");
  }
}

// RFC 5280 4.2.1.9: BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE,
//   pathLenConstraint INTEGER (0..MAX) OPTIONAL }
Result<Bytes> encode_basic_constraints(const BasicConstraints& bc) {
  return encode([&](der::Writer& w) -> Result<void> {
    if (bc.path_len && !bc.ca)
      return fail(ErrorCode::kInvalidArgument, "pathLenConstraint without cA");
    w.add_sequence([&](der::Writer& s) {
      if (bc.ca) s.add_boolean(true);  // DEFAULT FALSE is omitted (X.690 11.5)
      if (bc.path_len) s.add_integer(*bc.path_len);
    });
    return {};
  });
}

// RFC 5280 4.2.1.3: KeyUsage ::= BIT STRING (named bits, trailing zeros removed, X.690 11.2.2).
Result<Bytes> encode_key_usage(KeyUsageBits bits) {
  if (bits == 0) return fail(ErrorCode::kInvalidArgument, "keyUsage with no bit set");
  der::Writer w;
  w.add_named_bit_string(bits);
  return w.take();
}

// RFC 5280 4.2.1.12: ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId
Result<Bytes> encode_extended_key_usage(const std::vector<der::Oid>& purposes) {
  if (purposes.empty())
    return fail(ErrorCode::kInvalidArgument, "extendedKeyUsage with no purpose");
  der::Writer w;
  w.add_sequence([&](der::Writer& s) {
    for (const auto& p : purposes) s.add_oid(p);
  });
  return w.take();
}

// RFC 5280 4.2.1.2: SubjectKeyIdentifier ::= KeyIdentifier (OCTET STRING)
Result<Bytes> encode_subject_key_identifier(BytesView key_id) {
  der::Writer w;
  w.add_octet_string(key_id);
  return w.take();
}

// RFC 5280 4.2.1.1: AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] KeyIdentifier OPTIONAL,
// ... }
Result<Bytes> encode_authority_key_identifier(BytesView key_id) {
  der::Writer w;
  w.add_sequence([&](der::Writer& s) { s.add_octet_string(key_id, der::Tag::context(0)); });
  return w.take();
}

// RFC 5280 4.2.1.6: GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
Result<Bytes> encode_general_names(const std::vector<GeneralName>& names) {
  if (names.empty()) return fail(ErrorCode::kInvalidArgument, "empty GeneralNames");
  return encode([&](der::Writer& w) -> Result<void> {
    return w.add_sequence([&](der::Writer& s) -> Result<void> {
      for (const auto& g : names) HPKI_TRY(write_general_name(s, g));
      return {};
    });
  });
}

// RFC 5280 4.2.1.4: certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation
//   PolicyInformation ::= SEQUENCE { policyIdentifier, policyQualifiers SEQUENCE OF
//   PolicyQualifierInfo OPTIONAL }; PolicyQualifierInfo ::= SEQUENCE { id-qt-cps, IA5String }
Result<Bytes> encode_certificate_policies(const std::vector<PolicyQualifiedInfo>& policies) {
  if (policies.empty()) return fail(ErrorCode::kInvalidArgument, "empty certificatePolicies");
  return encode([&](der::Writer& w) -> Result<void> {
    return w.add_sequence([&](der::Writer& s) -> Result<void> {
      for (const auto& p : policies) {
        HPKI_TRY(s.add_sequence([&](der::Writer& pi) -> Result<void> {
          pi.add_oid(p.policy);
          if (p.cps_uris.empty()) return {};
          return pi.add_sequence([&](der::Writer& qs) -> Result<void> {
            for (const auto& uri : p.cps_uris) {
              HPKI_TRY(qs.add_sequence([&](der::Writer& q) -> Result<void> {
                q.add_oid(der::oids::kCpsQualifier);
                return q.add_ia5_string(uri);
              }));
            }
            return {};
          });
        }));
      }
      return {};
    });
  });
}

// RFC 5280 4.2.1.13: CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint;
//   DistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL, ... }
//   DistributionPointName ::= CHOICE { fullName [0] GeneralNames, ... }
// One DistributionPoint whose fullName lists every URI.
Result<Bytes> encode_crl_distribution_points(const std::vector<std::string>& uris) {
  if (uris.empty()) return fail(ErrorCode::kInvalidArgument, "no CRL distribution point");
  return encode([&](der::Writer& w) -> Result<void> {
    return w.add_sequence([&](der::Writer& s) -> Result<void> {
      return s.add_sequence([&](der::Writer& dp) -> Result<void> {
        return dp.add_implicit_constructed(0, [&](der::Writer& dpn) -> Result<void> {
          return dpn.add_implicit_constructed(0, [&](der::Writer& full) -> Result<void> {
            for (const auto& u : uris) HPKI_TRY(full.add_ia5_string(u, der::Tag::context(6)));
            return {};
          });
        });
      });
    });
  });
}

// RFC 5280 4.2.2.1: AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription
Result<Bytes> encode_authority_info_access(const std::vector<std::string>& ocsp,
                                           const std::vector<std::string>& ca_issuers) {
  if (ocsp.empty() && ca_issuers.empty())
    return fail(ErrorCode::kInvalidArgument, "empty authorityInfoAccess");
  return encode([&](der::Writer& w) -> Result<void> {
    return w.add_sequence([&](der::Writer& s) -> Result<void> {
      for (const auto& [method, list] : {std::pair{der::oids::kAdOcsp, &ocsp},
                                         std::pair{der::oids::kAdCaIssuers, &ca_issuers}}) {
        for (const auto& u : *list) {
          HPKI_TRY(s.add_sequence([&](der::Writer& ad) -> Result<void> {
            ad.add_oid(method);
            return ad.add_ia5_string(u, der::Tag::context(6));
          }));
        }
      }
      return {};
    });
  });
}

// RFC 5280 4.2.1.10: NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees
//   OPTIONAL, excludedSubtrees [1] GeneralSubtrees OPTIONAL }; GeneralSubtree ::= SEQUENCE {
//   base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL }
Result<Bytes> encode_name_constraints(const NameConstraints& nc) {
  if (nc.permitted.empty() && nc.excluded.empty())
    return fail(ErrorCode::kInvalidArgument, "empty nameConstraints");
  return encode([&](der::Writer& w) -> Result<void> {
    return w.add_sequence([&](der::Writer& s) -> Result<void> {
      for (auto [n, list] : {std::pair{0u, &nc.permitted}, std::pair{1u, &nc.excluded}}) {
        if (list->empty()) continue;
        HPKI_TRY(s.add_implicit_constructed(n, [&](der::Writer& subtrees) -> Result<void> {
          for (const auto& g : *list) {
            HPKI_TRY(subtrees.add_sequence(
                [&](der::Writer& st) -> Result<void> { return write_general_name(st, g); }));
          }
          return {};
        }));
      }
      return {};
    });
  });
}

// RFC 6960 4.2.2.2.1: id-pkix-ocsp-nocheck, extnValue NULL.
Bytes encode_ocsp_nocheck() { return Bytes{0x05, 0x00}; }

// GM/T 0015-2012: IdentifyCode ::= CHOICE { residenterCardNumber [0] PrintableString,
//   militaryOfficerCardNumber [1] UTF8String, passportNumber [2] PrintableString }
Result<Bytes> encode_identify_code(const IdentifyCode& id, TagStyle style) {
  const auto n = static_cast<std::uint32_t>(id.kind);
  der::Writer inner;
  if (id.kind == IdentifyCode::Kind::kOfficerCard) {
    HPKI_TRY(inner.add_utf8_string(id.value));
  } else {
    HPKI_TRY(inner.add_printable_string(id.value));
  }
  der::Writer w;
  if (style == TagStyle::kExplicit) {
    HPKI_TRY(w.add_explicit(
        n, [&](der::Writer& e) -> Result<void> { return e.add_raw(inner.bytes()); }));
  } else if (id.kind == IdentifyCode::Kind::kOfficerCard) {
    HPKI_TRY(w.add_utf8_string(id.value, der::Tag::context(n)));
  } else {
    HPKI_TRY(w.add_printable_string(id.value, der::Tag::context(n)));
  }
  return w.take();
}

Result<Bytes> encode_printable_identifier(std::string_view value, bool allow_utf8) {
  if (value.empty()) return fail(ErrorCode::kInvalidArgument, "empty identifier");
  der::Writer w;
  auto r = w.add_printable_string(value);
  if (!r) {
    if (!allow_utf8) return fail(r.error().with_context("identifier"));
    HPKI_TRY(w.add_utf8_string(value));
  }
  return w.take();
}

// RFC 5280 5.2.3: CRLNumber ::= INTEGER (0..MAX)
Result<Bytes> encode_crl_number(BytesView big_endian_number) {
  if (big_endian_number.size() > 20)
    return fail(ErrorCode::kInvalidArgument, "cRLNumber longer than 20 octets");
  der::Writer w;
  w.add_integer_unsigned(big_endian_number);
  return w.take();
}

// RFC 5280 5.2.5: IssuingDistributionPoint ::= SEQUENCE {
//   distributionPoint [0] DistributionPointName OPTIONAL,
//   onlyContainsUserCerts [1] BOOLEAN DEFAULT FALSE, onlyContainsCACerts [2] BOOLEAN DEFAULT FALSE,
//   onlySomeReasons [3] ReasonFlags OPTIONAL, indirectCRL [4] BOOLEAN DEFAULT FALSE,
//   onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
Result<Bytes> encode_issuing_distribution_point(const IssuingDistributionPoint& idp) {
  return encode([&](der::Writer& w) -> Result<void> {
    return w.add_sequence([&](der::Writer& s) -> Result<void> {
      if (!idp.full_name.empty()) {
        HPKI_TRY(s.add_implicit_constructed(0, [&](der::Writer& dpn) -> Result<void> {
          return dpn.add_implicit_constructed(0, [&](der::Writer& full) -> Result<void> {
            for (const auto& g : idp.full_name) HPKI_TRY(write_general_name(full, g));
            return {};
          });
        }));
      }
      if (idp.only_contains_user_certs) s.add_boolean(true, der::Tag::context(1));
      if (idp.only_contains_ca_certs) s.add_boolean(true, der::Tag::context(2));
      if (idp.only_some_reasons)
        s.add_named_bit_string(*idp.only_some_reasons, der::Tag::context(3));
      if (idp.indirect_crl) s.add_boolean(true, der::Tag::context(4));
      if (idp.only_contains_attribute_certs) s.add_boolean(true, der::Tag::context(5));
      return {};
    });
  });
}

// RFC 5280 5.3.1: CRLReason ::= ENUMERATED
Result<Bytes> encode_reason_code(int reason) {
  if (reason < 0 || reason > 10 || reason == 7) {
    return fail(ErrorCode::kInvalidArgument, "invalid CRL reason code " + std::to_string(reason));
  }
  der::Writer w;
  w.add_enumerated(reason);
  return w.take();
}

// RFC 5280 5.3.2: InvalidityDate ::= GeneralizedTime
Result<Bytes> encode_invalidity_date(std::chrono::system_clock::time_point t) {
  der::Writer w;
  HPKI_TRY(w.add_generalized_time(std::chrono::floor<std::chrono::seconds>(t)));
  return w.take();
}

}  // namespace hpki::x509
