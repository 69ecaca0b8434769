#include "x509/name.h"

#include <algorithm>
#include <cstdio>

#include "core/encoding.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"

namespace hpki::x509 {
namespace {

struct AttrName {
  std::string_view short_name;
  der::Oid oid;
};

const AttrName kAttrs[] = {
    {"C", der::oids::kCountryName},
    {"ST", der::oids::kStateOrProvinceName},
    {"L", der::oids::kLocalityName},
    {"O", der::oids::kOrganizationName},
    {"OU", der::oids::kOrganizationalUnitName},
    {"CN", der::oids::kCommonName},
    {"serialNumber", der::oids::kSerialNumber},
    {"organizationIdentifier", der::oids::kOrganizationIdentifier},
    {"emailAddress", der::oids::kEmailAddress},
    {"street", der::oids::kStreetAddress},
    {"title", der::oids::kTitle},
    {"SN", der::oids::kSurname},
    {"GN", der::oids::kGivenName},
    {"DC", der::oids::kDomainComponent},
    {"UID", der::oids::kUserId},
    {"postalCode", der::oids::kPostalCode},
    {"dnQualifier", der::oids::kDnQualifier},
    {"pseudonym", der::oids::kPseudonym},
};

bool fits_printable(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) { return der::is_printable_string_char(c); });
}

Result<AttributeTypeAndValue> parse_atv(der::Reader& r) {
  auto seq = HPKI_TRY(r.read_sequence());
  AttributeTypeAndValue atv;
  atv.type = HPKI_TRY(seq.read_oid());
  auto el = HPKI_TRY(seq.read_tlv());
  HPKI_TRY(seq.expect_end());
  atv.value_der.assign(el.encoded.begin(), el.encoded.end());
  const der::Tag t = el.tag;
  if (t == der::kUtf8String) {
    atv.string_type = StringType::kUtf8;
    atv.value = HPKI_TRY(der::decode_utf8_string(el.value));
  } else if (t == der::kPrintableString) {
    atv.string_type = StringType::kPrintable;
    atv.value = HPKI_TRY(der::decode_printable_string(el.value));
  } else if (t == der::kIa5String) {
    atv.string_type = StringType::kIa5;
    atv.value = HPKI_TRY(der::decode_ia5_string(el.value));
  } else if (t == der::kBmpString) {
    atv.string_type = StringType::kBmp;
    atv.value = HPKI_TRY(der::decode_bmp_string(el.value));
  } else if (t == der::kTeletexString) {
    atv.string_type = StringType::kTeletex;
    atv.value = HPKI_TRY(der::decode_teletex_string(el.value));
  } else if (t == der::kUniversalString) {
    atv.string_type = StringType::kUniversal;
    atv.value = HPKI_TRY(der::decode_universal_string(el.value));
  } else if (t == der::kNumericString) {
    atv.string_type = StringType::kNumeric;
    atv.value = HPKI_TRY(der::decode_numeric_string(el.value));
  } else if (t == der::kVisibleString) {
    atv.string_type = StringType::kVisible;
    atv.value = HPKI_TRY(der::decode_visible_string(el.value));
  } else {
    atv.string_type = StringType::kOther;
    atv.value = "#" + hex_encode(el.encoded);
  }
  return atv;
}

// RFC 5280 7.1 / RFC 4518 (simplified): case-insensitive for ASCII, leading/trailing spaces
// removed, internal runs of spaces collapsed.
std::string fold(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

bool atv_match(const AttributeTypeAndValue& a, const AttributeTypeAndValue& b) {
  if (a.type != b.type) return false;
  if (a.string_type == StringType::kOther || b.string_type == StringType::kOther) {
    return a.value_der == b.value_der;
  }
  return fold(a.value) == fold(b.value);
}

bool rdn_match(const Rdn& a, const Rdn& b) {
  if (a.size() != b.size()) return false;
  // Multi-valued RDNs: every attribute of a matches a distinct attribute of b.
  std::vector<bool> used(b.size(), false);
  for (const auto& x : a) {
    bool found = false;
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (!used[i] && atv_match(x, b[i])) {
        used[i] = found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

std::string escape_value(std::string_view v) {
  // RFC 4514 2.4 escaping of the special characters (display only).
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' ||
        (c == '#' && i == 0) || (c == ' ' && (i == 0 || i + 1 == v.size()))) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string Name::get(const der::Oid& type) const {
  for (const auto& rdn : rdns) {
    for (const auto& atv : rdn) {
      if (atv.type == type) return atv.value;
    }
  }
  return {};
}

Result<der::Oid> attribute_oid(std::string_view short_name) {
  for (const auto& a : kAttrs) {
    if (a.short_name == short_name) return a.oid;
  }
  auto oid = der::Oid::from_string(short_name);
  if (oid) return *oid;
  return fail(ErrorCode::kInvalidArgument,
              "unknown name attribute '" + std::string(short_name) + "'");
}

std::string attribute_short_name(const der::Oid& type) {
  for (const auto& a : kAttrs) {
    if (a.oid == type) return std::string(a.short_name);
  }
  return type.to_string();
}

std::optional<std::size_t> attribute_upper_bound(const der::Oid& type) {
  using namespace der::oids;
  if (type == kCommonName || type == kOrganizationName || type == kOrganizationalUnitName ||
      type == kTitle || type == kSerialNumber)
    return 64;
  if (type == kLocalityName || type == kStateOrProvinceName || type == kPseudonym) return 128;
  if (type == kEmailAddress) return 255;
  if (type == kCountryName) return 2;
  if (type == kSurname || type == kGivenName) return 32768;
  return std::nullopt;
}

std::size_t utf8_length(std::string_view utf8) noexcept {
  std::size_t n = 0;
  for (char ch : utf8) {
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::optional<char32_t> prohibited_name_character(std::string_view utf8) noexcept {
  for (std::size_t i = 0; i < utf8.size();) {
    const auto b0 = static_cast<unsigned char>(utf8[i]);
    char32_t cp = b0;
    std::size_t len = 1;
    if (b0 >= 0xF0) {
      len = 4;
      cp = b0 & 0x07u;
    } else if (b0 >= 0xE0) {
      len = 3;
      cp = b0 & 0x0Fu;
    } else if (b0 >= 0xC0) {
      len = 2;
      cp = b0 & 0x1Fu;
    }
    for (std::size_t k = 1; k < len && i + k < utf8.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3Fu);
    i += len;
    const bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
    const bool bidi = cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
                      (cp >= 0x2066 && cp <= 0x206F);
    if (control || bidi) return cp;
  }
  return std::nullopt;
}

Result<Name> build_name(const std::vector<std::pair<std::string, std::string>>& attributes,
                        const NameBuildOptions& options) {
  Name name;
  for (const auto& [short_name, value] : attributes) {
    if (value.empty()) continue;
    auto oid = HPKI_TRY(attribute_oid(short_name));
    if (value.size() > options.max_value_length) {
      return fail(ErrorCode::kInvalidArgument, "name attribute " + short_name + " longer than " +
                                                   std::to_string(options.max_value_length) +
                                                   " bytes");
    }
    if (!der::is_valid_utf8(value)) {
      return fail(ErrorCode::kInvalidArgument,
                  "name attribute " + short_name + " is not valid UTF-8");
    }
    // RFC 4518 2.4 / UAX #9: no control or direction-changing characters (issue 16).
    if (auto bad = prohibited_name_character(value)) {
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(*bad));
      return fail(ErrorCode::kInvalidArgument, "name attribute " + short_name +
                                                   " contains the control or bidirectional "
                                                   "formatting character " +
                                                   code);
    }
    // RFC 5280 Appendix A.1 upper bounds, in characters.
    if (auto ub = attribute_upper_bound(oid); ub && utf8_length(value) > *ub) {
      return fail(ErrorCode::kInvalidArgument,
                  "name attribute " + short_name + " has " + std::to_string(utf8_length(value)) +
                      " characters; RFC 5280 allows at most " + std::to_string(*ub));
    }
    AttributeTypeAndValue atv{
        .type = oid, .value = value, .value_der = {}, .string_type = StringType::kUtf8};
    der::Writer w;
    if (oid == der::oids::kCountryName) {
      // RFC 5280 Appendix A: X520countryName is PrintableString (SIZE (2)), ISO 3166 code.
      if (value.size() != 2 || !std::isupper(static_cast<unsigned char>(value[0])) ||
          !std::isupper(static_cast<unsigned char>(value[1]))) {
        return fail(ErrorCode::kInvalidArgument,
                    "country (C) must be a two-letter ISO 3166 code like CN, got '" + value + "'");
      }
      atv.string_type = StringType::kPrintable;
    } else if (oid == der::oids::kEmailAddress || oid == der::oids::kDomainComponent) {
      // PKCS#9 emailAddress and RFC 4519 dc are IA5String.
      atv.string_type = StringType::kIa5;
    } else if (oid == der::oids::kSerialNumber || oid == der::oids::kDnQualifier) {
      // X.520: serialNumber and dnQualifier are PrintableString.
      if (!fits_printable(value)) {
        return fail(ErrorCode::kInvalidArgument,
                    "name attribute " + short_name + " allows only PrintableString characters");
      }
      atv.string_type = StringType::kPrintable;
    } else if (options.prefer_printable && fits_printable(value)) {
      atv.string_type = StringType::kPrintable;
    }
    Result<void> r = [&]() -> Result<void> {
      switch (atv.string_type) {
        case StringType::kPrintable:
          return w.add_printable_string(value);
        case StringType::kIa5:
          return w.add_ia5_string(value);
        default:
          return w.add_utf8_string(value);
      }
    }();
    if (!r) return fail(r.error().with_context("name attribute " + short_name));
    atv.value_der = w.take();
    name.rdns.push_back(Rdn{std::move(atv)});
  }
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& seq) -> Result<void> {
    for (const auto& rdn : name.rdns) {
      HPKI_TRY(seq.add_set_of([&](der::Writer& set) -> Result<void> {
        for (const auto& atv : rdn) {
          HPKI_TRY(set.add_sequence([&](der::Writer& s) -> Result<void> {
            s.add_oid(atv.type);
            return s.add_raw(atv.value_der);
          }));
        }
        return {};
      }));
    }
    return {};
  }));
  name.der = w.take();
  return name;
}

Result<Name> parse_name(BytesView der) {
  der::Reader outer(der);
  auto r = HPKI_TRY(outer.read_sequence());
  HPKI_TRY(outer.expect_end());
  Name name;
  name.der.assign(der.begin(), der.end());
  while (!r.at_end()) {
    auto set = HPKI_TRY(r.read_set());
    Rdn rdn;
    while (!set.at_end()) rdn.push_back(HPKI_TRY(parse_atv(set)));
    if (rdn.empty()) return fail(ErrorCode::kMalformed, "Name: empty RelativeDistinguishedName");
    name.rdns.push_back(std::move(rdn));
  }
  return name;
}

std::string to_string(const Name& name) {
  std::string out;
  for (const auto& rdn : name.rdns) {
    if (!out.empty()) out += ", ";
    for (std::size_t i = 0; i < rdn.size(); ++i) {
      if (i) out += " + ";
      out += attribute_short_name(rdn[i].type);
      out += '=';
      out += rdn[i].string_type == StringType::kOther ? rdn[i].value : escape_value(rdn[i].value);
    }
  }
  return out;
}

bool names_match(const Name& a, const Name& b) {
  if (a.der == b.der && !a.der.empty()) return true;
  if (a.rdns.size() != b.rdns.size()) return false;
  for (std::size_t i = 0; i < a.rdns.size(); ++i) {
    if (!rdn_match(a.rdns[i], b.rdns[i])) return false;
  }
  return true;
}

}  // namespace hpki::x509
