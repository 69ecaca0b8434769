#include "der/oids.h"
#include "der/reader.h"
#include "x509/detail/asn1_common.h"
#include "x509/extensions.h"

namespace hpki::x509 {
namespace {

// Parses a whole extnValue with `f(reader)` and requires every byte to be consumed.
template <typename T, typename F>
Result<T> whole(BytesView v, std::string_view what, F&& f) {
  der::Reader r(v);
  auto out = f(r);
  if (!out) return fail(out.error().with_context(what));
  if (auto e = r.expect_end(); !e) return fail(e.error().with_context(what));
  return out;
}

}  // namespace

// GeneralName (RFC 5280 4.2.1.6). otherName [0], x400Address [3], ediPartyName [5] are kept raw.
Result<GeneralName> read_general_name(der::Reader& r) {
  auto el = HPKI_TRY(r.read_tlv());
  GeneralName g;
  g.raw.assign(el.encoded.begin(), el.encoded.end());
  if (el.tag.cls() != der::TagClass::kContextSpecific) {
    return fail(ErrorCode::kMalformed,
                "GeneralName: expected a context-specific tag, found " + el.tag.to_string());
  }
  const auto n = el.tag.number();
  auto require_primitive = [&]() -> Result<void> {
    if (el.tag.constructed())
      return fail(ErrorCode::kMalformed,
                  "GeneralName [" + std::to_string(n) + "] must be primitive");
    return {};
  };
  switch (n) {
    case 1:
    case 2:
    case 6:
      HPKI_TRY(require_primitive());
      g.type = n == 1   ? GeneralName::Type::kRfc822
               : n == 2 ? GeneralName::Type::kDns
                        : GeneralName::Type::kUri;
      g.text = HPKI_TRY(der::decode_ia5_string(el.value));
      break;
    case 7:
      HPKI_TRY(require_primitive());
      g.type = GeneralName::Type::kIp;
      g.ip.assign(el.value.begin(), el.value.end());
      break;
    case 8:
      HPKI_TRY(require_primitive());
      g.type = GeneralName::Type::kRegisteredId;
      g.text = HPKI_TRY(der::Oid::from_der(el.value)).to_string();
      break;
    case 4: {
      if (!el.tag.constructed())
        return fail(ErrorCode::kMalformed, "GeneralName directoryName must be constructed");
      g.type = GeneralName::Type::kDirectory;
      der::Reader inner(el.value, el.offset, r.depth() + 1);
      auto name_el = HPKI_TRY(inner.read_element(der::kSequence));
      HPKI_TRY(inner.expect_end());
      g.directory = HPKI_TRY(parse_name(name_el.encoded));
      break;
    }
    case 0:
      if (!el.tag.constructed())
        return fail(ErrorCode::kMalformed, "GeneralName otherName must be constructed");
      g.type = GeneralName::Type::kOther;
      break;
    case 3:
      g.type = GeneralName::Type::kX400;
      break;
    case 5:
      g.type = GeneralName::Type::kEdiParty;
      break;
    default:
      return fail(ErrorCode::kMalformed, "GeneralName: unknown choice [" + std::to_string(n) + "]");
  }
  return g;
}

Result<std::vector<GeneralName>> read_general_names(der::Reader& seq) {
  std::vector<GeneralName> out;
  while (!seq.at_end()) out.push_back(HPKI_TRY(read_general_name(seq)));
  // RFC 5280: GeneralNames ::= SEQUENCE SIZE (1..MAX)
  if (out.empty()) return fail(ErrorCode::kMalformed, "empty GeneralNames");
  return out;
}

Result<BasicConstraints> parse_basic_constraints(BytesView v) {
  return whole<BasicConstraints>(
      v, "basicConstraints", [](der::Reader& r) -> Result<BasicConstraints> {
        auto s = HPKI_TRY(r.read_sequence());
        BasicConstraints bc;
        if (s.peek_is(der::kBoolean)) {
          bc.ca = HPKI_TRY(s.read_boolean());
          if (!bc.ca)
            return fail(ErrorCode::kMalformed, "cA FALSE encoded (DER forbids DEFAULT values)");
        }
        if (s.peek_is(der::kInteger)) {
          auto n = HPKI_TRY(s.read_int64());
          if (n < 0 || n > 1000000)
            return fail(ErrorCode::kMalformed, "pathLenConstraint out of range");
          bc.path_len = static_cast<int>(n);
        }
        HPKI_TRY(s.expect_end());
        return bc;
      });
}

Result<KeyUsageBits> parse_key_usage(BytesView v) {
  return whole<KeyUsageBits>(v, "keyUsage", [](der::Reader& r) -> Result<KeyUsageBits> {
    auto bits = HPKI_TRY(r.read_bit_string());
    // X.690 11.2.2: named bit lists have no trailing zero bits.
    if (!bits.bytes.empty()) {
      std::uint8_t last = bits.bytes.back();
      if (last == 0 || (bits.unused_bits < 8 && (last & (1u << bits.unused_bits)) == 0)) {
        return fail(ErrorCode::kMalformed, "keyUsage has trailing zero bits (not DER)");
      }
    }
    auto flags = HPKI_TRY(bits.to_flags());
    if (flags > 0x1ff) return fail(ErrorCode::kMalformed, "keyUsage has bits beyond decipherOnly");
    return static_cast<KeyUsageBits>(flags);
  });
}

Result<std::vector<der::Oid>> parse_extended_key_usage(BytesView v) {
  return whole<std::vector<der::Oid>>(
      v, "extendedKeyUsage", [](der::Reader& r) -> Result<std::vector<der::Oid>> {
        auto s = HPKI_TRY(r.read_sequence());
        std::vector<der::Oid> out;
        while (!s.at_end()) out.push_back(HPKI_TRY(s.read_oid()));
        if (out.empty()) return fail(ErrorCode::kMalformed, "empty extendedKeyUsage");
        return out;
      });
}

Result<Bytes> parse_subject_key_identifier(BytesView v) {
  return whole<Bytes>(v, "subjectKeyIdentifier", [](der::Reader& r) -> Result<Bytes> {
    auto os = HPKI_TRY(r.read_octet_string());
    return Bytes(os.begin(), os.end());
  });
}

Result<AuthorityKeyIdentifier> parse_authority_key_identifier(BytesView v) {
  return whole<AuthorityKeyIdentifier>(
      v, "authorityKeyIdentifier", [](der::Reader& r) -> Result<AuthorityKeyIdentifier> {
        auto s = HPKI_TRY(r.read_sequence());
        AuthorityKeyIdentifier aki;
        if (auto k = HPKI_TRY(s.read_optional(der::Tag::context(0))))
          aki.key_id = Bytes(k->value.begin(), k->value.end());
        if (auto iss = HPKI_TRY(s.read_optional_constructed(der::Tag::context_constructed(1)))) {
          aki.issuer = HPKI_TRY(read_general_names(*iss));
        }
        if (auto sn = HPKI_TRY(s.read_optional(der::Tag::context(2)))) {
          aki.serial = Bytes(HPKI_TRY(der::decode_integer(sn->value)).begin(), sn->value.end());
        }
        HPKI_TRY(s.expect_end());
        // RFC 5280 4.2.1.1: issuer and serial appear together or not at all.
        if (aki.issuer.empty() != !aki.serial.has_value()) {
          return fail(ErrorCode::kMalformed,
                      "authorityCertIssuer and authorityCertSerialNumber must appear together");
        }
        return aki;
      });
}

Result<std::vector<GeneralName>> parse_general_names(BytesView v) {
  return whole<std::vector<GeneralName>>(v, "GeneralNames",
                                         [](der::Reader& r) -> Result<std::vector<GeneralName>> {
                                           auto s = HPKI_TRY(r.read_sequence());
                                           return read_general_names(s);
                                         });
}

Result<std::vector<PolicyQualifiedInfo>> parse_certificate_policies(BytesView v) {
  return whole<std::vector<PolicyQualifiedInfo>>(
      v, "certificatePolicies", [](der::Reader& r) -> Result<std::vector<PolicyQualifiedInfo>> {
        auto s = HPKI_TRY(r.read_sequence());
        std::vector<PolicyQualifiedInfo> out;
        while (!s.at_end()) {
          auto pi = HPKI_TRY(s.read_sequence());
          PolicyQualifiedInfo p;
          p.policy = HPKI_TRY(pi.read_oid());
          if (auto quals = HPKI_TRY(pi.read_optional_constructed(der::kSequence))) {
            if (quals->at_end()) return fail(ErrorCode::kMalformed, "empty policyQualifiers");
            while (!quals->at_end()) {
              auto q = HPKI_TRY(quals->read_sequence());
              auto id = HPKI_TRY(q.read_oid());
              if (id == der::oids::kCpsQualifier) {
                p.cps_uris.push_back(HPKI_TRY(q.read_ia5_string()));
              } else {
                (void)HPKI_TRY(q.read_tlv());  // userNotice and others: not interpreted
              }
              HPKI_TRY(q.expect_end());
            }
          }
          HPKI_TRY(pi.expect_end());
          // RFC 5280 4.2.1.4: a policy OID MUST NOT appear more than once.
          for (const auto& prev : out) {
            if (prev.policy == p.policy)
              return fail(ErrorCode::kMalformed, "policy " + p.policy.to_string() + " repeated");
          }
          out.push_back(std::move(p));
        }
        if (out.empty()) return fail(ErrorCode::kMalformed, "empty certificatePolicies");
        return out;
      });
}

namespace {
Result<std::vector<GeneralName>> read_dp_name(der::Reader& dpn_outer,
                                              std::optional<Bytes>& relative) {
  // DistributionPointName ::= CHOICE { fullName [0] GeneralNames, nameRelativeToCRLIssuer [1] RDN }
  std::vector<GeneralName> full;
  if (auto fn = HPKI_TRY(dpn_outer.read_optional_constructed(der::Tag::context_constructed(0)))) {
    full = HPKI_TRY(read_general_names(*fn));
  } else if (auto rel = HPKI_TRY(dpn_outer.read_optional(der::Tag::context_constructed(1)))) {
    relative = Bytes(rel->encoded.begin(), rel->encoded.end());
  } else {
    return fail(ErrorCode::kMalformed, "DistributionPointName: unknown choice");
  }
  HPKI_TRY(dpn_outer.expect_end());
  return full;
}
}  // namespace

Result<std::vector<DistributionPoint>> parse_crl_distribution_points(BytesView v) {
  return whole<std::vector<DistributionPoint>>(
      v, "cRLDistributionPoints", [](der::Reader& r) -> Result<std::vector<DistributionPoint>> {
        auto s = HPKI_TRY(r.read_sequence());
        std::vector<DistributionPoint> out;
        while (!s.at_end()) {
          auto dp = HPKI_TRY(s.read_sequence());
          DistributionPoint d;
          if (auto name = HPKI_TRY(dp.read_optional_explicit(0)))
            d.full_name = HPKI_TRY(read_dp_name(*name, d.relative_name));
          if (auto reasons = HPKI_TRY(dp.read_optional(der::Tag::context(1)))) {
            auto bits = HPKI_TRY(der::decode_bit_string(reasons->value));
            d.reasons = bits.bytes.empty() ? std::uint8_t{0} : bits.bytes[0];
            // The whole ReasonFlags (aACompromise is bit 8, in the second octet).
            d.reason_flags = static_cast<std::uint16_t>(HPKI_TRY(bits.to_flags()));
          }
          if (auto issuer =
                  HPKI_TRY(dp.read_optional_constructed(der::Tag::context_constructed(2)))) {
            d.crl_issuer = HPKI_TRY(read_general_names(*issuer));
          }
          HPKI_TRY(dp.expect_end());
          // RFC 5280 4.2.1.13: a DistributionPoint MUST NOT consist of only the reasons field.
          if (d.full_name.empty() && !d.relative_name && d.crl_issuer.empty()) {
            return fail(ErrorCode::kMalformed,
                        "DistributionPoint with neither distributionPoint nor cRLIssuer");
          }
          out.push_back(std::move(d));
        }
        if (out.empty()) return fail(ErrorCode::kMalformed, "empty cRLDistributionPoints");
        return out;
      });
}

Result<std::vector<AccessDescription>> parse_authority_info_access(BytesView v) {
  return whole<std::vector<AccessDescription>>(
      v, "authorityInfoAccess", [](der::Reader& r) -> Result<std::vector<AccessDescription>> {
        auto s = HPKI_TRY(r.read_sequence());
        std::vector<AccessDescription> out;
        while (!s.at_end()) {
          auto ad = HPKI_TRY(s.read_sequence());
          AccessDescription a;
          a.method = HPKI_TRY(ad.read_oid());
          a.location = HPKI_TRY(read_general_name(ad));
          HPKI_TRY(ad.expect_end());
          out.push_back(std::move(a));
        }
        if (out.empty()) return fail(ErrorCode::kMalformed, "empty authorityInfoAccess");
        return out;
      });
}

Result<NameConstraints> parse_name_constraints(BytesView v) {
  return whole<NameConstraints>(
      v, "nameConstraints", [](der::Reader& r) -> Result<NameConstraints> {
        auto s = HPKI_TRY(r.read_sequence());
        NameConstraints nc;
        for (std::uint32_t n : {0u, 1u}) {
          auto subtrees = HPKI_TRY(s.read_optional_constructed(der::Tag::context_constructed(n)));
          if (!subtrees) continue;
          auto& list = n == 0 ? nc.permitted : nc.excluded;
          while (!subtrees->at_end()) {
            auto st = HPKI_TRY(subtrees->read_sequence());
            list.push_back(HPKI_TRY(read_general_name(st)));
            // RFC 5280 4.2.1.10: minimum MUST be zero (so absent in DER), maximum MUST be absent.
            if (!st.at_end())
              return fail(ErrorCode::kMalformed, "GeneralSubtree with minimum/maximum");
          }
          if (list.empty()) return fail(ErrorCode::kMalformed, "empty GeneralSubtrees");
        }
        HPKI_TRY(s.expect_end());
        if (nc.permitted.empty() && nc.excluded.empty())
          return fail(ErrorCode::kMalformed, "empty nameConstraints");
        return nc;
      });
}

// GM/T 0015 IdentifyCode: [n] IMPLICIT <string> or [n] EXPLICIT <string>, n in 0..2. The
// 2023 form (1.2.156.10260.4.1.1.1) is a bare PrintableString, parsed with
// parse_printable_identifier.
Result<IdentifyCode> parse_identify_code(BytesView v) {
  return whole<IdentifyCode>(v, "IdentifyCode", [](der::Reader& r) -> Result<IdentifyCode> {
    auto el = HPKI_TRY(r.read_tlv());
    if (el.tag.cls() != der::TagClass::kContextSpecific || el.tag.number() > 2) {
      return fail(ErrorCode::kMalformed,
                  "IdentifyCode: expected [0], [1] or [2], found " + el.tag.to_string());
    }
    IdentifyCode id;
    id.kind = static_cast<IdentifyCode::Kind>(el.tag.number());
    const bool utf8 = id.kind == IdentifyCode::Kind::kOfficerCard;
    if (el.tag.constructed()) {  // EXPLICIT
      der::Reader inner(el.value, el.offset, 1);
      auto s = HPKI_TRY(inner.read_tlv());
      HPKI_TRY(inner.expect_end());
      if (s.tag == der::kPrintableString)
        id.value = HPKI_TRY(der::decode_printable_string(s.value));
      else if (s.tag == der::kUtf8String)
        id.value = HPKI_TRY(der::decode_utf8_string(s.value));
      else
        return fail(ErrorCode::kMalformed,
                    "IdentifyCode: unexpected string type " + s.tag.to_string());
    } else {  // IMPLICIT
      id.value = utf8 ? HPKI_TRY(der::decode_utf8_string(el.value))
                      : HPKI_TRY(der::decode_printable_string(el.value));
    }
    return id;
  });
}

Result<std::string> parse_printable_identifier(BytesView v) {
  return whole<std::string>(v, "identifier", [](der::Reader& r) -> Result<std::string> {
    auto el = HPKI_TRY(r.read_tlv());
    if (el.tag == der::kPrintableString) return der::decode_printable_string(el.value);
    if (el.tag == der::kUtf8String) return der::decode_utf8_string(el.value);
    if (el.tag == der::kIa5String) return der::decode_ia5_string(el.value);
    return fail(ErrorCode::kMalformed,
                "identifier: expected a string, found " + el.tag.to_string());
  });
}

Result<Bytes> parse_crl_number(BytesView v) {
  return whole<Bytes>(v, "cRLNumber", [](der::Reader& r) -> Result<Bytes> {
    auto i = HPKI_TRY(r.read_integer());
    auto mag = HPKI_TRY(der::integer_magnitude(i));
    return Bytes(mag.begin(), mag.end());
  });
}

Result<IssuingDistributionPoint> parse_issuing_distribution_point(BytesView v) {
  return whole<IssuingDistributionPoint>(
      v, "issuingDistributionPoint", [](der::Reader& r) -> Result<IssuingDistributionPoint> {
        auto s = HPKI_TRY(r.read_sequence());
        IssuingDistributionPoint idp;
        if (auto name = HPKI_TRY(s.read_optional_explicit(0))) {
          idp.full_name = HPKI_TRY(read_dp_name(*name, idp.relative_name));
        }
        auto flag = [&](std::uint32_t n, bool& out) -> Result<void> {
          if (auto b = HPKI_TRY(s.read_optional(der::Tag::context(n)))) {
            out = HPKI_TRY(der::decode_boolean(b->value));
            if (!out)
              return fail(ErrorCode::kMalformed,
                          "issuingDistributionPoint encodes a FALSE default");
          }
          return {};
        };
        HPKI_TRY(flag(1, idp.only_contains_user_certs));
        HPKI_TRY(flag(2, idp.only_contains_ca_certs));
        if (auto reasons = HPKI_TRY(s.read_optional(der::Tag::context(3)))) {
          auto bits = HPKI_TRY(der::decode_bit_string(reasons->value));
          idp.only_some_reasons = static_cast<std::uint16_t>(HPKI_TRY(bits.to_flags()));
        }
        HPKI_TRY(flag(4, idp.indirect_crl));
        HPKI_TRY(flag(5, idp.only_contains_attribute_certs));
        HPKI_TRY(s.expect_end());
        // RFC 5280 5.2.5: at most one of the onlyContains* may be TRUE; the IDP must not be empty.
        int only = idp.only_contains_user_certs + idp.only_contains_ca_certs +
                   idp.only_contains_attribute_certs;
        if (only > 1) return fail(ErrorCode::kMalformed, "more than one onlyContains* is TRUE");
        if (idp.full_name.empty() && !idp.relative_name && only == 0 && !idp.only_some_reasons &&
            !idp.indirect_crl) {
          return fail(ErrorCode::kMalformed, "empty issuingDistributionPoint");
        }
        return idp;
      });
}

Result<int> parse_reason_code(BytesView v) {
  return whole<int>(v, "reasonCode", [](der::Reader& r) -> Result<int> {
    auto n = HPKI_TRY(r.read_enumerated());
    if (n < 0 || n > 10 || n == 7)
      return fail(ErrorCode::kMalformed, "unknown CRL reason " + std::to_string(n));
    return static_cast<int>(n);
  });
}

Result<std::chrono::system_clock::time_point> parse_invalidity_date(BytesView v) {
  return whole<std::chrono::system_clock::time_point>(
      v, "invalidityDate", [](der::Reader& r) -> Result<std::chrono::system_clock::time_point> {
        auto el = HPKI_TRY(r.read_element(der::kGeneralizedTime));
        return to_time_point(HPKI_TRY(der::decode_generalized_time(el.value)));
      });
}

}  // namespace hpki::x509
