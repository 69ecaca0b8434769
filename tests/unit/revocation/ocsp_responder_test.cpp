// The OCSP responder (issue 6) over a real CA home on SQLite, for RSA and SM2 hierarchies:
// every certificate is pre-signed at load; a status change committed by the CA reaches the
// cached response at once; nonce / SHA-256 / several-CertID requests are signed on demand;
// unknown / unauthorized / malformedRequest / reserved serials; a second node loads the stored
// responses instead of signing; refresh after `refresh_after`. Every response is checked with
// hpki's verifier (SM2 with the standard ID; another ID or a changed byte fails).
#include "revocation/ocsp_responder.h"

#include <gtest/gtest.h>

#include <thread>

#include "ca/runtime.h"
#include "store/detail/raw.h"
#include "tests/support/ca_fixture.h"
#include "tests/support/test_util.h"
#include "x509/ocsp.h"

namespace hpki::revocation {
namespace {

using store::CaFamily;
using x509::OcspCertStatus;
using x509::OcspResponseStatus;

class OcspResponderTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    family_ = GetParam() == "sm2" ? CaFamily::kSm2 : CaFamily::kRsa;
    // One hierarchy per test: key generation dominates the time.
    auto rt = test::init_test_home(dir_.path() / "home", {}, {family_});
    ASSERT_TRUE(rt) << rt.error().to_string();
    rt_ = std::move(*rt);
    issuer_ = x509::Certificate::parse(rt_->ca().chain(family_).value().at(0)).value();
  }

  x509::CertificatePtr issue(const std::string& dns) {
    ca::IssueRequest r;
    r.requester = hpki::test::admin();
    r.profile = "device";
    r.family = family_;
    r.keygen = ca::KeygenOptions{
        {family_ == CaFamily::kSm2 ? crypto::KeyType::kSm2 : crypto::KeyType::kEcP256, 0},
        SecretBytes(std::string_view("key package pass"))};
    r.subject.data.common_name = dns;
    r.subject.data.organization = "示例医院";
    r.subject.data.dns_names = {dns};
    auto res = rt_->ca().issue(r);
    EXPECT_TRUE(res) << res.error().to_string();
    return x509::Certificate::parse(res->der).value();
  }

  std::unique_ptr<OcspResponder> responder(const Clock& clock, std::size_t max_on_demand = 8) {
    OcspResponderSettings s;
    s.max_on_demand = max_on_demand;
    s.validity = std::chrono::hours(24);
    s.refresh_after = std::chrono::hours(12);
    auto r = std::make_unique<OcspResponder>(
        rt_->store(), clock, [this](const store::CaRecord& c) { return rt_->ca().ca_signer(c); },
        s);
    auto loaded = r->load();
    EXPECT_TRUE(loaded) << loaded.error().to_string();
    return r;
  }

  Bytes request(const x509::Certificate& cert, crypto::HashAlg h = crypto::HashAlg::kSha1,
                std::optional<Bytes> nonce = std::nullopt) {
    auto id = x509::make_ocsp_cert_id(h, *issuer_, cert.serial()).value();
    std::optional<BytesView> n;
    if (nonce) n = *nonce;
    return x509::build_ocsp_request({id}, n).value();
  }

  // Parses and checks an answer for `cert` with hpki's verifier.
  x509::OcspCheckResult check(const OcspAnswer& a, const x509::Certificate& cert,
                              std::string_view sm2_id = crypto::kSm2DefaultId) {
    EXPECT_EQ(a.status, OcspResponseStatus::kSuccessful) << a.detail;
    auto parsed = x509::parse_ocsp_response(a.der);
    EXPECT_TRUE(parsed) << parsed.error().to_string();
    x509::OcspCheckOptions o;
    o.now = std::chrono::system_clock::now();
    o.sm2_id = sm2_id;
    return x509::check_ocsp_response(*parsed->basic, cert, *issuer_, o);
  }

  test::TempDir dir_;
  std::unique_ptr<ca::Runtime> rt_;
  CaFamily family_ = CaFamily::kRsa;
  x509::CertificatePtr issuer_;
  SystemClock clock_;
};

TEST_P(OcspResponderTest, PresignedAnswersAndStatusChanges) {
  auto good = issue("good.example.cn");
  auto other = issue("other.example.cn");
  auto r = responder(clock_);
  // Every certificate of the database got a response at load.
  EXPECT_GE(r->counters().presigned.load(), 2u);
  rt_->ca().set_status_listener(
      [&](const ca::StatusChange& c) { r->on_status_change(c.ca_id, c.serial); });

  auto a = r->respond(request(*good));
  EXPECT_TRUE(a.from_cache);
  EXPECT_FALSE(a.signed_now);
  auto c = check(a, *good);
  EXPECT_EQ(c.validity, x509::OcspValidity::kValid) << x509::ocsp_validity_name(c.validity);
  EXPECT_EQ(c.status, OcspCertStatus::kGood);
  EXPECT_EQ(a.next_update - a.this_update, std::chrono::hours(24));

  if (family_ == CaFamily::kSm2) {
    // SM2 with the standard ID; another ID, or a changed byte, does not verify.
    EXPECT_NE(check(a, *good, "1234567812345679").validity, x509::OcspValidity::kValid);
    auto parsed = x509::parse_ocsp_response(a.der).value();
    const auto& signer_spki = parsed.basic->certs().at(0)->spki_der();
    EXPECT_TRUE(parsed.basic->verify_signature(signer_spki));
    EXPECT_FALSE(parsed.basic->verify_signature(signer_spki, "1234567812345679"));
    Bytes bad = a.der;
    const auto tbs = parsed.basic->tbs_der();
    auto pos = std::search(bad.begin(), bad.end(), tbs.begin(), tbs.end());
    ASSERT_NE(pos, bad.end());
    pos[static_cast<std::ptrdiff_t>(tbs.size()) - 3] ^= 0x01;  // inside nextUpdate
    auto tampered = x509::parse_ocsp_response(bad);
    ASSERT_TRUE(tampered);
    EXPECT_EQ(tampered->basic->verify_signature(signer_spki).error().code(),
              ErrorCode::kBadSignature);
  }

  // Revoked through the CA: the cached response changes at once, no sync needed.
  ASSERT_TRUE(rt_->ca().revoke(good->serial_number(), x509::RevocationReason::kKeyCompromise,
                               std::nullopt, hpki::test::admin()));
  a = r->respond(request(*good));
  EXPECT_TRUE(a.from_cache);
  c = check(a, *good);
  EXPECT_EQ(c.status, OcspCertStatus::kRevoked);
  EXPECT_EQ(c.reason, x509::RevocationReason::kKeyCompromise);

  // Hold and release.
  ASSERT_TRUE(rt_->ca().hold(other->serial_number(), hpki::test::admin()));
  c = check(r->respond(request(*other)), *other);
  EXPECT_EQ(c.status, OcspCertStatus::kRevoked);
  EXPECT_EQ(c.reason, x509::RevocationReason::kCertificateHold);
  ASSERT_TRUE(rt_->ca().release(other->serial_number(), hpki::test::admin()));
  c = check(r->respond(request(*other)), *other);
  EXPECT_EQ(c.status, OcspCertStatus::kGood);

  // A certificate issued after load is answered (and pre-signed) via the listener.
  auto late = issue("late.example.cn");
  a = r->respond(request(*late));
  EXPECT_TRUE(a.from_cache);
  EXPECT_EQ(check(a, *late).status, OcspCertStatus::kGood);
}

TEST_P(OcspResponderTest, OnDemandAndErrorAnswers) {
  auto good = issue("good.example.cn");
  auto r = responder(clock_);
  // Nonce: signed now, echoed.
  const Bytes nonce(32, 0x5a);
  auto a = r->respond(request(*good, crypto::HashAlg::kSha1, nonce));
  EXPECT_TRUE(a.signed_now);
  EXPECT_FALSE(a.from_cache);
  EXPECT_EQ(x509::parse_ocsp_response(a.der).value().basic->nonce(), nonce);
  EXPECT_EQ(check(a, *good).status, OcspCertStatus::kGood);
  // SHA-256 and SM3 CertIDs.
  for (auto h : {crypto::HashAlg::kSha256, crypto::HashAlg::kSm3}) {
    a = r->respond(request(*good, h));
    EXPECT_EQ(check(a, *good).status, OcspCertStatus::kGood);
  }
  // Bad nonce length -> malformedRequest.
  a = r->respond(request(*good, crypto::HashAlg::kSha1, Bytes(33, 1)));
  EXPECT_EQ(a.status, OcspResponseStatus::kMalformedRequest);
  EXPECT_EQ(x509::parse_ocsp_response(a.der).value().status, OcspResponseStatus::kMalformedRequest);
  EXPECT_EQ(r->respond(Bytes{0x30, 0x00}).status, OcspResponseStatus::kMalformedRequest);
  // A serial hpki never produced -> unknown.
  auto id = x509::make_ocsp_cert_id(crypto::HashAlg::kSha1, *issuer_, Bytes{0x12, 0x34}).value();
  a = r->respond(x509::build_ocsp_request({id}).value());
  ASSERT_EQ(a.status, OcspResponseStatus::kSuccessful);
  EXPECT_EQ(a.cert_statuses, std::vector<OcspCertStatus>{OcspCertStatus::kUnknown});
  // Another issuer (the root) -> unauthorized.
  auto root = x509::Certificate::parse(rt_->ca().chain(family_).value().back()).value();
  auto foreign = x509::make_ocsp_cert_id(crypto::HashAlg::kSha1, *root, Bytes{0x01}).value();
  EXPECT_EQ(r->respond(x509::build_ocsp_request({foreign}).value()).status,
            OcspResponseStatus::kUnauthorized);
  // A serial an older version reserved and never delivered (what the upgrade to schema 7 makes
  // of an interrupted reservation: no DER, revoked, unspecified) -> revoked, no reason.
  const std::string ca_id = family_ == CaFamily::kSm2 ? "sm2-issuing" : "rsa-issuing";
  ASSERT_TRUE(rt_->store().transact([&](store::Tx& tx) -> Result<void> {
    const store::raw::Value p[] = {store::raw::Value{ca_id}};
    HPKI_TRY(store::raw::exec(
        tx,
        "INSERT INTO certificates (ca_id, serial, subject, profile, status, not_before, "
        "not_after, key_type, requested_by, created_at, updated_at) VALUES (?, '7a7a7a7a', "
        "'CN=reserved', 'device', 'never_delivered', 1700000000, 1900000000, 'p256', 'test', "
        "1700000000, 1700000000)",
        p));
    HPKI_TRY(store::raw::exec(tx,
                              "INSERT INTO revocations (ca_id, serial, reason, revoked_at) VALUES "
                              "(?, '7a7a7a7a', 0, 1700000100)",
                              p));
    return {};
  }));
  auto rid =
      x509::make_ocsp_cert_id(crypto::HashAlg::kSha1, *issuer_, Bytes{0x7a, 0x7a, 0x7a, 0x7a})
          .value();
  a = r->respond(x509::build_ocsp_request({rid}).value());
  ASSERT_EQ(a.status, OcspResponseStatus::kSuccessful);
  auto parsed = x509::parse_ocsp_response(a.der).value();
  const auto& s = parsed.basic->responses().at(0);
  EXPECT_EQ(s.status, OcspCertStatus::kRevoked);
  EXPECT_EQ(s.revocation_time, TimePoint(std::chrono::seconds(1700000100)));
  EXPECT_FALSE(s.reason.has_value());
  for (const auto& e : parsed.basic->extensions()) {
    EXPECT_NE(e.oid.to_string(), "1.3.6.1.5.5.7.48.1.9");  // not the "never issued" form
  }
}

TEST_P(OcspResponderTest, StartedResponderResignsStatusChangesInTheBackground) {
  auto good = issue("good.example.cn");
  auto r = responder(clock_);
  r->start(std::chrono::seconds(3600));
  rt_->ca().set_status_listener(
      [&](const ca::StatusChange& c) { r->on_status_change(c.ca_id, c.serial); });
  ASSERT_TRUE(r->respond_from_memory(request(*good)).has_value());
  // The revocation returns without waiting for OCSP signing; whatever the background thread
  // has done by then, no answer says "good" any more.
  ASSERT_TRUE(rt_->ca().revoke(good->serial_number(), x509::RevocationReason::kKeyCompromise,
                               std::nullopt, hpki::test::admin()));
  if (auto m = r->respond_from_memory(request(*good))) {
    EXPECT_EQ(check(*m, *good).status, OcspCertStatus::kRevoked);
  }
  EXPECT_EQ(check(r->respond(request(*good)), *good).status, OcspCertStatus::kRevoked);
  // Certificates issued now are pre-signed by the background thread.
  std::vector<x509::CertificatePtr> late;
  for (int i = 0; i < 5; ++i) late.push_back(issue("late" + std::to_string(i) + ".example.cn"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::size_t held = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    held = 0;
    for (const auto& c : late) held += r->respond_from_memory(request(*c)).has_value() ? 1 : 0;
    if (held == late.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(held, late.size());
  for (const auto& c : late) {
    auto m = r->respond_from_memory(request(*c));
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(check(*m, *c).status, OcspCertStatus::kGood);
  }
  r->stop();
}

TEST_P(OcspResponderTest, SaturatedOnDemandSigningDegradesInsteadOfQueueing) {
  auto good = issue("good.example.cn");
  auto r = responder(clock_, /*max_on_demand=*/0);  // every on-demand signature is "over"
  // A nonce request for a pre-signed certificate: the pre-signed response, without the nonce.
  auto a = r->respond(request(*good, crypto::HashAlg::kSha1, Bytes(16, 0x42)));
  ASSERT_EQ(a.status, OcspResponseStatus::kSuccessful);
  EXPECT_TRUE(a.from_cache);
  EXPECT_FALSE(a.signed_now);
  EXPECT_FALSE(x509::parse_ocsp_response(a.der).value().basic->nonce().has_value());
  EXPECT_EQ(check(a, *good).status, OcspCertStatus::kGood);
  // What has no pre-signed response: tryLater, nothing signed.
  EXPECT_EQ(r->respond(request(*good, crypto::HashAlg::kSha256)).status,
            OcspResponseStatus::kTryLater);
  auto id = x509::make_ocsp_cert_id(crypto::HashAlg::kSha1, *issuer_, Bytes{0x12, 0x34}).value();
  EXPECT_EQ(r->respond(x509::build_ocsp_request({id}).value()).status,
            OcspResponseStatus::kTryLater);
  EXPECT_EQ(r->counters().signed_on_demand.load(), 0u);
  EXPECT_EQ(r->counters().on_demand_refused.load(), 3u);
  // Under the limit the nonce is echoed again.
  auto normal = responder(clock_);
  auto n = normal->respond(request(*good, crypto::HashAlg::kSha1, Bytes(16, 0x42)));
  EXPECT_TRUE(n.signed_now);
  EXPECT_EQ(x509::parse_ocsp_response(n.der).value().basic->nonce(), Bytes(16, 0x42));
}

TEST_P(OcspResponderTest, FromMemoryAnswersOnlyWhatNeedsNoSigningOrDatabase) {
  auto good = issue("good.example.cn");
  auto r = responder(clock_);
  // A pre-signed response: the same bytes as respond(), with the ETag of those bytes.
  auto m = r->respond_from_memory(request(*good));
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->from_cache);
  EXPECT_EQ(m->der, r->respond(request(*good)).der);
  EXPECT_EQ(m->etag, revocation::response_etag(m->der));
  EXPECT_EQ(m->etag.size(), 34u);
  // Error statuses need neither: answered too.
  auto bad = r->respond_from_memory(Bytes{0x30, 0x00});
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, OcspResponseStatus::kMalformedRequest);
  // A nonce or a SHA-256 CertID needs a signature; a serial not held needs the database.
  const auto signed_before = r->counters().signed_on_demand.load();
  EXPECT_FALSE(r->respond_from_memory(request(*good, crypto::HashAlg::kSha1, Bytes(8, 1))));
  EXPECT_FALSE(r->respond_from_memory(request(*good, crypto::HashAlg::kSha256)));
  auto id = x509::make_ocsp_cert_id(crypto::HashAlg::kSha1, *issuer_, Bytes{0x12, 0x34}).value();
  EXPECT_FALSE(r->respond_from_memory(x509::build_ocsp_request({id}).value()));
  EXPECT_EQ(r->counters().signed_on_demand.load(), signed_before);  // nothing was signed
}

TEST_P(OcspResponderTest, SecondNodeLoadsStoredResponsesAndRefresh) {
  auto good = issue("good.example.cn");
  FixedClock clock(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  auto first = responder(clock);
  const auto signed_first = first->counters().presigned.load();
  ASSERT_GE(signed_first, 1u);
  // Another node on the same database signs nothing: it loads what the first one stored.
  auto second = responder(clock);
  EXPECT_EQ(second->counters().presigned.load(), 0u);
  EXPECT_EQ(second->counters().loaded_from_db.load(), signed_first);
  EXPECT_EQ(second->presigned(family_ == CaFamily::kSm2 ? "sm2-issuing" : "rsa-issuing",
                              good->serial_number()),
            first->presigned(family_ == CaFamily::kSm2 ? "sm2-issuing" : "rsa-issuing",
                             good->serial_number()));
  // Nothing is due before refresh_after; everything is re-signed after it.
  clock.advance(std::chrono::hours(11));
  EXPECT_EQ(second->sync().value(), 0u);
  clock.advance(std::chrono::hours(2));
  EXPECT_EQ(second->sync().value(), signed_first);
  auto a = second->respond(request(*good));
  EXPECT_TRUE(a.from_cache);
  EXPECT_EQ(a.this_update, clock.now());
  EXPECT_TRUE(second->health().database_ok);
  // Without a sync (as during a database outage) a response is served until its nextUpdate,
  // then the answer is tryLater: the responder never extends a validity it cannot vouch for.
  clock.advance(std::chrono::hours(23));
  EXPECT_TRUE(second->respond(request(*good)).from_cache);
  clock.advance(std::chrono::hours(2));
  EXPECT_EQ(second->respond(request(*good)).status, OcspResponseStatus::kTryLater);
  EXPECT_EQ(second->respond(request(*good, crypto::HashAlg::kSha1, Bytes(8, 1))).status,
            OcspResponseStatus::kTryLater);
}

INSTANTIATE_TEST_SUITE_P(Families, OcspResponderTest, ::testing::Values("rsa", "sm2"),
                         [](const auto& i) { return i.param; });

// On both database backends: the responses of a batch are stored with multi-row statements.
class OcspResponderStoreTest
    : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(OcspResponderStoreTest, CertificateChangedAndDueForRefreshIsSignedOnceWithItsNewStatus) {
  const auto& [backend, fam] = GetParam();
  const CaFamily family = fam == "sm2" ? CaFamily::kSm2 : CaFamily::kRsa;
  const std::string ca_id = fam == "sm2" ? "sm2-issuing" : "rsa-issuing";
  test::TestDb db(backend);
  ASSERT_EQ(db.error(), "");
  test::TempDir dir;
  auto rt = test::init_test_home(dir.path() / "home", db.url(), {family});
  ASSERT_TRUE(rt) << rt.error().to_string();
  std::vector<Serial> serials;
  for (int i = 0; i < 40; ++i) {  // more than one multi-row statement
    ca::IssueRequest r;
    r.requester = hpki::test::admin();
    r.profile = "device";
    r.family = family;
    r.internal_spki =
        crypto::PrivateKey::generate(
            {family == CaFamily::kSm2 ? crypto::KeyType::kSm2 : crypto::KeyType::kEcP256, 0})
            .value()
            .public_key_der();
    r.subject.data.common_name = "d" + std::to_string(i) + ".example.cn";
    r.subject.data.organization = "示例医院";
    r.subject.data.dns_names = {r.subject.data.common_name};
    auto res = (*rt)->ca().issue(r);
    ASSERT_TRUE(res) << res.error().to_string();
    serials.push_back(res->serial);
  }
  FixedClock clock(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  OcspResponderSettings s;
  s.validity = std::chrono::hours(24);
  s.refresh_after = std::chrono::hours(12);
  OcspResponder responder((*rt)->store(), clock,
                          [&rt](const store::CaRecord& c) { return (*rt)->ca().ca_signer(c); }, s);
  ASSERT_TRUE(responder.load());
  const auto loaded = responder.counters().presigned.load();
  ASSERT_GE(loaded, 40u);
  // Revoked in the database (no listener: the responder learns it at its next sync), while
  // every response held in memory is due for refresh: sync() sees the certificate twice.
  ASSERT_TRUE((*rt)->ca().revoke(serials[7], x509::RevocationReason::kKeyCompromise, std::nullopt,
                                 hpki::test::admin("ra:test")));
  clock.advance(std::chrono::hours(13));
  auto n = responder.sync();
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(*n, loaded);  // each certificate once
  for (const auto& serial : {serials[7], serials[8]}) {
    const auto held = responder.presigned(ca_id, serial);
    ASSERT_TRUE(held.has_value());
    auto parsed = x509::parse_ocsp_response(*held).value();
    ASSERT_EQ(parsed.basic->responses().size(), 1u);
    EXPECT_EQ(parsed.basic->responses()[0].status,
              serial == serials[7] ? OcspCertStatus::kRevoked : OcspCertStatus::kGood);
    EXPECT_EQ(parsed.basic->responses()[0].this_update, clock.now());
  }
  // What another node loads from the database is the same.
  OcspResponder second((*rt)->store(), clock,
                       [&rt](const store::CaRecord& c) { return (*rt)->ca().ca_signer(c); }, s);
  ASSERT_TRUE(second.load());
  EXPECT_EQ(second.counters().presigned.load(), 0u);
  EXPECT_EQ(second.presigned(ca_id, serials[7]), responder.presigned(ca_id, serials[7]));
}

INSTANTIATE_TEST_SUITE_P(BackendsAndFamilies, OcspResponderStoreTest,
                         ::testing::Combine(::testing::Values("sqlite", "postgresql"),
                                            ::testing::Values("rsa", "sm2")),
                         [](const auto& i) {
                           return std::get<0>(i.param) + "_" + std::get<1>(i.param);
                         });

}  // namespace
}  // namespace hpki::revocation
