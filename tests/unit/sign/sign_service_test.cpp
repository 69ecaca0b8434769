#include "sign/sign_service.h"
#include "tests/support/test_names.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "crypto/digest.h"
#include "der/writer.h"
#include "tests/support/test_ca.h"
#include "x509/cms.h"
#include "x509/crl.h"
#include "x509/designation.h"
#include "x509/tsp.h"

namespace hpki::sign {
namespace {

using crypto::KeySpec;
using crypto::KeyType;

using testca::Issued;

// A certificate of `profile` for C=CN, CN=`cn` of 示例医院, issued by `ca`.
Issued issue(const testca::Ca& ca, KeySpec spec, const std::string& profile, const std::string& cn,
             TimePoint not_before, std::optional<int> days = {}) {
  x509::SubjectData s = testca::subject(cn);
  s.country = "CN";
  return testca::issue(ca, spec,
                       {.profile = profile,
                        .subject = std::move(s),
                        .not_before = not_before,
                        .validity_days = days});
}

x509::CrlPtr crl_of(const testca::Ca& ca, std::vector<x509::RevokedEntry> revoked) {
  x509::CrlTemplate t;
  t.issuer = ca.cert->subject();
  t.authority_key_id = ca.info.subject_key_id;
  t.this_update = testca::now() - std::chrono::minutes(1);
  t.next_update = testca::now() + std::chrono::hours(24);
  t.crl_number = {0x01};
  t.revoked = std::move(revoked);
  return x509::Crl::parse(x509::build_crl(t, *ca.signer).value()).value();
}

class SignTest : public ::testing::TestWithParam<KeySpec> {
 protected:
  SignTest()
      : root_(testca::make_ca(GetParam(), "sign-root", nullptr)),
        issuing_(testca::make_ca(GetParam(), "sign-issuing", &root_)),
        org_(issue(issuing_, GetParam(), "org-sign", "示例医院 signing",
                   testca::now() - std::chrono::hours(2))),
        tsa_(issue(root_, GetParam(), "tsa", "hpki test TSA",
                   testca::now() - std::chrono::hours(2))) {}

  Result<SignResult> sign_with(const Issued& who, Mode mode, bool ts = false,
                               std::optional<TimePoint> gen_time = {}) {
    SigningIdentity id{who.signer.get(), who.cert, {issuing_.cert}};
    SignRequest r;
    r.mode = mode;
    r.signing_time = testca::now();
    if (ts) r.timestamp = timestamp_fn(gen_time.value_or(testca::now()));
    return sign(data_, id, r);
  }

  // A TSA in process, as `hpki serve` injects it: a TimeStampToken over the message.
  TimestampFn timestamp_fn(TimePoint gen_time) {
    return [this, gen_time](crypto::HashAlg h, BytesView message) -> Result<Bytes> {
      x509::tsp::TstInfo t;
      t.policy = der::Oid::from_string("1.3.6.1.4.1.59999.3161.1").value();
      t.message_imprint = {x509::cms::hash_oid(h), {}, HPKI_TRY(crypto::digest(h, message))};
      t.serial = {0x2A};
      t.gen_time = gen_time;
      return x509::cms::sign(HPKI_TRY(x509::tsp::encode_tst_info(t)), *tsa_.cert, *tsa_.signer,
                             {.content_type = der::oids::kCtTstInfo});
    };
  }

  TrustSettings trust(std::vector<x509::CrlPtr> crls = {}) const {
    TrustSettings t;
    t.anchors = {root_.cert};
    t.crls = std::move(crls);
    t.now = testca::now();
    return t;
  }

  VerifyReport check(BytesView sig, std::optional<BytesView> content = {},
                     const TrustSettings* t = nullptr) const {
    VerifyRequest r;
    r.signature = sig;
    r.content = content;
    const TrustSettings def = trust();
    return verify(r, t != nullptr ? *t : def);
  }

  testca::Ca root_;
  testca::Ca issuing_;
  Issued org_;
  Issued tsa_;
  const Bytes data_ = to_bytes(std::string_view("出院小结 discharge summary 0042"));
};

TEST_P(SignTest, AttachedAndDetached) {
  auto att = sign_with(org_, Mode::kCmsAttached);
  ASSERT_TRUE(att) << att.error().to_string();
  auto r = check(att->output);
  EXPECT_TRUE(r.valid) << verify_report_text(r);
  EXPECT_EQ(r.status, diag::kValid);
  EXPECT_EQ(r.time_source, "now");
  ASSERT_TRUE(r.signing_time);
  ASSERT_TRUE(r.path);
  EXPECT_EQ(r.path->chain.size(), 3U);

  auto det = sign_with(org_, Mode::kCmsDetached);
  ASSERT_TRUE(det);
  EXPECT_TRUE(check(det->output, BytesView(data_)).valid);
  const auto missing = check(det->output);
  EXPECT_FALSE(missing.valid);
  EXPECT_EQ(missing.status, x509::cms::diag::kContentMissing);

  // The JSON rendering names the same ids.
  const auto j = nlohmann::json::parse(verify_report_json(r));
  EXPECT_EQ(j["status"], "valid");
  EXPECT_EQ(j["path"]["status"], "valid");
}

// Issue 20 (PDF ByteRange): a detached CMS made from the content's digest, without signingTime
// (PAdES, ETSI EN 319 142-1 5.2.2), verifies against the content and against a digest function;
// another digest fails; a digest needs kCmsDetached.
TEST_P(SignTest, DetachedFromAPrecomputedDigest) {
  SigningIdentity id{org_.signer.get(), org_.cert, {issuing_.cert}};
  const auto h = crypto::signature_hash(org_.signer->algorithm());
  SignRequest r;
  r.mode = Mode::kCmsDetached;
  r.omit_signing_time = true;
  r.content_digest = crypto::digest(h, data_).value();
  auto det = sign({}, id, r);
  ASSERT_TRUE(det) << det.error().to_string();
  const auto by_content = check(det->output, BytesView(data_));
  EXPECT_TRUE(by_content.valid) << verify_report_text(by_content);
  EXPECT_FALSE(by_content.signing_time);  // no signingTime attribute

  VerifyRequest vr;
  vr.signature = det->output;
  vr.content_digest = [this](crypto::HashAlg alg) { return crypto::digest(alg, data_); };
  EXPECT_TRUE(verify(vr, trust()).valid);
  vr.content_digest = [this](crypto::HashAlg alg) {
    Bytes other = data_;
    other.front() ^= 1;
    return crypto::digest(alg, other);
  };
  const auto bad = verify(vr, trust());
  EXPECT_FALSE(bad.valid);
  EXPECT_EQ(bad.status, x509::cms::diag::kMessageDigestMismatch) << verify_report_text(bad);

  r.mode = Mode::kCmsAttached;
  EXPECT_EQ(sign({}, id, r).error().code(), ErrorCode::kInvalidArgument);
  r.mode = Mode::kCmsDetached;
  r.content_digest = Bytes(3, 0);
  EXPECT_EQ(sign({}, id, r).error().code(), ErrorCode::kInvalidArgument);
}

TEST_P(SignTest, TamperedContent) {
  auto det = sign_with(org_, Mode::kCmsDetached);
  ASSERT_TRUE(det);
  Bytes other = data_;
  other.back() ^= 1;
  const auto r = check(det->output, BytesView(other));
  EXPECT_FALSE(r.valid);
  EXPECT_FALSE(r.signature_valid);
  EXPECT_EQ(r.status, x509::cms::diag::kMessageDigestMismatch) << verify_report_text(r);
}

TEST_P(SignTest, WrongSigner) {
  // A signer of another hierarchy: the signature is fine, the path is not.
  auto other_root = testca::make_ca(GetParam(), "other-root", nullptr);
  auto stranger =
      issue(other_root, GetParam(), "org-sign", "stranger", testca::now() - std::chrono::hours(1));
  SigningIdentity id{stranger.signer.get(), stranger.cert, {}};
  auto s = sign(data_, id, {.mode = Mode::kCmsAttached, .signing_time = testca::now()});
  ASSERT_TRUE(s);
  const auto r = check(s->output);
  EXPECT_TRUE(r.signature_valid);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.status, x509::diag::kNoPath) << verify_report_text(r);
  // A key that is not the certificate's is refused at signing.
  SigningIdentity bad{stranger.signer.get(), org_.cert, {}};
  EXPECT_EQ(sign(data_, bad, {}).error().code(), ErrorCode::kKeyMismatch);
}

TEST_P(SignTest, RevokedBeforeSigningTime) {
  auto s = sign_with(org_, Mode::kCmsAttached);
  ASSERT_TRUE(s);
  x509::RevokedEntry e{org_.cert->serial(),
                       testca::now() - std::chrono::minutes(30),
                       x509::RevocationReason::kKeyCompromise,
                       std::nullopt,
                       {}};
  auto t = trust({crl_of(root_, {}), crl_of(issuing_, {e})});
  t.intermediates = {issuing_.cert};
  const auto r = check(s->output, {}, &t);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.status, x509::diag::kRevoked) << verify_report_text(r);
  // The same CRL without the entry: good, with a status for every certificate.
  auto good = trust({crl_of(root_, {}), crl_of(issuing_, {})});
  const auto g = check(s->output, {}, &good);
  EXPECT_TRUE(g.valid) << verify_report_text(g);
  EXPECT_EQ(g.path->chain[0].revocation, x509::RevocationStatus::kGood);
}

TEST_P(SignTest, SignatureCacheKeepsEveryAnswer) {
  // A service's cache (TrustSettings::signature_cache) remembers checked certificate and CRL
  // signatures: later verifications reuse them, and every answer stays what it is without it.
  const crypto::SignatureCache cache;
  auto s = sign_with(org_, Mode::kCmsAttached);
  ASSERT_TRUE(s);
  auto good = trust({crl_of(root_, {}), crl_of(issuing_, {})});
  good.intermediates = {issuing_.cert};
  good.signature_cache = &cache;
  x509::RevokedEntry e{org_.cert->serial(),
                       testca::now() - std::chrono::minutes(30),
                       x509::RevocationReason::kKeyCompromise,
                       std::nullopt,
                       {}};
  auto revoked = trust({crl_of(root_, {}), crl_of(issuing_, {e})});
  revoked.intermediates = {issuing_.cert};
  revoked.signature_cache = &cache;
  Bytes tampered = s->output;
  tampered[tampered.size() - 10] ^= 1;  // inside the signature value
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    const auto g = check(s->output, {}, &good);
    EXPECT_TRUE(g.valid) << verify_report_text(g);
    const auto r = check(s->output, {}, &revoked);
    EXPECT_FALSE(r.valid);
    EXPECT_EQ(r.status, x509::diag::kRevoked) << verify_report_text(r);
    const auto t = check(tampered, {}, &good);
    EXPECT_FALSE(t.valid);
    EXPECT_FALSE(t.signature_valid);
  }
  // From the second round on, the chain's and the CRLs' signatures came from the cache.
  EXPECT_GE(cache.stats().hits, 8u);
  // A CRL signed by another key is still refused with the cache.
  auto stranger = testca::make_ca(GetParam(), "sign-issuing", nullptr);
  auto forged = trust({crl_of(root_, {}), crl_of(stranger, {})});
  forged.intermediates = {issuing_.cert};
  forged.signature_cache = &cache;
  const auto f = check(s->output, {}, &forged);
  EXPECT_FALSE(f.valid) << verify_report_text(f);
}

TEST_P(SignTest, CadesTAndRevokedAfterSigning) {
  const TimePoint signed_at = testca::now() - std::chrono::minutes(20);
  auto s = sign_with(org_, Mode::kCmsAttached, true, signed_at);
  ASSERT_TRUE(s) << s.error().to_string();
  ASSERT_TRUE(s->timestamp_time);
  const auto sd = x509::cms::parse_signed_data(s->output).value();
  ASSERT_NE(sd.signers[0].find_unsigned(der::oids::kAaTimeStampToken), nullptr);

  auto r = check(s->output);
  EXPECT_TRUE(r.valid) << verify_report_text(r);
  ASSERT_TRUE(r.timestamp);
  EXPECT_TRUE(r.timestamp->valid);
  EXPECT_EQ(r.time_source, "timestamp");
  EXPECT_EQ(r.validation_time, signed_at);

  // Revoked 10 minutes ago, after the timestamped signing time: still valid, with a note.
  x509::RevokedEntry later{org_.cert->serial(),
                           testca::now() - std::chrono::minutes(10),
                           x509::RevocationReason::kSuperseded,
                           std::nullopt,
                           {}};
  auto t = trust({crl_of(root_, {}), crl_of(issuing_, {later})});
  const auto after = check(s->output, {}, &t);
  EXPECT_TRUE(after.valid) << verify_report_text(after);
  ASSERT_EQ(after.notes.size(), 1U);
  EXPECT_EQ(after.notes[0].id, diag::kRevokedAfterSigning);
  // An invalidity date before the signing time makes it revoked again.
  later.invalidity_date = signed_at - std::chrono::minutes(5);
  auto t2 = trust({crl_of(root_, {}), crl_of(issuing_, {later})});
  EXPECT_EQ(check(s->output, {}, &t2).status, x509::diag::kRevoked);

  // A token from a TSA of another hierarchy: the timestamp is invalid, and so is the report.
  auto other_root = testca::make_ca(GetParam(), "tsa-elsewhere", nullptr);
  tsa_ = issue(other_root, GetParam(), "tsa", "foreign TSA", testca::now() - std::chrono::hours(1));
  auto foreign = sign_with(org_, Mode::kCmsAttached, true);
  ASSERT_TRUE(foreign) << foreign.error().to_string();
  const auto f = check(foreign->output);
  EXPECT_FALSE(f.valid);
  EXPECT_TRUE(f.signature_valid);
  ASSERT_TRUE(f.timestamp);
  EXPECT_FALSE(f.timestamp->valid);
  EXPECT_EQ(f.time_source, "now");
  EXPECT_EQ(f.status, f.timestamp->status) << verify_report_text(f);
}

// Issue 16: a signer revoked for keyCompromise signs afterwards and adds a back-dated token
// from a TSA certificate of the hierarchy that the CA did not designate. By RFC 3161 alone the
// token's genTime (before the revocation) becomes the signing time and the signature verifies;
// with TrustSettings::designation the timestamp is not accepted (tsp.tsa_not_designated), the
// signature is judged now, and the signer is revoked.
TEST_P(SignTest, BackdatedTokenFromUndesignatedTsa) {
  const TimePoint revoked_at = testca::now() - std::chrono::minutes(30);
  x509::RevokedEntry e{
      org_.cert->serial(), revoked_at, x509::RevocationReason::kKeyCompromise, std::nullopt, {}};
  auto s = sign_with(org_, Mode::kCmsAttached, true, revoked_at - std::chrono::minutes(20));
  ASSERT_TRUE(s) << s.error().to_string();
  auto t = trust({crl_of(root_, {}), crl_of(issuing_, {e})});
  t.intermediates = {issuing_.cert};

  const auto rfc = check(s->output, {}, &t);
  EXPECT_TRUE(rfc.valid) << verify_report_text(rfc);
  EXPECT_EQ(rfc.time_source, "timestamp");

  // The CA designated another TSA certificate.
  auto designated =
      issue(root_, GetParam(), "tsa", "designated TSA", testca::now() - std::chrono::hours(2));
  x509::DesignationList list;
  list.designate(root_.cert, x509::TrustService::kTimeStamping, {designated.cert});
  t.designation = &list;
  const auto r = check(s->output, {}, &t);
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(r.signature_valid);
  ASSERT_TRUE(r.timestamp);
  EXPECT_FALSE(r.timestamp->valid);
  EXPECT_EQ(r.timestamp->status, x509::tsp::diag::kTsaNotDesignated) << verify_report_text(r);
  EXPECT_FALSE(r.timestamp->gen_time);
  EXPECT_EQ(r.time_source, "now");
  EXPECT_EQ(r.status, x509::diag::kRevoked) << verify_report_text(r);
  const auto json = nlohmann::json::parse(verify_report_json(r));
  EXPECT_EQ(json["timestamp"]["status"], "tsp.tsa_not_designated");

  // The same token from a designated TSA is trusted: revoked only after the signing time.
  list.designate(root_.cert, x509::TrustService::kTimeStamping, {tsa_.cert});
  const auto ok = check(s->output, {}, &t);
  EXPECT_TRUE(ok.valid) << verify_report_text(ok);
  EXPECT_EQ(ok.time_source, "timestamp");
}

TEST_P(SignTest, TimestampOverOtherDataRefused) {
  SigningIdentity id{org_.signer.get(), org_.cert, {}};
  SignRequest req;
  req.timestamp = [&](crypto::HashAlg h, BytesView) {
    return timestamp_fn(testca::now())(h, BytesView(data_));
  };
  auto s = sign(data_, id, req);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().detail().find("tsp.imprint_mismatch"), std::string::npos);
}

TEST_P(SignTest, ExpiredSigner) {
  auto old = issue(issuing_, GetParam(), "org-sign", "expired",
                   testca::now() - std::chrono::hours(24 * 3), 1);
  SigningIdentity id{old.signer.get(), old.cert, {issuing_.cert}};
  auto s = sign(data_, id, {.mode = Mode::kCmsAttached, .signing_time = testca::now()});
  ASSERT_TRUE(s);
  const auto r = check(s->output);
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(r.signature_valid);
  EXPECT_EQ(r.status, x509::diag::kNotAfterPassed) << verify_report_text(r);
  // The path is validated at the trusted time: a token from before the CAs existed puts the
  // validation time before their notBefore.
  tsa_ = issue(root_, GetParam(), "tsa", "old TSA", testca::now() - std::chrono::hours(24 * 5));
  auto s2 = sign(data_, id,
                 {.mode = Mode::kCmsAttached,
                  .signing_time = testca::now(),
                  .timestamp = timestamp_fn(testca::now() - std::chrono::hours(60))});
  ASSERT_TRUE(s2) << s2.error().to_string();
  const auto r2 = check(s2->output);
  EXPECT_EQ(r2.time_source, "timestamp");
  EXPECT_EQ(r2.status, x509::diag::kNotYetValid) << verify_report_text(r2);
}

TEST_P(SignTest, RawSignature) {
  auto s = sign_with(org_, Mode::kRaw);
  ASSERT_TRUE(s);
  VerifyRequest req{.mode = Mode::kRaw,
                    .signature = s->output,
                    .content = BytesView(data_),
                    .signer_certificate = org_.cert};
  auto t = trust();
  t.intermediates = {issuing_.cert};
  auto r = verify(req, t);
  EXPECT_TRUE(r.valid) << verify_report_text(r);
  Bytes other = data_;
  other[0] ^= 1;
  req.content = BytesView(other);
  r = verify(req, t);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.status, diag::kRawSignatureInvalid);
  EXPECT_FALSE(sign_with(org_, Mode::kRaw, true));  // no timestamp on a raw signature
}

TEST_P(SignTest, Gmt0010) {
  SigningIdentity id{org_.signer.get(), org_.cert, {issuing_.cert}};
  auto s = sign(data_, id, {.mode = Mode::kCmsAttached, .gmt0010 = true});
  ASSERT_TRUE(s);
  const auto r = check(s->output);
  EXPECT_TRUE(r.valid) << verify_report_text(r);
  EXPECT_EQ(r.oid_style, "gmt0010");
}

INSTANTIATE_TEST_SUITE_P(Families, SignTest,
                         ::testing::Values(KeySpec{KeyType::kRsa, 2048},
                                           KeySpec{KeyType::kEcP256, 0}, KeySpec{KeyType::kSm2, 0}),
                         [](const auto& param_info) {
                           return std::string(param_info.param.type == KeyType::kRsa   ? "rsa"
                                              : param_info.param.type == KeyType::kSm2 ? "sm2"
                                                                                       : "p256");
                         });

// SM2: signed with another distinguishing ID, the CMS does not verify (hpki uses the GM/T 0009
// default ID); neither does changed content.
TEST(SignSm2, OtherIdOrContentFails) {
  const KeySpec sm2{KeyType::kSm2, 0};
  auto root = testca::make_ca(sm2, "sm2-root", nullptr);
  auto good = issue(root, sm2, "org-sign", "sm2 org", testca::now() - std::chrono::hours(1));
  const Bytes data = to_bytes(std::string_view("处方 prescription"));
  TrustSettings t{.anchors = {root.cert}, .intermediates = {}, .crls = {}, .now = testca::now()};
  SigningIdentity id{good.signer.get(), good.cert, {}};
  auto ok = sign(data, id, {.mode = Mode::kCmsDetached});
  ASSERT_TRUE(ok);
  EXPECT_TRUE(
      verify({.mode = Mode::kCmsDetached, .signature = ok->output, .content = data}, t).valid);
  const Bytes changed = to_bytes(std::string_view("处方 prescriptioN"));
  EXPECT_EQ(
      verify({.mode = Mode::kCmsDetached, .signature = ok->output, .content = changed}, t).status,
      x509::cms::diag::kMessageDigestMismatch);

  auto other_signer = good.key.signer(std::nullopt, "another-id-0001").value();
  SigningIdentity other{other_signer.get(), good.cert, {}};
  auto bad = sign(data, other, {.mode = Mode::kCmsDetached});
  ASSERT_TRUE(bad);
  const auto r = verify({.mode = Mode::kCmsDetached, .signature = bad->output, .content = data}, t);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.status, x509::cms::diag::kSignatureInvalid) << verify_report_text(r);
}

}  // namespace
}  // namespace hpki::sign
