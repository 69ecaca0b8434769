// Roles, permissions and principals of hpki's front ends (issue 5 "Authentication and roles";
// issue 17 moved them out of the REST API so that the CLI and the API share them). No HTTP and
// no storage here: a front end maps a caller's credentials to a Principal (auth/credentials.h),
// then asks authorize() before each operation.
//
// Roles (docs/operations.md "Authentication and roles" is the operator's copy):
//   admin        everything, every organization.
//   ra_officer   lifecycle of certificates and subject records of its own organization, and
//                signing with its organization's registered keys (issue 8).
//   auditor      read-only: CAs, profiles, certificates, subjects, the audit log; evidence
//                packages (issue 21; also ra_officer).
//   integration  a hospital system (HIS, EMR, PACS...): issue, sign, verify, read certificates
//                of its own organization.
// ra_officer and integration always carry an organization; an auditor may carry one (then it
// only sees that organization); admin never does.
//
// Organization scope: a principal with an organization may only touch objects of that
// organization. An object of another organization is reported as kNotFound — exactly what a
// missing object gives — so that callers cannot learn which serials or subjects exist
// elsewhere. A wrong role is kPermissionDenied.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace hpki::auth {

enum class Role { kAdmin, kRaOfficer, kAuditor, kIntegration };

// "admin", "ra_officer", "auditor", "integration".
[[nodiscard]] std::string_view to_string(Role r) noexcept;
// kInvalidArgument for an unknown name.
[[nodiscard]] Result<Role> parse_role(std::string_view s);
inline constexpr Role kAllRoles[] = {Role::kAdmin, Role::kRaOfficer, Role::kAuditor,
                                     Role::kIntegration};

enum class Permission {
  kCaRead,          // CAs, chains
  kProfileRead,     // certificate profiles
  kCertIssue,       // issue from a CSR or with key generation
  kCertRead,        // list / search / show / status
  kCertLifecycle,   // renew, rekey, modify, revoke, hold, release
  kSubjectRead,     // subject records
  kSubjectWrite,    // create / change / delete subject records
  kAuditRead,       // audit entries and checkpoints
  kSign,            // signing services for an organization (issue 5+: sign / TSA)
  kVerify,          // verification services
  kEvidenceExport,  // evidence packages of signatures of an organization (issue 21)
  kAdmin,           // API keys, operators, CA administration
};
[[nodiscard]] std::string_view to_string(Permission p) noexcept;
inline constexpr Permission kAllPermissions[] = {
    Permission::kCaRead,       Permission::kProfileRead,    Permission::kCertIssue,
    Permission::kCertRead,     Permission::kCertLifecycle,  Permission::kSubjectRead,
    Permission::kSubjectWrite, Permission::kAuditRead,      Permission::kSign,
    Permission::kVerify,       Permission::kEvidenceExport, Permission::kAdmin};

// The role table.
[[nodiscard]] bool role_has(Role r, Permission p) noexcept;
// Whether the role must / may carry an organization.
[[nodiscard]] bool role_requires_org(Role r) noexcept;
[[nodiscard]] bool role_allows_org(Role r) noexcept;

enum class PrincipalKind { kApiKey, kClientCertificate };
[[nodiscard]] std::string_view to_string(PrincipalKind k) noexcept;

struct Principal {
  std::string id{};  // the api_keys id: "<16 hex>" for a key, "op-<16 hex>" for an operator
  Role role = Role::kAuditor;
  std::optional<std::string> org{};
  PrincipalKind kind = PrincipalKind::kApiKey;

  // The audit actor: "api-key:<id>" or "operator:<id>".
  [[nodiscard]] std::string actor() const;
};

// May `p` exercise `perm` on an object of organization `object_org`?
//  - the role lacks the permission: kPermissionDenied;
//  - `p` has an organization and `object_org` is given and differs: kNotFound (no leak);
//  - `object_org` absent (collections, CAs, profiles): allowed — the caller must then filter
//    what it returns with org_scope(p).
[[nodiscard]] Result<void> authorize(const Principal& p, Permission perm,
                                     std::optional<std::string_view> object_org);
// For creating an object of `new_org` (issuing for, creating a subject of): the same, but
// another organization is kPermissionDenied (nothing exists yet, there is nothing to hide).
[[nodiscard]] Result<void> authorize_create(const Principal& p, Permission perm,
                                            std::string_view new_org);
// The organization a principal's listings must be restricted to (none: everything).
[[nodiscard]] std::optional<std::string> org_scope(const Principal& p);

}  // namespace hpki::auth
