#include "auth/roles.h"

namespace hpki::auth {
namespace {

// The role -> permissions table (docs/operations.md "Authentication and roles").
bool table(Role r, Permission p) noexcept {
  using P = Permission;
  switch (r) {
    case Role::kAdmin:
      return true;
    case Role::kRaOfficer:
      return p == P::kCaRead || p == P::kProfileRead || p == P::kCertIssue || p == P::kCertRead ||
             p == P::kCertLifecycle || p == P::kSubjectRead || p == P::kSubjectWrite ||
             p == P::kSign || p == P::kVerify || p == P::kEvidenceExport;
    case Role::kAuditor:
      return p == P::kCaRead || p == P::kProfileRead || p == P::kCertRead || p == P::kSubjectRead ||
             p == P::kAuditRead || p == P::kVerify || p == P::kEvidenceExport;
    case Role::kIntegration:
      return p == P::kCaRead || p == P::kProfileRead || p == P::kCertIssue || p == P::kCertRead ||
             p == P::kSign || p == P::kVerify;
  }
  return false;
}

}  // namespace

std::string_view to_string(Role r) noexcept {
  switch (r) {
    case Role::kAdmin:
      return "admin";
    case Role::kRaOfficer:
      return "ra_officer";
    case Role::kAuditor:
      return "auditor";
    case Role::kIntegration:
      return "integration";
  }
  return "unknown";
}

Result<Role> parse_role(std::string_view s) {
  for (Role r : kAllRoles) {
    if (to_string(r) == s) return r;
  }
  return fail(ErrorCode::kInvalidArgument,
              "unknown role '" + std::string(s) + "' (admin, ra_officer, auditor, integration)");
}

std::string_view to_string(Permission p) noexcept {
  switch (p) {
    case Permission::kCaRead:
      return "ca.read";
    case Permission::kProfileRead:
      return "profile.read";
    case Permission::kCertIssue:
      return "cert.issue";
    case Permission::kCertRead:
      return "cert.read";
    case Permission::kCertLifecycle:
      return "cert.lifecycle";
    case Permission::kSubjectRead:
      return "subject.read";
    case Permission::kSubjectWrite:
      return "subject.write";
    case Permission::kAuditRead:
      return "audit.read";
    case Permission::kSign:
      return "sign";
    case Permission::kVerify:
      return "verify";
    case Permission::kEvidenceExport:
      return "evidence.export";
    case Permission::kAdmin:
      return "admin";
  }
  return "unknown";
}

bool role_has(Role r, Permission p) noexcept { return table(r, p); }

bool role_requires_org(Role r) noexcept { return r == Role::kRaOfficer || r == Role::kIntegration; }

bool role_allows_org(Role r) noexcept { return r != Role::kAdmin; }

std::string_view to_string(PrincipalKind k) noexcept {
  return k == PrincipalKind::kApiKey ? "api_key" : "client_certificate";
}

std::string Principal::actor() const {
  return (kind == PrincipalKind::kApiKey ? "api-key:" : "operator:") + id;
}

Result<void> authorize(const Principal& p, Permission perm,
                       std::optional<std::string_view> object_org) {
  if (!role_has(p.role, perm)) {
    return fail(ErrorCode::kPermissionDenied, "role " + std::string(to_string(p.role)) +
                                                  " may not " + std::string(to_string(perm)));
  }
  // The admin role is never organization-scoped, even if a row carried an org.
  if (p.role != Role::kAdmin && p.org && !p.org->empty() && object_org && *object_org != *p.org) {
    return fail(ErrorCode::kNotFound, "not found");
  }
  return {};
}

Result<void> authorize_create(const Principal& p, Permission perm, std::string_view new_org) {
  auto r = authorize(p, perm, new_org);
  if (!r && r.error().code() == ErrorCode::kNotFound) {
    return fail(ErrorCode::kPermissionDenied,
                "organization '" + *p.org + "' may not act for another organization");
  }
  return r;
}

std::optional<std::string> org_scope(const Principal& p) {
  if (p.role == Role::kAdmin || !p.org || p.org->empty()) return std::nullopt;
  return p.org;
}

}  // namespace hpki::auth
