// Rule pairs for RFC 6960 as hpki's OCSP client applies it: the response parser
// (parse_ocsp_response / BasicOcspResponse::parse, W::kParser) and the response checks
// (check_ocsp_response through OcspRevocationSource, W::kOcspCheck). Responses are built by
// hpki (build_ocsp_response) for the ECDSA, RSA and SM2 (ID 1234567812345678) chains of
// rule_pair.h and, for the parser pairs, changed byte-wise and re-signed. Parser pairs: the
// valid DER parses, the violating one is refused naming the defect. Check pairs: the valid
// response gives its status with ocsp_good (or the status it states), the violating one the
// rule's diagnostic id.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "tests/unit/x509/der_edit.h"
#include "tests/unit/x509/rule_pair.h"
#include "x509/designation.h"
#include "x509/extensions.h"
#include "x509/ocsp.h"
#include "x509/ocsp_source.h"

namespace hpki::x509 {
namespace {

using namespace rulepair;  // NOLINT(google-build-using-namespace)
using namespace edit;      // NOLINT(google-build-using-namespace)
namespace oids = der::oids;
using std::chrono::hours;
using std::chrono::minutes;

// ---- DER surgery (more in der_edit.h) ---------------------------------------------------------

Bytes extension(std::string_view dotted, bool critical, const Bytes& value) {
  std::vector<Bytes> f{oid(dotted)};
  if (critical) f.push_back(Bytes{0x01, 0x01, 0xff});
  f.push_back(primitive(der::kOctetString, value));
  return sequence(f);
}

// ---- responses -----------------------------------------------------------------------------

// Who signs: a certificate and its key.
struct Responder {
  CertificatePtr cert;
  const crypto::Signer* signer;
};
Responder issuer_of_leaf(Family f) { return {world(f).ica.cert, world(f).ica.signer.get()}; }

struct Answer {
  OcspCertStatus status = OcspCertStatus::kGood;
  std::optional<TimePoint> revoked_at = {};
  std::optional<Bytes> serial = {};  // default: the world leaf's
  std::optional<TimePoint> this_update = {};
  std::optional<TimePoint> next_update = {};  // default thisUpdate + 24 h; nullopt below = none
  bool no_next_update = false;
  std::optional<TimePoint> produced_at = {};
  std::optional<Bytes> nonce = {};
  bool extended_revoke = false;
  std::vector<CertificatePtr> certs = {};  // in the response (delegates)
};

// A successful OCSPResponse about the world leaf of `f` signed by `by`.
Bytes response_der(Family f, const Responder& by, const Answer& a = {}) {
  const World& w = world(f);
  const TimePoint t0 = a.this_update.value_or(testca::now() - minutes(10));
  OcspResponseTemplate t;
  const Bytes spki = by.cert->spki_der();
  t.responder_spki = spki;
  t.produced_at = a.produced_at.value_or(t0);
  OcspSingleResponse r;
  r.id = make_ocsp_cert_id(crypto::HashAlg::kSha256, *w.ica.cert,
                           a.serial.value_or(w.leaf.cert->serial()))
             .value();
  r.status = a.status;
  r.revocation_time = a.revoked_at;
  if (a.status == OcspCertStatus::kRevoked) r.reason = RevocationReason::kKeyCompromise;
  r.this_update = t0;
  if (!a.no_next_update) r.next_update = a.next_update.value_or(t0 + hours(24));
  t.responses.push_back(r);
  if (a.nonce) t.nonce = *a.nonce;
  t.extended_revoke = a.extended_revoke;
  std::vector<Bytes> certs;
  for (const auto& c : a.certs) certs.push_back(c->der());
  for (const auto& c : certs) t.certs.push_back(c);
  auto der = build_ocsp_response(t, *by.signer);
  EXPECT_TRUE(der) << der.error().to_string();
  return der ? *der : Bytes{};
}

// The BasicOCSPResponse inside an OCSPResponse, and an OCSPResponse around one.
Bytes basic_of(const Bytes& response) {
  auto env = parse_ocsp_response_envelope(response);
  EXPECT_TRUE(env) << env.error().to_string();
  return env ? env->response_bytes : Bytes{};
}
Bytes envelope(const Bytes& basic, std::string_view type = "1.3.6.1.5.5.7.48.1.1") {
  return sequence({Bytes{0x0a, 0x01, 0x00},
                   explicit_tag(0, {sequence({oid(type), primitive(der::kOctetString, basic)})})});
}

// `response` with its ResponseData elements (responderID, producedAt, responses, [1]
// extensions; a builder response has no version) changed by `edit`, re-signed by `by`, and the
// BasicOCSPResponse's own elements (tbsResponseData, algorithm, signature, [0] certs) changed by
// `outer`.
Bytes edited(const Bytes& response, const Responder& by,
             const std::function<void(std::vector<Bytes>&)>& edit,
             const std::function<void(std::vector<Bytes>&)>& outer = {}) {
  std::vector<Bytes> basic = elements(basic_of(response));
  EXPECT_GE(basic.size(), 3U);
  std::vector<Bytes> tbs = elements(basic[0]);
  if (edit) edit(tbs);
  basic[0] = sequence(tbs);
  basic[2] = bit_string(by.signer->sign(basic[0]).value(), 0);
  if (outer) outer(basic);
  return envelope(sequence(basic));
}

// Parser pairs.
void expect_parse_pair(std::string_view rule, const Bytes& valid, const Bytes& violating,
                       std::string_view names) {
  const Rule* r = find_rule(rule);
  ASSERT_NE(r, nullptr) << rule << " is not in the rule inventory";
  EXPECT_NE(r->where & W::kParser, 0U) << rule;
  auto good = parse_ocsp_response(valid);
  EXPECT_TRUE(good) << rule << " valid case: " << good.error().to_string();
  auto bad = parse_ocsp_response(violating);
  ASSERT_FALSE(bad) << rule << " violating case parsed";
  EXPECT_NE(bad.error().to_string().find(names), std::string::npos)
      << rule << ": " << bad.error().to_string();
}

// Asks an OcspRevocationSource over `responses` about the world leaf at `at`. Delegates without
// id-pkix-ocsp-nocheck are validated against the world's root with `delegate_revocation` as
// their revocation source.
RevocationAnswer ask(Family f, const std::vector<Bytes>& responses, OcspSourceOptions so = {},
                     std::optional<TimePoint> at = std::nullopt,
                     const RevocationSource* delegate_revocation = nullptr) {
  const World& w = world(f);
  std::vector<BasicOcspResponsePtr> parsed;
  for (const auto& r : responses) {
    auto p = parse_ocsp_response(r);
    EXPECT_TRUE(p) << p.error().to_string();
    if (p) parsed.push_back(p->basic);
  }
  OcspRevocationSource src(parsed, std::move(so));
  const TimePoint when = at.value_or(testca::now());
  RevocationQuery q{*w.leaf.cert,
                    *w.ica.cert,
                    when,
                    crypto::kSm2DefaultId,
                    crypto::VerifyPolicy{},
                    [&w, when, delegate_revocation](const CertificatePtr& other) {
                      PathOptions o;
                      o.at = when;
                      o.revocation = delegate_revocation;
                      return validate_path(other, {w.ica.cert}, {w.root.cert}, o).valid;
                    }};
  return src.check(q);
}

// Check pairs: the valid answer has `good_status` (diag ocsp_good unless revoked), the
// violating one carries diag `rule` (and status `bad_status`).
void expect_answers(std::string_view rule, const RevocationAnswer& good,
                    const RevocationAnswer& bad,
                    RevocationStatus bad_status = RevocationStatus::kUnknown,
                    RevocationStatus good_status = RevocationStatus::kGood) {
  const Rule* r = find_rule(rule);
  ASSERT_NE(r, nullptr) << rule << " is not in the rule inventory";
  EXPECT_NE(r->where & W::kOcspCheck, 0U) << rule;
  EXPECT_EQ(good.status, good_status)
      << rule << " valid case: " << good.diag << ": " << good.detail;
  EXPECT_EQ(bad.status, bad_status) << rule << ": " << bad.diag << ": " << bad.detail;
  EXPECT_EQ(bad.diag, rule) << bad.detail;
}

// ---- RFC 6960 4.2.1 parser -----------------------------------------------------------------

// RFC 6960 4.2.1: DER. A length in a non-minimal number of octets is BER.
TEST(Rule, ocsp_response_not_der) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Bytes good = response_der(f, issuer_of_leaf(f));
    const std::vector<Bytes> parts = elements(good);
    Bytes content;
    for (const auto& p : parts) content.insert(content.end(), p.begin(), p.end());
    Bytes ber{0x30,
              0x84,
              static_cast<std::uint8_t>(content.size() >> 24),
              static_cast<std::uint8_t>(content.size() >> 16),
              static_cast<std::uint8_t>(content.size() >> 8),
              static_cast<std::uint8_t>(content.size())};
    ber.insert(ber.end(), content.begin(), content.end());
    expect_parse_pair("ocsp_response_not_der", good, ber, "length");
    // Trailing bytes after the response.
    Bytes trailing = good;
    trailing.push_back(0x00);
    expect_parse_pair("ocsp_response_not_der", good, trailing, "OCSPResponse");
  }
}

// RFC 6960 4.2.1: OCSPResponseStatus 0-3, 5, 6.
TEST(Rule, ocsp_response_status_unknown) {
  for (std::uint8_t bad : {std::uint8_t{4}, std::uint8_t{7}}) {
    SCOPED_TRACE(bad);
    expect_parse_pair("ocsp_response_status_unknown", Bytes{0x30, 0x03, 0x0a, 0x01, 0x06},
                      Bytes{0x30, 0x03, 0x0a, 0x01, bad}, "OCSPResponse");
  }
  EXPECT_EQ(parse_ocsp_response(Bytes{0x30, 0x03, 0x0a, 0x01, 0x03})->status,
            OcspResponseStatus::kTryLater);
}

// RFC 6960 4.2.1: a successful response carries responseBytes.
TEST(Rule, ocsp_successful_without_bytes) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    expect_parse_pair("ocsp_successful_without_bytes", response_der(f, issuer_of_leaf(f)),
                      Bytes{0x30, 0x03, 0x0a, 0x01, 0x00}, "responseBytes");
  }
}

// RFC 6960 4.2.1: id-pkix-ocsp-basic is the response type clients support.
TEST(Rule, ocsp_response_type_not_basic) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Bytes basic = basic_of(response_der(f, issuer_of_leaf(f)));
    expect_parse_pair("ocsp_response_type_not_basic", envelope(basic),
                      envelope(basic, "1.3.6.1.5.5.7.48.1.99"), "1.3.6.1.5.5.7.48.1.99");
  }
}

// RFC 6960 4.2.1: ResponseData version v1, the DEFAULT, not encoded.
TEST(Rule, ocsp_version) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const Bytes good = response_der(f, by);
    const auto version = [&](std::int64_t v) {
      return edited(good, by, [v](std::vector<Bytes>& tbs) {
        der::Writer w;
        w.add_integer(v);
        tbs.insert(tbs.begin(), explicit_tag(0, {w.take()}));
      });
    };
    expect_parse_pair("ocsp_version", edited(good, by, {}), version(1), "version 1");
    expect_parse_pair("ocsp_version", good, version(0), "version");
  }
}

// RFC 6960 4.2.1: ResponderID byName [1] or byKey [2] (a 20-octet SHA-1 key hash).
TEST(Rule, ocsp_responder_id) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const Bytes good = response_der(f, by);
    expect_parse_pair("ocsp_responder_id", good,
                      edited(good, by,
                             [](std::vector<Bytes>& tbs) {
                               tbs[0] =
                                   explicit_tag(2, {primitive(der::kOctetString, Bytes(19, 0x11))});
                             }),
                      "SHA-1");
    expect_parse_pair("ocsp_responder_id", good,
                      edited(good, by,
                             [](std::vector<Bytes>& tbs) {
                               tbs[0] =
                                   explicit_tag(3, {primitive(der::kOctetString, Bytes(20, 0x11))});
                             }),
                      "responderID");
    // byName parses.
    const Bytes by_name = edited(good, by, [&](std::vector<Bytes>& tbs) {
      tbs[0] = explicit_tag(1, {by.cert->subject().der});
    });
    EXPECT_TRUE(parse_ocsp_response(by_name));
  }
}

// The first SingleResponse of a ResponseData element list with its elements (certID,
// certStatus, thisUpdate, ...) changed by `edit`.
std::function<void(std::vector<Bytes>&)> single(
    const std::function<void(std::vector<Bytes>&)>& edit) {
  return [edit](std::vector<Bytes>& tbs) {
    std::vector<Bytes> list = elements(tbs[2]);
    std::vector<Bytes> one = elements(list.at(0));
    edit(one);
    list[0] = sequence(one);
    tbs[2] = sequence(list);
  };
}

// RFC 6960 4.2.1: CertStatus good [0] NULL / revoked [1] RevokedInfo / unknown [2].
TEST(Rule, ocsp_cert_status) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const Bytes good = response_der(f, by);
    // An undefined CHOICE [3].
    expect_parse_pair("ocsp_cert_status", good, edited(good, by, single([](std::vector<Bytes>& s) {
                                                         s[1] = Bytes{0x83, 0x00};
                                                       })),
                      "SingleResponse");
    // revoked with a UTCTime revocationTime (GeneralizedTime required).
    const Bytes revoked = response_der(
        f, by, {.status = OcspCertStatus::kRevoked, .revoked_at = testca::now() - hours(1)});
    expect_parse_pair("ocsp_cert_status", revoked,
                      edited(revoked, by, single([](std::vector<Bytes>& s) {
                               std::vector<Bytes> info = elements(s[1]);
                               info[0] =
                                   primitive(der::kUtcTime, Bytes{'2', '5', '0', '1', '0', '1', '1',
                                                                  '2', '0', '0', '0', '0', 'Z'});
                               s[1] = constructed(der::Tag::context_constructed(1), info);
                             })),
                      "SingleResponse");
    // revoked with an undefined CRLReason (7).
    expect_parse_pair("ocsp_cert_status", revoked,
                      edited(revoked, by, single([](std::vector<Bytes>& s) {
                               std::vector<Bytes> info = elements(s[1]);
                               ASSERT_EQ(info.size(), 2U);
                               info[1] = explicit_tag(0, {Bytes{0x0a, 0x01, 0x07}});
                               s[1] = constructed(der::Tag::context_constructed(1), info);
                             })),
                      "SingleResponse");
  }
}

// RFC 6960 4.2.1: the signature BIT STRING has no unused bits.
TEST(Rule, ocsp_signature_value_unused_bits) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const Bytes good = response_der(f, by);
    expect_parse_pair("ocsp_signature_value_unused_bits", good,
                      edited(good, by, {},
                             [&](std::vector<Bytes>& basic) {
                               Bytes sig = by.signer->sign(basic[0]).value();
                               sig.push_back(0x00);
                               basic[2] = bit_string(sig, 1);
                             }),
                      "unused bits");
  }
}

// RFC 6960 4.4.1 / RFC 8954: the nonce is an OCTET STRING.
TEST(Rule, ocsp_nonce) {
  const Bytes nonce(16, 0x5a);
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const Bytes good = response_der(f, by, {.nonce = nonce});
    EXPECT_EQ(parse_ocsp_response(good)->basic->nonce(), nonce);
    expect_parse_pair("ocsp_nonce", good,
                      edited(good, by,
                             [](std::vector<Bytes>& tbs) {
                               ASSERT_EQ(tbs.size(), 4U);
                               tbs[3] = explicit_tag(
                                   1, {sequence({extension("1.3.6.1.5.5.7.48.1.2", false,
                                                           Bytes{0x02, 0x01, 0x05})})});
                             }),
                      "nonce is not an OCTET STRING");
  }
}

// ---- RFC 6960 3.2 / 4.2.2 checks -----------------------------------------------------------

// RFC 6960 3.2 (1): a SingleResponse for another serial says nothing about the leaf.
TEST(Rule, ocsp_no_response) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    expect_answers("ocsp_no_response", ask(f, {response_der(f, by)}),
                   ask(f, {response_der(f, by, {.serial = Bytes{0x01, 0x02, 0x03}})}));
  }
}

// RFC 6960 3.2 (2): the signature verifies with the responder's key. ResponseData signed by
// the root's key while the responderID names the issuing CA.
TEST(Rule, ocsp_signature_invalid) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const Bytes good = response_der(f, by);
    const Bytes forged = edited(good, {world(f).root.cert, world(f).root.signer.get()}, {});
    expect_answers("ocsp_signature_invalid", ask(f, {good}), ask(f, {forged}));
  }
}

// RFC 6960 4.2.2.2: the signer is the CA or a delegate with id-kp-OCSPSigning issued by it.
TEST(Rule, ocsp_responder_not_authorised) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const World& w = world(f);
    const auto delegate = testca::make_ocsp_responder(w.ica, spec_of(f));
    const auto no_eku = testca::make_ocsp_responder(w.ica, spec_of(f), true, "device");
    const auto foreign = testca::make_ocsp_responder(w.root, spec_of(f));
    expect_answers(
        "ocsp_responder_not_authorised",
        ask(f,
            {response_der(f, {delegate.cert, delegate.signer.get()}, {.certs = {delegate.cert}})}),
        ask(f, {response_der(f, {no_eku.cert, no_eku.signer.get()}, {.certs = {no_eku.cert}})}));
    expect_answers(
        "ocsp_responder_not_authorised",
        ask(f, {response_der(f, {w.ica.cert, w.ica.signer.get()})}),
        ask(f, {response_der(f, {foreign.cert, foreign.signer.get()}, {.certs = {foreign.cert}})}));
  }
}

// RFC 6960 4.2.2.2: a delegate is issued by the CA with the key that signed the certificate in
// question. The delegate re-signed by another key under the issuing CA's name.
TEST(Rule, ocsp_delegate_same_key) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const World& w = world(f);
    const auto delegate = testca::make_ocsp_responder(w.ica, spec_of(f));
    const CertificatePtr other_key = edit::sign_tbs(Tbs::from(*delegate.cert), *w.root.signer);
    ASSERT_TRUE(other_key);
    expect_answers(
        "ocsp_delegate_same_key",
        ask(f,
            {response_der(f, {delegate.cert, delegate.signer.get()}, {.certs = {delegate.cert}})}),
        ask(f, {response_der(f, {other_key, delegate.signer.get()}, {.certs = {other_key}})}));
  }
}

// hpki (issue 16) / RFC 6960 4.2.2.2 local configuration: a delegate the CA did not designate.
TEST(Rule, ocsp_responder_not_designated) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const World& w = world(f);
    const auto designated = testca::make_ocsp_responder(w.ica, spec_of(f));
    const auto rogue = testca::make_ocsp_responder(w.ica, spec_of(f));
    DesignationList list;
    list.designate(w.ica.cert, TrustService::kOcspSigning, {designated.cert});
    expect_answers(
        "ocsp_responder_not_designated",
        ask(f,
            {response_der(f, {designated.cert, designated.signer.get()},
                          {.certs = {designated.cert}})},
            {.designation = &list}),
        ask(f, {response_der(f, {rogue.cert, rogue.signer.get()}, {.certs = {rogue.cert}})},
            {.designation = &list}));
  }
}

// RFC 6960 4.2.2.2.1: a delegate without id-pkix-ocsp-nocheck has its own status checked; a
// revoked one is refused.
TEST(Rule, ocsp_responder_revocation) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const World& w = world(f);
    const auto delegate = testca::make_ocsp_responder(w.ica, spec_of(f), false);
    ASSERT_EQ(delegate.cert->find_extension(oids::kOcspNoCheck), nullptr);
    const Bytes answer =
        response_der(f, {delegate.cert, delegate.signer.get()}, {.certs = {delegate.cert}});
    // The delegate's own status: an OCSP answer of the issuing CA about the delegate, and of
    // the root about the issuing CA.
    const auto about = [&](const testca::Ca& signer, const Certificate& issuer,
                           const Certificate& subject, OcspCertStatus status) {
      OcspResponseTemplate t;
      const Bytes spki = signer.cert->spki_der();
      t.responder_spki = spki;
      t.produced_at = testca::now() - minutes(10);
      OcspSingleResponse r;
      r.id = make_ocsp_cert_id(crypto::HashAlg::kSha1, issuer, subject.serial()).value();
      r.status = status;
      if (status == OcspCertStatus::kRevoked) {
        r.revocation_time = testca::now() - minutes(30);
        r.reason = RevocationReason::kKeyCompromise;
      }
      r.this_update = t.produced_at;
      r.next_update = t.produced_at + hours(24);
      t.responses.push_back(r);
      return parse_ocsp_response(build_ocsp_response(t, *signer.signer).value()).value().basic;
    };
    const auto ica_good = about(w.root, *w.root.cert, *w.ica.cert, OcspCertStatus::kGood);
    const OcspRevocationSource delegate_good(
        {ica_good, about(w.ica, *w.ica.cert, *delegate.cert, OcspCertStatus::kGood)});
    const OcspRevocationSource delegate_revoked(
        {ica_good, about(w.ica, *w.ica.cert, *delegate.cert, OcspCertStatus::kRevoked)});
    expect_answers("ocsp_responder_revocation", ask(f, {answer}, {}, std::nullopt, &delegate_good),
                   ask(f, {answer}, {}, std::nullopt, &delegate_revoked));
  }
}

// RFC 6960 3.2 (5) / 4.2.2.1: thisUpdate not after the validation time.
TEST(Rule, ocsp_not_yet_valid) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const TimePoint t0 = testca::now() + minutes(20);
    const Bytes r = response_der(f, by, {.this_update = t0, .produced_at = t0});
    expect_answers("ocsp_not_yet_valid", ask(f, {r}, {}, t0), ask(f, {r}, {}, t0 - minutes(1)));
  }
}

// RFC 6960 3.2 (6) / 4.2.2.1: nextUpdate not before the validation time.
TEST(Rule, ocsp_expired) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const TimePoint t0 = testca::now() - minutes(50);
    const Bytes r = response_der(f, by, {.this_update = t0, .next_update = t0 + minutes(30)});
    expect_answers("ocsp_expired", ask(f, {r}, {}, t0 + minutes(30)),
                   ask(f, {r}, {}, t0 + minutes(31)));
  }
}

// RFC 5019 / RFC 6960 4.2.2.1: a local maximum age of thisUpdate.
TEST(Rule, ocsp_too_old) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const TimePoint t0 = testca::now() - minutes(40);
    const Bytes r = response_der(f, by, {.this_update = t0, .no_next_update = true});
    expect_answers("ocsp_too_old", ask(f, {r}, {.max_age = minutes(45)}),
                   ask(f, {r}, {.max_age = minutes(30)}));
  }
}

// RFC 6960 4.2.2.1 / hpki (as Chromium): producedAt within the certificate's validity (the
// leaf's notBefore is one hour ago).
TEST(Rule, ocsp_bad_produced_at) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const TimePoint nb = world(f).leaf.cert->validity().not_before;
    expect_answers(
        "ocsp_bad_produced_at",
        ask(f, {response_der(f, by, {.this_update = nb, .produced_at = nb})}),
        ask(f, {response_der(f, by, {.this_update = nb, .produced_at = nb - minutes(1)})}));
  }
}

// RFC 6960 2.2: revoked from revocationTime on.
TEST(Rule, ocsp_revoked) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const TimePoint when = testca::now() + hours(1);
    const Bytes r = response_der(f, by, {.status = OcspCertStatus::kRevoked, .revoked_at = when});
    // Before revocationTime the certificate is good, from it on revoked.
    const RevocationAnswer before = ask(f, {r}, {}, when - std::chrono::seconds(1));
    EXPECT_EQ(before.diag, diag::kOcspGood) << before.detail;
    expect_answers("ocsp_revoked", before, ask(f, {r}, {}, when), RevocationStatus::kRevoked);
  }
}

// RFC 6960 2.2: unknown gives no status.
TEST(Rule, ocsp_cert_unknown) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    expect_answers("ocsp_cert_unknown", ask(f, {response_der(f, by)}),
                   ask(f, {response_der(f, by, {.status = OcspCertStatus::kUnknown})}));
  }
}

// RFC 6960 4.4: an unknown critical extension makes the response unusable; non-critical is
// ignored. In responseExtensions and in singleExtensions.
TEST(Rule, ocsp_unhandled_critical_extension) {
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const Bytes base = response_der(f, by);
    const auto response_ext = [&](bool critical) {
      return edited(base, by, [critical](std::vector<Bytes>& tbs) {
        tbs.push_back(
            explicit_tag(1, {sequence({extension("1.2.3.4.5", critical, {0x05, 0x00})})}));
      });
    };
    const auto single_ext = [&](bool critical) {
      return edited(base, by, single([critical](std::vector<Bytes>& s) {
                      s.push_back(explicit_tag(
                          1, {sequence({extension("1.2.3.4.6", critical, {0x05, 0x00})})}));
                    }));
    };
    expect_answers("ocsp_unhandled_critical_extension", ask(f, {response_ext(false)}),
                   ask(f, {response_ext(true)}));
    expect_answers("ocsp_unhandled_critical_extension", ask(f, {single_ext(false)}),
                   ask(f, {single_ext(true)}));
  }
}

// RFC 6960 4.4.8 / 2.2: the extended revoke extension is understood, also when critical, and
// "revoked" then counts as revoked (it may mean "never issued").
TEST(Rule, ocsp_extended_revoke) {
  const Rule* rule = find_rule("ocsp_extended_revoke");
  ASSERT_NE(rule, nullptr);
  EXPECT_NE(rule->where & W::kOcspCheck, 0U);
  for (Family f : kAllFamilies) {
    SCOPED_TRACE(name_of(f));
    const Responder by = issuer_of_leaf(f);
    const auto critical = [&](const Bytes& r) {
      return edited(r, by, [](std::vector<Bytes>& tbs) {
        ASSERT_EQ(tbs.size(), 4U);
        tbs[3] = explicit_tag(
            1, {sequence({extension("1.3.6.1.5.5.7.48.1.9", true, Bytes{0x05, 0x00})})});
      });
    };
    const Bytes good = response_der(f, by, {.extended_revoke = true});
    // RFC 6960 2.2: a serial never issued is "revoked" at 1970-01-01, certificateHold.
    const Bytes never = response_der(
        f, by,
        {.status = OcspCertStatus::kRevoked, .revoked_at = TimePoint{}, .extended_revoke = true});
    for (const Bytes& g : {good, critical(good)}) {
      const RevocationAnswer a = ask(f, {g});
      EXPECT_EQ(a.status, RevocationStatus::kGood) << a.diag << ": " << a.detail;
    }
    for (const Bytes& r : {never, critical(never)}) {
      const RevocationAnswer a = ask(f, {r});
      EXPECT_EQ(a.status, RevocationStatus::kRevoked) << a.diag << ": " << a.detail;
      EXPECT_EQ(a.diag, diag::kOcspRevoked);
    }
    // Without the extension a critical unknown extension of the same shape is refused.
    const RevocationAnswer other =
        ask(f, {edited(good, by, [](std::vector<Bytes>& tbs) {
              tbs[3] = explicit_tag(
                  1, {sequence({extension("1.3.6.1.5.5.7.48.1.99", true, Bytes{0x05, 0x00})})});
            })});
    EXPECT_EQ(other.diag, diag::kOcspUnhandledCriticalExtension) << other.detail;
  }
}

}  // namespace
}  // namespace hpki::x509
