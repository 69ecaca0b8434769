// The CA service's own rules (ca/ca_service.cpp; issues 4 and 16) on SQLite and PostgreSQL: who
// may request what (trust-service profiles are admin-only, for issuance and every lifecycle
// operation; RSA and SM2), and the audit trail: every change audited, the log verifies and a
// tampered entry is found; entries about an organization's certificates name it.
#include <gtest/gtest.h>

#include <set>

#include "ca/runtime.h"
#include "store/detail/raw.h"
#include "tests/support/ca_fixture.h"
#include "x509/certificate.h"

namespace hpki::ca {
namespace {

class CaServiceTest : public test::CaFixture {};

// Trust-service profiles (OCSP responder, TSA, operator) are admin-only: an ra_officer or an
// integration key is refused, for issuance and for every lifecycle operation on such a
// certificate; subscriber profiles stay open to them. RSA and SM2.
TEST_P(CaServiceTest, TrustServiceProfilesAreIssuedAndManagedByAdminsOnly) {
  for (const std::string alg : {"rsa", "sm2"}) {
    SCOPED_TRACE(alg);
    for (const std::string profile : {"ocsp-responder", "tsa", "operator"}) {
      for (const std::string role : {"ra_officer", "integration", ""}) {
        IssueRequest r;
        r.requester = {"api-key:x", role};
        r.profile = profile;
        r.csr = csr(alg);
        r.subject.data = staff("");
        r.subject.data.identifiers.clear();
        auto out = rt_->ca().issue(r);
        ASSERT_FALSE(out) << profile << " issued to role '" << role << "'";
        EXPECT_EQ(out.error().code(), ErrorCode::kPermissionDenied) << out.error().to_string();
      }
    }
    // Subscriber profiles: open to ra_officer and integration.
    IssueRequest staff_req;
    staff_req.requester = {"api-key:ra", "ra_officer"};
    staff_req.profile = "staff-sign";
    staff_req.csr = csr(alg);
    staff_req.subject.data = staff();
    ASSERT_TRUE(rt_->ca().issue(staff_req));
    // An admin gets a TSA certificate; nobody else renews, re-keys, modifies, holds or revokes
    // it, nor the OCSP responder certificate ca init made.
    IssueRequest tsa_req;
    tsa_req.requester = hpki::test::admin();
    tsa_req.profile = "tsa";
    tsa_req.csr = csr(alg);
    tsa_req.subject.data = staff("");
    tsa_req.subject.data.identifiers.clear();
    auto tsa = rt_->ca().issue(tsa_req);
    ASSERT_TRUE(tsa) << tsa.error().to_string();
    const std::string ocsp_ca = alg + "-ocsp";
    auto ocsp_record = rt_->store().transact_value<store::CaRecord>(
        [&](store::Tx& tx) { return tx.get_ca(ocsp_ca); });
    ASSERT_TRUE(ocsp_record);
    const Serial ocsp_serial =
        x509::Certificate::parse(ocsp_record->certificate).value()->serial_number();
    for (const Serial& serial : {tsa->serial, ocsp_serial}) {
      for (const std::string role : {"ra_officer", "integration"}) {
        const Requester by{"api-key:x", role};
        EXPECT_EQ(rt_->ca().renew(serial, std::nullopt, by).error().code(),
                  ErrorCode::kPermissionDenied);
        EXPECT_EQ(rt_->ca().rekey(serial, csr(alg), std::nullopt, by).error().code(),
                  ErrorCode::kPermissionDenied);
        EXPECT_EQ(rt_->ca().modify(serial, {}, by).error().code(), ErrorCode::kPermissionDenied);
        EXPECT_EQ(rt_->ca().hold(serial, by).error().code(), ErrorCode::kPermissionDenied);
        EXPECT_EQ(rt_->ca()
                      .revoke(serial, x509::RevocationReason::kKeyCompromise, std::nullopt, by)
                      .error()
                      .code(),
                  ErrorCode::kPermissionDenied);
      }
      EXPECT_EQ(rt_->ca().status(serial).value().word(), "good");
    }
    EXPECT_TRUE(rt_->ca().hold(tsa->serial, hpki::test::admin()));
  }
}

TEST_P(CaServiceTest, EveryChangeIsAuditedAndTheLogVerifies) {
  auto a = issue_csr("rsa").value();
  ASSERT_TRUE(rt_->ca().revoke(a.serial, x509::RevocationReason::kKeyCompromise, std::nullopt,
                               hpki::test::admin("alice")));
  auto entries = rt_->audit().list(rt_->store(), 1, 1000).value();
  std::vector<std::string> actions;
  for (const auto& e : entries) actions.push_back(e.action);
  EXPECT_NE(std::find(actions.begin(), actions.end(), "ca.create"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "cert.issue"), actions.end());
  EXPECT_EQ(entries.back().action, "cert.revoke");
  EXPECT_EQ(entries.back().actor, "alice");
  EXPECT_EQ(entries.back().object, "rsa-issuing/" + a.serial.hex());
  audit::VerifyOptions o;
  o.resolve_key = [&](const KeyId& ref) {
    return rt_->file_keys().public_key(crypto::to_key_ref(ref));
  };
  auto report = rt_->audit().verify(rt_->store(), o).value();
  EXPECT_TRUE(report.ok()) << report.failure->message;
  EXPECT_TRUE(report.signatures_checked);
  EXPECT_GE(report.checkpoints_checked, 1);
  // Tamper with one entry directly in the database: detected at that entry.
  const auto seq = entries[entries.size() / 2].seq;
  ASSERT_TRUE(rt_->store().transact([&](store::Tx& tx) -> Result<void> {
    std::vector<store::raw::Value> params{std::string("mallory"), seq};
    HPKI_TRY(store::raw::exec(tx, "UPDATE audit_log SET actor = ? WHERE seq = ?", params));
    return {};
  }));
  report = rt_->audit().verify(rt_->store(), o).value();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.failure->seq, seq);
  EXPECT_EQ(report.failure->reason, audit::reason::kHashMismatch);
}

// Audit entries about an organization's certificates and subjects name it (issue 16), so that
// an organization's auditor can be given its entries only.
TEST_P(CaServiceTest, AuditEntriesNameTheirOrganization) {
  auto a = issue_csr("sm2").value();
  ASSERT_TRUE(rt_->ca().hold(a.serial, hpki::test::admin()));
  auto mine = rt_->audit().list(rt_->store(), 1, 1000, std::string("示例医院")).value();
  std::set<std::string> actions;
  for (const auto& e : mine) {
    EXPECT_EQ(e.org, "示例医院");
    actions.insert(e.action);
  }
  EXPECT_TRUE(actions.contains("cert.issue"));
  EXPECT_TRUE(actions.contains("cert.hold"));
  EXPECT_FALSE(actions.contains("ca.create"));  // system-wide
  EXPECT_TRUE(rt_->audit().list(rt_->store(), 1, 1000, std::string("其他医院")).value().empty());
  EXPECT_TRUE(rt_->audit().verify(rt_->store()).value().ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, CaServiceTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::ca
