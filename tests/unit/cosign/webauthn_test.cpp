// WebAuthn registration and assertion checks (src/cosign/webauthn.h) on responses built here
// with a P-256 key made by hpki's crypto code: each check has a valid response and a response
// that violates exactly that check, with the rule's tag.
#include "cosign/webauthn.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "core/encoding.h"
#include "cosign/detail/cbor.h"
#include "crypto/digest.h"
#include "crypto/key.h"
#include "tests/unit/cosign/authenticator.h"

namespace hpki::cosign::webauthn {
namespace {

using namespace test_support;  // NOLINT(google-build-using-namespace)

void expect_failure(const auto& result, Reason reason, std::string_view detail = "") {
  ASSERT_FALSE(result.has_value()) << "accepted, expected " << reason_id(reason);
  EXPECT_EQ(result.error().reason, reason) << result.error().to_string();
  EXPECT_NE(result.error().detail.find(detail), std::string::npos)
      << result.error().to_string() << " (expected \"" << detail << "\")";
}

// ---------------------------------------------------------------------------------------------
// Registration

class WebAuthnRegistration : public ::testing::Test {
 protected:
  Authenticator authr;
  Bytes challenge = sha256("enrollment 42 challenge");
  Bytes cdj = client_data("webauthn.create", challenge);

  Bytes good_auth(std::uint8_t flags = kUp | kUv | kAt) const {
    return authr.auth_data(flags, 0, authr.cose_key());
  }
  Checked<Credential> verify(BytesView att, BytesView client_data_json,
                             BytesView credential_id = {}) const {
    return verify_registration(kRp, challenge,
                               {.attestation_object = att,
                                .client_data_json = client_data_json,
                                .credential_id = credential_id});
  }
  Checked<Credential> verify_none(BytesView auth) const {
    const Bytes att = attestation_object("none", empty_map(), auth);
    return verify(att, cdj);
  }
};

TEST_F(WebAuthnRegistration, NoneAttestationGivesTheCredential) {
  const Bytes auth = good_auth();
  auto c = verify(attestation_object("none", empty_map(), auth), cdj, authr.credential_id);
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  EXPECT_EQ(c->credential_id, authr.credential_id);
  EXPECT_EQ(c->public_key_spki, authr.key.public_key_der());
  EXPECT_EQ(c->sign_count, 0u);
  EXPECT_EQ(c->flags.bits, kUp | kUv | kAt);
  EXPECT_EQ(c->aaguid, authr.aaguid);
  EXPECT_EQ(c->attestation_format, "none");
}

// WebAuthn L3 8.2 self attestation: alg of the credential, signature by the credential key.
TEST_F(WebAuthnRegistration, PackedSelfAttestation) {
  const Bytes auth = good_auth();
  auto stmt = [&](std::int64_t alg, Bytes sig) {
    Value::Map m;
    m.emplace_back(Value::make_text("alg"),
                   alg < 0 ? Value::make_negative(static_cast<std::uint64_t>(-1 - alg))
                           : Value::make_unsigned(static_cast<std::uint64_t>(alg)));
    m.emplace_back(Value::make_text("sig"), Value::make_bytes(sig));
    return Value::make_map(std::move(m));
  };
  auto c = verify(attestation_object("packed", stmt(-7, authr.sign(auth, cdj)), auth), cdj);
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  EXPECT_EQ(c->attestation_format, "packed");

  Authenticator other;
  expect_failure(verify(attestation_object("packed", stmt(-7, other.sign(auth, cdj)), auth), cdj),
                 Reason::kBadSignature, "packed self attestation signature");
  expect_failure(verify(attestation_object("packed", stmt(-257, authr.sign(auth, cdj)), auth), cdj),
                 Reason::kUnsupportedAlg, "alg -257");
}

// Full attestation (x5c) is not verified (webauthn.h), only its shape.
TEST_F(WebAuthnRegistration, PackedWithCertificatesIsShapeCheckedOnly) {
  const Bytes auth = good_auth();
  Value::Map m;
  m.emplace_back(Value::make_text("alg"), Value::make_negative(6));
  m.emplace_back(Value::make_text("sig"), Value::make_bytes(Bytes{0x30, 0x00}));
  m.emplace_back(Value::make_text("x5c"), Value::make_array({Value::make_bytes(Bytes{0x30})}));
  EXPECT_TRUE(verify(attestation_object("packed", Value::make_map(m), auth), cdj).has_value());

  m[2].second = Value::make_array({});
  expect_failure(verify(attestation_object("packed", Value::make_map(m), auth), cdj),
                 Reason::kMalformed, "x5c is not a non-empty array");
  m[2].first = Value::make_text("ecdaaKeyId");
  m[2].second = Value::make_bytes(Bytes{1});
  expect_failure(verify(attestation_object("packed", Value::make_map(m), auth), cdj),
                 Reason::kMalformed, "unknown member");
}

TEST_F(WebAuthnRegistration, OtherAttestationFormatsRefused) {
  const Bytes auth = good_auth();
  expect_failure(verify(attestation_object("tpm", empty_map(), auth), cdj),
                 Reason::kAttestationUnsupported, "\"tpm\"");
  Value::Map m;
  m.emplace_back(Value::make_text("sig"), Value::make_bytes(Bytes{1}));
  expect_failure(verify(attestation_object("none", Value::make_map(std::move(m)), auth), cdj),
                 Reason::kMalformed, "attStmt of \"none\" is not empty");
}

// WebAuthn L3 7.1 step 7: clientData.type is "webauthn.create".
TEST_F(WebAuthnRegistration, WrongTypeRefused) {
  const Bytes att = attestation_object("none", empty_map(), good_auth());
  expect_failure(verify(att, client_data("webauthn.get", challenge)), Reason::kTypeMismatch,
                 "\"webauthn.get\", expected \"webauthn.create\"");
}

// WebAuthn L3 7.1 step 8: the challenge is the one the server issued.
TEST_F(WebAuthnRegistration, WrongChallengeRefused) {
  const Bytes att = attestation_object("none", empty_map(), good_auth());
  expect_failure(verify(att, client_data("webauthn.create", sha256("another enrollment"))),
                 Reason::kChallengeMismatch);
  // A prefix of the challenge is not the challenge.
  expect_failure(verify(att, client_data("webauthn.create", BytesView(challenge).first(31))),
                 Reason::kChallengeMismatch);
}

// WebAuthn L3 7.1 step 9: the origin is the relying party's, byte for byte.
TEST_F(WebAuthnRegistration, WrongOriginRefused) {
  const Bytes att = attestation_object("none", empty_map(), good_auth());
  for (std::string_view o : {"https://evil.example", "https://sign.hospital.example/",
                             "http://sign.hospital.example", "https://sign.hospital.example:443"}) {
    expect_failure(verify(att, client_data("webauthn.create", challenge, o)),
                   Reason::kOriginMismatch, std::string(o));
  }
}

// WebAuthn L3 7.1 step 10: crossOrigin is refused.
TEST_F(WebAuthnRegistration, CrossOriginRefused) {
  const Bytes att = attestation_object("none", empty_map(), good_auth());
  expect_failure(
      verify(att, client_data("webauthn.create", challenge, kRp.origin,
                              {{"crossOrigin", true}, {"topOrigin", "https://evil.example"}})),
      Reason::kCrossOrigin, "https://evil.example");
}

// WebAuthn L3 7.1 step 13: rpIdHash is SHA-256 of the RP ID.
TEST_F(WebAuthnRegistration, WrongRpIdHashRefused) {
  const Bytes auth = authr.auth_data(kUp | kUv | kAt, 0, authr.cose_key(), "hospital.example");
  expect_failure(verify_none(auth), Reason::kRpMismatch, "SHA-256(\"sign.hospital.example\")");
}

// WebAuthn L3 7.1 steps 14 and 15: UP and UV set.
TEST_F(WebAuthnRegistration, UpAndUvRequired) {
  expect_failure(verify_none(good_auth(kUv | kAt)), Reason::kUpMissing);
  expect_failure(verify_none(good_auth(kUp | kAt)), Reason::kUvMissing);
}

TEST_F(WebAuthnRegistration, AttestedCredentialDataRequired) {
  // AT unset and no credential data: well-formed authenticator data, but no credential.
  expect_failure(verify_none(authr.auth_data(kUp | kUv, 0)), Reason::kMalformed, "AT unset");
  // AT unset but credential data present: bytes after the last field.
  expect_failure(verify_none(authr.auth_data(kUp | kUv, 0, authr.cose_key())), Reason::kMalformed,
                 "after its last field");
}

// WebAuthn L3 7.1 step 20: ES256 (kty EC2, alg -7, crv P-256) only.
TEST_F(WebAuthnRegistration, UnsupportedAlgorithmRefused) {
  struct Case {
    std::int64_t kty, alg, crv;
    std::string_view detail;
  };
  for (const auto& c : {Case{2, -35, 1, "alg -35"}, Case{3, -257, 1, "key type 3"},
                        Case{2, -7, 2, "curve 2"}, Case{1, -8, 6, "key type 1"}}) {
    const Bytes cose = cbor::encode(authr.cose_key_value(c.kty, c.alg, c.crv));
    expect_failure(verify_none(authr.auth_data(kUp | kUv | kAt, 0, cose)), Reason::kUnsupportedAlg,
                   c.detail);
  }
}

TEST_F(WebAuthnRegistration, BadCoseKeysRefused) {
  // A private key (d, -4) in the COSE key.
  Value k = authr.cose_key_value();
  Value::Map m = k.map();
  m.emplace_back(Value::make_negative(3), Value::make_bytes(Bytes(32, 1)));
  expect_failure(verify_none(authr.auth_data(kUp | kUv | kAt, 0, cbor::encode(Value::make_map(m)))),
                 Reason::kMalformed, "private key");
  // A point that is not on P-256 (y changed).
  m = k.map();
  Bytes y(m[4].second.bytes().begin(), m[4].second.bytes().end());
  y[31] ^= 1;
  m[4].second = Value::make_bytes(y);
  expect_failure(verify_none(authr.auth_data(kUp | kUv | kAt, 0, cbor::encode(Value::make_map(m)))),
                 Reason::kMalformed, "COSE key point");
  // x of 31 bytes.
  m = k.map();
  m[3].second = Value::make_bytes(Bytes(31, 7));
  expect_failure(verify_none(authr.auth_data(kUp | kUv | kAt, 0, cbor::encode(Value::make_map(m)))),
                 Reason::kMalformed, "32-byte strings");
  // The credential public key is not a map.
  expect_failure(verify_none(authr.auth_data(kUp | kUv | kAt, 0, Bytes{0x80})), Reason::kMalformed,
                 "not a CBOR map");
}

TEST_F(WebAuthnRegistration, CredentialIdMustMatch) {
  const Bytes att = attestation_object("none", empty_map(), good_auth());
  expect_failure(verify(att, cdj, Bytes(32, 0x5b)), Reason::kCredentialMismatch);
  EXPECT_TRUE(verify(att, cdj, authr.credential_id).has_value());
}

// Malformed CBOR in the attestationObject: truncated, indefinite length, duplicate keys,
// too deep; each refused as webauthn.malformed with the decoder's detail.
TEST_F(WebAuthnRegistration, MalformedAttestationObjectRefused) {
  const Bytes att = attestation_object("none", empty_map(), good_auth());
  // Truncated: every proper prefix.
  for (std::size_t n = 0; n < att.size(); n += 7) {
    expect_failure(verify(BytesView(att).first(n), cdj), Reason::kMalformed, "attestationObject");
  }
  expect_failure(verify(BytesView(att).first(att.size() - 1), cdj), Reason::kMalformed,
                 "truncated");
  // Indefinite-length map (0xbf ... 0xff) instead of 0xa3.
  Bytes indef = att;
  indef[0] = 0xbf;
  indef.push_back(0xff);
  expect_failure(verify(indef, cdj), Reason::kMalformed, "indefinite length");
  // Duplicate "fmt" key.
  Value::Map m;
  m.emplace_back(Value::make_text("fmt"), Value::make_text("none"));
  m.emplace_back(Value::make_text("attStmt"), empty_map());
  m.emplace_back(Value::make_text("fmt"), Value::make_text("packed"));
  m.emplace_back(Value::make_text("authData"), Value::make_bytes(good_auth()));
  expect_failure(verify(cbor::encode(Value::make_map(m)), cdj), Reason::kMalformed,
                 "duplicate map key");
  // attStmt nested 20 levels deep.
  Value deep = Value::make_unsigned(0);
  for (int i = 0; i < 20; ++i) deep = Value::make_array({deep});
  Value::Map s;
  s.emplace_back(Value::make_text("x"), deep);
  expect_failure(verify(attestation_object("none", Value::make_map(s), good_auth()), cdj),
                 Reason::kMalformed, "nesting deeper than");
  // Trailing bytes after the map.
  Bytes trailing = att;
  trailing.push_back(0x00);
  expect_failure(verify(trailing, cdj), Reason::kMalformed, "after the data item");
  // Not a map; members of the wrong type.
  expect_failure(verify(cbor::encode(Value::make_array({})), cdj), Reason::kMalformed,
                 "not a CBOR map");
  m.clear();
  m.emplace_back(Value::make_text("fmt"), Value::make_text("none"));
  m.emplace_back(Value::make_text("attStmt"), empty_map());
  m.emplace_back(Value::make_text("authData"), Value::make_text("not bytes"));
  expect_failure(verify(cbor::encode(Value::make_map(m)), cdj), Reason::kMalformed,
                 "authData is missing or not bytes");
}

TEST_F(WebAuthnRegistration, MalformedAuthenticatorDataRefused) {
  // Shorter than 37 bytes.
  expect_failure(verify_none(Bytes(36, 0)), Reason::kMalformed, "shorter than 37");
  // AT set but the attested data cut off inside the credential id.
  Bytes auth = good_auth();
  expect_failure(verify_none(BytesView(auth).first(37 + 18 + 10)), Reason::kMalformed,
                 "credentialId is truncated");
  // The COSE key cut off.
  expect_failure(verify_none(BytesView(auth).first(auth.size() - 3)), Reason::kMalformed,
                 "credentialPublicKey");
  // A credential id longer than 1023 bytes (WebAuthn L3 6.5.1).
  Authenticator big;
  big.credential_id = Bytes(1024, 1);
  expect_failure(verify_none(big.auth_data(kUp | kUv | kAt, 0, big.cose_key())), Reason::kMalformed,
                 "credentialIdLength 1024 exceeds 1023");
  // WebAuthn L3 6.1: BS without BE.
  expect_failure(verify_none(good_auth(kUp | kUv | kAt | Flags::kBs)), Reason::kMalformed,
                 "BS set without BE");
}

// Extensions (ED) are parsed for their extent and otherwise ignored.
TEST_F(WebAuthnRegistration, ExtensionsAreSkipped) {
  Value::Map ext;
  ext.emplace_back(Value::make_text("credProtect"), Value::make_unsigned(2));
  const Bytes e = cbor::encode(Value::make_map(ext));
  auto c =
      verify_none(authr.auth_data(kUp | kUv | kAt | Flags::kEd, 0, authr.cose_key(), kRp.rp_id, e));
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  EXPECT_TRUE(c->flags.ed());
  // ED set but no extensions; extensions present but ED unset.
  expect_failure(verify_none(good_auth(kUp | kUv | kAt | Flags::kEd)), Reason::kMalformed,
                 "extensions");
  expect_failure(verify_none(authr.auth_data(kUp | kUv | kAt, 0, authr.cose_key(), kRp.rp_id, e)),
                 Reason::kMalformed, "after its last field");
}

TEST_F(WebAuthnRegistration, SizeLimits) {
  const Bytes att = attestation_object("none", empty_map(), good_auth());
  Bytes big_att = att;
  big_att.resize(kMaxAttestationObject + 1, 0);
  expect_failure(verify(big_att, cdj), Reason::kTooLarge, "attestationObject of 16385 bytes");
  const Bytes big_cdj =
      client_data("webauthn.create", challenge, kRp.origin, {{"pad", std::string(4096, 'x')}});
  expect_failure(verify(att, big_cdj), Reason::kTooLarge, "clientDataJSON");
  expect_failure(verify(att, cdj, Bytes(1024, 1)), Reason::kTooLarge, "credential id");
}

// ---------------------------------------------------------------------------------------------
// Client data parsing

TEST(WebAuthnClientData, StrictJson) {
  const Bytes c = sha256("c");
  const std::string chal = base64url_encode(c);
  auto parse = [](std::string_view s) { return parse_client_data(as_bytes(s)); };
  auto ok = parse(R"({"type":"webauthn.get","challenge":")" + chal +
                  R"(","origin":"https://a.example","unknown":{"x":[1,2]}})");
  ASSERT_TRUE(ok.has_value()) << ok.error().to_string();
  EXPECT_EQ(ok->challenge, c);
  EXPECT_FALSE(ok->cross_origin);

  // Duplicate members would let two readers disagree on the challenge.
  expect_failure(parse(R"({"type":"webauthn.get","challenge":")" + chal + R"(","challenge":")" +
                       chal + R"(","origin":"https://a.example"})"),
                 Reason::kMalformed, "duplicate member");
  // Duplicates in a nested object too; the same name in two objects is fine.
  expect_failure(parse(R"({"type":"webauthn.get","challenge":")" + chal +
                       R"(","origin":"o","x":{"a":1,"a":2}})"),
                 Reason::kMalformed, "duplicate member");
  EXPECT_TRUE(parse(R"({"type":"t","challenge":")" + chal +
                    R"(","origin":"o","x":{"type":1},"y":[{"type":2}]})")
                  .has_value());
  expect_failure(parse("not json"), Reason::kMalformed, "not valid JSON");
  expect_failure(parse("[1]"), Reason::kMalformed, "not a JSON object");
  expect_failure(parse("{\"type\":\"\xff\"}"), Reason::kMalformed, "not valid JSON");
  expect_failure(parse(R"({"type":1,"challenge":"","origin":""})"), Reason::kMalformed,
                 "type is missing or not a string");
  expect_failure(parse(R"({"type":"t","origin":""})"), Reason::kMalformed, "challenge is missing");
  expect_failure(parse(R"({"type":"t","challenge":")" + chal + R"(="})"), Reason::kMalformed,
                 "not base64url");
  expect_failure(parse(R"({"type":"t","challenge":"a+b/","origin":""})"), Reason::kMalformed,
                 "not base64url");
  expect_failure(
      parse(R"({"type":"t","challenge":")" + chal + R"(","origin":"o","crossOrigin":"false"})"),
      Reason::kMalformed, "crossOrigin is not a boolean");
  std::string deep = R"({"type":"t","challenge":")" + chal + R"(","origin":"o","x":)";
  deep += std::string(40, '[') + std::string(40, ']') + "}";
  expect_failure(parse(deep), Reason::kMalformed, "nested too deeply");
}

// ---------------------------------------------------------------------------------------------
// Assertion

class WebAuthnAssertion : public ::testing::Test {
 protected:
  Authenticator authr;
  Credential stored;
  Bytes challenge = sha256("hpki-cosign-approve-v1 request 7");

  void SetUp() override {
    const Bytes cdj = client_data("webauthn.create", challenge);
    auto c = verify_registration(
        kRp, challenge,
        {.attestation_object = attestation_object(
             "none", empty_map(), authr.auth_data(kUp | kUv | kAt, 5, authr.cose_key())),
         .client_data_json = cdj,
         .credential_id = {}});
    ASSERT_TRUE(c.has_value()) << c.error().to_string();
    stored = *c;
    ASSERT_EQ(stored.sign_count, 5u);
  }

  struct Parts {
    Bytes auth, cdj, sig;
  };
  Parts make(std::uint8_t flags, std::uint32_t count, Bytes cdj = {}) const {
    Parts p;
    p.auth = authr.auth_data(flags, count);
    p.cdj = cdj.empty() ? client_data("webauthn.get", challenge) : std::move(cdj);
    p.sig = authr.sign(p.auth, p.cdj);
    return p;
  }
  Checked<AssertionResult> verify(const Parts& p, const Credential& cred) const {
    return verify_assertion(kRp, challenge, cred,
                            {.credential_id = cred.credential_id,
                             .authenticator_data = p.auth,
                             .client_data_json = p.cdj,
                             .signature = p.sig});
  }
  Checked<AssertionResult> verify(const Parts& p) const { return verify(p, stored); }
};

TEST_F(WebAuthnAssertion, ValidAssertionReturnsTheNewCount) {
  auto r = verify(make(kUp | kUv, 6));
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_EQ(r->sign_count, 6u);
  EXPECT_EQ(r->flags.bits, kUp | kUv);
}

// WebAuthn L3 7.2 step 10: clientData.type is "webauthn.get".
TEST_F(WebAuthnAssertion, WrongTypeRefused) {
  expect_failure(verify(make(kUp | kUv, 6, client_data("webauthn.create", challenge))),
                 Reason::kTypeMismatch, "expected \"webauthn.get\"");
  expect_failure(verify(make(kUp | kUv, 6, client_data("payment.get", challenge))),
                 Reason::kTypeMismatch);
}

// WebAuthn L3 7.2 step 11: the challenge is the one of this request.
TEST_F(WebAuthnAssertion, WrongChallengeRefused) {
  expect_failure(verify(make(kUp | kUv, 6, client_data("webauthn.get", sha256("another request")))),
                 Reason::kChallengeMismatch);
}

// WebAuthn L3 7.2 step 12: the origin is ours.
TEST_F(WebAuthnAssertion, WrongOriginRefused) {
  expect_failure(
      verify(make(kUp | kUv, 6, client_data("webauthn.get", challenge, "https://phish.example"))),
      Reason::kOriginMismatch, "https://phish.example");
}

// WebAuthn L3 7.2 step 13: crossOrigin true is refused.
TEST_F(WebAuthnAssertion, CrossOriginRefused) {
  expect_failure(
      verify(make(kUp | kUv, 6,
                  client_data("webauthn.get", challenge, kRp.origin, {{"crossOrigin", true}}))),
      Reason::kCrossOrigin);
}

// WebAuthn L3 7.2 step 15: rpIdHash.
TEST_F(WebAuthnAssertion, WrongRpIdHashRefused) {
  Parts p;
  p.auth = authr.auth_data(kUp | kUv, 6, std::nullopt, "evil.example");
  p.cdj = client_data("webauthn.get", challenge);
  p.sig = authr.sign(p.auth, p.cdj);
  expect_failure(verify(p), Reason::kRpMismatch);
}

// WebAuthn L3 7.2 steps 16 and 17: UP and UV.
TEST_F(WebAuthnAssertion, UpAndUvRequired) {
  expect_failure(verify(make(kUv, 6)), Reason::kUpMissing);
  expect_failure(verify(make(kUp, 6)), Reason::kUvMissing, "user verification (UV) not set");
}

// WebAuthn L3 7.2 steps 20-21: the signature over authenticatorData || SHA-256(clientData).
TEST_F(WebAuthnAssertion, BadSignatureRefused) {
  // Signed by another key.
  Authenticator other;
  Parts p = make(kUp | kUv, 6);
  p.sig = other.sign(p.auth, p.cdj);
  expect_failure(verify(p), Reason::kBadSignature, "assertion signature");
  // The authenticator data changed after signing (the counter raised).
  p = make(kUp | kUv, 6);
  p.auth[36] = 7;
  expect_failure(verify(p), Reason::kBadSignature);
  // The client data changed after signing (same challenge, an extra member).
  p = make(kUp | kUv, 6);
  const Bytes signed_cdj = p.cdj;
  p.cdj = client_data("webauthn.get", challenge, kRp.origin, {{"extra", 1}});
  expect_failure(verify(p), Reason::kBadSignature);
  // Signed over authenticatorData || clientDataJSON (not its hash).
  p = make(kUp | kUv, 6);
  p.sig = authr.key.signer().value()->sign(concat(p.auth, p.cdj)).value();
  expect_failure(verify(p), Reason::kBadSignature);
  // Not DER; empty.
  p = make(kUp | kUv, 6);
  p.sig = Bytes{0x30, 0x02, 0x02, 0x00};
  expect_failure(verify(p), Reason::kBadSignature);
  p.sig.clear();
  expect_failure(verify(p), Reason::kBadSignature);
}

// WebAuthn L3 6.1.1 / 7.2 step 22: a signCount that does not grow means a possible clone.
TEST_F(WebAuthnAssertion, CounterRegressionRefused) {
  expect_failure(verify(make(kUp | kUv, 5)), Reason::kCounterRegressed,
                 "signCount 5 is not greater than the stored 5");
  expect_failure(verify(make(kUp | kUv, 4)), Reason::kCounterRegressed);
  expect_failure(verify(make(kUp | kUv, 0)), Reason::kCounterRegressed,
                 "signCount 0 is not greater than the stored 5");
  // Both zero: an authenticator without a counter (passkeys on some platforms).
  Credential zero = stored;
  zero.sign_count = 0;
  auto r = verify(make(kUp | kUv, 0), zero);
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_EQ(r->sign_count, 0u);
  // Stored zero, new non-zero: fine.
  EXPECT_TRUE(verify(make(kUp | kUv, 1), zero).has_value());
  // The maximum counter.
  EXPECT_TRUE(verify(make(kUp | kUv, 0xffffffff)).has_value());
}

TEST_F(WebAuthnAssertion, CredentialMustBeTheEnrolledOne) {
  Parts p = make(kUp | kUv, 6);
  auto r = verify_assertion(kRp, challenge, stored,
                            {.credential_id = Bytes(32, 0x11),
                             .authenticator_data = p.auth,
                             .client_data_json = p.cdj,
                             .signature = p.sig});
  expect_failure(r, Reason::kCredentialMismatch);
}

// WebAuthn L3 7.2 step 18: BE is fixed at creation.
TEST_F(WebAuthnAssertion, BackupEligibilityMustNotChange) {
  expect_failure(verify(make(kUp | kUv | Flags::kBe, 6)), Reason::kBackupEligibilityChanged);
  Credential be = stored;
  be.flags.bits |= Flags::kBe;
  expect_failure(verify(make(kUp | kUv, 6), be), Reason::kBackupEligibilityChanged);
  auto r = verify(make(kUp | kUv | Flags::kBe | Flags::kBs, 6), be);
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_TRUE(r->flags.bs());
}

TEST_F(WebAuthnAssertion, MalformedAuthenticatorDataRefused) {
  Parts p = make(kUp | kUv | kAt, 6);
  expect_failure(verify(p), Reason::kMalformed, "attestedCredentialData is truncated");
  p.auth = authr.auth_data(kUp | kUv | kAt, 6, authr.cose_key());
  p.sig = authr.sign(p.auth, p.cdj);
  expect_failure(verify(p), Reason::kMalformed, "carries AT");
  p = make(kUp | kUv, 6);
  p.auth.push_back(0);
  expect_failure(verify(p), Reason::kMalformed, "after its last field");
}

TEST_F(WebAuthnAssertion, SizeLimits) {
  Parts p = make(kUp | kUv, 6);
  p.auth.resize(kMaxAuthenticatorData + 1);
  expect_failure(verify(p), Reason::kTooLarge, "authenticatorData of 1025 bytes");
  p = make(kUp | kUv, 6);
  p.sig.resize(kMaxSignature + 1);
  expect_failure(verify(p), Reason::kTooLarge, "signature");
  p = make(kUp | kUv, 6,
           client_data("webauthn.get", challenge, kRp.origin, {{"p", std::string(4100, 'x')}}));
  expect_failure(verify(p), Reason::kTooLarge, "clientDataJSON of");
}

// Both algorithm families: WebAuthn has no SM2 (COSE registers none), so an SM2 key can never
// be a credential; a stored SM2 key (e.g. a corrupted record) does not verify an ES256
// assertion, even one its own key signed with SM2.
TEST_F(WebAuthnAssertion, Sm2KeyIsNeverACredential) {
  auto sm2 = crypto::PrivateKey::generate({crypto::KeyType::kSm2, 0}).value();
  Credential c = stored;
  c.public_key_spki = sm2.public_key_der();
  Parts p = make(kUp | kUv, 6);
  p.sig = sm2.signer().value()->sign(concat(p.auth, sha256(p.cdj))).value();
  expect_failure(verify(p, c), Reason::kBadSignature);
}

TEST(WebAuthnFailure, IdsAndErrors) {
  EXPECT_EQ(reason_id(Reason::kChallengeMismatch), "webauthn.challenge_mismatch");
  EXPECT_EQ(reason_id(Reason::kUvMissing), "webauthn.uv_missing");
  EXPECT_EQ(reason_id(Reason::kOriginMismatch), "webauthn.origin_mismatch");
  EXPECT_EQ(reason_id(Reason::kRpMismatch), "webauthn.rp_mismatch");
  EXPECT_EQ(reason_id(Reason::kBadSignature), "webauthn.bad_signature");
  EXPECT_EQ(reason_id(Reason::kCounterRegressed), "webauthn.counter_regressed");
  EXPECT_EQ(reason_id(Reason::kMalformed), "webauthn.malformed");
  const Failure f{Reason::kUvMissing, "x"};
  EXPECT_EQ(f.to_string(), "webauthn.uv_missing: x");
  EXPECT_EQ(f.to_error().code(), ErrorCode::kPolicyRefused);
  EXPECT_EQ(f.to_error().detail(), "webauthn.uv_missing: x");
  EXPECT_EQ((Failure{Reason::kMalformed, ""}.to_error().code()), ErrorCode::kMalformed);
  EXPECT_EQ((Failure{Reason::kBadSignature, ""}.to_error().code()), ErrorCode::kBadSignature);
  EXPECT_EQ((Failure{Reason::kTooLarge, ""}.to_error().code()), ErrorCode::kTooLarge);
}

}  // namespace
}  // namespace hpki::cosign::webauthn
