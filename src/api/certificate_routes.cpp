#include "api/certificate_routes.h"

#include <nlohmann/json.hpp>

#include "api/json_fields.h"
#include "api/request.h"
#include "api/subject_input.h"
#include "core/encoding.h"
#include "core/pem.h"
#include "crypto/algorithm.h"

namespace hpki::api {
namespace {

using auth::Permission;
using auth::Principal;
using nlohmann::json;

Result<std::optional<ca::KeygenOptions>> keygen_from(const json& j) {
  if (!j.contains("keygen")) return std::optional<ca::KeygenOptions>{};
  const json& k = j.at("keygen");
  if (!k.is_object()) return fail(ErrorCode::kInvalidArgument, "'keygen' must be an object");
  ca::KeygenOptions o;
  o.spec = HPKI_TRY(crypto::parse_key_spec(HPKI_TRY(string_field(k, "alg", true))));
  auto pass = HPKI_TRY(string_field(k, "passphrase", true));
  if (pass.size() < 8)
    return fail(ErrorCode::kInvalidArgument, "keygen.passphrase must have at least 8 characters");
  o.passphrase = SecretBytes(std::string_view(pass));
  return std::optional<ca::KeygenOptions>{std::move(o)};
}

json issued_json(const ca::IssueResult& r) {
  json chain = json::array();
  for (const auto& c : r.chain) chain.push_back(pem_encode("CERTIFICATE", c));
  json j{{"serial", r.serial.hex()},
         {"ca", r.ca_id},
         {"status", r.status},
         {"not_after", format_rfc3339(r.not_after)},
         {"certificate", pem_encode("CERTIFICATE", r.der)},
         {"chain", chain}};
  if (r.key_package) {
    j["key_format"] = r.key_package_format;
    j["key"] = r.key_package_format == "pkcs12" ? base64_encode(*r.key_package)
                                                : std::string(as_string(*r.key_package));
  }
  return j;
}

json status_json(const ca::CertStatusInfo& s) {
  json j{{"serial", s.serial.hex()}, {"ca", s.ca_id}, {"status", s.word()}};
  if (s.reason) j["reason"] = x509::reason_name(*s.reason);
  if (s.revoked_at) j["revoked_at"] = format_rfc3339(*s.revoked_at);
  if (s.invalidity_date) j["invalidity_date"] = format_rfc3339(*s.invalidity_date);
  return j;
}

json record_json(const store::CertificateRecord& r) {
  return json{{"serial", r.serial.hex()},
              {"ca", r.ca_id},
              {"subject", r.subject},
              {"org", r.org},
              {"dept", r.dept},
              {"profile", r.profile},
              {"status", store::to_string(r.status)},
              {"not_before", format_rfc3339(r.not_before)},
              {"not_after", format_rfc3339(r.not_after)},
              {"key", r.key_type}};
}

// The certificate named in the path, checked against the principal's organization (another
// organization's certificate is 404: no existence leak).
Result<ca::CertView> scoped_cert(ApiContext& c, const Principal& p, const http::Request& req,
                                 Permission perm) {
  auto serial = HPKI_TRY(Serial::parse(req.param("serial").value_or("")));
  auto v = c.runtime->ca().show(serial);
  if (!v) return fail(v.error());
  HPKI_TRY(auth::authorize(p, perm, v->record.org));
  return v;
}

// "sm2-issuing" -> "sm2" (CA ids are "<family>-<role>", ca::ca_id).
std::string family_of(std::string_view ca_id) {
  return std::string(ca_id.substr(0, ca_id.find('-')));
}

void count_issued(ApiContext& c, const ca::IssueResult& r, std::string_view profile) {
  if (c.metrics == nullptr) return;
  c.metrics
      ->counter("hpki_certificates_issued_total", "Certificates issued",
                {{"family", family_of(r.ca_id)}, {"profile", std::string(profile)}})
      .inc();
}

void count_revoked(ApiContext& c, std::string_view ca_id, std::string_view profile) {
  if (c.metrics == nullptr) return;
  c.metrics
      ->counter("hpki_certificates_revoked_total", "Certificates revoked",
                {{"family", family_of(ca_id)}, {"profile", std::string(profile)}})
      .inc();
}

Result<ca::IssueRequest> issue_request(const http::Request& req, const Principal& p) {
  auto j = HPKI_TRY(parse_body(req));
  ca::IssueRequest r;
  r.profile = HPKI_TRY(string_field(j, "profile", true));
  if (auto f = HPKI_TRY(string_field(j, "family")); !f.empty())
    r.family = HPKI_TRY(store::parse_ca_family(f));
  if (auto csr = HPKI_TRY(string_field(j, "csr")); !csr.empty()) r.csr = to_bytes(csr);
  r.keygen = HPKI_TRY(keygen_from(j));
  r.subject = HPKI_TRY(subject_from(j));
  if (auto days = HPKI_TRY(int_field(j, "days", 1, kMaxDays))) r.days = static_cast<int>(*days);
  // Organization-scoped principals issue only for their own organization (default: theirs).
  if (auto scope = auth::org_scope(p)) {
    if (r.subject.data.organization.empty()) r.subject.data.organization = *scope;
  }
  HPKI_TRY(auth::authorize_create(p, Permission::kCertIssue, r.subject.data.organization));
  r.requester = requester_of(p);
  return r;
}

// Issuance answers from the CA's pipeline (CaService::issue_async): no thread waits for its
// commits.
void issue(ApiContext& c, std::shared_ptr<const http::Request> req, const Principal& p,
           Finish finish) {
  auto r = issue_request(*req, p);
  if (!r) return finish(fail(r.error()));
  std::string profile = r->profile;
  c.runtime->ca().issue_async(
      std::move(*r), [&c, finish, profile = std::move(profile)](Result<ca::IssueResult> res) {
        if (!res) return finish(fail(res.error()));
        count_issued(c, *res, profile);
        finish(json_response(201, issued_json(*res)));
      });
}

Result<http::Response> search(ApiContext& c, const http::Request& req, const Principal& p) {
  store::CertificateFilter f;
  auto q = [&](std::string_view k) { return std::string(req.query_param(k).value_or("")); };
  if (auto s = q("serial"); !s.empty()) f.serial_prefix = s;
  f.subject_contains = q("name");
  if (auto v = q("org"); !v.empty()) f.org = v;
  if (auto v = q("dept"); !v.empty()) f.dept = v;
  if (auto v = q("profile"); !v.empty()) f.profile = v;
  if (auto v = q("ca"); !v.empty()) f.ca_id = v;
  if (auto v = q("status"); !v.empty()) f.statuses.push_back(HPKI_TRY(store::parse_cert_status(v)));
  f.limit = HPKI_TRY(query_int(req, "limit", 100, 1, 1000));
  f.offset = HPKI_TRY(query_int(req, "offset", 0, 0, kMaxOffset));
  // Bounded so that now + days cannot overflow the clock (issue 16).
  if (auto days = HPKI_TRY(query_int(req, "expiring_within", -1, 0, kMaxDays)); days >= 0) {
    f.not_after_from = c.runtime->clock().now();
    f.not_after_to = c.runtime->clock().now() + std::chrono::days(days);
  }
  if (auto scope = auth::org_scope(p)) {
    if (f.org && *f.org != *scope)
      return json_response(
          200, json{{"items", json::array()}, {"limit", f.limit}, {"offset", f.offset}});
    f.org = *scope;
  }
  std::optional<std::string> id;
  if (auto v = q("id_number"); !v.empty()) id = v;
  json items = json::array();
  for (const auto& r : HPKI_TRY(c.runtime->ca().search(f, id))) items.push_back(record_json(r));
  return json_response(200, json{{"items", items}, {"limit", f.limit}, {"offset", f.offset}});
}

Result<http::Response> show(ApiContext& c, const http::Request& req, const Principal& p) {
  auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertRead));
  json j = record_json(v.record);
  if (v.status) j["revocation"] = status_json(*v.status);
  j["identifiers"] = v.identifiers_masked;
  if (v.record.der) j["certificate"] = pem_encode("CERTIFICATE", *v.record.der);
  return json_response(200, j);
}

Result<http::Response> status(ApiContext& c, const http::Request& req, const Principal& p) {
  auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertRead));
  return json_response(200, status_json(*v.status));
}

Result<http::Response> renew(ApiContext& c, const http::Request& req, const Principal& p) {
  auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertLifecycle));
  auto j = HPKI_TRY(parse_body(req));
  std::optional<int> days;
  if (auto d = HPKI_TRY(int_field(j, "days", 1, kMaxDays))) days = static_cast<int>(*d);
  auto r = HPKI_TRY(c.runtime->ca().renew(v.record.serial, days, requester_of(p)));
  count_issued(c, r, v.record.profile);
  return json_response(201, issued_json(r));
}

Result<http::Response> rekey(ApiContext& c, const http::Request& req, const Principal& p) {
  auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertLifecycle));
  auto j = HPKI_TRY(parse_body(req));
  std::optional<Bytes> csr;
  if (auto s = HPKI_TRY(string_field(j, "csr")); !s.empty()) csr = to_bytes(s);
  auto kg = HPKI_TRY(keygen_from(j));
  if (!csr && !kg) return fail(ErrorCode::kInvalidArgument, "rekey needs 'csr' or 'keygen'");
  auto r = HPKI_TRY(c.runtime->ca().rekey(v.record.serial, csr, std::move(kg), requester_of(p)));
  count_issued(c, r, v.record.profile);
  return json_response(201, issued_json(r));
}

Result<http::Response> modify(ApiContext& c, const http::Request& req, const Principal& p) {
  auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertLifecycle));
  auto j = HPKI_TRY(parse_body(req));
  auto subject = HPKI_TRY(subject_from(j));
  if (!subject.data.organization.empty())
    HPKI_TRY(auth::authorize_create(p, Permission::kCertLifecycle, subject.data.organization));
  auto r = HPKI_TRY(c.runtime->ca().modify(v.record.serial, subject, requester_of(p)));
  count_issued(c, r, v.record.profile);
  count_revoked(c, v.record.ca_id, v.record.profile);  // the old one, superseded
  return json_response(201, issued_json(r));
}

Result<http::Response> revoke(ApiContext& c, const http::Request& req, const Principal& p) {
  auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertLifecycle));
  auto j = HPKI_TRY(parse_body(req));
  auto reason = HPKI_TRY(x509::parse_reason(
      j.contains("reason") ? HPKI_TRY(string_field(j, "reason")) : "unspecified"));
  std::optional<TimePoint> inv;
  if (auto s = HPKI_TRY(string_field(j, "invalidity_date")); !s.empty())
    inv = HPKI_TRY(parse_rfc3339(s));
  auto s = HPKI_TRY(c.runtime->ca().revoke(v.record.serial, reason, inv, requester_of(p)));
  count_revoked(c, s.ca_id, v.record.profile);
  return json_response(200, status_json(s));
}

Result<http::Response> hold(ApiContext& c, const http::Request& req, const Principal& p) {
  auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertLifecycle));
  return json_response(
      200, status_json(HPKI_TRY(c.runtime->ca().hold(v.record.serial, requester_of(p)))));
}

Result<http::Response> release(ApiContext& c, const http::Request& req, const Principal& p) {
  auto v = HPKI_TRY(scoped_cert(c, p, req, Permission::kCertLifecycle));
  return json_response(
      200, status_json(HPKI_TRY(c.runtime->ca().release(v.record.serial, requester_of(p)))));
}

constexpr ApiRoute kRoutes[] = {
    {"POST", "/api/v1/certificates",
     "Issue a certificate from a CSR or with server-side key generation", Permission::kCertIssue,
     "IssueRequest", 201, &issue},
    {"GET", "/api/v1/certificates", "Search certificates (paged)", Permission::kCertRead, "", 200,
     &search},
    {"GET", "/api/v1/certificates/{serial}", "Show a certificate", Permission::kCertRead, "", 200,
     &show},
    {"GET", "/api/v1/certificates/{serial}/status", "good, revoked or hold", Permission::kCertRead,
     "", 200, &status},
    {"POST", "/api/v1/certificates/{serial}/renew", "Same key, new serial and validity",
     Permission::kCertLifecycle, "RenewRequest", 201, &renew},
    {"POST", "/api/v1/certificates/{serial}/rekey", "New key (CSR or key generation), same subject",
     Permission::kCertLifecycle, "RekeyRequest", 201, &rekey},
    {"POST", "/api/v1/certificates/{serial}/modify",
     "New certificate with changed subject data; the old one superseded",
     Permission::kCertLifecycle, "ModifyRequest", 201, &modify},
    {"POST", "/api/v1/certificates/{serial}/revoke", "Revoke (RFC 5280 reason)",
     Permission::kCertLifecycle, "RevokeRequest", 200, &revoke},
    {"POST", "/api/v1/certificates/{serial}/hold", "Suspend (certificateHold)",
     Permission::kCertLifecycle, "", 200, &hold},
    {"POST", "/api/v1/certificates/{serial}/release", "Release from hold",
     Permission::kCertLifecycle, "", 200, &release},
};

}  // namespace

std::span<const ApiRoute> certificate_routes() { return kRoutes; }

}  // namespace hpki::api
