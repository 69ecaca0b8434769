#include "api/ca_routes.h"

#include <nlohmann/json.hpp>

#include "api/request.h"
#include "core/pem.h"
#include "crypto/algorithm.h"

namespace hpki::api {
namespace {

using auth::Permission;
using nlohmann::json;

Result<http::Response> list_cas(ApiContext& c, const http::Request&, const auth::Principal&) {
  json out = json::array();
  for (const auto& ca : HPKI_TRY(c.runtime->ca().list_cas())) {
    out.push_back({{"id", ca.id},
                   {"family", store::to_string(ca.family)},
                   {"role", store::to_string(ca.role)},
                   {"subject", ca.subject},
                   {"parent", ca.parent_id.value_or("")},
                   {"certificate", pem_encode("CERTIFICATE", ca.certificate)}});
  }
  return json_response(200, out);
}

Result<http::Response> ca_chain(ApiContext& c, const http::Request& req, const auth::Principal&) {
  auto chain = HPKI_TRY(c.runtime->ca().chain_of(std::string(req.param("id").value_or(""))));
  std::string pem;
  for (const auto& d : chain) pem += pem_encode("CERTIFICATE", d);
  return http::Response::text(200, pem, "application/pem-certificate-chain");
}

Result<http::Response> list_profiles(ApiContext& c, const http::Request&, const auth::Principal&) {
  json out = json::array();
  for (const auto& [name, p] : c.runtime->profiles()) {
    json algs = json::array();
    for (const auto& k : p.key_algorithms) algs.push_back(crypto::key_spec_name(k));
    out.push_back({{"name", name},
                   {"description", p.description},
                   {"key_algorithms", algs},
                   {"default_days", p.default_days},
                   {"max_days", p.max_days}});
  }
  return json_response(200, out);
}

constexpr ApiRoute kRoutes[] = {
    {"GET", "/api/v1/cas", "List the certificate authorities", Permission::kCaRead, "", 200,
     &list_cas},
    {"GET", "/api/v1/cas/{id}/chain", "A CA's chain as PEM, the CA first, its root last",
     Permission::kCaRead, "", 200, &ca_chain},
    {"GET", "/api/v1/profiles", "List the certificate profiles", Permission::kProfileRead, "", 200,
     &list_profiles},
};

}  // namespace

std::span<const ApiRoute> ca_routes() { return kRoutes; }

}  // namespace hpki::api
