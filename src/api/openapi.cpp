#include "api/openapi.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <utility>

#include "api/cosign_routes.h"
#include "api/routes.h"

namespace hpki::api {
namespace {

using nlohmann::json;

http::Response document(ApiContext&, const http::Request&) {
  return http::Response::json(200, openapi_json());
}

constexpr ApiRoute kRoutes[] = {
    {"GET", "/api/v1/openapi.json", "This document", std::nullopt, "", 200, &document},
};

}  // namespace

std::span<const ApiRoute> openapi_routes() { return kRoutes; }

const std::string& openapi_json() {
  static const std::string doc = [] {
    json paths = json::object();
    for (const auto& s : api_routes()) {
      json op{{"summary", s.summary},
              {"operationId", std::string(s.method) + " " + std::string(s.pattern)}};
      json params = json::array();
      std::string_view pat = s.pattern;
      for (std::size_t pos = pat.find('{'); pos != std::string_view::npos;
           pos = pat.find('{', pos + 1)) {
        auto end = pat.find('}', pos);
        params.push_back({{"name", std::string(pat.substr(pos + 1, end - pos - 1))},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}}}});
      }
      if (!params.empty()) op["parameters"] = params;
      if (!s.request_schema.empty()) {
        op["requestBody"] = {
            {"required", true},
            {"content",
             {{"application/json",
               {{"schema",
                 {{"$ref", "#/components/schemas/" + std::string(s.request_schema)}}}}}}}};
      }
      json responses{{std::to_string(s.success), {{"description", "Success"}}}};
      json problem{{"content",
                    {{"application/problem+json",
                      {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
      for (auto [code, what] : {std::pair{"400", "Malformed request"},
                                {"401", "No or invalid credentials"},
                                {"403", "The role does not allow this"},
                                {"404", "Not found (or another organization's)"},
                                {"409", "Conflict with the current state"},
                                {"413", "Body too large"},
                                {"422", "Refused by policy or lint"},
                                {"429", "Rate limited"}}) {
        json r = problem;
        r["description"] = what;
        responses[code] = r;
      }
      op["responses"] = responses;
      if (s.permission) {
        op["security"] = json::array({{{"bearer", json::array()}}, {{"mtls", json::array()}}});
        op["x-hpki-permission"] = auth::to_string(*s.permission);
      } else {
        op["security"] = json::array();
      }
      std::string method(s.method);
      for (auto& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      paths[std::string(s.pattern)][method] = op;
    }
    // Mobile co-signing's phone and PC routes (issue 19): not API-key routes.
    for (const auto& r : cosign_phone_route_docs()) {
      std::string method(r.method);
      for (auto& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      json security = json::array();
      if (r.auth == "device-token") security.push_back({{"deviceToken", json::array()}});
      json op;
      op["summary"] = std::string(r.summary);
      op["operationId"] = std::string(r.method) + " " + std::string(r.pattern);
      op["x-hpki-auth"] = std::string(r.auth);
      op["security"] = security;
      op["responses"]["200"]["description"] = "Success";
      op["responses"]["4XX"]["description"] =
          "Problem (application/problem+json); the cosign/... types of docs/cosign.md";
      paths[std::string(r.pattern)][method] = op;
    }
    json subject{{"type", "object"},
                 {"properties",
                  {{"name", {{"type", "string"}}},
                   {"org", {{"type", "string"}}},
                   {"dept", {{"type", "string"}}},
                   {"province", {{"type", "string"}}},
                   {"city", {{"type", "string"}}},
                   {"country", {{"type", "string"}}},
                   {"email", {{"type", "string"}}},
                   {"dns", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                   {"ip", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                   {"id_number", {{"type", "string"}}},
                   {"staff_no", {{"type", "string"}}},
                   {"licence_no", {{"type", "string"}}},
                   {"org_code", {{"type", "string"}}}}}};
    json keygen{{"type", "object"},
                {"required", {"alg", "passphrase"}},
                {"properties",
                 {{"alg", {{"type", "string"}, {"enum", {"rsa2048", "rsa3072", "p256", "sm2"}}}},
                  {"passphrase", {{"type", "string"}, {"minLength", 8}}}}}};
    json d{
        {"openapi", "3.1.0"},
        {"info",
         {{"title", "hpki API"},
          {"version", "1"},
          {"description",
           "Certificate authority for hospitals: certificates for staff, organizations and "
           "devices in RSA/ECDSA and SM2."}}},
        {"paths", paths},
        {"components",
         {{"securitySchemes",
           {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
            {"deviceToken",
             {{"type", "http"},
              {"scheme", "bearer"},
              {"description", "a phone's device token (hpkid_...), docs/cosign.md"}}},
            {"mtls", {{"type", "mutualTLS"}}}}},
          {"schemas",
           {{"Problem",
             {{"type", "object"},
              {"properties",
               {{"type", {{"type", "string"}}},
                {"title", {{"type", "string"}}},
                {"status", {{"type", "integer"}}},
                {"detail", {{"type", "string"}}}}}}},
            {"Subject", subject},
            {"Keygen", keygen},
            {"SubjectRequest",
             {{"type", "object"},
              {"properties",
               {{"kind", {{"type", "string"}, {"enum", {"staff", "organization", "device"}}}},
                {"subject", {{"$ref", "#/components/schemas/Subject"}}}}}}},
            {"IssueRequest",
             {{"type", "object"},
              {"required", {"profile"}},
              {"properties",
               {{"profile", {{"type", "string"}}},
                {"family", {{"type", "string"}, {"enum", {"rsa", "ecdsa", "sm2"}}}},
                {"csr", {{"type", "string"}, {"description", "PEM PKCS#10"}}},
                {"keygen", {{"$ref", "#/components/schemas/Keygen"}}},
                {"subject", {{"$ref", "#/components/schemas/Subject"}}},
                {"days", {{"type", "integer"}}}}}}},
            {"SignRequest",
             {{"type", "object"},
              {"required", {"key", "data"}},
              {"properties",
               {{"key", {{"type", "string"}, {"description", "registered key id"}}},
                {"data", {{"type", "string"}, {"contentEncoding", "base64"}}},
                {"mode", {{"type", "string"}, {"enum", {"cms", "cms-detached", "raw", "pdf"}}}},
                {"gmt0010", {{"type", "boolean"}}},
                {"timestamp", {{"type", "boolean"}}},
                {"pdf",
                 {{"type", "object"},
                  {"description",
                   "mode pdf (docs/pdf.md): data is the PDF; the answer's pdf the "
                   "signed PDF"},
                  {"properties",
                   {{"level", {{"type", "string"}, {"enum", {"b-b", "b-t", "b-lt", "b-lta"}}}},
                    {"seal", {{"type", "string"}, {"description", "a seal id (/api/v1/seals)"}}},
                    {"image", {{"type", "string"}, {"contentEncoding", "base64"}}},
                    {"page", {{"type", "integer"}, {"minimum", 1}}},
                    {"rect",
                     {{"type", "object"},
                      {"required", {"x", "y", "w", "h"}},
                      {"properties",
                       {{"x", {{"type", "number"}}},
                        {"y", {{"type", "number"}}},
                        {"w", {{"type", "number"}}},
                        {"h", {{"type", "number"}}}}}}},
                    {"anchor", {{"type", "string"}}},
                    {"text",
                     {{"type", "array"}, {"items", {{"type", "string"}}}, {"maxItems", 16}}},
                    {"reason", {{"type", "string"}}},
                    {"location", {{"type", "string"}}},
                    {"field", {{"type", "string"}}},
                    {"certify", {{"type", "integer"}, {"minimum", 1}, {"maximum", 3}}},
                    {"pkcs7", {{"type", "boolean"}}}}}}}}}}},
            {"EnrollmentRequest",
             {{"type", "object"},
              {"required", {"subject_id"}},
              {"properties",
               {{"subject_id", {{"type", "integer"}}},
                {"algorithm", {{"type", "string"}, {"enum", {"sm2", "ecdsa-p256"}}}},
                {"ttl_seconds", {{"type", "integer"}, {"minimum", 300}}}}}}},
            {"SigningRequest",
             {{"type", "object"},
              {"required", {"document"}},
              {"properties",
               {{"signer", {{"type", "integer"}, {"description", "staff subject id"}}},
                {"document", {{"type", "string"}, {"contentEncoding", "base64"}}},
                {"format",
                 {{"type", "string"},
                  {"enum", {"cms", "cms-detached", "raw", "pdf"}},
                  {"description", "pdf: the document is a PDF, the signature a signed PDF"}}},
                {"timestamp",
                 {{"type", "boolean"}, {"description", "CAdES-T (format pdf: PAdES B-T)"}}},
                {"pdf",
                 {{"type", "object"},
                  {"additionalProperties", false},
                  {"description",
                   "format pdf: where the doctor's handwriting, name and time show "
                   "(PDF points, origin bottom-left); without rect or anchor invisible"},
                  {"properties",
                   {{"page",
                     {{"type", "integer"},
                      {"minimum", 0},
                      {"description", "1-based; 0 with an anchor: any page"}}},
                    {"rect",
                     {{"type", "object"},
                      {"required", {"x", "y", "w", "h"}},
                      {"properties",
                       {{"x", {{"type", "number"}}},
                        {"y", {{"type", "number"}}},
                        {"w", {{"type", "number"}}},
                        {"h", {{"type", "number"}}}}}}},
                    {"anchor", {{"type", "string"}, {"maxLength", 256}}},
                    {"reason", {{"type", "string"}, {"maxLength", 256}}}}}}},
                {"summary",
                 {{"type", "object"},
                  {"additionalProperties", {{"type", "string"}}},
                  {"description",
                   "what the phone shows: document_type, patient (masked), "
                   "department"}}},
                {"callback_url", {{"type", "string"}, {"format", "uri"}}},
                {"expires_in", {{"type", "integer"}, {"minimum", 30}}},
                {"qr", {{"type", "boolean"}, {"description", "QR signing: answer a QR code"}}}}}}},
            {"SealRequest",
             {{"type", "object"},
              {"required", {"name", "image", "certificates"}},
              {"properties",
               {{"organization",
                 {{"type", "string"}, {"description", "default: the caller's organization"}}},
                {"kind",
                 {{"type", "string"}, {"enum", {"organization", "personal", "handwriting"}}}},
                {"name", {{"type", "string"}, {"maxLength", 200}}},
                {"subject_id",
                 {{"type", "integer"}, {"minimum", 1}, {"description", "personal, handwriting"}}},
                {"image",
                 {{"type", "string"},
                  {"contentEncoding", "base64"},
                  {"description", "PNG, <= 1 MiB"}}},
                {"width_mm", {{"type", "integer"}, {"minimum", 1}, {"maximum", 500}}},
                {"height_mm", {{"type", "integer"}, {"minimum", 1}, {"maximum", 500}}},
                {"certificates",
                 {{"type", "array"},
                  {"items", {{"type", "string"}, {"description", "PEM"}}},
                  {"minItems", 1},
                  {"maxItems", 64},
                  {"description", "certificates allowed to use the seal"}}},
                {"valid_from", {{"type", "string"}, {"format", "date-time"}}},
                {"valid_to", {{"type", "string"}, {"format", "date-time"}}},
                {"days", {{"type", "integer"}, {"minimum", 1}, {"maximum", 36500}}},
                {"maker_key",
                 {{"type", "string"},
                  {"description",
                   "SM2 seals: the registered SM2 key that makes the GB/T 38540 SESeal"}}},
                {"digest_list", {{"type", "boolean"}}},
                {"es_id", {{"type", "string"}}}}}}},
            {"EvidenceRequest",
             {{"type", "object"},
              {"properties",
               {{"serial",
                 {{"type", "string"},
                  {"description",
                   "a certificate of this hpki, without a signature: its issuance and status"}}},
                {"request_id",
                 {{"type", "string"},
                  {"description",
                   "a mobile co-signing request: its signature, document and approval record "
                   "(then signature is optional)"}}},
                {"signature",
                 {{"type", "string"},
                  {"contentEncoding", "base64"},
                  {"description", "a CMS SignedData (DER), a raw signature or a signed PDF"}}},
                {"data",
                 {{"type", "string"},
                  {"contentEncoding", "base64"},
                  {"description", "the signed data (detached CMS, raw signature)"}}},
                {"certificate",
                 {{"type", "string"}, {"description", "PEM; the signer's (raw signatures)"}}},
                {"name", {{"type", "string"}, {"maxLength", 255}}},
                {"hash_only",
                 {{"type", "boolean"},
                  {"description", "export only the data's SHA-256 and SM3"}}}}}}},
            {"SealRevokeRequest",
             {{"type", "object"},
              {"required", {"reason"}},
              {"properties", {{"reason", {{"type", "string"}, {"maxLength", 500}}}}}}},
            {"VerifyRequest",
             {{"type", "object"},
              {"required", {"signature"}},
              {"properties",
               {{"signature", {{"type", "string"}, {"contentEncoding", "base64"}}},
                {"content", {{"type", "string"}, {"contentEncoding", "base64"}}},
                {"mode", {{"type", "string"}, {"enum", {"cms", "raw", "pdf"}}}},
                {"certificate", {{"type", "string"}, {"description", "PEM (raw mode)"}}},
                {"require_revocation", {{"type", "boolean"}}}}}}},
            {"RenewRequest",
             {{"type", "object"}, {"properties", {{"days", {{"type", "integer"}}}}}}},
            {"RekeyRequest",
             {{"type", "object"},
              {"properties",
               {{"csr", {{"type", "string"}}},
                {"keygen", {{"$ref", "#/components/schemas/Keygen"}}}}}}},
            {"ModifyRequest",
             {{"type", "object"},
              {"properties", {{"subject", {{"$ref", "#/components/schemas/Subject"}}}}}}},
            {"RevokeRequest",
             {{"type", "object"},
              {"properties",
               {{"reason", {{"type", "string"}}},
                {"invalidity_date", {{"type", "string"}, {"format", "date-time"}}}}}}}}}}}};
    return d.dump(2) + "\n";
  }();
  return doc;
}

}  // namespace hpki::api
