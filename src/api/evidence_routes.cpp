#include "api/evidence_routes.h"

#include <nlohmann/json.hpp>
#include <string>

#include "api/json_fields.h"
#include "api/request.h"
#include "core/encoding.h"
#include "evidence/exporter.h"
#include "x509/bundle.h"

namespace hpki::api {
namespace {

using nlohmann::json;

// The signature and data may be a signed PDF's size (base64: 4/3).
constexpr std::size_t kMaxEvidenceBody = 96u * 1024 * 1024;

Result<http::Response> export_evidence(ApiContext& c, const http::Request& req,
                                       const auth::Principal& p) {
  const json body = HPKI_TRY(parse_body(req));
  evidence::ExportRequest r;
  const auto request_id = HPKI_TRY(string_field(body, "request_id", false));
  if (!request_id.empty()) r.request_id = request_id;
  const auto serial = HPKI_TRY(string_field(body, "serial", false));
  if (!serial.empty()) r.serial = HPKI_TRY(Serial::parse(serial));
  r.signed_object = HPKI_TRY(base64_field(body, "signature", request_id.empty() && serial.empty()));
  if (body.contains("data") && !body.at("data").is_null())
    r.data = HPKI_TRY(base64_field(body, "data", true));
  if (const auto pem = HPKI_TRY(string_field(body, "certificate", false)); !pem.empty()) {
    auto certs = HPKI_TRY(x509::parse_certificate_bundle(
        BytesView(reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size())));
    if (certs.size() != 1)
      return fail(ErrorCode::kInvalidArgument, "field 'certificate' must hold one certificate");
    r.certificate = certs.front();
  }
  r.document_name = HPKI_TRY(string_field(body, "name", false));
  if (r.document_name.size() > 255)
    return fail(ErrorCode::kInvalidArgument, "field 'name' is longer than 255 bytes");
  r.include_data = !HPKI_TRY(bool_field(body, "hash_only"));
  r.actor = p.actor();
  r.org = auth::org_scope(p);
  // Input first (400 for a bad request on any node), then what this node can do.
  if (c.tsa == nullptr) return fail(ErrorCode::kUnavailable, "no TSA on this node");
  if (c.crls == nullptr) return fail(ErrorCode::kUnavailable, "no CRL publisher on this node");
  evidence::Exporter exporter({.runtime = c.runtime,
                               .tsa = c.tsa,
                               .crls = c.crls,
                               .policy = evidence::renewal_policy(c.runtime->config().evidence)});
  auto out = HPKI_TRY(exporter.export_signature(r));
  json j{{"id", out.id},
         {"verdict", evidence::verdict_name(out.report.verdict)},
         {"report", json::parse(evidence::report_json(out.report))},
         {"package", base64_encode(out.package)}};
  return json_response(201, j);
}

Result<http::Response> get_evidence(ApiContext& c, const http::Request& req,
                                    const auth::Principal& p) {
  const std::string id(req.param("id").value_or(""));
  evidence::Exporter exporter({.runtime = c.runtime});
  auto rec = HPKI_TRY(exporter.kept(id, auth::org_scope(p)));
  json j{{"id", rec.id},
         {"organization", rec.org},
         {"serial", rec.serial},
         {"renewals", rec.renewals},
         {"timestamp_time", format_rfc3339(rec.stamped_at)},
         {"tsa_valid_until", format_rfc3339(rec.tsa_until)},
         {"created_at", format_rfc3339(rec.created_at)},
         {"package", base64_encode(rec.package)}};
  return json_response(200, j);
}

constexpr ApiRoute kRoutes[] = {
    {"POST", "/api/v1/evidence",
     "Export the evidence package (ZIP, base64) of a signature: CMS or raw with its certificate; "
     "verify it offline with `hpki evidence verify`",
     auth::Permission::kEvidenceExport, "EvidenceRequest", 201, &export_evidence, kMaxEvidenceBody},
    {"GET", "/api/v1/evidence/{id}",
     "An exported evidence package as hpki keeps it (with its timestamp renewals)",
     auth::Permission::kEvidenceExport, "", 200, &get_evidence},
};

}  // namespace

std::span<const ApiRoute> evidence_routes() { return kRoutes; }

}  // namespace hpki::api
