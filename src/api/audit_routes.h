// GET /api/v1/audit (entries from a sequence number; an organization-scoped auditor reads its
// organization's entries only, issue 16) and GET /api/v1/audit/checkpoints (signed checkpoints;
// they cover every organization, so system-wide auditors only: 403 otherwise).
#pragma once

#include <span>

#include "api/route_table.h"

namespace hpki::api {

[[nodiscard]] std::span<const ApiRoute> audit_routes();

}  // namespace hpki::api
