// Electronic seal routes (issue 20; docs/seals.md), the JSON edge of seal::Service:
//   GET  /api/v1/seals              list (organization-scoped), ?org= ?limit= ?offset=
//   POST /api/v1/seals              create (ra_officer of the organization, admin)
//   GET  /api/v1/seals/{id}         show, with the image and the SESeal (base64)
//   POST /api/v1/seals/{id}/revoke  revoke {"reason": "..."} (ra_officer, admin)
// Reading needs cert.read (auditor, ra_officer, integration, admin); a seal of another
// organization is 404 like a missing one.
#pragma once

#include <span>

#include "api/route_table.h"

namespace hpki::api {

[[nodiscard]] std::span<const ApiRoute> seal_routes();

}  // namespace hpki::api
