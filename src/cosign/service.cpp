#include "cosign/service.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "core/encoding.h"
#include "core/log.h"
#include "core/pem.h"
#include "core/thread.h"
#include "crypto/digest.h"
#include "crypto/hmac.h"
#include "crypto/signer.h"
#include "der/oid.h"
#include "der/writer.h"
#include "ossl/sm2_2p.h"
#include "sign/sign_service.h"
#include "x509/certificate.h"
#include "x509/cms.h"
#include "x509/csr.h"
#include "x509/name.h"
#include "x509/spki.h"

#include "cosign/webauthn.h"

namespace hpki::cosign {

namespace {

using nlohmann::json;
using store::CosignDeviceRecord;
using store::CosignEnrollmentRecord;
using store::SigningRequestRecord;
namespace tp = ossl::sm2_2p;

constexpr std::string_view kCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";  // Crockford
constexpr std::size_t kCodeLength = 8;

// Issue 19: the signed attribute that binds a handwritten signature image to a CMS signature:
// SEQUENCE { hashAlgorithm AlgorithmIdentifier (SM3), digest OCTET STRING } of the PNG.
// OID from a UUID (ITU-T X.667 | ISO/IEC 9834-8, arc 2.25): no registration needed.
const der::Oid& handwriting_oid() {
  static const der::Oid oid =
      der::Oid::from_string("2.25.240905777343342455888160970493046707135").value();
  return oid;
}

Error problem_error(ErrorCode code, std::string_view type, std::string_view detail) {
  return Error{code, std::string(type) + ": " + std::string(detail)};
}

bool expired(TimePoint now, TimePoint at) { return now >= at; }

std::string normalize_code(std::string_view in) {
  std::string out;
  for (char c : in) {
    if (c == '-' || c == ' ') continue;
    char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (u == 'O') u = '0';
    if (u == 'I' || u == 'L') u = '1';
    out.push_back(u);
  }
  return out;
}

Bytes token_hash(std::string_view token) {
  auto h =
      crypto::digest(crypto::HashAlg::kSha256,
                     BytesView(reinterpret_cast<const std::uint8_t*>(token.data()), token.size()));
  return h ? *h : Bytes{};
}

Bytes as_vec(std::string_view s) { return Bytes(s.begin(), s.end()); }

BytesView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string_view request_state(const SigningRequestRecord& r, TimePoint now) {
  if ((r.state == "pending" || r.state == "approved") && expired(now, r.expires_at)) {
    return "expired";
  }
  return r.state;
}

crypto::SignatureAlg algorithm_of(const CosignDeviceRecord& d) {
  return d.algorithm == "sm2" ? crypto::SignatureAlg::kSm2Sm3 : crypto::SignatureAlg::kEcdsaSha256;
}

// e = SM3(Z || M) under the joint key (SPKI) with the GM/T 0009 ID.
// The SM2 public point of an SPKI hpki built (uncompressed: its last 65 bytes).
Result<Bytes> point_of(BytesView spki) {
  if (spki.size() < tp::kPointLen + 3 || spki[spki.size() - tp::kPointLen] != 0x04) {
    return fail(ErrorCode::kInvalidArgument, "not an uncompressed SM2 public key");
  }
  return Bytes(spki.end() - static_cast<std::ptrdiff_t>(tp::kPointLen), spki.end());
}
Result<Bytes> sm2_e(BytesView spki, BytesView m) {
  return tp::message_digest(HPKI_TRY(point_of(spki)), m);
}

// A Signer that hands back a signature made elsewhere: the bytes it is asked to sign must be
// exactly `expected` (the to-be-signed bytes hpki stored and the phone signed), else kInternal.
// With `expected` empty it records what it is asked to sign and fails (a dry run for M).
class HandedSigner final : public crypto::Signer {
 public:
  HandedSigner(crypto::SignatureAlg alg, Bytes spki, Bytes expected, Bytes signature)
      : alg_(alg),
        spki_(std::move(spki)),
        expected_(std::move(expected)),
        signature_(std::move(signature)) {}
  [[nodiscard]] crypto::SignatureAlg algorithm() const override { return alg_; }
  [[nodiscard]] const Bytes& public_key_der() const override { return spki_; }
  [[nodiscard]] Result<Bytes> sign(BytesView message) const override {
    if (expected_.empty()) {
      seen_.assign(message.begin(), message.end());
      return fail(ErrorCode::kBadState, "to-be-signed bytes recorded");
    }
    if (!std::equal(message.begin(), message.end(), expected_.begin(), expected_.end())) {
      return fail(ErrorCode::kInternal, "the bytes to sign changed between approval and signing");
    }
    return signature_;
  }
  [[nodiscard]] const Bytes& seen() const { return seen_; }

 private:
  crypto::SignatureAlg alg_;
  Bytes spki_;
  Bytes expected_;
  Bytes signature_;
  mutable Bytes seen_;
};

// The stored /ByteRange of a prepared PDF: "0 a b c".
std::string byte_range_text(const std::array<std::size_t, 4>& br) {
  return std::to_string(br[0]) + " " + std::to_string(br[1]) + " " + std::to_string(br[2]) + " " +
         std::to_string(br[3]);
}
Result<PreparedPdf> prepared_of(const SigningRequestRecord& r) {
  if (!r.prepared)
    return fail(ErrorCode::kInternal, "approved PDF request without its prepared PDF");
  PreparedPdf p;
  p.pdf = *r.prepared;
  std::size_t pos = 0;
  for (auto& v : p.byte_range) {
    while (pos < r.byte_range.size() && r.byte_range[pos] == ' ') ++pos;
    std::size_t end = pos;
    while (end < r.byte_range.size() && std::isdigit(static_cast<unsigned char>(r.byte_range[end])))
      ++end;
    if (end == pos || end - pos > 19)
      return fail(ErrorCode::kInternal, "stored byte range '" + r.byte_range + "'");
    v = std::stoull(r.byte_range.substr(pos, end - pos));
    pos = end;
  }
  return p;
}

// The time shown in a visible PDF signature (UTC, to the second).
std::string shown_time(TimePoint t) {
  std::string s = format_rfc3339(std::chrono::floor<std::chrono::seconds>(t));
  // 2026-12-07T10:00:00Z -> 2026-12-07 10:00:00 UTC
  if (s.size() == 20 && s[10] == 'T' && s[19] == 'Z')
    s = s.substr(0, 10) + " " + s.substr(11, 8) + " UTC";
  return s;
}

json request_json_for_webhook(const SigningRequestRecord& r, TimePoint now) {
  json j{{"id", r.id}, {"state", request_state(r, now)}};
  if (r.result) j["signature"] = base64_encode(*r.result);
  if (r.signed_at) j["signed_at"] = format_rfc3339(*r.signed_at);
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

}  // namespace

std::string_view problem_type(const Error& e) {
  const std::string& d = e.detail();
  if (d.rfind("cosign/", 0) != 0) return {};
  const auto colon = d.find(':');
  return std::string_view(d).substr(0, colon == std::string::npos ? d.size() : colon);
}

Result<PdfOptions> parse_pdf_options(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(ErrorCode::kInvalidArgument, "pdf: must be an object");
  }
  PdfOptions o;
  for (const auto& [k, v] : j.items()) {
    if (k == "page") {
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > 100000) {
        return fail(ErrorCode::kInvalidArgument, "pdf.page: an integer from 0 to 100000");
      }
      o.page = static_cast<int>(v.get<std::int64_t>());
    } else if (k == "rect") {
      if (!v.is_object()) return fail(ErrorCode::kInvalidArgument, "pdf.rect: {x, y, w, h}");
      PdfRect r;
      for (const auto& [rk, rv] : v.items()) {
        double* dst = rk == "x"   ? &r.x
                      : rk == "y" ? &r.y
                      : rk == "w" ? &r.w
                      : rk == "h" ? &r.h
                                  : nullptr;
        if (dst == nullptr)
          return fail(ErrorCode::kInvalidArgument, "pdf.rect." + rk + ": unknown");
        if (!rv.is_number()) {
          return fail(ErrorCode::kInvalidArgument, "pdf.rect." + rk + ": a number (PDF points)");
        }
        *dst = rv.get<double>();
      }
      if (!v.contains("x") || !v.contains("y") || !v.contains("w") || !v.contains("h")) {
        return fail(ErrorCode::kInvalidArgument, "pdf.rect: needs x, y, w and h");
      }
      if (!(r.w > 0 && r.h > 0 && r.w <= 14400 && r.h <= 14400 && r.x >= 0 && r.y >= 0 &&
            r.x <= 14400 && r.y <= 14400)) {
        return fail(ErrorCode::kInvalidArgument,
                    "pdf.rect: x, y from 0, w, h above 0, all at most 14400 points");
      }
      o.rect = r;
    } else if (k == "anchor") {
      if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 256) {
        return fail(ErrorCode::kInvalidArgument, "pdf.anchor: a text of 1 to 256 bytes");
      }
      o.anchor = v.get<std::string>();
    } else if (k == "reason") {
      if (!v.is_string() || v.get<std::string>().size() > 256) {
        return fail(ErrorCode::kInvalidArgument, "pdf.reason: a text of at most 256 bytes");
      }
      o.reason = v.get<std::string>();
    } else {
      return fail(ErrorCode::kInvalidArgument,
                  "pdf." + k + ": unknown (page, rect, anchor, reason)");
    }
  }
  if (o.page == 0 && !o.anchor) {
    return fail(ErrorCode::kInvalidArgument, "pdf.page: 1-based (0 only with an anchor: any page)");
  }
  return o;
}

std::string pdf_options_json(const PdfOptions& o) {
  json j{{"page", o.page}};
  if (o.rect) j["rect"] = {{"x", o.rect->x}, {"y", o.rect->y}, {"w", o.rect->w}, {"h", o.rect->h}};
  if (o.anchor) j["anchor"] = *o.anchor;
  if (!o.reason.empty()) j["reason"] = o.reason;
  return j.dump();
}

struct Service::Waiter {
  std::string org;
  std::int64_t subject_id = 0;
  std::int64_t after_seq = 0;
  TimePoint deadline{};
  EventsDone done;
  std::uint64_t checked_generation = ~std::uint64_t{0};
  TimePoint checked_at{};
};

Service::Service(Config config, Deps deps) : config_(std::move(config)), d_(deps) {
  waiter_thread_ = named_thread("cosign-events", [this] { waiter_loop(); });
  webhook_thread_ = named_thread("cosign-webhook", [this] { webhook_loop(); });
}

Service::~Service() { stop(); }

void Service::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (waiter_thread_.joinable()) waiter_thread_.join();
  if (webhook_thread_.joinable()) webhook_thread_.join();
  // Streams still open get their (empty) answer so that no connection waits forever.
  std::vector<std::shared_ptr<Waiter>> left;
  {
    std::lock_guard lock(mu_);
    left.swap(waiters_);
  }
  for (auto& w : left) w->done({});
}

std::string Service::qr_url(const Config& c, const std::string& id) {
  return c.base_url + "/m/#/qr/" + id;
}

Result<Bytes> Service::random_bytes(std::size_t n) const {
  Bytes b(n);
  HPKI_TRY(d_.random->fill(b));
  return b;
}

Result<std::string> Service::new_id(std::string_view prefix) const {
  return std::string(prefix) + "-" + hex_encode(HPKI_TRY(random_bytes(12)));
}

Result<Bytes> Service::code_hash(std::string_view code) const {
  return d_.sealer->lookup_hash(normalize_code(code));
}

Result<void> Service::audit(store::Tx& tx, const std::string& actor, std::string action,
                            std::string object, std::string_view outcome, std::string details,
                            std::string org) const {
  if (d_.audit == nullptr) return {};
  audit::Event e{.actor = actor,
                 .action = std::move(action),
                 .object = std::move(object),
                 .outcome = std::string(outcome),
                 .details = std::move(details),
                 .org = std::move(org)};
  HPKI_TRY(d_.audit->append(tx, e));
  return {};
}

// ------------------------------------------------------------------ enrollment (RA side)

Result<NewEnrollment> Service::create_enrollment(const std::string& org, std::int64_t subject_id,
                                                 const std::string& algorithm,
                                                 std::optional<std::chrono::seconds> ttl,
                                                 const std::string& actor) {
  if (algorithm != "sm2" && algorithm != "ecdsa-p256") {
    return fail(ErrorCode::kInvalidArgument, "algorithm must be sm2 or ecdsa-p256");
  }
  const auto life = ttl.value_or(config_.enrollment_ttl);
  if (life < std::chrono::minutes(5) || life > config_.enrollment_ttl_max) {
    return fail(ErrorCode::kInvalidArgument,
                "ttl_seconds must be between 300 and " +
                    std::to_string(config_.enrollment_ttl_max.count()));
  }
  NewEnrollment out;
  Bytes raw = HPKI_TRY(random_bytes(kCodeLength));
  for (auto b : raw) out.code.push_back(kCodeAlphabet[b % kCodeAlphabet.size()]);
  out.url = config_.base_url + "/m/#/enroll/" + out.code;
  CosignEnrollmentRecord& r = out.record;
  r.id = HPKI_TRY(new_id("enr"));
  r.org = org;
  r.subject_id = subject_id;
  r.algorithm = algorithm;
  r.code_hash = HPKI_TRY(code_hash(out.code));
  r.state = "open";
  r.created_by = actor;
  r.expires_at = d_.clock->now() + life;
  r.challenge = HPKI_TRY(random_bytes(32));
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    const auto subject = HPKI_TRY(tx.get_subject(subject_id));
    // Another organization's subject reads as missing (no existence leak).
    if (subject.org != org || subject.kind != store::SubjectKind::kStaff) {
      return fail(ErrorCode::kNotFound, "no staff subject " + std::to_string(subject_id));
    }
    HPKI_TRY(tx.insert_cosign_enrollment(r));
    return audit(tx, actor, "cosign.enrollment.create", r.id, audit::outcome::kSuccess,
                 json{{"subject_id", subject_id}, {"algorithm", algorithm}}.dump(), org);
  }));
  return out;
}

Result<CosignEnrollmentRecord> Service::get_enrollment(const std::string& id) {
  return d_.store->read_value<CosignEnrollmentRecord>(
      [&](store::Tx& tx) { return tx.get_cosign_enrollment(id); });
}

// ------------------------------------------------------------------ enrollment (phone side)

Result<CosignEnrollmentRecord> Service::enrollment_by_code(store::Tx& tx, const std::string& code) {
  const std::string norm = normalize_code(code);
  if (norm.size() != kCodeLength) {
    return fail(problem_error(ErrorCode::kPermissionDenied, problem::kCodeInvalid,
                              "the enrollment code has 8 characters"));
  }
  auto rec = HPKI_TRY(tx.find_cosign_enrollment_by_code(HPKI_TRY(code_hash(norm))));
  if (!rec) {
    return fail(problem_error(ErrorCode::kPermissionDenied, problem::kCodeInvalid,
                              "unknown enrollment code"));
  }
  if (rec->state == "locked") {
    return fail(problem_error(ErrorCode::kPermissionDenied, problem::kEnrollmentLocked,
                              "too many failed attempts; ask for a new enrollment"));
  }
  if (rec->state == "completed" || rec->state == "cancelled") {
    return fail(problem_error(ErrorCode::kPermissionDenied, problem::kCodeInvalid,
                              "this enrollment code was used already"));
  }
  if (expired(d_.clock->now(), rec->expires_at)) {
    return fail(problem_error(ErrorCode::kPermissionDenied, problem::kEnrollmentExpired,
                              "the enrollment code expired"));
  }
  return *rec;
}

Result<EnrollmentStart> Service::enroll_start(const std::string& code, const std::string& peer) {
  EnrollmentStart out;
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    auto r = HPKI_TRY(enrollment_by_code(tx, code));
    const auto subject = HPKI_TRY(tx.get_subject(r.subject_id));
    if (r.state == "open") {
      r.state = "started";
      HPKI_TRY(tx.update_cosign_enrollment(r));
      HPKI_TRY(audit(tx, "enrollment:" + r.id, "cosign.enrollment.start", r.id,
                     audit::outcome::kSuccess, json{{"peer", peer}}.dump(), r.org));
    }
    out.record = r;
    out.subject_name = subject.name;
    out.organization = subject.org;
    out.department = subject.dept;
    return {};
  }));
  out.rp_id = config_.rp_id;
  out.rp_name = "hpki";
  return out;
}

// A failed protocol step of an enrollment: counted; the enrollment locks after
// max_code_attempts of them.
namespace {
Result<void> count_failure(store::Store& store, const std::string& id, int max_attempts) {
  return store.transact([&](store::Tx& tx) -> Result<void> {
    auto r = HPKI_TRY(tx.get_cosign_enrollment(id));
    ++r.attempts;
    if (r.attempts >= max_attempts) r.state = "locked";
    return tx.update_cosign_enrollment(r);
  });
}
}  // namespace

Result<KeygenAnswer> Service::enroll_keygen_sm2(const std::string& code, BytesView p1,
                                                const Proof& proof, BytesView q1) {
  const auto r = HPKI_TRY(d_.store->read_value<CosignEnrollmentRecord>(
      [&](store::Tx& tx) { return enrollment_by_code(tx, code); }));
  if (r.algorithm != "sm2") {
    return fail(problem_error(ErrorCode::kInvalidArgument, problem::kEnrollmentState,
                              "this enrollment is for an ecdsa-p256 key"));
  }
  if (r.state != "started") {
    return fail(problem_error(ErrorCode::kConflict, problem::kEnrollmentState,
                              "start the enrollment first"));
  }
  // K2 (mobile.md §1.7(2), (7)): P1 on the curve, its proof of knowledge bound to this
  // enrollment; Q1 on the curve.
  auto key = tp::keygen_server(p1, tp::Proof{proof.r, proof.z}, r.id);
  if (!key) {
    HPKI_TRY(count_failure(*d_.store, r.id, config_.max_code_attempts));
    const bool point = key.error().code() != ErrorCode::kBadSignature;
    return fail(problem_error(ErrorCode::kInvalidArgument,
                              point ? problem::kInvalidPoint : problem::kInvalidProof,
                              key.error().detail()));
  }
  if (auto ok = tp::validate_point(q1); !ok) {
    HPKI_TRY(count_failure(*d_.store, r.id, config_.max_code_attempts));
    return fail(problem_error(ErrorCode::kInvalidArgument, problem::kInvalidPoint,
                              "q1: " + ok.error().detail()));
  }
  KeygenAnswer out;
  out.p = key->p;
  out.p2 = key->p2;
  out.proof = Proof{key->proof.r, key->proof.z};
  const Bytes spki = HPKI_TRY(tp::spki_from_point(key->p));
  const auto subject = HPKI_TRY(d_.ca->subject_data(r.subject_id));
  const auto name = HPKI_TRY(x509::build_name({{"C", subject.country},
                                               {"O", subject.organization},
                                               {"OU", subject.department},
                                               {"CN", subject.common_name}}));
  out.csr_info = HPKI_TRY(x509::build_csr_info(name, spki));
  // S2 over the CSR (mobile.md §1.7(7), (f)): the certificate needs a jointly signed request.
  const Bytes e = HPKI_TRY(sm2_e(spki, out.csr_info));
  auto part = HPKI_TRY(tp::sign_server(key->d2, key->d2_inv, q1, e));
  out.r = part.r;
  out.s1 = part.s1;
  // The share and its inverse, sealed together (open_share).
  SecretBytes share(key->d2.size() + key->d2_inv.size());
  std::copy_n(key->d2.data(), key->d2.size(), share.data());
  std::copy_n(key->d2_inv.data(), key->d2_inv.size(), share.data() + key->d2.size());
  const Bytes sealed = HPKI_TRY(d_.sealer->encrypt(share.as_string_view()));
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    auto cur = HPKI_TRY(tx.get_cosign_enrollment(r.id));
    if (cur.state != "started") {
      return fail(problem_error(ErrorCode::kConflict, problem::kEnrollmentState,
                                "the enrollment changed meanwhile"));
    }
    cur.share = sealed;
    cur.public_key = spki;
    cur.csr_info = out.csr_info;
    cur.sign_r = out.r;
    HPKI_TRY(tx.update_cosign_enrollment(cur));
    return audit(tx, "enrollment:" + r.id, "cosign.enrollment.keygen", r.id,
                 audit::outcome::kSuccess, json{{"algorithm", "sm2"}}.dump(), r.org);
  }));
  return out;
}

Result<KeygenAnswer> Service::enroll_keygen_p256(const std::string& code, BytesView public_key) {
  const auto r = HPKI_TRY(d_.store->read_value<CosignEnrollmentRecord>(
      [&](store::Tx& tx) { return enrollment_by_code(tx, code); }));
  if (r.algorithm != "ecdsa-p256") {
    return fail(problem_error(ErrorCode::kInvalidArgument, problem::kEnrollmentState,
                              "this enrollment is for an sm2 key"));
  }
  if (r.state != "started") {
    return fail(problem_error(ErrorCode::kConflict, problem::kEnrollmentState,
                              "start the enrollment first"));
  }
  const Bytes spki(public_key.begin(), public_key.end());
  auto spec = x509::spki_key_spec(spki);
  if (!spec || spec->type != crypto::KeyType::kEcP256) {
    HPKI_TRY(count_failure(*d_.store, r.id, config_.max_code_attempts));
    return fail(problem_error(ErrorCode::kInvalidArgument, problem::kInvalidPoint,
                              "public_key must be a P-256 SubjectPublicKeyInfo"));
  }
  KeygenAnswer out;
  const auto subject = HPKI_TRY(d_.ca->subject_data(r.subject_id));
  const auto name = HPKI_TRY(x509::build_name({{"C", subject.country},
                                               {"O", subject.organization},
                                               {"OU", subject.department},
                                               {"CN", subject.common_name}}));
  out.csr_info = HPKI_TRY(x509::build_csr_info(name, spki));
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    auto cur = HPKI_TRY(tx.get_cosign_enrollment(r.id));
    if (cur.state != "started") {
      return fail(problem_error(ErrorCode::kConflict, problem::kEnrollmentState,
                                "the enrollment changed meanwhile"));
    }
    cur.public_key = spki;
    cur.csr_info = out.csr_info;
    HPKI_TRY(tx.update_cosign_enrollment(cur));
    return audit(tx, "enrollment:" + r.id, "cosign.enrollment.keygen", r.id,
                 audit::outcome::kSuccess, json{{"algorithm", "ecdsa-p256"}}.dump(), r.org);
  }));
  return out;
}

Result<Enrolled> Service::enroll_finish(const EnrollFinish& f) {
  const auto r = HPKI_TRY(d_.store->read_value<CosignEnrollmentRecord>(
      [&](store::Tx& tx) { return enrollment_by_code(tx, f.code); }));
  if (r.state != "started" || !r.public_key || !r.csr_info) {
    return fail(
        problem_error(ErrorCode::kConflict, problem::kEnrollmentState, "generate the key first"));
  }
  const bool sm2 = r.algorithm == "sm2";
  const auto alg = sm2 ? crypto::SignatureAlg::kSm2Sm3 : crypto::SignatureAlg::kEcdsaSha256;
  Bytes signature;
  if (sm2) {
    if (!r.sign_r) return fail(ErrorCode::kInternal, "enrollment without r");
    signature = HPKI_TRY(tp::signature_der(*r.sign_r, f.s));
  } else {
    signature = f.signature;
  }
  // The jointly signed request (mobile.md §1.7(f)): its proof of possession is what the CA's
  // pipeline checks again.
  const Bytes csr = HPKI_TRY(x509::assemble_csr(*r.csr_info, alg, signature));
  if (auto ok = crypto::verify_signature(*r.public_key, alg, *r.csr_info, signature); !ok) {
    HPKI_TRY(count_failure(*d_.store, r.id, config_.max_code_attempts));
    return fail(problem_error(ErrorCode::kBadSignature, problem::kSignatureInvalid,
                              "the certification request's signature does not verify"));
  }
  // The passkey (optional: the PIN path works without one).
  std::optional<webauthn::Credential> cred;
  if (f.webauthn) {
    auto reg = webauthn::verify_registration({.rp_id = config_.rp_id, .origin = config_.base_url},
                                             r.challenge,
                                             {.attestation_object = f.webauthn->attestation_object,
                                              .client_data_json = f.webauthn->client_data_json,
                                              .credential_id = f.webauthn->credential_id});
    if (!reg) {
      HPKI_TRY(count_failure(*d_.store, r.id, config_.max_code_attempts));
      return fail(problem_error(ErrorCode::kPermissionDenied, problem::kApprovalInvalid,
                                reg.error().to_string()));
    }
    cred = *reg;
  }
  ca::IssueRequest ir;
  ir.profile = sm2 ? config_.sm2_profile : config_.ecdsa_profile;
  ir.csr = csr;
  ir.subject_id = r.subject_id;
  ir.requester = {.actor = r.created_by, .role = "ra_officer"};
  const auto issued = HPKI_TRY(d_.ca->issue(ir));
  Enrolled out;
  out.certificate = issued.der;
  out.token = "hpkid_" + base64url_encode(HPKI_TRY(random_bytes(32)));
  CosignDeviceRecord& d = out.device;
  d.id = HPKI_TRY(new_id("dev"));
  d.org = r.org;
  d.subject_id = r.subject_id;
  d.algorithm = r.algorithm;
  d.status = "active";
  d.token_hash = token_hash(out.token);
  d.public_key = *r.public_key;
  d.share = r.share;
  d.ca_id = issued.ca_id;
  d.serial = issued.serial.hex();
  d.name = f.device_name.substr(0, 128);
  d.user_agent = f.user_agent.substr(0, 512);
  if (cred) {
    d.credential_id = cred->credential_id;
    d.credential_key = cred->public_key_spki;
    d.sign_count = cred->sign_count;
    d.credential_flags = cred->flags.bits;
  }
  d.handwriting = f.handwriting_png;
  d.strokes = f.strokes;
  std::vector<CosignDeviceRecord> replaced;
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    replaced.clear();
    auto cur = HPKI_TRY(tx.get_cosign_enrollment(r.id));
    if (cur.state != "started") {
      return fail(problem_error(ErrorCode::kConflict, problem::kEnrollmentState,
                                "the enrollment changed meanwhile"));
    }
    cur.state = "completed";
    cur.device_id = d.id;
    cur.share.reset();  // the device holds it now
    HPKI_TRY(tx.update_cosign_enrollment(cur));
    if (config_.reenroll_revokes) {
      // A lost or changed phone: the doctor's older devices stop working (hpki's share is
      // destroyed); their certificates are revoked below, after this commit.
      for (auto old : HPKI_TRY(tx.list_cosign_devices(d.org, d.subject_id))) {
        if (old.status == "revoked") continue;
        old.status = "revoked";
        old.share.reset();
        HPKI_TRY(tx.update_cosign_device(old));
        replaced.push_back(old);
        HPKI_TRY(audit(tx, "enrollment:" + r.id, "cosign.device.revoke", old.id,
                       audit::outcome::kSuccess, json{{"reason", "re-enrollment"}}.dump(), d.org));
      }
    }
    HPKI_TRY(tx.insert_cosign_device(d));
    return audit(tx, "enrollment:" + r.id, "cosign.enroll", d.id, audit::outcome::kSuccess,
                 json{{"subject_id", d.subject_id},
                      {"algorithm", d.algorithm},
                      {"certificate", d.ca_id + "/" + d.serial},
                      {"passkey", cred.has_value()},
                      {"user_agent", d.user_agent}}
                     .dump(),
                 d.org);
  }));
  for (const auto& old : replaced) {
    auto serial = Serial::from_canonical(old.serial);
    if (!serial) continue;
    auto revoked = d_.ca->revoke(*serial, x509::RevocationReason::kSuperseded, std::nullopt,
                                 {.actor = "enrollment:" + r.id, .role = "ra_officer"});
    if (!revoked && revoked.error().code() != ErrorCode::kBadState) {
      log::warn("re-enrollment {}: revoking the old certificate {}: {}", r.id, old.serial,
                revoked.error().to_string());
    }
  }
  return out;
}

// ------------------------------------------------------------------ devices

Result<CosignDeviceRecord> Service::authenticate(std::string_view token) {
  if (token.rfind("hpkid_", 0) != 0 || token.size() > 128) {
    return fail(ErrorCode::kPermissionDenied, "not a device token");
  }
  auto d = HPKI_TRY(d_.store->read_value<std::optional<CosignDeviceRecord>>(
      [&](store::Tx& tx) { return tx.find_cosign_device_by_token(token_hash(token)); }));
  if (!d) return fail(ErrorCode::kPermissionDenied, "unknown device token");
  if (d->status == "revoked") {
    return fail(problem_error(ErrorCode::kPermissionDenied, problem::kDeviceRevoked,
                              "this device was revoked; enroll again"));
  }
  return *d;
}

Result<store::CertificateRecord> Service::device_certificate(const CosignDeviceRecord& d) {
  const Serial serial = HPKI_TRY(Serial::from_canonical(d.serial));
  return d_.store->read_value<store::CertificateRecord>(
      [&](store::Tx& tx) { return tx.get_certificate(d.ca_id, serial); });
}

Result<CosignDeviceRecord> Service::get_device(const std::string& id) {
  return d_.store->read_value<CosignDeviceRecord>(
      [&](store::Tx& tx) { return tx.get_cosign_device(id); });
}

Result<CosignDeviceRecord> Service::set_device_status(const std::string& id,
                                                      const std::string& status,
                                                      const std::string& actor) {
  if (status != "active" && status != "revoked") {
    return fail(ErrorCode::kInvalidArgument, "status must be active or revoked");
  }
  return d_.store->transact_value<CosignDeviceRecord>(
      [&](store::Tx& tx) -> Result<CosignDeviceRecord> {
        auto d = HPKI_TRY(tx.get_cosign_device(id));
        if (d.status == "revoked") {
          return fail(problem_error(ErrorCode::kConflict, problem::kDeviceRevoked,
                                    "a revoked device stays revoked"));
        }
        d.status = status;
        if (status == "active") d.pin_failures = 0;
        if (status == "revoked") d.share.reset();  // hpki's share is destroyed
        HPKI_TRY(tx.update_cosign_device(d));
        HPKI_TRY(audit(tx, actor,
                       status == "revoked" ? "cosign.device.revoke" : "cosign.device.unlock", d.id,
                       audit::outcome::kSuccess, "{}", d.org));
        return d;
      });
}

Result<CosignDeviceRecord> Service::set_handwriting(const CosignDeviceRecord& dev, BytesView png,
                                                    const std::string& strokes) {
  if (png.size() < 8 || png.size() > 512 * 1024 ||
      !std::equal(
          png.begin(), png.begin() + 8,
          std::array<std::uint8_t, 8>{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a}.begin())) {
    return fail(ErrorCode::kInvalidArgument, "handwriting must be a PNG image of at most 512 KiB");
  }
  if (strokes.size() > 256 * 1024 || (!strokes.empty() && !json::accept(strokes))) {
    return fail(ErrorCode::kInvalidArgument, "strokes must be JSON of at most 256 KiB");
  }
  return d_.store->transact_value<CosignDeviceRecord>(
      [&](store::Tx& tx) -> Result<CosignDeviceRecord> {
        auto d = HPKI_TRY(tx.get_cosign_device(dev.id));
        d.handwriting = Bytes(png.begin(), png.end());
        d.strokes = strokes;
        HPKI_TRY(tx.update_cosign_device(d));
        HPKI_TRY(audit(tx, "device:" + d.id, "cosign.handwriting", d.id, audit::outcome::kSuccess,
                       "{}", d.org));
        return d;
      });
}

Result<Service::Share> Service::open_share(const CosignDeviceRecord& d) const {
  if (!d.share) return fail(ErrorCode::kBadState, "this device has no server share");
  std::string s = HPKI_TRY(d_.sealer->decrypt(*d.share));
  SecretBytes plain{std::string_view(s)};
  std::fill(s.begin(), s.end(), '\0');
  Share out;
  if (plain.size() == 2 * tp::kScalarLen) {
    out.d2 = SecretBytes(plain.view().first(tp::kScalarLen));
    out.d2_inv = SecretBytes(plain.view().subspan(tp::kScalarLen));
  } else if (plain.size() == tp::kScalarLen) {
    out.d2_inv = HPKI_TRY(tp::share_inverse(plain));
    out.d2 = std::move(plain);
  } else {
    return fail(ErrorCode::kInternal, "sealed server share: " + std::to_string(plain.size()) +
                                          " bytes, expected 32 or 64");
  }
  return out;
}

// ------------------------------------------------------------------ signing requests

Result<SigningRequestRecord> Service::create_request(const std::string& org, const NewRequest& n,
                                                     const std::string& actor,
                                                     std::optional<NewQr>* qr) {
  if (n.format != "raw" && n.format != "cms" && n.format != "cms-detached" && n.format != "pdf") {
    return fail(ErrorCode::kInvalidArgument, "format must be raw, cms, cms-detached or pdf");
  }
  if (n.pdf && n.format != "pdf") {
    return fail(ErrorCode::kInvalidArgument, "pdf options need format pdf");
  }
  if (n.format == "pdf" && !d_.pdf) {
    return fail(ErrorCode::kUnavailable, "no PDF signing on this node");
  }
  if (n.timestamp && n.format == "raw") {
    return fail(ErrorCode::kInvalidArgument, "a timestamp needs a CMS signature");
  }
  if (n.timestamp && d_.tsa == nullptr) {
    return fail(ErrorCode::kUnavailable, "no TSA on this node");
  }
  if (n.document.empty() || n.document.size() > config_.max_document) {
    return fail(ErrorCode::kInvalidArgument,
                "document must have 1 to " + std::to_string(config_.max_document) + " bytes");
  }
  if (!n.callback_url.empty() && n.callback_url.rfind("https://", 0) != 0 &&
      n.callback_url.rfind("http://", 0) != 0) {
    return fail(ErrorCode::kInvalidArgument, "callback_url must be an http(s) URL");
  }
  if (n.callback_url.size() > 2048) {
    return fail(ErrorCode::kInvalidArgument, "callback_url longer than 2048 characters");
  }
  if (!n.callback_url.empty() && !config_.callback_prefixes.empty() &&
      std::none_of(config_.callback_prefixes.begin(), config_.callback_prefixes.end(),
                   [&](const std::string& p) { return n.callback_url.starts_with(p); })) {
    return fail(ErrorCode::kPolicyRefused,
                "callback_url is not under an allowed prefix ([cosign] callback_prefixes)");
  }
  const auto life = n.expires_in.value_or(config_.request_ttl);
  if (life < std::chrono::seconds(30) || life > config_.request_ttl_max) {
    return fail(ErrorCode::kInvalidArgument, "expires_in must be between 30 and " +
                                                 std::to_string(config_.request_ttl_max.count()) +
                                                 " seconds");
  }
  if (n.signer == 0 && !n.qr) {
    return fail(ErrorCode::kInvalidArgument, "signer is required (or qr: true)");
  }
  std::string pdf_options;
  if (n.format == "pdf") {
    // Checked now, so that the HIS learns at once that hpki cannot sign the document; the
    // field itself is added at the approval (docs/cosign.md §3 "Format pdf").
    const PdfOptions o = n.pdf.value_or(PdfOptions{});
    pdf_options = pdf_options_json(o);
    // The same rules for every caller of the service.
    if (auto checked = parse_pdf_options(pdf_options); !checked) return fail(checked.error());
    if (auto ok = d_.pdf.check(n.document, o); !ok) {
      return fail(problem_error(ok.error().code() == ErrorCode::kTooLarge
                                    ? ErrorCode::kTooLarge
                                    : ErrorCode::kInvalidArgument,
                                problem::kDocumentInvalid, ok.error().detail()));
    }
  }
  SigningRequestRecord r;
  r.id = HPKI_TRY(new_id("sr"));
  r.org = org;
  r.subject_id = n.signer;
  r.created_by = actor;
  r.state = "pending";
  r.format = n.format;
  r.timestamp = n.timestamp;
  r.document = n.document;
  r.summary = n.summary;
  r.pdf_options = pdf_options;
  r.callback_url = n.callback_url;
  r.nonce = HPKI_TRY(random_bytes(16));
  r.expires_at = std::chrono::floor<std::chrono::seconds>(d_.clock->now() + life);
  std::optional<NewQr> q;
  if (n.qr) {
    q = HPKI_TRY(create_qr("sign", "", ""));
    q->record.request_id = r.id;
    q->record.org = org;
    q->record.expires_at = r.expires_at;
  }
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    if (n.signer != 0) {
      const auto subject = HPKI_TRY(tx.get_subject(n.signer));
      if (subject.org != org || subject.kind != store::SubjectKind::kStaff) {
        return fail(ErrorCode::kNotFound, "no staff subject " + std::to_string(n.signer));
      }
    }
    r.seq = HPKI_TRY(tx.next_counter("cosign.event"));
    HPKI_TRY(tx.insert_signing_request(r));
    if (q) HPKI_TRY(tx.update_qr_session(q->record));
    return audit(tx, actor, "cosign.request.create", r.id, audit::outcome::kSuccess,
                 json{{"signer", n.signer},
                      {"format", n.format},
                      {"bytes", n.document.size()},
                      {"document_sha256",
                       hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, n.document)))}}
                     .dump(),
                 org);
  }));
  if (qr != nullptr) *qr = std::move(q);
  changed();
  if (n.signer != 0) notify(org, n.signer);
  return r;
}

Result<SigningRequestRecord> Service::get_request(const std::string& id) {
  auto r = HPKI_TRY(d_.store->read_value<SigningRequestRecord>(
      [&](store::Tx& tx) { return tx.get_signing_request(id); }));
  r.state = std::string(request_state(r, d_.clock->now()));
  return r;
}

Result<Bytes> Service::signer_certificate(const SigningRequestRecord& r) {
  if (r.device_id.empty()) return fail(ErrorCode::kNotFound, "not signed");
  const auto d = HPKI_TRY(get_device(r.device_id));
  const auto cert = HPKI_TRY(device_certificate(d));
  if (!cert.der) return fail(ErrorCode::kNotFound, "the certificate was never delivered");
  return *cert.der;
}

Result<std::string> Service::webhook_secret(const std::string& org) const {
  const Bytes k = HPKI_TRY(d_.sealer->lookup_hash("webhook-secret:" + org));
  return hex_encode(k);
}

Result<std::vector<store::WebhookDeliveryRecord>> Service::deliveries(const std::string& id) {
  return d_.store->read_value<std::vector<store::WebhookDeliveryRecord>>(
      [&](store::Tx& tx) { return tx.list_webhook_deliveries(id); });
}

Result<Bytes> Service::request_challenge(const SigningRequestRecord& r) {
  // docs/cosign.md §3: SHA-256("hpki-cosign-approve-v1" ‖ id ‖ document_sha256 ‖ expires_at ‖
  // nonce), the text fields as their JSON forms (hex, RFC 3339).
  const std::string doc =
      hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, r.document)));
  std::string in = "hpki-cosign-approve-v1";
  in += r.id;
  in += doc;
  in += format_rfc3339(r.expires_at);
  in += hex_encode(r.nonce);
  return crypto::digest(crypto::HashAlg::kSha256, as_bytes(in));
}

Result<std::vector<SigningRequestRecord>> Service::pending(const CosignDeviceRecord& d) {
  static const std::vector<std::string> kPending{"pending"};
  auto list = HPKI_TRY(d_.store->read_value<std::vector<SigningRequestRecord>>([&](store::Tx& tx) {
    return tx.list_signing_requests(d.org, d.subject_id, kPending, 0, 500, true);
  }));
  const auto now = d_.clock->now();
  std::erase_if(list, [&](const SigningRequestRecord& r) { return expired(now, r.expires_at); });
  return list;
}

Result<SigningRequestRecord> Service::request_for(const CosignDeviceRecord& d,
                                                  const std::string& id) {
  auto r = HPKI_TRY(get_request(id));
  if (r.org != d.org || r.subject_id != d.subject_id) {
    return fail(ErrorCode::kNotFound, "no signing request " + id);
  }
  return r;
}

Result<SigningRequestRecord> Service::reject(const CosignDeviceRecord& d, const std::string& id,
                                             const std::string& reason) {
  auto out = HPKI_TRY(d_.store->transact_value<SigningRequestRecord>(
      [&](store::Tx& tx) -> Result<SigningRequestRecord> {
        auto r = HPKI_TRY(tx.get_signing_request(id));
        if (r.org != d.org || r.subject_id != d.subject_id) {
          return fail(ErrorCode::kNotFound, "no signing request " + id);
        }
        if (request_state(r, d_.clock->now()) != "pending") {
          return fail(
              problem_error(ErrorCode::kConflict, problem::kNotPending,
                            "the request is " + std::string(request_state(r, d_.clock->now()))));
        }
        r.state = "rejected";
        r.device_id = d.id;
        r.error = reason.substr(0, 512);
        r.seq = HPKI_TRY(tx.next_counter("cosign.event"));
        HPKI_TRY(tx.update_signing_request(r));
        HPKI_TRY(audit(tx, "device:" + d.id, "cosign.request.reject", r.id,
                       audit::outcome::kSuccess, json{{"reason", r.error}}.dump(), r.org));
        return r;
      }));
  changed();
  deliver(out.id);
  return out;
}

Result<void> Service::check_approval(store::Tx& tx, CosignDeviceRecord& d, BytesView challenge,
                                     const Approval& a) {
  if (d.status == "locked") {
    return fail(problem_error(ErrorCode::kPermissionDenied, problem::kDeviceLocked,
                              "too many wrong PINs; ask the RA to unlock the device"));
  }
  if (a.method == "pin") {
    // The PIN-hardened share is the proof (mobile.md §1.7(8)): a wrong PIN makes an invalid
    // final signature. Each PIN approval counts as a failed attempt until its signature verifies
    // (sign_finish resets the count): a phone that learns from r and s1 whether its PIN guess
    // was right, without ever finishing, still runs into the limit. P-256 keys have no share:
    // passkey only.
    if (d.algorithm != "sm2") {
      return fail(problem_error(ErrorCode::kPermissionDenied, problem::kApprovalInvalid,
                                "this device approves with its passkey"));
    }
    if (d.pin_failures >= config_.max_pin_failures) {
      return fail(problem_error(ErrorCode::kPermissionDenied, problem::kDeviceLocked,
                                "too many wrong PINs; ask the RA to unlock the device"));
    }
    ++d.pin_failures;
    HPKI_TRY(tx.update_cosign_device(d));
    return {};
  }
  if (a.method != "webauthn") {
    return fail(ErrorCode::kInvalidArgument, "approval method must be webauthn or pin");
  }
  if (!d.credential_id || !d.credential_key) {
    return fail(problem_error(ErrorCode::kPermissionDenied, problem::kApprovalInvalid,
                              "this device has no passkey"));
  }
  if (a.credential_id != *d.credential_id) {
    return fail(problem_error(ErrorCode::kPermissionDenied, problem::kApprovalInvalid,
                              "not this device's passkey"));
  }
  webauthn::Credential stored;
  stored.credential_id = *d.credential_id;
  stored.public_key_spki = *d.credential_key;
  stored.sign_count = static_cast<std::uint32_t>(d.sign_count);
  stored.flags.bits = static_cast<std::uint8_t>(d.credential_flags);
  auto verdict = webauthn::verify_assertion({.rp_id = config_.rp_id, .origin = config_.base_url},
                                            challenge, stored,
                                            {.credential_id = a.credential_id,
                                             .authenticator_data = a.authenticator_data,
                                             .client_data_json = a.client_data_json,
                                             .signature = a.signature});
  if (!verdict) {
    return fail(problem_error(ErrorCode::kPermissionDenied, problem::kApprovalInvalid,
                              verdict.error().to_string()));
  }
  d.sign_count = verdict->sign_count;
  HPKI_TRY(tx.update_cosign_device(d));
  return {};
}

Result<std::vector<SignStartAnswer>> Service::sign_start(const CosignDeviceRecord& dev,
                                                         const std::vector<SignStartItem>& items,
                                                         const Approval& approval) {
  if (items.empty() || items.size() > config_.max_batch) {
    return fail(ErrorCode::kInvalidArgument,
                "requests must list 1 to " + std::to_string(config_.max_batch) + " requests");
  }
  const bool sm2 = dev.algorithm == "sm2";
  for (const auto& it : items) {
    if (sm2) {
      if (auto ok = tp::validate_point(it.q1); !ok) {
        return fail(problem_error(ErrorCode::kInvalidArgument, problem::kInvalidPoint,
                                  "q1 of " + it.id + ": " + ok.error().detail()));
      }
    }
    for (const auto& other : items) {
      if (&other != &it && other.id == it.id) {
        return fail(ErrorCode::kInvalidArgument, "request " + it.id + " listed twice");
      }
      if (sm2 && &other != &it && other.q1 == it.q1) {
        return fail(problem_error(ErrorCode::kInvalidArgument, problem::kInvalidPoint,
                                  "every request needs its own fresh q1"));
      }
    }
  }
  const Share share = sm2 ? HPKI_TRY(open_share(dev)) : Share{};
  const Bytes spki = dev.public_key;
  std::vector<SignStartAnswer> out;
  std::vector<SigningRequestRecord> approved;
  std::vector<std::pair<std::string, Error>> failed;  // format pdf: could not be prepared
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    out.clear();
    approved.clear();
    failed.clear();
    auto d = HPKI_TRY(tx.get_cosign_device(dev.id));
    if (d.status != "active") {
      return fail(
          problem_error(ErrorCode::kPermissionDenied,
                        d.status == "locked" ? problem::kDeviceLocked : problem::kDeviceRevoked,
                        "this device is " + d.status));
    }
    // The challenge covers every request in the order sent (a batch: one confirmation).
    std::string batch = "hpki-cosign-batch-v1";
    Bytes single;
    const auto now = d_.clock->now();
    for (const auto& it : items) {
      auto r = HPKI_TRY(tx.get_signing_request(it.id));
      if (r.org != d.org || r.subject_id != d.subject_id) {
        return fail(ErrorCode::kNotFound, "no signing request " + it.id);
      }
      const auto state = request_state(r, now);
      if (state == "expired") {
        return fail(problem_error(ErrorCode::kConflict, problem::kRequestExpired,
                                  "request " + r.id + " expired"));
      }
      if (state != "pending") {
        return fail(problem_error(ErrorCode::kConflict, problem::kNotPending,
                                  "request " + r.id + " is " + std::string(state)));
      }
      single = HPKI_TRY(request_challenge(r));
      batch.append(single.begin(), single.end());
      approved.push_back(std::move(r));
    }
    const Bytes challenge =
        items.size() == 1 ? single
                          : HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, as_bytes(batch)));
    HPKI_TRY(check_approval(tx, d, challenge, approval));
    for (std::size_t i = 0; i < items.size(); ++i) {
      SigningRequestRecord& r = approved[i];
      r.state = "approved";
      r.device_id = d.id;
      r.approval = approval.method;
      r.signing_time = TimePoint(std::chrono::floor<std::chrono::seconds>(now));
      // The approved request must be finished soon; an abandoned one expires.
      const TimePoint finish_by =
          std::chrono::floor<std::chrono::seconds>(now + config_.approval_ttl);
      r.expires_at = std::min(r.expires_at, finish_by);
      r.handwriting = d.handwriting;
      if (r.format == "pdf") {
        // Format pdf: the signature field is added now, once per approval (the device's
        // handwriting, the doctor and the time are known only now); the prepared bytes and
        // their ByteRange are stored with M, which commits to their digest, and the final CMS
        // goes into exactly these bytes (build_output).
        auto prepared = prepare_pdf(tx, r, d);
        if (!prepared) {
          // A document hpki cannot sign this way (e.g. the anchor text is not in it): the
          // request fails for good, the HIS learns why; the others of a batch go on.
          r.state = "failed";
          r.error = prepared.error().detail().substr(0, 512);
          r.seq = HPKI_TRY(tx.next_counter("cosign.event"));
          HPKI_TRY(tx.update_signing_request(r));
          HPKI_TRY(audit(tx, "device:" + d.id, "cosign.request.approve", r.id,
                         audit::outcome::kFailure, json{{"reason", r.error}}.dump(), r.org));
          failed.push_back({r.id, prepared.error()});
          continue;
        }
        r.byte_range = byte_range_text(prepared->byte_range);
        r.prepared = std::move(prepared->pdf);
      }
      Bytes m;
      HPKI_TRY(build_output(r, d, {}, &m));
      r.to_be_signed = m;
      SignStartAnswer a{.id = r.id, .m = m, .r = {}, .s1 = {}};
      if (sm2) {
        // S2 (mobile.md §1.7(3)): e from the bytes hpki stores, for an approved request only;
        // fresh w2 every time (a new approval = a new S2; nothing is resumed).
        const Bytes e = HPKI_TRY(sm2_e(spki, m));
        auto part = HPKI_TRY(tp::sign_server(share.d2, share.d2_inv, items[i].q1, e));
        a.r = part.r;
        a.s1 = part.s1;
        r.sign_r = part.r;
      }
      r.seq = HPKI_TRY(tx.next_counter("cosign.event"));
      HPKI_TRY(tx.update_signing_request(r));
      HPKI_TRY(audit(tx, "device:" + d.id, "cosign.request.approve", r.id, audit::outcome::kSuccess,
                     json{{"method", approval.method}, {"batch", items.size()}}.dump(), r.org));
      out.push_back(std::move(a));
    }
    return {};
  }));
  changed();
  for (const auto& f : failed) deliver(f.first);
  if (out.empty() && !failed.empty()) {
    return fail(problem_error(ErrorCode::kInvalidArgument, problem::kDocumentInvalid,
                              failed.front().second.detail()));
  }
  return out;
}

Result<PreparedPdf> Service::prepare_pdf(store::Tx& tx, const SigningRequestRecord& r,
                                         const CosignDeviceRecord& d) {
  if (!d_.pdf) return fail(ErrorCode::kUnavailable, "no PDF signing on this node");
  PdfField f;
  f.options = HPKI_TRY(parse_pdf_options(r.pdf_options.empty() ? "{}" : r.pdf_options));
  f.name = HPKI_TRY(tx.get_subject(d.subject_id)).name;
  f.signing_time = r.signing_time.value_or(d_.clock->now());
  f.png = d.handwriting;
  f.text_lines = {f.name, shown_time(f.signing_time)};
  return d_.pdf.prepare(r.document, f);
}

Result<Bytes> Service::build_output(const SigningRequestRecord& r, const CosignDeviceRecord& d,
                                    BytesView signature, Bytes* m_out) {
  const auto alg = algorithm_of(d);
  const auto rec = HPKI_TRY(device_certificate(d));
  if (!rec.der) return fail(ErrorCode::kNotFound, "the device's certificate was never delivered");
  const auto cert = HPKI_TRY(x509::Certificate::parse(*rec.der));
  if (r.format == "raw") {
    if (m_out != nullptr) *m_out = r.document;
    return Bytes(signature.begin(), signature.end());
  }
  std::vector<x509::CertificatePtr> chain;
  for (const auto& der : HPKI_TRY(d_.ca->chain_of(d.ca_id))) {
    auto c = HPKI_TRY(x509::Certificate::parse(der));
    if (c->subject().der != c->issuer().der) chain.push_back(std::move(c));  // not the root
  }
  sign::SignRequest req;
  req.mode = r.format == "cms-detached" ? sign::Mode::kCmsDetached : sign::Mode::kCmsAttached;
  req.signing_time = r.signing_time.value_or(TimePoint{});
  std::optional<PreparedPdf> prepared;
  if (r.format == "pdf") {
    // PAdES (ETSI EN 319 142-1 5.2.2): a detached CMS over the ByteRange of the prepared PDF,
    // no signingTime attribute (the dictionary's /M holds the claimed time).
    if (!d_.pdf) return fail(ErrorCode::kUnavailable, "no PDF signing on this node");
    prepared = HPKI_TRY(prepared_of(r));
    req.mode = sign::Mode::kCmsDetached;
    req.omit_signing_time = true;
    req.content_digest = HPKI_TRY(d_.pdf.digest(*prepared, crypto::signature_hash(alg)));
  }
  if (r.handwriting) {
    der::Writer w;
    HPKI_TRY(w.add_sequence([&](der::Writer& s) -> Result<void> {
      HPKI_TRY(s.add_raw(x509::cms::hash_algorithm_der(crypto::HashAlg::kSm3)));
      s.add_octet_string(HPKI_TRY(crypto::digest(crypto::HashAlg::kSm3, *r.handwriting)));
      return {};
    }));
    req.extra_signed_attributes.push_back({handwriting_oid(), {w.take()}});
  }
  const bool dry = m_out != nullptr;
  if (r.timestamp && !dry) {
    req.timestamp = tsa::local_token_fn(*d_.tsa, "device:" + d.id, r.org);
  }
  HandedSigner signer(alg, d.public_key, dry ? Bytes{} : r.to_be_signed.value_or(Bytes{}),
                      Bytes(signature.begin(), signature.end()));
  const sign::SigningIdentity id{.signer = &signer, .certificate = cert, .chain = chain};
  auto out = sign::sign(r.document, id, req);
  if (dry) {
    if (signer.seen().empty()) {
      return fail(out ? Error{ErrorCode::kInternal, "nothing to sign"} : out.error());
    }
    *m_out = signer.seen();
    return Bytes{};
  }
  Bytes cms = HPKI_TRY(std::move(out)).output;
  if (prepared) return d_.pdf.finish(std::move(*prepared), cms);
  return cms;
}

Result<std::vector<SignFinishAnswer>> Service::sign_finish(
    const CosignDeviceRecord& dev, const std::vector<SignFinishItem>& items) {
  if (items.empty() || items.size() > config_.max_batch) {
    return fail(ErrorCode::kInvalidArgument,
                "requests must list 1 to " + std::to_string(config_.max_batch) + " requests");
  }
  std::vector<SignFinishAnswer> out;
  for (const auto& it : items) {
    SignFinishAnswer a{.id = it.id, .state = {}, .problem = {}};
    auto done = [&]() -> Result<void> {
      auto r = HPKI_TRY(d_.store->read_value<SigningRequestRecord>(
          [&](store::Tx& tx) { return tx.get_signing_request(it.id); }));
      if (r.org != dev.org || r.subject_id != dev.subject_id) {
        return fail(ErrorCode::kNotFound, "no signing request " + it.id);
      }
      const auto state = request_state(r, d_.clock->now());
      if (state != "approved" || r.device_id != dev.id || !r.to_be_signed) {
        return fail(
            problem_error(ErrorCode::kConflict,
                          state == "expired" ? problem::kRequestExpired : problem::kNotPending,
                          "request " + r.id + " is " + std::string(state)));
      }
      Bytes signature;
      bool valid = false;
      // hpki verifies the final signature under the certificate's key before it uses it. SM2:
      // GM/T 0003.2 7.1 over e = SM3(Z || M) of the stored bytes by sm2_2p, which keeps a table
      // of the device's key between signatures (about half the time of a verification from
      // scratch, docs/performance.md).
      if (dev.algorithm == "sm2") {
        if (!r.sign_r) return fail(ErrorCode::kInternal, "approved request without r");
        auto der = tp::signature_der(*r.sign_r, it.s);
        auto point = point_of(dev.public_key);
        if (der && point) {
          auto e = tp::message_digest(*point, *r.to_be_signed);
          valid = e && tp::verify_signature(*point, *e, *r.sign_r, it.s).has_value();
          signature = std::move(*der);
        }
      } else {
        signature = it.signature;
        valid = !signature.empty() && crypto::verify_signature(dev.public_key, algorithm_of(dev),
                                                               *r.to_be_signed, signature)
                                          .has_value();
      }
      if (!valid) {
        // A wrong PIN (mobile.md §1.7(8)) or a broken phone: the request goes back to pending
        // (a new approval, new nonces); the device locks after max_pin_failures in a row.
        HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
          auto d = HPKI_TRY(tx.get_cosign_device(dev.id));
          auto cur = HPKI_TRY(tx.get_signing_request(r.id));
          if (cur.approval != "pin") ++d.pin_failures;  // a PIN approval counted already
          const bool lock = d.pin_failures >= config_.max_pin_failures && d.status == "active";
          if (lock) d.status = "locked";
          HPKI_TRY(tx.update_cosign_device(d));
          if (cur.state == "approved") {
            cur.state = "pending";
            cur.to_be_signed.reset();
            cur.sign_r.reset();
            cur.signing_time.reset();
            cur.prepared.reset();  // format pdf: a new approval prepares anew
            cur.byte_range.clear();
            cur.seq = HPKI_TRY(tx.next_counter("cosign.event"));
            HPKI_TRY(tx.update_signing_request(cur));
          }
          HPKI_TRY(audit(
              tx, "device:" + d.id, "cosign.request.sign", r.id, audit::outcome::kFailure,
              json{{"reason", "invalid final signature"}, {"failures", d.pin_failures}}.dump(),
              r.org));
          if (lock) {
            HPKI_TRY(audit(tx, "device:" + d.id, "cosign.device.lock", d.id,
                           audit::outcome::kSuccess, json{{"failures", d.pin_failures}}.dump(),
                           d.org));
          }
          return {};
        }));
        changed();
        return fail(problem_error(ErrorCode::kBadSignature, problem::kSignatureInvalid,
                                  "the signature does not verify (wrong PIN?)"));
      }
      auto output = build_output(r, dev, signature, nullptr);
      HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
        auto d = HPKI_TRY(tx.get_cosign_device(dev.id));
        auto cur = HPKI_TRY(tx.get_signing_request(r.id));
        if (cur.state != "approved") {
          return fail(problem_error(ErrorCode::kConflict, problem::kNotPending,
                                    "request " + r.id + " is " + cur.state));
        }
        if (d.pin_failures != 0) {
          d.pin_failures = 0;
          HPKI_TRY(tx.update_cosign_device(d));
        }
        if (output) {
          cur.state = "signed";
          cur.result = *output;
          cur.signed_at = d_.clock->now();
        } else {
          cur.state = "failed";
          cur.error = output.error().detail().substr(0, 512);
        }
        cur.seq = HPKI_TRY(tx.next_counter("cosign.event"));
        HPKI_TRY(tx.update_signing_request(cur));
        return audit(tx, "device:" + d.id, "cosign.request.sign", r.id,
                     output ? audit::outcome::kSuccess : audit::outcome::kFailure,
                     json{{"format", cur.format}, {"timestamp", cur.timestamp}}.dump(), cur.org);
      }));
      changed();
      deliver(r.id);
      if (!output) return fail(output.error());
      return {};
    }();
    if (done) {
      a.state = "signed";
    } else {
      a.state = "error";
      a.problem = std::string(problem_type(done.error()));
      if (items.size() == 1) return fail(done.error());
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<Bytes> Service::decrypt(const CosignDeviceRecord& dev, BytesView t1,
                               const Approval& approval) {
  if (dev.algorithm != "sm2") {
    return fail(ErrorCode::kInvalidArgument, "two-party decryption needs an sm2 device");
  }
  if (auto ok = tp::validate_point(t1); !ok) {
    return fail(problem_error(ErrorCode::kInvalidArgument, problem::kInvalidPoint,
                              "t1: " + ok.error().detail()));
  }
  // Approval (mobile.md §1.7(6): D2 is a static-DH oracle): the same as for a signature,
  // challenge SHA-256("hpki-cosign-decrypt-v1" ‖ t1); the PIN path is not enough here, since a
  // wrong PIN shows nothing to hpki.
  if (approval.method != "webauthn") {
    return fail(problem_error(ErrorCode::kPermissionDenied, problem::kApprovalInvalid,
                              "decryption needs a passkey approval"));
  }
  {
    // mobile.md §1.7(6): D2 is a static-DH oracle; at most decrypt_per_hour per device.
    std::lock_guard lock(session_mu_);
    auto& times = decrypts_[dev.id];
    const auto now = d_.clock->now();
    std::erase_if(times, [&](TimePoint t) { return now - t >= std::chrono::hours(1); });
    if (static_cast<int>(times.size()) >= config_.decrypt_per_hour) {
      return fail(ErrorCode::kLimitExceeded,
                  "more than " + std::to_string(config_.decrypt_per_hour) +
                      " decryptions in an hour on this device; try later");
    }
    times.push_back(now);
  }
  std::string in = "hpki-cosign-decrypt-v1";
  in.append(reinterpret_cast<const char*>(t1.data()), t1.size());
  const Bytes challenge = HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, as_bytes(in)));
  const Share share = HPKI_TRY(open_share(dev));
  Bytes t2;
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    auto d = HPKI_TRY(tx.get_cosign_device(dev.id));
    if (d.status != "active") {
      return fail(problem_error(ErrorCode::kPermissionDenied, problem::kDeviceLocked,
                                "this device is " + d.status));
    }
    HPKI_TRY(check_approval(tx, d, challenge, approval));
    t2 = HPKI_TRY(tp::decrypt_server(share.d2, share.d2_inv, t1));
    return audit(tx, "device:" + d.id, "cosign.decrypt", d.id, audit::outcome::kSuccess, "{}",
                 d.org);
  }));
  return t2;
}

// ------------------------------------------------------------------ share refresh

Result<Bytes> Service::refresh_challenge(std::string_view device_id, BytesView t, BytesView p2) {
  std::string in = "hpki-cosign-refresh-v1";
  in.push_back(static_cast<char>((device_id.size() >> 8) & 0xFF));
  in.push_back(static_cast<char>(device_id.size() & 0xFF));
  in.append(device_id);
  in.append(reinterpret_cast<const char*>(t.data()), t.size());
  in.append(reinterpret_cast<const char*>(p2.data()), p2.size());
  return crypto::digest(crypto::HashAlg::kSha256, as_bytes(in));
}

Result<Bytes> Service::share_point(const CosignDeviceRecord& d) const {
  if (d.algorithm != "sm2") return fail(ErrorCode::kInvalidArgument, "not an sm2 device");
  const Share share = HPKI_TRY(open_share(d));
  return tp::share_point(share.d2, share.d2_inv);
}

Result<Bytes> Service::refresh_share(const CosignDeviceRecord& dev, BytesView t,
                                     const Approval& approval) {
  if (dev.algorithm != "sm2") {
    return fail(ErrorCode::kInvalidArgument, "a share refresh needs an sm2 device");
  }
  if (approval.method != "webauthn") {
    return fail(problem_error(ErrorCode::kPermissionDenied, problem::kApprovalInvalid,
                              "a share refresh needs a passkey approval"));
  }
  const SecretBytes factor{t};
  Bytes p2_new;
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    auto d = HPKI_TRY(tx.get_cosign_device(dev.id));
    if (d.status != "active") {
      return fail(problem_error(ErrorCode::kPermissionDenied, problem::kDeviceLocked,
                                "this device is " + d.status));
    }
    // Bound to the share as it is now: a replayed assertion names an old P2.
    const Share share = HPKI_TRY(open_share(d));
    const Bytes p2_old = HPKI_TRY(tp::share_point(share.d2, share.d2_inv));
    HPKI_TRY(check_approval(tx, d, HPKI_TRY(refresh_challenge(d.id, t, p2_old)), approval));
    // mobile.md §1.7(9): d2 ← d2·t^-1 (t a scalar in [1, n-1], checked by refresh_server).
    auto d2 = tp::refresh_server(share.d2, factor);
    if (!d2) return fail(ErrorCode::kInvalidArgument, "t: " + d2.error().detail());
    const SecretBytes d2_inv = HPKI_TRY(tp::share_inverse(*d2));
    p2_new = HPKI_TRY(tp::share_point(*d2, d2_inv));
    SecretBytes sealed_in(2 * tp::kScalarLen);
    std::copy_n(d2->data(), tp::kScalarLen, sealed_in.data());
    std::copy_n(d2_inv.data(), tp::kScalarLen, sealed_in.data() + tp::kScalarLen);
    d.share = HPKI_TRY(d_.sealer->encrypt(sealed_in.as_string_view()));
    HPKI_TRY(tx.update_cosign_device(d));
    return audit(tx, "device:" + d.id, "cosign.refresh", d.id, audit::outcome::kSuccess, "{}",
                 d.org);
  }));
  return p2_new;
}

// ------------------------------------------------------------------ events

void Service::changed() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

void Service::wait_events(const CosignDeviceRecord& d, std::int64_t after_seq, TimePoint deadline,
                          EventsDone done) {
  auto w = std::make_shared<Waiter>();
  w->org = d.org;
  w->subject_id = d.subject_id;
  w->after_seq = after_seq;
  w->deadline = deadline;
  w->done = std::move(done);
  {
    std::lock_guard lock(mu_);
    if (stop_) {
      w->done({});
      return;
    }
    waiters_.push_back(std::move(w));
  }
  cv_.notify_all();
}

void Service::waiter_loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(500));
    if (stop_) break;
    const auto gen = generation_;
    auto list = waiters_;
    lock.unlock();
    const auto now = d_.clock->now();
    std::vector<std::shared_ptr<Waiter>> finished;
    for (auto& w : list) {
      // Checked after a local change, and every 2 s for changes made by other nodes.
      const bool due =
          w->checked_generation != gen || now - w->checked_at >= std::chrono::seconds(2);
      std::vector<SigningRequestRecord> news;
      if (due) {
        w->checked_generation = gen;
        w->checked_at = now;
        auto got = d_.store->read_value<std::vector<SigningRequestRecord>>([&](store::Tx& tx) {
          return tx.list_signing_requests(w->org, w->subject_id, {}, w->after_seq, 100, false);
        });
        if (got) news = std::move(*got);
      }
      if (!news.empty() || now >= w->deadline) {
        w->done(std::move(news));
        finished.push_back(w);
      }
    }
    lock.lock();
    std::erase_if(waiters_, [&](const auto& w) {
      return std::find(finished.begin(), finished.end(), w) != finished.end();
    });
  }
}

// ------------------------------------------------------------------ webhooks

void Service::deliver(const std::string& request_id) {
  if (!d_.webhook) return;
  {
    std::lock_guard lock(mu_);
    webhook_queue_.push_back({d_.clock->now(), {request_id, 1}});
  }
  cv_.notify_all();
}

void Service::notify(const std::string& org, std::int64_t subject_id) {
  if (config_.notify_url.empty() || !d_.webhook) return;
  {
    std::lock_guard lock(mu_);
    webhook_queue_.push_back(
        {d_.clock->now(), {"notify:" + org + "\n" + std::to_string(subject_id), 1}});
  }
  cv_.notify_all();
}

void Service::webhook_loop() {
  // Retries with backoff: 1 s, 5 s, 30 s, 2 min, 10 min (docs/cosign.md §3).
  static constexpr std::array<std::chrono::seconds, 5> kBackoff{
      std::chrono::seconds(1), std::chrono::seconds(5), std::chrono::seconds(30),
      std::chrono::minutes(2), std::chrono::minutes(10)};
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(250));
    if (stop_) break;
    const auto now = d_.clock->now();
    std::vector<std::pair<std::string, int>> due;
    std::erase_if(webhook_queue_, [&](const auto& e) {
      if (e.first > now) return false;
      due.push_back(e.second);
      return true;
    });
    if (due.empty()) continue;
    lock.unlock();
    for (const auto& [id, attempt] : due) {
      if (id.starts_with("notify:")) {
        // The wake-up nudge: who has how many pending requests, and the app's link.
        const auto nl = id.find('\n');
        const std::string org = id.substr(7, nl - 7);
        std::int64_t subject = 0;
        try {
          subject = std::stoll(id.substr(nl + 1));
        } catch (...) {
          continue;
        }
        static const std::vector<std::string> kPending{"pending"};
        auto list = d_.store->read_value<std::vector<SigningRequestRecord>>([&](store::Tx& tx) {
          return tx.list_signing_requests(org, subject, kPending, 0, 500, false);
        });
        const std::string body = json{
            {"event", "pending"},
            {"organization", org},
            {"subject_id", subject},
            {"pending", list ? list->size() : 0},
            {"link", config_.base_url +
                         "/m/"}}.dump();
        std::string sig;
        if (auto secret = webhook_secret(org); secret) {
          if (auto key = hex_decode(*secret)) {
            if (auto mac = crypto::hmac(crypto::HashAlg::kSm3, *key, as_bytes(body))) {
              sig = "hmac-sm3=" + hex_encode(*mac);
            }
          }
        }
        (void)d_.webhook(config_.notify_url, body,
                         {{"Content-Type", "application/json"}, {"X-Hpki-Signature", sig}});
        continue;
      }
      auto r = get_request(id);
      if (!r || r->callback_url.empty()) continue;
      const std::string body = request_json_for_webhook(*r, d_.clock->now()).dump();
      std::string sig;
      if (auto secret = webhook_secret(r->org); secret) {
        auto key = hex_decode(*secret);
        if (key) {
          if (auto mac = crypto::hmac(crypto::HashAlg::kSm3, *key, as_bytes(body))) {
            sig = "hmac-sm3=" + hex_encode(*mac);
          }
        }
      }
      const WebhookResult res =
          d_.webhook(r->callback_url, body,
                     {{"Content-Type", "application/json"},
                      {"X-Hpki-Signature", sig},
                      {"X-Hpki-Delivery", id + "/" + std::to_string(attempt)}});
      const bool ok = res.status >= 200 && res.status < 300;
      (void)d_.store->transact([&](store::Tx& tx) -> Result<void> {
        HPKI_TRY(tx.insert_webhook_delivery({.id = 0,
                                             .request_id = id,
                                             .attempt = attempt,
                                             .url = r->callback_url,
                                             .status = res.status,
                                             .detail = res.detail.substr(0, 256),
                                             .created_at = {}}));
        return {};
      });
      if (!ok && attempt <= static_cast<int>(kBackoff.size())) {
        std::lock_guard relock(mu_);
        webhook_queue_.push_back(
            {d_.clock->now() + kBackoff[static_cast<std::size_t>(attempt - 1)], {id, attempt + 1}});
      }
    }
    lock.lock();
  }
}

// ------------------------------------------------------------------ QR sessions

Result<NewQr> Service::create_qr(const std::string& kind, const std::string& pc_ip,
                                 const std::string& pc_user_agent) {
  if (kind != "login" && kind != "sign") {
    return fail(ErrorCode::kInvalidArgument, "kind must be login");
  }
  NewQr out;
  store::QrSessionRecord& q = out.record;
  q.id = "qr-" + base64url_encode(HPKI_TRY(random_bytes(18)));  // ≥ 128 random bits
  q.kind = kind;
  q.state = "created";
  out.secret = base64url_encode(HPKI_TRY(random_bytes(32)));
  q.secret_hash = token_hash(out.secret);
  const Bytes n = HPKI_TRY(random_bytes(2));
  q.number = 10 + ((n[0] << 8) | n[1]) % 90;  // two digits
  q.pc_ip = pc_ip.substr(0, 64);
  q.pc_user_agent = pc_user_agent.substr(0, 256);
  q.expires_at = std::chrono::floor<std::chrono::seconds>(d_.clock->now() + config_.qr_ttl);
  out.url = qr_url(config_, q.id);
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) { return tx.insert_qr_session(q); }));
  return out;
}

Result<store::QrSessionRecord> Service::qr_status(const std::string& id, std::string_view secret) {
  auto q = HPKI_TRY(d_.store->read_value<store::QrSessionRecord>(
      [&](store::Tx& tx) { return tx.get_qr_session(id); }));
  if (q.kind == "login" && q.secret_hash != token_hash(secret)) {
    return fail(ErrorCode::kNotFound, "no QR session " + id);
  }
  if ((q.state == "created" || q.state == "scanned") && expired(d_.clock->now(), q.expires_at)) {
    q.state = "expired";
  }
  return q;
}

Result<QrScan> Service::qr_scan(const CosignDeviceRecord& dev, const std::string& id) {
  QrScan out;
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    auto q = HPKI_TRY(tx.get_qr_session(id));
    if (expired(d_.clock->now(), q.expires_at)) {
      return fail(problem_error(ErrorCode::kConflict, problem::kQrExpired, "the QR code expired"));
    }
    if (q.state != "created") {
      return fail(problem_error(ErrorCode::kConflict, problem::kQrState,
                                "this QR code was scanned already (" + q.state + ")"));
    }
    if (q.kind == "sign") {
      auto r = HPKI_TRY(tx.get_signing_request(q.request_id));
      // The phone claims the request: it must be for this doctor, or unassigned and of the
      // device's organization.
      if (r.org != dev.org || (r.subject_id != 0 && r.subject_id != dev.subject_id)) {
        return fail(ErrorCode::kNotFound, "no QR session " + id);
      }
      if (request_state(r, d_.clock->now()) != "pending") {
        return fail(
            problem_error(ErrorCode::kConflict, problem::kNotPending,
                          "the request is " + std::string(request_state(r, d_.clock->now()))));
      }
      if (r.subject_id == 0) {
        r.subject_id = dev.subject_id;
        r.seq = HPKI_TRY(tx.next_counter("cosign.event"));
        HPKI_TRY(tx.update_signing_request(r));
      }
      out.request = r;
    }
    q.state = "scanned";
    q.org = dev.org;
    q.subject_id = dev.subject_id;
    q.device_id = dev.id;
    HPKI_TRY(tx.update_qr_session(q));
    HPKI_TRY(audit(tx, "device:" + dev.id, "cosign.qr.scan", q.id, audit::outcome::kSuccess,
                   json{{"kind", q.kind}, {"pc_ip", q.pc_ip}}.dump(), dev.org));
    out.record = q;
    return {};
  }));
  // Number matching: the PC's number and two others, in random order.
  const Bytes rnd = HPKI_TRY(random_bytes(8));
  std::vector<int> choices{static_cast<int>(out.record.number)};
  for (std::size_t i = 0; choices.size() < 3 && i < rnd.size(); ++i) {
    const int c = 10 + rnd[i] % 90;
    if (std::find(choices.begin(), choices.end(), c) == choices.end()) choices.push_back(c);
  }
  while (choices.size() < 3) choices.push_back(choices.back() == 99 ? 10 : choices.back() + 1);
  std::rotate(choices.begin(), choices.begin() + (rnd[7] % 3), choices.end());
  out.choices = std::move(choices);
  changed();
  return out;
}

Result<std::string> Service::qr_confirm(const CosignDeviceRecord& dev, const std::string& id,
                                        int number, const Approval& approval) {
  std::string ticket;
  Result<void> verdict = {};
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    verdict = {};
    auto q = HPKI_TRY(tx.get_qr_session(id));
    if (q.device_id != dev.id || q.kind != "login") {
      return fail(ErrorCode::kNotFound, "no QR session " + id);
    }
    if (expired(d_.clock->now(), q.expires_at)) {
      return fail(problem_error(ErrorCode::kConflict, problem::kQrExpired, "the QR code expired"));
    }
    if (q.state != "scanned") {
      return fail(
          problem_error(ErrorCode::kConflict, problem::kQrState, "the QR session is " + q.state));
    }
    if (number != q.number) {
      // A wrong number: somebody else's QR (QRLjacking); the session is cancelled.
      q.state = "cancelled";
      HPKI_TRY(tx.update_qr_session(q));
      HPKI_TRY(audit(tx, "device:" + dev.id, "cosign.qr.confirm", q.id, audit::outcome::kDenied,
                     json{{"reason", "number mismatch"}}.dump(), dev.org));
      verdict = fail(problem_error(ErrorCode::kPermissionDenied, problem::kQrState,
                                   "the number does not match the one on the PC; cancelled"));
      return {};
    }
    auto d = HPKI_TRY(tx.get_cosign_device(dev.id));
    std::string in = "hpki-cosign-qr-v1" + q.id + std::to_string(q.number);
    const Bytes challenge = HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, as_bytes(in)));
    if (approval.method != "webauthn") {
      return fail(problem_error(ErrorCode::kPermissionDenied, problem::kApprovalInvalid,
                                "QR login needs a passkey approval"));
    }
    HPKI_TRY(check_approval(tx, d, challenge, approval));
    ticket = base64url_encode(HPKI_TRY(random_bytes(32)));
    q.ticket = as_vec(ticket);
    q.state = "confirmed";
    HPKI_TRY(tx.update_qr_session(q));
    return audit(tx, "device:" + dev.id, "cosign.qr.confirm", q.id, audit::outcome::kSuccess,
                 json{{"pc_ip", q.pc_ip}}.dump(), dev.org);
  }));
  HPKI_TRY(std::move(verdict));
  changed();
  return ticket;
}

Result<void> Service::qr_cancel(const CosignDeviceRecord& dev, const std::string& id) {
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    auto q = HPKI_TRY(tx.get_qr_session(id));
    if (q.device_id != dev.id) return fail(ErrorCode::kNotFound, "no QR session " + id);
    if (q.state != "scanned") {
      return fail(
          problem_error(ErrorCode::kConflict, problem::kQrState, "the QR session is " + q.state));
    }
    q.state = "cancelled";
    HPKI_TRY(tx.update_qr_session(q));
    return audit(tx, "device:" + dev.id, "cosign.qr.cancel", q.id, audit::outcome::kSuccess,
                 json{{"pc_ip", q.pc_ip}}.dump(), dev.org);
  }));
  changed();
  return {};
}

Result<PcSession> Service::qr_redeem(const std::string& id, std::string_view secret,
                                     std::string_view ticket) {
  PcSession out;
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    auto q = HPKI_TRY(tx.get_qr_session(id));
    if (q.kind != "login" || q.secret_hash != token_hash(secret)) {
      return fail(ErrorCode::kNotFound, "no QR session " + id);
    }
    if (q.state != "confirmed" || !q.ticket || *q.ticket != as_vec(ticket)) {
      return fail(problem_error(ErrorCode::kConflict, problem::kQrState,
                                "the QR session is " + q.state + " (a ticket is redeemed once)"));
    }
    q.state = "consumed";
    HPKI_TRY(tx.update_qr_session(q));
    const auto subject = HPKI_TRY(tx.get_subject(q.subject_id));
    out.subject = subject.name;
    out.organization = subject.org;
    return audit(tx, "device:" + q.device_id, "cosign.qr.login", q.id, audit::outcome::kSuccess,
                 json{{"pc_ip", q.pc_ip}, {"subject_id", q.subject_id}}.dump(), q.org);
  }));
  out.token = base64url_encode(HPKI_TRY(random_bytes(32)));
  out.expires_at = d_.clock->now() + config_.session_ttl;
  std::lock_guard lock(session_mu_);
  sessions_[hex_encode(token_hash(out.token))] = out;
  return out;
}

Result<PcSession> Service::pc_session(std::string_view token) const {
  std::lock_guard lock(session_mu_);
  auto it = sessions_.find(hex_encode(token_hash(token)));
  if (it == sessions_.end() || expired(d_.clock->now(), it->second.expires_at)) {
    return fail(ErrorCode::kPermissionDenied, "no session");
  }
  return it->second;
}

}  // namespace hpki::cosign
