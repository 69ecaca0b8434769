#include "sign/sign_service.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <mutex>
#include <sstream>
#include <utility>

#include "core/encoding.h"
#include "crypto/digest.h"
#include "der/oids.h"
#include "x509/cms.h"
#include "x509/name.h"
#include "x509/revocation.h"
#include "x509/tsp.h"

namespace hpki::sign {
namespace {

// Returns the signature it made for the same message again. ECDSA and SM2 signatures are
// randomized: CAdES-T signs once, time-stamps the signature value and builds the SignedData a
// second time with the token as an unsigned attribute, which must carry the same signature.
class MemoSigner final : public crypto::Signer {
 public:
  explicit MemoSigner(const crypto::Signer& inner) : inner_(inner) {}
  [[nodiscard]] crypto::SignatureAlg algorithm() const override { return inner_.algorithm(); }
  [[nodiscard]] const Bytes& public_key_der() const override { return inner_.public_key_der(); }
  [[nodiscard]] Result<Bytes> sign(BytesView message) const override {
    std::lock_guard lock(mu_);
    if (message_ && std::ranges::equal(*message_, message)) return *signature_;
    auto sig = HPKI_TRY(inner_.sign(message));
    message_ = Bytes(message.begin(), message.end());
    signature_ = sig;
    return sig;
  }

 private:
  const crypto::Signer& inner_;
  mutable std::mutex mu_;
  mutable std::optional<Bytes> message_;
  mutable std::optional<Bytes> signature_;
};

// The static diag id a CMS failure detail starts with.
std::string_view cms_diag_of(std::string_view detail) {
  namespace d = x509::cms::diag;
  static constexpr std::array kIds = {
      d::kSignerNotFound,       d::kContentMissing,        d::kContentTypeMismatch,
      d::kMessageDigestMissing, d::kMessageDigestMismatch, d::kSignatureInvalid,
      d::kEssCertMismatch,      d::kEssCertMissing,        d::kUnsupportedAlgorithm};
  for (auto id : kIds) {
    if (detail.starts_with(id)) return id;
  }
  return d::kSignatureInvalid;
}

std::string_view tsp_diag_of(std::string_view detail) {
  namespace d = x509::tsp::diag;
  // The designation refusal first: its detail quotes the store's error text.
  static constexpr std::array kIds = {d::kTsaNotDesignated, d::kNotGranted,    d::kNotTstInfo,
                                      d::kImprintMismatch,  d::kNonceMismatch, d::kTsaCertificate,
                                      d::kTsaNameMismatch,  d::kChain};
  for (auto id : kIds) {
    if (detail.find(id) != std::string_view::npos) return id;
  }
  return diag::kTimestampInvalid;
}

// Revocation judged at the signing time with the newest information: asks `inner` at `now`;
// a revocation found on a CRL with a date (or an earlier invalidity date) after the signing
// time (the path's validation time) counts as good and is noted.
class SigningTimeRevocation final : public x509::RevocationSource {
 public:
  SigningTimeRevocation(const std::vector<const x509::RevocationSource*>& sources,
                        const x509::RevocationSource& inner, const std::vector<x509::CrlPtr>& crls,
                        TimePoint now)
      : sources_(sources), inner_(inner), crls_(crls), now_(now) {}

  [[nodiscard]] x509::RevocationAnswer check(const x509::RevocationQuery& q) const override {
    // Time-aware sources answer as of the signing time themselves.
    std::optional<x509::RevocationAnswer> first;
    for (const auto* s : sources_) {
      auto a = s->check(q);
      if (a.status == x509::RevocationStatus::kGood && a.diag == diag::kRevokedAfterSigning) {
        std::lock_guard lock(mu_);
        notes_.push_back({diag::kRevokedAfterSigning,
                          "serial " + q.subject.serial_number().hex() + ": " + a.detail});
      }
      if (a.status != x509::RevocationStatus::kUnknown) return a;
      if (!first) first = std::move(a);
    }
    if (crls_.empty() && first) return *first;
    const TimePoint at = std::max(now_, q.at);
    const x509::RevocationQuery now_query{q.subject, q.issuer,     at,
                                          q.sm2_id,  q.key_policy, q.validate_other};
    auto answer = inner_.check(now_query);
    if (answer.status != x509::RevocationStatus::kRevoked) return answer;
    for (const auto& crl : crls_) {
      if (!(crl->issuer() == q.issuer.subject())) continue;
      const auto* entry = crl->find(q.subject.serial());
      if (entry == nullptr) continue;
      TimePoint when = entry->revocation_date;
      if (entry->invalidity_date && *entry->invalidity_date < when) when = *entry->invalidity_date;
      if (when > q.at) {
        std::lock_guard lock(mu_);
        notes_.push_back({diag::kRevokedAfterSigning, "serial " + q.subject.serial_number().hex() +
                                                          " revoked on " + format_rfc3339(when) +
                                                          ", after the signing time " +
                                                          format_rfc3339(q.at)});
        return {x509::RevocationStatus::kGood, diag::kRevokedAfterSigning, notes_.back().detail};
      }
    }
    return answer;
  }
  [[nodiscard]] std::vector<x509::Diagnostic> notes() const {
    std::lock_guard lock(mu_);
    return notes_;
  }

 private:
  const std::vector<const x509::RevocationSource*>& sources_;
  const x509::RevocationSource& inner_;
  const std::vector<x509::CrlPtr>& crls_;
  TimePoint now_;
  mutable std::mutex mu_;
  mutable std::vector<x509::Diagnostic> notes_;
};

}  // namespace

std::string_view mode_name(Mode m) {
  switch (m) {
    case Mode::kRaw:
      return "raw";
    case Mode::kCmsAttached:
      return "cms";
    case Mode::kCmsDetached:
      return "cms-detached";
  }
  return "cms";
}

Result<Mode> parse_mode(std::string_view s) {
  if (s == "raw") return Mode::kRaw;
  if (s == "cms" || s == "cms-attached") return Mode::kCmsAttached;
  if (s == "cms-detached") return Mode::kCmsDetached;
  return fail(ErrorCode::kInvalidArgument,
              "mode must be raw, cms or cms-detached, not '" + std::string(s) + "'");
}

TimestampFn timestamp_over_digest(DigestTimestampFn fn) {
  return [fn = std::move(fn)](crypto::HashAlg hash, BytesView message) -> Result<Bytes> {
    return fn(hash, HPKI_TRY(crypto::digest(hash, message)));
  };
}

Result<SignResult> sign(BytesView data, const SigningIdentity& id, const SignRequest& request) {
  if (id.signer == nullptr || !id.certificate)
    return fail(ErrorCode::kInvalidArgument, "no signing key or certificate");
  if (data.size() > kMaxDataSize)
    return fail(ErrorCode::kTooLarge,
                "data larger than " + std::to_string(kMaxDataSize) + " bytes");
  if (id.signer->public_key_der() != id.certificate->spki_der())
    return fail(ErrorCode::kKeyMismatch, "the key is not the certificate's key");
  if (request.content_digest && request.mode != Mode::kCmsDetached)
    return fail(ErrorCode::kInvalidArgument, "a content digest needs a detached CMS signature");
  SignResult out;
  out.signature_alg = id.signer->algorithm();
  if (request.mode == Mode::kRaw) {
    if (request.timestamp)
      return fail(ErrorCode::kInvalidArgument, "a timestamp needs a CMS signature");
    if (!request.extra_signed_attributes.empty())
      return fail(ErrorCode::kInvalidArgument, "signed attributes need a CMS signature");
    out.output = HPKI_TRY(id.signer->sign(data));
    return out;
  }
  x509::cms::SignOptions o;
  o.detached = request.mode == Mode::kCmsDetached;
  if (!request.omit_signing_time) o.signing_time = request.signing_time;
  o.content_digest = request.content_digest;
  o.extra_signed_attributes = request.extra_signed_attributes;
  o.extra_certificates = id.chain;
  o.oid_style = request.gmt0010 ? x509::cms::OidStyle::kGmt0010 : x509::cms::OidStyle::kRfc5652;
  if (!request.timestamp) {
    out.output = HPKI_TRY(x509::cms::sign(data, *id.certificate, *id.signer, o));
    return out;
  }
  // CAdES-T: the token covers the SignerInfo's signature value (RFC 3161 Appendix A).
  const MemoSigner memo(*id.signer);
  const Bytes first = HPKI_TRY(x509::cms::sign(data, *id.certificate, memo, o));
  const auto sd = HPKI_TRY(x509::cms::parse_signed_data(first));
  const Bytes& signature = sd.signers.at(0).signature;
  const Bytes token =
      HPKI_TRY(request.timestamp(crypto::signature_hash(out.signature_alg), signature));
  // The token must be a TimeStampToken over this signature (checked without trust anchors:
  // the verifier checks the TSA chain).
  const auto tsd = HPKI_TRY(x509::cms::parse_signed_data(token));
  const auto info = HPKI_TRY(x509::tsp::parse_tst_info(tsd.content.value_or(Bytes{})));
  const auto hash = HPKI_TRY(x509::cms::hash_from_oid(info.message_imprint.hash_algorithm));
  if (info.message_imprint.hashed_message != HPKI_TRY(crypto::digest(hash, signature)))
    return fail(ErrorCode::kBadSignature,
                std::string(x509::tsp::diag::kImprintMismatch) + ": the token is for other data");
  o.unsigned_attributes.push_back({der::oids::kAaTimeStampToken, {token}});
  out.output = HPKI_TRY(x509::cms::sign(data, *id.certificate, memo, o));
  out.timestamp_time = info.gen_time;
  return out;
}

VerifyReport verify(const VerifyRequest& request, const TrustSettings& trust) {
  VerifyReport r;
  r.validation_time = trust.now;
  r.time_source = "now";
  std::vector<x509::CertificatePtr> pool = trust.intermediates;

  if (request.mode == Mode::kRaw) {
    r.format = "raw";
    if (!request.signer_certificate || !request.content) {
      r.detail = "a raw signature needs the signer certificate and the data";
      return r;
    }
    r.signer = request.signer_certificate;
    auto spec = r.signer->key_spec();
    if (!spec) {
      r.status = x509::cms::diag::kUnsupportedAlgorithm;
      r.detail = spec.error().to_string();
      return r;
    }
    r.signature_alg = crypto::default_signature_alg(spec->type);
    auto ok = crypto::verify_signature_once(
        r.signer->spki_der(), *r.signature_alg, *request.content, request.signature,
        crypto::kSm2DefaultId, {.cache = trust.signature_cache});
    if (!ok) {
      r.status = diag::kRawSignatureInvalid;
      r.detail = ok.error().to_string();
      return r;
    }
  } else {
    r.format = "cms";
    auto sd = x509::cms::parse_signed_data(request.signature);
    if (!sd) {
      r.detail = sd.error().to_string();
      return r;
    }
    r.oid_style = sd->oid_style == x509::cms::OidStyle::kGmt0010 ? "gmt0010" : "rfc5652";
    x509::cms::VerifyOptions vo;
    vo.detached_content = request.content;
    if (!request.content) vo.detached_digest = request.content_digest;
    vo.key_policy.cache = trust.signature_cache;
    if (request.signer_certificate) vo.extra_certificates.push_back(request.signer_certificate);
    auto v = x509::cms::verify_signed_data(*sd, vo);
    if (!v) {
      r.status = cms_diag_of(v.error().detail());
      r.detail = v.error().detail();
      return r;
    }
    r.signer = v->signer;
    r.signature_alg = v->signature_alg;
    r.signing_time = v->signing_time;
    pool.insert(pool.end(), sd->certificates.begin(), sd->certificates.end());
    // CAdES-T: a signatureTimeStampToken over the signature value.
    const auto& si = sd->signers.at(0);
    if (const auto* attr = si.find_unsigned(der::oids::kAaTimeStampToken);
        attr != nullptr && !attr->values.empty()) {
      TimestampReport ts;
      x509::tsp::TokenVerifyOptions to;
      to.data = BytesView(si.signature);
      to.trust_anchors = trust.anchors;
      to.untrusted = pool;
      to.designation = trust.designation;
      if (trust.anchors.empty()) {
        ts.detail = "no trust anchor for the TSA";
      } else if (auto tv = x509::tsp::verify_token(attr->values.front(), to); tv) {
        ts.valid = true;
        ts.status = diag::kValid;
        ts.gen_time = tv->info.gen_time;
        ts.tsa = x509::to_string(tv->tsa->subject());
      } else {
        ts.status = tsp_diag_of(tv.error().detail());
        ts.detail = tv.error().to_string();
      }
      r.timestamp = std::move(ts);
    }
  }
  r.signature_valid = true;

  // The signing time: a trusted timestamp's genTime, else now (see the header).
  if (r.timestamp && r.timestamp->valid) {
    r.validation_time = *r.timestamp->gen_time;
    r.time_source = "timestamp";
  } else if (request.attested_time) {
    r.validation_time = *request.attested_time;
    r.time_source = request.attested_time_source;
  }

  std::vector<x509::CertificatePtr> all = pool;
  all.insert(all.end(), trust.anchors.begin(), trust.anchors.end());
  const x509::CrlRevocationSource crl_source(trust.crls, all);
  const SigningTimeRevocation at_signing(trust.revocation_sources, crl_source, trust.crls,
                                         trust.now);

  x509::PathOptions po;
  po.at = r.validation_time;
  po.key_policy.cache = trust.signature_cache;
  const bool have_revocation = !trust.crls.empty() || !trust.revocation_sources.empty();
  if (have_revocation) po.revocation = &at_signing;
  po.require_revocation_status = trust.require_revocation.value_or(have_revocation);
  r.path = x509::validate_path(r.signer, pool, trust.anchors, po);
  r.notes = at_signing.notes();
  if (!r.path->valid) {
    r.status = r.path->status;
    r.detail = r.path->detail;
    return r;
  }
  if (r.timestamp && !r.timestamp->valid) {
    r.status = r.timestamp->status;
    r.detail = "signatureTimeStampToken: " + r.timestamp->detail;
    return r;
  }
  r.valid = true;
  r.status = diag::kValid;
  r.detail.clear();
  return r;
}

std::string verify_report_json(const VerifyReport& r) {
  nlohmann::json j{{"valid", r.valid},
                   {"status", r.status},
                   {"signature_valid", r.signature_valid},
                   {"format", r.format},
                   {"validation_time", format_rfc3339(r.validation_time)},
                   {"time_source", r.time_source}};
  if (!r.detail.empty()) j["detail"] = r.detail;
  if (!r.oid_style.empty()) j["oid_style"] = r.oid_style;
  if (r.signer) {
    j["signer"] = {{"subject", x509::to_string(r.signer->subject())},
                   {"issuer", x509::to_string(r.signer->issuer())},
                   {"serial", r.signer->serial_number().hex()},
                   {"sha256", r.signer->fingerprint_sha256()}};
  }
  if (r.signature_alg) j["signature_algorithm"] = crypto::signature_alg_name(*r.signature_alg);
  if (r.signing_time) j["signing_time"] = format_rfc3339(*r.signing_time);
  if (r.timestamp) {
    nlohmann::json t{{"valid", r.timestamp->valid}, {"status", r.timestamp->status}};
    if (r.timestamp->gen_time) t["gen_time"] = format_rfc3339(*r.timestamp->gen_time);
    if (!r.timestamp->tsa.empty()) t["tsa"] = r.timestamp->tsa;
    if (!r.timestamp->detail.empty()) t["detail"] = r.timestamp->detail;
    j["timestamp"] = std::move(t);
  }
  if (r.path) {
    auto p = nlohmann::json::parse(x509::path_report_json(*r.path), nullptr, false);
    if (!p.is_discarded()) j["path"] = std::move(p);
  }
  nlohmann::json notes = nlohmann::json::array();
  for (const auto& n : r.notes) notes.push_back({{"id", n.id}, {"detail", n.detail}});
  j["notes"] = std::move(notes);
  return j.dump(2) + "\n";
}

std::string verify_report_text(const VerifyReport& r) {
  std::ostringstream s;
  s << "Verification: " << (r.valid ? "OK" : "FAILED") << " (" << r.status << ")\n";
  if (!r.detail.empty()) s << "detail: " << r.detail << "\n";
  s << "signature: " << (r.signature_valid ? "valid" : "invalid") << " (" << r.format;
  if (!r.oid_style.empty()) s << ", " << r.oid_style;
  if (r.signature_alg) s << ", " << crypto::signature_alg_name(*r.signature_alg);
  s << ")\n";
  if (r.signer) s << "signer: " << x509::to_string(r.signer->subject()) << "\n";
  if (r.signing_time) s << "signingTime (claimed): " << format_rfc3339(*r.signing_time) << "\n";
  if (r.timestamp) {
    s << "timestamp: " << (r.timestamp->valid ? "valid" : "INVALID") << " (" << r.timestamp->status
      << ")";
    if (r.timestamp->gen_time) s << " genTime " << format_rfc3339(*r.timestamp->gen_time);
    if (!r.timestamp->tsa.empty()) s << " by " << r.timestamp->tsa;
    s << "\n";
  }
  s << "validated at: " << format_rfc3339(r.validation_time) << " (" << r.time_source << ")\n";
  for (const auto& n : r.notes) s << "note: " << n.id << ": " << n.detail << "\n";
  if (r.path) s << "path:\n" << x509::path_report_text(*r.path);
  return s.str();
}

}  // namespace hpki::sign
