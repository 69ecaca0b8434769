// Rule pairs (rule_pair.h) for the RFC 5280 6.1 path validation steps (path.cpp, path_build.cpp,
// path_policy.cpp, path_name_constraints.cpp) and for the certificate parser rules
// (Certificate::parse, W::kParser). Path pairs: the clean chain validates, the violating one
// fails with PathReport::rule naming the rule. Parser pairs: the valid DER parses, the
// violating bytes are refused with a detail that names the defect. Each test tags its clause.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "tests/unit/x509/der_edit.h"
#include "tests/unit/x509/rule_pair.h"
#include "x509/crl.h"
#include "x509/extensions.h"
#include "x509/ocsp.h"
#include "x509/ocsp_source.h"
#include "x509/revocation.h"

namespace hpki::x509 {
namespace {

using namespace rulepair;  // NOLINT(google-build-using-namespace)
using namespace edit;      // NOLINT(google-build-using-namespace)
namespace oids = der::oids;
using std::chrono::hours;
using std::chrono::minutes;

// ---- DER surgery (more in der_edit.h) ---------------------------------------------------------

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }, `tbs` signed
// by `signer`; `pad_signature` adds a zero octet counted as one unused bit.
Bytes certificate_der(const Bytes& tbs, BytesView alg, const crypto::Signer& signer,
                      bool pad_signature = false) {
  Bytes sig = signer.sign(tbs).value();
  if (pad_signature) sig.push_back(0x00);
  return sequence({tbs, Bytes(alg.begin(), alg.end()), bit_string(sig, pad_signature ? 1 : 0)});
}

// The world's leaf with `edit` applied to its TBS (as bytes), signed by the issuing CA.
Bytes leaf_der(Family f, const std::function<void(Tbs&)>& edit_tbs,
               const std::function<void(std::vector<Bytes>&)>& edit_elements = {}) {
  const World& w = world(f);
  Tbs t = Tbs::from(*w.leaf.cert);
  if (edit_tbs) edit_tbs(t);
  std::vector<Bytes> parts = elements(t.encode());
  if (edit_elements) edit_elements(parts);
  return certificate_der(sequence(parts), t.signature, *w.ica.signer);
}

// Parser pairs: `valid` parses, `violating` is refused and the detail contains `names`.
void expect_parse_pair(std::string_view rule, const Bytes& valid, const Bytes& violating,
                       std::string_view names) {
  const Rule* r = find_rule(rule);
  ASSERT_NE(r, nullptr) << rule << " is not in the rule inventory";
  EXPECT_NE(r->where & W::kParser, 0U) << rule;
  auto good = Certificate::parse(valid);
  EXPECT_TRUE(good) << rule << " valid case: " << good.error().to_string();
  auto bad = Certificate::parse(violating);
  ASSERT_FALSE(bad) << rule << " violating case parsed";
  EXPECT_NE(bad.error().detail().find(names), std::string::npos)
      << rule << ": " << bad.error().to_string();
}

// ---- RFC 5280 4.1 certificate parser -------------------------------------------------------

// RFC 5280 4.1: DER only. A non-minimal length octet count and an explicitly encoded DEFAULT
// version (v1) are BER, not DER.
TEST(Rule, e_cert_not_der) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Bytes der = world(f).leaf.cert->der();
    ASSERT_EQ(der[0], 0x30);
    ASSERT_EQ(der[1], 0x82);  // two length octets: certificates of 256..65535 octets
    Bytes long_form{0x30, 0x83, 0x00};
    long_form.insert(long_form.end(), der.begin() + 2, der.end());
    expect_parse_pair("e_cert_not_der", der, long_form, "length");
    expect_parse_pair("e_cert_not_der", leaf_der(f, {}),
                      leaf_der(f,
                               [](Tbs& t) {
                                 t.version = 0;
                                 t.extensions.clear();
                               }),
                      "v1 encoded explicitly");
  }
}

// RFC 5280 4.1: Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension.
TEST(Rule, e_extensions_empty) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_parse_pair("e_extensions_empty", leaf_der(f, {}),
                      leaf_der(
                          f, [](Tbs& t) { t.extensions.clear(); },
                          [](std::vector<Bytes>& p) {
                            p.push_back(Bytes{0xa3, 0x02, 0x30, 0x00});
                          }),
                      "empty Extensions");
  }
}

// RFC 5280 4.1 / X.690 11.5: critical DEFAULT FALSE is never encoded.
TEST(Rule, e_extension_critical_false_encoded) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const auto with_false = [](std::vector<Bytes>& p) {
      // Re-encode [3] Extensions writing BOOLEAN FALSE into every non-critical extension.
      Bytes& ext = p.back();
      ASSERT_EQ(ext[0], 0xa3);
      const std::vector<Bytes> list = elements(ext);  // the SEQUENCE OF Extension inside [3]
      ASSERT_EQ(list.size(), 1U);
      std::vector<Bytes> rewritten;
      for (const Bytes& one : elements(list.front())) {
        std::vector<Bytes> fields = elements(one);
        if (fields.size() == 2) fields.insert(fields.begin() + 1, Bytes{0x01, 0x01, 0x00});
        rewritten.push_back(sequence(fields));
      }
      ext = constructed(der::Tag::context_constructed(3), {sequence(rewritten)});
    };
    expect_parse_pair("e_extension_critical_false_encoded", leaf_der(f, {}),
                      leaf_der(f, {}, with_false), "encodes critical FALSE");
  }
}

// RFC 5280 4.1.1.3: signatureValue is whole octets.
TEST(Rule, e_signature_value_unused_bits) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const World& w = world(f);
    Tbs t = Tbs::from(*w.leaf.cert);
    const Bytes tbs = t.encode();
    expect_parse_pair(
        "e_signature_value_unused_bits", certificate_der(tbs, t.signature, *w.ica.signer),
        certificate_der(tbs, t.signature, *w.ica.signer, true), "signatureValue: unused bits");
  }
}

// RFC 5280 4.1.2.1: Version ::= INTEGER { v1(0), v2(1), v3(2) }.
TEST(Rule, e_version_unknown) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_parse_pair("e_version_unknown", leaf_der(f, [](Tbs& t) { t.version = 2; }),
                      leaf_der(f, [](Tbs& t) { t.version = 3; }), "unknown version 4");
  }
}

// RFC 5280 4.1.2.9: extensions only in v3.
TEST(Rule, e_extensions_in_v1_v2) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    // A v2 certificate without extensions parses; with them it does not.
    expect_parse_pair("e_extensions_in_v1_v2",
                      leaf_der(f,
                               [](Tbs& t) {
                                 t.version = 1;
                                 t.extensions.clear();
                               }),
                      leaf_der(f, [](Tbs& t) { t.version = 1; }), "extensions in a v2 certificate");
    expect_parse_pair("e_extensions_in_v1_v2",
                      leaf_der(f,
                               [](Tbs& t) {
                                 t.version = std::nullopt;
                                 t.extensions.clear();
                               }),
                      leaf_der(f, [](Tbs& t) { t.version = std::nullopt; }),
                      "extensions in a v1 certificate");
  }
}

// The world leaf with its Validity replaced by `validity` (TBS element 4: version, serial,
// signature, issuer, validity).
Bytes with_validity(Family f, const Bytes& validity) {
  return leaf_der(f, {}, [&](std::vector<Bytes>& p) {
    ASSERT_GT(p.size(), 4U);
    ASSERT_EQ(p[4][0], 0x30);
    p[4] = validity;
  });
}

// RFC 5280 4.1.2.5.1: UTCTime YYMMDDHHMMSSZ.
TEST(Rule, e_utc_time_format) {
  const Bytes after = primitive(der::kUtcTime, text("491231235959Z"));
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Bytes valid =
        with_validity(f, sequence({primitive(der::kUtcTime, text("250101120000Z")), after}));
    for (const char* bad :
         {"2501011200Z", "250101120000+0800", "250101120000", "250101120000.5Z"}) {
      SCOPED_TRACE(bad);
      expect_parse_pair("e_utc_time_format", valid,
                        with_validity(f, sequence({primitive(der::kUtcTime, text(bad)), after})),
                        "UTCTime");
    }
  }
}

// RFC 5280 4.1.2.5.2: GeneralizedTime YYYYMMDDHHMMSSZ, no fractional seconds.
TEST(Rule, e_generalized_time_format) {
  const Bytes before = primitive(der::kUtcTime, text("250101120000Z"));
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Bytes valid = with_validity(
        f, sequence({before, primitive(der::kGeneralizedTime, text("20500101120000Z"))}));
    for (const char* bad :
         {"20500101120000.5Z", "20500101120000", "205001011200Z", "20500101120000+0800"}) {
      SCOPED_TRACE(bad);
      expect_parse_pair(
          "e_generalized_time_format", valid,
          with_validity(f, sequence({before, primitive(der::kGeneralizedTime, text(bad))})),
          "GeneralizedTime");
    }
  }
}

// RFC 5280 4.1.2.8: unique identifiers only in v2 and v3.
TEST(Rule, e_unique_id_in_v1) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_parse_pair("e_unique_id_in_v1",
                      leaf_der(f,
                               [](Tbs& t) {
                                 t.version = 1;
                                 t.extensions.clear();
                                 t.subject_unique_id = true;
                               }),
                      leaf_der(f,
                               [](Tbs& t) {
                                 t.version = std::nullopt;
                                 t.extensions.clear();
                                 t.subject_unique_id = true;
                               }),
                      "uniqueID in a v1 certificate");
  }
}

// ---- RFC 5280 6.1 / RFC 4158 path building ---------------------------------------------------

// A failing report naming `rule` (the valid report is checked by the caller).
void expect_fails_with(std::string_view rule, const PathReport& bad) {
  ASSERT_NE(find_rule(rule), nullptr) << rule;
  EXPECT_FALSE(bad.valid) << rule << " violating case validated";
  EXPECT_EQ(bad.rule, rule) << "status " << bad.status << ": " << bad.detail;
}

// RFC 5280 6.1: a path ends at a trust anchor; without the issuing CA there is none.
TEST(Rule, no_path_to_trust_anchor) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Chain c = chain(f);
    EXPECT_TRUE(validate(c, options()).valid);
    expect_fails_with("no_path_to_trust_anchor", validate_path(c.leaf, {}, {c.root}, options()));
    // Another family's root is no anchor for this chain either.
    const Chain other = chain(f == Family::kSm2 ? Family::kEcdsa : Family::kSm2);
    expect_fails_with("no_path_to_trust_anchor",
                      validate_path(c.leaf, {c.ica}, {other.root}, options()));
  }
}

// RFC 4158 / hpki: a bounded number of signature checks.
TEST(Rule, path_building_budget_exceeded) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Chain c = chain(f);
    PathOptions o = options();
    o.max_signature_checks = 2;
    EXPECT_TRUE(validate(c, o).valid);
    o.max_signature_checks = 1;
    expect_fails_with("path_building_budget_exceeded", validate(c, o));
    o = options();
    o.max_paths = 0;
    expect_fails_with("path_building_budget_exceeded", validate(c, o));
  }
}

// RFC 5280 6.1.1 / hpki: at most max_depth intermediates.
TEST(Rule, max_depth_exceeded) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Chain c = chain(f);
    PathOptions o = options();
    o.max_depth = 1;
    EXPECT_TRUE(validate(c, o).valid);
    o.max_depth = 0;
    expect_fails_with("max_depth_exceeded", validate(c, o));
  }
}

// RFC 4158 2.4.2: the issuing CA and a "root" certificate issued by it (the root's name and
// key, signed by the issuing CA's key) certify each other; with neither anchored, building
// runs into the cycle and finds no path.
TEST(Rule, path_cycle) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const World& w = world(f);
    const Chain c = chain(f);
    Tbs back = Tbs::from(*w.root.cert);
    back.issuer = w.ica.cert->subject().der;
    back.set(oids::kAuthorityKeyIdentifier, false,
             w.leaf.cert->find_extension(oids::kAuthorityKeyIdentifier)->value);
    const CertificatePtr root_by_ica = edit::sign_tbs(back, *w.ica.signer);
    ASSERT_TRUE(root_by_ica);
    const Chain other = chain(f == Family::kSm2 ? Family::kEcdsa : Family::kSm2);
    // Valid: the same pool with the real root anchored.
    const PathReport good = validate_path(c.leaf, {c.ica, root_by_ica}, {c.root}, options());
    EXPECT_TRUE(good.valid) << good.status << " " << good.detail;
    expect_fails_with("path_cycle",
                      validate_path(c.leaf, {c.ica, root_by_ica}, {other.root}, options()));
  }
}

// RFC 5280 6.1.3 (a)(1): the signature verifies with the issuer's key. The leaf signed by the
// root's key (same algorithm) instead of the issuing CA's.
TEST(Rule, signature_invalid) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const World& w = world(f);
    Chain bad = chain(f);
    bad.leaf = edit::sign_tbs(Tbs::from(*w.leaf.cert), *w.root.signer);
    expect_pair("signature_invalid", chain(f), bad, options());
    // A flipped bit in the signature of the intermediate.
    Bytes der = w.ica.cert->der();
    der[der.size() - 8] ^= 0x01;
    auto flipped = Certificate::parse(der);
    ASSERT_TRUE(flipped) << flipped.error().to_string();
    bad = chain(f);
    bad.ica = *flipped;
    expect_pair("signature_invalid", chain(f), bad, options());
  }
}

// RFC 5280 6.1.3 (a)(1): an unsupported signature algorithm (ecdsa-with-SHA1, SHA-1 being
// refused for all rule sets) does not validate.
TEST(Rule, unsupported_algorithm) {
  // The issuing CA's key is on P-192, which hpki does not support: the leaf's signature cannot
  // be checked. (A SHA-1 signature algorithm is its own rule, e_cabf_no_sha1.)
  const Bytes p192 = p192_spki();
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_violation("unsupported_algorithm", f, {.ica = [&](Tbs& t) { t.spki = p192; }});
  }
}

// RFC 5280 6.1.3 (a)(2): notBefore <= validation time.
TEST(Rule, not_yet_valid) {
  for (Family f : kAllFamilies) {
    expect_violation("not_yet_valid", f,
                     {.leaf = [](Tbs& t) { t.not_before = testca::now() + hours(24); }});
    // At the second of notBefore the leaf is valid (inclusive).
    SCOPED_TRACE(name_of(f));
    const TimePoint nb = testca::now() + hours(2);
    const Chain c = chain(f, {.leaf = [&](Tbs& t) { t.not_before = nb; }});
    PathOptions o = options();
    o.at = nb;
    EXPECT_TRUE(validate(c, o).valid);
    o.at = nb - std::chrono::seconds(1);
    expect_fails_with("not_yet_valid", validate(c, o));
  }
}

// RFC 5280 6.1.3 (a)(2): validation time <= notAfter.
TEST(Rule, not_after_passed) {
  for (Family f : kAllFamilies) {
    expect_violation("not_after_passed", f,
                     {.ica = [](Tbs& t) { t.not_after = testca::now() - minutes(1); }});
    SCOPED_TRACE(name_of(f));
    const TimePoint na = testca::now() + hours(2);
    const Chain c = chain(f, {.leaf = [&](Tbs& t) { t.not_after = na; }});
    PathOptions o = options();
    o.at = na;
    EXPECT_TRUE(validate(c, o).valid);
    o.at = na + std::chrono::seconds(1);
    expect_fails_with("not_after_passed", validate(c, o));
  }
}

// A CRL of `ca` (hpki's CRL builder) revoking `serials`.
CrlPtr crl_of(const testca::Ca& ca, const std::vector<Bytes>& serials) {
  CrlTemplate t;
  t.issuer = ca.cert->subject();
  t.authority_key_id =
      parse_subject_key_identifier(ca.cert->find_extension(oids::kSubjectKeyIdentifier)->value)
          .value();
  t.this_update = testca::now() - minutes(30);
  t.next_update = testca::now() + hours(24);
  t.crl_number = {0x01};
  for (const auto& s : serials)
    t.revoked.push_back(
        RevokedEntry{s, testca::now() - minutes(20), RevocationReason::kKeyCompromise, {}, {}});
  auto der = build_crl(t, *ca.signer);
  EXPECT_TRUE(der) << der.error().to_string();
  return Crl::parse(*der).value();
}

// RFC 5280 6.1.3 (a)(3): a revoked certificate of the path (per CRLs made by hpki).
TEST(Rule, revoked) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const World& w = world(f);
    const CrlPtr root_crl = crl_of(w.root, {});
    const CrlRevocationSource clean({root_crl, crl_of(w.ica, {})}, {w.root.cert, w.ica.cert});
    const CrlRevocationSource leaf_revoked({root_crl, crl_of(w.ica, {w.leaf.cert->serial()})},
                                           {w.root.cert, w.ica.cert});
    const CrlRevocationSource ica_revoked(
        {crl_of(w.root, {w.ica.cert->serial()}), crl_of(w.ica, {})}, {w.root.cert, w.ica.cert});
    PathOptions good = options(), bad = options();
    good.revocation = &clean;
    const PathReport g = validate(chain(f), good);
    EXPECT_TRUE(g.valid) << g.status << " " << g.detail;
    bad.revocation = &leaf_revoked;
    expect_fails_with("revoked", validate(chain(f), bad));
    bad.revocation = &ica_revoked;
    const PathReport r = validate(chain(f), bad);
    expect_fails_with("revoked", r);
    EXPECT_NE(r.detail.find("crl_revoked"), std::string::npos) << r.detail;
  }
}

// RFC 5280 6.1.3 (a)(3): with revocation status required, a certificate without one fails.
TEST(Rule, revocation_unknown) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const World& w = world(f);
    const CrlRevocationSource both({crl_of(w.root, {}), crl_of(w.ica, {})},
                                   {w.root.cert, w.ica.cert});
    const CrlRevocationSource root_only({crl_of(w.root, {})}, {w.root.cert, w.ica.cert});
    PathOptions o = options();
    o.revocation = &both;
    EXPECT_TRUE(validate(chain(f), o).valid);
    o.revocation = &root_only;
    expect_fails_with("revocation_unknown", validate(chain(f), o));
    // Not required: the unknown status stays a note, the path is valid.
    o.require_revocation_status = false;
    EXPECT_TRUE(validate(chain(f), o).valid);
  }
}

// RFC 5280 6.1.3 (a)(4): the leaf names an issuer other than the CA whose key signed it.
TEST(Rule, issuer_name_mismatch) {
  for (Family f : kAllFamilies)
    expect_violation(
        "issuer_name_mismatch", f, {.leaf = [f](Tbs& t) {
          // A name no certificate of the pool or anchor set has.
          t.issuer = world(f == Family::kSm2 ? Family::kRsa : Family::kSm2).ica.cert->subject().der;
        }});
}

// RFC 5280 6.1.3 (b), (c) / 4.2.1.10: the leaf's dNSName outside the CA's permitted subtree.
Bytes name_constraints(std::string permitted_dns) {
  NameConstraints nc;
  nc.permitted.push_back(dns_name(permitted_dns).value());
  return encode_name_constraints(nc).value();
}

TEST(Rule, name_constraint_violation) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair(
        "name_constraint_violation",
        chain(f, {.ica =
                      [](Tbs& t) {
                        t.set(oids::kNameConstraints, true, name_constraints("example.com"));
                      }}),
        chain(f, {.ica =
                      [](Tbs& t) {
                        t.set(oids::kNameConstraints, true, name_constraints("example.org"));
                      }}),
        options());
  }
}

// RFC 5280 4.2.1.10: a constrained name form hpki cannot check (registeredID) in the leaf.
TEST(Rule, name_constraint_unsupported) {
  // nameConstraints { permittedSubtrees [0] { GeneralSubtree { registeredID [8] 1.2.3.4 } } }
  const Bytes nc{0x30, 0x09, 0xa0, 0x07, 0x30, 0x05, 0x88, 0x03, 0x2a, 0x03, 0x04};
  const auto san_with = [](bool registered) {
    Bytes dns = text("www.example.com");
    std::vector<Bytes> names{primitive(der::Tag::context(2), dns)};
    if (registered) names.push_back(primitive(der::Tag::context(8), Bytes{0x2a, 0x03, 0x05}));
    return sequence(names);
  };
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair(
        "name_constraint_unsupported",
        chain(f, {.ica = [&](Tbs& t) { t.set(oids::kNameConstraints, true, nc); },
                  .leaf = [&](Tbs& t) { t.set(oids::kSubjectAltName, false, san_with(false)); }}),
        chain(f, {.ica = [&](Tbs& t) { t.set(oids::kNameConstraints, true, nc); },
                  .leaf = [&](Tbs& t) { t.set(oids::kSubjectAltName, false, san_with(true)); }}),
        options());
  }
}

// certificatePolicies with `policies` (dotted OIDs).
Bytes policies(const std::vector<std::string>& ids) {
  std::vector<PolicyQualifiedInfo> p;
  for (const auto& id : ids)
    p.push_back(PolicyQualifiedInfo{der::Oid::from_string(id).value(), {}});
  return encode_certificate_policies(p).value();
}

// policyMappings { issuerDomainPolicy, subjectDomainPolicy } pairs.
Bytes mappings(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<Bytes> list;
  for (const auto& [from, to] : pairs) {
    der::Writer w;
    w.add_sequence([&](der::Writer& s) {
      s.add_oid(der::Oid::from_string(from).value());
      s.add_oid(der::Oid::from_string(to).value());
    });
    list.push_back(w.take());
  }
  return sequence(list);
}

// RFC 5280 6.1.3 (f) / 6.1.5 (g): with an explicit policy required, the leaf's policy must
// be one the issuing CA's certificatePolicies allow.
TEST(Rule, explicit_policy_required) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    PathOptions o = options();
    o.initial_explicit_policy = true;
    const auto ica = [](Tbs& t) {
      t.set(oids::kCertificatePolicies, false, policies({"1.2.3.1"}));
    };
    expect_pair("explicit_policy_required",
                chain(f, {.ica = ica,
                          .leaf =
                              [](Tbs& t) {
                                t.set(oids::kCertificatePolicies, false, policies({"1.2.3.1"}));
                              }}),
                chain(f, {.ica = ica,
                          .leaf =
                              [](Tbs& t) {
                                t.set(oids::kCertificatePolicies, false, policies({"1.2.3.2"}));
                              }}),
                o);
  }
}

// RFC 5280 6.1.3 (d), (e) / 6.1.4 (a), (b), (h)-(j) / 6.1.5: the valid_policy_tree as the
// extensions change it. A violation of the processing has no finding of its own: it shows as
// the user-constrained policy set and, where an explicit policy is required, as
// explicit_policy_required. The issuing CA (requireExplicitPolicy 0) maps 1.2.3.1 to 1.2.3.2:
// the leaf's 1.2.3.2 is then acceptable, but not with initial-policy-mapping-inhibit set.
TEST(Rule, policy_tree_processing) {
  // PolicyConstraints ::= SEQUENCE { requireExplicitPolicy [0] 0 }
  const Bytes pc_require_only{0x30, 0x03, 0x80, 0x01, 0x00};
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const auto ica = [&](const Bytes& constraints) {
      return [&, constraints](Tbs& t) {
        t.set(oids::kCertificatePolicies, false, policies({"1.2.3.1"}));
        t.set(oids::kPolicyMappings, true, mappings({{"1.2.3.1", "1.2.3.2"}}));
        t.set(oids::kPolicyConstraints, true, constraints);
      };
    };
    const auto leaf = [](Tbs& t) {
      t.set(oids::kCertificatePolicies, false, policies({"1.2.3.2"}));
    };
    const Chain c = chain(f, {.ica = ica(pc_require_only), .leaf = leaf});
    const PathReport good = validate(c, options());
    EXPECT_TRUE(good.valid) << good.status << ": " << good.detail;
    // The mapping is applied: the leaf's policy stands for the issuer-domain policy 1.2.3.1.
    EXPECT_EQ(good.user_constrained_policy_set, std::vector<std::string>{"1.2.3.1"});
    // 6.1.4 (b)(2): with policy mapping inhibited the mapped node is deleted; the leaf's
    // policy then matches nothing and the CA's requireExplicitPolicy 0 makes that fatal.
    PathOptions inhibit = options();
    inhibit.initial_policy_mapping_inhibit = true;
    const PathReport bad = validate(c, inhibit);
    EXPECT_FALSE(bad.valid);
    EXPECT_EQ(bad.status, "explicit_policy_required") << bad.detail;
    EXPECT_TRUE(bad.user_constrained_policy_set.empty());
  }
}

// RFC 5280 4.2.1.5 / 6.1.4 (a): no mapping to or from anyPolicy.
TEST(Rule, policy_mapping_any_policy) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_pair(
        "policy_mapping_any_policy",
        chain(f, {.ica =
                      [](Tbs& t) {
                        t.set(oids::kPolicyMappings, true, mappings({{"1.2.3.1", "1.2.3.2"}}));
                      }}),
        chain(f, {.ica =
                      [](Tbs& t) {
                        t.set(oids::kPolicyMappings, true, mappings({{"2.5.29.32.0", "1.2.3.2"}}));
                      }}),
        options());
    expect_violation("policy_mapping_any_policy", f, {.ica = [](Tbs& t) {
                       t.set(oids::kPolicyMappings, true, mappings({{"1.2.3.1", "2.5.29.32.0"}}));
                     }});
  }
}

// A second issuing CA below the world's (made by hpki's builder) and a leaf below it: root ->
// ica -> ica2 -> leaf2.
struct Deeper {
  testca::Ca ica2;
  testca::Issued leaf2;
};
const Deeper& deeper(Family f) {
  static std::map<Family, std::unique_ptr<Deeper>> all;
  auto& d = all[f];
  if (!d) {
    auto ica2 = testca::make_ca(spec_of(f), "ica2-" + std::string(name_of(f)), &world(f).ica);
    x509::SubjectData s = testca::subject("www.example.com");
    s.dns_names = {"www.example.com"};
    auto leaf2 = testca::issue(ica2, spec_of(f), {.profile = "ssl-server", .subject = s});
    d.reset(new Deeper{std::move(ica2), std::move(leaf2)});
  }
  return *d;
}

// root -> ica (without pathLenConstraint, then edited by `e.root`, re-signed by the root) -> ica2
// (edited, re-signed by ica's key) -> leaf2 (edited, re-signed by ica2's key).
PathReport validate_deeper(Family f, const Edits& e, const PathOptions& o) {
  const World& w = world(f);
  const Deeper& d = deeper(f);
  const auto redo = [](const CertificatePtr& c, const Edit& ed, const crypto::Signer& by) {
    if (!ed) return c;
    Tbs t = Tbs::from(*c);
    ed(t);
    return edit::sign_tbs(t, by);
  };
  // The issuing-ca profile sets pathLenConstraint 0: ica gets none unless `e.root` says.
  const Edit ica = [&e](Tbs& t) {
    t.set(oids::kBasicConstraints, true, encode_basic_constraints({true, std::nullopt}).value());
    if (e.root) e.root(t);
  };
  return validate_path(
      redo(d.leaf2.cert, e.leaf, *d.ica2.signer),
      {redo(w.ica.cert, ica, *w.root.signer), redo(d.ica2.cert, e.ica, *w.ica.signer)},
      {w.root.cert}, o);
}

// RFC 5280 6.1.3 (d) / hpki: the valid_policy_tree is bounded (OpenSSL CVE-2023-0464): two
// CAs mapping 45 policies each onto all 45.
TEST(Rule, policy_tree_too_large) {
  std::vector<std::string> ids;
  std::vector<std::pair<std::string, std::string>> all;
  for (int i = 1; i <= 45; ++i) ids.push_back("1.2.3." + std::to_string(i));
  for (const auto& a : ids)
    for (const auto& b : ids) all.emplace_back(a, b);
  const Bytes cp = policies(ids), pm = mappings(all);
  const Bytes pm_small = mappings({{"1.2.3.1", "1.2.3.2"}});
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    // Edits (for validate_deeper): .root = ica, .ica = ica2, .leaf = leaf2.
    const auto ca = [&](const Bytes& m) {
      return [&, m](Tbs& t) {
        t.set(oids::kCertificatePolicies, false, cp);
        t.set(oids::kPolicyMappings, true, m);
      };
    };
    const auto leaf = [&](Tbs& t) { t.set(oids::kCertificatePolicies, false, cp); };
    const PathReport good =
        validate_deeper(f, {.root = ca(pm_small), .ica = ca(pm_small), .leaf = leaf}, options());
    EXPECT_TRUE(good.valid) << good.status << ": " << good.detail;
    expect_fails_with("policy_tree_too_large",
                      validate_deeper(f, {.root = ca(pm), .ica = ca(pm), .leaf = leaf}, options()));
  }
}

// RFC 5280 6.1.4 (k): every intermediate is a CA.
TEST(Rule, not_a_ca) {
  for (Family f : kAllFamilies) {
    // Without keyUsage too (keyCertSign without cA is e_key_cert_sign_without_ca).
    expect_violation("not_a_ca", f, {.ica = [](Tbs& t) {
                       t.remove(oids::kBasicConstraints);
                       t.remove(oids::kKeyUsage);
                     }});
    expect_violation("not_a_ca", f, {.ica = [](Tbs& t) {
                       t.set(oids::kBasicConstraints, true, encode_basic_constraints({}).value());
                       t.remove(oids::kKeyUsage);
                     }});
  }
}

// RFC 5280 6.1.4 (l), (m): ica with pathLenConstraint 0 may not be followed by ica2.
TEST(Rule, path_len_exceeded) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const auto path_len = [](std::optional<int> n) {
      return [n](Tbs& t) {
        t.set(oids::kBasicConstraints, true, encode_basic_constraints({true, n}).value());
      };
    };
    const PathReport good = validate_deeper(f, {.root = path_len(1)}, options());
    EXPECT_TRUE(good.valid) << good.status << ": " << good.detail;
    expect_fails_with("path_len_exceeded", validate_deeper(f, {.root = path_len(0)}, options()));
  }
}

// RFC 5280 6.1.4 (n): an intermediate with keyUsage asserts keyCertSign.
TEST(Rule, key_cert_sign_missing) {
  for (Family f : kAllFamilies)
    expect_violation(
        "key_cert_sign_missing", f, {.ica = [](Tbs& t) {
          t.set(oids::kKeyUsage, true,
                encode_key_usage(ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kCrlSign))
                    .value());
        }});
}

// RFC 6125 6.4: the expected DNS name is in the leaf's subjectAltName.
TEST(Rule, name_mismatch) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    PathOptions o = options();
    o.identity = PeerIdentity{PeerIdentity::Kind::kDns, "WWW.example.com"};
    EXPECT_TRUE(validate(chain(f), o).valid);
    o.identity = PeerIdentity{PeerIdentity::Kind::kDns, "mail.example.com"};
    expect_fails_with("name_mismatch", validate(chain(f), o));
    // No commonName fallback: the CN is www.example.com, the SAN names only other.example.com.
    o.identity = PeerIdentity{PeerIdentity::Kind::kDns, "www.example.com"};
    expect_fails_with(
        "name_mismatch",
        validate(chain(f, {.leaf =
                               [](Tbs& t) {
                                 t.set(oids::kSubjectAltName, false,
                                       encode_general_names({dns_name("other.example.com").value()})
                                           .value());
                               }}),
                 o));
  }
}

}  // namespace
}  // namespace hpki::x509
