// Mobile co-signing (issue 19; docs/cosign.md): doctors' phones enrolled with two-party SM2 keys
// (or a phone-held P-256 key), signing requests from hospital systems approved on the phone
// with a passkey or the PIN, QR login and QR signing, two-party decryption.
//
// The service holds hpki's side of every protocol step and all of their state (in the store):
//   - enrollment: code → K2 (hpki's share d2, sealed) → the jointly signed PKCS#10 → a
//     staff-sign certificate through the CA's issuance pipeline, the device and its token;
//   - signing requests: pending → approved (a WebAuthn assertion whose challenge binds the
//     request, or the PIN path) → S2 over e = SM3(Z‖M) from the bytes hpki stores → the phone's
//     final share, verified under the certificate's key → the output (raw, CMS, CAdES-T, or a
//     signed PDF: PAdES B-B / B-T) → signed; webhook delivery with retries;
//   - QR sessions (created → scanned → confirmed → consumed);
//   - D2 of two-party decryption after the same approval.
// Every step is audited in the transaction that changes the state. Errors are values whose
// detail starts with the stable problem id (problem_type() maps them for the API).
//
// Level 7 (cmake/layers.txt): above ca (issuance), sign (output formats), tsa (CAdES-T) and
// http (webhook client); below pdf (level 8) and the front ends. The PDF steps of format "pdf"
// are injected (Deps::pdf, PdfSteps) by the front end, which knows both modules
// (api/cosign_pdf.h).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "ca/ca_service.h"
#include "ca/pii.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "crypto/algorithm.h"
#include "store/store.h"
#include "tsa/tsa_service.h"

namespace hpki::cosign {

// Stable problem ids (docs/cosign.md §6); an error's detail starts with one of them.
namespace problem {
inline constexpr std::string_view kCodeInvalid = "cosign/enrollment-code-invalid";
inline constexpr std::string_view kEnrollmentLocked = "cosign/enrollment-locked";
inline constexpr std::string_view kEnrollmentExpired = "cosign/enrollment-expired";
inline constexpr std::string_view kEnrollmentState = "cosign/enrollment-state";
inline constexpr std::string_view kInvalidPoint = "cosign/invalid-point";
inline constexpr std::string_view kInvalidProof = "cosign/invalid-proof";
inline constexpr std::string_view kApprovalInvalid = "cosign/approval-invalid";
inline constexpr std::string_view kNotPending = "cosign/request-not-pending";
inline constexpr std::string_view kRequestExpired = "cosign/request-expired";
inline constexpr std::string_view kSignatureInvalid = "cosign/signature-invalid";
inline constexpr std::string_view kDeviceLocked = "cosign/device-locked";
inline constexpr std::string_view kDeviceRevoked = "cosign/device-revoked";
inline constexpr std::string_view kQrExpired = "cosign/qr-expired";
inline constexpr std::string_view kQrState = "cosign/qr-state";
// Format pdf: the document is not a PDF hpki can sign (not a PDF, damaged, encrypted, no such
// page, the anchor text not found).
inline constexpr std::string_view kDocumentInvalid = "cosign/document-invalid";
}  // namespace problem

// The problem id an error's detail starts with, or "" (then the API maps the error code).
[[nodiscard]] std::string_view problem_type(const Error& e);

struct Config {
  std::string base_url;  // the WebAuthn origin and the links in QR codes
  std::string rp_id;     // the WebAuthn RP ID: base_url's host
  std::chrono::seconds enrollment_ttl{std::chrono::hours(24)};
  std::chrono::seconds enrollment_ttl_max{std::chrono::hours(24 * 14)};
  std::chrono::seconds request_ttl{std::chrono::minutes(30)};
  std::chrono::seconds request_ttl_max{std::chrono::hours(24 * 7)};
  std::chrono::seconds approval_ttl{std::chrono::minutes(2)};  // approved → the phone's share
  std::chrono::seconds qr_ttl{std::chrono::seconds(120)};
  std::chrono::seconds session_ttl{std::chrono::hours(8)};  // a QR login's PC session
  int max_code_attempts = 5;                                // per enrollment
  int max_pin_failures = 5;                                 // consecutive, per device
  int decrypt_per_hour = 60;                                // D2 calls per device and hour
  std::string notify_url;  // wake-up sink (ca::CosignSettings::notify_url); empty: none
  std::vector<std::string> callback_prefixes;  // allowed callback URL prefixes; empty: any
  bool reenroll_revokes = true;  // a new enrollment revokes the subject's older devices
  std::size_t max_document = 8 * 1024 * 1024;
  std::size_t max_batch = 50;
  std::string sm2_profile = "staff-sign";
  std::string ecdsa_profile = "staff-sign";
};

// Delivers a webhook: POST `body` to `url` with the headers; returns the HTTP status (0 when
// there was no answer) and a short detail. Injected (the http client) so tests can watch it.
struct WebhookResult {
  int status = 0;
  std::string detail;
};
using WebhookPost =
    std::function<WebhookResult(const std::string& url, const std::string& body,
                                const std::vector<std::pair<std::string, std::string>>& headers)>;

// --- format "pdf" (issue 20 meets issue 19; docs/cosign.md §3 "Format pdf")

// Where the doctor's signature shows. Neither rect nor anchor: invisible. The JSON form (the
// API's "pdf" object, the store's pdf_options column): {"page": 1, "rect": {"x", "y", "w",
// "h"}, "anchor": "医师签名", "reason": "..."} (PDF points, origin bottom-left).
struct PdfRect {
  double x = 0, y = 0, w = 0, h = 0;
};
struct PdfOptions {
  int page = 1;  // 1-based; 0 with an anchor: the first page that has the text
  std::optional<PdfRect> rect{};
  std::optional<std::string> anchor{};  // UTF-8, at most 256 bytes
  std::string reason{};                 // /Reason, at most 256 bytes
};
// kInvalidArgument naming the field for anything else (unknown fields included).
[[nodiscard]] Result<PdfOptions> parse_pdf_options(std::string_view json_object);
[[nodiscard]] std::string pdf_options_json(const PdfOptions& o);

// The signature field hpki adds at the approval.
struct PdfField {
  PdfOptions options;
  std::string name;                     // /Name: the doctor (the subject's name)
  TimePoint signing_time{};             // /M: the approval's time (also shown)
  std::optional<Bytes> png{};           // the device's handwriting image, if it has one
  std::vector<std::string> text_lines;  // drawn with it: the name and the time
};
// A PDF with the signature hole: the signed bytes are pdf[0, a) and pdf[b, b + c) of
// byte_range {0, a, b, c}; /Contents (hex) fills [a, b).
struct PreparedPdf {
  Bytes pdf;
  std::array<std::size_t, 4> byte_range{};
};
// The PDF module's steps, injected because cosign (level 7) may not use pdf (level 8):
//   check    at creation: the document opens as a PDF hpki can sign with these options
//            (errors: the PDF module's, e.g. kMalformed, kTooLarge, kUnsupported);
//   prepare  at the approval, once: the field (and its appearance) as an incremental update;
//   digest   the ByteRange's digest with the signer's hash (what the CMS's messageDigest is);
//   finish   the DER CMS into /Contents: the signed PDF.
struct PdfSteps {
  std::function<Result<void>(BytesView document, const PdfOptions& options)> check{};
  std::function<Result<PreparedPdf>(BytesView document, const PdfField& field)> prepare{};
  std::function<Result<Bytes>(const PreparedPdf& prepared, crypto::HashAlg hash)> digest{};
  std::function<Result<Bytes>(PreparedPdf prepared, BytesView cms)> finish{};
  [[nodiscard]] explicit operator bool() const { return check && prepare && digest && finish; }
};

struct Deps {
  store::Store* store = nullptr;
  ca::CaService* ca = nullptr;
  const audit::AuditLog* audit = nullptr;
  const ca::PiiProtector* sealer = nullptr;  // seals hpki's shares, hashes codes
  const tsa::TsaService* tsa = nullptr;      // CAdES-T (optional)
  const Clock* clock = nullptr;
  Random* random = nullptr;
  WebhookPost webhook{};  // optional: no deliveries without it
  PdfSteps pdf{};         // optional: format "pdf" is refused (kUnavailable) without it
};

// --- results handed to the front end

struct NewEnrollment {
  store::CosignEnrollmentRecord record;
  std::string code;  // shown once: "ABCDEFGH"
  std::string url;   // {base_url}/m/#/enroll/{code}
};

struct EnrollmentStart {
  store::CosignEnrollmentRecord record;
  std::string subject_name, organization, department;
  std::string rp_id, rp_name;
};

struct Proof {
  Bytes r;  // point
  Bytes z;  // scalar
};

struct KeygenAnswer {  // SM2: K2 and S2 over the CSR; P-256: the CSR info only
  Bytes p, p2;
  Proof proof;
  Bytes csr_info;
  Bytes r, s1;
};

struct WebauthnRegistration {
  Bytes credential_id, attestation_object, client_data_json;
};

struct EnrollFinish {
  std::string code;
  Bytes s;          // SM2: the phone's s
  Bytes signature;  // P-256: DER ECDSA over csr_info
  std::optional<WebauthnRegistration> webauthn;
  std::string device_name, user_agent;
  std::optional<Bytes> handwriting_png;
  std::optional<std::string> strokes;
};

struct Enrolled {
  store::CosignDeviceRecord device;
  std::string token;  // shown once
  Bytes certificate;  // DER
};

struct NewRequest {
  std::int64_t signer = 0;  // subject id; 0 with qr = claimed by the scanning phone
  Bytes document;
  std::string format = "cms";       // raw | cms | cms-detached | pdf
  bool timestamp = false;           // CAdES-T (pdf: PAdES B-T)
  std::optional<PdfOptions> pdf{};  // format pdf only; none: invisible, page 1
  std::string summary = "{}";       // JSON object
  std::string callback_url;
  std::optional<std::chrono::seconds> expires_in;
  bool qr = false;
};

struct Approval {
  std::string method{};  // "webauthn" | "pin"
  Bytes credential_id{}, authenticator_data{}, client_data_json{}, signature{};
};

struct SignStartItem {
  std::string id;
  Bytes q1;  // SM2
};
struct SignStartAnswer {
  std::string id;
  Bytes m;      // the bytes signed: the document (raw) or the DER signed attributes (CMS, pdf)
  Bytes r, s1;  // SM2
};
struct SignFinishItem {
  std::string id;
  Bytes s;          // SM2
  Bytes signature;  // P-256
};
struct SignFinishAnswer {
  std::string id;
  std::string state;
  std::string problem;  // when not signed
};

struct NewQr {
  store::QrSessionRecord record;
  std::string secret;  // the PC's cookie
  std::string url;
};
struct QrScan {
  store::QrSessionRecord record;
  std::vector<int> choices;
  std::optional<store::SigningRequestRecord> request;  // kind sign
};
struct PcSession {
  std::string token;  // the PC's session cookie
  std::string subject, organization;
  TimePoint expires_at{};
};

class Service {
 public:
  Service(Config config, Deps deps);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  [[nodiscard]] const Config& config() const { return config_; }
  // Answers every open event stream (empty) and stops the service's threads; idempotent. The
  // destructor calls it. Call it before the HTTP server that holds the streams stops.
  void stop();

  // --- RA officers and hospital systems (the front end checked the caller's organization)
  [[nodiscard]] Result<NewEnrollment> create_enrollment(const std::string& org,
                                                        std::int64_t subject_id,
                                                        const std::string& algorithm,
                                                        std::optional<std::chrono::seconds> ttl,
                                                        const std::string& actor);
  [[nodiscard]] Result<store::CosignEnrollmentRecord> get_enrollment(const std::string& id);
  [[nodiscard]] Result<store::SigningRequestRecord> create_request(const std::string& org,
                                                                   const NewRequest& r,
                                                                   const std::string& actor,
                                                                   std::optional<NewQr>* qr);
  // The request as it is now (an expired pending one reads as expired).
  [[nodiscard]] Result<store::SigningRequestRecord> get_request(const std::string& id);
  // The certificate (DER) of the device that signed a request.
  [[nodiscard]] Result<Bytes> signer_certificate(const store::SigningRequestRecord& r);
  // The organization's webhook secret (HMAC-SM3 key of X-Hpki-Signature).
  [[nodiscard]] Result<std::string> webhook_secret(const std::string& org) const;
  [[nodiscard]] Result<std::vector<store::WebhookDeliveryRecord>> deliveries(
      const std::string& request_id);
  // Device administration by the RA: revoke a device (its certificate stays; revoke that
  // through the certificate routes) or unlock one locked by PIN failures.
  [[nodiscard]] Result<store::CosignDeviceRecord> get_device(const std::string& id);
  // The certificate record of a device's key.
  [[nodiscard]] Result<store::CertificateRecord> device_certificate(
      const store::CosignDeviceRecord& d);
  [[nodiscard]] Result<store::CosignDeviceRecord> set_device_status(const std::string& id,
                                                                    const std::string& status,
                                                                    const std::string& actor);

  // --- the phone: enrollment (authenticated by the code)
  [[nodiscard]] Result<EnrollmentStart> enroll_start(const std::string& code,
                                                     const std::string& peer);
  [[nodiscard]] Result<KeygenAnswer> enroll_keygen_sm2(const std::string& code, BytesView p1,
                                                       const Proof& proof, BytesView q1);
  [[nodiscard]] Result<KeygenAnswer> enroll_keygen_p256(const std::string& code,
                                                        BytesView public_key);
  [[nodiscard]] Result<Enrolled> enroll_finish(const EnrollFinish& f);

  // --- the phone: everything else (authenticated by the device token)
  [[nodiscard]] Result<store::CosignDeviceRecord> authenticate(std::string_view token);
  [[nodiscard]] Result<std::vector<store::SigningRequestRecord>> pending(
      const store::CosignDeviceRecord& d);
  [[nodiscard]] Result<store::SigningRequestRecord> request_for(const store::CosignDeviceRecord& d,
                                                                const std::string& id);
  // The WebAuthn challenge of one request (docs/cosign.md §3).
  [[nodiscard]] static Result<Bytes> request_challenge(const store::SigningRequestRecord& r);
  [[nodiscard]] Result<store::SigningRequestRecord> reject(const store::CosignDeviceRecord& d,
                                                           const std::string& id,
                                                           const std::string& reason);
  [[nodiscard]] Result<std::vector<SignStartAnswer>> sign_start(
      const store::CosignDeviceRecord& d, const std::vector<SignStartItem>& items,
      const Approval& approval);
  [[nodiscard]] Result<std::vector<SignFinishAnswer>> sign_finish(
      const store::CosignDeviceRecord& d, const std::vector<SignFinishItem>& items);
  [[nodiscard]] Result<Bytes> decrypt(const store::CosignDeviceRecord& d, BytesView t1,
                                      const Approval& approval);
  // Share refresh (mobile.md §1.7(9), docs/cosign.md §2 "Share refresh"): on a PIN change or a move
  // to a new phone, without a new certificate. The phone draws t, keeps d1·t and approves with its
  // passkey over refresh_challenge(device, t, P2), P2 = hpki's current share point d2^-1·G
  // (which the phone derives as d1·(P+G)): an assertion is good for one refresh of one share.
  // hpki stores d2·t^-1 and returns the new share point (the phone checks d1·t·(P+G) against
  // it before it drops d1). A PIN approval is refused (a wrong PIN would break the key).
  [[nodiscard]] Result<Bytes> refresh_share(const store::CosignDeviceRecord& d, BytesView t,
                                            const Approval& approval);
  // SHA-256("hpki-cosign-refresh-v1" ‖ u16be(len(device id)) ‖ device id ‖ t ‖ P2).
  [[nodiscard]] static Result<Bytes> refresh_challenge(std::string_view device_id, BytesView t,
                                                       BytesView p2);
  // hpki's current share point P2 = d2^-1·G of an SM2 device. Never shown to the phone: with it,
  // a stolen phone could test PINs offline (d1·(P+G) == P2; mobile.md §1.7(8)). After a lost
  // refresh answer the phone probes its candidate share with a refresh by t = 1 (a no-op whose
  // passkey approval only verifies for the current share).
  [[nodiscard]] Result<Bytes> share_point(const store::CosignDeviceRecord& d) const;
  [[nodiscard]] Result<store::CosignDeviceRecord> set_handwriting(
      const store::CosignDeviceRecord& d, BytesView png, const std::string& strokes);

  // Server-sent events of a device: calls `done` once, with the requests of its subject
  // changed after `after_seq` (their seq is the event id), as soon as there are any or at
  // `deadline` (then empty). Never blocks the caller.
  using EventsDone = std::function<void(std::vector<store::SigningRequestRecord>)>;
  void wait_events(const store::CosignDeviceRecord& d, std::int64_t after_seq, TimePoint deadline,
                   EventsDone done);

  // --- QR sessions
  [[nodiscard]] Result<NewQr> create_qr(const std::string& kind, const std::string& pc_ip,
                                        const std::string& pc_user_agent);
  [[nodiscard]] Result<store::QrSessionRecord> qr_status(const std::string& id,
                                                         std::string_view secret);
  [[nodiscard]] Result<QrScan> qr_scan(const store::CosignDeviceRecord& d, const std::string& id);
  [[nodiscard]] Result<std::string> qr_confirm(const store::CosignDeviceRecord& d,
                                               const std::string& id, int number,
                                               const Approval& approval);
  // "Not me" on the phone: a scanned session of this device is cancelled.
  [[nodiscard]] Result<void> qr_cancel(const store::CosignDeviceRecord& d, const std::string& id);
  [[nodiscard]] Result<PcSession> qr_redeem(const std::string& id, std::string_view secret,
                                            std::string_view ticket);
  [[nodiscard]] Result<PcSession> pc_session(std::string_view token) const;
  [[nodiscard]] static std::string qr_url(const Config& c, const std::string& id);

 private:
  struct Waiter;
  [[nodiscard]] Result<Bytes> random_bytes(std::size_t n) const;
  [[nodiscard]] Result<std::string> new_id(std::string_view prefix) const;
  [[nodiscard]] Result<Bytes> code_hash(std::string_view code) const;
  [[nodiscard]] Result<store::CosignEnrollmentRecord> enrollment_by_code(store::Tx& tx,
                                                                         const std::string& code);
  [[nodiscard]] Result<void> audit(store::Tx& tx, const std::string& actor, std::string action,
                                   std::string object, std::string_view outcome,
                                   std::string details, std::string org) const;
  [[nodiscard]] Result<void> check_approval(store::Tx& tx, store::CosignDeviceRecord& d,
                                            BytesView challenge, const Approval& a);
  // hpki's two-party SM2 share as sealed in the store's `share` column: d2 || d2^-1 (64 bytes,
  // so that S2 and D2 skip an inversion), or d2 alone (32 bytes, sealed before the inverse was
  // stored; the inverse is then computed on opening).
  struct Share {
    SecretBytes d2;
    SecretBytes d2_inv;
  };
  [[nodiscard]] Result<Share> open_share(const store::CosignDeviceRecord& d) const;
  // Format pdf, at the approval: the signature field with the doctor's name, the time and the
  // device's handwriting, as the prepared PDF (PdfSteps::prepare).
  [[nodiscard]] Result<PreparedPdf> prepare_pdf(store::Tx& tx, const store::SigningRequestRecord& r,
                                                const store::CosignDeviceRecord& d);
  [[nodiscard]] Result<Bytes> build_output(const store::SigningRequestRecord& r,
                                           const store::CosignDeviceRecord& d, BytesView signature,
                                           Bytes* m_out);
  void changed();  // wakes the waiters
  void deliver(const std::string& request_id);
  void notify(const std::string& org, std::int64_t subject_id);
  void waiter_loop();
  void webhook_loop();

  Config config_;
  Deps d_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
  std::vector<std::pair<TimePoint, std::pair<std::string, int>>> webhook_queue_;  // due, (id, try)
  std::map<std::string, PcSession> sessions_;               // by token hash (hex)
  std::map<std::string, std::vector<TimePoint>> decrypts_;  // by device id, the last hour's
  mutable std::mutex session_mu_;
  bool stop_ = false;
  std::uint64_t generation_ = 0;
  std::thread waiter_thread_;
  std::thread webhook_thread_;
};

}  // namespace hpki::cosign
