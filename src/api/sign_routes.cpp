#include "api/sign_routes.h"

#include <algorithm>
#include <cctype>
#include <fstream>

#include "api/json_fields.h"
#include "api/request.h"
#include "audit/audit_log.h"
#include "core/encoding.h"
#include "core/pem.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "revocation/store_designation.h"
#include "sign/key_registry.h"
#include "sign/sign_service.h"
#include "tsa/tsa_service.h"
#include "x509/bundle.h"
#include "x509/cms.h"
#include "x509/tsp.h"

namespace hpki::api {
namespace {

using nlohmann::json;

Result<bool> flag(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return false;
  if (!j.at(key).is_boolean())
    return fail(ErrorCode::kInvalidArgument, std::string("field '") + key + "' must be a boolean");
  return j.at(key).get<bool>();
}

Result<Bytes> base64_field(const json& j, const char* key, bool required) {
  auto s = HPKI_TRY(string_field(j, key, required));
  auto b = base64_decode(s);
  if (!b)
    return fail(ErrorCode::kInvalidArgument, std::string("field '") + key + "' is not base64");
  return *b;
}

// Revocation of certificates this home issued, from its store, as of the query time (the
// signing time): revoked (or on hold) on or before it is revoked, later is good.
class StoreRevocationSource final : public x509::RevocationSource {
 public:
  StoreRevocationSource(ca::CaService& ca, std::vector<x509::CertificatePtr> cas)
      : ca_(ca), cas_(std::move(cas)) {}
  [[nodiscard]] x509::RevocationAnswer check(const x509::RevocationQuery& q) const override {
    const bool ours = std::ranges::any_of(
        cas_, [&](const x509::CertificatePtr& c) { return c->der() == q.issuer.der(); });
    if (!ours) return {x509::RevocationStatus::kUnknown, x509::diag::kRevocationUnknown, ""};
    const Serial& serial = q.subject.serial_number();
    auto st = ca_.status(serial);
    if (!st)
      return {x509::RevocationStatus::kUnknown, x509::diag::kRevocationUnknown,
              "not in this home's store: " + st.error().detail()};
    if (st->word() == "good") return {x509::RevocationStatus::kGood, x509::diag::kValid, "store"};
    TimePoint when = st->revoked_at.value_or(TimePoint{});
    if (st->invalidity_date && *st->invalidity_date < when) when = *st->invalidity_date;
    if (when > q.at)
      return {x509::RevocationStatus::kGood, sign::diag::kRevokedAfterSigning,
              "revoked on " + format_rfc3339(when) + ", after " + format_rfc3339(q.at)};
    return {x509::RevocationStatus::kRevoked, x509::diag::kRevoked,
            "serial " + serial.hex() + " is " + std::string(st->word()) + " in this home's store"};
  }

 private:
  ca::CaService& ca_;
  std::vector<x509::CertificatePtr> cas_;
};

Result<json> api_sign(ApiContext& c, const auth::Principal& p, const json& body) {
  const auto id = HPKI_TRY(string_field(body, "key", true));
  const sign::KeyRegistry registry(c.runtime->config().home / "signing-keys");
  auto reg = registry.get(id);
  if (!reg) {
    if (reg.error().code() == ErrorCode::kNotFound)
      return fail(ErrorCode::kNotFound, "no signing key " + id);
    return fail(reg.error());
  }
  HPKI_TRY(auth::authorize(p, auth::Permission::kSign, reg->org));  // another organization: 404
  const Bytes data = HPKI_TRY(base64_field(body, "data", true));
  const auto mode_text = HPKI_TRY(string_field(body, "mode", false));
  sign::SignRequest req;
  req.mode = HPKI_TRY(sign::parse_mode(mode_text.empty() ? "cms" : mode_text));
  req.gmt0010 = HPKI_TRY(flag(body, "gmt0010"));
  req.signing_time = c.runtime->clock().now();
  if (HPKI_TRY(flag(body, "timestamp"))) {
    if (c.tsa == nullptr) return fail(ErrorCode::kUnavailable, "no TSA on this node");
    req.timestamp = tsa::local_token_fn(*c.tsa, p.actor(), p.org.value_or(""));
  }
  auto* keys = HPKI_TRY(c.runtime->keys_for(reg->key_ref));
  auto signer = HPKI_TRY(keys->signer(crypto::to_key_ref(reg->key_ref)));
  const std::vector<x509::CertificatePtr> chain(reg->certificates.begin() + 1,
                                                reg->certificates.end());
  const sign::SigningIdentity who{signer.get(), reg->certificates.front(), chain};
  auto out = HPKI_TRY(sign::sign(data, who, req));
  // A signature made with an organization's key is audited like a certificate change.
  audit::Event e;
  e.actor = p.actor();
  e.action = audit::action::kSignCreate;
  e.object = "key:" + id;
  e.outcome = std::string(audit::outcome::kSuccess);
  e.details = json{{"mode", sign::mode_name(req.mode)},
                   {"bytes", data.size()},
                   {"sha256", hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, data)))}}
                  .dump();
  e.org = reg->org;
  HPKI_TRY(c.runtime->ca().record_event(e));
  json j{{"key", id},
         {"mode", sign::mode_name(req.mode)},
         {"signature_algorithm", crypto::signature_alg_name(out.signature_alg)},
         {"signature", base64_encode(out.output)},
         {"certificate", pem_encode("CERTIFICATE", reg->certificates.front()->der())}};
  if (out.timestamp_time) j["timestamp_time"] = format_rfc3339(*out.timestamp_time);
  return j;
}

Result<json> api_verify(ApiContext& c, const auth::Principal&, const json& body) {
  sign::VerifyRequest req;
  const Bytes signature = HPKI_TRY(base64_field(body, "signature", true));
  req.signature = signature;
  Bytes content;
  if (body.contains("content") && !body.at("content").is_null()) {
    content = HPKI_TRY(base64_field(body, "content", true));
    req.content = content;
  }
  const auto mode_text = HPKI_TRY(string_field(body, "mode", false));
  req.mode = HPKI_TRY(sign::parse_mode(mode_text.empty() ? "cms" : mode_text));
  if (auto pem = HPKI_TRY(string_field(body, "certificate", false)); !pem.empty())
    req.signer_certificate = HPKI_TRY(x509::Certificate::parse_any(to_bytes(pem)));

  sign::TrustSettings t;
  std::vector<x509::CertificatePtr> cas;
  for (const auto& rec : HPKI_TRY(c.runtime->ca().list_cas())) {
    auto cert = HPKI_TRY(x509::Certificate::parse(rec.certificate));
    cas.push_back(cert);
    (rec.role == store::CaRole::kRoot ? t.anchors : t.intermediates).push_back(cert);
  }
  const auto extra = c.runtime->config().home / "trust-anchors.pem";
  if (std::ifstream f(extra, std::ios::binary); f) {
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto more = x509::parse_certificate_bundle(to_bytes(text));
    if (!more) return fail(more.error().with_context(extra.string()));
    t.anchors.insert(t.anchors.end(), more->begin(), more->end());
  }
  const StoreRevocationSource store_source(c.runtime->ca(), cas);
  t.revocation_sources = {&store_source};
  // Issue 16: a timestamp counts only from a TSA this home designated (for its own CAs).
  const revocation::StoreDesignationSource designation(c.runtime->store());
  t.designation = &designation;
  t.require_revocation = HPKI_TRY(flag(body, "require_revocation"));
  t.now = c.runtime->clock().now();
  t.signature_cache = c.signatures;
  const auto report = sign::verify(req, t);
  if (report.status == sign::diag::kMalformed)
    return fail(ErrorCode::kMalformed, "signature: " + report.detail);
  return json::parse(sign::verify_report_json(report));
}

Result<http::Response> sign_data(ApiContext& c, const http::Request& req,
                                 const auth::Principal& p) {
  return json_response(200, HPKI_TRY(api_sign(c, p, HPKI_TRY(parse_body(req)))));
}

Result<http::Response> verify_signature(ApiContext& c, const http::Request& req,
                                        const auth::Principal& p) {
  return json_response(200, HPKI_TRY(api_verify(c, p, HPKI_TRY(parse_body(req)))));
}

constexpr ApiRoute kRoutes[] = {
    {"POST", "/api/v1/sign",
     "Sign data with a registered organization key (raw, CMS attached or detached, optional "
     "CAdES-T timestamp)",
     auth::Permission::kSign, "SignRequest", 200, &sign_data},
    {"POST", "/api/v1/verify",
     "Verify a CMS or raw signature: signature, signer, chain, revocation at the signing time, "
     "timestamp",
     auth::Permission::kVerify, "VerifyRequest", 200, &verify_signature},
};

}  // namespace

std::span<const ApiRoute> sign_routes() { return kRoutes; }

}  // namespace hpki::api
