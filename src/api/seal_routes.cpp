#include "api/seal_routes.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "api/json_fields.h"
#include "api/request.h"
#include "core/encoding.h"
#include "crypto/keystore.h"
#include "seal/service.h"
#include "sign/key_registry.h"
#include "x509/bundle.h"

namespace hpki::api {
namespace {

using nlohmann::json;

seal::Service service(ApiContext& c) {
  return seal::Service(c.runtime->store(), c.runtime->audit(), c.runtime->clock());
}

Result<TimePoint> time_field(const json& j, const char* key, TimePoint dflt) {
  const auto s = HPKI_TRY(string_field(j, key, false));
  if (s.empty()) return dflt;
  auto t = parse_rfc3339(s);
  if (!t)
    return fail(ErrorCode::kInvalidArgument, std::string("field '") + key + "' is not RFC 3339");
  return *t;
}

Result<http::Response> list(ApiContext& c, const http::Request& req, const auth::Principal& p) {
  std::optional<std::string> org;
  if (auto o = req.query_param("org")) org = std::string(*o);
  if (auto scope = auth::org_scope(p)) {
    if (org && *org != *scope) return json_response(200, json{{"items", json::array()}});
    org = *scope;
  }
  const std::int64_t limit = HPKI_TRY(query_int(req, "limit", 100, 1, 1000));
  const std::int64_t offset = HPKI_TRY(query_int(req, "offset", 0, 0, kMaxOffset));
  json items = json::array();
  for (const auto& v : HPKI_TRY(service(c).list(org, limit, offset)))
    items.push_back(json::parse(seal::seal_json(v, false)));
  return json_response(200, json{{"items", items}, {"limit", limit}, {"offset", offset}});
}

Result<http::Response> create(ApiContext& c, const http::Request& req, const auth::Principal& p) {
  const json body = HPKI_TRY(parse_body(req));
  seal::CreateRequest r;
  r.org = HPKI_TRY(string_field(body, "organization", false));
  if (auto scope = auth::org_scope(p); scope && r.org.empty()) r.org = *scope;
  HPKI_TRY(auth::authorize_create(p, auth::Permission::kCertLifecycle, r.org));
  if (auto k = HPKI_TRY(string_field(body, "kind", false)); !k.empty()) r.kind = k;
  r.name = HPKI_TRY(string_field(body, "name", true));
  r.subject_id = HPKI_TRY(int_field(body, "subject_id", 1, kMaxOffset));
  const auto image = HPKI_TRY(string_field(body, "image", true));
  auto png = base64_decode(image);
  if (!png) return fail(ErrorCode::kInvalidArgument, "field 'image' is not base64");
  r.image = std::move(*png);
  r.width_mm = HPKI_TRY(int_field(body, "width_mm", 1, seal::kMaxSizeMm)).value_or(40);
  r.height_mm = HPKI_TRY(int_field(body, "height_mm", 1, seal::kMaxSizeMm)).value_or(40);
  if (!body.contains("certificates") || !body.at("certificates").is_array() ||
      body.at("certificates").empty() ||
      body.at("certificates").size() > seal::kMaxAllowedCertificates) {
    return fail(ErrorCode::kInvalidArgument, "field 'certificates' must be an array of 1.." +
                                                 std::to_string(seal::kMaxAllowedCertificates) +
                                                 " PEM certificates");
  }
  for (const auto& pem : body.at("certificates")) {
    if (!pem.is_string())
      return fail(ErrorCode::kInvalidArgument, "field 'certificates' holds a non-string");
    auto certs = x509::parse_certificate_bundle(to_bytes(pem.get<std::string>()));
    if (!certs) return fail(certs.error().with_context("field 'certificates'"));
    r.allowed.insert(r.allowed.end(), certs->begin(), certs->end());
  }
  const TimePoint now = c.runtime->clock().now();
  r.valid_from = HPKI_TRY(time_field(body, "valid_from", now));
  const auto days = HPKI_TRY(int_field(body, "days", 1, 36500)).value_or(365);
  r.valid_to = HPKI_TRY(time_field(body, "valid_to", r.valid_from + std::chrono::days(days)));
  r.digest_list = HPKI_TRY(bool_field(body, "digest_list"));
  r.es_id = HPKI_TRY(string_field(body, "es_id", false));
  // The maker: a key registered for the seal's organization (another organization's: 404).
  std::optional<seal::Maker> maker;
  std::unique_ptr<crypto::Signer> signer;
  if (auto id = HPKI_TRY(string_field(body, "maker_key", false)); !id.empty()) {
    const sign::KeyRegistry registry(c.runtime->config().home / "signing-keys");
    auto reg = registry.get(id);
    if (!reg) {
      if (reg.error().code() == ErrorCode::kNotFound)
        return fail(ErrorCode::kNotFound, "no signing key " + id);
      return fail(reg.error());
    }
    HPKI_TRY(auth::authorize(p, auth::Permission::kCertLifecycle, reg->org));
    auto* keys = HPKI_TRY(c.runtime->keys_for(reg->key_ref));
    signer = HPKI_TRY(keys->signer(crypto::to_key_ref(reg->key_ref)));
    maker = seal::Maker{signer.get(), reg->certificates.front(), reg->id, reg->org};
  }
  auto v = HPKI_TRY(service(c).create(r, maker, p.actor()));
  return json_response(201, json::parse(seal::seal_json(v, false)));
}

Result<http::Response> show(ApiContext& c, const http::Request& req, const auth::Principal& p) {
  const std::string id(req.param("id").value_or(""));
  auto v = HPKI_TRY(service(c).show(id, auth::org_scope(p)));
  return json_response(200, json::parse(seal::seal_json(v, true)));
}

Result<http::Response> revoke(ApiContext& c, const http::Request& req, const auth::Principal& p) {
  const json body = HPKI_TRY(parse_body(req));
  const std::string reason = HPKI_TRY(string_field(body, "reason", true));
  const std::string id(req.param("id").value_or(""));
  auto v = HPKI_TRY(service(c).revoke(id, reason, auth::org_scope(p), p.actor()));
  return json_response(200, json::parse(seal::seal_json(v, false)));
}

constexpr ApiRoute kRoutes[] = {
    {"GET", "/api/v1/seals", "List electronic seals and handwriting images (organization-scoped)",
     auth::Permission::kCertRead, "", 200, &list},
    {"POST", "/api/v1/seals",
     "Create a seal: PNG image, allowed certificates, validity; SM2 seals get a GB/T 38540 SESeal "
     "made by the maker key",
     auth::Permission::kCertLifecycle, "SealRequest", 201, &create},
    {"GET", "/api/v1/seals/{id}", "A seal, with its image and its SESeal (base64)",
     auth::Permission::kCertRead, "", 200, &show},
    {"POST", "/api/v1/seals/{id}/revoke", "Revoke a seal", auth::Permission::kCertLifecycle,
     "SealRevokeRequest", 200, &revoke},
};

}  // namespace

std::span<const ApiRoute> seal_routes() { return kRoutes; }

}  // namespace hpki::api
