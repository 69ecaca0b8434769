// Evidence routes (issue 21; docs/evidence.md):
//   POST /api/v1/evidence        export the evidence package of a signature (kept by hpki)
//   GET  /api/v1/evidence/{id}   a kept package as last re-time-stamped
// Permission evidence.export (auditor, ra_officer, admin; not integration): an organization-scoped
// caller gets 404 for a signer certificate of another organization, exactly as for one this hpki
// did not issue. Each export is audited ("evidence.export").
#pragma once

#include <span>

#include "api/route_table.h"

namespace hpki::api {

[[nodiscard]] std::span<const ApiRoute> evidence_routes();

}  // namespace hpki::api
