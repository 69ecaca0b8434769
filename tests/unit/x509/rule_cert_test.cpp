// Rule pairs (rule_pair.h) for the certificate-profile rules path validation enforces
// (path_profile.cpp): RFC 5280 section 4 as a relying party sees it, and the web PKI rules of
// --rules webpki. Each test tags its source clause.
#include <gtest/gtest.h>

#include "core/encoding.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "tests/unit/x509/rule_pair.h"
#include "x509/extensions.h"
#include "x509/name.h"
#include "x509/profile.h"

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

// A DER element written by `f`.
template <typename F>
Bytes der_of(F&& f) {
  der::Writer w;
  f(w);
  return w.take();
}
// AlgorithmIdentifier { oid, NULL } or { oid } without parameters.
Bytes alg_id(std::string_view oid, bool null_params) {
  return der_of([&](der::Writer& w) {
    w.add_sequence([&](der::Writer& a) {
      a.add_oid(der::Oid::from_string(oid).value());
      if (null_params) a.add_null();
    });
  });
}
// A Name of (short name, value) attributes.
Bytes dn(const std::vector<std::pair<std::string, std::string>>& attributes) {
  return build_name(attributes).value().der;
}
Bytes name_constraints(std::vector<GeneralName> permitted) {
  return encode_name_constraints(NameConstraints{std::move(permitted), {}}).value();
}
GeneralName directory(const Bytes& name_der) {
  GeneralName g;
  g.type = GeneralName::Type::kDirectory;
  g.directory = parse_name(name_der).value();
  return g;
}
const Bytes kEmptyName = {0x30, 0x00};
const Bytes kEmptySequence = {0x30, 0x00};

// An RSA SubjectPublicKeyInfo from a modulus and exponent (INTEGER contents); `null_params`
// false leaves the rsaEncryption parameters out.
Bytes rsa_spki(BytesView modulus, BytesView exponent, bool null_params = true) {
  const Bytes key = der_of([&](der::Writer& w) {
    w.add_sequence([&](der::Writer& k) {
      EXPECT_TRUE(k.add_integer_bytes(modulus));
      EXPECT_TRUE(k.add_integer_bytes(exponent));
    });
  });
  return der_of([&](der::Writer& w) {
    w.add_sequence([&](der::Writer& s) {
      EXPECT_TRUE(s.add_raw(alg_id("1.2.840.113549.1.1.1", null_params)));
      EXPECT_TRUE(s.add_bit_string(key));
    });
  });
}
// The modulus (INTEGER contents, with its leading zero) of the RSA world's 2048-bit leaf key.
Bytes rsa_modulus() {
  const Bytes spki = world(Family::kRsa).leaf.cert->spki_der();
  der::Reader r(spki);
  auto outer = r.read_sequence().value();
  (void)outer.read_sequence().value();
  auto bits = outer.read_bit_string().value();
  der::Reader k(bits.bytes);
  auto seq = k.read_sequence().value();
  auto n = seq.read_integer().value();
  return Bytes(n.begin(), n.end());
}
const Bytes kF4 = {0x01, 0x00, 0x01};

// The chain of `f` with its leaf re-signed by the issuing CA's key, the outer
// signatureAlgorithm being `outer_alg` (the TBS keeps its own).
Chain with_outer_alg(Family f, const Bytes& outer_alg) {
  Chain c = chain(f);
  c.leaf = edit::sign_tbs(Tbs::from(*c.leaf), *world(f).ica.signer, outer_alg);
  return c;
}

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
  const Bytes p192 = p192_spki();
  for (Family f : kWebFamilies)
    expect_violation("e_cabf_ec_curve", f, {.leaf = [&](Tbs& t) { t.spki = p192; }},
                     options(Rules::kWebPki));
}

// ---- RFC 5280 4.1 basic fields --------------------------------------------------------------

// RFC 5280 4.1.1.2: signatureAlgorithm MUST be identical to tbsCertificate.signature.
TEST(Rule, e_signature_algorithm_mismatch) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    // sha384WithRSAEncryption outside (sha256WithRSAEncryption for the RSA family's SHA-256 TBS
    // would be identical), the TBS and the signature unchanged.
    const Bytes other = f == Family::kRsa ? alg_id("1.2.840.113549.1.1.12", true)
                                          : alg_id("1.2.840.113549.1.1.11", true);
    expect_pair("e_signature_algorithm_mismatch", chain(f), with_outer_alg(f, other), options());
  }
}

// RFC 5280 4.1.1.2: the signature algorithm is a supported one (md5WithRSAEncryption is not).
TEST(Rule, e_signature_algorithm_unsupported) {
  for (Family f : kAllFamilies)
    expect_violation("e_signature_algorithm_unsupported", f,
                     {.leaf = [](Tbs& t) { t.signature = alg_id("1.2.840.113549.1.1.4", true); }});
}

// CA/B BR 7.1.3.2.1 / Mozilla RSP 5.1.3: no SHA-1 signatures (refused under every rule set).
TEST(Rule, e_cabf_no_sha1) {
  for (Family f : kAllFamilies) {
    const Bytes sha1 = f == Family::kEcdsa ? alg_id("1.2.840.10045.4.1", false)
                                           : alg_id("1.2.840.113549.1.1.5", true);
    expect_violation("e_cabf_no_sha1", f, {.leaf = [&](Tbs& t) { t.signature = sha1; }});
  }
  for (Family f : kWebFamilies) {
    const Bytes sha1 = f == Family::kEcdsa ? alg_id("1.2.840.10045.4.1", false)
                                           : alg_id("1.2.840.113549.1.1.5", true);
    expect_violation("e_cabf_no_sha1", f, {.leaf = [&](Tbs& t) { t.signature = sha1; }},
                     options(Rules::kWebPki));
  }
}

// RFC 5280 4.1.2.2: at most 20 octets.
TEST(Rule, e_serial_too_long) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    Bytes twenty(20, 0x5a), twenty_one(21, 0x5a);
    expect_pair("e_serial_too_long", chain(f, {.leaf = [&](Tbs& t) { t.serial = twenty; }}),
                chain(f, {.leaf = [&](Tbs& t) { t.serial = twenty_one; }}), options());
  }
}

// RFC 5280 4.1.2.4: the issuer field MUST contain a non-empty distinguished name.
TEST(Rule, e_issuer_empty) {
  for (Family f : kAllFamilies)
    expect_violation("e_issuer_empty", f, {.leaf = [](Tbs& t) { t.issuer = kEmptyName; }});
}

// RFC 5280 4.1.2.5: notBefore before notAfter (a reversed period is never valid, reported as
// such rather than as not_yet_valid / not_after_passed).
TEST(Rule, e_validity_not_before_after_not_after) {
  for (Family f : kAllFamilies)
    expect_violation("e_validity_not_before_after_not_after", f,
                     {.leaf = [](Tbs& t) { std::swap(t.not_before, t.not_after); }});
}

// RFC 5280 4.1.2.6: a CA certificate has a non-empty subject (the leaf names it as its issuer).
TEST(Rule, e_ca_subject_empty) {
  for (Family f : kAllFamilies)
    expect_violation("e_ca_subject_empty", f,
                     {.ica = [](Tbs& t) { t.subject = kEmptyName; },
                      .leaf = [](Tbs& t) { t.issuer = kEmptyName; }});
}

// RFC 5280 4.1.2.7 / RFC 5480 2.1.1: id-ecPublicKey names its curve. The leaf key (never used
// to verify) becomes the ECDSA world's P-256 point with NULL (implicitCurve) parameters.
TEST(Rule, e_ec_key_without_named_curve) {
  const Bytes implicit_curve = [] {
    const Bytes spki = world(Family::kEcdsa).leaf.cert->spki_der();
    der::Reader r(spki);
    auto outer = r.read_sequence().value();
    (void)outer.read_sequence().value();
    auto bits = outer.read_bit_string().value();
    const Bytes point(bits.bytes.begin(), bits.bytes.end());
    return der_of([&](der::Writer& w) {
      w.add_sequence([&](der::Writer& s) {
        EXPECT_TRUE(s.add_raw(alg_id("1.2.840.10045.2.1", true)));
        EXPECT_TRUE(s.add_bit_string(point));
      });
    });
  }();
  for (Family f : kAllFamilies)
    expect_violation("e_ec_key_without_named_curve", f,
                     {.leaf = [&](Tbs& t) { t.spki = implicit_curve; }});
}

// ---- RFC 5280 4.2 extensions ----------------------------------------------------------------

// RFC 5280 4.2: a certificate MUST NOT include more than one instance of an extension.
TEST(Rule, e_duplicate_extension) {
  for (Family f : kAllFamilies)
    expect_violation("e_duplicate_extension", f, {.leaf = [](Tbs& t) {
                       t.extensions.push_back(t.at(oids::kSubjectKeyIdentifier));
                     }});
}

// RFC 5280 4.2 / 6.1.4 (o) / 6.1.5 (f): an unrecognised critical extension.
TEST(Rule, unknown_critical_extension) {
  const der::Oid private_oid = der::Oid::from_string("1.3.6.1.4.1.99999.1").value();
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    // Non-critical it is ignored; critical it makes the certificate unusable.
    expect_pair("unknown_critical_extension",
                chain(f, {.leaf =
                              [&](Tbs& t) {
                                t.set(private_oid, false, {0x05, 0x00});
                              }}),
                chain(f, {.leaf =
                              [&](Tbs& t) {
                                t.set(private_oid, true, {0x05, 0x00});
                              }}),
                options());
    // The trust anchor too.
    expect_violation("unknown_critical_extension", f, {.root = [&](Tbs& t) {
                       t.set(private_oid, true, {0x05, 0x00});
                     }});
  }
}

// RFC 5280 4.2 / 6.1: a recognised extension whose value does not parse. policyConstraints
// that is not a SEQUENCE has no rule of its own (an empty one: e_policy_constraints_empty).
TEST(Rule, malformed_extension) {
  for (Family f : kAllFamilies)
    expect_violation("malformed_extension", f, {.ica = [](Tbs& t) {
                       t.set(oids::kPolicyConstraints, true, {0x02, 0x01, 0x00});
                     }});
}

// RFC 5280 4.2.1.1: authorityKeyIdentifier parses (here an INTEGER, not a SEQUENCE).
TEST(Rule, e_aki_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_aki_malformed", f, {.leaf = [](Tbs& t) {
                       t.at(oids::kAuthorityKeyIdentifier).value = {0x02, 0x01, 0x05};
                     }});
}

// RFC 5280 4.2.1.2: subjectKeyIdentifier in CA certificates (an end entity may omit it).
TEST(Rule, e_ski_missing) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair(
        "e_ski_missing", chain(f, {.leaf = [](Tbs& t) { t.remove(oids::kSubjectKeyIdentifier); }}),
        chain(f, {.ica = [](Tbs& t) { t.remove(oids::kSubjectKeyIdentifier); }}), options());
  }
}

// RFC 5280 4.2.1.3: keyUsage is a DER named bit list (here a trailing zero bit is not removed:
// digitalSignature with 0 unused bits).
TEST(Rule, e_key_usage_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_key_usage_malformed", f, {.leaf = [](Tbs& t) {
                       t.at(oids::kKeyUsage).value = {0x03, 0x02, 0x00, 0x80};
                     }});
}

// RFC 5280 4.2.1.3: keyCertSign only when basicConstraints cA is TRUE (an end entity with
// basicConstraints cA FALSE).
TEST(Rule, e_key_cert_sign_without_ca) {
  for (Family f : kAllFamilies)
    expect_violation(
        "e_key_cert_sign_without_ca", f, {.leaf = [](Tbs& t) {
          t.set(oids::kBasicConstraints, true, encode_basic_constraints({}).value());
          t.set(oids::kKeyUsage, true,
                encode_key_usage(ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kKeyCertSign))
                    .value());
        }});
}

// RFC 5280 4.2.1.9: a certificate asserting keyCertSign includes basicConstraints (cA TRUE).
TEST(Rule, e_ca_basic_constraints_missing) {
  for (Family f : kAllFamilies)
    expect_violation(
        "e_ca_basic_constraints_missing", f, {.leaf = [](Tbs& t) {
          t.remove(oids::kBasicConstraints);
          t.set(oids::kKeyUsage, true,
                encode_key_usage(ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kKeyCertSign))
                    .value());
        }});
}

// RFC 5280 4.2.1.3 / 4.2.1.12: the target is used only for what its keyUsage allows
// (PathOptions::required_key_usage).
TEST(Rule, key_usage_missing) {
  PathOptions o = options();
  o.required_key_usage = ku(KeyUsageBit::kDigitalSignature);
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair("key_usage_missing", chain(f),
                chain(f, {.leaf =
                              [](Tbs& t) {
                                t.set(oids::kKeyUsage, true,
                                      encode_key_usage(ku(KeyUsageBit::kKeyAgreement)).value());
                              }}),
                o);
  }
}

// RFC 5280 4.2.1.4: certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation.
TEST(Rule, e_certificate_policies_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_certificate_policies_malformed", f, {.leaf = [](Tbs& t) {
                       t.set(oids::kCertificatePolicies, false, kEmptySequence);
                     }});
}

// RFC 5280 4.2.1.5: policyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE {...}.
TEST(Rule, e_policy_mappings_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_policy_mappings_malformed", f, {.ica = [](Tbs& t) {
                       t.set(oids::kPolicyMappings, true, {0x30, 0x02, 0x30, 0x00});
                     }});
}

// ---- RFC 5280 4.2.1.6 subjectAltName --------------------------------------------------------

// RFC 5280 4.2.1.6: GeneralNames ::= SEQUENCE SIZE (1..MAX).
TEST(Rule, e_san_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_san_malformed", f,
                     {.leaf = [](Tbs& t) { t.at(oids::kSubjectAltName).value = kEmptySequence; }});
}

// RFC 5280 4.2.1.6: with an empty subject, subjectAltName MUST be critical.
TEST(Rule, e_san_not_critical_empty_subject) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair("e_san_not_critical_empty_subject",
                chain(f, {.leaf =
                              [](Tbs& t) {
                                t.subject = kEmptyName;
                                t.at(oids::kSubjectAltName).critical = true;
                              }}),
                chain(f, {.leaf = [](Tbs& t) { t.subject = kEmptyName; }}), options());
  }
}

// RFC 5280 4.2.1.6 (SHOULD) / CA/B BR 7.1.2.7.12 (MUST NOT): a subject and a critical SAN.
TEST(Rule, w_san_critical_with_subject) {
  for (Family f : kWebFamilies)
    expect_violation("w_san_critical_with_subject", f,
                     {.leaf = [](Tbs& t) { t.at(oids::kSubjectAltName).critical = true; }},
                     options(Rules::kWebPki));
  // Under rfc5280 it is a SHOULD only.
  EXPECT_TRUE(validate(chain(Family::kSm2,
                             {.leaf = [](Tbs& t) { t.at(oids::kSubjectAltName).critical = true; }}),
                       options())
                  .valid);
}

// RFC 5280 4.2.1.6: an empty subject needs a subjectAltName.
TEST(Rule, e_subject_empty_without_san) {
  for (Family f : kAllFamilies)
    expect_violation("e_subject_empty_without_san", f, {.leaf = [](Tbs& t) {
                       t.subject = kEmptyName;
                       t.remove(oids::kSubjectAltName);
                     }});
}

// RFC 5280 4.2.1.6: no empty name (here an empty uniformResourceIdentifier).
TEST(Rule, e_san_empty_name) {
  for (Family f : kAllFamilies)
    expect_violation("e_san_empty_name", f, {.leaf = [](Tbs& t) {
                       t.set(oids::kSubjectAltName, false,
                             san({dns("www.example.com"), name(GeneralName::Type::kUri, "")}));
                     }});
}

// RFC 5280 4.2.1.6: dNSName in the preferred name syntax (an empty label).
TEST(Rule, e_san_dns_syntax) {
  for (Family f : kAllFamilies)
    expect_violation("e_san_dns_syntax", f, {.leaf = [](Tbs& t) {
                       t.set(oids::kSubjectAltName, false,
                             san({dns("www.example.com"), dns("www..example.com")}));
                     }});
}

// RFC 5280 4.2.1.6: iPAddress of 4 or 16 octets.
TEST(Rule, e_san_ip_length) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    auto ip = [](Bytes octets) {
      GeneralName g;
      g.type = GeneralName::Type::kIp;
      g.ip = std::move(octets);
      return g;
    };
    expect_pair("e_san_ip_length",
                chain(f, {.leaf =
                              [&](Tbs& t) {
                                t.set(oids::kSubjectAltName, false,
                                      san({dns("www.example.com"), ip({192, 0, 2, 1})}));
                              }}),
                chain(f, {.leaf =
                              [&](Tbs& t) {
                                t.set(oids::kSubjectAltName, false,
                                      san({dns("www.example.com"), ip({192, 0, 2, 1, 0})}));
                              }}),
                options());
  }
}

// RFC 5280 7.2 / 7.3 / 7.5: an IDN is stored as A-labels; a U-label (UTF-8 octets in the
// IA5String) is refused.
TEST(Rule, e_idn_a_label) {
  auto idn_san = [](std::string_view host) {
    return der_of([&](der::Writer& w) {
      w.add_sequence([&](der::Writer& s) {
        s.add_element(der::Tag::context(2), Bytes(host.begin(), host.end()));
      });
    });
  };
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair("e_idn_a_label",
                chain(f, {.leaf =
                              [&](Tbs& t) {
                                t.set(oids::kSubjectAltName, false,
                                      idn_san("xn--bcher-kva.example"));
                              }}),
                chain(f, {.leaf =
                              [&](Tbs& t) {
                                t.set(oids::kSubjectAltName, false,
                                      idn_san("b\xc3\xbc"
                                              "cher.example"));
                              }}),
                options());
  }
}

// RFC 5280 4.2.1.7: issuerAltName SHOULD be non-critical (not processed: critical is refused).
TEST(Rule, e_ian_critical) {
  const Bytes ian = san({email("ca@example.com")});
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair("e_ian_critical",
                chain(f, {.leaf = [&](Tbs& t) { t.set(oids::kIssuerAltName, false, ian); }}),
                chain(f, {.leaf = [&](Tbs& t) { t.set(oids::kIssuerAltName, true, ian); }}),
                options());
  }
}

// RFC 5280 4.2.1.8: subjectDirectoryAttributes MUST be non-critical.
TEST(Rule, e_sda_critical) {
  // SEQUENCE { Attribute { countryOfCitizenship (1.3.6.1.5.5.7.9.4), SET { "CN" } } }
  const Bytes sda = der_of([](der::Writer& w) {
    w.add_sequence([](der::Writer& s) {
      s.add_sequence([](der::Writer& a) {
        a.add_oid(der::Oid::from_string("1.3.6.1.5.5.7.9.4").value());
        a.add_set([](der::Writer& v) { EXPECT_TRUE(v.add_printable_string("CN")); });
      });
    });
  });
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair(
        "e_sda_critical",
        chain(f, {.leaf = [&](Tbs& t) { t.set(oids::kSubjectDirectoryAttributes, false, sda); }}),
        chain(f, {.leaf = [&](Tbs& t) { t.set(oids::kSubjectDirectoryAttributes, true, sda); }}),
        options());
  }
}

// ---- RFC 5280 4.2.1.9 basicConstraints ------------------------------------------------------

// RFC 5280 4.2.1.9: DER (cA FALSE is the DEFAULT and not encoded).
TEST(Rule, e_basic_constraints_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_basic_constraints_malformed", f, {.leaf = [](Tbs& t) {
                       t.set(oids::kBasicConstraints, true, {0x30, 0x03, 0x01, 0x01, 0x00});
                     }});
}

// RFC 5280 4.2.1.9: critical in CA certificates (the validator: the trust anchor).
TEST(Rule, e_basic_constraints_not_critical) {
  for (Family f : kAllFamilies)
    expect_violation("e_basic_constraints_not_critical", f,
                     {.root = [](Tbs& t) { t.at(oids::kBasicConstraints).critical = false; }});
}

// RFC 5280 4.2.1.9 / 4.2.1.3: a CA with keyUsage asserts keyCertSign (the trust anchor; an
// intermediate is key_cert_sign_missing).
TEST(Rule, e_ca_without_key_cert_sign) {
  for (Family f : kAllFamilies)
    expect_violation("e_ca_without_key_cert_sign", f, {.root = [](Tbs& t) {
                       t.set(oids::kKeyUsage, true,
                             encode_key_usage(ku(KeyUsageBit::kCrlSign)).value());
                     }});
}

// RFC 5280 6.1.1 / 4.2.1.9: a trust anchor given as a certificate is a CA.
TEST(Rule, e_anchor_not_ca) {
  for (Family f : kAllFamilies)
    expect_violation("e_anchor_not_ca", f, {.root = [](Tbs& t) {
                       t.remove(oids::kBasicConstraints);
                       t.remove(oids::kKeyUsage);
                     }});
}

// ---- RFC 5280 4.2.1.10 nameConstraints ------------------------------------------------------

// RFC 5280 4.2.1.10: only in CA certificates.
TEST(Rule, e_name_constraints_not_ca) {
  for (Family f : kAllFamilies)
    expect_violation("e_name_constraints_not_ca", f, {.leaf = [](Tbs& t) {
                       t.set(oids::kNameConstraints, true, name_constraints({dns("example.com")}));
                     }});
}

// RFC 5280 4.2.1.10: MUST be critical (rfc5280 rules; webpki allows non-critical).
TEST(Rule, e_name_constraints_not_critical) {
  const Bytes nc = name_constraints({dns("example.com")});
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair("e_name_constraints_not_critical",
                chain(f, {.ica = [&](Tbs& t) { t.set(oids::kNameConstraints, true, nc); }}),
                chain(f, {.ica = [&](Tbs& t) { t.set(oids::kNameConstraints, false, nc); }}),
                options());
  }
}

// RFC 5280 4.2.1.10: permittedSubtrees or excludedSubtrees present (here neither).
TEST(Rule, e_name_constraints_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_name_constraints_malformed", f,
                     {.ica = [](Tbs& t) { t.set(oids::kNameConstraints, true, kEmptySequence); }});
}

// RFC 5280 4.2.1.10: minimum MUST be zero (absent in DER), maximum MUST be absent.
TEST(Rule, e_name_constraints_min_max) {
  // SEQUENCE { [0] { SEQUENCE { [2] "example.com", [0] 1 } } }
  const Bytes with_minimum = der_of([](der::Writer& w) {
    w.add_sequence([](der::Writer& s) {
      s.add_implicit_constructed(0, [](der::Writer& p) {
        p.add_sequence([](der::Writer& st) {
          EXPECT_TRUE(st.add_ia5_string("example.com", der::Tag::context(2)));
          st.add_integer(1, der::Tag::context(0));
        });
      });
    });
  });
  for (Family f : kAllFamilies)
    expect_violation("e_name_constraints_min_max", f,
                     {.ica = [&](Tbs& t) { t.set(oids::kNameConstraints, true, with_minimum); }});
}

// RFC 5280 4.2.1.10: dNSName constraints are host.example.com, no wildcard.
TEST(Rule, e_name_constraint_form) {
  for (Family f : kAllFamilies)
    expect_violation("e_name_constraint_form", f, {.ica = [](Tbs& t) {
                       t.set(oids::kNameConstraints, true,
                             name_constraints({dns("*.example.com")}));
                     }});
}

// RFC 5280 4.2.1.10: rfc822Name constraints apply to the subject's emailAddress attribute.
TEST(Rule, nc_email_in_subject) {
  const Bytes nc = name_constraints({email("example.com")});
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    auto with_email = [&](std::string mail) {
      return chain(
          f, {.ica = [&](Tbs& t) { t.set(oids::kNameConstraints, true, nc); },
              .leaf =
                  [mail](Tbs& t) {
                    t.subject =
                        dn({{"O", "Example"}, {"CN", "www.example.com"}, {"emailAddress", mail}});
                  }});
    };
    expect_pair("nc_email_in_subject", with_email("doctor@example.com"),
                with_email("doctor@example.org"), options());
  }
}

// RFC 5280 4.2.1.10: directoryName constraints apply to the subject.
TEST(Rule, nc_directory_name) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    auto constrained_to = [&](const Bytes& base) {
      return chain(f, {.ica = [&](Tbs& t) {
                     t.set(oids::kNameConstraints, true, name_constraints({directory(base)}));
                   }});
    };
    // The leaf's subject is C=CN, ST=上海, O=示例医院, CN=www.example.com.
    expect_pair("nc_directory_name",
                constrained_to(dn({{"C", "CN"}, {"ST", "上海"}, {"O", "示例医院"}})),
                constrained_to(dn({{"C", "CN"}, {"ST", "上海"}, {"O", "其他医院"}})), options());
  }
}

// ---- RFC 5280 4.2.1.11 - 4.2.2.2 -------------------------------------------------------------

// RFC 5280 4.2.1.11: conforming CAs MUST NOT issue an empty policyConstraints.
TEST(Rule, e_policy_constraints_empty) {
  for (Family f : kAllFamilies)
    expect_violation("e_policy_constraints_empty", f, {.ica = [](Tbs& t) {
                       t.set(oids::kPolicyConstraints, true, kEmptySequence);
                     }});
}

// RFC 5280 4.2.1.12: ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId.
TEST(Rule, e_eku_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_eku_malformed", f,
                     {.leaf = [](Tbs& t) { t.at(oids::kExtKeyUsage).value = kEmptySequence; }});
}

// RFC 5280 4.2.1.12: the target is used only for a purpose its extKeyUsage lists.
TEST(Rule, eku_missing) {
  PathOptions o = options();
  o.required_ekus = {oids::kServerAuth};
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair("eku_missing", chain(f),
                chain(f, {.leaf =
                              [](Tbs& t) {
                                t.at(oids::kExtKeyUsage).value =
                                    encode_extended_key_usage({oids::kClientAuth}).value();
                              }}),
                o);
  }
}

// RFC 5280 4.2.1.13: CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint.
TEST(Rule, e_crl_distribution_points_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_crl_distribution_points_malformed", f, {.leaf = [](Tbs& t) {
                       t.set(oids::kCrlDistributionPoints, false, kEmptySequence);
                     }});
}

// RFC 5280 4.2.1.14: InhibitAnyPolicy ::= SkipCerts ::= INTEGER (0..MAX) (here -1).
TEST(Rule, e_inhibit_any_policy_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_inhibit_any_policy_malformed", f, {.ica = [](Tbs& t) {
                       t.set(oids::kInhibitAnyPolicy, true, {0x02, 0x01, 0xff});
                     }});
}

// RFC 5280 4.2.2.1: authorityInfoAccess MUST be non-critical.
TEST(Rule, e_aia_critical) {
  const Bytes aia = encode_authority_info_access({"http://ocsp.example.com"}, {}).value();
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair("e_aia_critical",
                chain(f, {.leaf = [&](Tbs& t) { t.set(oids::kAuthorityInfoAccess, false, aia); }}),
                chain(f, {.leaf = [&](Tbs& t) { t.set(oids::kAuthorityInfoAccess, true, aia); }}),
                options());
  }
}

// RFC 5280 4.2.2.2: subjectInfoAccess MUST be non-critical. (The AccessDescription syntax is
// shared with AIA; id-ad-caIssuers as the method is enough for the syntax check.)
TEST(Rule, e_sia_critical) {
  const Bytes sia = encode_authority_info_access({}, {"http://ca.example.com/ca.html"}).value();
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair("e_sia_critical",
                chain(f, {.leaf = [&](Tbs& t) { t.set(oids::kSubjectInfoAccess, false, sia); }}),
                chain(f, {.leaf = [&](Tbs& t) { t.set(oids::kSubjectInfoAccess, true, sia); }}),
                options());
  }
}

// RFC 5280 4.2.2.2: SubjectInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription.
TEST(Rule, e_sia_malformed) {
  for (Family f : kAllFamilies)
    expect_violation("e_sia_malformed", f, {.leaf = [](Tbs& t) {
                       t.set(oids::kSubjectInfoAccess, false, kEmptySequence);
                     }});
}

// RFC 5280 7.1: names compare after RFC 4518 preparation (case and insignificant space). The
// leaf's issuer re-encoded with the CA's common name upper-cased and padded still chains; a
// different name does not (no issuer: no path).
TEST(Rule, name_compare_rfc4518) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    ASSERT_NE(find_rule("name_compare_rfc4518"), nullptr);
    const std::string cn = world(f).ica.cert->subject().get(oids::kCommonName);
    std::string upper = "  ";
    for (char c : cn) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto issued_by = [&](std::string issuer_cn) {
      return chain(
          f, {.leaf = [issuer_cn](Tbs& t) {
            t.issuer = dn({{"C", "CN"}, {"ST", "上海"}, {"O", "示例医院"}, {"CN", issuer_cn}});
          }});
    };
    const PathReport folded = validate(issued_by(upper + "  "), options());
    EXPECT_TRUE(folded.valid) << folded.status << ": " << folded.detail;
    const PathReport other = validate(issued_by(cn + "x"), options());
    EXPECT_FALSE(other.valid);
    // The leaf's signature verifies with the issuing CA's key: the name is what differs.
    EXPECT_EQ(other.rule, "issuer_name_mismatch") << other.detail;
  }
}

// ---- CA/B Forum Baseline Requirements (webpki) -----------------------------------------------

// CA/B BR 6.1.5 / Mozilla RSP 5.1: RSA moduli of at least 2048 bits (a 1024-bit leaf key).
TEST(Rule, e_cabf_rsa_too_small) {
  const Bytes n = rsa_modulus();
  const Bytes small = rsa_spki(BytesView(n).subspan(0, 129), kF4);  // leading zero + 128 octets
  for (Family f : kWebFamilies)
    expect_violation("e_cabf_rsa_too_small", f, {.leaf = [&](Tbs& t) { t.spki = small; }},
                     options(Rules::kWebPki));
}

// CA/B BR 6.1.5: the modulus size is divisible by 8 (a 2052-bit modulus).
TEST(Rule, e_cabf_rsa_not_multiple_of_8) {
  Bytes n = rsa_modulus();
  n[0] = 0x0f;  // the leading zero octet becomes 4 more significant bits
  const Bytes odd_size = rsa_spki(n, kF4);
  for (Family f : kWebFamilies)
    expect_violation("e_cabf_rsa_not_multiple_of_8", f,
                     {.leaf = [&](Tbs& t) { t.spki = odd_size; }}, options(Rules::kWebPki));
}

// CA/B BR 6.1.6: the public exponent is odd and at least 3 (here 65538).
TEST(Rule, e_cabf_rsa_exponent) {
  const Bytes even = rsa_spki(rsa_modulus(), Bytes{0x01, 0x00, 0x02});
  for (Family f : kWebFamilies)
    expect_violation("e_cabf_rsa_exponent", f, {.leaf = [&](Tbs& t) { t.spki = even; }},
                     options(Rules::kWebPki));
}

// CA/B BR 7.1.3.1.1: rsaEncryption with explicit NULL parameters.
TEST(Rule, e_cabf_spki_rsa_encoding) {
  const Bytes absent = rsa_spki(rsa_modulus(), kF4, false);
  for (Family f : kWebFamilies)
    expect_violation("e_cabf_spki_rsa_encoding", f, {.leaf = [&](Tbs& t) { t.spki = absent; }},
                     options(Rules::kWebPki));
}

// CA/B BR 6.1.5 / Mozilla RSP 5.1: RSA or ECDSA keys only (an Ed25519 leaf key).
TEST(Rule, e_cabf_key_algorithm) {
  Bytes ed25519 = hex_decode("302a300506032b6570032100").value();
  for (int i = 0; i < 32; ++i) ed25519.push_back(static_cast<std::uint8_t>(0x40 + i));
  for (Family f : kWebFamilies)
    expect_violation("e_cabf_key_algorithm", f, {.leaf = [&](Tbs& t) { t.spki = ed25519; }},
                     options(Rules::kWebPki));
}

// CA/B BR 7.1.1: X.509 v3 (a v1 leaf, which carries no extensions).
TEST(Rule, e_cabf_not_v3) {
  for (Family f : kWebFamilies)
    expect_violation("e_cabf_not_v3", f,
                     {.leaf =
                          [](Tbs& t) {
                            t.version = std::nullopt;
                            t.extensions.clear();
                          }},
                     options(Rules::kWebPki));
}

// CA/B BR 7.1.2.10.4 (7.1.2.1.4 for roots): CA certificates have critical basicConstraints
// with cA TRUE. An intermediate with a non-critical one (the root:
// e_basic_constraints_not_critical).
TEST(Rule, e_cabf_root_basic_constraints) {
  for (Family f : kWebFamilies)
    expect_violation("e_cabf_root_basic_constraints", f,
                     {.ica = [](Tbs& t) { t.at(oids::kBasicConstraints).critical = false; }},
                     options(Rules::kWebPki));
  // RFC 5280 6.1.4 (k) checks presence only.
  EXPECT_TRUE(
      validate(chain(Family::kSm2,
                     {.ica = [](Tbs& t) { t.at(oids::kBasicConstraints).critical = false; }}),
               options())
          .valid);
}

// CA/B BR 7.1.2.1.2: a root certificate has no extKeyUsage.
TEST(Rule, e_cabf_root_eku) {
  for (Family f : kWebFamilies)
    expect_violation("e_cabf_root_eku", f,
                     {.root =
                          [](Tbs& t) {
                            t.set(oids::kExtKeyUsage, false,
                                  encode_extended_key_usage({oids::kServerAuth}).value());
                          }},
                     options(Rules::kWebPki));
}

// CA/B BR 7.1.2.1.3: a root's AKI has a keyIdentifier and no authorityCertIssuer /
// authorityCertSerialNumber.
TEST(Rule, e_cabf_root_aki) {
  for (Family f : kWebFamilies) {
    const Bytes root_name = world(f).root.cert->subject().der;
    const Bytes ski = world(f).root.info.subject_key_id;
    // SEQUENCE { [0] ski, [1] { [4] rootName }, [2] 01 }
    const Bytes aki = der_of([&](der::Writer& w) {
      w.add_sequence([&](der::Writer& s) {
        s.add_implicit(0, ski);
        s.add_implicit_constructed(1, [&](der::Writer& g) {
          g.add_explicit(4, [&](der::Writer& d) { EXPECT_TRUE(d.add_raw(root_name)); });
        });
        s.add_implicit(2, Bytes{0x01});
      });
    });
    SCOPED_TRACE(name_of(f));
    expect_pair(
        "e_cabf_root_aki",
        chain(f, {.root =
                      [&](Tbs& t) {
                        t.set(oids::kAuthorityKeyIdentifier, false,
                              encode_authority_key_identifier(ski).value());
                      }}),
        chain(f, {.root = [&](Tbs& t) { t.set(oids::kAuthorityKeyIdentifier, false, aki); }}),
        options(Rules::kWebPki));
  }
}

// CA/B BR 7.1.2.1.3: a root's AKI keyIdentifier equals its SKI.
TEST(Rule, e_cabf_root_aki_not_ski) {
  for (Family f : kWebFamilies)
    expect_violation("e_cabf_root_aki_not_ski", f,
                     {.root =
                          [](Tbs& t) {
                            t.set(oids::kAuthorityKeyIdentifier, false,
                                  encode_authority_key_identifier(Bytes(20, 0x11)).value());
                          }},
                     options(Rules::kWebPki));
}

// CA/B BR 7.1.2.9: a precertificate (critical CT poison, RFC 6962 3.1) is never accepted as a
// certificate, under every rule set.
TEST(Rule, e_cabf_precert_poison) {
  auto poisoned = [](Tbs& t) { t.set(oids::kCtPrecertPoison, true, {0x05, 0x00}); };
  for (Family f : kAllFamilies) expect_violation("e_cabf_precert_poison", f, {.leaf = poisoned});
  for (Family f : kWebFamilies)
    expect_violation("e_cabf_precert_poison", f, {.leaf = poisoned}, options(Rules::kWebPki));
}

// CA/B BR 7.1.2.7.8: a subscriber certificate is not a CA.
TEST(Rule, e_cabf_ee_ca) {
  for (Family f : kWebFamilies)
    expect_violation(
        "e_cabf_ee_ca", f,
        {.leaf =
             [](Tbs& t) {
               t.set(oids::kBasicConstraints, true,
                     encode_basic_constraints({.ca = true, .path_len = std::nullopt}).value());
             }},
        options(Rules::kWebPki));
}

// CA/B BR 7.1.2.7.10: a subscriber certificate has a non-critical extKeyUsage.
TEST(Rule, e_cabf_eku_required) {
  for (Family f : kWebFamilies) {
    expect_violation("e_cabf_eku_required", f,
                     {.leaf = [](Tbs& t) { t.remove(oids::kExtKeyUsage); }},
                     options(Rules::kWebPki));
    expect_violation("e_cabf_eku_required", f,
                     {.leaf = [](Tbs& t) { t.at(oids::kExtKeyUsage).critical = true; }},
                     options(Rules::kWebPki));
  }
}

// CA/B BR 7.1.2.7.12: a subjectAltName with a dNSName or iPAddress.
TEST(Rule, e_cabf_san_missing) {
  for (Family f : kWebFamilies)
    expect_violation(
        "e_cabf_san_missing", f,
        {.leaf =
             [](Tbs& t) { t.set(oids::kSubjectAltName, false, san({email("www@example.com")})); }},
        options(Rules::kWebPki));
}

// CA/B BR 1.6.1: a wildcard is "*." as the whole leftmost label (all rule sets).
TEST(Rule, e_cabf_bad_wildcard) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair("e_cabf_bad_wildcard",
                chain(f, {.leaf =
                              [](Tbs& t) {
                                t.set(oids::kSubjectAltName, false,
                                      san({dns("www.example.com"), dns("*.example.com")}));
                              }}),
                chain(f, {.leaf =
                              [](Tbs& t) {
                                t.set(oids::kSubjectAltName, false,
                                      san({dns("www.example.com"), dns("www.*.example.com")}));
                              }}),
                options());
  }
}

// CA/B BR 3.2.2.6: no wildcard directly over a public suffix.
TEST(Rule, e_cabf_wildcard_public_suffix) {
  for (Family f : kWebFamilies)
    expect_violation(
        "e_cabf_wildcard_public_suffix", f,
        {.leaf =
             [](Tbs& t) {
               t.set(oids::kSubjectAltName, false, san({dns("www.example.com"), dns("*.co.uk")}));
             }},
        options(Rules::kWebPki));
}

// CA/B BR 7.1.4.3: the commonName is a character-for-character copy of a SAN entry.
TEST(Rule, e_cabf_cn_not_in_san) {
  for (Family f : kWebFamilies)
    expect_violation(
        "e_cabf_cn_not_in_san", f,
        {.leaf =
             [](Tbs& t) { t.set(oids::kSubjectAltName, false, san({dns("WWW.example.com")})); }},
        options(Rules::kWebPki));
}

// CA/B BR 7.1.3.2: PKCS#1 v1.5 signature AlgorithmIdentifiers with explicit NULL parameters.
// RSA only: every ECDSA encoding the BRs refuse (parameters present, SHA-1) is refused under
// every rule set before the profile is checked (e_signature_algorithm_unsupported).
TEST(Rule, e_cabf_signature_algorithm_encoding) {
  expect_violation("e_cabf_signature_algorithm_encoding", Family::kRsa,
                   {.leaf = [](Tbs& t) { t.signature = alg_id("1.2.840.113549.1.1.11", false); }},
                   options(Rules::kWebPki));
  // RFC 5280 (RFC 4055 5: implementations accept absent parameters).
  EXPECT_TRUE(
      validate(
          chain(Family::kRsa,
                {.leaf = [](Tbs& t) { t.signature = alg_id("1.2.840.113549.1.1.11", false); }}),
          options())
          .valid);
}

// CA/B BR 7.1.3.2.2: a P-256 key signs with ECDSA-SHA-256 (here SHA-384). ECDSA only: the
// pairing concerns ECDSA issuer keys.
TEST(Rule, e_cabf_ecdsa_hash_pairing) {
  const World& w = world(Family::kEcdsa);
  auto sha384 = w.ica.key.signer(crypto::SignatureAlg::kEcdsaSha384).value();
  Tbs t = Tbs::from(*w.leaf.cert);
  t.signature = alg_id("1.2.840.10045.4.3.3", false);
  Chain bad = chain(Family::kEcdsa);
  bad.leaf = edit::sign_tbs(t, *sha384);
  expect_pair("e_cabf_ecdsa_hash_pairing", chain(Family::kEcdsa), bad, options(Rules::kWebPki));
  EXPECT_TRUE(validate(bad, options()).valid);
}

}  // namespace
}  // namespace hpki::x509
