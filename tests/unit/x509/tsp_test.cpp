// RFC 3161 structures (x509/tsp.h): requests from the openssl CLI, TSTInfo and TimeStampResp
// round trips, strictness, and token verification with TSAs built directly from the builder
// (RSA, ECDSA P-256, SM2), cross-checked with `openssl ts -verify` for RSA and ECDSA.
#include <gtest/gtest.h>

#include "core/pem.h"
#include "crypto/digest.h"
#include "der/oids.h"
#include "der/writer.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_names.h"
#include "tests/support/test_util.h"
#include "x509/cms.h"
#include "x509/designation.h"
#include "x509/tsp.h"

namespace hpki::x509 {
namespace {

using crypto::KeySpec;
using crypto::KeyType;
using tsp::FailureInfo;
using tsp::PkiStatus;

const der::Oid kPolicy = der::Oid::literal("1.2.156.9999.1");

TEST(TspRequest, ParsesOpensslQueries) {
  test::TempDir dir;
  const auto data = dir.file("d.txt");
  test::write_file(data, std::string_view("hello"));
  auto r = test::run("openssl ts -query -data " + data + " -sha256 -cert -tspolicy 1.2.3.4 -out " +
                     dir.file("q.tsq"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto q = tsp::parse_request(test::read_file(dir.file("q.tsq")));
  ASSERT_TRUE(q) << q.error().to_string();
  EXPECT_EQ(q->version, 1);
  EXPECT_EQ(q->message_imprint.hash_algorithm, der::oids::kSha256);
  EXPECT_EQ(q->message_imprint.hashed_message,
            crypto::digest(crypto::HashAlg::kSha256, to_bytes(std::string_view("hello"))).value());
  EXPECT_EQ(q->req_policy, der::Oid::literal("1.2.3.4"));
  EXPECT_TRUE(q->nonce.has_value());
  EXPECT_TRUE(q->cert_req);
  // Re-encoding gives the same bytes.
  EXPECT_EQ(tsp::encode_request(*q).value(), test::read_file(dir.file("q.tsq")));

  r = test::run("openssl ts -query -data " + data + " -sm3 -no_nonce -out " + dir.file("s.tsq"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  q = tsp::parse_request(test::read_file(dir.file("s.tsq")));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->message_imprint.hash_algorithm, der::oids::kSm3);
  EXPECT_FALSE(q->nonce.has_value());
  EXPECT_FALSE(q->cert_req);
}

TEST(TspRequest, Strictness) {
  tsp::TimeStampReq req;
  req.message_imprint = {der::oids::kSha256, {}, Bytes(32, 0xAB)};
  auto good = tsp::encode_request(req).value();
  EXPECT_TRUE(tsp::parse_request(good));
  // Truncated, trailing data, too large.
  EXPECT_EQ(tsp::parse_request(BytesView(good).first(good.size() - 1)).error().code(),
            ErrorCode::kMalformed);
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(tsp::parse_request(trailing).error().code(), ErrorCode::kTrailingData);
  EXPECT_EQ(tsp::parse_request(Bytes(tsp::kMaxRequestSize + 1, 0x30)).error().code(),
            ErrorCode::kTooLarge);
  EXPECT_FALSE(tsp::parse_request({}));
  // Version 2 is unsupported.
  req.version = 2;
  EXPECT_EQ(tsp::parse_request(tsp::encode_request(req).value()).error().code(),
            ErrorCode::kUnsupported);
  // X.690 11.5: certReq FALSE must not be encoded.
  der::Writer w;
  w.add_sequence([&](der::Writer& s) {
    s.add_integer(1);
    s.add_sequence([&](der::Writer& m) {
      m.add_sequence([](der::Writer& a) { a.add_oid(der::oids::kSha256); });
      m.add_octet_string(Bytes(32, 1));
    });
    s.add_boolean(false);
  });
  EXPECT_FALSE(tsp::parse_request(w.view()));
}

TEST(TspTstInfo, RoundTrip) {
  tsp::TstInfo t;
  t.policy = kPolicy;
  t.message_imprint = {der::oids::kSm3, {}, Bytes(32, 0x5A)};
  t.serial = {0x01, 0x00};
  t.gen_time =
      TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 11 / 27)) + std::chrono::hours(10);
  t.accuracy = tsp::Accuracy{.seconds = 1, .millis = 500, .micros = 0};
  t.nonce = Bytes{0x12, 0x34};
  der::Writer gn;
  gn.add_explicit(4, [](der::Writer& n) { n.add_sequence([](der::Writer&) {}); });
  t.tsa_name = gn.take();
  auto der = tsp::encode_tst_info(t).value();
  auto p = tsp::parse_tst_info(der);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->policy, kPolicy);
  EXPECT_EQ(p->message_imprint, t.message_imprint);
  EXPECT_EQ(p->serial, t.serial);
  EXPECT_EQ(p->gen_time, t.gen_time);
  EXPECT_EQ(p->accuracy, t.accuracy);
  EXPECT_FALSE(p->ordering);
  EXPECT_EQ(p->nonce, t.nonce);
  EXPECT_EQ(p->tsa_name, t.tsa_name);
  EXPECT_EQ(tsp::serial_value(*p).value(), 256);
  // Out-of-range accuracy is refused when building.
  t.accuracy->millis = 1000;
  EXPECT_FALSE(tsp::encode_tst_info(t));
}

TEST(TspTstInfo, FractionalGenTime) {
  // RFC 3161 2.4.2: genTime may carry a fraction without trailing zeros.
  auto build = [](std::string_view time) {
    der::Writer w;
    w.add_sequence([&](der::Writer& s) {
      s.add_integer(1);
      s.add_oid(kPolicy);
      s.add_sequence([](der::Writer& m) {
        m.add_sequence([](der::Writer& a) { a.add_oid(der::oids::kSha256); });
        m.add_octet_string(Bytes(32, 1));
      });
      s.add_integer(7);
      s.add_element(der::kGeneralizedTime, to_bytes(time));
    });
    return w.take();
  };
  auto p = tsp::parse_tst_info(build("20261127100000.25Z"));
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->gen_time.time_since_epoch() % std::chrono::seconds(1),
            std::chrono::milliseconds(250));
  EXPECT_FALSE(tsp::parse_tst_info(build("20261127100000.250Z")));
  EXPECT_FALSE(tsp::parse_tst_info(build("20261127100000.Z")));
}

TEST(TspTstInfo, GenTimeBeyondTheTimePointRangeSaturates) {
  // GeneralizedTime reaches 9999, a TimePoint 2262: a later genTime is TimePoint::max() (it
  // overflowed, undefined behaviour), with or without a fraction of a second.
  auto build = [](std::string_view time) {
    der::Writer w;
    w.add_sequence([&](der::Writer& s) {
      s.add_integer(1);
      s.add_oid(kPolicy);
      s.add_sequence([](der::Writer& m) {
        m.add_sequence([](der::Writer& a) { a.add_oid(der::oids::kSm3); });
        m.add_octet_string(Bytes(32, 1));
      });
      s.add_integer(7);
      s.add_element(der::kGeneralizedTime, to_bytes(time));
    });
    return w.take();
  };
  for (const auto* time : {"30170302000000Z", "30170302000000.5Z", "99991231235959.999999999Z"}) {
    auto p = tsp::parse_tst_info(build(time));
    ASSERT_TRUE(p) << time << ": " << p.error().to_string();
    EXPECT_EQ(p->gen_time, TimePoint::max()) << time;
  }
}

TEST(TspResponse, RejectionRoundTripAndOpensslReadsIt) {
  auto der = tsp::encode_response({.status = PkiStatus::kRejection,
                                   .status_string = "unsupported hash",
                                   .fail_info = FailureInfo::kBadAlg,
                                   .token = std::nullopt});
  auto p = tsp::parse_response(der);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, PkiStatus::kRejection);
  EXPECT_EQ(p->fail_info, FailureInfo::kBadAlg);
  EXPECT_EQ(p->status_string, "unsupported hash");
  EXPECT_FALSE(p->token);
  for (auto f :
       {FailureInfo::kBadRequest, FailureInfo::kBadDataFormat, FailureInfo::kTimeNotAvailable,
        FailureInfo::kUnacceptedPolicy, FailureInfo::kSystemFailure}) {
    auto d = tsp::encode_response({.status = PkiStatus::kRejection,
                                   .status_string = std::nullopt,
                                   .fail_info = f,
                                   .token = std::nullopt});
    EXPECT_EQ(tsp::parse_response(d).value().fail_info, f) << tsp::to_string(f);
  }
  test::TempDir dir;
  test::write_file(dir.file("r.tsr"), der);
  auto r = test::run("openssl ts -reply -in " + dir.file("r.tsr") + " -text");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Rejected"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("unrecognized or unsupported algorithm"), std::string::npos) << r.output;
}

// A TSA built directly from the builder (root -> TSA certificate with the "tsa" profile).
class TokenTest : public ::testing::TestWithParam<KeySpec> {
 protected:
  TokenTest()
      : root_(testca::make_ca(GetParam(), "tsp", nullptr)),
        key_(crypto::PrivateKey::generate(GetParam()).value()) {}
  void SetUp() override {
    crypto::SystemRandom rnd;
    IssueParams p;
    p.permitted_names = &hpki::x509::kAnyNameForTests;
    p.profile = &testca::profiles().at("tsa");
    p.subject = testca::subject("hpki test TSA");
    p.subject_spki = key_.public_key_der();
    p.serial = generate_serial(rnd).value();
    p.not_before = testca::now() - std::chrono::hours(1);
    p.issuer = &root_.info;
    auto issued = issue_certificate(p, BuildSettings{}, *root_.signer, root_.cert.get());
    ASSERT_TRUE(issued) << issued.error().to_string();
    tsa_ = Certificate::parse(issued->der).value();
    signer_ = key_.signer().value();
  }

  // A granted TimeStampResp for `data`, signed the way the TSA service does it.
  Bytes token_for(BytesView data, std::optional<Bytes> nonce, bool certs) {
    const auto h =
        GetParam().type == KeyType::kSm2 ? crypto::HashAlg::kSm3 : crypto::HashAlg::kSha256;
    tsp::TstInfo t;
    t.policy = kPolicy;
    t.message_imprint = {cms::hash_oid(h), {}, crypto::digest(h, data).value()};
    t.serial = {0x2A};
    t.gen_time = testca::now();
    t.accuracy = tsp::Accuracy{.seconds = 1};
    t.nonce = std::move(nonce);
    der::Writer gn;
    (void)gn.add_explicit(4, [&](der::Writer& w) { return w.add_raw(tsa_->subject().der); });
    t.tsa_name = gn.take();
    auto ci =
        cms::sign(tsp::encode_tst_info(t).value(), *tsa_, *signer_,
                  {.content_type = der::oids::kCtTstInfo, .include_signer_certificate = certs})
            .value();
    return tsp::encode_response({.status = PkiStatus::kGranted,
                                 .status_string = std::nullopt,
                                 .fail_info = std::nullopt,
                                 .token = ci});
  }

  testca::Ca root_;
  crypto::PrivateKey key_;
  CertificatePtr tsa_;
  std::unique_ptr<crypto::Signer> signer_;
  test::TempDir dir_;
  const Bytes data_ = to_bytes(std::string_view("lab report 7"));
};

TEST_P(TokenTest, VerifiesAndRejects) {
  auto resp = token_for(data_, Bytes{0x01, 0x02, 0x03}, true);
  tsp::TokenVerifyOptions o{.data = BytesView(data_), .trust_anchors = {root_.cert}};
  auto v = tsp::verify_token(resp, o);
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->info.policy, kPolicy);
  EXPECT_EQ(v->chain.size(), 2u);
  EXPECT_EQ(v->tsa->der(), tsa_->der());
  // The bare token (ContentInfo) verifies too.
  auto token = tsp::parse_response(resp).value().token.value();
  EXPECT_TRUE(tsp::verify_token(token, o));
  // Wrong data, wrong nonce, wrong anchor.
  const Bytes other = to_bytes(std::string_view("lab report 8"));
  auto bad = tsp::verify_token(resp, {.data = BytesView(other), .trust_anchors = {root_.cert}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail().find(tsp::diag::kImprintMismatch), std::string::npos);
  auto o2 = o;
  o2.nonce = Bytes{0x01, 0x02, 0x04};
  bad = tsp::verify_token(resp, o2);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail().find(tsp::diag::kNonceMismatch), std::string::npos);
  auto stranger = testca::make_ca(GetParam(), "stranger", nullptr);
  bad = tsp::verify_token(resp, {.data = BytesView(data_), .trust_anchors = {stranger.cert}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail().find(tsp::diag::kChain), std::string::npos);
  // Without embedded certificates the TSA certificate must be given.
  auto bare = token_for(data_, std::nullopt, false);
  bad = tsp::verify_token(bare, o);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail().find(cms::diag::kSignerNotFound), std::string::npos);
  auto o3 = o;
  o3.untrusted = {tsa_};
  EXPECT_TRUE(tsp::verify_token(bare, o3));
  // A rejection is not a token.
  auto rej = tsp::encode_response({.status = PkiStatus::kRejection,
                                   .status_string = std::nullopt,
                                   .fail_info = FailureInfo::kBadAlg,
                                   .token = std::nullopt});
  bad = tsp::verify_token(rej, o);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail().find(tsp::diag::kNotGranted), std::string::npos);
}

// RFC 3161 2.3: a signer certificate without the critical timeStamping EKU is refused.
TEST_P(TokenTest, SignerMustBeATsa) {
  auto leaf_key = crypto::PrivateKey::generate(GetParam()).value();
  crypto::SystemRandom rnd;
  IssueParams p;
  p.permitted_names = &hpki::x509::kAnyNameForTests;
  p.profile = &testca::profiles().at("device");
  p.subject = testca::subject("not-a-tsa.example.cn");
  p.subject.dns_names = {"not-a-tsa.example.cn"};
  p.subject_spki = leaf_key.public_key_der();
  p.serial = generate_serial(rnd).value();
  p.not_before = testca::now() - std::chrono::hours(1);
  p.issuer = &root_.info;
  tsa_ = Certificate::parse(
             issue_certificate(p, BuildSettings{}, *root_.signer, root_.cert.get()).value().der)
             .value();
  signer_ = leaf_key.signer().value();
  auto v = tsp::verify_token(token_for(data_, std::nullopt, true),
                             {.data = BytesView(data_), .trust_anchors = {root_.cert}});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().detail().find(tsp::diag::kTsaCertificate), std::string::npos);
}

// Issue 16: a TSA certificate (critical timeStamping EKU, chains to the anchor: valid by RFC
// 3161) whose CA is known to TokenVerifyOptions::designation but did not designate it is
// refused with tsp.tsa_not_designated; designated ones, CAs the source does not know and a TSA
// certificate that is itself the trust anchor keep the RFC 3161 rules.
TEST_P(TokenTest, UndesignatedTsaRefused) {
  const auto resp = token_for(data_, std::nullopt, true);
  tsp::TokenVerifyOptions o{.data = BytesView(data_), .trust_anchors = {root_.cert}};
  ASSERT_TRUE(tsp::verify_token(resp, o));  // RFC 3161 alone

  // The CA designated another TSA certificate (same profile, same CA).
  crypto::SystemRandom rnd;
  auto other_key = crypto::PrivateKey::generate(GetParam()).value();
  IssueParams p;
  p.profile = &testca::profiles().at("tsa");
  p.subject = testca::subject("hpki designated TSA");
  p.subject_spki = other_key.public_key_der();
  p.serial = generate_serial(rnd).value();
  p.not_before = testca::now() - std::chrono::hours(1);
  p.issuer = &root_.info;
  auto other =
      Certificate::parse(
          issue_certificate(p, BuildSettings{}, *root_.signer, root_.cert.get()).value().der)
          .value();
  DesignationList list;
  list.designate(root_.cert, TrustService::kTimeStamping, {other});
  o.designation = &list;
  auto v = tsp::verify_token(resp, o);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code(), ErrorCode::kBadSignature);
  EXPECT_TRUE(v.error().detail().starts_with(tsp::diag::kTsaNotDesignated)) << v.error().detail();
  EXPECT_NE(v.error().detail().find(tsa_->serial_number().hex()), std::string::npos)
      << v.error().detail();
  // Designated: accepted.
  DesignationList ok;
  ok.designate(root_.cert, TrustService::kTimeStamping, {other, tsa_});
  o.designation = &ok;
  EXPECT_TRUE(tsp::verify_token(resp, o));
  // A designated OCSP responder is no TSA: the CA is known, the certificate not designated.
  DesignationList wrong_service;
  wrong_service.designate(root_.cert, TrustService::kOcspSigning, {tsa_});
  o.designation = &wrong_service;
  EXPECT_FALSE(tsp::verify_token(resp, o));
  // A CA the source does not know: RFC 3161 rules.
  auto stranger = testca::make_ca(GetParam(), "tsp-stranger", nullptr);
  DesignationList unknown;
  unknown.designate(stranger.cert, TrustService::kTimeStamping, {});
  o.designation = &unknown;
  EXPECT_TRUE(tsp::verify_token(resp, o));
  // The TSA certificate itself as the trust anchor: trusted directly.
  o.designation = &list;
  o.trust_anchors = {tsa_};
  EXPECT_TRUE(tsp::verify_token(resp, o));
}

// openssl ts -verify accepts the RSA and ECDSA tokens (SM2: OpenSSL 3.0 uses the empty ID).
TEST_P(TokenTest, OpensslVerifies) {
  test::write_file(dir_.file("data"), data_);
  test::write_file(dir_.file("r.tsr"), token_for(data_, std::nullopt, true));
  test::write_file(dir_.file("root.pem"), pem_encode("CERTIFICATE", root_.cert->der()));
  auto r = test::run("openssl ts -verify -data " + dir_.file("data") + " -in " +
                     dir_.file("r.tsr") + " -CAfile " + dir_.file("root.pem"));
  if (GetParam().type == KeyType::kSm2) {
    // OpenSSL 3.0 checks SM2 signatures (token, certificates) with the empty ID: it fails.
    EXPECT_EQ(r.output.find("Verification: OK"), std::string::npos) << r.output;
  } else {
    EXPECT_NE(r.output.find("Verification: OK"), std::string::npos) << r.output;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, TokenTest,
                         ::testing::Values(KeySpec{KeyType::kRsa, 2048},
                                           KeySpec{KeyType::kEcP256, 0}, KeySpec{KeyType::kSm2, 0}),
                         [](const auto& p) { return crypto::key_spec_name(p.param); });

}  // namespace
}  // namespace hpki::x509
