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
#include "pdf/pades.h"
#include "pdf/validation_data.h"
#include "pdf/verify.h"
#include "revocation/store_designation.h"
#include "seal/service.h"
#include "sign/key_registry.h"
#include "sign/sign_service.h"
#include "tsa/tsa_service.h"
#include "x509/bundle.h"
#include "x509/cms.h"
#include "x509/tsp.h"

namespace hpki::api {
namespace {

using nlohmann::json;

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

// A finite number field in [min, max] (PDF coordinates).
Result<double> number_field(const json& j, const char* key, double min, double max) {
  if (!j.contains(key) || !j.at(key).is_number())
    return fail(ErrorCode::kInvalidArgument, std::string("field '") + key + "' must be a number");
  const double v = j.at(key).get<double>();
  if (!(v >= min && v <= max))
    return fail(ErrorCode::kInvalidArgument, std::string("field '") + key + "' must be from " +
                                                 std::to_string(min) + " to " +
                                                 std::to_string(max));
  return v;
}

// mode "pdf" (docs/pdf.md "API"): data is the PDF; body.pdf the options. Returns the signed PDF.
Result<json> api_sign_pdf(ApiContext& c, const auth::Principal& p, const json& body,
                          const std::string& id, const sign::RegisteredKey& reg,
                          const sign::SigningIdentity& who) {
  const Bytes input = HPKI_TRY(base64_field(body, "data", true));
  if (input.size() > pdf::kMaxPdfSize)
    return fail(ErrorCode::kTooLarge, "data: a PDF of at most 64 MiB");
  const json opts =
      body.contains("pdf") && !body.at("pdf").is_null() ? body.at("pdf") : json::object();
  if (!opts.is_object()) return fail(ErrorCode::kInvalidArgument, "field 'pdf' must be an object");
  pdf::PadesOptions o;
  o.level = HPKI_TRY(pdf::parse_level(HPKI_TRY(string_field(opts, "level")).empty()
                                          ? "b-b"
                                          : HPKI_TRY(string_field(opts, "level"))));
  o.gmt0010 = HPKI_TRY(bool_field(body, "gmt0010"));
  pdf::FieldSpec& f = o.field;
  f.field_name = HPKI_TRY(string_field(opts, "field"));
  f.reason = HPKI_TRY(string_field(opts, "reason"));
  f.location = HPKI_TRY(string_field(opts, "location"));
  f.name = who.certificate->subject().get(der::oids::kCommonName);
  f.signing_time = c.runtime->clock().now();
  if (HPKI_TRY(bool_field(opts, "pkcs7"))) f.sub_filter = std::string(pdf::kSubFilterPkcs7);
  if (auto certify = HPKI_TRY(int_field(opts, "certify", 1, 3)))
    f.docmdp = static_cast<int>(*certify);
  auto& a = f.appearance;
  const auto page = HPKI_TRY(int_field(opts, "page", 1, 100000));
  a.anchor = HPKI_TRY(string_field(opts, "anchor"));
  if (a.anchor->empty()) a.anchor.reset();
  a.page = page ? static_cast<int>(*page) : (a.anchor ? 0 : 1);
  if (opts.contains("rect") && !opts.at("rect").is_null()) {
    const json& r = opts.at("rect");
    if (!r.is_object()) return fail(ErrorCode::kInvalidArgument, "field 'rect' must be an object");
    a.rect = pdf::Rect{
        HPKI_TRY(number_field(r, "x", 0, 14400)), HPKI_TRY(number_field(r, "y", 0, 14400)),
        HPKI_TRY(number_field(r, "w", 1, 14400)), HPKI_TRY(number_field(r, "h", 1, 14400))};
  }
  if (opts.contains("image")) a.png = HPKI_TRY(base64_field(opts, "image", true));
  if (opts.contains("text")) {
    const json& t = opts.at("text");
    if (!t.is_array() || t.size() > pdf::kMaxTextLines)
      return fail(ErrorCode::kInvalidArgument,
                  "field 'text' must be an array of at most 16 strings");
    for (const auto& line : t) {
      if (!line.is_string()) return fail(ErrorCode::kInvalidArgument, "field 'text': strings only");
      a.text_lines.push_back(line.get<std::string>());
    }
  }
  std::optional<seal::SealUse> use;
  if (const auto seal_id = HPKI_TRY(string_field(opts, "seal")); !seal_id.empty()) {
    if (a.png) return fail(ErrorCode::kInvalidArgument, "'seal' and 'image' exclude each other");
    if (!a.rect && !a.anchor)
      return fail(ErrorCode::kInvalidArgument, "a seal needs 'rect' or 'anchor' (where it goes)");
    seal::Service seals(c.runtime->store(), c.runtime->audit(), c.runtime->clock());
    use = HPKI_TRY(seals.lookup_for_signing(seal_id, *who.certificate, reg.org));
    a.png = use->record.image;
    if (a.anchor && !a.rect) {
      constexpr double kPointsPerMm = 72.0 / 25.4;
      a.rect = pdf::Rect{0, 0, static_cast<double>(use->record.width_mm) * kPointsPerMm,
                         static_cast<double>(use->record.height_mm) * kPointsPerMm};
    }
  }
  if ((a.rect || a.anchor) && a.text_lines.empty())
    a.text_lines = {f.name, format_rfc3339(f.signing_time)};
  if (o.level != pdf::Level::kBB) {
    if (c.tsa == nullptr) return fail(ErrorCode::kUnavailable, "no TSA on this node");
    o.timestamp = tsa::local_digest_token_fn(*c.tsa, p.actor(), p.org.value_or(""));
  }
  o.validation_data = pdf::crl_validation_data({.store = &c.runtime->store(), .crls = {}});
  Bytes out;
  json j{{"key", id}, {"mode", "pdf"}};
  if (use && use->seal) {
    if (o.level == pdf::Level::kBLT || o.level == pdf::Level::kBLTA)
      return fail(ErrorCode::kInvalidArgument, "an SM2 seal stamp is b-b or b-t");
    seal::TimestampFn ts;
    if (o.timestamp) ts = sign::timestamp_over_digest(o.timestamp);
    out = HPKI_TRY(pdf::stamp_with_seal(input, f, *use->seal, *who.signer, *who.certificate, ts));
    j["signature_algorithm"] = crypto::signature_alg_name(who.signer->algorithm());
    j["format"] = "GBT38540.SES";
  } else {
    auto r = HPKI_TRY(pdf::sign_pades(input, who, o));
    out = std::move(r.pdf);
    j["signature_algorithm"] = crypto::signature_alg_name(r.signature_alg);
    j["format"] = std::string("pades-") + std::string(pdf::level_name(o.level));
    if (r.timestamp_time) j["timestamp_time"] = format_rfc3339(*r.timestamp_time);
  }
  if (use) j["seal"] = use->record.id;
  audit::Event e;
  e.actor = p.actor();
  e.action = audit::action::kSignCreate;
  // The object names the signed output, so that an evidence export finds this entry (issue 21).
  e.object = "signature:" + hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, out)));
  e.outcome = std::string(audit::outcome::kSuccess);
  json details{
      {"key", id},
      {"mode", "pdf"},
      {"format", j["format"]},
      {"bytes", input.size()},
      {"sha256", hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, input)))},
      {"signed_sha256", hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, out)))}};
  if (use) details["seal"] = use->record.id;
  e.details = details.dump();
  e.org = reg.org;
  HPKI_TRY(c.runtime->ca().record_event(e));
  j["pdf"] = base64_encode(out);
  j["certificate"] = pem_encode("CERTIFICATE", who.certificate->der());
  return j;
}

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
  const auto mode_text = HPKI_TRY(string_field(body, "mode", false));
  if (mode_text == "pdf") {
    auto* pdf_keys = HPKI_TRY(c.runtime->keys_for(reg->key_ref));
    auto pdf_signer = HPKI_TRY(pdf_keys->signer(crypto::to_key_ref(reg->key_ref)));
    const sign::SigningIdentity who{
        pdf_signer.get(), reg->certificates.front(),
        std::vector<x509::CertificatePtr>(reg->certificates.begin() + 1, reg->certificates.end())};
    return api_sign_pdf(c, p, body, id, *reg, who);
  }
  const Bytes data = HPKI_TRY(base64_field(body, "data", true));
  sign::SignRequest req;
  req.mode = HPKI_TRY(sign::parse_mode(mode_text.empty() ? "cms" : mode_text));
  req.gmt0010 = HPKI_TRY(bool_field(body, "gmt0010"));
  req.signing_time = c.runtime->clock().now();
  if (HPKI_TRY(bool_field(body, "timestamp"))) {
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
  e.object =
      "signature:" + hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, out.output)));
  e.outcome = std::string(audit::outcome::kSuccess);
  e.details = json{{"key", id},
                   {"mode", sign::mode_name(req.mode)},
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
  const auto mode_text = HPKI_TRY(string_field(body, "mode", false));
  const bool pdf_mode = mode_text == "pdf";
  Bytes content;
  if (body.contains("content") && !body.at("content").is_null()) {
    content = HPKI_TRY(base64_field(body, "content", true));
    req.content = content;
  }
  if (!pdf_mode) req.mode = HPKI_TRY(sign::parse_mode(mode_text.empty() ? "cms" : mode_text));
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
  t.require_revocation = HPKI_TRY(bool_field(body, "require_revocation"));
  t.now = c.runtime->clock().now();
  t.signature_cache = c.signatures;
  if (pdf_mode) {
    // docs/pdf.md: every signature of the PDF in `signature` (base64).
    if (signature.size() > pdf::kMaxPdfSize)
      return fail(ErrorCode::kTooLarge, "signature: a PDF of at most 64 MiB");
    const auto rep = pdf::verify(signature, t);
    if (rep.status == pdf::diag::kMalformed)
      return fail(ErrorCode::kMalformed, "PDF: " + rep.detail);
    return json::parse(pdf::verify_report_json(rep));
  }
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

// A 64 MiB PDF in base64 inside the JSON body (mode "pdf").
constexpr std::size_t kMaxPdfBody = 90 * 1024 * 1024;

constexpr ApiRoute kRoutes[] = {
    {"POST", "/api/v1/sign",
     "Sign data with a registered organization key (raw, CMS attached or detached, optional "
     "CAdES-T timestamp; a PDF: PAdES B-B..B-LTA, visible seal or image, SM2 seal stamps)",
     auth::Permission::kSign, "SignRequest", 200, &sign_data, kMaxPdfBody},
    {"POST", "/api/v1/verify",
     "Verify a CMS or raw signature, or every signature of a PDF: signature, signer, chain, "
     "revocation at the signing time, timestamp, changes after signing",
     auth::Permission::kVerify, "VerifyRequest", 200, &verify_signature, kMaxPdfBody},
};

}  // namespace

std::span<const ApiRoute> sign_routes() { return kRoutes; }

}  // namespace hpki::api
