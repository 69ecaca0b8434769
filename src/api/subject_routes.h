// /api/v1/subjects: subject records (staff, organizations, devices) — list (paged, filtered by
// kind and organization), create, show (identifiers masked), replace, delete. A record of
// another organization than an organization-scoped caller's is 404; creating one for, or
// moving one to, another organization is 403.
#pragma once

#include <span>

#include "api/route_table.h"

namespace hpki::api {

[[nodiscard]] std::span<const ApiRoute> subject_routes();

}  // namespace hpki::api
