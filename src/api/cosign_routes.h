// Mobile co-signing routes (issue 19; docs/cosign.md), the JSON edge of cosign::Service.
//
// Hospital systems and RA officers (API key / client certificate, own organization):
//   POST /api/v1/enrollments, GET /api/v1/enrollments/{id},
//   POST /api/v1/signing-requests, GET /api/v1/signing-requests/{id},
//   GET /api/v1/signing-requests/{id}/deliveries, GET /api/v1/cosign/webhook-secret,
//   GET /api/v1/cosign/devices/{id}, POST /api/v1/cosign/devices/{id}/revoke | /unlock.
// The phone (/api/v1/m/...): the enrollment routes are authenticated by the enrollment code,
// the others by the device token ("Authorization: Bearer hpkid_..."); per-device rate limit.
// The PC's QR page (/qr/api/...): the PC secret in the HttpOnly cookie hpki_qr.
// Static files: the phone app at /m/, the QR page at /qr/ (from the web build directory).
#pragma once

#include <filesystem>
#include <span>

#include "api/route_table.h"
#include "http/router.h"

namespace hpki::api {

// The /api/v1 routes of hospital systems and RA officers (in the route table).
[[nodiscard]] std::span<const ApiRoute> cosign_routes();

// The phone's protocol routes and the PC's QR routes as the OpenAPI document lists them: how each
// is authenticated ("enrollment-code", "device-token", "pc-cookie" or "none").
struct PhoneRouteDoc {
  std::string_view method;
  std::string_view pattern;
  std::string_view summary;
  std::string_view auth;
};
[[nodiscard]] std::span<const PhoneRouteDoc> cosign_phone_route_docs();

// The phone's protocol routes, the PC's QR routes and the static files of web_dir/m and
// web_dir/qr (missing files: the routes answer 404 with a hint to build the web front ends).
// On both listeners: the phone app must be same-origin with its API (WebAuthn).
void add_cosign_phone_routes(http::Router& router, ApiContext& c,
                             const std::filesystem::path& web_dir);

}  // namespace hpki::api
