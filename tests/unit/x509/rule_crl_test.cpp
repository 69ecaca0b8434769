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

#include <bit>
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
#include "x509/crl_check.h"
#include "x509/diag.h"
#include "x509/extensions.h"
#include "x509/path.h"
#include "x509/revocation.h"
#include "x509/rules.h"

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
// [0] { fullName [0] `full_name` } (when not empty), reasons [1] (the first ReasonFlags octet,
// when given), cRLIssuer [2] `crl_issuer` (when not empty) }.
Bytes crl_dp(const std::vector<GeneralName>& full_name, const std::vector<GeneralName>& crl_issuer,
             std::optional<std::uint8_t> reasons = {}) {
  der::Writer w;
  w.add_sequence([&](der::Writer& dps) {
    dps.add_sequence([&](der::Writer& dp) {
      if (!full_name.empty()) {
        dp.add_implicit_constructed(0, [&](der::Writer& dpn) {
          dpn.add_implicit_constructed(0, [&](der::Writer& f) { write_names(f, full_name); });
        });
      }
      if (reasons) {
        // DER: the trailing zero bits of a named-bit BIT STRING are not encoded.
        const auto unused = static_cast<std::uint8_t>(std::countr_zero(*reasons));
        dp.add_element(der::Tag::context(1), Bytes{unused, *reasons});
      }
      if (!crl_issuer.empty())
        dp.add_implicit_constructed(2, [&](der::Writer& i) { write_names(i, crl_issuer); });
    });
  });
  return w.take();
}

// `c` re-encoded and signed again by `issuer`, which issued it: with its cRLDistributionPoints
// replaced by `dp` (DER value; an empty one: without cRLDistributionPoints), or, without `dp`,
// as a v1 certificate (no extensions).
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
        if (!dp->empty()) one(der::oids::kCrlDistributionPoints, false, *dp);
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
  std::optional<TimePoint> this_update = {};  // default: 5 minutes ago
  std::optional<TimePoint> next_update = {};  // default: in 24 hours
};

// A CRL named `issuer` (default: the signer's subject), signed by `signer`.
CrlPtr crl(const testca::Ca& signer, CrlSpec s, const Name* issuer = nullptr) {
  CrlTemplate t;
  t.issuer = issuer ? *issuer : signer.cert->subject();
  t.authority_key_id = signer.info.subject_key_id;
  t.this_update = s.this_update.value_or(testca::now() - minutes(5));
  t.next_update = s.next_update.value_or(testca::now() + hours(24));
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

// ---- CRLs written field by field ----------------------------------------------------------
// build_crl lints and writes conforming CRLs only; the cases below need CRLs it refuses to
// make. RawCrl is RFC 5280 5.1 TBSCertList with each field given as DER, signed by a test CA's
// key. Its defaults (raw()) are the v2 CRL crl() makes: AKI, cRLNumber 1, current, nothing
// revoked.
struct RawCrl {
  std::optional<Bytes> version;  // the version element; nullopt: absent (v1)
  Bytes tbs_alg;                 // tbsCertList.signature
  Bytes alg;                     // signatureAlgorithm
  Bytes issuer;                  // Name
  TimePoint this_update{}, next_update{};
  std::optional<std::vector<Bytes>> revoked;     // entries; nullopt: the field is absent
  std::optional<std::vector<Bytes>> extensions;  // Extension elements; nullopt: no [0]
  std::uint8_t unused_bits = 0;                  // of signatureValue
};

Bytes integer(std::int64_t v) {
  der::Writer w;
  w.add_integer(v);
  return w.take();
}

Bytes octets(const Bytes& v) {
  der::Writer w;
  w.add_octet_string(v);
  return w.take();
}

// Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue }; `encode_false`
// writes critical FALSE, which DER forbids (X.690 11.5).
Bytes extension(const der::Oid& oid, bool critical, const Bytes& value, bool encode_false = false) {
  der::Writer w;
  w.add_sequence([&](der::Writer& e) {
    e.add_oid(oid);
    if (critical || encode_false) e.add_boolean(critical);
    e.add_octet_string(value);
  });
  return w.take();
}

Bytes crl_number_ext(std::int64_t n, bool critical = false) {
  return extension(der::oids::kCrlNumber, critical, integer(n));
}

RawCrl raw(const testca::Ca& signer) {
  RawCrl r;
  r.version = integer(1);
  r.tbs_alg = r.alg = algorithm_identifier_der(signer.signer->algorithm());
  r.issuer = signer.cert->subject().der;
  r.this_update = testca::now() - minutes(5);
  r.next_update = testca::now() + hours(24);
  r.extensions = std::vector<Bytes>{
      extension(der::oids::kAuthorityKeyIdentifier, false,
                encode_authority_key_identifier(signer.info.subject_key_id).value()),
      crl_number_ext(1)};
  return r;
}

// A revokedCertificates entry for `serial`, revoked 30 minutes ago; its crlEntryExtensions are
// `extensions` (none: the field is absent).
Bytes raw_entry(const Bytes& serial, const std::vector<Bytes>& extensions = {}) {
  der::Writer w;
  auto ok = w.add_sequence([&](der::Writer& e) -> Result<void> {
    HPKI_TRY(e.add_integer_bytes(serial));
    HPKI_TRY(e.add_time(std::chrono::floor<std::chrono::seconds>(testca::now() - minutes(30))));
    if (extensions.empty()) return {};
    return e.add_sequence([&](der::Writer& x) -> Result<void> {
      for (const auto& b : extensions) HPKI_TRY(x.add_raw(b));
      return {};
    });
  });
  EXPECT_TRUE(ok) << ok.error().to_string();
  return w.take();
}

Bytes sign_raw(const RawCrl& r, const testca::Ca& signer) {
  auto secs = [](TimePoint t) { return std::chrono::floor<std::chrono::seconds>(t); };
  der::Writer w;
  auto ok = w.add_sequence([&](der::Writer& t) -> Result<void> {
    if (r.version) HPKI_TRY(t.add_raw(*r.version));
    HPKI_TRY(t.add_raw(r.tbs_alg));
    HPKI_TRY(t.add_raw(r.issuer));
    HPKI_TRY(t.add_time(secs(r.this_update)));
    HPKI_TRY(t.add_time(secs(r.next_update)));
    if (r.revoked) {
      HPKI_TRY(t.add_sequence([&](der::Writer& list) -> Result<void> {
        for (const auto& e : *r.revoked) HPKI_TRY(list.add_raw(e));
        return {};
      }));
    }
    if (!r.extensions) return {};
    return t.add_explicit(0, [&](der::Writer& x) -> Result<void> {
      return x.add_sequence([&](der::Writer& list) -> Result<void> {
        for (const auto& e : *r.extensions) HPKI_TRY(list.add_raw(e));
        return {};
      });
    });
  });
  EXPECT_TRUE(ok) << ok.error().to_string();
  const Bytes tbs = w.take();
  Bytes bits{r.unused_bits};
  const Bytes sig = signer.signer->sign(tbs).value();
  bits.insert(bits.end(), sig.begin(), sig.end());
  der::Writer out;
  out.add_sequence([&](der::Writer& c) {
    EXPECT_TRUE(c.add_raw(tbs));
    EXPECT_TRUE(c.add_raw(r.alg));
    c.add_element(der::kBitString, bits);
  });
  return out.take();
}

CrlPtr parsed(const Bytes& der) {
  auto c = Crl::parse(der);
  EXPECT_TRUE(c) << c.error().to_string();
  return c ? *c : nullptr;
}

// A parser rule's pair: `valid` parses, `violating` is refused with an error naming `names`.
void expect_parse_pair(std::string_view rule, const Bytes& valid, const Bytes& violating,
                       std::string_view names, Where loc = Where::current()) {
  HPKI_AT(loc);
  const Rule* r = find_rule(rule);
  ASSERT_NE(r, nullptr) << rule << " is not in the rule inventory";
  EXPECT_NE(r->where & W::kParser, 0U) << rule;
  auto good = Crl::parse(valid);
  EXPECT_TRUE(good) << rule << " valid case: " << good.error().to_string();
  auto bad = Crl::parse(violating);
  ASSERT_FALSE(bad) << rule << " violating case parsed";
  EXPECT_EQ(bad.error().code(), ErrorCode::kBadCrl) << bad.error().to_string();
  EXPECT_NE(bad.error().to_string().find(names), std::string::npos)
      << rule << ": " << bad.error().to_string();
}

// The leaf's (only) distribution point, as check_crl_for is given it.
DistributionPoint first_dp(const Certificate& c) {
  const Extension* e = c.find_extension(der::oids::kCrlDistributionPoints);
  EXPECT_NE(e, nullptr);
  auto dps = parse_crl_distribution_points(e->value);
  EXPECT_TRUE(dps && !dps->empty());
  return dps->front();
}

// check_crl_for on the ward CA's `c` for the plain leaf (its own distribution point unless
// `o` names one), the ward CA as the candidate issuer.
CrlCheckResult check_for(const World& w, const Crl& c, CrlCheckOptions o = {},
                         const Certificate* issuer = nullptr) {
  const DistributionPoint dp = first_dp(*w.plain_leaf);
  o.at = testca::now();
  if (o.distribution_point == nullptr) o.distribution_point = &dp;
  return check_crl_for(c, issuer ? *issuer : *w.ward.cert, *w.plain_leaf, o);
}

void expect_check(const CrlCheckResult& r, CrlStatus status, std::string_view id,
                  Where loc = Where::current()) {
  HPKI_AT(loc);
  EXPECT_EQ(r.status, status) << r.diag << ": " << r.detail;
  EXPECT_EQ(r.diag, id) << r.detail;
}

// A CRL extension that must not be critical: the CRL `with(false)` makes is used (good), the one
// `with(true)` makes is refused as crl_unknown_critical_extension, in path validation and by
// check_crl_for. Returns the refused path outcome.
Outcome expect_critical_refused(const World& w, const std::function<CrlPtr(bool)>& with,
                                Where loc = Where::current()) {
  HPKI_AT(loc);
  expect_good(validate(w, w.plain_leaf, {w.root_crl(), with(false)}));
  Outcome bad = validate(w, w.plain_leaf, {w.root_crl(), with(true)});
  expect_unknown(bad, diag::kCrlUnknownCriticalExtension);
  expect_check(check_for(w, *with(false)), CrlStatus::kGood, diag::kCrlGood);
  expect_check(check_for(w, *with(true)), CrlStatus::kUnknown, diag::kCrlUnknownCriticalExtension);
  return bad;
}

// The URI distribution point testca writes into leaves.
std::string leaf_dp_uri(const World& w) {
  const DistributionPoint dp = first_dp(*w.plain_leaf);
  EXPECT_FALSE(dp.full_name.empty());
  return dp.full_name.empty() ? std::string() : dp.full_name.front().text;
}

// ---- RFC 5280 5.1 / 5.2 / 5.3: the CRL parser (Crl::parse) ---------------------------------

// RFC 5280 5.1: a CRL is DER: no long-form length where the short or a shorter one fits, no
// encoded DEFAULT (critical FALSE).
TEST(Rule, e_crl_not_der) {
  for_each_spec([](const World& w) {
    const Bytes der = sign_raw(raw(w.ward), w.ward);
    ASSERT_EQ(der[0], 0x30);
    ASSERT_EQ(der[1], 0x82);  // two length octets: CRLs of 256..65535 octets
    Bytes long_form{0x30, 0x83, 0x00};
    long_form.insert(long_form.end(), der.begin() + 2, der.end());
    expect_parse_pair("e_crl_not_der", der, long_form, "CertificateList");
    RawCrl ber = raw(w.ward);
    ber.extensions->at(1) = extension(der::oids::kCrlNumber, false, integer(1), true);
    expect_parse_pair("e_crl_not_der", der, sign_raw(ber, w.ward), "crlExtensions");
  });
}

// RFC 5280 5.1.1.3: the signatureValue BIT STRING has no unused bits.
TEST(Rule, e_crl_signature_value_unused_bits) {
  for_each_spec([](const World& w) {
    RawCrl r = raw(w.ward);
    const Bytes valid = sign_raw(r, w.ward);
    r.unused_bits = 1;
    // The signature's last octet may have its lowest bit set; clear it so that only the
    // unused-bits count is wrong.
    Bytes bad = sign_raw(r, w.ward);
    bad.back() = static_cast<std::uint8_t>(bad.back() & 0xFE);
    expect_parse_pair("e_crl_signature_value_unused_bits", valid, bad, "signatureValue");
  });
}

// RFC 5280 5.1.2.1: version absent (v1) or v2 (INTEGER 1); v1 is never encoded explicitly.
TEST(Rule, e_crl_version_invalid) {
  for_each_spec([](const World& w) {
    RawCrl v1 = raw(w.ward);
    v1.version.reset();
    v1.extensions.reset();
    const Bytes valid = sign_raw(raw(w.ward), w.ward);
    EXPECT_EQ(parsed(sign_raw(v1, w.ward))->version(), 1);
    EXPECT_EQ(parsed(valid)->version(), 2);
    for (const std::int64_t n : {0, 2, -1}) {
      SCOPED_TRACE(n);
      RawCrl bad = n == 0 ? v1 : raw(w.ward);
      bad.version = integer(n);
      expect_parse_pair("e_crl_version_invalid", valid, sign_raw(bad, w.ward), "version");
    }
  });
}

// RFC 5280 5.1.2.1: CRL extensions and CRL entry extensions require v2.
TEST(Rule, e_crl_extensions_in_v1) {
  for_each_spec([](const World& w) {
    RawCrl v1 = raw(w.ward);
    v1.version.reset();
    v1.extensions.reset();
    v1.revoked = std::vector<Bytes>{raw_entry(Bytes{0x11})};
    const Bytes valid = sign_raw(v1, w.ward);
    RawCrl with_ext = v1;
    with_ext.extensions = raw(w.ward).extensions;
    expect_parse_pair("e_crl_extensions_in_v1", valid, sign_raw(with_ext, w.ward),
                      "extensions in a v1 CRL");
    RawCrl with_entry_ext = v1;
    with_entry_ext.revoked = std::vector<Bytes>{raw_entry(
        Bytes{0x11}, {extension(der::oids::kReasonCode, false, Bytes{0x0A, 0x01, 0x01})})};
    expect_parse_pair("e_crl_extensions_in_v1", valid, sign_raw(with_entry_ext, w.ward),
                      "extensions in a v1 CRL");
  });
}

// RFC 5280 5.1.2.6: with nothing revoked, revokedCertificates is absent, not an empty SEQUENCE.
TEST(Rule, e_crl_revoked_list_empty) {
  for_each_spec([](const World& w) {
    RawCrl r = raw(w.ward);
    const Bytes valid = sign_raw(r, w.ward);
    r.revoked = std::vector<Bytes>{};
    expect_parse_pair("e_crl_revoked_list_empty", valid, sign_raw(r, w.ward),
                      "revokedCertificates: empty SEQUENCE");
  });
}

// RFC 5280 5.2 / 4.2: one instance of each CRL extension.
TEST(Rule, e_crl_duplicate_extension) {
  for_each_spec([](const World& w) {
    const Bytes valid = sign_raw(raw(w.ward), w.ward);
    RawCrl twice = raw(w.ward);
    twice.extensions->push_back(crl_number_ext(2));
    expect_parse_pair("e_crl_duplicate_extension", valid, sign_raw(twice, w.ward),
                      "extension 2.5.29.20 repeated");
    RawCrl aki = raw(w.ward);
    aki.extensions->push_back(aki.extensions->front());
    expect_parse_pair("e_crl_duplicate_extension", valid, sign_raw(aki, w.ward),
                      "extension 2.5.29.35 repeated");
  });
}

// RFC 5280 5.3 / 4.2: one instance of each CRL entry extension.
TEST(Rule, e_crl_entry_duplicate_extension) {
  for_each_spec([](const World& w) {
    const Bytes reason = extension(der::oids::kReasonCode, false, Bytes{0x0A, 0x01, 0x01});
    const Bytes hold = extension(der::oids::kReasonCode, false, Bytes{0x0A, 0x01, 0x06});
    RawCrl r = raw(w.ward);
    r.revoked = std::vector<Bytes>{raw_entry(Bytes{0x11}, {reason})};
    const Bytes valid = sign_raw(r, w.ward);
    r.revoked = std::vector<Bytes>{raw_entry(Bytes{0x11}, {reason, hold})};
    expect_parse_pair("e_crl_entry_duplicate_extension", valid, sign_raw(r, w.ward),
                      "revokedCertificates[0].crlEntryExtensions: extension 2.5.29.21 repeated");
  });
}

// RFC 5280 5.2.3 / 5.2.4: cRLNumber and deltaCRLIndicator (BaseCRLNumber) are INTEGERs, each
// the whole extension value, and not negative (0..MAX).
TEST(Rule, e_crl_number_malformed) {
  for_each_spec([](const World& w) {
    const Bytes valid = sign_raw(raw(w.ward), w.ward);
    auto with_number = [&](const Bytes& value) {
      RawCrl r = raw(w.ward);
      r.extensions->at(1) = extension(der::oids::kCrlNumber, false, value);
      return sign_raw(r, w.ward);
    };
    expect_parse_pair("e_crl_number_malformed", valid, with_number(octets({0x01})), "cRLNumber");
    expect_parse_pair("e_crl_number_malformed", valid, with_number(Bytes{0x02, 0x01, 0x01, 0x00}),
                      "cRLNumber");
    expect_parse_pair("e_crl_number_malformed", valid, with_number(integer(-1)), "cRLNumber");
    RawCrl delta = raw(w.ward);
    delta.extensions->push_back(extension(der::oids::kDeltaCrlIndicator, true, integer(1)));
    EXPECT_TRUE(parsed(sign_raw(delta, w.ward))->is_delta());
    delta.extensions->back() = extension(der::oids::kDeltaCrlIndicator, true, octets({0x01}));
    expect_parse_pair("e_crl_number_malformed", valid, sign_raw(delta, w.ward), "crlExtensions");
  });
}

// RFC 5280 5.3.1: reasonCode is a defined CRLReason (0-10, 7 unused).
TEST(Rule, e_crl_reason_code_invalid) {
  for_each_spec([](const World& w) {
    auto with_reason = [&](std::uint8_t code) {
      RawCrl r = raw(w.ward);
      r.revoked = std::vector<Bytes>{raw_entry(
          Bytes{0x11}, {extension(der::oids::kReasonCode, false, Bytes{0x0A, 0x01, code})})};
      return sign_raw(r, w.ward);
    };
    const Bytes valid = with_reason(10);  // aACompromise, the highest
    EXPECT_TRUE(parsed(valid)->revoked().at(0).reason == RevocationReason::kAaCompromise);
    for (const std::uint8_t bad : std::initializer_list<std::uint8_t>{7, 11}) {
      SCOPED_TRACE(bad);
      expect_parse_pair("e_crl_reason_code_invalid", valid, with_reason(bad),
                        "revokedCertificates[0].crlEntryExtensions");
    }
  });
}

// RFC 5280 5.3.2: invalidityDate is a GeneralizedTime.
TEST(Rule, e_crl_invalidity_date_encoding) {
  for_each_spec([](const World& w) {
    const auto at = std::chrono::floor<std::chrono::seconds>(testca::now() - hours(2));
    auto with_date = [&](bool generalized) {
      der::Writer t;
      EXPECT_TRUE(generalized ? t.add_generalized_time(at) : t.add_utc_time(at));
      RawCrl r = raw(w.ward);
      r.revoked = std::vector<Bytes>{
          raw_entry(Bytes{0x11}, {extension(der::oids::kInvalidityDate, false, t.take())})};
      return sign_raw(r, w.ward);
    };
    const Bytes valid = with_date(true);
    EXPECT_TRUE(parsed(valid)->revoked().at(0).invalidity_date == TimePoint(at));
    expect_parse_pair("e_crl_invalidity_date_encoding", valid, with_date(false),
                      "revokedCertificates[0].crlEntryExtensions");
  });
}

// RFC 5280 5.2.5: issuingDistributionPoint is not empty and asserts at most one onlyContains*
// (the parser); a certificate's cRLDistributionPoints that does not parse leaves CRL processing
// without a distribution point to match (CrlRevocationSource names this rule; path validation
// itself refuses such a certificate earlier, e_crl_distribution_points_malformed).
TEST(Rule, crl_idp_malformed) {
  for_each_spec([](const World& w) {
    IssuingDistributionPoint users;
    users.only_contains_user_certs = true;
    RawCrl r = raw(w.ward);
    r.extensions->push_back(extension(der::oids::kIssuingDistributionPoint, true,
                                      encode_issuing_distribution_point(users).value()));
    const Bytes valid = sign_raw(r, w.ward);
    r.extensions->back() = extension(der::oids::kIssuingDistributionPoint, true, Bytes{0x30, 0x00});
    expect_parse_pair("crl_idp_malformed", valid, sign_raw(r, w.ward), "issuingDistributionPoint");
    r.extensions->back() = extension(der::oids::kIssuingDistributionPoint, true,
                                     Bytes{0x30, 0x06, 0x81, 0x01, 0xFF, 0x82, 0x01, 0xFF});
    expect_parse_pair("crl_idp_malformed", valid, sign_raw(r, w.ward), "issuingDistributionPoint");

    // CRL processing: the leaf's cRLDistributionPoints is an empty SEQUENCE.
    CrlRevocationSource src({crl(w.ward, {})}, {w.ward.cert, w.root.cert});
    auto ask = [&](const Certificate& subject) {
      return src.check(RevocationQuery{
          subject, *w.ward.cert, testca::now(), crypto::kSm2DefaultId, crypto::VerifyPolicy{}, {}});
    };
    EXPECT_EQ(ask(*w.plain_leaf).status, RevocationStatus::kGood);
    const auto bad_dp = with_dp(*w.plain_leaf, w.ward, Bytes{0x30, 0x00});
    const RevocationAnswer a = ask(*bad_dp);
    EXPECT_EQ(a.status, RevocationStatus::kUnknown);
    EXPECT_EQ(a.diag, diag::kCrlIdpMalformed) << a.detail;
  });
}

// ---- RFC 5280 5.1 / 5.2 / 5.3 as CRL processing applies them ------------------------------

// RFC 5280 5.1.1.2: signatureAlgorithm equals tbsCertList.signature (the row: CRL processing
// reports it as crl_signature_algorithm_mismatch; crl lint as e_crl_signature_algorithm_mismatch).
TEST(Rule, e_crl_signature_algorithm_mismatch) {
  for_each_spec([](const World& w) {
    RawCrl r = raw(w.ward);
    const CrlPtr valid = parsed(sign_raw(r, w.ward));
    // A signatureAlgorithm of the other family (the TBS one is what the key signed with).
    r.alg = algorithm_identifier_der(w.spec.type == crypto::KeyType::kSm2
                                         ? crypto::SignatureAlg::kEcdsaSha256
                                         : crypto::SignatureAlg::kSm2Sm3);
    const CrlPtr bad = parsed(sign_raw(r, w.ward));
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), valid}));
    expect_unknown(validate(w, w.plain_leaf, {w.root_crl(), bad}),
                   diag::kCrlSignatureAlgorithmMismatch);
    expect_check(check_for(w, *valid), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *bad), CrlStatus::kUnknown, diag::kCrlSignatureAlgorithmMismatch);
  });
}

// RFC 5280 5.1.1.2: a CRL signed with an algorithm hpki does not accept (SHA-1) is not used.
TEST(Rule, crl_signature_algorithm_unsupported) {
  for_each_spec([](const World& w) {
    RawCrl r = raw(w.ward);
    const CrlPtr valid = parsed(sign_raw(r, w.ward));
    // ecdsa-with-SHA1 / SM2-with-SHA1 (GM/T 0006), in both AlgorithmIdentifiers.
    der::Writer a;
    a.add_sequence([&](der::Writer& s) {
      s.add_oid(*der::Oid::from_string(w.spec.type == crypto::KeyType::kSm2 ? "1.2.156.10197.1.502"
                                                                            : "1.2.840.10045.4.1"));
    });
    r.tbs_alg = r.alg = a.take();
    const CrlPtr bad = parsed(sign_raw(r, w.ward));
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), valid}));
    expect_unknown(validate(w, w.plain_leaf, {w.root_crl(), bad}),
                   diag::kCrlSignatureAlgorithmUnsupported);
    expect_check(check_for(w, *valid), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *bad), CrlStatus::kUnknown, diag::kCrlSignatureAlgorithmUnsupported);
  });
}

// RFC 5280 6.3.3 (g): the CRL signature verifies with the signer's key (SM2: ID
// 1234567812345678): a CRL under the ward CA's name signed by another key, and one with a
// damaged signature, are not used.
TEST(Rule, crl_signature_invalid) {
  for_each_spec([](const World& w) {
    const CrlPtr valid = crl(w.ward, {});
    const testca::Ca stranger = testca::make_ca(w.spec, "stranger", &w.root);
    const CrlPtr forged = crl(stranger, {}, &w.ward.cert->subject());
    Bytes damaged = valid->der();
    damaged.back() = static_cast<std::uint8_t>(damaged.back() ^ 0x01);
    const CrlPtr bad_sig = parsed(damaged);
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), valid}));
    expect_unknown(validate(w, w.plain_leaf, {w.root_crl(), forged}), diag::kCrlSignatureInvalid);
    expect_unknown(validate(w, w.plain_leaf, {w.root_crl(), bad_sig}), diag::kCrlSignatureInvalid);
    expect_check(check_for(w, *valid), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *forged), CrlStatus::kUnknown, diag::kCrlSignatureInvalid);
    expect_check(check_for(w, *bad_sig), CrlStatus::kUnknown, diag::kCrlSignatureInvalid);
  });
}

// RFC 5280 6.3.3 (a)(1): thisUpdate after the validation time: not used.
TEST(Rule, crl_not_yet_valid) {
  for_each_spec([](const World& w) {
    const CrlPtr valid = crl(w.ward, {});
    const CrlPtr future = crl(w.ward, {.this_update = testca::now() + hours(1),
                                       .next_update = testca::now() + hours(25)});
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), valid}));
    expect_unknown(validate(w, w.plain_leaf, {w.root_crl(), future}), diag::kCrlNotYetValid);
    expect_check(check_for(w, *valid), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *future), CrlStatus::kUnknown, diag::kCrlNotYetValid);
  });
}

// RFC 5280 6.3.3 (a)(1): nextUpdate before the validation time: not used.
TEST(Rule, crl_expired) {
  for_each_spec([](const World& w) {
    const CrlPtr valid = crl(w.ward, {});
    const CrlPtr old = crl(w.ward, {.this_update = testca::now() - hours(25),
                                    .next_update = testca::now() - hours(1)});
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), valid}));
    expect_unknown(validate(w, w.plain_leaf, {w.root_crl(), old}), diag::kCrlExpired);
    expect_check(check_for(w, *valid), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *old), CrlStatus::kUnknown, diag::kCrlExpired);
  });
}

// RFC 5280 6.3.3 (a) / hpki: check_crl_for with CrlCheckOptions::max_age refuses a CRL whose
// thisUpdate is older than that, even before its nextUpdate.
TEST(Rule, crl_too_old) {
  for_each_spec([](const World& w) {
    const CrlPtr fresh = crl(w.ward, {});
    const CrlPtr stale = crl(w.ward, {.this_update = testca::now() - hours(3)});
    const CrlCheckOptions o{.max_age = std::chrono::hours(1)};
    expect_check(check_for(w, *fresh, o), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *stale, {}), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *stale, o), CrlStatus::kUnknown, diag::kCrlTooOld);
  });
}

// RFC 5280 5.2: a CRL with an unrecognised critical extension is not used; the same extension
// non-critical is ignored.
TEST(Rule, crl_unknown_critical_extension) {
  for_each_spec([](const World& w) {
    const auto oid = *der::Oid::from_string("1.3.6.1.4.1.99999.1");
    auto with = [&](bool critical) {
      RawCrl r = raw(w.ward);
      r.extensions->push_back(extension(oid, critical, Bytes{0x05, 0x00}));
      return parsed(sign_raw(r, w.ward));
    };
    expect_critical_refused(w, with);
  });
}

// RFC 5280 5.2.3: cRLNumber is non-critical; a CRL marking it critical is not used (reported as
// crl_unknown_critical_extension, the row's note). x509-limbo crl::crlnumber-critical likewise.
TEST(Rule, e_crl_number_critical) {
  for_each_spec([](const World& w) {
    auto with = [&](bool critical) {
      RawCrl r = raw(w.ward);
      r.extensions->at(1) = crl_number_ext(7, critical);
      return parsed(sign_raw(r, w.ward));
    };
    const Outcome bad = expect_critical_refused(w, with);
    EXPECT_NE(bad.report.detail.find("cRLNumber"), std::string::npos) << bad.report.detail;
  });
}

// RFC 5280 5.2.7: authorityInfoAccess in a CRL is non-critical. hpki does not process it: a
// non-critical one is ignored, a critical one makes the CRL unusable (the row's note:
// crl_unknown_critical_extension).
TEST(Rule, e_crl_aia_critical) {
  for_each_spec([](const World& w) {
    auto with = [&](bool critical) {
      RawCrl r = raw(w.ward);
      r.extensions->push_back(
          extension(der::oids::kAuthorityInfoAccess, critical,
                    encode_authority_info_access({}, {"http://ca.example.cn/ward.crt"}).value()));
      return parsed(sign_raw(r, w.ward));
    };
    expect_critical_refused(w, with);
  });
}

// RFC 5280 5.2.3: a CRL MUST include cRLNumber. Path validation (CrlRevocationSource) does not
// use a CRL without it (x509-limbo crl::crlnumber-missing expects the path to fail);
// check_crl_for still accepts one (the row's note: the BoringSSL CRL set has no cRLNumber).
TEST(Rule, e_crl_number_missing) {
  for_each_spec([](const World& w) {
    RawCrl r = raw(w.ward);
    r.revoked = std::vector<Bytes>{raw_entry(Bytes{0x11})};
    const CrlPtr valid = parsed(sign_raw(r, w.ward));
    r.extensions->pop_back();  // cRLNumber
    const CrlPtr bad = parsed(sign_raw(r, w.ward));
    ASSERT_FALSE(bad->crl_number());
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), valid}));
    expect_unknown(validate(w, w.plain_leaf, {w.root_crl(), bad}), diag::crl_lint::kNumberMissing);
    // Also when the CRL would revoke the leaf: it is not used at all.
    r.revoked = std::vector<Bytes>{raw_entry(w.plain_leaf->serial())};
    expect_unknown(validate(w, w.plain_leaf, {w.root_crl(), parsed(sign_raw(r, w.ward))}),
                   diag::crl_lint::kNumberMissing);
    // A CA's status from the root's CRL without cRLNumber: the path fails at certificate 1.
    RawCrl root_r = raw(w.root);
    root_r.extensions->pop_back();
    const Outcome ca = validate(w, w.plain_leaf, {parsed(sign_raw(root_r, w.root)), valid});
    EXPECT_FALSE(ca.report.valid) << ca.text;
    EXPECT_EQ(ca.report.status, diag::kRevocationUnknown) << ca.text;
    EXPECT_NE(ca.report.detail.find(std::string(diag::crl_lint::kNumberMissing) + ":"),
              std::string::npos)
        << ca.report.detail;
    expect_check(check_for(w, *valid), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *bad), CrlStatus::kGood, diag::kCrlGood);
  });
}

// ---- RFC 5280 6.3.3 ------------------------------------------------------------------------

// RFC 5280 5.3.3, 6.3.3 (k): in an indirect CRL a certificateIssuer names the issuer of its
// entry and of the following entries until the next one; an entry revokes the certificate only
// when both its serial and that issuer match.
TEST(Rule, crl_certificate_issuer) {
  for_each_spec([](const World& w) {
    const auto leaf = w.indirect_leaf();
    const Name& ward = w.ward.cert->subject();
    const Name other = testca::make_ca(w.spec, "other", &w.root).cert->subject();
    auto indirect = [&](std::vector<RevokedEntry> e) {
      return crl(w.crlx, {.idp = w.indirect_idp(), .revoked = std::move(e)});
    };
    // The run of certificateIssuer ward covers a later entry without the extension.
    expect_revoked(validate(
        w, leaf,
        {w.root_crl(), indirect({entry(Bytes{0x11}, {{dir(ward)}}), entry(leaf->serial())})}));
    // The leaf's serial before any certificateIssuer (one of crlx's own certificates), and after
    // a certificateIssuer naming another CA: not the leaf.
    expect_good(validate(
        w, leaf,
        {w.root_crl(), indirect({entry(leaf->serial()), entry(Bytes{0x11}, {{dir(ward)}})})}));
    expect_good(validate(w, leaf,
                         {w.root_crl(), indirect({entry(Bytes{0x11}, {{dir(ward)}}),
                                                  entry(leaf->serial(), {{dir(other)}})})}));
  });
}

// RFC 5280 5.2.4, 6.3.3 (a)(2), (i), (j): a delta CRL applies to a complete CRL of the same
// issuer and scope whose cRLNumber is at least the delta's BaseCRLNumber, signed by the same
// key. A removeFromCRL on a delta un-revokes a certificateHold only then.
TEST(Rule, crl_delta_scope) {
  for_each_spec([](const World& w) {
    const Bytes serial = w.plain_leaf->serial();
    const auto complete =
        crl(w.ward,
            {.revoked = {entry(serial, {}, RevocationReason::kCertificateHold)}, .number = {0x05}});
    auto delta = [&](Bytes base, std::optional<IssuingDistributionPoint> idp = {},
                     const testca::Ca* signer = nullptr) {
      return crl(signer ? *signer : w.ward,
                 {.idp = std::move(idp),
                  .revoked = {entry(serial, {}, RevocationReason::kRemoveFromCrl)},
                  .number = {0x07},
                  .delta_base = std::move(base)},
                 &w.ward.cert->subject());
    };
    expect_revoked(validate(w, w.plain_leaf, {w.root_crl(), complete}));
    // Same scope, base 5 (and an older base 4): applied.
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), complete, delta({0x05})}));
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), complete, delta({0x04})}));
    // A base newer than the complete CRL: not applied.
    expect_revoked(validate(w, w.plain_leaf, {w.root_crl(), complete, delta({0x06})}));
    // Another scope (an issuingDistributionPoint the complete CRL lacks): not applied.
    IssuingDistributionPoint users;
    users.only_contains_user_certs = true;
    expect_revoked(validate(w, w.plain_leaf, {w.root_crl(), complete, delta({0x05}, users)}));
    // Signed by another key under the ward CA's name: not applied.
    const testca::Ca stranger = testca::make_ca(w.spec, "stranger", &w.root);
    expect_revoked(
        validate(w, w.plain_leaf, {w.root_crl(), complete, delta({0x05}, {}, &stranger)}));
  });
}

// RFC 5280 6.3.3 (c), (d), (l): a distribution point limited to some reasons (here
// keyCompromise) is covered only for those; CrlRevocationSource answers unknown unless CRLs
// cover every reason, check_crl_for refuses such a distribution point.
TEST(Rule, crl_dp_reasons_unsupported) {
  for_each_spec([](const World& w) {
    const std::string u = leaf_dp_uri(w);
    const auto partial = with_dp(*w.plain_leaf, w.ward, crl_dp({uri(u)}, {}, 0x40));
    const auto all = with_dp(*w.plain_leaf, w.ward, crl_dp({uri(u)}, {}));
    const CrlPtr ward_crl = crl(w.ward, {});
    expect_good(validate(w, all, {w.root_crl(), ward_crl}));
    expect_unknown(validate(w, partial, {w.root_crl(), ward_crl}), diag::kCrlDpReasonsUnsupported);
    // Revoked still wins for the reasons the CRL covers.
    expect_revoked(
        validate(w, partial, {w.root_crl(), crl(w.ward, {.revoked = {entry(partial->serial())}})}));
    DistributionPoint dp = first_dp(*partial);
    ASSERT_TRUE(dp.reasons);
    expect_check(check_for(w, *ward_crl), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *ward_crl, {.distribution_point = &dp}), CrlStatus::kUnknown,
                 diag::kCrlDpReasonsUnsupported);
  });
}

// RFC 5280 6.3.3 (d): check_crl_for does not take a CRL limited to some reasons (IDP
// onlySomeReasons) as covering all of them.
TEST(Rule, crl_idp_reasons_unsupported) {
  for_each_spec([](const World& w) {
    IssuingDistributionPoint idp;
    idp.full_name = {uri(leaf_dp_uri(w))};
    const CrlPtr whole = crl(w.ward, {.idp = idp});
    idp.only_some_reasons = static_cast<std::uint16_t>(1U << 1);  // keyCompromise
    const CrlPtr partial = crl(w.ward, {.idp = idp});
    expect_check(check_for(w, *whole), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *partial), CrlStatus::kUnknown, diag::kCrlIdpReasonsUnsupported);
  });
}

// RFC 5280 6.3.3 (b)(2)(i), 5.2.5: a CRL whose issuingDistributionPoint names a distribution
// point is used only for certificates whose distribution point (or cRLIssuer) matches it.
TEST(Rule, crl_idp_name_mismatch) {
  for_each_spec([](const World& w) {
    IssuingDistributionPoint ours, theirs;
    ours.full_name = {uri(leaf_dp_uri(w))};
    theirs.full_name = {uri("http://crl.example.cn/other-partition.crl")};
    const CrlPtr good = crl(w.ward, {.idp = ours});
    const CrlPtr bad = crl(w.ward, {.idp = theirs});
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), good}));
    expect_unknown(validate(w, w.plain_leaf, {w.root_crl(), bad}), diag::kCrlIdpNameMismatch);
    expect_check(check_for(w, *good), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *bad), CrlStatus::kUnknown, diag::kCrlIdpNameMismatch);
  });
}

// RFC 5280 6.3.3: a certificate without cRLDistributionPoints is covered by a complete CRL of
// its issuer whose scope names no distribution point; not by a partitioned CRL (IDP name) nor
// by another CRL issuer's.
TEST(Rule, crl_implicit_distribution_point) {
  for_each_spec([](const World& w) {
    const auto leaf = with_dp(*w.plain_leaf, w.ward, Bytes{});
    ASSERT_EQ(leaf->find_extension(der::oids::kCrlDistributionPoints), nullptr);
    ASSERT_EQ(leaf->version(), 3);
    expect_good(validate(w, leaf, {w.root_crl(), crl(w.ward, {})}));
    expect_revoked(
        validate(w, leaf, {w.root_crl(), crl(w.ward, {.revoked = {entry(leaf->serial())}})}));
    IssuingDistributionPoint partition;
    partition.full_name = {uri(leaf_dp_uri(w))};
    expect_unknown(validate(w, leaf, {w.root_crl(), crl(w.ward, {.idp = partition})}),
                   diag::kCrlIdpNameMismatch);
    const RevokedEntry ours = entry(leaf->serial(), {{dir(w.ward.cert->subject())}});
    expect_unknown(
        validate(w, leaf, {w.root_crl(), crl(w.crlx, {.idp = indirect_only(), .revoked = {ours}})}),
        diag::kCrlWrongIssuer);
  });
}

// RFC 5280 4.2.1.13 / 6.3.3 (b)(1): a distribution point's cRLIssuer names the issuer of its
// CRL: CrlRevocationSource uses the indirect CRL of that issuer, not one of another issuer
// (crl_wrong_issuer, the row's note); check_crl_for refuses such a distribution point
// (crl_indirect_unsupported).
TEST(Rule, e_crl_dp_crl_issuer_name) {
  for_each_spec([](const World& w) {
    const auto leaf = w.indirect_leaf();
    const RevokedEntry ours = entry(leaf->serial(), {{dir(w.ward.cert->subject())}});
    expect_good(validate(w, leaf, {w.root_crl(), crl(w.crlx, {.idp = w.indirect_idp()})}));
    expect_revoked(validate(
        w, leaf, {w.root_crl(), crl(w.crlx, {.idp = w.indirect_idp(), .revoked = {ours}})}));
    // The same indirect CRL (same IDP name, listing the leaf) from another CA.
    const testca::Ca other = testca::make_ca(w.spec, "other", &w.root);
    expect_unknown(
        validate(w, leaf, {w.root_crl(), crl(other, {.idp = w.indirect_idp(), .revoked = {ours}})},
                 {other.cert}),
        diag::kCrlWrongIssuer);
    const DistributionPoint dp = first_dp(*leaf);
    ASSERT_FALSE(dp.crl_issuer.empty());
    expect_check(check_for(w, *crl(w.ward, {})), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *crl(w.ward, {}), {.distribution_point = &dp}), CrlStatus::kUnknown,
                 diag::kCrlIndirectUnsupported);
  });
}

// RFC 5280 6.3.3 (b)(1): check_crl_for supports no indirect CRLs: a distribution point with a
// cRLIssuer and a CRL with issuingDistributionPoint indirectCRL get unknown (CrlRevocationSource
// handles both: Rule.crl_revoked).
TEST(Rule, crl_indirect_unsupported) {
  for_each_spec([](const World& w) {
    const CrlPtr direct = crl(w.ward, {});
    const CrlPtr indirect = crl(w.ward, {.idp = indirect_only()});
    expect_check(check_for(w, *direct), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *indirect), CrlStatus::kUnknown, diag::kCrlIndirectUnsupported);
    const DistributionPoint dp = first_dp(*w.indirect_leaf());
    expect_check(check_for(w, *direct, {.distribution_point = &dp}), CrlStatus::kUnknown,
                 diag::kCrlIndirectUnsupported);
    expect_good(validate(w, w.plain_leaf, {w.root_crl(), indirect}));
  });
}

// RFC 5280 6.3.3 (f): the CRL signer's certificate must be found: no CRL issuer certificate
// among those given, no CRL from the issuer at all.
TEST(Rule, crl_issuer_not_found) {
  for_each_spec([](const World& w) {
    const auto leaf = w.indirect_leaf();
    const CrlPtr indirect = crl(w.crlx, {.idp = w.indirect_idp()});
    expect_good(validate(w, leaf, {w.root_crl(), indirect}));
    // crlx's certificate not in the pool.
    expect_unknown(validate(w, leaf, {w.root_crl(), indirect}, {}, false),
                   diag::kCrlIssuerNotFound);
    // check_crl_for given only the root as candidate issuer.
    const CrlPtr ward_crl = crl(w.ward, {});
    expect_check(check_for(w, *ward_crl), CrlStatus::kGood, diag::kCrlGood);
    expect_check(check_for(w, *ward_crl, {}, w.root.cert.get()), CrlStatus::kUnknown,
                 diag::kCrlIssuerNotFound);
  });
}

}  // namespace
}  // namespace hpki::x509
