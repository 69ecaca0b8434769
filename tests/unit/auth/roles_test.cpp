// Roles and organization scope (issue 5, auth/roles.h): the whole role x permission x
// organization matrix, written independently of roles.cpp.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "auth/roles.h"

namespace hpki::auth {
namespace {

using P = Permission;

// The expected table, written independently of roles.cpp.
const std::map<Role, std::set<Permission>>& expected_table() {
  static const std::map<Role, std::set<Permission>> t = {
      {Role::kAdmin,
       {P::kCaRead, P::kProfileRead, P::kCertIssue, P::kCertRead, P::kCertLifecycle,
        P::kSubjectRead, P::kSubjectWrite, P::kAuditRead, P::kSign, P::kVerify, P::kEvidenceExport,
        P::kAdmin}},
      {Role::kRaOfficer,
       {P::kCaRead, P::kProfileRead, P::kCertIssue, P::kCertRead, P::kCertLifecycle,
        P::kSubjectRead, P::kSubjectWrite, P::kSign, P::kVerify, P::kEvidenceExport}},
      {Role::kAuditor,
       {P::kCaRead, P::kProfileRead, P::kCertRead, P::kSubjectRead, P::kAuditRead, P::kVerify,
        P::kEvidenceExport}},
      {Role::kIntegration,
       {P::kCaRead, P::kProfileRead, P::kCertIssue, P::kCertRead, P::kSign, P::kVerify}},
  };
  return t;
}

Principal principal(Role r, std::optional<std::string> org) {
  return Principal{
      .id = "0123456789abcdef", .role = r, .org = std::move(org), .kind = PrincipalKind::kApiKey};
}

TEST(Roles, NamesRoundTripAndUnknownIsRefused) {
  for (Role r : kAllRoles) EXPECT_EQ(parse_role(to_string(r)).value(), r);
  EXPECT_EQ(to_string(Role::kRaOfficer), "ra_officer");
  auto bad = parse_role("root");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(parse_role("Admin"));
  std::set<std::string_view> names;
  for (P p : kAllPermissions) names.insert(to_string(p));
  EXPECT_EQ(names.size(), std::size(kAllPermissions));
}

// Every role x permission x {no object org, own org, other org, empty org}.
TEST(Roles, WholeMatrix) {
  for (Role r : kAllRoles) {
    const std::optional<std::string> org =
        role_requires_org(r) ? std::optional<std::string>("示例医院") : std::nullopt;
    for (P perm : kAllPermissions) {
      const bool allowed = expected_table().at(r).contains(perm);
      EXPECT_EQ(role_has(r, perm), allowed) << to_string(r) << " " << to_string(perm);
      const auto p = principal(r, org);
      for (std::optional<std::string_view> object :
           {std::optional<std::string_view>{}, std::optional<std::string_view>("示例医院"),
            std::optional<std::string_view>("其他医院"), std::optional<std::string_view>("")}) {
        auto res = authorize(p, perm, object);
        const std::string what = std::string(to_string(r)) + " " + std::string(to_string(perm)) +
                                 " on '" + std::string(object.value_or("<none>")) + "'";
        if (!allowed) {
          // A wrong role is 403 whatever the organization.
          ASSERT_FALSE(res) << what;
          EXPECT_EQ(res.error().code(), ErrorCode::kPermissionDenied) << what;
        } else if (org && object && *object != *org) {
          // Another organization's object: indistinguishable from a missing one.
          ASSERT_FALSE(res) << what;
          EXPECT_EQ(res.error().code(), ErrorCode::kNotFound) << what;
          EXPECT_EQ(res.error().detail(), "not found") << what;
        } else {
          EXPECT_TRUE(res) << what << ": " << res.error().to_string();
        }
      }
    }
  }
}

TEST(Roles, OrganizationScopes) {
  EXPECT_TRUE(role_requires_org(Role::kRaOfficer));
  EXPECT_TRUE(role_requires_org(Role::kIntegration));
  EXPECT_FALSE(role_requires_org(Role::kAuditor));
  EXPECT_TRUE(role_allows_org(Role::kAuditor));
  EXPECT_FALSE(role_allows_org(Role::kAdmin));
  // An auditor with an organization sees only that one.
  auto scoped = principal(Role::kAuditor, "示例医院");
  EXPECT_EQ(authorize(scoped, P::kAuditRead, "其他医院").error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(authorize(scoped, P::kAuditRead, "示例医院"));
  EXPECT_EQ(org_scope(scoped), std::optional<std::string>("示例医院"));
  EXPECT_EQ(org_scope(principal(Role::kAuditor, std::nullopt)), std::nullopt);
  // Admin ignores an organization even if one were recorded.
  auto admin = principal(Role::kAdmin, "示例医院");
  EXPECT_TRUE(authorize(admin, P::kCertLifecycle, "其他医院"));
  EXPECT_EQ(org_scope(admin), std::nullopt);
  // Creating for another organization is a plain refusal (nothing to hide).
  auto ra = principal(Role::kRaOfficer, "示例医院");
  EXPECT_TRUE(authorize_create(ra, P::kCertIssue, "示例医院"));
  EXPECT_EQ(authorize_create(ra, P::kCertIssue, "其他医院").error().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(authorize_create(principal(Role::kAuditor, std::nullopt), P::kCertIssue, "示例医院")
                .error()
                .code(),
            ErrorCode::kPermissionDenied);
  EXPECT_TRUE(authorize_create(admin, P::kSubjectWrite, "其他医院"));
  EXPECT_EQ(principal(Role::kIntegration, "x").actor(), "api-key:0123456789abcdef");
  auto op = principal(Role::kRaOfficer, "x");
  op.id = "op-0123456789abcdef";
  op.kind = PrincipalKind::kClientCertificate;
  EXPECT_EQ(op.actor(), "operator:op-0123456789abcdef");
}

}  // namespace
}  // namespace hpki::auth
