// Revocation from hpki's own store (revocation/store_source.h) on SQLite and PostgreSQL:
// certificates issued, revoked, put on hold and released through ca::Runtime, asked at
// validation times before and after each change, alone and in path validation; certificates
// hpki did not issue are unknown so the next source is asked.
#include "revocation/store_source.h"

#include <gtest/gtest.h>

#include <thread>

#include "ca/runtime.h"
#include "tests/support/ca_fixture.h"
#include "tests/support/test_util.h"
#include "x509/certificate.h"
#include "x509/ocsp_source.h"
#include "x509/path.h"
#include "x509/revocation.h"

namespace hpki::revocation {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using store::CaFamily;
using x509::RevocationStatus;

class StoreSourceTest : public test::CaFixture {
 protected:
  struct Issued {
    Serial serial;
    x509::CertificatePtr leaf, issuing, root;
  };

  // A staff certificate from an openssl-made CSR ("rsa" or "sm2").
  Issued issue(const std::string& alg) {
    ++n_;
    ca::IssueRequest req;
    req.requester = hpki::test::admin();
    req.profile = "staff-sign";
    req.csr = csr(alg);  // C=CN, O=示例医院, OU=心内科, CN=张三
    req.subject.data.organization = "示例医院";
    req.subject.data.department = "心内科";
    req.subject.data.common_name = "张三";
    req.subject.data.identifiers["id_number"] = "31010119900101123" + std::to_string(n_ % 10);
    auto res = rt_->ca().issue(req);
    EXPECT_TRUE(res) << res.error().to_string();
    Issued out;
    out.serial = res->serial;
    out.leaf = x509::Certificate::parse(res->der).value();
    out.issuing = x509::Certificate::parse(res->chain.at(0)).value();
    out.root = x509::Certificate::parse(res->chain.at(1)).value();
    return out;
  }

  x509::RevocationAnswer ask(const x509::Certificate& cert, const x509::Certificate& issuer,
                             TimePoint at) const {
    StoreRevocationSource src(rt_->store());
    x509::RevocationQuery q{cert, issuer, at, crypto::kSm2DefaultId, crypto::VerifyPolicy{}, {}};
    return src.check(q);
  }

  static TimePoint now() { return std::chrono::floor<seconds>(std::chrono::system_clock::now()); }

  int n_ = 0;
};

TEST_P(StoreSourceTest, StatusAtTheValidationTime) {
  for (const std::string alg : {"rsa", "sm2"}) {
    SCOPED_TRACE(alg);
    auto c = issue(alg);
    auto a = ask(*c.leaf, *c.issuing, now() + minutes(1));
    EXPECT_EQ(a.status, RevocationStatus::kGood) << a.diag << ": " << a.detail;
    EXPECT_EQ(a.diag, diag::kStoreGood);

    // Hold: revoked (certificateHold) from the hold time on, good before; released: good.
    auto held = rt_->ca().hold(c.serial, hpki::test::admin());
    ASSERT_TRUE(held) << held.error().to_string();
    ASSERT_TRUE(held->revoked_at);
    a = ask(*c.leaf, *c.issuing, *held->revoked_at + seconds(1));
    EXPECT_EQ(a.status, RevocationStatus::kRevoked) << a.diag << ": " << a.detail;
    EXPECT_EQ(a.diag, diag::kStoreOnHold);
    EXPECT_NE(a.detail.find("certificateHold"), std::string::npos) << a.detail;
    a = ask(*c.leaf, *c.issuing, *held->revoked_at - seconds(1));
    EXPECT_EQ(a.status, RevocationStatus::kGood) << a.diag << ": " << a.detail;
    EXPECT_EQ(a.diag, diag::kStoreRevokedLater);
    ASSERT_TRUE(rt_->ca().release(c.serial, hpki::test::admin()));
    EXPECT_EQ(ask(*c.leaf, *c.issuing, now() + minutes(1)).status, RevocationStatus::kGood);

    // Revoked: only from revoked_at on.
    auto rv = rt_->ca().revoke(c.serial, x509::RevocationReason::kKeyCompromise, std::nullopt,
                               hpki::test::admin());
    ASSERT_TRUE(rv) << rv.error().to_string();
    ASSERT_TRUE(rv->revoked_at);
    a = ask(*c.leaf, *c.issuing, *rv->revoked_at);
    EXPECT_EQ(a.status, RevocationStatus::kRevoked) << a.diag << ": " << a.detail;
    EXPECT_EQ(a.diag, diag::kStoreRevoked);
    EXPECT_NE(a.detail.find("keyCompromise"), std::string::npos) << a.detail;
    a = ask(*c.leaf, *c.issuing, *rv->revoked_at - seconds(1));
    EXPECT_EQ(a.status, RevocationStatus::kGood) << a.diag << ": " << a.detail;
    EXPECT_EQ(a.diag, diag::kStoreRevokedLater);  // a signature made before notes it

    // hpki's CA certificates are good; a serial the CA never issued is unknown.
    a = ask(*c.issuing, *c.root, now());
    EXPECT_EQ(a.status, RevocationStatus::kGood);
    EXPECT_EQ(a.diag, diag::kStoreCaCertificate);
    a = ask(*c.leaf, *c.root, now());
    EXPECT_EQ(a.status, RevocationStatus::kUnknown);
    EXPECT_EQ(a.diag, diag::kStoreUnknownSerial) << a.detail;
  }
}

TEST_P(StoreSourceTest, ForeignCertificatesAreUnknown) {
  // A certificate of a CA hpki does not run (openssl self-signed).
  const std::string key = dir_.file("foreign.key");
  auto r =
      test::run("openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout " +
                key + " -out " + key + ".pem -days 2 -subj '/O=Other/CN=Other CA'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto foreign = x509::Certificate::parse_any(test::read_file(key + ".pem")).value();
  auto a = ask(*foreign, *foreign, now());
  EXPECT_EQ(a.status, RevocationStatus::kUnknown);
  EXPECT_EQ(a.diag, diag::kStoreNotHpkiIssuer) << a.detail;
}

TEST_P(StoreSourceTest, PathValidationWithTheStore) {
  auto c = issue("sm2");
  StoreRevocationSource store_src(rt_->store());
  // The store first; caller-supplied OCSP responses (none here) for what it does not know.
  x509::OcspRevocationSource ocsp({});
  x509::CombinedRevocationSource sources({&store_src, &ocsp});
  x509::PathOptions o;
  o.at = now() + minutes(1);
  o.revocation = &sources;
  auto rep = x509::validate_path(c.leaf, {c.issuing}, {c.root}, o);
  EXPECT_TRUE(rep.valid) << rep.status << ": " << rep.detail;
  ASSERT_EQ(rep.chain.size(), 3u);
  EXPECT_EQ(rep.chain[0].revocation, RevocationStatus::kGood);
  EXPECT_EQ(rep.chain[1].revocation, RevocationStatus::kGood);

  // (Two seconds pass so that a time before the revocation is after the CAs' notBefore.)
  std::this_thread::sleep_for(seconds(2));
  auto rv = rt_->ca().revoke(c.serial, x509::RevocationReason::kAffiliationChanged, std::nullopt,
                             hpki::test::admin());
  ASSERT_TRUE(rv) << rv.error().to_string();
  o.at = *rv->revoked_at + seconds(1);
  rep = x509::validate_path(c.leaf, {c.issuing}, {c.root}, o);
  EXPECT_FALSE(rep.valid);
  EXPECT_EQ(rep.status, x509::diag::kRevoked) << rep.detail;
  EXPECT_NE(rep.detail.find(std::string(diag::kStoreRevoked)), std::string::npos) << rep.detail;
  // Validated at a time before the revocation, the path was valid.
  o.at = *rv->revoked_at - seconds(1);
  rep = x509::validate_path(c.leaf, {c.issuing}, {c.root}, o);
  EXPECT_TRUE(rep.valid) << rep.status << ": " << rep.detail;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreSourceTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::revocation
