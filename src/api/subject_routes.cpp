#include "api/subject_routes.h"

#include <nlohmann/json.hpp>

#include "api/json_fields.h"
#include "api/request.h"
#include "api/subject_input.h"
#include "core/clock.h"

namespace hpki::api {
namespace {

using auth::Permission;
using auth::Principal;
using nlohmann::json;

json subject_json(const ca::SubjectView& v) {
  const auto& r = v.record;
  json j{{"id", r.id},
         {"kind", store::to_string(r.kind)},
         {"name", r.name},
         {"org", r.org},
         {"dept", r.dept},
         {"province", r.province},
         {"city", r.city},
         {"email", r.email},
         {"dns", r.dns},
         {"staff_no", r.staff_no},
         {"licence_no", r.licence_no},
         {"org_code", r.org_code},
         {"created_at", format_rfc3339(r.created_at)}};
  if (!v.id_number_masked.empty()) j["id_number"] = v.id_number_masked;
  return j;
}

Result<ca::SubjectChange> subject_change(const http::Request& req) {
  auto j = HPKI_TRY(parse_body(req));
  ca::SubjectChange c;
  c.kind = HPKI_TRY(
      store::parse_subject_kind(j.contains("kind") ? HPKI_TRY(string_field(j, "kind")) : "staff"));
  c.data = HPKI_TRY(subject_from(j)).data;
  return c;
}

// The subject named in the path, checked against the principal's organization.
Result<ca::SubjectView> scoped_subject(ApiContext& c, const Principal& p, const http::Request& req,
                                       Permission perm) {
  auto v = HPKI_TRY(c.runtime->ca().get_subject(HPKI_TRY(path_id(req, "id", "subject"))));
  HPKI_TRY(auth::authorize(p, perm, v.record.org));
  return v;
}

Result<http::Response> list(ApiContext& c, const http::Request& req, const Principal& p) {
  std::optional<store::SubjectKind> kind;
  if (auto k = req.query_param("kind")) kind = HPKI_TRY(store::parse_subject_kind(*k));
  std::optional<std::string> org;
  if (auto o = req.query_param("org")) org = std::string(*o);
  if (auto scope = auth::org_scope(p)) {
    if (org && *org != *scope) return json_response(200, json{{"items", json::array()}});
    org = *scope;
  }
  const std::int64_t limit = HPKI_TRY(query_int(req, "limit", 100, 1, 1000));
  const std::int64_t offset = HPKI_TRY(query_int(req, "offset", 0, 0, kMaxOffset));
  json items = json::array();
  for (const auto& v : HPKI_TRY(c.runtime->ca().list_subjects(kind, org, limit, offset)))
    items.push_back(subject_json(v));
  return json_response(200, json{{"items", items}, {"limit", limit}, {"offset", offset}});
}

Result<http::Response> create(ApiContext& c, const http::Request& req, const Principal& p) {
  auto change = HPKI_TRY(subject_change(req));
  if (auto scope = auth::org_scope(p); scope && change.data.organization.empty())
    change.data.organization = *scope;
  HPKI_TRY(auth::authorize_create(p, Permission::kSubjectWrite, change.data.organization));
  return json_response(201,
                       subject_json(HPKI_TRY(c.runtime->ca().create_subject(change, p.actor()))));
}

Result<http::Response> show(ApiContext& c, const http::Request& req, const Principal& p) {
  return json_response(200,
                       subject_json(HPKI_TRY(scoped_subject(c, p, req, Permission::kSubjectRead))));
}

Result<http::Response> replace(ApiContext& c, const http::Request& req, const Principal& p) {
  auto v = HPKI_TRY(scoped_subject(c, p, req, Permission::kSubjectWrite));
  auto change = HPKI_TRY(subject_change(req));
  if (change.data.organization.empty()) change.data.organization = v.record.org;
  HPKI_TRY(auth::authorize_create(p, Permission::kSubjectWrite, change.data.organization));
  return json_response(
      200, subject_json(HPKI_TRY(c.runtime->ca().update_subject(v.record.id, change, p.actor()))));
}

Result<http::Response> delete_subject(ApiContext& c, const http::Request& req, const Principal& p) {
  auto v = HPKI_TRY(scoped_subject(c, p, req, Permission::kSubjectWrite));
  HPKI_TRY(c.runtime->ca().delete_subject(v.record.id, p.actor()));
  http::Response r;
  r.status = 204;
  return r;
}

constexpr ApiRoute kRoutes[] = {
    {"GET", "/api/v1/subjects", "List subject records (staff, organizations, devices)",
     Permission::kSubjectRead, "", 200, &list},
    {"POST", "/api/v1/subjects", "Create a subject record", Permission::kSubjectWrite,
     "SubjectRequest", 201, &create},
    {"GET", "/api/v1/subjects/{id}", "Show a subject record (identifiers masked)",
     Permission::kSubjectRead, "", 200, &show},
    {"PUT", "/api/v1/subjects/{id}", "Replace a subject record", Permission::kSubjectWrite,
     "SubjectRequest", 200, &replace},
    {"DELETE", "/api/v1/subjects/{id}", "Delete a subject record without certificates",
     Permission::kSubjectWrite, "", 204, &delete_subject},
};

}  // namespace

std::span<const ApiRoute> subject_routes() { return kRoutes; }

}  // namespace hpki::api
