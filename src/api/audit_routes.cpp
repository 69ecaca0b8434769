#include "api/audit_routes.h"

#include <nlohmann/json.hpp>

#include <limits>

#include "api/request.h"
#include "core/encoding.h"

namespace hpki::api {
namespace {

using auth::Permission;
using auth::Principal;
using nlohmann::json;

Result<http::Response> entries(ApiContext& c, const http::Request& req, const Principal& p) {
  const std::int64_t from =
      HPKI_TRY(query_int(req, "from", 1, 1, std::numeric_limits<std::int64_t>::max()));
  const std::int64_t limit = HPKI_TRY(query_int(req, "limit", 100, 1, 1000));
  json out = json::array();
  // Issue 16: an organization-scoped auditor reads its organization's entries only.
  for (const auto& e :
       HPKI_TRY(c.runtime->audit().list(c.runtime->store(), from, limit, auth::org_scope(p)))) {
    out.push_back({{"seq", e.seq},
                   {"at", format_rfc3339(e.at)},
                   {"actor", e.actor},
                   {"action", e.action},
                   {"object", e.object},
                   {"outcome", e.outcome},
                   {"org", e.org},
                   {"details", json::parse(e.details, nullptr, false)},
                   {"hash", hex_encode(e.hash)}});
  }
  return json_response(200, out);
}

Result<http::Response> checkpoints(ApiContext& c, const http::Request&, const Principal& p) {
  // Checkpoints cover every organization's entries (and their count): system-wide auditors
  // only.
  if (auth::org_scope(p)) {
    return fail(ErrorCode::kPermissionDenied,
                "audit checkpoints cover every organization: an auditor of one "
                "organization reads its entries at /api/v1/audit");
  }
  auto cps = HPKI_TRY(c.runtime->store().transact_value<std::vector<store::AuditCheckpoint>>(
      [](store::Tx& tx) { return tx.list_checkpoints(); }));
  json out = json::array();
  for (const auto& cp : cps) {
    out.push_back({{"seq", cp.seq},
                   {"tree_size", cp.tree_size},
                   {"root", hex_encode(cp.root_hash)},
                   {"signature", base64_encode(cp.signature)},
                   {"key_ref", cp.key_ref.str()},
                   {"signed_at", format_rfc3339(cp.signed_at)}});
  }
  return json_response(200, out);
}

constexpr ApiRoute kRoutes[] = {
    {"GET", "/api/v1/audit", "Audit log entries", Permission::kAuditRead, "", 200, &entries},
    {"GET", "/api/v1/audit/checkpoints", "Signed audit checkpoints", Permission::kAuditRead, "",
     200, &checkpoints},
};

}  // namespace

std::span<const ApiRoute> audit_routes() { return kRoutes; }

}  // namespace hpki::api
