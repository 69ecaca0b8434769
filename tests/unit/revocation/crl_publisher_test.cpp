// The CRL publisher (issue 6) on SQLite and PostgreSQL, over a real CA home: complete CRLs,
// delta CRLs (hold / release as certificateHold / removeFromCRL), partitioned CRLs whose IDP
// matches the certificates' cRLDistributionPoints, cRLNumbers monotonic across restarts, the
// schedule, regeneration after revocation, and SM2 CRLs verified with the standard ID.
#include "revocation/crl_publisher.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "ca/runtime.h"
#include "core/encoding.h"
#include "der/oids.h"
#include "store/detail/raw.h"
#include "tests/support/ca_fixture.h"
#include "tests/support/test_util.h"
#include "x509/certificate.h"
#include "x509/crl.h"
#include "x509/crl_check.h"
#include "x509/extensions.h"

namespace hpki::revocation {
namespace {

using store::CaFamily;
using x509::RevocationReason;

constexpr std::string_view kPass = test::kTestPassphrase;

// The home is made by CaFixture::SetUp(); each test reopens it with open().
class CrlPublisherTest : public test::CaFixture {
 protected:
  // (Re)opens the home with `shards` CRL shards and a publisher on a fixed clock.
  void open(int shards = 1, std::chrono::seconds delta = std::chrono::seconds(3600)) {
    pub_.reset();
    rt_.reset();
    auto cfg = test::read_file(ca::config_path(home()).string());
    std::string text(as_string(cfg));
    text = std::regex_replace(text, std::regex("crl_shards = [0-9]+"),
                              "crl_shards = " + std::to_string(shards));
    test::write_file(ca::config_path(home()).string(), text);
    auto rt = ca::Runtime::open(home(), ca::OpenOptions{.passphrase = SecretBytes(kPass)});
    ASSERT_TRUE(rt) << rt.error().to_string();
    rt_ = std::move(*rt);
    CrlPublisherOptions o;
    o.base_url = rt_->config().ca.base_url;
    o.crl_shards = shards;
    o.validity = std::chrono::hours(24);
    o.regenerate_before = std::chrono::hours(6);
    o.delta_interval = delta;
    pub_ = std::make_unique<CrlPublisher>(
        rt_->store(), clock_, [this](const store::CaRecord& ca) { return rt_->ca().ca_signer(ca); },
        o);
    pub_->set_audit(&rt_->audit());
  }

  Serial issue(CaFamily family, const std::string& cn = "张三") {
    ca::IssueRequest r;
    r.requester = hpki::test::admin();
    r.profile = "staff-sign";
    r.family = family;
    r.keygen = ca::KeygenOptions{.spec = family == CaFamily::kSm2
                                             ? crypto::KeySpec{crypto::KeyType::kSm2, 0}
                                             : crypto::KeySpec{crypto::KeyType::kEcP256, 0},
                                 .passphrase = SecretBytes(std::string_view("doctor-pass"))};
    r.subject.data.organization = "示例医院";
    r.subject.data.common_name = cn;
    auto out = rt_->ca().issue(r);
    EXPECT_TRUE(out) << out.error().to_string();
    if (!out) return {};
    certs_[out->serial] = out->der;
    return out->serial;
  }

  x509::CertificatePtr ca_cert(const std::string& id) {
    const auto cas = rt_->ca().list_cas().value();
    for (const auto& c : cas) {
      if (c.id == id) return x509::Certificate::parse(c.certificate).value();
    }
    ADD_FAILURE() << "no CA " << id;
    return nullptr;
  }

  static x509::CrlPtr parse(const store::CrlRecord& rec) {
    auto crl = x509::Crl::parse(rec.der);
    EXPECT_TRUE(crl) << crl.error().to_string();
    return crl ? *crl : nullptr;
  }

  static const x509::RevokedEntry* find(const x509::Crl& crl, const Serial& serial) {
    return crl.find(serial.der_content());
  }

  static std::int64_t number(const x509::Crl& crl) {
    const auto bytes = crl.crl_number();
    if (!bytes) return -1;
    std::int64_t n = 0;
    for (auto b : *bytes) n = n * 256 + b;
    return n;
  }

  FixedClock clock_{std::chrono::system_clock::now()};
  std::unique_ptr<CrlPublisher> pub_;
  std::map<Serial, Bytes> certs_;
};

TEST_P(CrlPublisherTest, CompleteCrlListsRevocationsAndChecksAsRevoked) {
  open();
  const auto good = issue(CaFamily::kRsa, "good");
  const auto bad = issue(CaFamily::kRsa, "bad");
  const auto held = issue(CaFamily::kRsa, "held");
  ASSERT_TRUE(rt_->ca().revoke(bad, RevocationReason::kKeyCompromise, std::nullopt,
                               hpki::test::admin("t")));
  ASSERT_TRUE(rt_->ca().hold(held, hpki::test::admin("t")));

  auto scope = pub_->scope_for("rsa-issuing", std::nullopt).value();
  auto rec = pub_->generate(scope, false);
  ASSERT_TRUE(rec) << rec.error().to_string();
  EXPECT_EQ(rec->name, "rsa-issuing");
  EXPECT_FALSE(rec->delta);
  auto crl = parse(*rec);
  ASSERT_TRUE(crl);
  auto issuer = ca_cert("rsa-issuing");
  EXPECT_TRUE(crl->verify_signature(issuer->spki_der()));
  EXPECT_EQ(crl->issuer(), issuer->subject());
  EXPECT_EQ(number(*crl), rec->crl_number);
  EXPECT_EQ(crl->revoked().size(), 2u);
  EXPECT_EQ(rec->entries, 2);
  EXPECT_TRUE(x509::lint_crl(*crl).empty());
  // RFC 5280 5.3.1: keyCompromise and certificateHold entries.
  ASSERT_NE(find(*crl, bad), nullptr);
  EXPECT_EQ(find(*crl, bad)->reason, RevocationReason::kKeyCompromise);
  ASSERT_NE(find(*crl, held), nullptr);
  EXPECT_EQ(find(*crl, held)->reason, RevocationReason::kCertificateHold);
  EXPECT_EQ(find(*crl, good), nullptr);
  // RFC 5280 5.2.6: with deltas enabled the complete CRL points at its delta.
  const auto* fresh = crl->find_extension(der::oids::kFreshestCrl);
  ASSERT_NE(fresh, nullptr);
  auto dps = x509::parse_crl_distribution_points(fresh->value).value();
  ASSERT_EQ(dps.size(), 1u);
  EXPECT_EQ(dps[0].full_name.at(0).text, "http://127.0.0.1:8080/crl/rsa-issuing-delta.crl");
  EXPECT_EQ(crl->find_extension(der::oids::kIssuingDistributionPoint), nullptr);
  // Accounted for in the audit log.
  auto audited = rt_->store()
                     .transact_value<std::vector<store::AuditRecord>>(
                         [](store::Tx& tx) { return tx.read_audit(1, 10000); })
                     .value();
  EXPECT_TRUE(std::any_of(audited.begin(), audited.end(), [&](const store::AuditRecord& a) {
    return a.action == "crl.publish" &&
           a.object == "rsa-issuing/" + std::to_string(rec->crl_number);
  }));
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::hours>(*crl->next_update() - crl->this_update()),
      std::chrono::hours(24));

  // RFC 5280 6.3.3 with the certificates' own cRLDistributionPoints.
  for (const auto& [serial, want] :
       {std::pair{good, x509::CrlStatus::kGood}, {bad, x509::CrlStatus::kRevoked}}) {
    auto cert = x509::Certificate::parse(certs_[serial]).value();
    auto dp = x509::parse_crl_distribution_points(
                  cert->find_extension(der::oids::kCrlDistributionPoints)->value)
                  .value();
    EXPECT_EQ(dp.at(0).full_name.at(0).text, "http://127.0.0.1:8080/crl/rsa-issuing.crl");
    auto r = x509::check_crl_for(
        *crl, *issuer, *cert,
        x509::CrlCheckOptions{.at = clock_.now(), .distribution_point = &dp[0]});
    EXPECT_EQ(r.status, want) << r.diag << " " << r.detail;
  }
}

TEST_P(CrlPublisherTest, RootCrlCoversTheCasItCertified) {
  open();
  auto scope = pub_->scope_for("sm2-root", std::nullopt).value();
  auto rec = pub_->generate(scope, false);
  ASSERT_TRUE(rec) << rec.error().to_string();
  auto crl = parse(*rec);
  ASSERT_TRUE(crl);
  EXPECT_TRUE(crl->verify_signature(ca_cert("sm2-root")->spki_der()));
  EXPECT_TRUE(crl->revoked().empty());
  // The issuing CA's cRLDistributionPoints names the root's CRL.
  auto issuing = ca_cert("sm2-issuing");
  auto dp = x509::parse_crl_distribution_points(
                issuing->find_extension(der::oids::kCrlDistributionPoints)->value)
                .value();
  EXPECT_EQ(dp.at(0).full_name.at(0).text, pub_->url_of(scope, false));
  EXPECT_FALSE(pub_->scope_for("sm2-ocsp", std::nullopt));
  EXPECT_FALSE(pub_->scope_for("sm2-issuing", 0));
  EXPECT_EQ(pub_->scope_for("nope", std::nullopt).error().code(), ErrorCode::kNotFound);
}

TEST_P(CrlPublisherTest, Sm2CrlVerifiesWithTheStandardIdOnly) {
  open();
  const auto bad = issue(CaFamily::kSm2);
  ASSERT_TRUE(rt_->ca().revoke(bad, RevocationReason::kAffiliationChanged, std::nullopt,
                               hpki::test::admin("t")));
  auto rec = pub_->generate(pub_->scope_for("sm2-issuing", std::nullopt).value(), false).value();
  auto crl = parse(rec);
  ASSERT_TRUE(crl);
  auto issuer = ca_cert("sm2-issuing");
  EXPECT_EQ(crl->signature_algorithm().oid, der::oids::kSm2WithSm3);
  EXPECT_TRUE(crl->verify_signature(issuer->spki_der(), crypto::kSm2DefaultId));
  // Signed with the standard ID, not OpenSSL 3.0's empty default.
  EXPECT_FALSE(crl->verify_signature(issuer->spki_der(), ""));
  ASSERT_NE(find(*crl, bad), nullptr);
  EXPECT_EQ(find(*crl, bad)->reason, RevocationReason::kAffiliationChanged);
  // Any changed byte of the signed part breaks it.
  Bytes der = rec.der;
  const auto at = static_cast<std::size_t>(crl->tbs_der().data() - crl->der().data()) + 40;
  der[at] ^= 0x01;
  auto tampered = x509::Crl::parse(der);
  ASSERT_TRUE(tampered);
  EXPECT_FALSE((*tampered)->verify_signature(issuer->spki_der()));
}

TEST_P(CrlPublisherTest, CrlNumbersIncreaseAcrossRestartsAndAreShared) {
  open();
  auto scope = pub_->scope_for("rsa-issuing", std::nullopt).value();
  const auto n1 = pub_->generate(scope, false).value().crl_number;
  const auto n2 = pub_->generate(scope, true).value().crl_number;
  EXPECT_GT(n2, n1);  // RFC 5280 5.2.4: complete and delta CRLs share one sequence
  open();             // a new process: store, counters and publisher reopened
  const auto n3 = pub_->generate(scope, false).value().crl_number;
  EXPECT_GT(n3, n2);
  auto latest = pub_->latest("rsa-issuing").value();
  EXPECT_EQ(latest->record.crl_number, n3);
  auto crl = parse(latest->record);
  EXPECT_EQ(number(*crl), n3);
  // Another scope has its own sequence.
  EXPECT_EQ(
      pub_->generate(pub_->scope_for("rsa-root", std::nullopt).value(), false).value().crl_number,
      1);
}

TEST_P(CrlPublisherTest, DeltaListsChangesSinceItsBase) {
  open();
  const auto early = issue(CaFamily::kRsa, "early");
  const auto later = issue(CaFamily::kRsa, "later");
  const auto held = issue(CaFamily::kRsa, "held");
  const auto hold_then_revoke = issue(CaFamily::kRsa, "hold-then-revoke");
  ASSERT_TRUE(
      rt_->ca().revoke(early, RevocationReason::kSuperseded, std::nullopt, hpki::test::admin("t")));
  ASSERT_TRUE(rt_->ca().hold(held, hpki::test::admin("t")));
  ASSERT_TRUE(rt_->ca().hold(hold_then_revoke, hpki::test::admin("t")));
  auto scope = pub_->scope_for("rsa-issuing", std::nullopt).value();
  auto base = pub_->generate(scope, false).value();
  EXPECT_EQ(base.entries, 3);

  ASSERT_TRUE(rt_->ca().revoke(later, RevocationReason::kKeyCompromise, std::nullopt,
                               hpki::test::admin("t")));
  ASSERT_TRUE(rt_->ca().release(held, hpki::test::admin("t")));
  ASSERT_TRUE(rt_->ca().revoke(hold_then_revoke, RevocationReason::kCessationOfOperation,
                               std::nullopt, hpki::test::admin("t")));
  auto rec = pub_->generate(scope, true);
  ASSERT_TRUE(rec) << rec.error().to_string();
  EXPECT_EQ(rec->name, "rsa-issuing-delta");
  EXPECT_EQ(rec->base_crl_number, base.crl_number);
  auto delta = parse(*rec);
  ASSERT_TRUE(delta);
  EXPECT_TRUE(delta->is_delta());
  EXPECT_TRUE(delta->verify_signature(ca_cert("rsa-issuing")->spki_der()));
  // RFC 5280 5.2.4: deltaCRLIndicator (critical) = the base CRL's number.
  const auto* ind = delta->find_extension(der::oids::kDeltaCrlIndicator);
  ASSERT_NE(ind, nullptr);
  EXPECT_TRUE(ind->critical);
  EXPECT_EQ(delta->find_extension(der::oids::kFreshestCrl), nullptr);
  EXPECT_GT(number(*delta), base.crl_number);
  EXPECT_EQ(delta->revoked().size(), 3u);
  EXPECT_EQ(find(*delta, early), nullptr);  // unchanged since the base
  ASSERT_NE(find(*delta, later), nullptr);
  EXPECT_EQ(find(*delta, later)->reason, RevocationReason::kKeyCompromise);
  ASSERT_NE(find(*delta, held), nullptr);  // RFC 5280 5.3.1: released from hold
  EXPECT_EQ(find(*delta, held)->reason, RevocationReason::kRemoveFromCrl);
  ASSERT_NE(find(*delta, hold_then_revoke), nullptr);
  EXPECT_EQ(find(*delta, hold_then_revoke)->reason, RevocationReason::kCessationOfOperation);
  EXPECT_TRUE(x509::lint_crl(*delta).empty());

  // A new complete CRL includes it all; the next delta (against it) is empty.
  auto base2 = pub_->generate(scope, false).value();
  auto full2 = parse(base2);
  EXPECT_EQ(full2->revoked().size(), 3u);
  EXPECT_EQ(find(*full2, held), nullptr);
  auto delta2 = pub_->generate(scope, true).value();
  EXPECT_EQ(delta2.entries, 0);
  EXPECT_EQ(delta2.base_crl_number, base2.crl_number);
}

TEST_P(CrlPublisherTest, PartitionedCrlsFollowTheCertificatesDistributionPoints) {
  open(4);
  std::map<std::int64_t, Serial> by_shard;
  for (int i = 0; i < 24 && by_shard.size() < 2; ++i) {
    auto serial = issue(CaFamily::kRsa, "cert-" + std::to_string(i));
    auto rec = rt_->store()
                   .transact_value<store::CertificateRecord>(
                       [&](store::Tx& tx) { return tx.get_certificate("rsa-issuing", serial); })
                   .value();
    by_shard.emplace(rec.crl_shard, serial);
  }
  ASSERT_GE(by_shard.size(), 2u);
  for (const auto& [shard, serial] : by_shard)
    ASSERT_TRUE(rt_->ca().revoke(serial, RevocationReason::kKeyCompromise, std::nullopt,
                                 hpki::test::admin("t")));
  auto all = pub_->scopes().value();
  EXPECT_EQ(std::count_if(all.begin(), all.end(),
                          [](const CrlScope& s) { return s.ca_id == "rsa-issuing"; }),
            4);
  ASSERT_EQ(pub_->refresh().value(), static_cast<int>(all.size()) * 2);
  auto issuer = ca_cert("rsa-issuing");
  for (const auto& [shard, serial] : by_shard) {
    auto cert = x509::Certificate::parse(certs_[serial]).value();
    auto dp = x509::parse_crl_distribution_points(
                  cert->find_extension(der::oids::kCrlDistributionPoints)->value)
                  .value();
    const std::string url = dp.at(0).full_name.at(0).text;
    EXPECT_EQ(url, "http://127.0.0.1:8080/crl/rsa-issuing-" + std::to_string(shard) + ".crl");
    // The URL's name is the stored CRL's name.
    const std::string name = url.substr(url.rfind('/') + 1, url.size() - url.rfind('/') - 5);
    auto published = pub_->latest(name);
    ASSERT_TRUE(published) << published.error().to_string();
    auto crl = parse((*published)->record);
    ASSERT_NE(find(*crl, serial), nullptr);
    // RFC 5280 5.2.5: the shard's IDP names the same URL, onlyContainsUserCerts.
    auto idp = x509::parse_issuing_distribution_point(
                   crl->find_extension(der::oids::kIssuingDistributionPoint)->value)
                   .value();
    EXPECT_EQ(idp.full_name.at(0).text, url);
    EXPECT_TRUE(idp.only_contains_user_certs);
    auto r = x509::check_crl_for(
        *crl, *issuer, *cert,
        x509::CrlCheckOptions{.at = clock_.now(), .distribution_point = &dp[0]});
    EXPECT_EQ(r.status, x509::CrlStatus::kRevoked) << r.diag << " " << r.detail;
    // Other shards do not list it.
    for (std::int64_t other = 0; other < 4; ++other) {
      if (other == shard) continue;
      auto o = parse(pub_->latest("rsa-issuing-" + std::to_string(other)).value()->record);
      EXPECT_EQ(find(*o, serial), nullptr);
    }
  }
  // The root's CRL stays one CRL.
  EXPECT_TRUE(pub_->latest("rsa-root"));
  EXPECT_FALSE(pub_->latest("rsa-root-0"));
}

TEST_P(CrlPublisherTest, RefreshFollowsTheSchedule) {
  open();
  auto all = pub_->scopes().value();
  ASSERT_EQ(all.size(), 4u);  // rsa-root, rsa-issuing, sm2-root, sm2-issuing
  EXPECT_EQ(pub_->refresh().value(), 8);
  EXPECT_EQ(pub_->refresh().value(), 0);
  clock_.advance(std::chrono::minutes(61));  // deltas are due
  EXPECT_EQ(pub_->refresh().value(), 4);
  const auto before = pub_->latest("rsa-issuing").value()->record.crl_number;
  clock_.advance(std::chrono::hours(17));  // less than regenerate_before left
  EXPECT_EQ(pub_->refresh().value(), 8);
  auto after = pub_->latest("rsa-issuing").value();
  EXPECT_GT(after->record.crl_number, before);
  EXPECT_EQ(after->record.this_update, std::chrono::floor<std::chrono::seconds>(clock_.now()));
}

TEST_P(CrlPublisherTest, RevocationRegeneratesInTheBackground) {
  open();
  const auto serial = issue(CaFamily::kSm2);
  rt_->ca().set_status_listener(
      [this](const ca::StatusChange& c) { pub_->on_status_change(c.ca_id, c.serial, c.action); });
  pub_->start();
  pub_->drain();
  ASSERT_TRUE(rt_->ca().revoke(serial, RevocationReason::kKeyCompromise, std::nullopt,
                               hpki::test::admin("t")));
  pub_->drain();
  auto full = parse(pub_->latest("sm2-issuing").value()->record);
  ASSERT_NE(find(*full, serial), nullptr);
  auto delta = pub_->latest("sm2-issuing-delta").value();
  EXPECT_EQ(delta->record.base_crl_number, pub_->latest("sm2-issuing").value()->record.crl_number);
  pub_->stop();
  rt_->ca().set_status_listener({});
}

TEST_P(CrlPublisherTest, LatestIsCachedWithAStableEtag) {
  open(1, std::chrono::seconds(0));
  auto scope = pub_->scope_for("rsa-issuing", std::nullopt).value();
  EXPECT_EQ(pub_->latest("rsa-issuing").error().code(), ErrorCode::kNotFound);
  (void)pub_->generate(scope, false).value();
  auto a = pub_->latest("rsa-issuing").value();
  auto b = pub_->latest("rsa-issuing").value();
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(a->etag.size(), 34u);
  (void)pub_->generate(scope, false).value();
  auto c = pub_->latest("rsa-issuing").value();
  EXPECT_NE(c->etag, a->etag);
  EXPECT_GT(c->record.crl_number, a->record.crl_number);
  // Deltas disabled: no freshestCRL, and no delta on request.
  EXPECT_EQ(parse(c->record)->find_extension(der::oids::kFreshestCrl), nullptr);
  EXPECT_EQ(pub_->generate(scope, true).error().code(), ErrorCode::kInvalidArgument);
  // Old CRLs are pruned (keep = 3).
  for (int i = 0; i < 5; ++i) (void)pub_->generate(scope, false).value();
  auto rows = rt_->store()
                  .transact_value<std::vector<store::raw::Row>>([](store::Tx& tx) {
                    return store::raw::query(
                        tx, "SELECT COUNT(*) FROM crls WHERE name = 'rsa-issuing'", {});
                  })
                  .value();
  EXPECT_EQ(std::get<std::int64_t>(rows.at(0).at(0)), 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, CrlPublisherTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::revocation
