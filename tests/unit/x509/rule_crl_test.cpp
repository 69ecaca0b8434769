// CRL rules of RFC 5280 6.3.3 as CrlRevocationSource (revocation.cpp) applies them during path
// validation: one TEST per CRL diagnostic id (x509/diag.h), each with a case the rule accepts
// and one it refuses, for ECDSA P-256 and for SM2 (ID 1234567812345678). Everything is made
// here with hpki's builders: the test-CA hierarchy (tests/support/test_ca.h), certificates
// re-encoded with the distribution point a case needs (der::Writer, signed with the CA key)
// and CRLs from build_crl. Not copies of PKITS files (pkits_test.cpp runs those).
//
// Hierarchy of every case: root (trust anchor) -> "ward" CA -> leaf; "crlx", a CA under the
// root, is a separate CRL issuer (RFC 5280 4.2.1.13 cRLIssuer, 5.2.5 indirectCRL). The root's
// CRL covers the CAs.
#include <gtest/gtest.h>

#include <functional>
#include <source_location>
#include <string>
#include <vector>

#include "core/clock.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "tests/support/test_ca.h"
#include "x509/crl.h"
#include "x509/diag.h"
#include "x509/extensions.h"
#include "x509/path.h"
#include "x509/revocation.h"

namespace hpki::x509 {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const crypto::KeySpec kSpecs[] = {{crypto::KeyType::kEcP256, 0}, {crypto::KeyType::kSm2, 0}};

std::string spec_name(const crypto::KeySpec& s) {
  return s.type == crypto::KeyType::kSm2 ? "SM2" : "ECDSA P-256";
}

GeneralName dir(const Name& n) {
  GeneralName g;
  g.type = GeneralName::Type::kDirectory;
  g.directory = n;
  return g;
}

GeneralName uri(std::string u) {
  GeneralName g;
  g.type = GeneralName::Type::kUri;
  g.text = std::move(u);
  return g;
}

// `base` with one more RDN, CN=`cn` (a distribution point's name, as PKITS names them).
Name with_cn(const Name& base, const std::string& cn) {
  der::Reader outer(base.der);
  const der::Element name = outer.read_element(der::kSequence).value();
  der::Writer w;
  w.add_sequence([&](der::Writer& rdns) {
    der::Reader in(name.value);
    while (!in.at_end()) EXPECT_TRUE(rdns.add_raw(in.read_tlv().value().encoded));
    rdns.add_set([&](der::Writer& rdn) {
      rdn.add_sequence([&](der::Writer& atv) {
        atv.add_oid(*der::Oid::from_string("2.5.4.3"));
        EXPECT_TRUE(atv.add_utf8_string(cn));
      });
    });
  });
  return parse_name(w.bytes()).value();
}

void write_names(der::Writer& w, const std::vector<GeneralName>& names) {
  for (const auto& g : names) {
    if (g.type == GeneralName::Type::kDirectory) {
      EXPECT_TRUE(w.add_explicit(4, [&](der::Writer& e) { return e.add_raw(g.directory->der); }));
    } else {
      EXPECT_TRUE(w.add_ia5_string(g.text, der::Tag::context(6)));
    }
  }
}

// RFC 5280 4.2.1.13: cRLDistributionPoints with one DistributionPoint { distributionPoint
// [0] { fullName [0] `full_name` } (when not empty), cRLIssuer [2] `crl_issuer` (when not
// empty) }.
Bytes crl_dp(const std::vector<GeneralName>& full_name,
             const std::vector<GeneralName>& crl_issuer) {
  der::Writer w;
  w.add_sequence([&](der::Writer& dps) {
    dps.add_sequence([&](der::Writer& dp) {
      if (!full_name.empty()) {
        dp.add_implicit_constructed(0, [&](der::Writer& dpn) {
          dpn.add_implicit_constructed(0, [&](der::Writer& f) { write_names(f, full_name); });
        });
      }
      if (!crl_issuer.empty())
        dp.add_implicit_constructed(2, [&](der::Writer& i) { write_names(i, crl_issuer); });
    });
  });
  return w.take();
}

// `c` re-encoded and signed again by `issuer`, which issued it: with its cRLDistributionPoints
// replaced by `dp` (DER value), or, without `dp`, as a v1 certificate (no extensions).
CertificatePtr reissue(const Certificate& c, const testca::Ca& issuer, std::optional<Bytes> dp) {
  der::Writer w;
  auto r = w.add_sequence([&](der::Writer& t) -> Result<void> {
    if (dp) t.add_explicit(0, [&](der::Writer& v) { v.add_integer(2); });
    HPKI_TRY(t.add_integer_bytes(c.serial()));
    HPKI_TRY(t.add_raw(c.tbs_signature_algorithm().der));
    HPKI_TRY(t.add_raw(c.issuer().der));
    HPKI_TRY(t.add_sequence([&](der::Writer& v) -> Result<void> {
      HPKI_TRY(v.add_time(std::chrono::floor<std::chrono::seconds>(c.validity().not_before)));
      return v.add_time(std::chrono::floor<std::chrono::seconds>(c.validity().not_after));
    }));
    HPKI_TRY(t.add_raw(c.subject().der));
    HPKI_TRY(t.add_raw(c.spki_der()));
    if (!dp) return {};
    t.add_explicit(3, [&](der::Writer& x) {
      x.add_sequence([&](der::Writer& list) {
        auto one = [&](const der::Oid& oid, bool critical, const Bytes& value) {
          list.add_sequence([&](der::Writer& e) {
            e.add_oid(oid);
            if (critical) e.add_boolean(true);
            e.add_octet_string(value);
          });
        };
        for (const auto& e : c.extensions()) {
          if (e.oid != der::oids::kCrlDistributionPoints) one(e.oid, e.critical, e.value);
        }
        one(der::oids::kCrlDistributionPoints, false, *dp);
      });
    });
    return {};
  });
  EXPECT_TRUE(r) << r.error().to_string();
  const Bytes tbs = w.take();
  const Bytes sig = issuer.signer->sign(tbs).value();
  der::Writer out;
  out.add_sequence([&](der::Writer& s) {
    EXPECT_TRUE(s.add_raw(tbs));
    EXPECT_TRUE(s.add_raw(c.tbs_signature_algorithm().der));
    EXPECT_TRUE(s.add_bit_string(sig));
  });
  auto parsed = Certificate::parse(out.bytes());
  EXPECT_TRUE(parsed) << parsed.error().to_string();
  return *parsed;
}

CertificatePtr with_dp(const Certificate& c, const testca::Ca& issuer, const Bytes& dp) {
  return reissue(c, issuer, dp);
}

// A revoked entry; `certificate_issuer`: its RFC 5280 5.3.3 certificateIssuer (critical).
RevokedEntry entry(const Bytes& serial, std::optional<std::vector<GeneralName>> cert_issuer = {},
                   RevocationReason reason = RevocationReason::kKeyCompromise) {
  RevokedEntry e{serial, testca::now() - minutes(30), reason, std::nullopt, {}};
  if (cert_issuer)
    e.extensions.push_back(
        Extension{der::oids::kCertificateIssuer, true, encode_general_names(*cert_issuer).value()});
  return e;
}

// An issuingDistributionPoint with indirectCRL and nothing else.
IssuingDistributionPoint indirect_only() {
  IssuingDistributionPoint idp;
  idp.indirect_crl = true;
  return idp;
}

struct CrlSpec {
  std::optional<IssuingDistributionPoint> idp = {};
  std::vector<RevokedEntry> revoked = {};
  Bytes number = {0x01};
  std::optional<Bytes> delta_base = {};
};

// A CRL named `issuer` (default: the signer's subject), signed by `signer`.
CrlPtr crl(const testca::Ca& signer, CrlSpec s, const Name* issuer = nullptr) {
  CrlTemplate t;
  t.issuer = issuer ? *issuer : signer.cert->subject();
  t.authority_key_id = signer.info.subject_key_id;
  t.this_update = testca::now() - minutes(5);
  t.next_update = testca::now() + hours(24);
  t.crl_number = s.number;
  t.delta_base = s.delta_base;
  t.idp = std::move(s.idp);
  t.revoked = std::move(s.revoked);
  auto der = build_crl(t, *signer.signer);
  EXPECT_TRUE(der) << der.error().to_string();
  return Crl::parse(*der).value();
}

// root -> ward -> leaf (its DP made per case), crlx under root, and the root's CRL.
struct World {
  crypto::KeySpec spec;
  testca::Ca root, ward, crlx;
  CertificatePtr plain_leaf;  // as issued (a URI distribution point)
  Name dp_name;               // the indirect CRL's distribution point name, under crlx

  explicit World(crypto::KeySpec s)
      : spec(s),
        root(testca::make_ca(s, "root", nullptr)),
        ward(testca::make_ca(s, "ward", &root)),
        crlx(testca::make_ca(s, "crlx", &root)),
        plain_leaf(testca::issue_leaf(ward, s, "ward.example.org")),
        dp_name(with_cn(crlx.cert->subject(), "indirect CRL for ward")) {}

  // The leaf with DP { fullName dp_name, cRLIssuer crlx }.
  CertificatePtr indirect_leaf() const {
    return with_dp(*plain_leaf, ward, crl_dp({dir(dp_name)}, {dir(crlx.cert->subject())}));
  }
  // crlx's IDP: the same name, indirectCRL.
  IssuingDistributionPoint indirect_idp(bool indirect = true) const {
    IssuingDistributionPoint idp;
    idp.full_name = {dir(dp_name)};
    idp.indirect_crl = indirect;
    return idp;
  }
  CrlPtr root_crl(std::vector<RevokedEntry> revoked = {}) const {
    return crl(root, {.revoked = std::move(revoked)});
  }
};

struct Outcome {
  PathReport report;
  RevocationStatus leaf = RevocationStatus::kUnknown;
  std::string text;
};

// Validates `leaf` with the CRLs, revocation required. Pool: the ward CA, crlx (unless
// `with_crlx` is false) and `extra`; the revocation source also knows the root.
Outcome validate(const World& w, const CertificatePtr& leaf, std::vector<CrlPtr> crls,
                 std::vector<CertificatePtr> extra = {}, bool with_crlx = true) {
  std::vector<CertificatePtr> pool{w.ward.cert};
  if (with_crlx) pool.push_back(w.crlx.cert);
  pool.insert(pool.end(), extra.begin(), extra.end());
  std::vector<CertificatePtr> all = pool;
  all.push_back(w.root.cert);
  CrlRevocationSource src(std::move(crls), all);
  PathOptions o{.at = testca::now()};
  o.revocation = &src;
  Outcome out;
  out.report = validate_path(leaf, pool, {w.root.cert}, o);
  if (!out.report.chain.empty() && out.report.chain[0].revocation)
    out.leaf = *out.report.chain[0].revocation;
  out.text = path_report_text(out.report);
  return out;
}

// The expectations name the line of their caller in a failure.
using Where = std::source_location;
#define HPKI_AT(loc) \
  const testing::ScopedTrace trace(loc.file_name(), static_cast<int>(loc.line()), "")

void expect_good(const Outcome& o, Where loc = Where::current()) {
  HPKI_AT(loc);
  EXPECT_TRUE(o.report.valid) << o.text;
  EXPECT_EQ(o.leaf, RevocationStatus::kGood) << o.text;
}
void expect_revoked(const Outcome& o, Where loc = Where::current()) {
  HPKI_AT(loc);
  EXPECT_FALSE(o.report.valid) << o.text;
  EXPECT_EQ(o.report.status, diag::kRevoked) << o.text;
  EXPECT_EQ(o.leaf, RevocationStatus::kRevoked) << o.text;
}
// Unknown for the leaf, with `id` as the CRL source's reason.
void expect_unknown(const Outcome& o, std::string_view id, Where loc = Where::current()) {
  HPKI_AT(loc);
  EXPECT_FALSE(o.report.valid) << o.text;
  EXPECT_EQ(o.report.status, diag::kRevocationUnknown) << o.text;
  EXPECT_EQ(o.leaf, RevocationStatus::kUnknown) << o.text;
  EXPECT_NE(o.report.detail.find("certificate 0 "), std::string::npos) << o.report.detail;
  EXPECT_NE(o.report.detail.find(std::string(id) + ":"), std::string::npos) << o.report.detail;
}

void for_each_spec(const std::function<void(const World&)>& f) {
  for (const auto& s : kSpecs) {
    SCOPED_TRACE(spec_name(s));
    const World w(s);
    f(w);
  }
}

// RFC 5280 6.3.3 (b)(1), (k); 4.2.1.13 cRLIssuer, 5.2.5 indirectCRL, 5.3.3 certificateIssuer: an
// indirect CRL of the DP's cRLIssuer decides the status. Its entries before the first
// certificateIssuer are the CRL issuer's own certificates; a certificateIssuer applies to its
// entry and the following ones, until the next.
TEST(Rule, crl_revoked) {
  for_each_spec([](const World& w) {
    const auto leaf = w.indirect_leaf();
    const Name& ward = w.ward.cert->subject();
    const Name other = testca::make_ca(w.spec, "other", &w.root).cert->subject();
    auto indirect = [&](std::vector<RevokedEntry> e) {
      return crl(w.crlx, {.idp = w.indirect_idp(), .revoked = std::move(e)});
    };
    // Good: nothing listed; the leaf's serial listed before any certificateIssuer (so one of
    // crlx's own certificates); listed under another CA's certificateIssuer.
    expect_good(validate(w, leaf, {w.root_crl(), indirect({})}));
    expect_good(validate(w, leaf, {w.root_crl(), indirect({entry(leaf->serial())})}));
    expect_good(
        validate(w, leaf, {w.root_crl(), indirect({entry(leaf->serial(), {{dir(other)}})})}));
    // Revoked: under a certificateIssuer naming the ward CA, on that entry or a following one.
    expect_revoked(
        validate(w, leaf, {w.root_crl(), indirect({entry(leaf->serial(), {{dir(ward)}})})}));
    expect_revoked(validate(w, leaf,
                            {w.root_crl(), indirect({entry(Bytes{0x11}, {{dir(ward)}}),
                                                     entry(Bytes{0x12}), entry(leaf->serial())})}));
    // A certificateIssuer naming another CA ends the ward CA's run of entries, also when it
    // names that issuer by a URI only (it is still another issuer).
    expect_good(validate(
        w, leaf,
        {w.root_crl(), indirect({entry(Bytes{0x11}, {{dir(ward)}}),
                                 entry(Bytes{0x12}, {{dir(other)}}), entry(leaf->serial())})}));
    expect_good(validate(
        w, leaf,
        {w.root_crl(), indirect({entry(Bytes{0x11}, {{dir(ward)}}),
                                 entry(leaf->serial(), {{uri("ldap://ldap.example.cn/ward")}})})}));
  });
}

// RFC 5280 6.3.3 (b)(1): a DP naming a cRLIssuer is served only by an indirect CRL of it.
TEST(Rule, crl_not_indirect) {
  for_each_spec([](const World& w) {
    const auto leaf = w.indirect_leaf();
    const RevokedEntry ours = entry(leaf->serial(), {{dir(w.ward.cert->subject())}});
    expect_revoked(validate(
        w, leaf, {w.root_crl(), crl(w.crlx, {.idp = w.indirect_idp(), .revoked = {ours}})}));
    // The same CRL without indirectCRL: not used (it cannot list the ward CA's certificates).
    expect_unknown(validate(w, leaf, {w.root_crl(), crl(w.crlx, {.idp = w.indirect_idp(false)})}),
                   diag::kCrlNotIndirect);
  });
}

// RFC 5280 6.3.3 (b)(1): the CRL issuer is the DP's cRLIssuer, else the certificate issuer.
TEST(Rule, crl_wrong_issuer) {
  for_each_spec([](const World& w) {
    // A DP without cRLIssuer (the builder's URI): the ward CA's own CRL decides ...
    const RevokedEntry ours = entry(w.plain_leaf->serial(), {{dir(w.ward.cert->subject())}});
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), crl(w.ward, {})}));
    // ... and an indirect CRL of another CRL issuer is not used, even listing the leaf.
    expect_unknown(
        validate(w, w.plain_leaf,
                 {w.root_crl(), crl(w.crlx, {.idp = indirect_only(), .revoked = {ours}})}),
        diag::kCrlWrongIssuer);
    // A DP with cRLIssuer crlx: the ward CA's own CRL is not used (PKITS 4.14.27 likewise).
    expect_unknown(validate(w, w.indirect_leaf(), {w.root_crl(), crl(w.ward, {})}),
                   diag::kCrlWrongIssuer);
  });
}

// RFC 5280 5.3.3: certificateIssuer is read (a value that does not parse makes the CRL unusable)
// and belongs to indirect CRLs; 5.2.5: a CRL without indirectCRL lists only its issuer's
// certificates, so one carrying certificateIssuer is not used.
TEST(Rule, crl_certificate_issuer_invalid) {
  for_each_spec([](const World& w) {
    const Name other = testca::make_ca(w.spec, "other", &w.root).cert->subject();
    // The ward CA's own (direct) CRL with an entry for another CA's certificate of the leaf's
    // serial: not used.
    expect_good(
        validate(w, w.plain_leaf, {w.root_crl(), crl(w.ward, {.revoked = {entry(Bytes{0x11})}})}));
    expect_unknown(
        validate(w, w.plain_leaf,
                 {w.root_crl(),
                  crl(w.ward, {.revoked = {entry(w.plain_leaf->serial(), {{dir(other)}})}})}),
        diag::kCrlCertificateIssuerInvalid);
    // An indirect CRL whose certificateIssuer does not parse (a GeneralNames SEQUENCE holding an
    // INTEGER): not used.
    const auto leaf = w.indirect_leaf();
    RevokedEntry bad = entry(Bytes{0x11});
    bad.extensions.push_back(
        Extension{der::oids::kCertificateIssuer, true, Bytes{0x30, 0x03, 0x02, 0x01, 0x01}});
    RevokedEntry fine = entry(Bytes{0x11}, {{dir(other)}});
    expect_good(validate(
        w, leaf, {w.root_crl(), crl(w.crlx, {.idp = w.indirect_idp(), .revoked = {fine}})}));
    expect_unknown(
        validate(w, leaf, {w.root_crl(), crl(w.crlx, {.idp = w.indirect_idp(), .revoked = {bad}})}),
        diag::kCrlCertificateIssuerInvalid);
  });
}

// RFC 5280 6.3.3 (f): the CRL issuer's certificate, when it is not the certificate's issuer on
// the path, must have a valid path of its own to the same trust anchor (revocation included):
// a separate CRL issuer, another key of the same CA (key rollover), a CRL issuer whose own
// certificate's status is on the CRL it signs (its DP names it as cRLIssuer, PKITS 4.14.30).
TEST(Rule, crl_issuer_path_invalid) {
  for_each_spec([](const World& w) {
    const auto leaf = w.indirect_leaf();
    const RevokedEntry ours = entry(leaf->serial(), {{dir(w.ward.cert->subject())}});
    auto indirect = [&](const testca::Ca& signer) {
      return crl(signer, {.idp = w.indirect_idp(), .revoked = {ours}});
    };
    // A separate CRL issuer: crlx under the root is used; a crlx certified by another root
    // (not a trust anchor) and one revoked on the root's CRL are not.
    expect_revoked(validate(w, leaf, {w.root_crl(), indirect(w.crlx)}));
    const testca::Ca stranger_root = testca::make_ca(w.spec, "root", nullptr);
    const testca::Ca fake_crlx = testca::make_ca(w.spec, "crlx", &stranger_root);
    // Only the impostor in the pool (w.crlx would also name the CRL's issuer).
    expect_unknown(validate(w, leaf, {w.root_crl(), indirect(fake_crlx)},
                            {fake_crlx.cert, stranger_root.cert}, false),
                   diag::kCrlIssuerPathInvalid);
    expect_unknown(
        validate(w, leaf, {w.root_crl({entry(w.crlx.cert->serial())}), indirect(w.crlx)}),
        diag::kCrlIssuerPathInvalid);

    // Key rollover: a CRL with the ward CA's name signed by its new key, certified by the root
    // under the same name, is used; the same from a "ward" of another root is not.
    const testca::Ca ward_new = testca::make_ca(w.spec, "ward", &w.root);
    ASSERT_TRUE(names_match(ward_new.cert->subject(), w.ward.cert->subject()));
    const Name& ward_name = w.ward.cert->subject();
    expect_good(
        validate(w, w.plain_leaf, {w.root_crl(), crl(ward_new, {}, &ward_name)}, {ward_new.cert}));
    expect_revoked(validate(
        w, w.plain_leaf,
        {w.root_crl(), crl(ward_new, {.revoked = {entry(w.plain_leaf->serial())}}, &ward_name)},
        {ward_new.cert}));
    const testca::Ca fake_ward = testca::make_ca(w.spec, "ward", &stranger_root);
    expect_unknown(validate(w, w.plain_leaf, {w.root_crl(), crl(fake_ward, {}, &ward_name)},
                            {fake_ward.cert, stranger_root.cert}),
                   diag::kCrlIssuerPathInvalid);

    // crlx's own certificate names crlx as its cRLIssuer: its status comes from the CRL crlx
    // signs (entries for the root's certificates under certificateIssuer root). Good when not
    // listed there; unusable when crlx lists itself as revoked.
    const Name& crlx_name = w.crlx.cert->subject();
    const Name& root_name = w.root.cert->subject();
    const auto self_crlx = with_dp(
        *w.crlx.cert, w.root, crl_dp(std::vector{dir(w.dp_name)}, std::vector{dir(crlx_name)}));
    const auto leaf2 = w.indirect_leaf();
    auto self_crl = [&](std::vector<RevokedEntry> e) {
      return crl(w.crlx, {.idp = w.indirect_idp(), .revoked = std::move(e)});
    };
    expect_good(
        validate(w, leaf2, {w.root_crl(), self_crl({entry(Bytes{0x11})})}, {self_crlx}, false));
    expect_unknown(
        validate(w, leaf2,
                 {w.root_crl(),
                  self_crl(std::vector{entry(self_crlx->serial(), std::vector{dir(root_name)})})},
                 {self_crlx}, false),
        diag::kCrlIssuerPathInvalid);
  });
}

// RFC 5280 6.3.3 (f): a CRL issuer certificate with keyUsage must assert cRLSign.
TEST(Rule, crl_issuer_no_crl_sign) {
  for_each_spec([](const World& w) {
    // A "device" certificate (digitalSignature only) as the DP's cRLIssuer, certified by the
    // root: its CRL is not used; crlx (a CA: keyCertSign, cRLSign) is.
    testca::Issued device =
        testca::issue(w.root, w.spec, {.profile = "device", .subject = [] {
                                         auto s = testca::subject("crl-signer.example.org");
                                         s.dns_names = {"crl-signer.example.org"};
                                         return s;
                                       }()});
    testca::Ca signer{std::move(device.key), std::move(device.signer), device.cert, {}};
    signer.info.subject_key_id = key_identifier(signer.cert->spki_der()).value();
    const Name& name = signer.cert->subject();
    const Name dp_name = with_cn(name, "indirect CRL for ward");
    const auto leaf = with_dp(*w.plain_leaf, w.ward, crl_dp({dir(dp_name)}, {dir(name)}));
    IssuingDistributionPoint idp;
    idp.full_name = {dir(dp_name)};
    idp.indirect_crl = true;
    expect_unknown(validate(w, leaf, {w.root_crl(), crl(signer, {.idp = idp})}, {signer.cert}),
                   diag::kCrlIssuerNoCrlSign);
    expect_good(
        validate(w, w.indirect_leaf(), {w.root_crl(), crl(w.crlx, {.idp = w.indirect_idp()})}));
  });
}

// RFC 5280 5.2, 6.3.3 (h), (i), (k): a delta CRL is applied on top of its complete CRL only when
// usable itself: one with an unrecognized critical entry extension does not un-revoke
// (removeFromCRL) what the complete CRL holds.
TEST(Rule, crl_unknown_critical_entry_extension) {
  for_each_spec([](const World& w) {
    const Bytes serial = w.plain_leaf->serial();
    const auto complete =
        crl(w.ward,
            {.revoked = {entry(serial, {}, RevocationReason::kCertificateHold)}, .number = {0x01}});
    auto delta = [&](bool unknown_critical) {
      std::vector<RevokedEntry> e{entry(serial, {}, RevocationReason::kRemoveFromCrl)};
      if (unknown_critical) {
        RevokedEntry x = entry(Bytes{0x11});
        x.extensions.push_back(
            Extension{*der::Oid::from_string("1.3.6.1.4.1.99999.1"), true, Bytes{0x05, 0x00}});
        e.push_back(std::move(x));
      }
      return crl(w.ward, {.revoked = std::move(e), .number = {0x02}, .delta_base = Bytes{0x01}});
    };
    expect_revoked(validate(w, w.plain_leaf, {w.root_crl(), complete}));
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), complete, delta(false)}));
    expect_revoked(validate(w, w.plain_leaf, {w.root_crl(), complete, delta(true)}));
    // The same entry extension in the complete CRL: that CRL is not used.
    std::vector<RevokedEntry> e{entry(Bytes{0x11})};
    e[0].extensions.push_back(
        Extension{*der::Oid::from_string("1.3.6.1.4.1.99999.1"), true, Bytes{0x05, 0x00}});
    expect_unknown(validate(w, w.plain_leaf, {w.root_crl(), crl(w.ward, {.revoked = e})}),
                   diag::kCrlUnknownCriticalEntryExtension);
  });
}

// RFC 5280 6.3.3 (b)(2)(ii), 5.2.5: a CRL with onlyContainsUserCerts covers end-entity v3
// certificates; neither a CA's certificate nor a v1 certificate (which cannot say whether it is
// a CA) is in its scope. The v1 case asks the source directly: hpki's path validation refuses
// a v1 certificate before revocation (it has no authorityKeyIdentifier).
TEST(Rule, crl_idp_scope_mismatch) {
  for_each_spec([](const World& w) {
    IssuingDistributionPoint users;
    users.only_contains_user_certs = true;
    const auto users_crl = crl(w.ward, {.idp = users});
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), users_crl}));
    CrlRevocationSource src({users_crl}, {w.ward.cert, w.root.cert});
    auto ask = [&](const Certificate& subject) {
      return src.check(RevocationQuery{
          subject, *w.ward.cert, testca::now(), crypto::kSm2DefaultId, crypto::VerifyPolicy{}, {}});
    };
    EXPECT_EQ(ask(*w.plain_leaf).status, RevocationStatus::kGood);
    const auto v1 = reissue(*w.plain_leaf, w.ward, std::nullopt);
    ASSERT_EQ(v1->version(), 1);
    const RevocationAnswer a = ask(*v1);
    EXPECT_EQ(a.status, RevocationStatus::kUnknown);
    EXPECT_EQ(a.diag, diag::kCrlIdpScopeMismatch) << a.detail;
    // The ward CA's own certificate, asked against a CRL of the root with onlyContainsUserCerts.
    const auto root_users = crl(w.root, {.idp = users});
    CrlRevocationSource root_src({root_users}, {w.root.cert});
    const RevocationAnswer ca = root_src.check(RevocationQuery{*w.ward.cert,
                                                               *w.root.cert,
                                                               testca::now(),
                                                               crypto::kSm2DefaultId,
                                                               crypto::VerifyPolicy{},
                                                               {}});
    EXPECT_EQ(ca.diag, diag::kCrlIdpScopeMismatch) << ca.detail;
  });
}

// RFC 5280 6.3.3 (a)(2): a delta CRL alone (no complete CRL of its issuer and scope) is not
// used, and says so (PKITS 4.15.1).
TEST(Rule, crl_delta_unsupported) {
  for_each_spec([](const World& w) {
    const auto delta = crl(w.ward, {.number = {0x02}, .delta_base = Bytes{0x01}});
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), crl(w.ward, {}), delta}));
    expect_unknown(validate(w, w.plain_leaf, {w.root_crl(), delta}), diag::kCrlDeltaUnsupported);
  });
}

}  // namespace
}  // namespace hpki::x509
