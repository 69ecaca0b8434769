// POST /api/v1/sign and POST /api/v1/verify (issue 8): the JSON edge of the signature service
// (sign/sign_service.h), run by the guard of api/context.h (auth, audit, problems there).
//
// Sign request: {"key": ID, "data": base64, "mode": "cms" | "cms-detached" | "raw",
//   "gmt0010": bool, "timestamp": bool}. ID is a key registered with `hpki key register`; a key
// of another organization than the principal's is 404. "timestamp" adds a
// signatureTimeStampToken from this node's TSA (CAdES-T; 503 without a TSA). Response:
// {"key", "mode", "signature_algorithm", "signature": base64, "timestamp_time"?, "certificate"}.
//
// Verify request: {"signature": base64, "content": base64?, "mode": "cms" | "raw",
//   "certificate": PEM (raw), "require_revocation": bool}. Trust anchors: this home's root CAs
// plus <home>/trust-anchors.pem when present; intermediates: this home's CAs and the CMS
// certificates; revocation: this home's store for certificates hpki issued (judged at the
// signing time). Response: the report of sign::verify_report_json (HTTP 200 for every
// verdict; 400 only for unusable input).
#pragma once

#include <span>

#include "api/route_table.h"

namespace hpki::api {

[[nodiscard]] std::span<const ApiRoute> sign_routes();

}  // namespace hpki::api
