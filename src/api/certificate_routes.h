// /api/v1/certificates: issuance (POST, answered asynchronously by the CA's pipeline), search,
// show and status, and the lifecycle operations renew, rekey, modify, revoke, hold and release
// of one certificate. A certificate of another organization than an organization-scoped
// caller's is 404; issuing or modifying for another organization is 403 (auth/roles.h).
// Counts hpki_certificates_issued_total / hpki_certificates_revoked_total{family, profile}.
#pragma once

#include <span>

#include "api/route_table.h"

namespace hpki::api {

[[nodiscard]] std::span<const ApiRoute> certificate_routes();

}  // namespace hpki::api
