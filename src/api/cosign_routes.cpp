#include "api/cosign_routes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "api/json_fields.h"
#include "api/request.h"
#include "core/encoding.h"
#include "core/log.h"
#include "core/pem.h"
#include "cosign/service.h"
#include "crypto/digest.h"
#include "http/problem.h"

namespace hpki::api {

namespace {

using nlohmann::json;
using store::CosignDeviceRecord;
using store::SigningRequestRecord;

// ------------------------------------------------------------------ JSON and errors

Result<Bytes> b64_field(const json& j, const char* key, bool required, std::size_t max) {
  const std::string s = HPKI_TRY(string_field(j, key, required));
  if (s.empty()) return Bytes{};
  if (s.size() > max / 3 * 4 + 4) {
    return fail(ErrorCode::kTooLarge, std::string("field '") + key + "' is too large");
  }
  auto b = base64_decode(s);
  if (!b)
    return fail(ErrorCode::kInvalidArgument, std::string("field '") + key + "' is not base64");
  return *b;
}

// A point (65 bytes) or scalar (32 bytes) as lower- or upper-case hex.
Result<Bytes> hex_field(const json& j, const char* key, std::size_t length) {
  const std::string s = HPKI_TRY(string_field(j, key, true));
  auto b = hex_decode(s);
  if (!b || b->size() != length) {
    return fail(ErrorCode::kInvalidArgument, std::string("field '") + key + "' must be " +
                                                 std::to_string(length * 2) + " hex digits");
  }
  return *b;
}

// A problem response; the cosign services' stable problem ids become the type
// ("https://hpki.dev/problems/cosign/approval-invalid").
http::Response problem(const Error& e) {
  const auto type = cosign::problem_type(e);
  if (type.empty()) return http::problem_for(e);
  const auto m = http::problem_mapping(e.code());
  std::string detail = e.detail().substr(std::min(e.detail().size(), type.size() + 2));
  return http::problem(m.status, type, m.title, detail);
}

cosign::Service& svc(ApiContext& c) { return *c.cosign; }

// The routes of the table on a node without the service (role tsa, tests): 503.
Result<void> need_cosign(const ApiContext& c) {
  if (c.cosign == nullptr)
    return fail(ErrorCode::kUnavailable, "mobile co-signing is not enabled on this node");
  return {};
}

std::string peer_ip(const http::Request& req) {
  const auto colon = req.peer.rfind(':');
  return colon == std::string::npos ? req.peer : req.peer.substr(0, colon);
}

json request_json(const SigningRequestRecord& r) {
  json summary = json::parse(r.summary, nullptr, false);
  if (summary.is_discarded()) summary = json::object();
  json j{{"id", r.id},
         {"state", r.state},
         {"format", r.format},
         {"timestamp", r.timestamp},
         {"summary", summary},
         {"signer", r.subject_id},
         {"created_at", format_rfc3339(r.created_at)},
         {"expires_at", format_rfc3339(r.expires_at)}};
  if (r.signed_at) j["signed_at"] = format_rfc3339(*r.signed_at);
  if (r.signing_time) j["signing_time"] = format_rfc3339(*r.signing_time);
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.device_id.empty()) j["device_id"] = r.device_id;
  if (r.format == "pdf" && !r.pdf_options.empty()) {
    json o = json::parse(r.pdf_options, nullptr, false);
    if (!o.is_discarded()) j["pdf"] = o;
  }
  return j;
}

json enrollment_json(const store::CosignEnrollmentRecord& r) {
  json j{{"id", r.id},
         {"subject_id", r.subject_id},
         {"algorithm", r.algorithm},
         {"state", r.state},
         {"expires_at", format_rfc3339(r.expires_at)},
         {"created_at", format_rfc3339(r.created_at)}};
  if (!r.device_id.empty()) j["device_id"] = r.device_id;
  return j;
}

json device_json(const CosignDeviceRecord& d) {
  return json{{"id", d.id},
              {"subject_id", d.subject_id},
              {"algorithm", d.algorithm},
              {"status", d.status},
              {"certificate", {{"ca", d.ca_id}, {"serial", d.serial}}},
              {"name", d.name},
              {"user_agent", d.user_agent},
              {"passkey", d.credential_id.has_value()},
              {"pin_failures", d.pin_failures},
              {"enrolled_at", format_rfc3339(d.created_at)}};
}

// ------------------------------------------------------------------ RA / HIS routes

Result<http::Response> create_enrollment(ApiContext& c, const http::Request& req,
                                         const auth::Principal& p) {
  HPKI_TRY(need_cosign(c));
  const json body = HPKI_TRY(parse_body(req));
  const auto subject = HPKI_TRY(int_field(body, "subject_id", 1, INT64_MAX, true));
  std::string alg = HPKI_TRY(string_field(body, "algorithm"));
  if (alg.empty()) alg = "sm2";
  const auto ttl = HPKI_TRY(int_field(body, "ttl_seconds", 300, 14 * 86400));
  if (!p.org) {
    return fail(ErrorCode::kInvalidArgument,
                "an enrollment belongs to an organization: use an RA officer's or a hospital "
                "system's credentials");
  }
  auto e = HPKI_TRY(svc(c).create_enrollment(
      *p.org, *subject, alg,
      ttl ? std::optional<std::chrono::seconds>(std::chrono::seconds(*ttl)) : std::nullopt,
      p.actor()));
  json j = enrollment_json(e.record);
  j["code"] = e.code;
  j["url"] = e.url;
  return json_response(201, j);
}

Result<http::Response> get_enrollment(ApiContext& c, const http::Request& req,
                                      const auth::Principal& p) {
  HPKI_TRY(need_cosign(c));
  const std::string id(req.param("id").value_or(""));
  auto e = HPKI_TRY(svc(c).get_enrollment(id));
  HPKI_TRY(auth::authorize(p, auth::Permission::kCertRead, e.org));
  return json_response(200, enrollment_json(e));
}

Result<http::Response> create_signing_request(ApiContext& c, const http::Request& req,
                                              const auth::Principal& p) {
  HPKI_TRY(need_cosign(c));
  const json body = HPKI_TRY(parse_body(req));
  if (!p.org) {
    return fail(ErrorCode::kInvalidArgument,
                "a signing request belongs to an organization: use a hospital system's or an RA "
                "officer's credentials");
  }
  cosign::NewRequest n;
  n.signer = HPKI_TRY(int_field(body, "signer", 1, INT64_MAX)).value_or(0);
  n.document = HPKI_TRY(b64_field(body, "document", true, svc(c).config().max_document));
  n.format = HPKI_TRY(string_field(body, "format"));
  if (n.format.empty()) n.format = "cms";
  n.timestamp = HPKI_TRY(bool_field(body, "timestamp"));
  if (body.contains("summary") && !body.at("summary").is_null()) {
    const auto& s = body.at("summary");
    if (!s.is_object())
      return fail(ErrorCode::kInvalidArgument, "field 'summary' must be an object");
    for (const auto& [k, v] : s.items()) {
      if (!v.is_string() || v.get<std::string>().size() > 256 || k.size() > 64) {
        return fail(ErrorCode::kInvalidArgument,
                    "summary values must be strings of at most 256 bytes");
      }
    }
    if (s.size() > 16) return fail(ErrorCode::kInvalidArgument, "summary has more than 16 fields");
    n.summary = s.dump();
  }
  n.callback_url = HPKI_TRY(string_field(body, "callback_url"));
  if (auto e = HPKI_TRY(int_field(body, "expires_in", 30, 7 * 86400))) {
    n.expires_in = std::chrono::seconds(*e);
  }
  n.qr = HPKI_TRY(bool_field(body, "qr"));
  if (body.contains("pdf") && !body.at("pdf").is_null()) {
    if (!body.at("pdf").is_object())
      return fail(ErrorCode::kInvalidArgument, "field 'pdf' must be an object");
    n.pdf = HPKI_TRY(cosign::parse_pdf_options(body.at("pdf").dump()));
  }
  std::optional<cosign::NewQr> qr;
  auto created = svc(c).create_request(*p.org, n, p.actor(), &qr);
  // A cosign problem (format pdf: cosign/document-invalid) keeps its type.
  if (!created && !cosign::problem_type(created.error()).empty()) return problem(created.error());
  auto r = HPKI_TRY(std::move(created));
  json j = request_json(r);
  if (qr) j["qr"] = {{"id", qr->record.id}, {"url", qr->url}};
  return json_response(201, j);
}

Result<http::Response> get_signing_request(ApiContext& c, const http::Request& req,
                                           const auth::Principal& p) {
  HPKI_TRY(need_cosign(c));
  const std::string id(req.param("id").value_or(""));
  auto r = HPKI_TRY(svc(c).get_request(id));
  HPKI_TRY(auth::authorize(p, auth::Permission::kSign, r.org));
  json j = request_json(r);
  if (r.state == "signed" && r.result) {
    j["signature"] = base64_encode(*r.result);
    if (auto cert = svc(c).signer_certificate(r))
      j["certificate"] = pem_encode("CERTIFICATE", *cert);
  }
  return json_response(200, j);
}

Result<http::Response> list_deliveries(ApiContext& c, const http::Request& req,
                                       const auth::Principal& p) {
  HPKI_TRY(need_cosign(c));
  const std::string id(req.param("id").value_or(""));
  auto r = HPKI_TRY(svc(c).get_request(id));
  HPKI_TRY(auth::authorize(p, auth::Permission::kSign, r.org));
  json list = json::array();
  for (const auto& d : HPKI_TRY(svc(c).deliveries(id))) {
    list.push_back({{"attempt", d.attempt},
                    {"url", d.url},
                    {"status", d.status},
                    {"detail", d.detail},
                    {"at", format_rfc3339(d.created_at)}});
  }
  return json_response(200, json{{"deliveries", list}});
}

Result<http::Response> webhook_secret(ApiContext& c, const http::Request&,
                                      const auth::Principal& p) {
  HPKI_TRY(need_cosign(c));
  if (!p.org) return fail(ErrorCode::kInvalidArgument, "the webhook secret is per organization");
  return json_response(200, json{{"organization", *p.org},
                                 {"algorithm", "hmac-sm3"},
                                 {"secret", HPKI_TRY(svc(c).webhook_secret(*p.org))}});
}

Result<http::Response> get_device(ApiContext& c, const http::Request& req,
                                  const auth::Principal& p) {
  HPKI_TRY(need_cosign(c));
  auto d = HPKI_TRY(svc(c).get_device(std::string(req.param("id").value_or(""))));
  HPKI_TRY(auth::authorize(p, auth::Permission::kCertRead, d.org));
  return json_response(200, device_json(d));
}

Result<http::Response> device_status(ApiContext& c, const http::Request& req,
                                     const auth::Principal& p, const char* status) {
  HPKI_TRY(need_cosign(c));
  const std::string id(req.param("id").value_or(""));
  auto d = HPKI_TRY(svc(c).get_device(id));
  HPKI_TRY(auth::authorize(p, auth::Permission::kCertLifecycle, d.org));
  return json_response(200, device_json(HPKI_TRY(svc(c).set_device_status(id, status, p.actor()))));
}

Result<http::Response> revoke_device(ApiContext& c, const http::Request& req,
                                     const auth::Principal& p) {
  HPKI_TRY(need_cosign(c));
  return device_status(c, req, p, "revoked");
}

Result<http::Response> unlock_device(ApiContext& c, const http::Request& req,
                                     const auth::Principal& p) {
  HPKI_TRY(need_cosign(c));
  return device_status(c, req, p, "active");
}

constexpr ApiRoute kRoutes[] = {
    {"POST", "/api/v1/enrollments",
     "Create a phone enrollment for a staff subject: a one-time code (and its QR link)",
     auth::Permission::kCertIssue, "EnrollmentRequest", 201, &create_enrollment},
    {"GET", "/api/v1/enrollments/{id}", "An enrollment's state", auth::Permission::kCertRead, "",
     200, &get_enrollment},
    {"POST", "/api/v1/signing-requests",
     "Ask a doctor to sign a document on the phone (raw SM2/ECDSA, CMS, CAdES-T)",
     auth::Permission::kSign, "SigningRequest", 201, &create_signing_request},
    {"GET", "/api/v1/signing-requests/{id}", "A signing request, with its signature once signed",
     auth::Permission::kSign, "", 200, &get_signing_request},
    {"GET", "/api/v1/signing-requests/{id}/deliveries",
     "The webhook delivery log of a signing request", auth::Permission::kSign, "", 200,
     &list_deliveries},
    {"GET", "/api/v1/cosign/webhook-secret",
     "The organization's HMAC-SM3 key of the X-Hpki-Signature webhook header",
     auth::Permission::kSign, "", 200, &webhook_secret},
    {"GET", "/api/v1/cosign/devices/{id}", "An enrolled phone", auth::Permission::kCertRead, "",
     200, &get_device},
    {"POST", "/api/v1/cosign/devices/{id}/revoke",
     "Revoke an enrolled phone (hpki's key share is destroyed)", auth::Permission::kCertLifecycle,
     "", 200, &revoke_device},
    {"POST", "/api/v1/cosign/devices/{id}/unlock", "Unlock a phone locked after wrong PINs",
     auth::Permission::kCertLifecycle, "", 200, &unlock_device},
};

// ------------------------------------------------------------------ the phone

using PhoneBody = std::function<Result<http::Response>()>;

// The phone's routes: errors as problems (with the cosign ids), exceptions as 500.
http::Response phone_guard(const http::Request& req, const PhoneBody& body) {
  store::TxLabel label(req.route);
  try {
    auto r = body();
    if (r) return std::move(*r);
    if (http::problem_mapping(r.error().code()).status >= 500) {
      // The answer hides the detail (problem_for); the operator needs it.
      log::error("{} {}: {}", req.method, req.route, r.error().to_string());
    }
    return problem(r.error());
  } catch (const std::exception& e) {
    log::error("{} {}: handler failed: {}", req.method, req.route, e.what());
    return http::problem_for(Error{ErrorCode::kInternal, "internal error"});
  }
}

using DeviceBody = std::function<Result<http::Response>(const CosignDeviceRecord&)>;

// The device token, then the device's rate limit (ApiContext::rate_limiter, key "device:<id>").
http::Response device_guard(ApiContext& c, const http::Request& req, const DeviceBody& body) {
  return phone_guard(req, [&]() -> Result<http::Response> {
    auto h = req.header("authorization");
    if (!h || !h->starts_with("Bearer ")) {
      return http::problem(401, "unauthenticated", "Unauthenticated",
                           "expected 'Authorization: Bearer hpkid_...' (the device token)");
    }
    auto d = svc(c).authenticate(h->substr(7));
    if (!d) {
      if (d.error().code() == ErrorCode::kPermissionDenied &&
          cosign::problem_type(d.error()).empty()) {
        return http::problem(401, "unauthenticated", "Unauthenticated", d.error().detail());
      }
      return fail(d.error());
    }
    if (c.rate_limiter != nullptr) {
      const auto decision = c.rate_limiter->take("device:" + d->id);
      if (!decision.allowed) {
        return http::problem(429, "rate-limited", "Too many requests",
                             "request rate limit of this device exceeded; retry later")
            .set_header("Retry-After", std::to_string(decision.retry_after.count()));
      }
    }
    return body(*d);
  });
}

Result<cosign::Approval> approval_of(const json& body) {
  if (!body.contains("approval") || !body.at("approval").is_object()) {
    return fail(ErrorCode::kInvalidArgument, "missing object 'approval'");
  }
  const json& a = body.at("approval");
  cosign::Approval out;
  out.method = HPKI_TRY(string_field(a, "method", true));
  if (out.method == "webauthn") {
    out.credential_id = HPKI_TRY(b64_field(a, "credential_id", true, 1024));
    out.authenticator_data = HPKI_TRY(b64_field(a, "authenticator_data", true, 1024));
    out.client_data_json = HPKI_TRY(b64_field(a, "client_data_json", true, 4096));
    out.signature = HPKI_TRY(b64_field(a, "signature", true, 256));
  }
  return out;
}

json phone_request_json(const SigningRequestRecord& r, bool with_document) {
  json j = request_json(r);
  j.erase("signer");
  auto doc = crypto::digest(crypto::HashAlg::kSha256, r.document);
  if (doc) j["document_sha256"] = hex_encode(*doc);
  j["nonce"] = hex_encode(r.nonce);
  if (auto ch = cosign::Service::request_challenge(r)) j["challenge"] = base64_encode(*ch);
  j["size"] = r.document.size();
  if (with_document && r.document.size() <= 1024 * 1024) j["document"] = base64_encode(r.document);
  return j;
}

http::Response enroll_start(ApiContext& c, const http::Request& req) {
  return phone_guard(req, [&]() -> Result<http::Response> {
    const json body = HPKI_TRY(parse_body(req));
    const std::string code = HPKI_TRY(string_field(body, "code", true));
    auto s = HPKI_TRY(svc(c).enroll_start(code, peer_ip(req)));
    return json_response(
        200, json{{"enrollment_id", s.record.id},
                  {"algorithm", s.record.algorithm},
                  {"subject",
                   {{"name", s.subject_name},
                    {"organization", s.organization},
                    {"department", s.department}}},
                  {"webauthn",
                   {{"challenge", base64_encode(s.record.challenge)},
                    {"rp_id", s.rp_id},
                    {"rp_name", s.rp_name},
                    {"user_id", base64_encode(BytesView(
                                    reinterpret_cast<const std::uint8_t*>(s.record.id.data()),
                                    s.record.id.size()))},
                    {"user_name", s.subject_name}}},
                  {"expires_at", format_rfc3339(s.record.expires_at)}});
  });
}

http::Response enroll_keygen(ApiContext& c, const http::Request& req) {
  return phone_guard(req, [&]() -> Result<http::Response> {
    const json body = HPKI_TRY(parse_body(req));
    const std::string code = HPKI_TRY(string_field(body, "code", true));
    if (body.contains("public_key")) {
      const Bytes spki = HPKI_TRY(b64_field(body, "public_key", true, 512));
      auto k = HPKI_TRY(svc(c).enroll_keygen_p256(code, spki));
      return json_response(200, json{{"csr_info", base64_encode(k.csr_info)}});
    }
    const Bytes p1 = HPKI_TRY(hex_field(body, "p1", 65));
    if (!body.contains("proof") || !body.at("proof").is_object()) {
      return fail(ErrorCode::kInvalidArgument, "missing object 'proof'");
    }
    cosign::Proof proof{HPKI_TRY(hex_field(body.at("proof"), "r", 65)),
                        HPKI_TRY(hex_field(body.at("proof"), "z", 32))};
    const Bytes q1 = HPKI_TRY(hex_field(body, "q1", 65));
    auto k = HPKI_TRY(svc(c).enroll_keygen_sm2(code, p1, proof, q1));
    return json_response(
        200, json{{"p", hex_encode(k.p)},
                  {"p2", hex_encode(k.p2)},
                  {"proof", {{"r", hex_encode(k.proof.r)}, {"z", hex_encode(k.proof.z)}}},
                  {"csr_info", base64_encode(k.csr_info)},
                  {"r", hex_encode(k.r)},
                  {"s1", hex_encode(k.s1)}});
  });
}

http::Response enroll_finish(ApiContext& c, const http::Request& req) {
  return phone_guard(req, [&]() -> Result<http::Response> {
    const json body = HPKI_TRY(parse_body(req));
    cosign::EnrollFinish f;
    f.code = HPKI_TRY(string_field(body, "code", true));
    if (body.contains("s")) f.s = HPKI_TRY(hex_field(body, "s", 32));
    f.signature = HPKI_TRY(b64_field(body, "signature", false, 256));
    if (body.contains("webauthn") && body.at("webauthn").is_object()) {
      const json& w = body.at("webauthn");
      f.webauthn = cosign::WebauthnRegistration{
          HPKI_TRY(b64_field(w, "credential_id", false, 1024)),
          HPKI_TRY(b64_field(w, "attestation_object", true, 16 * 1024)),
          HPKI_TRY(b64_field(w, "client_data_json", true, 4096))};
    }
    f.device_name = HPKI_TRY(string_field(body, "device_name"));
    f.user_agent = std::string(req.header("user-agent").value_or(""));
    if (body.contains("handwriting") && body.at("handwriting").is_object()) {
      const json& h = body.at("handwriting");
      f.handwriting_png = HPKI_TRY(b64_field(h, "png", true, 512 * 1024));
      if (h.contains("strokes")) f.strokes = h.at("strokes").dump();
    }
    auto e = HPKI_TRY(svc(c).enroll_finish(f));
    return json_response(201, json{{"device_id", e.device.id},
                                   {"device_token", e.token},
                                   {"certificate", pem_encode("CERTIFICATE", e.certificate)}});
  });
}

http::Response me(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    json j = device_json(d);
    const auto pending = HPKI_TRY(svc(c).pending(d));
    j["pending"] = pending.size();
    if (auto cert = svc(c).device_certificate(d); cert && cert->der) {
      j["certificate"] = {{"ca", d.ca_id},
                          {"serial", d.serial},
                          {"pem", pem_encode("CERTIFICATE", *cert->der)},
                          {"subject", cert->subject},
                          {"not_after", format_rfc3339(cert->not_after)},
                          {"status", std::string(store::to_string(cert->status))}};
      j["public_key"] = base64_encode(d.public_key);
    }
    j["handwriting"] = d.handwriting.has_value();
    if (d.credential_id) j["credential_id"] = base64_encode(*d.credential_id);
    return json_response(200, j);
  });
}

http::Response list_pending(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    json list = json::array();
    for (const auto& r : HPKI_TRY(svc(c).pending(d))) list.push_back(phone_request_json(r, false));
    return json_response(200, json{{"requests", list}});
  });
}

http::Response show_request(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    auto r = HPKI_TRY(svc(c).request_for(d, std::string(req.param("id").value_or(""))));
    return json_response(200, phone_request_json(r, true));
  });
}

// Format pdf: the prepared PDF of a request this device approved (docs/cosign.md §3 "Format
// pdf"), so that the phone can check that M's messageDigest is the digest of its ByteRange and
// that it begins with the document it showed.
http::Response prepared_pdf(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    auto r = HPKI_TRY(svc(c).request_for(d, std::string(req.param("id").value_or(""))));
    if (r.format != "pdf" || r.state != "approved" || r.device_id != d.id || !r.prepared) {
      return fail(Error{ErrorCode::kConflict,
                        std::string(cosign::problem::kNotPending) + ": request " + r.id +
                            " is not an approved PDF request of this device (" + r.state + ")"});
    }
    json range = json::array();
    std::istringstream in(r.byte_range);
    for (std::uint64_t v = 0; in >> v;) range.push_back(v);
    return json_response(200, json{{"id", r.id},
                                   {"pdf", base64_encode(*r.prepared)},
                                   {"byte_range", range},
                                   {"size", r.prepared->size()}});
  });
}

http::Response reject_request(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    const json body = HPKI_TRY(parse_body(req));
    auto r = HPKI_TRY(svc(c).reject(d, std::string(req.param("id").value_or("")),
                                    HPKI_TRY(string_field(body, "reason"))));
    return json_response(200, phone_request_json(r, false));
  });
}

Result<std::vector<json>> request_list(const json& body) {
  if (!body.contains("requests") || !body.at("requests").is_array()) {
    return fail(ErrorCode::kInvalidArgument, "missing array 'requests'");
  }
  std::vector<json> out;
  for (const auto& item : body.at("requests")) {
    if (!item.is_object()) return fail(ErrorCode::kInvalidArgument, "requests[] must be objects");
    out.push_back(item);
  }
  return out;
}

http::Response sign_start(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    const json body = HPKI_TRY(parse_body(req));
    std::vector<cosign::SignStartItem> items;
    for (const auto& item : HPKI_TRY(request_list(body))) {
      cosign::SignStartItem it;
      it.id = HPKI_TRY(string_field(item, "id", true));
      if (d.algorithm == "sm2") it.q1 = HPKI_TRY(hex_field(item, "q1", 65));
      items.push_back(std::move(it));
    }
    const auto approval = HPKI_TRY(approval_of(body));
    json out = json::array();
    for (const auto& a : HPKI_TRY(svc(c).sign_start(d, items, approval))) {
      json j{{"id", a.id}, {"m", base64_encode(a.m)}};
      if (!a.r.empty()) {
        j["r"] = hex_encode(a.r);
        j["s1"] = hex_encode(a.s1);
      }
      out.push_back(std::move(j));
    }
    return json_response(200, json{{"requests", out}});
  });
}

http::Response sign_finish(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    const json body = HPKI_TRY(parse_body(req));
    std::vector<cosign::SignFinishItem> items;
    for (const auto& item : HPKI_TRY(request_list(body))) {
      cosign::SignFinishItem it;
      it.id = HPKI_TRY(string_field(item, "id", true));
      if (d.algorithm == "sm2") {
        it.s = HPKI_TRY(hex_field(item, "s", 32));
      } else {
        it.signature = HPKI_TRY(b64_field(item, "signature", true, 256));
      }
      items.push_back(std::move(it));
    }
    json out = json::array();
    for (const auto& a : HPKI_TRY(svc(c).sign_finish(d, items))) {
      json j{{"id", a.id}, {"state", a.state}};
      if (!a.problem.empty()) j["problem"] = a.problem;
      out.push_back(std::move(j));
    }
    return json_response(200, json{{"requests", out}});
  });
}

http::Response decrypt(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    const json body = HPKI_TRY(parse_body(req));
    const Bytes t1 = HPKI_TRY(hex_field(body, "t1", 65));
    const auto approval = HPKI_TRY(approval_of(body));
    return json_response(200, json{{"t2", hex_encode(HPKI_TRY(svc(c).decrypt(d, t1, approval)))}});
  });
}

// docs/cosign.md §2.4: share refresh (PIN change, new phone) with a passkey approval.
http::Response refresh(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    const json body = HPKI_TRY(parse_body(req));
    const Bytes t = HPKI_TRY(hex_field(body, "t", 32));
    const auto approval = HPKI_TRY(approval_of(body));
    return json_response(200,
                         json{{"p2", hex_encode(HPKI_TRY(svc(c).refresh_share(d, t, approval)))}});
  });
}

http::Response handwriting(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    const json body = HPKI_TRY(parse_body(req));
    const Bytes png = HPKI_TRY(b64_field(body, "png", true, 512 * 1024));
    const std::string strokes = body.contains("strokes") ? body.at("strokes").dump() : "";
    return json_response(200, device_json(HPKI_TRY(svc(c).set_handwriting(d, png, strokes))));
  });
}

http::Response qr_scan(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    auto s = HPKI_TRY(svc(c).qr_scan(d, std::string(req.param("id").value_or(""))));
    json j{{"id", s.record.id},
           {"kind", s.record.kind},
           {"ip", s.record.pc_ip},
           {"user_agent", s.record.pc_user_agent},
           {"workstation", s.record.pc_user_agent.empty() ? "" : s.record.pc_ip},
           {"created_at", format_rfc3339(s.record.created_at)},
           {"expires_at", format_rfc3339(s.record.expires_at)},
           {"choices", s.choices}};
    if (s.request) j["request"] = phone_request_json(*s.request, false);
    return json_response(200, j);
  });
}

http::Response qr_confirm(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    const json body = HPKI_TRY(parse_body(req));
    const auto number = HPKI_TRY(int_field(body, "number", 0, 99, true));
    const auto approval = HPKI_TRY(approval_of(body));
    HPKI_TRY(svc(c).qr_confirm(d, std::string(req.param("id").value_or("")),
                               static_cast<int>(*number), approval));
    return json_response(200, json{{"state", "confirmed"}});
  });
}

http::Response qr_cancel(ApiContext& c, const http::Request& req) {
  return device_guard(c, req, [&](const CosignDeviceRecord& d) -> Result<http::Response> {
    HPKI_TRY(svc(c).qr_cancel(d, std::string(req.param("id").value_or(""))));
    return json_response(200, json{{"state", "cancelled"}});
  });
}

// Server-sent events (text/event-stream): answered with the news, or empty after 25 s; the
// EventSource reconnects after `retry` with Last-Event-ID.
void events(ApiContext& c, http::Request request, http::Reply reply) {
  auto req = std::make_shared<const http::Request>(std::move(request));
  c.runtime->ca().post([&c, req, reply] {
    std::int64_t after = 0;
    std::string_view last =
        req->header("last-event-id").value_or(req->query_param("after").value_or(""));
    if (!last.empty()) {
      try {
        after = std::stoll(std::string(last));
      } catch (...) {
        after = 0;
      }
    }
    std::optional<CosignDeviceRecord> device;
    http::Response refused = device_guard(c, *req, [&](const CosignDeviceRecord& d) {
      device = d;
      return Result<http::Response>(http::Response{});
    });
    if (!device) return reply(std::move(refused));
    const auto deadline = c.runtime->clock().now() + std::chrono::seconds(25);
    svc(c).wait_events(*device, after, deadline, [reply](std::vector<SigningRequestRecord> news) {
      std::string body = "retry: 1000\n\n";
      if (news.empty()) body += ": keep-alive\n\n";
      for (const auto& r : news) {
        body += "id: " + std::to_string(r.seq) +
                "\nevent: request\ndata: " + json{{"id", r.id}, {"state", r.state}}.dump() + "\n\n";
      }
      http::Response out = http::Response::text(200, std::move(body), "text/event-stream");
      out.set_header("Cache-Control", "no-store");
      reply(std::move(out));
    });
  });
}

// ------------------------------------------------------------------ the PC's QR page

std::string cookie(const http::Request& req, std::string_view name) {
  const auto h = req.header("cookie");
  if (!h) return {};
  std::string_view s = *h;
  while (!s.empty()) {
    const auto semi = s.find(';');
    std::string_view part = s.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.starts_with(name) && part.size() > name.size() && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    if (semi == std::string_view::npos) break;
    s.remove_prefix(semi + 1);
  }
  return {};
}

http::Response qr_new(ApiContext& c, const http::Request& req) {
  return phone_guard(req, [&]() -> Result<http::Response> {
    const json body = req.body.empty() ? json::object() : HPKI_TRY(parse_body(req));
    std::string kind = HPKI_TRY(string_field(body, "kind"));
    if (kind.empty()) kind = "login";
    if (kind != "login") return fail(ErrorCode::kInvalidArgument, "kind must be login");
    auto q = HPKI_TRY(
        svc(c).create_qr(kind, peer_ip(req), std::string(req.header("user-agent").value_or(""))));
    auto out = json_response(201, json{{"id", q.record.id},
                                       {"url", q.url},
                                       {"number", q.record.number},
                                       {"expires_at", format_rfc3339(q.record.expires_at)}});
    out.set_header("Set-Cookie",
                   "hpki_qr=" + q.secret + "; Path=/qr/; HttpOnly; SameSite=Strict; Max-Age=300");
    out.set_header("Cache-Control", "no-store");
    return out;
  });
}

Result<json> qr_json(const store::QrSessionRecord& q) {
  json j{{"id", q.id},
         {"kind", q.kind},
         {"state", q.state},
         {"expires_at", format_rfc3339(q.expires_at)}};
  if (q.state == "confirmed" && q.ticket) {
    j["ticket"] = std::string(q.ticket->begin(), q.ticket->end());
  }
  return j;
}

http::Response qr_get(ApiContext& c, const http::Request& req) {
  return phone_guard(req, [&]() -> Result<http::Response> {
    const std::string id(req.param("id").value_or(""));
    auto q = HPKI_TRY(svc(c).qr_status(id, cookie(req, "hpki_qr")));
    json j = HPKI_TRY(qr_json(q));
    if (q.kind == "sign" && !q.request_id.empty()) {
      // The PC showing a QR signing code sees the state of the request only.
      auto r = HPKI_TRY(svc(c).get_request(q.request_id));
      j = json{{"id", q.id},
               {"kind", q.kind},
               {"state", q.state},
               {"request_state", r.state},
               {"url", cosign::Service::qr_url(svc(c).config(), q.id)}};
    } else if (q.subject_id != 0 && q.state != "created") {
      auto subject = c.runtime->store().read_value<store::SubjectRecord>(
          [&](store::Tx& tx) { return tx.get_subject(q.subject_id); });
      if (subject) j["subject"] = subject->name;
    }
    auto out = json_response(200, j);
    out.set_header("Cache-Control", "no-store");
    return out;
  });
}

http::Response qr_redeem(ApiContext& c, const http::Request& req) {
  return phone_guard(req, [&]() -> Result<http::Response> {
    const json body = HPKI_TRY(parse_body(req));
    const std::string ticket = HPKI_TRY(string_field(body, "ticket", true));
    auto s = HPKI_TRY(svc(c).qr_redeem(std::string(req.param("id").value_or("")),
                                       cookie(req, "hpki_qr"), ticket));
    auto out = json_response(200, json{{"subject", s.subject},
                                       {"organization", s.organization},
                                       {"expires_at", format_rfc3339(s.expires_at)}});
    out.set_header("Set-Cookie", "hpki_session=" + s.token +
                                     "; Path=/qr/; HttpOnly; SameSite=Strict; Max-Age=28800");
    return out;
  });
}

http::Response qr_session(ApiContext& c, const http::Request& req) {
  return phone_guard(req, [&]() -> Result<http::Response> {
    auto s = HPKI_TRY(svc(c).pc_session(cookie(req, "hpki_session")));
    return json_response(200, json{{"subject", s.subject},
                                   {"organization", s.organization},
                                   {"expires_at", format_rfc3339(s.expires_at)}});
  });
}

// ------------------------------------------------------------------ static files

std::string content_type(const std::filesystem::path& p) {
  static const std::map<std::string, std::string> kTypes{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".png", "image/png"},
      {".svg", "image/svg+xml"},
      {".ico", "image/x-icon"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"}};
  auto it = kTypes.find(p.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

// The files of one front end, read once at start (a few hundred KiB).
struct StaticSite {
  std::map<std::string, std::pair<std::string, std::string>> files;  // name -> (type, body)
};

std::shared_ptr<StaticSite> load_site(const std::filesystem::path& dir) {
  auto site = std::make_shared<StaticSite>();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return site;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (!e.is_regular_file() || e.file_size() > 8 * 1024 * 1024) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string rel = std::filesystem::relative(e.path(), dir).generic_string();
    site->files[rel] = {content_type(e.path()), ss.str()};
  }
  return site;
}

http::Response serve_file(const StaticSite& site, std::string_view name) {
  if (name.empty()) name = "index.html";
  auto it = site.files.find(std::string(name));
  if (it == site.files.end()) {
    if (site.files.empty()) {
      return http::Response::text(404, "the web front ends are not built (make build)\n");
    }
    return http::Response::text(404, "not found\n");
  }
  http::Response out = http::Response::text(200, it->second.second, it->second.first);
  // Pages and the service worker are revalidated; the rest is small and changes with releases.
  out.set_header("Cache-Control", "no-cache");
  out.set_header("X-Content-Type-Options", "nosniff");
  out.set_header("Referrer-Policy", "no-referrer");
  out.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: "
                 "mediastream:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
                 "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  out.set_header("Permissions-Policy",
                 "camera=(self), publickey-credentials-get=(self), "
                 "publickey-credentials-create=(self)");
  return out;
}

void add_site(http::Router& router, const std::string& prefix, std::shared_ptr<StaticSite> site) {
  http::RouteOptions o;
  o.public_route = true;
  o.rate_limited = false;
  o.summary = "static files of " + prefix;
  router.add(
      "GET", prefix,
      [](const http::Request& req) {
        http::Response r = http::Response::text(301, "");
        r.set_header("Location", req.path + "/");
        return r;
      },
      o);
  router.add(
      "GET", prefix + "/", [site](const http::Request&) { return serve_file(*site, ""); }, o);
  http::RouteOptions rest = o;
  rest.last_param_takes_rest = true;
  router.add(
      "GET", prefix + "/{file}",
      [site](const http::Request& req) {
        const std::string name(req.param("file").value_or(""));
        if (name.find("..") != std::string::npos) return http::Response::text(404, "not found\n");
        return serve_file(*site, name);
      },
      rest);
}

// The phone's and the PC's routes (docs/cosign.md), in the order of kPhoneHandlers.
constexpr PhoneRouteDoc kPhoneRoutes[] = {
    {"POST", "/api/v1/m/enroll/start", "Phone: start an enrollment with its code",
     "enrollment-code"},
    {"POST", "/api/v1/m/enroll/keygen",
     "Phone: two-party key generation (K2) and hpki's half of the CSR signature (S2)",
     "enrollment-code"},
    {"POST", "/api/v1/m/enroll/finish",
     "Phone: the jointly signed CSR and the passkey; the certificate and the device token",
     "enrollment-code"},
    {"GET", "/api/v1/m/me", "Phone: the device, its certificate and pending count", "device-token"},
    {"GET", "/api/v1/m/requests", "Phone: pending signing requests (待签)", "device-token"},
    {"GET", "/api/v1/m/requests/{id}", "Phone: one request with its document", "device-token"},
    {"GET", "/api/v1/m/requests/{id}/prepared",
     "Phone: the prepared PDF of an approved format-pdf request (to check M)", "device-token"},
    {"POST", "/api/v1/m/requests/{id}/reject", "Phone: reject a request", "device-token"},
    {"POST", "/api/v1/m/sign/start",
     "Phone: approve requests (passkey or PIN) and get hpki's half of each signature (S2)",
     "device-token"},
    {"POST", "/api/v1/m/sign/finish", "Phone: the final shares; hpki verifies and assembles",
     "device-token"},
    {"POST", "/api/v1/m/decrypt", "Phone: hpki's half of a two-party SM2 decryption (D2)",
     "device-token"},
    {"POST", "/api/v1/m/refresh",
     "Phone: refresh the key shares (PIN change, new phone) with a passkey approval",
     "device-token"},
    {"POST", "/api/v1/m/handwriting", "Phone: the handwritten signature image and strokes",
     "device-token"},
    {"POST", "/api/v1/m/qr/{id}/scan", "Phone: a scanned login or signing QR code", "device-token"},
    {"POST", "/api/v1/m/qr/{id}/confirm", "Phone: confirm a QR login (number and passkey)",
     "device-token"},
    {"POST", "/api/v1/m/qr/{id}/cancel", "Phone: \"not me\", cancel a scanned QR login",
     "device-token"},
    {"POST", "/qr/api/sessions", "PC: a new login QR code (sets the hpki_qr cookie)", "none"},
    {"GET", "/qr/api/sessions/{id}", "PC: the state of its QR code (the ticket once confirmed)",
     "pc-cookie"},
    {"POST", "/qr/api/sessions/{id}/redeem", "PC: redeem the one-time ticket for a session",
     "pc-cookie"},
    {"GET", "/qr/api/session", "PC: the session of a QR login", "pc-cookie"},
    {"GET", "/api/v1/m/events",
     "Phone: server-sent events (text/event-stream) of its requests; Last-Event-ID resumes",
     "device-token"},
};
using PhoneFn = http::Response (*)(ApiContext&, const http::Request&);
constexpr PhoneFn kPhoneHandlers[] = {
    &enroll_start, &enroll_keygen,  &enroll_finish, &me,          &list_pending, &show_request,
    &prepared_pdf, &reject_request, &sign_start,    &sign_finish, &decrypt,      &refresh,
    &handwriting,  &qr_scan,        &qr_confirm,    &qr_cancel,   &qr_new,       &qr_get,
    &qr_redeem,    &qr_session,     nullptr};
static_assert(std::size(kPhoneRoutes) == std::size(kPhoneHandlers));

}  // namespace

std::span<const ApiRoute> cosign_routes() { return kRoutes; }
std::span<const PhoneRouteDoc> cosign_phone_route_docs() { return kPhoneRoutes; }

void add_cosign_phone_routes(http::Router& router, ApiContext& c,
                             const std::filesystem::path& web_dir) {
  if (c.cosign == nullptr) return;
  http::RouteOptions o;
  o.public_route = true;  // no API key: the code, the device token or the PC secret
  o.rate_limited = true;  // the per-address limit of the server
  for (std::size_t i = 0; i < std::size(kPhoneRoutes); ++i) {
    const PhoneRouteDoc& doc = kPhoneRoutes[i];
    const PhoneFn fn = kPhoneHandlers[i];
    if (fn == nullptr) continue;  // the event stream: asynchronous, below
    http::RouteOptions ro = o;
    ro.summary = std::string(doc.summary);
    ro.max_body_bytes = 2 * 1024 * 1024;
    router.add(
        doc.method, doc.pattern, [&c, fn](const http::Request& req) { return fn(c, req); }, ro);
  }
  http::RouteOptions ev = o;
  ev.summary = "server-sent events of the phone's signing requests";
  router.add_async(
      "GET", "/api/v1/m/events",
      [&c](http::Request req, http::Reply reply) { events(c, std::move(req), reply); }, ev);
  add_site(router, "/m", load_site(web_dir / "m"));
  add_site(router, "/qr", load_site(web_dir / "qr"));
}

}  // namespace hpki::api
