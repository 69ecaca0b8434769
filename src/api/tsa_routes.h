// Time-stamping over HTTP (issue 7).
//  - add_tsa_routes: RFC 3161 over HTTP (RFC 3161 3.4): POST /tsa, /tsa/{family} with
//    application/timestamp-query, answered application/timestamp-reply (a TimeStampResp for
//    every outcome, HTTP 415 for another media type, 503 without a TSA on this node). Public
//    routes (plain HTTP listener, API listener, `serve --role tsa`), answered asynchronously by
//    the TSA's own pipeline. Metrics: hpki_tsa_round_requests{kind}, hpki_timestamps_total.
//  - timestamp_routes: GET /api/v1/timestamps/{serial}, a recorded token with its record; an
//    organization-scoped caller reads only the timestamps its organization requested (others,
//    and anonymous RFC 3161 requests, are 404; issue 16).
#pragma once

#include <span>

#include "api/route_table.h"

namespace hpki::api {

void add_tsa_routes(http::Router& router, ApiContext& ctx);

[[nodiscard]] std::span<const ApiRoute> timestamp_routes();

}  // namespace hpki::api
