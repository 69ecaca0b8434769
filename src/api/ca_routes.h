// GET /api/v1/cas, /api/v1/cas/{id}/chain (the certificate authorities) and
// GET /api/v1/profiles (the certificate profiles): read-only, every role may read them.
#pragma once

#include <span>

#include "api/route_table.h"

namespace hpki::api {

[[nodiscard]] std::span<const ApiRoute> ca_routes();

}  // namespace hpki::api
