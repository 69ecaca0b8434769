// Status changes (ca/lifecycle.cpp, issue 4) on SQLite and PostgreSQL, RSA and SM2: renew,
// re-key, modify (the old certificate superseded), hold, release and revoke with their refusals;
// committed changes reach the status listener, refused ones do not. (Records left `issuing` by
// a version before issue 17: upgrade_test.cpp.)
#include <gtest/gtest.h>

#include "ca/runtime.h"
#include "der/oids.h"
#include "tests/support/ca_fixture.h"
#include "x509/certificate.h"

namespace hpki::ca {
namespace {

using store::CertStatus;

class LifecycleTest : public test::CaFixture {};

TEST_P(LifecycleTest, LifecycleRsaAndSm2) {
  for (const std::string alg : {"rsa", "sm2"}) {
    SCOPED_TRACE(alg);
    auto first = issue_csr(alg).value();
    auto first_cert = x509::Certificate::parse(first.der).value();
    // Renew: same key, new serial.
    auto renewed = rt_->ca().renew(first.serial, 30, hpki::test::admin()).value();
    auto renewed_cert = x509::Certificate::parse(renewed.der).value();
    EXPECT_NE(renewed.serial, first.serial);
    EXPECT_EQ(renewed_cert->spki_der(), first_cert->spki_der());
    EXPECT_EQ(renewed_cert->subject(), first_cert->subject());
    EXPECT_LE(renewed_cert->validity().not_after - renewed_cert->validity().not_before,
              std::chrono::days(30));
    // Re-key: new key; the same key is refused.
    auto rk = rt_->ca().rekey(renewed.serial, csr(alg), std::nullopt, hpki::test::admin()).value();
    auto rk_cert = x509::Certificate::parse(rk.der).value();
    EXPECT_NE(rk_cert->spki_der(), first_cert->spki_der());
    EXPECT_EQ(rk_cert->subject(), first_cert->subject());
    // Modify: new certificate with the new department; the old one revoked as superseded.
    SubjectInput change;
    change.data.department = "急诊科";
    auto mod = rt_->ca().modify(rk.serial, change, hpki::test::admin()).value();
    auto mod_cert = x509::Certificate::parse(mod.der).value();
    EXPECT_EQ(mod_cert->subject().get(der::oids::kOrganizationalUnitName), "急诊科");
    auto old = rt_->ca().status(rk.serial).value();
    EXPECT_EQ(old.word(), "revoked");
    EXPECT_EQ(old.reason, x509::RevocationReason::kSuperseded);
    EXPECT_EQ(rt_->ca().status(mod.serial).value().word(), "good");
    // Hold and release.
    EXPECT_EQ(rt_->ca().hold(mod.serial, hpki::test::admin()).value().word(), "hold");
    EXPECT_EQ(rt_->ca().status(mod.serial).value().reason,
              x509::RevocationReason::kCertificateHold);
    EXPECT_EQ(rt_->ca().release(mod.serial, hpki::test::admin()).value().word(), "good");
    EXPECT_EQ(rt_->ca().release(mod.serial, hpki::test::admin()).error().code(),
              ErrorCode::kBadState);
    // Revoke with reason and invalidity date; a second revoke is refused.
    auto inv = rt_->clock().now() - std::chrono::hours(2);
    auto rv =
        rt_->ca()
            .revoke(mod.serial, x509::RevocationReason::kKeyCompromise, inv, hpki::test::admin())
            .value();
    EXPECT_EQ(rv.word(), "revoked");
    EXPECT_EQ(rv.reason, x509::RevocationReason::kKeyCompromise);
    ASSERT_TRUE(rv.invalidity_date);
    EXPECT_EQ(std::chrono::floor<std::chrono::seconds>(*rv.invalidity_date),
              std::chrono::floor<std::chrono::seconds>(inv));
    EXPECT_EQ(rt_->ca()
                  .revoke(mod.serial, x509::RevocationReason::kKeyCompromise, std::nullopt,
                          hpki::test::admin())
                  .error()
                  .code(),
              ErrorCode::kBadState);
    EXPECT_EQ(rt_->ca().renew(mod.serial, std::nullopt, hpki::test::admin()).error().code(),
              ErrorCode::kBadState);
    // Serials are accepted in any case and with colons.
    std::string upper;
    for (std::size_t i = 0; i < first.serial.hex().size(); ++i) {
      if (i && i % 2 == 0) upper += ':';
      upper += static_cast<char>(std::toupper(static_cast<unsigned char>(first.serial.hex()[i])));
    }
    EXPECT_EQ(rt_->ca().status(test::sn(upper)).value().serial, first.serial);
  }
}

TEST_P(LifecycleTest, CommittedStatusChangesReachTheListener) {
  std::vector<std::string> seen;
  rt_->ca().set_status_listener([&](const StatusChange& c) {
    seen.push_back(c.action + " " + c.ca_id + "/" + c.serial.hex());
  });
  auto a = issue_csr("sm2").value();
  ASSERT_TRUE(rt_->ca().hold(a.serial, hpki::test::admin("t")));
  ASSERT_TRUE(rt_->ca().release(a.serial, hpki::test::admin("t")));
  auto m = rt_->ca().modify(a.serial, {}, hpki::test::admin("t")).value();
  // A refused change (already revoked) commits nothing and notifies nothing.
  EXPECT_FALSE(rt_->ca().revoke(a.serial, x509::RevocationReason::kKeyCompromise, {},
                                hpki::test::admin("t")));
  ASSERT_TRUE(rt_->ca().revoke(m.serial, x509::RevocationReason::kKeyCompromise, {},
                               hpki::test::admin("t")));
  const std::string o = "sm2-issuing/" + a.serial.hex(), n = "sm2-issuing/" + m.serial.hex();
  EXPECT_EQ(seen, (std::vector<std::string>{"issue " + o, "hold " + o, "release " + o,
                                            "revoke " + o, "modify " + n, "revoke " + n}));
}

INSTANTIATE_TEST_SUITE_P(Backends, LifecycleTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::ca
