// Real WebAuthn responses from Chromium's virtual authenticator (CTAP2, user verification),
// captured by tests/vectors/cosign/capture_webauthn.mjs into webauthn_chromium.json
// (tests/vectors/README.md): hpki accepts them, and refuses them for another challenge,
// origin or RP ID, out of order, or under another credential.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "core/encoding.h"
#include "cosign/webauthn.h"
#include "crypto/digest.h"

namespace hpki::cosign::webauthn {
namespace {

class WebAuthnChromium : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(HPKI_SOURCE_DIR "/tests/vectors/cosign/webauthn_chromium.json");
    ASSERT_TRUE(in.good());
    doc = nlohmann::json::parse(in);
    rp = RelyingParty{.rp_id = doc.at("rp_id").get<std::string>(),
                      .origin = doc.at("origin").get<std::string>()};
  }
  Bytes b64(const nlohmann::json& j, const char* key) const {
    auto r = base64_decode(j.at(key).get<std::string>());
    EXPECT_TRUE(r.has_value()) << key;
    return r.value_or(Bytes{});
  }
  Checked<Credential> register_(const char* which, const RelyingParty& with,
                                const Bytes* challenge = nullptr) const {
    const auto& r = doc.at(which);
    const Bytes att = b64(r, "attestation_object");
    const Bytes cdj = b64(r, "client_data_json");
    const Bytes id = b64(r, "credential_id");
    const Bytes chal = challenge ? *challenge : b64(r, "challenge");
    return verify_registration(
        with, chal, {.attestation_object = att, .client_data_json = cdj, .credential_id = id});
  }
  Checked<AssertionResult> assert_(std::size_t i, const Credential& cred, const RelyingParty& with,
                                   const Bytes* challenge = nullptr) const {
    const auto& a = doc.at("assertions").at(i);
    const Bytes chal = challenge ? *challenge : b64(a, "challenge");
    const Bytes id = b64(a, "credential_id");
    const Bytes auth = b64(a, "authenticator_data");
    const Bytes cdj = b64(a, "client_data_json");
    const Bytes sig = b64(a, "signature");
    return verify_assertion(with, chal, cred,
                            {.credential_id = id,
                             .authenticator_data = auth,
                             .client_data_json = cdj,
                             .signature = sig});
  }

  nlohmann::json doc;
  RelyingParty rp;
};

TEST_F(WebAuthnChromium, RegistrationAndAssertionsVerify) {
  auto cred = register_("registration", rp);
  ASSERT_TRUE(cred.has_value()) << cred.error().to_string();
  EXPECT_EQ(cred->attestation_format, "none");
  EXPECT_EQ(cred->credential_id, b64(doc.at("registration"), "credential_id"));
  EXPECT_TRUE(cred->flags.up());
  EXPECT_TRUE(cred->flags.uv());
  EXPECT_TRUE(cred->flags.at());
  EXPECT_EQ(cred->public_key_spki.size(), 91u);  // a P-256 SubjectPublicKeyInfo

  // The assertions in the order they were made: each counter greater than the last.
  Credential stored = *cred;
  for (std::size_t i = 0; i < doc.at("assertions").size(); ++i) {
    auto r = assert_(i, stored, rp);
    ASSERT_TRUE(r.has_value()) << "assertion " << i << ": " << r.error().to_string();
    EXPECT_GT(r->sign_count, stored.sign_count);
    EXPECT_TRUE(r->flags.uv());
    stored.sign_count = r->sign_count;
  }
  // Replaying the first assertion after the second: the counter went backwards.
  auto replay = assert_(0, stored, rp);
  ASSERT_FALSE(replay.has_value());
  EXPECT_EQ(replay.error().reason, Reason::kCounterRegressed) << replay.error().to_string();
}

// "direct" conveyance: Chromium's packed attestation with its batch certificate (x5c), which
// hpki accepts without checking the chain (webauthn.h).
TEST_F(WebAuthnChromium, PackedFullAttestationAccepted) {
  auto cred = register_("registration_direct", rp);
  ASSERT_TRUE(cred.has_value()) << cred.error().to_string();
  EXPECT_EQ(cred->attestation_format, "packed");
  // Its key is not the one of the first registration: the assertions do not verify under it.
  Credential other = *cred;
  other.credential_id = b64(doc.at("registration"), "credential_id");
  auto r = assert_(0, other, rp);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().reason, Reason::kBadSignature) << r.error().to_string();
  // And by id the assertions are not for it.
  auto m = assert_(0, *cred, rp);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().reason, Reason::kCredentialMismatch);
}

// WebAuthn L3 7.1 step 8 / 7.2 step 11: another challenge.
TEST_F(WebAuthnChromium, OtherChallengeRefused) {
  const Bytes other = crypto::digest(crypto::HashAlg::kSha256, as_bytes("other")).value();
  auto reg = register_("registration", rp, &other);
  ASSERT_FALSE(reg.has_value());
  EXPECT_EQ(reg.error().reason, Reason::kChallengeMismatch);

  auto cred = register_("registration", rp);
  ASSERT_TRUE(cred.has_value());
  // The second assertion's challenge for the first assertion.
  const Bytes second = b64(doc.at("assertions").at(1), "challenge");
  auto a = assert_(0, *cred, rp, &second);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().reason, Reason::kChallengeMismatch);
}

// WebAuthn L3 7.1 step 9 / 7.2 step 12: another origin (another port of localhost, https).
TEST_F(WebAuthnChromium, OtherOriginRefused) {
  auto cred = register_("registration", rp);
  ASSERT_TRUE(cred.has_value());
  for (const std::string& o :
       {std::string("https://localhost"), std::string("http://localhost"), rp.origin + "/"}) {
    const RelyingParty wrong{.rp_id = rp.rp_id, .origin = o};
    auto reg = register_("registration", wrong);
    ASSERT_FALSE(reg.has_value()) << o;
    EXPECT_EQ(reg.error().reason, Reason::kOriginMismatch) << o;
    auto a = assert_(0, *cred, wrong);
    ASSERT_FALSE(a.has_value()) << o;
    EXPECT_EQ(a.error().reason, Reason::kOriginMismatch) << o;
  }
}

// WebAuthn L3 7.1 step 13 / 7.2 step 15: another RP ID.
TEST_F(WebAuthnChromium, OtherRpIdRefused) {
  auto cred = register_("registration", rp);
  ASSERT_TRUE(cred.has_value());
  const RelyingParty wrong{.rp_id = "hospital.example", .origin = rp.origin};
  auto reg = register_("registration", wrong);
  ASSERT_FALSE(reg.has_value());
  EXPECT_EQ(reg.error().reason, Reason::kRpMismatch);
  auto a = assert_(1, *cred, wrong);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().reason, Reason::kRpMismatch);
}

// A registration response is not an assertion and vice versa (clientData.type).
TEST_F(WebAuthnChromium, CeremoniesAreNotInterchangeable) {
  auto cred = register_("registration", rp);
  ASSERT_TRUE(cred.has_value());
  const auto& r = doc.at("registration");
  const Bytes cdj = b64(r, "client_data_json");
  const Bytes chal = b64(r, "challenge");
  const Bytes auth = b64(doc.at("assertions").at(0), "authenticator_data");
  const Bytes sig = b64(doc.at("assertions").at(0), "signature");
  auto a = verify_assertion(rp, chal, *cred,
                            {.credential_id = cred->credential_id,
                             .authenticator_data = auth,
                             .client_data_json = cdj,
                             .signature = sig});
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().reason, Reason::kTypeMismatch);
}

}  // namespace
}  // namespace hpki::cosign::webauthn
