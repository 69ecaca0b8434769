// Rule pairs (rule_pair.h) for the certificate-profile rules path validation enforces
// (path_profile.cpp): RFC 5280 section 4 as a relying party sees it, and the web PKI rules of
// --rules webpki. Each test tags its source clause.
#include <gtest/gtest.h>

#include "core/encoding.h"
#include "der/oids.h"
#include "der/writer.h"
#include "tests/unit/x509/rule_pair.h"
#include "x509/extensions.h"

namespace hpki::x509 {
namespace {

using namespace rulepair;  // NOLINT(google-build-using-namespace)
namespace oids = der::oids;

Bytes san(const std::vector<GeneralName>& names) { return encode_general_names(names).value(); }
GeneralName name(GeneralName::Type type, std::string text) {
  GeneralName g;
  g.type = type;
  g.text = std::move(text);
  return g;
}
GeneralName dns(std::string n) { return name(GeneralName::Type::kDns, std::move(n)); }
GeneralName email(std::string n) { return name(GeneralName::Type::kRfc822, std::move(n)); }

// RFC 5280 4.1.2.2
TEST(Rule, e_serial_zero) {
  for (Family f : kAllFamilies)
    expect_violation("e_serial_zero", f, {.leaf = [](Tbs& t) { t.serial = {0x00}; }});
  // A negative serial stays accepted (NIST PKITS 4.4.14).
  const Chain negative = chain(Family::kEcdsa, {.leaf = [](Tbs& t) { t.serial = {0xff, 0x01}; }});
  EXPECT_TRUE(validate(negative, options()).valid);
}

// RFC 5280 4.2.1.1
TEST(Rule, e_aki_critical) {
  for (Family f : kAllFamilies)
    expect_violation("e_aki_critical", f,
                     {.ica = [](Tbs& t) { t.at(oids::kAuthorityKeyIdentifier).critical = true; }});
}

// RFC 5280 4.2.1.1
TEST(Rule, e_aki_missing) {
  for (Family f : kAllFamilies)
    expect_violation("e_aki_missing", f,
                     {.leaf = [](Tbs& t) { t.remove(oids::kAuthorityKeyIdentifier); }});
}

// RFC 5280 4.2.1.1
TEST(Rule, e_aki_no_key_id) {
  for (Family f : kAllFamilies)
    expect_violation("e_aki_no_key_id", f, {.leaf = [](Tbs& t) {
                       t.at(oids::kAuthorityKeyIdentifier).value = {0x30, 0x00};
                     }});
}

// RFC 5280 4.2.1.2
TEST(Rule, e_ski_critical) {
  for (Family f : kAllFamilies)
    expect_violation("e_ski_critical", f,
                     {.ica = [](Tbs& t) { t.at(oids::kSubjectKeyIdentifier).critical = true; }});
}

// RFC 5280 4.2.1.2
TEST(Rule, e_ski_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_ski_malformed", f, {.leaf = [](Tbs& t) {
                       t.at(oids::kSubjectKeyIdentifier).value = {0x02, 0x01, 0x05};
                     }});
}

// RFC 5280 4.2.1.6
TEST(Rule, e_san_rfc822_syntax) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair(
        "e_san_rfc822_syntax",
        chain(f, {.leaf =
                      [](Tbs& t) {
                        t.set(oids::kSubjectAltName, false,
                              san({dns("www.example.com"), email("doctor@example.com")}));
                      }}),
        chain(f, {.leaf =
                      [](Tbs& t) {
                        t.set(oids::kSubjectAltName, false,
                              san({dns("www.example.com"), email("invalid@address@example.com")}));
                      }}),
        options());
  }
}

// RFC 5280 4.2.2.1: AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription
TEST(Rule, e_aia_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_aia_malformed", f, {.leaf = [](Tbs& t) {
                       t.set(oids::kAuthorityInfoAccess, false, {0x30, 0x00});
                     }});
}

// CA/B BR 6.1.5, Chrome, Mozilla: P-256 or P-384 only (the key is never used for a signature
// here: the leaf's). A P-192 leaf key.
TEST(Rule, e_cabf_ec_curve) {
  // SubjectPublicKeyInfo of a P-192 point (the generator G of secp192r1, uncompressed).
  const Bytes p192 = [] {
    der::Writer w;
    (void)w.add_sequence([](der::Writer& s) -> Result<void> {
      HPKI_TRY(s.add_sequence([](der::Writer& a) -> Result<void> {
        a.add_oid(oids::kEcPublicKey);
        a.add_oid(der::Oid::from_string("1.2.840.10045.3.1.1").value());
        return {};
      }));
      Bytes point = hex_decode(
                        "04188da80eb03090f67cbf20eb43a18800f4ff0afd82ff101207192b95ffc8da78631011ed"
                        "6b24cdd573f977a11e794811")
                        .value();
      return s.add_bit_string(point);
    });
    return w.take();
  }();
  for (Family f : kWebFamilies)
    expect_violation("e_cabf_ec_curve", f, {.leaf = [&](Tbs& t) { t.spki = p192; }},
                     options(Rules::kWebPki));
}

}  // namespace
}  // namespace hpki::x509
