// Credentials (issue 5, auth/credentials.h): the pepper, API keys (format, hashing,
// authentication, caching, revocation, audit) and operator certificates, on SQLite and
// PostgreSQL.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <thread>

#include <map>
#include <regex>
#include <set>

#include "auth/credentials.h"
#include "ca/runtime.h"
#include "core/encoding.h"
#include "crypto/random.h"
#include "tests/support/ca_fixture.h"
#include "tests/support/test_util.h"
#include "x509/certificate.h"

namespace hpki::auth {
namespace {

TEST(Pepper, CreatedOnceWithMode0600AndReused) {
  test::TempDir dir;
  const auto file = pepper_path(dir.path());
  auto a = load_or_create_pepper(file);
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->size(), kPepperSize);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto b = load_or_create_pepper(file).value();
  EXPECT_TRUE(constant_time_equal(a->view(), b.view()));
  // No temporary file is left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
  test::write_file(file.string(), std::string_view("short"));
  auto bad = load_or_create_pepper(file);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kConfigInvalid);
}

// On a home with the SM2 hierarchy only.
class AuthTest : public test::CaFixture {
 protected:
  AuthTest() : CaFixture({store::CaFamily::kSm2}) {}
  void SetUp() override {
    CaFixture::SetUp();
    if (HasFatalFailure()) return;
    auto pepper = load_or_create_pepper(pepper_path(rt_->config().keys_dir));
    ASSERT_TRUE(pepper) << pepper.error().to_string();
    pepper_ = std::move(*pepper);
  }

  AuthContext ctx() {
    return AuthContext{.store = rt_->store(),
                       .audit = rt_->audit(),
                       .pepper = pepper_,
                       .random = random_,
                       .clock = rt_->clock()};
  }

  std::vector<store::AuditRecord> audit_entries() {
    return rt_->store()
        .transact_value<std::vector<store::AuditRecord>>(
            [](store::Tx& tx) { return tx.read_audit(1, 10000); })
        .value();
  }

  // An SM2 certificate of `profile` from an openssl-made CSR.
  x509::CertificatePtr issue(const std::string& profile, const std::string& cn) {
    ca::IssueRequest req;
    req.requester = hpki::test::admin();
    req.profile = profile;
    req.csr = csr("sm2", "/C=CN/O=示例医院/CN=" + cn);
    req.subject.data.organization = "示例医院";
    req.subject.data.common_name = cn;
    if (profile != "operator") req.subject.data.identifiers["id_number"] = "310101199001011234";
    auto issued = rt_->ca().issue(req);
    EXPECT_TRUE(issued) << issued.error().to_string();
    if (!issued) return nullptr;
    return x509::Certificate::parse(issued->der).value();
  }

  SecretBytes pepper_;
  crypto::SystemRandom random_;
};

TEST_P(AuthTest, ApiKeyLifecycle) {
  auto k = create_api_key(ctx(), Role::kIntegration, "示例医院", "cli:test");
  ASSERT_TRUE(k) << k.error().to_string();
  EXPECT_TRUE(std::regex_match(k->key, std::regex("hpki_[0-9a-f]{16}_[A-Za-z0-9_-]{43}")))
      << k->key;
  EXPECT_EQ(k->key.substr(5, 16), k->id);
  // At least 32 bytes of entropy behind the id.
  EXPECT_EQ(base64url_decode(k->key.substr(22)).value().size(), kApiKeySecretBytes);

  auto p = authenticate_api_key(rt_->store(), pepper_, k->key);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->id, k->id);
  EXPECT_EQ(p->role, Role::kIntegration);
  EXPECT_EQ(p->org, std::optional<std::string>("示例医院"));
  EXPECT_EQ(p->kind, PrincipalKind::kApiKey);

  // Only the keyed hash is stored: not the key, not the secret, not an unkeyed hash.
  auto rows = rt_->store()
                  .transact_value<std::vector<store::ApiKeyRecord>>(
                      [](store::Tx& tx) { return tx.list_api_keys(); })
                  .value();
  ASSERT_EQ(rows.size(), 1u);
  const auto& stored_hash = rows[0].hash;
  EXPECT_EQ(stored_hash, api_key_hash(pepper_, k->key).value());
  EXPECT_EQ(stored_hash.size(), 32u);
  for (const std::string& s : {rows[0].id, rows[0].role, rows[0].org}) {
    EXPECT_EQ(s.find(k->key.substr(22)), std::string::npos);
  }

  // Each wrong token is refused with the same outcome.
  std::string flipped = k->key;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  std::string other_id = k->key;
  other_id[5] = other_id[5] == '0' ? '1' : '0';
  for (const std::string& bad :
       {flipped, other_id, std::string(""), std::string("hpki_"), k->key.substr(0, 30),
        "Bearer " + k->key, k->key + "x", std::string(300, 'a'), "HPKI_" + k->key.substr(5)}) {
    auto r = authenticate_api_key(rt_->store(), pepper_, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied) << bad;
    EXPECT_EQ(r.error().detail(), "invalid credentials") << bad;
  }
  // Another pepper (another installation) does not accept the key.
  SecretBytes other_pepper(kPepperSize);
  ASSERT_TRUE(random_.fill(std::span<std::uint8_t>(other_pepper.data(), other_pepper.size())));
  EXPECT_FALSE(authenticate_api_key(rt_->store(), other_pepper, k->key));

  // Listing shows the key, never its hash.
  auto list = list_credentials(rt_->store()).value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id, k->id);
  EXPECT_EQ(list[0].role, Role::kIntegration);
  EXPECT_EQ(list[0].org, "示例医院");
  EXPECT_FALSE(list[0].revoked_at);

  // Revocation: the key stops working; revoking twice is kNotFound.
  ASSERT_TRUE(revoke_credential(ctx(), k->id, "cli:test"));
  auto after = authenticate_api_key(rt_->store(), pepper_, k->key);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::kPermissionDenied);
  auto again = revoke_credential(ctx(), k->id, "cli:test");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(revoke_credential(ctx(), "ffffffffffffffff", "cli:test").error().code(),
            ErrorCode::kNotFound);
  EXPECT_TRUE(list_credentials(rt_->store()).value()[0].revoked_at);

  // Audit: creation and revocation, by the actor, in a chain that still verifies.
  auto entries = audit_entries();
  std::vector<std::string> actions;
  for (const auto& e : entries) {
    if (e.action.starts_with("auth.")) {
      actions.push_back(e.action);
      EXPECT_EQ(e.actor, "cli:test");
      EXPECT_EQ(e.object, "api-key:" + k->id);
      EXPECT_EQ(e.details.find(k->key.substr(22)), std::string::npos);
    }
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"auth.apikey_create", "auth.apikey_revoke"}));
  auto report = rt_->audit().verify(rt_->store(), {});
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok());
}

TEST_P(AuthTest, CredentialCacheBoundsHowLongARevokedKeyStillWorks) {
  auto k = create_api_key(ctx(), Role::kIntegration, "示例医院", "cli:test");
  ASSERT_TRUE(k) << k.error().to_string();
  CredentialCache cache(std::chrono::milliseconds(300));
  ASSERT_TRUE(authenticate_api_key(rt_->store(), pepper_, k->key, &cache));
  // Revoked by another process (here: without telling the cache): still accepted from the
  // cache within its ttl, refused once it has passed.
  ASSERT_TRUE(revoke_credential(ctx(), k->id, "cli:test"));
  EXPECT_TRUE(authenticate_api_key(rt_->store(), pepper_, k->key, &cache));
  EXPECT_FALSE(authenticate_api_key(rt_->store(), pepper_, k->key));  // no cache: refused
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  auto after = authenticate_api_key(rt_->store(), pepper_, k->key, &cache);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::kPermissionDenied);
  // Unknown and malformed keys are never cached; a ttl of 0 caches nothing.
  auto other = create_api_key(ctx(), Role::kIntegration, "示例医院", "cli:test");
  ASSERT_TRUE(other);
  CredentialCache off(std::chrono::milliseconds(0));
  ASSERT_TRUE(authenticate_api_key(rt_->store(), pepper_, other->key, &off));
  ASSERT_TRUE(revoke_credential(ctx(), other->id, "cli:test"));
  EXPECT_FALSE(authenticate_api_key(rt_->store(), pepper_, other->key, &off));
  // A cached key with a wrong secret part is still refused (the hash is the cache key).
  ASSERT_TRUE(authenticate_api_key(rt_->store(), pepper_,
                                   create_api_key(ctx(), Role::kAuditor, std::nullopt, "t")->key,
                                   &cache));
  std::string wrong = k->key;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(authenticate_api_key(rt_->store(), pepper_, wrong, &cache));
}

TEST_P(AuthTest, KeysAreUniqueAndRoleOrgRulesAreEnforced) {
  std::set<std::string> ids;
  for (Role r : kAllRoles) {
    std::optional<std::string> org;
    if (role_requires_org(r)) org = "示例医院";
    auto k = create_api_key(ctx(), r, org, "cli:test");
    ASSERT_TRUE(k) << k.error().to_string();
    ids.insert(k->id);
    auto p = authenticate_api_key(rt_->store(), pepper_, k->key).value();
    EXPECT_EQ(p.role, r);
    EXPECT_EQ(p.org, org);
  }
  EXPECT_EQ(ids.size(), 4u);
  for (auto [role, org] : std::vector<std::pair<Role, std::optional<std::string>>>{
           {Role::kRaOfficer, std::nullopt},
           {Role::kIntegration, std::string("")},
           {Role::kAdmin, std::string("示例医院")}}) {
    auto k = create_api_key(ctx(), role, org, "cli:test");
    ASSERT_FALSE(k) << to_string(role);
    EXPECT_EQ(k.error().code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(list_credentials(rt_->store()).value().size(), 4u);
}

TEST_P(AuthTest, OperatorCertificates) {
  auto op = issue("operator", "operator-1");
  auto staff = issue("staff-sign", "张三");
  ASSERT_TRUE(op && staff);
  const auto now = rt_->clock().now();

  // Unregistered: refused like a wrong key.
  auto none = principal_from_certificate(rt_->store(), pepper_, *op, now);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kPermissionDenied);

  // Only operator-profile certificates issued here can be registered.
  auto wrong_profile = register_operator(ctx(), *staff, Role::kRaOfficer, "示例医院", "cli:test");
  ASSERT_FALSE(wrong_profile);
  EXPECT_EQ(wrong_profile.error().code(), ErrorCode::kInvalidArgument);
  auto ca_cert = x509::Certificate::parse(rt_->ca().list_cas().value()[0].certificate).value();
  EXPECT_EQ(
      register_operator(ctx(), *ca_cert, Role::kAdmin, std::nullopt, "cli:test").error().code(),
      ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      register_operator(ctx(), *op, Role::kRaOfficer, std::nullopt, "cli:test").error().code(),
      ErrorCode::kInvalidArgument);

  auto id = register_operator(ctx(), *op, Role::kRaOfficer, "示例医院", "cli:test");
  ASSERT_TRUE(id) << id.error().to_string();
  EXPECT_TRUE(std::regex_match(*id, std::regex("op-[0-9a-f]{16}")));
  auto p = principal_from_certificate(rt_->store(), pepper_, *op, now);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->id, *id);
  EXPECT_EQ(p->role, Role::kRaOfficer);
  EXPECT_EQ(p->org, std::optional<std::string>("示例医院"));
  EXPECT_EQ(p->kind, PrincipalKind::kClientCertificate);
  EXPECT_EQ(p->actor(), "operator:" + *id);
  // The staff certificate of the same CA is still no operator.
  EXPECT_FALSE(principal_from_certificate(rt_->store(), pepper_, *staff, now));
  // Registered twice: conflict.
  EXPECT_EQ(register_operator(ctx(), *op, Role::kAdmin, std::nullopt, "cli:test").error().code(),
            ErrorCode::kConflict);

  // Outside the validity period.
  EXPECT_FALSE(principal_from_certificate(rt_->store(), pepper_, *op,
                                          op->validity().not_after + std::chrono::hours(1)));
  EXPECT_FALSE(principal_from_certificate(rt_->store(), pepper_, *op,
                                          op->validity().not_before - std::chrono::hours(1)));

  // On hold in hpki: refused; released: accepted again.
  ASSERT_TRUE(rt_->ca().hold(op->serial_number(), hpki::test::admin("cli:test")));
  EXPECT_EQ(principal_from_certificate(rt_->store(), pepper_, *op, now).error().code(),
            ErrorCode::kPermissionDenied);
  ASSERT_TRUE(rt_->ca().release(op->serial_number(), hpki::test::admin("cli:test")));
  EXPECT_TRUE(principal_from_certificate(rt_->store(), pepper_, *op, now));

  // The registration shows up in the list as a client certificate; revoking it ends access.
  auto list = list_credentials(rt_->store()).value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].kind, PrincipalKind::kClientCertificate);
  ASSERT_TRUE(revoke_credential(ctx(), *id, "cli:test"));
  EXPECT_EQ(principal_from_certificate(rt_->store(), pepper_, *op, now).error().code(),
            ErrorCode::kPermissionDenied);

  std::vector<std::string> actions;
  for (const auto& e : audit_entries()) {
    if (e.action.starts_with("auth.")) actions.push_back(e.action);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"auth.operator_add", "auth.operator_revoke"}));

  // A revoked certificate cannot be registered.
  auto op2 = issue("operator", "operator-2");
  ASSERT_TRUE(op2);
  ASSERT_TRUE(rt_->ca().revoke(op2->serial_number(), x509::RevocationReason::kKeyCompromise,
                               std::nullopt, hpki::test::admin("cli:test")));
  EXPECT_EQ(register_operator(ctx(), *op2, Role::kAuditor, std::nullopt, "cli:test").error().code(),
            ErrorCode::kBadState);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::auth
