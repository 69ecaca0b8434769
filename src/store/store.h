// The CA's database (issue 4 "Storage", DESIGN.md "The issuance pipeline"): one interface,
// two real implementations with the same schema and the same behaviour — SQLite (embedded
// default, WAL) and PostgreSQL (libpq, pooled connections).
//
// Everything happens inside a transaction:
//
//   auto r = store.transact([&](store::Tx& tx) -> Result<void> {
//     HPKI_TRY(tx.insert_certificate(record));   // kConflict on a duplicate serial
//     return tx.append_audit(entry).transform([](auto) {});
//   });
//
// The function commits when it returns a value and rolls back when it returns an error.
// When the database reports a transient failure (SQLITE_BUSY, a PostgreSQL serialization
// failure or deadlock) the whole transaction is rolled back and the function is run again,
// up to StoreOptions::max_retries times: it must therefore only touch the database and its
// own locals (no signing, no network) or be idempotent. A batch of writes in one transaction
// (group commit, issue 5) is simply several calls on the same Tx.
//
// The store owns SQL (issue 17): other modules use these typed operations only; no raw SQL is
// part of this interface (tests that tamper with rows use store/detail/raw.h, docs/architecture.md
// "Storage").
//
// The store keeps bytes and strings; it knows nothing of X.509 or keys. It validates what it
// stores only as far as the schema requires (serials are lowercase hex, enums are known).
// Times are stored as INTEGER unix seconds (sub-second parts are dropped). created_at /
// updated_at columns are stamped by the store from the injected Clock; times that carry
// meaning (revocation time, audit time, validity) are given by the caller.
//
// Error codes: kStorage (database failure), kNotFound (get_* of a missing row), kConflict
// (unique or foreign-key constraint, duplicate serial, unexpected current status),
// kInvalidArgument (a value the schema refuses), kUnavailable (transient failure still
// present after the retries, or no connection), kSchemaMismatch (database written by a newer
// hpki). A Tx must not be used after its transact() function returns. After an error on
// PostgreSQL the transaction is aborted: return the error.
//
// Deferred writes (issue 17): in Store::transact_pipelined on PostgreSQL, the operations marked
// "Deferrable" below queue their statement (libpq pipeline mode) instead of waiting for its
// answer; whatever is queued goes to the server with the next operation that needs an answer
// (a read, a RETURNING, a row count) or with COMMIT, in one round trip. A deferred write's
// error — the same code and message as when it is not deferred — is then returned by that
// later operation or by the commit, and the transaction commits nothing. In transact() (and on
// SQLite) nothing is deferred: every operation fails in its own call.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/key_id.h"
#include "core/serial.h"

namespace hpki::store {

enum class Dialect { kSqlite, kPostgres };

enum class CaFamily { kRsa, kEcdsa, kSm2 };
enum class CaRole { kRoot, kIssuing, kOcsp, kTsa };
// kIssuing: a reservation of a version before schema 7 (see LegacyReservation); none is left
// after the upgrade, and the schema refuses new ones.
enum class CertStatus { kIssuing, kIssued, kRevoked, kHold, kNeverDelivered };
enum class SubjectKind { kStaff, kOrganization, kDevice };

// Stable names as stored in the database: "rsa", "issuing", "never_delivered", "staff", ...
[[nodiscard]] std::string_view to_string(CaFamily v) noexcept;
[[nodiscard]] std::string_view to_string(CaRole v) noexcept;
[[nodiscard]] std::string_view to_string(CertStatus v) noexcept;
[[nodiscard]] std::string_view to_string(SubjectKind v) noexcept;
// Inverse of to_string; kInvalidArgument for an unknown name.
[[nodiscard]] Result<CaFamily> parse_ca_family(std::string_view s);
[[nodiscard]] Result<CaRole> parse_ca_role(std::string_view s);
[[nodiscard]] Result<CertStatus> parse_cert_status(std::string_view s);
[[nodiscard]] Result<SubjectKind> parse_subject_kind(std::string_view s);

struct CaRecord {
  std::string id{};  // e.g. "sm2-issuing"
  CaFamily family = CaFamily::kRsa;
  CaRole role = CaRole::kRoot;
  KeyId key_ref{};                         // the CA key (core/key_id.h)
  Bytes certificate{};                     // DER
  std::optional<std::string> parent_id{};  // issuer CA; none for a root
  std::string subject{};                   // display form of the subject DN
  TimePoint created_at{};                  // set by the store
};

struct CertificateRecord {
  std::string ca_id{};
  Serial serial{};                           // core/serial.h (stored as its canonical hex)
  std::string subject{};                     // display form of the subject DN
  std::string org{};                         // organization as certified (for search)
  std::string dept{};                        // department as certified (for search)
  std::optional<std::int64_t> subject_id{};  // subjects.id, when built from a record
  std::string profile{};
  CertStatus status = CertStatus::kIssued;
  TimePoint not_before{};
  TimePoint not_after{};
  std::optional<Bytes> der{};      // absent only when never delivered
  std::optional<Bytes> request{};  // the CSR (DER), when there was one
  std::string key_type{};          // e.g. "sm2", "rsa-2048"
  std::string requested_by{};      // actor
  std::int64_t crl_shard = 0;
  TimePoint created_at{};  // set by the store
  TimePoint updated_at{};  // set by the store
};

// A certificate record that a version before schema 7 reserved before signing (status
// kIssuing, no DER) and never completed: the upgrade to schema 7 records it as never delivered.
struct LegacyReservation {
  std::string ca_id{};
  Serial serial{};
  std::string org{};
  Bytes tbs_hash{};  // SHA-256 of the TBSCertificate it would have signed
};

struct RevocationRecord {
  std::string ca_id{};
  Serial serial{};
  int reason = 0;  // RFC 5280 5.3.1 CRLReason code
  TimePoint revoked_at{};
  std::optional<TimePoint> invalidity_date{};  // RFC 5280 5.3.2
};

// A staff member, organization or device whose data builds certificate subjects.
// Personal identifiers are kept only encrypted (id_number_enc, by the caller with a key from
// the key store) plus a keyed hash for exact lookup (id_number_hash); the store never sees
// the clear value.
struct SubjectRecord {
  std::int64_t id = 0;  // assigned by insert_subject
  SubjectKind kind = SubjectKind::kStaff;
  std::string name{};
  std::string org{};
  std::string dept{};
  std::string province{};
  std::string city{};
  std::string email{};
  std::vector<std::string> dns{};  // stored as a JSON array
  std::optional<Bytes> id_number_enc{};
  std::optional<Bytes> id_number_hash{};
  std::string staff_no{};
  std::string licence_no{};
  std::string org_code{};  // unified social credit code
  TimePoint created_at{};  // set by the store
};

// One audit log row. The audit module computes prev_hash / hash; the store keeps them as is
// (it must be able to store a broken chain for the tamper tests to detect).
struct AuditRecord {
  std::int64_t seq = 0;  // 0 in append_audit: the store assigns last seq + 1
  TimePoint at{};
  std::string actor{};
  std::string action{};
  std::string object{};
  std::string outcome{};
  std::string details{};   // JSON text
  std::string hash_alg{};  // "sha256" | "sm3"
  Bytes prev_hash{};
  Bytes hash{};
  // The organization the entry concerns ("" = none, system-wide; schema version 6): what an
  // organization-scoped auditor may read (issue 16).
  std::string org{};
};

struct AuditCheckpoint {
  std::int64_t seq = 0;  // last audit seq covered
  std::int64_t tree_size = 0;
  Bytes root_hash{};
  Bytes signature{};
  KeyId key_ref{};  // the key that signed the checkpoint
  TimePoint signed_at{};
};

// The Merkle tree hash (RFC 9162 2.1.1) of a perfect, aligned subtree of the audit log's
// checkpoint tree: the leaves (entries) with 0-based indexes index·2^height ..
// (index+1)·2^height - 1, i.e. seqs index·2^height + 1 .. (index+1)·2^height. A cache the audit
// module derives from the entries (schema version 11), never evidence by itself.
struct AuditSubtree {
  int height = 0;
  std::int64_t index = 0;
  Bytes hash{};
};

// An audit entry's seq and stored hash, without the rest of the row.
struct AuditEntryHash {
  std::int64_t seq = 0;
  Bytes hash{};
};

// An exported evidence package, kept for renewal (issue 21, evidence/exporter.h).
struct EvidenceRecord {
  std::string id{};
  std::string org{};     // the signer certificate's organization
  std::string serial{};  // the signer certificate's serial (hex)
  std::int64_t renewals = 0;
  TimePoint tsa_until{};   // notAfter of the newest timestamp's TSA certificate
  TimePoint stamped_at{};  // genTime of the newest timestamp
  Bytes package{};         // the ZIP as last renewed
  TimePoint created_at{};  // set by the store
  TimePoint updated_at{};  // set by the store
};

struct KeyRefRecord {
  KeyId id{};                // the key's id (core/key_id.h)
  std::string store_kind{};  // "file" | "pkcs11"
  std::string label{};
  std::string key_type{};
  TimePoint created_at{};  // set by the store
};

struct ApiKeyRecord {
  std::string id{};
  Bytes hash{};  // keyed hash of the secret; the secret itself is never stored
  std::string role{};
  std::string org{};
  TimePoint created_at{};  // set by the store
  std::optional<TimePoint> revoked_at{};
};

// --- mobile co-signing (issue 19; cosign/). Ids are the service's ("enr-...", "dev-...",
// "sr-...", "qr-..."); states are the service's words, stored as text.

struct CosignEnrollmentRecord {
  std::string id{};
  std::string org{};
  std::int64_t subject_id = 0;
  std::string algorithm{};  // "sm2" | "ecdsa-p256"
  Bytes code_hash{};        // keyed hash of the enrollment code (unique)
  std::string state{};      // open, started, completed, expired, cancelled, locked
  std::int64_t attempts = 0;
  std::string created_by{};
  TimePoint expires_at{};
  Bytes challenge{};                  // the WebAuthn registration challenge
  std::optional<Bytes> share{};       // hpki's sealed share (SM2, after keygen)
  std::optional<Bytes> public_key{};  // SPKI of the joint / the phone's key
  std::optional<Bytes> csr_info{};    // the CertificationRequestInfo hpki built
  std::optional<Bytes> sign_r{};      // r of the CSR's two-party signature (SM2)
  std::string device_id{};            // once completed
  TimePoint created_at{};             // set by the store
  TimePoint updated_at{};             // set by the store
};

struct CosignDeviceRecord {
  std::string id{};
  std::string org{};
  std::int64_t subject_id = 0;
  std::string algorithm{};
  std::string status{};          // active, locked, revoked
  Bytes token_hash{};            // keyed hash of the device token (unique)
  Bytes public_key{};            // SPKI of the signing key
  std::optional<Bytes> share{};  // hpki's sealed share (SM2)
  std::string ca_id{};
  std::string serial{};  // the certificate (hex)
  std::string name{};
  std::string user_agent{};
  std::optional<Bytes> credential_id{};   // WebAuthn
  std::optional<Bytes> credential_key{};  // its SPKI (ES256)
  std::int64_t sign_count = 0;
  std::int64_t credential_flags = 0;  // WebAuthn flags at registration (BE is checked)
  std::int64_t pin_failures = 0;
  std::optional<Bytes> handwriting{};    // PNG
  std::optional<std::string> strokes{};  // JSON
  TimePoint created_at{};                // set by the store
  TimePoint updated_at{};                // set by the store
};

struct SigningRequestRecord {
  std::string id{};
  std::string org{};
  std::int64_t subject_id = 0;  // 0: no signer yet (claimed by a QR scan)
  std::string created_by{};
  std::string state{};   // pending, approved, signed, rejected, expired, failed
  std::string format{};  // raw, cms, cms-detached, pdf
  bool timestamp = false;
  Bytes document{};
  std::string summary{};  // JSON object
  std::string callback_url{};
  Bytes nonce{};
  TimePoint expires_at{};
  std::string device_id{};  // the approving device
  std::string approval{};   // how it was approved: webauthn | pin
  std::optional<Bytes> to_be_signed{};
  std::optional<TimePoint> signing_time{};
  std::optional<Bytes> sign_r{};
  std::optional<Bytes> result{};
  std::string error{};
  std::optional<Bytes> handwriting{};
  std::int64_t seq = 0;  // event sequence of the last change (counter "cosign.event")
  std::optional<TimePoint> signed_at{};
  // Format pdf (schema 10): the options given at creation (JSON object, "" otherwise); from the
  // approval on the prepared PDF (the document plus the signature field, /Contents a hole) and
  // its /ByteRange as "0 a b c" (cosign::Service, docs/cosign.md §3).
  std::string pdf_options{};
  std::optional<Bytes> prepared{};
  std::string byte_range{};
  TimePoint created_at{};  // set by the store
  TimePoint updated_at{};  // set by the store
};

struct QrSessionRecord {
  std::string id{};
  std::string kind{};   // login, sign
  std::string state{};  // created, scanned, confirmed, consumed, expired, cancelled
  Bytes secret_hash{};  // hash of the PC's secret (cookie)
  std::int64_t number = 0;
  std::string pc_ip{};
  std::string pc_user_agent{};
  std::string request_id{};  // kind sign
  std::string org{};         // once scanned
  std::int64_t subject_id = 0;
  std::string device_id{};
  std::optional<Bytes> ticket{};  // a confirmed login's one-time ticket (with the secret)
  TimePoint expires_at{};
  TimePoint created_at{};  // set by the store
  TimePoint updated_at{};  // set by the store
};

struct WebhookDeliveryRecord {
  std::int64_t id = 0;  // assigned by the database
  std::string request_id{};
  std::int64_t attempt = 0;
  std::string url{};
  std::int64_t status = 0;  // HTTP status, 0 when no answer
  std::string detail{};
  TimePoint created_at{};  // set by the store
};

// --- electronic seals (issue 20; seal/). Ids are the service's ("seal-..."); kind and state are
// the service's words, stored as text (the schema checks them).
struct SealRecord {
  std::string id{};
  std::string org{};
  std::string kind{};  // organization, personal, handwriting
  std::string name{};
  std::optional<std::int64_t> subject_id{};  // subjects.id of a personal seal's owner
  std::string algorithm{};                   // sm2, rsa, ecdsa: the family of its certificates
  Bytes image{};                             // PNG
  std::int64_t width_mm = 0;
  std::int64_t height_mm = 0;
  std::string es_id{};                         // GB/T 38540 esID (SM2 seals), else ""
  std::optional<Bytes> seal_der{};             // the GB/T 38540 SESeal (SM2 seals)
  std::string maker_key{};                     // the registered key that made the SESeal, else ""
  std::vector<std::string> allowed_serials{};  // serials (hex) of the allowed certificates
  std::vector<std::string> allowed_certs{};    // the allowed certificates, base64 DER
  TimePoint valid_from{};
  TimePoint valid_to{};
  std::string state{};  // active, revoked
  std::optional<TimePoint> revoked_at{};
  std::string reason{};
  std::string created_by{};
  TimePoint created_at{};  // set by the store
  TimePoint updated_at{};  // set by the store
};

// One RFC 3161 token issued by the TSA (issue 7): written before the token is signed (the
// durable record of DESIGN.md principle 2), the token DER added once signed.
struct TimestampRecord {
  std::int64_t serial = 0;       // TSTInfo serialNumber (the "tsa.serial" counter)
  std::string tsa_id{};          // e.g. "sm2-tsa"
  TimePoint gen_time{};          // TSTInfo genTime (whole seconds)
  std::string hash_alg{};        // messageImprint hash, e.g. "sha256", "sm3"
  Bytes imprint{};               // messageImprint hashedMessage
  std::string policy{};          // TSTInfo policy OID, dotted
  std::optional<Bytes> nonce{};  // INTEGER content octets
  std::string requester{};       // e.g. "ip:127.0.0.1", "api-key:his-01"
  // The requester's organization when known (a signature service call; schema version 6), ""
  // for anonymous RFC 3161 requests: organization-scoped callers read only their own.
  std::string org{};
  // The token (ContentInfo DER) once signed. With cert_req it is stored without its
  // certificates field: the TSA's certificate and chain are in `cas`, and the TSA puts them back
  // when it hands the token out (TsaService::get), byte for byte as issued.
  std::optional<Bytes> token{};
  TimePoint created_at{};  // set by the store
  bool cert_req = false;   // the request's certReq (schema version 5; false in older rows)
};

// A generated CRL (issue 6), stored so that several nodes serve the same bytes.
struct CrlRecord {
  std::string name{};  // URL name: "rsa-issuing", "rsa-issuing-3", "rsa-issuing-delta", ...
  std::int64_t crl_number = 0;  // RFC 5280 5.2.3 cRLNumber
  std::string ca_id{};
  std::int64_t shard = -1;  // the CRL shard (crl_shard of its certificates); -1: all of the CA's
  bool delta = false;
  std::optional<std::int64_t> base_crl_number{};  // delta CRLs: RFC 5280 5.2.4 BaseCRLNumber
  TimePoint this_update{};
  TimePoint next_update{};
  std::int64_t entries = 0;  // revokedCertificates entries
  Bytes der{};               // empty when read without DER
  TimePoint created_at{};    // set by the store
};

// A certificate's status as the OCSP responder answers it (RFC 6960 2.2; issue 6): its row in
// `certificates` with its revocation, when there is one.
struct CertStatusRecord {
  Serial serial{};
  CertStatus status = CertStatus::kIssued;
  TimePoint updated_at{};                 // certificates.updated_at: when the status last changed
  std::optional<int> reason{};            // revocations.reason (RFC 5280 5.3.1 CRLReason code)
  std::optional<TimePoint> revoked_at{};  // revocations.revoked_at
};

// A pre-signed OCSP response (issue 6), shared by every responder node: the newest one per
// certificate and the window it covers.
struct OcspResponseRecord {
  std::string ca_id{};
  Serial serial{};
  std::string status{};  // the response's CertStatus: "good" | "revoked" | "unknown"
  TimePoint this_update{};
  TimePoint next_update{};
  Bytes der{};  // the OCSPResponse
};

// Certificate search (issue 4 "search"). Empty / absent fields do not filter.
struct CertificateFilter {
  std::optional<std::string> ca_id{};
  std::string serial_prefix{};        // hex, any case, colons and a leading "0x" allowed
  std::string subject_contains{};     // substring of the subject, ASCII case-insensitive
  std::optional<std::string> org{};   // exact
  std::optional<std::string> dept{};  // exact
  std::optional<std::string> profile{};
  std::optional<std::int64_t> subject_id{};
  // Certificates of the subjects with this identity-number hash (one per organization).
  std::optional<Bytes> subject_id_number_hash{};
  std::vector<CertStatus> statuses{};  // any of these
  // Expiring within D at time T: {.not_after_from = T, .not_after_to = T + D}.
  std::optional<TimePoint> not_after_from{};  // not_after >= this
  std::optional<TimePoint> not_after_to{};    // not_after <= this
  std::int64_t limit = 100;                   // 1..kMaxSearchLimit
  std::int64_t offset = 0;
};
inline constexpr std::int64_t kMaxSearchLimit = 10000;

class Tx {
 public:
  virtual ~Tx() = default;
  [[nodiscard]] virtual Dialect dialect() const noexcept = 0;

  // --- CAs
  // kConflict when the id exists; kConflict (foreign key) when parent_id is unknown;
  // kInvalidArgument for an empty id or key id.
  [[nodiscard]] virtual Result<void> insert_ca(const CaRecord& ca) = 0;
  [[nodiscard]] virtual Result<CaRecord> get_ca(std::string_view id) = 0;
  // Ordered by created_at, id.
  [[nodiscard]] virtual Result<std::vector<CaRecord>> list_cas() = 0;

  // --- certificates (the issuance pipeline)
  // The issuance pipeline's one write: the record as given (status, DER: normally kIssued with
  // the signed certificate). kConflict when (ca_id, serial) exists — the transaction stays
  // usable, so the caller may draw another serial; kConflict (foreign key) for an unknown CA.
  // Deferrable (when deferred, the transaction does not stay usable after kConflict).
  [[nodiscard]] virtual Result<void> insert_certificate(const CertificateRecord& rec) = 0;
  // insert_subject(s) and insert_certificate(rec) with subject_id = the new subject, in one
  // round trip on PostgreSQL; returns the subject's id. kConflict as insert_certificate, and
  // then no subject is written either. Never deferred (it answers with the id).
  [[nodiscard]] virtual Result<std::int64_t> insert_certificate_with_subject(
      const CertificateRecord& rec, const SubjectRecord& s) = 0;
  // insert_certificate_with_subject without the subject's id, so that it is deferrable.
  [[nodiscard]] virtual Result<void> insert_certificate_with_new_subject(
      const CertificateRecord& rec, const SubjectRecord& s) = 0;
  // Sets the status; with `expected`, only when the current status is that one (else
  // kConflict). kNotFound when there is no such record.
  [[nodiscard]] virtual Result<void> set_status(std::string_view ca_id, const Serial& serial,
                                                CertStatus to,
                                                std::optional<CertStatus> expected) = 0;
  [[nodiscard]] virtual Result<CertificateRecord> get_certificate(std::string_view ca_id,
                                                                  const Serial& serial) = 0;
  // All CAs' certificates with this serial (normally zero or one).
  [[nodiscard]] virtual Result<std::vector<CertificateRecord>> find_certificates_by_serial(
      const Serial& serial) = 0;
  // Newest first (created_at desc, then ca_id, serial); kInvalidArgument on a bad filter.
  [[nodiscard]] virtual Result<std::vector<CertificateRecord>> search_certificates(
      const CertificateFilter& filter) = 0;
  // Number of matches of the filter, ignoring limit and offset.
  [[nodiscard]] virtual Result<std::int64_t> count_certificates(
      const CertificateFilter& filter) = 0;
  // Reservations left by a crash of a version before schema 7 (status kIssuing, no DER): only
  // a schema-6 database has them, so only the upgrade step (StoreOptions::before_migration)
  // asks.
  [[nodiscard]] virtual Result<std::vector<LegacyReservation>> list_legacy_reservations() = 0;

  // --- revocations
  // kConflict when one exists for (ca_id, serial); kConflict (foreign key) when the
  // certificate does not exist.
  [[nodiscard]] virtual Result<void> insert_revocation(const RevocationRecord& rev) = 0;
  // Release from hold. kNotFound when there is none.
  [[nodiscard]] virtual Result<void> delete_revocation(std::string_view ca_id,
                                                       const Serial& serial) = 0;
  [[nodiscard]] virtual Result<std::optional<RevocationRecord>> find_revocation(
      std::string_view ca_id, const Serial& serial) = 0;
  // Revocations of a CA (for its CRL), optionally of one CRL shard; ordered by serial.
  [[nodiscard]] virtual Result<std::vector<RevocationRecord>> list_revocations(
      std::string_view ca_id, std::optional<std::int64_t> crl_shard) = 0;

  // --- subjects
  // Returns the new id. kConflict when another subject of the same organization has the
  // id_number_hash (issue 16: the same person in two organizations is two records).
  [[nodiscard]] virtual Result<std::int64_t> insert_subject(const SubjectRecord& s) = 0;
  [[nodiscard]] virtual Result<SubjectRecord> get_subject(std::int64_t id) = 0;
  // Replaces every field but id and created_at. kNotFound when absent.
  [[nodiscard]] virtual Result<void> update_subject(const SubjectRecord& s) = 0;
  // kNotFound when absent; kConflict while certificates refer to it.
  [[nodiscard]] virtual Result<void> delete_subject(std::int64_t id) = 0;
  // The subject of organization `org` with this identity-number hash.
  [[nodiscard]] virtual Result<std::optional<SubjectRecord>> find_subject_by_id_hash(
      std::string_view org, BytesView id_number_hash) = 0;
  // Ordered by id; `kind` / `org` filter when given.
  [[nodiscard]] virtual Result<std::vector<SubjectRecord>> list_subjects(
      std::optional<SubjectKind> kind, std::optional<std::string> org, std::int64_t limit,
      std::int64_t offset) = 0;

  // --- audit log
  // Serialises appenders until the end of this transaction (across processes and nodes) and
  // returns the last entry (none when the log is empty). Call it before computing the next
  // entry's hash chain link, then append_audit in the same transaction. Needs the database's
  // answer the first time in a transaction (and sends what is deferred with its query).
  [[nodiscard]] virtual Result<std::optional<AuditRecord>> lock_audit_tail() = 0;
  // Appends and returns the seq; seq 0 means last seq + 1. kConflict when seq is taken;
  // kInvalidArgument when a given seq is not greater than the last one. The entries are
  // written together before the next read of the audit log and at commit (one multi-row
  // INSERT, deferrable): kConflict may come from there.
  [[nodiscard]] virtual Result<std::int64_t> append_audit(const AuditRecord& e) = 0;
  // Entries with from_seq <= seq, ascending, at most `limit`; with `org`, only the entries of
  // that organization.
  [[nodiscard]] virtual Result<std::vector<AuditRecord>> read_audit(
      std::int64_t from_seq, std::int64_t limit, std::optional<std::string> org = {}) = 0;
  // Entries whose object is one of `objects` (at most 64), ascending by seq, at most `limit`
  // (evidence packages, issue 21).
  [[nodiscard]] virtual Result<std::vector<AuditRecord>> find_audit(
      const std::vector<std::string>& objects, std::int64_t limit) = 0;
  [[nodiscard]] virtual Result<std::optional<AuditRecord>> last_audit() = 0;
  // kConflict when a checkpoint at c.seq exists; kInvalidArgument without a key id.
  [[nodiscard]] virtual Result<void> insert_checkpoint(const AuditCheckpoint& c) = 0;
  // Ascending by seq.
  [[nodiscard]] virtual Result<std::vector<AuditCheckpoint>> list_checkpoints() = 0;
  // The seq and hash of the entries with from_seq <= seq, ascending, at most `limit` (>= 1,
  // else kInvalidArgument): the Merkle tree's leaves without the cost of whole rows.
  [[nodiscard]] virtual Result<std::vector<AuditEntryHash>> read_audit_hashes(
      std::int64_t from_seq, std::int64_t limit) = 0;
  // The cache of Merkle subtree hashes (AuditSubtree): stores each given subtree, replacing
  // a stored one of the same (height, index), in few statements. kInvalidArgument for a
  // negative height or index. Nothing checks a hash against the entries: the audit module does.
  [[nodiscard]] virtual Result<void> put_audit_subtrees(std::span<const AuditSubtree> s) = 0;
  // The cached hash of one subtree; none when it is not cached.
  [[nodiscard]] virtual Result<std::optional<Bytes>> get_audit_subtree(int height,
                                                                       std::int64_t index) = 0;
  // Every cached subtree with height >= min_height, ordered by height, index.
  [[nodiscard]] virtual Result<std::vector<AuditSubtree>> list_audit_subtrees(int min_height) = 0;

  // --- evidence packages (issue 21)
  // kConflict when the id exists.
  [[nodiscard]] virtual Result<void> insert_evidence(const EvidenceRecord& r) = 0;
  // kNotFound when absent.
  [[nodiscard]] virtual Result<EvidenceRecord> get_evidence(std::string_view id) = 0;
  // Packages due for renewal, the longest unstamped first, at most `limit` (1..100), with their
  // bytes: tsa_until <= tsa_until_by, or (with stamped_by) stamped_at <= stamped_by; and in
  // either case stamped_at <= not_stamped_after.
  [[nodiscard]] virtual Result<std::vector<EvidenceRecord>> due_evidence(
      TimePoint tsa_until_by, std::optional<TimePoint> stamped_by, TimePoint not_stamped_after,
      std::int64_t limit) = 0;
  // Replaces the package, renewals, tsa_until and stamped_at of r.id when its stored renewals
  // count is still
  // `expected_renewals` (kConflict otherwise: another node renewed it; kNotFound when absent).
  [[nodiscard]] virtual Result<void> update_evidence(const EvidenceRecord& r,
                                                     std::int64_t expected_renewals) = 0;

  // --- key references, API keys
  // Key references by key id: kConflict when the id exists, kInvalidArgument for an empty id.
  [[nodiscard]] virtual Result<void> insert_key_ref(const KeyRefRecord& k) = 0;
  [[nodiscard]] virtual Result<KeyRefRecord> get_key_ref(const KeyId& id) = 0;
  [[nodiscard]] virtual Result<std::vector<KeyRefRecord>> list_key_refs() = 0;
  [[nodiscard]] virtual Result<void> insert_api_key(const ApiKeyRecord& k) = 0;
  [[nodiscard]] virtual Result<std::optional<ApiKeyRecord>> find_api_key_by_hash(
      BytesView hash) = 0;
  // Every API key and operator registration (revoked ones included), ordered by created_at, id.
  [[nodiscard]] virtual Result<std::vector<ApiKeyRecord>> list_api_keys() = 0;
  // kNotFound when absent or already revoked.
  [[nodiscard]] virtual Result<void> revoke_api_key(std::string_view id, TimePoint at) = 0;

  // --- mobile co-signing (issue 19). insert_*: kConflict for a taken id or unique hash;
  // get_*: kNotFound; update_*: every field but id and created_at, kNotFound when absent.
  [[nodiscard]] virtual Result<void> insert_cosign_enrollment(const CosignEnrollmentRecord& r) = 0;
  [[nodiscard]] virtual Result<CosignEnrollmentRecord> get_cosign_enrollment(
      std::string_view id) = 0;
  [[nodiscard]] virtual Result<std::optional<CosignEnrollmentRecord>>
  find_cosign_enrollment_by_code(BytesView code_hash) = 0;
  [[nodiscard]] virtual Result<void> update_cosign_enrollment(const CosignEnrollmentRecord& r) = 0;
  [[nodiscard]] virtual Result<void> insert_cosign_device(const CosignDeviceRecord& r) = 0;
  [[nodiscard]] virtual Result<CosignDeviceRecord> get_cosign_device(std::string_view id) = 0;
  [[nodiscard]] virtual Result<std::optional<CosignDeviceRecord>> find_cosign_device_by_token(
      BytesView token_hash) = 0;
  [[nodiscard]] virtual Result<void> update_cosign_device(const CosignDeviceRecord& r) = 0;
  // Devices of a subject, ordered by created_at, id.
  [[nodiscard]] virtual Result<std::vector<CosignDeviceRecord>> list_cosign_devices(
      std::string_view org, std::int64_t subject_id) = 0;
  [[nodiscard]] virtual Result<void> insert_signing_request(const SigningRequestRecord& r) = 0;
  [[nodiscard]] virtual Result<SigningRequestRecord> get_signing_request(std::string_view id) = 0;
  [[nodiscard]] virtual Result<void> update_signing_request(const SigningRequestRecord& r) = 0;
  // Requests of a subject of `org` with seq > after_seq, in `states` when not empty (any
  // otherwise), ordered by seq, at most `limit` (1..kMaxSearchLimit); `with_documents` false
  // leaves document, to_be_signed, result and handwriting empty.
  [[nodiscard]] virtual Result<std::vector<SigningRequestRecord>> list_signing_requests(
      std::string_view org, std::int64_t subject_id, std::span<const std::string> states,
      std::int64_t after_seq, std::int64_t limit, bool with_documents) = 0;
  [[nodiscard]] virtual Result<void> insert_qr_session(const QrSessionRecord& r) = 0;
  [[nodiscard]] virtual Result<QrSessionRecord> get_qr_session(std::string_view id) = 0;
  [[nodiscard]] virtual Result<void> update_qr_session(const QrSessionRecord& r) = 0;
  // Returns the id.
  [[nodiscard]] virtual Result<std::int64_t> insert_webhook_delivery(
      const WebhookDeliveryRecord& r) = 0;
  // Ordered by id.
  [[nodiscard]] virtual Result<std::vector<WebhookDeliveryRecord>> list_webhook_deliveries(
      std::string_view request_id) = 0;

  // --- electronic seals (issue 20). insert_seal: kConflict for a taken id, kInvalidArgument
  // for an empty id; get_seal: kNotFound; update_seal: every field but id and created_at,
  // kNotFound when absent.
  [[nodiscard]] virtual Result<void> insert_seal(const SealRecord& r) = 0;
  [[nodiscard]] virtual Result<SealRecord> get_seal(std::string_view id) = 0;
  [[nodiscard]] virtual Result<void> update_seal(const SealRecord& r) = 0;
  // Seals of `org` (every organization when empty), ordered by created_at, id; at most `limit`
  // (1..kMaxSearchLimit) from `offset`; `with_images` false leaves image and seal_der empty.
  [[nodiscard]] virtual Result<std::vector<SealRecord>> list_seals(std::string_view org,
                                                                   std::int64_t limit,
                                                                   std::int64_t offset,
                                                                   bool with_images) = 0;

  // --- CRLs (issue 6)
  // kConflict when (name, crl_number) exists; kConflict (foreign key) for an unknown CA;
  // kInvalidArgument for an empty name or DER.
  [[nodiscard]] virtual Result<void> insert_crl(const CrlRecord& crl) = 0;
  // The CRL of that name with the highest number (none when there is none); `with_der` false
  // leaves der empty (a cheap freshness check).
  [[nodiscard]] virtual Result<std::optional<CrlRecord>> latest_crl(std::string_view name,
                                                                    bool with_der) = 0;
  // Deletes all but the `keep` (>= 1) highest-numbered CRLs of that name; returns how many.
  [[nodiscard]] virtual Result<std::int64_t> prune_crls(std::string_view name, int keep) = 0;

  // --- OCSP (issue 6): the statuses the responder signs, the responses it pre-signed
  // The status rows of the CA's certificates whose updated_at is at or after `since`, in one
  // statement.
  [[nodiscard]] virtual Result<std::vector<CertStatusRecord>> cert_statuses_since(
      std::string_view ca_id, TimePoint since) = 0;
  // The status row of one certificate; none when the CA has no such serial.
  [[nodiscard]] virtual Result<std::optional<CertStatusRecord>> cert_status(
      std::string_view ca_id, const Serial& serial) = 0;
  // The status rows of those of `serials` the CA has, in any order; one statement per 32
  // serials (fewer for the rest).
  [[nodiscard]] virtual Result<std::vector<CertStatusRecord>> cert_statuses(
      std::string_view ca_id, std::span<const Serial> serials) = 0;
  // The CA's stored responses, in one statement.
  [[nodiscard]] virtual Result<std::vector<OcspResponseRecord>> list_ocsp_responses(
      std::string_view ca_id) = 0;
  // Stores responses in few statements (up to 32 rows each): inserted, or replacing the stored
  // response of the same (ca_id, serial) unless that one has a later this_update (then it is
  // kept). A (ca_id, serial) must appear at most once in `responses`: PostgreSQL refuses a
  // statement that names a key twice (kStorage).
  [[nodiscard]] virtual Result<void> upsert_ocsp_responses(
      std::span<const OcspResponseRecord> responses) = 0;

  // --- counters (CRL numbers, TSA serials)
  // Takes the next `count` (>= 1) values of the named counter (a new counter starts at 1) and
  // returns the first; the others follow it. Strictly increasing in commit order across
  // threads, processes and nodes; a value is never handed out twice. One statement whatever
  // `count` is.
  [[nodiscard]] virtual Result<std::int64_t> reserve_counter(std::string_view name,
                                                             std::int64_t count) = 0;
  // The next value of the named counter: reserve_counter(name, 1).
  [[nodiscard]] Result<std::int64_t> next_counter(std::string_view name) {
    return reserve_counter(name, 1);
  }

  // --- timestamps (issue 7)
  // Records in few statements (multi-row INSERTs), with their tokens; kConflict when a serial
  // exists (then nothing may be kept: the caller rolls the transaction back). Deferrable.
  [[nodiscard]] virtual Result<void> insert_timestamps(std::span<const TimestampRecord> ts) = 0;
  [[nodiscard]] Result<void> insert_timestamp(const TimestampRecord& t) {
    return insert_timestamps(std::span(&t, 1));
  }
  // Stores the signed tokens of recorded timestamps in few statements (appended to
  // timestamp_tokens); kNotFound when a serial is not recorded, kConflict when it already has a
  // token (a token is never replaced).
  struct TimestampToken {
    std::int64_t serial = 0;
    BytesView token;
  };
  [[nodiscard]] virtual Result<void> set_timestamp_tokens(std::span<const TimestampToken> ts) = 0;
  [[nodiscard]] Result<void> set_timestamp_token(std::int64_t serial, BytesView token) {
    const TimestampToken t{.serial = serial, .token = token};
    return set_timestamp_tokens(std::span(&t, 1));
  }
  [[nodiscard]] virtual Result<TimestampRecord> get_timestamp(std::int64_t serial) = 0;
  // The latest genTime recorded (the TSA's clock-safety check), none when there is none.
  [[nodiscard]] virtual Result<std::optional<TimePoint>> last_timestamp_time() = 0;
};

struct StoreOptions {
  int max_retries = 8;  // extra runs of a transaction after a transient failure
  std::chrono::milliseconds busy_timeout{5000};  // SQLite lock wait
  int pool_size = 8;                             // PostgreSQL connections at most
  // For tests of the refusal only: the newest schema version this binary applies.
  std::optional<int> target_schema_version{};
  // Data steps of an upgrade that need modules above the store (the audit chain): called in the
  // migration's transaction, with a Tx on it, before the SQL of each step applied (`version`).
  // A step whose data needs it fails without it, with the reason (e.g. 7: reservations of
  // an older version left by a crash; ca::open_home_database supplies it).
  std::function<Result<void>(Tx& tx, int version)> before_migration{};
};

// Names the operation of the transactions a thread runs, for the transaction observer (metrics:
// database latency by operation). RAII: restores the previous label. `op` must outlive the scope
// (use string literals).
class TxLabel {
 public:
  explicit TxLabel(std::string_view op) noexcept;
  ~TxLabel();
  TxLabel(const TxLabel&) = delete;
  TxLabel& operator=(const TxLabel&) = delete;
  // The calling thread's label; "other" outside any scope.
  [[nodiscard]] static std::string_view current() noexcept;

 private:
  std::string_view previous_;
};

// Called after every transact() with the thread's TxLabel, the wall time of the whole call
// (retries included) and whether it committed. Must be thread-safe, quick, and not throw.
using TxObserver = std::function<void(std::string_view op, std::chrono::nanoseconds, bool ok)>;

class Store {
 public:
  using TxFn = std::function<Result<void>(Tx&)>;

  virtual ~Store() = default;
  // Sets the transaction observer (before the store is shared between threads).
  void set_observer(TxObserver o) { observer_ = std::move(o); }
  [[nodiscard]] virtual Dialect dialect() const noexcept = 0;
  // Runs fn in a transaction; see the file comment for commit, rollback and retries.
  // Thread-safe. fn must not call transact() on the same store (SQLite would deadlock).
  [[nodiscard]] virtual Result<void> transact(const TxFn& fn) = 0;
  // Runs fn in a read-only transaction on a consistent snapshot; fn must not write (SQLite
  // refuses writes there with kStorage). SQLite runs these on separate reader connections,
  // concurrently with the writer (WAL), so reads never queue behind a commit; PostgreSQL runs
  // them like transact(). Same retries, observer and thread-safety as transact().
  [[nodiscard]] virtual Result<void> read(const TxFn& fn) { return transact(fn); }
  // transact() with deferred writes (the file comment: "Deferred writes"): on PostgreSQL a
  // transaction of writes that need no answer is one network round trip, plus one for each
  // operation that needs one. A failure may be returned by a later call than the one that
  // caused it: for callers that rerun a failed function in transact() to learn where it failed
  // (CommitBatcher). The same as transact() where writes are not deferred (SQLite).
  [[nodiscard]] virtual Result<void> transact_pipelined(const TxFn& fn) { return transact(fn); }
  // Whether transact_pipelined defers writes.
  [[nodiscard]] virtual bool defers_writes() const noexcept { return false; }
  // The schema version of the database (after migrations).
  [[nodiscard]] virtual Result<int> schema_version() = 0;

  // transact() for a function returning Result<T>: the value of the committed run.
  template <typename T, typename F>
  [[nodiscard]] Result<T> transact_value(F&& fn) {
    std::optional<T> out;
    HPKI_TRY(transact([&](Tx& tx) -> Result<void> {
      out.reset();
      out.emplace(HPKI_TRY(fn(tx)));
      return {};
    }));
    return std::move(*out);
  }

  // read() for a function returning Result<T>.
  template <typename T, typename F>
  [[nodiscard]] Result<T> read_value(F&& fn) {
    std::optional<T> out;
    HPKI_TRY(read([&](Tx& tx) -> Result<void> {
      out.reset();
      out.emplace(HPKI_TRY(fn(tx)));
      return {};
    }));
    return std::move(*out);
  }

  // next_counter in a transaction of its own.
  [[nodiscard]] Result<std::int64_t> next_counter(std::string_view name) {
    return transact_value<std::int64_t>([&](Tx& tx) { return tx.next_counter(name); });
  }

 protected:
  // For implementations: runs `run` (one whole transact) and reports it to the observer.
  [[nodiscard]] Result<void> observed(const std::function<Result<void>()>& run);

 private:
  TxObserver observer_;
};

// Opens (creating when needed) and migrates the database at `url`:
//   "sqlite:<path>"            a file (created with its directory's permissions)
//   "postgresql://..." / "postgres://..."   a libpq connection URI
// The clock must outlive the store. kInvalidArgument for another scheme, kSchemaMismatch
// when the database has a newer schema than this binary, kStorage / kUnavailable when it
// cannot be opened.
[[nodiscard]] Result<std::unique_ptr<Store>> open_store(std::string_view url, const Clock& clock,
                                                        const StoreOptions& options = {});

}  // namespace hpki::store
