// The certificate authority (issue 4, DESIGN.md "The issuance pipeline"): hierarchy creation and
// the certificate lifecycle — issue, renew, re-key, modify, revoke, hold, release, status, show,
// search — with crash safety and an audit entry for every state change.
//
// Issuance pipeline:
//   1. parse the CSR and check its proof of possession (or generate the key);
//   2. build the TBS from profile + subject, draw a random serial;
//   3. transaction A: reserve the serial with status `issuing` and the TBS hash (durable
//      before any signature); under concurrency A is shared by several issuances (group commit,
//      store::CommitBatcher) and each is signed only after its commit (issue() waits for it;
//      issue_async() — the server's path — continues on the executor when it committed);
//   4. lint, sign through the CA's Signer (file key, PKCS#11 ...);
//   5. transaction B: store the DER, status `issued`, audit entry (modify: also revoke the old
//      certificate with reason superseded, atomically); shared like A.
//   6. recover(): at start, `issuing` records older than the grace period are recorded as
//      never delivered and revoked, so hpki never answers "unknown" for a serial it produced.
// The service knows nothing of HTTP or the CLI; errors are values.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "ca/home.h"
#include "ca/pii.h"
#include "core/clock.h"
#include "core/random.h"
#include "crypto/keystore.h"
#include "store/commit_batcher.h"
#include "store/store.h"
#include "x509/builder.h"
#include "x509/certificate.h"
#include "x509/crl.h"
#include "x509/profile.h"

namespace hpki::ca {

using store::CaFamily;

[[nodiscard]] std::string ca_id(CaFamily family, store::CaRole role);  // "sm2-issuing", ...

// The audit checkpoint key in the file key store (SM2 when the audit hash is SM3, else P-256).
inline constexpr std::string_view kAuditKeyRef = "file:audit";

// Who asks for a certificate operation (issue 16): the audit actor and the role whose
// profile permissions apply — one of x509::kRequesterRoles ("admin", "ra_officer",
// "integration"). The CLI, run by the CA's operator with the key-store passphrase, acts as
// "admin". An empty role is refused for every profile.
struct Requester {
  std::string actor;
  std::string role;
};
inline constexpr std::string_view kAdminRole = "admin";

struct SubjectInput {
  x509::SubjectData
      data;  // names, SANs, identifiers (id_number, staff_no, licence_no, org_code ...)
};

struct KeygenOptions {
  crypto::KeySpec spec;
  SecretBytes passphrase;  // protects the returned key package
};

struct IssueRequest {
  std::string profile;
  std::optional<CaFamily> family;  // default: from the subject key type
  std::optional<Bytes> csr;        // PEM or DER
  std::optional<KeygenOptions> keygen;
  // An existing public key (DER SPKI) whose private key hpki holds itself (e.g. the API's TLS
  // key); no proof of possession is asked for. Not reachable from the CLI or the API.
  std::optional<Bytes> internal_spki;
  SubjectInput subject;  // empty fields are taken from the CSR subject
  std::optional<int> days;
  Requester requester;  // checked against the profile's requesters
};

struct IssueResult {
  std::string ca_id;
  std::string serial;  // lowercase hex
  Bytes der;
  std::vector<Bytes> chain;  // issuing CA first, root last
  TimePoint not_after{};
  std::string status = "issued";
  // Server-side key generation: PKCS#12 (RSA/ECDSA) or encrypted PKCS#8 PEM (SM2).
  std::optional<Bytes> key_package;
  std::string key_package_format;  // "pkcs12" | "pkcs8-pem"
};

struct CertStatusInfo {
  std::string ca_id;
  std::string serial;
  store::CertStatus status = store::CertStatus::kIssued;
  std::optional<x509::RevocationReason> reason;
  std::optional<TimePoint> revoked_at;
  std::optional<TimePoint> invalidity_date;
  // "good" | "revoked" | "hold" (never_delivered reports "revoked").
  [[nodiscard]] std::string_view word() const;
};

struct CertView {
  store::CertificateRecord record;
  std::optional<CertStatusInfo> status;
  std::map<std::string, std::string> identifiers_masked;  // from the subject record
};

// A subject record (staff member, organization, device) as shown to operators: identifiers
// masked, never the clear identity number.
struct SubjectView {
  store::SubjectRecord record;  // id_number_enc / id_number_hash cleared
  std::string id_number_masked;
};

struct SubjectChange {
  store::SubjectKind kind = store::SubjectKind::kStaff;
  x509::SubjectData data;  // common_name, organization, department, province, city, emails,
                           // dns_names, identifiers (id_number, staff_no, licence_no, org_code)
};

struct InitHierarchyOptions {
  std::vector<CaFamily> families{CaFamily::kRsa, CaFamily::kSm2};
  bool hsm = false;  // RSA/ECDSA CA keys on the PKCS#11 token
  std::string actor = "cli";
};

// A committed change of a certificate's status (issued, revoked, hold, released, superseded,
// never delivered). Delivered after the transaction commits, on the caller's thread; listeners
// (the OCSP responder re-signs, the CRL publisher regenerates) must be quick and must not throw.
struct StatusChange {
  std::string ca_id;
  std::string serial;
  std::string action;  // "issue" | "renew" | "rekey" | "modify" | "revoke" | "hold" | "release" |
                       // "never_delivered"
};
using StatusListener = std::function<void(const StatusChange&)>;

// Everything the service needs, owned by the caller (the runtime / tests).
struct CaDeps {
  const HomeConfig* home = nullptr;
  store::Store* store = nullptr;
  crypto::KeyStore* file_keys = nullptr;
  crypto::KeyStore* hsm_keys = nullptr;  // optional
  const PiiProtector* pii = nullptr;
  audit::AuditLog* audit = nullptr;
  const Clock* clock = nullptr;
  Random* random = nullptr;
  const std::map<std::string, x509::Profile>* profiles = nullptr;
  StatusListener on_status_change;  // optional
};

class CaService {
 public:
  // deps.store must be set; the service runs its pipeline writes through a CommitBatcher on it.
  explicit CaService(CaDeps deps);

  // Replaces the status listener (set it before the service is shared between threads).
  void set_status_listener(StatusListener l) { d_.on_status_change = std::move(l); }

  // Creates root, issuing, OCSP responder and TSA certificates per family. kAlreadyExists when
  // the family's CAs exist.
  [[nodiscard]] Result<void> init_hierarchy(const InitHierarchyOptions& o);
  [[nodiscard]] Result<std::vector<store::CaRecord>> list_cas();
  // PEM chain: issuing CA first, root last.
  [[nodiscard]] Result<std::vector<Bytes>> chain(CaFamily family);
  // The chain of a CA by id: that CA's certificate first, its root last.
  [[nodiscard]] Result<std::vector<Bytes>> chain_of(const std::string& ca_id);

  [[nodiscard]] Result<IssueResult> issue(const IssueRequest& r);

  // issue() for servers: returns at once; `done` gets what issue() would have returned,
  // exactly once, on an executor thread (or this thread for a request refused at once). No
  // thread waits for the two commits: the steps run as tasks on the executor, handed on by the
  // group-commit batcher. Without an executor the tasks run where they are posted (the
  // committer thread included): serve sets one. drain_async() waits until every issuance
  // (and record_event_async) started this way has called `done` (at shutdown).
  using IssueDone = std::function<void(Result<IssueResult>)>;
  using Executor = std::function<void(std::function<void()>)>;
  void set_executor(Executor e);  // before the service is shared between threads
  void issue_async(IssueRequest r, IssueDone done);
  void drain_async();
  [[nodiscard]] std::size_t async_in_flight() const;
  // Runs `task` on the executor (or here without one).
  void post(std::function<void()> task);
  // The lifecycle operations below act on the certificate with `serial` and are refused with
  // kPermissionDenied unless its profile lists `by.role` among its requesters (issue 16: a
  // trust-service certificate is renewed, re-keyed or revoked by an admin only).
  // Same key, new validity and serial.
  [[nodiscard]] Result<IssueResult> renew(std::string_view serial, std::optional<int> days,
                                          const Requester& by);
  // New key (CSR or keygen); the subject stays.
  [[nodiscard]] Result<IssueResult> rekey(std::string_view serial, std::optional<Bytes> csr,
                                          std::optional<KeygenOptions> keygen, const Requester& by);
  // New certificate with changed subject data; the old one is revoked (superseded) atomically.
  [[nodiscard]] Result<IssueResult> modify(std::string_view serial, const SubjectInput& changes,
                                           const Requester& by);
  [[nodiscard]] Result<CertStatusInfo> revoke(std::string_view serial,
                                              x509::RevocationReason reason,
                                              std::optional<TimePoint> invalidity_date,
                                              const Requester& by);
  [[nodiscard]] Result<CertStatusInfo> hold(std::string_view serial, const Requester& by);
  [[nodiscard]] Result<CertStatusInfo> release(std::string_view serial, const Requester& by);
  [[nodiscard]] Result<CertStatusInfo> status(std::string_view serial);
  [[nodiscard]] Result<CertView> show(std::string_view serial);
  // With `id_number`: the certificates of the subjects with that identity number (of f.org when
  // given — an organization-scoped caller's own only).
  [[nodiscard]] Result<std::vector<store::CertificateRecord>> search(
      store::CertificateFilter f, std::optional<std::string> id_number = {});

  // Subject records (RA data from which certificate subjects are built). Each change is audited.
  // An identity number is unique within an organization; the same person in two organizations
  // is two records (issue 16), and nothing here tells one organization about the other's.
  [[nodiscard]] Result<SubjectView> create_subject(const SubjectChange& s,
                                                   const std::string& actor);
  [[nodiscard]] Result<SubjectView> get_subject(std::int64_t id);
  [[nodiscard]] Result<SubjectView> update_subject(std::int64_t id, const SubjectChange& s,
                                                   const std::string& actor);
  [[nodiscard]] Result<void> delete_subject(std::int64_t id, const std::string& actor);
  [[nodiscard]] Result<std::vector<SubjectView>> list_subjects(
      std::optional<store::SubjectKind> kind, std::optional<std::string> org, std::int64_t limit,
      std::int64_t offset);

  // Pipeline step 6. Returns the number of records resolved as never delivered.
  [[nodiscard]] Result<int> recover(std::optional<int> grace_seconds = std::nullopt);

  // Appends an audit entry in a transaction shared with concurrent writers (group commit), e.g.
  // for read-only API calls; returns once it is durable. Nothing when there is no audit log.
  [[nodiscard]] Result<void> record_event(const audit::Event& e);
  // record_event() without waiting: `done` gets the outcome on an executor thread (post()).
  void record_event_async(audit::Event e, std::function<void(Result<void>)> done);

  // The group-commit batcher of the pipeline (steps 3 and 5) and of record_event, for metrics.
  [[nodiscard]] store::CommitBatcher& batcher() noexcept { return *batcher_; }

  // A signer for a CA (by id); used by CRL / OCSP / TSA later.
  [[nodiscard]] Result<std::unique_ptr<crypto::Signer>> ca_signer(const store::CaRecord& ca);

 private:
  struct IssuerCtx {
    store::CaRecord record;
    x509::CertificatePtr cert;
    x509::IssuerInfo info;
    std::shared_ptr<const crypto::Signer> signer;  // thread-safe, shared by cached copies
  };
  [[nodiscard]] Result<IssuerCtx> issuer_for(CaFamily family);
  [[nodiscard]] Result<store::CertificateRecord> find_one(std::string_view serial);
  // The subject record for an issuance (personal identifiers encrypted); none without PII
  // protection. upsert_subject stores it (updating the record with the same identity number).
  [[nodiscard]] Result<std::optional<store::SubjectRecord>> subject_for(const std::string& profile,
                                                                        const x509::SubjectData& s);
  [[nodiscard]] Result<std::int64_t> upsert_subject(store::Tx& tx, const store::SubjectRecord& rec);
  // The pipeline's steps (ca_service.cpp): an Issuance carries one issuance from step to step.
  struct Issuance;
  struct IssuePrep;
  struct AsyncIssue;
  [[nodiscard]] Result<IssuePrep> prepare_issue(const IssueRequest& r);  // step 1
  [[nodiscard]] Result<void> package_key(IssueResult& out, const IssuePrep& prep,
                                         const IssueRequest& r);
  [[nodiscard]] Result<std::unique_ptr<Issuance>> start_issuance(
      const x509::Profile& profile, IssuerCtx issuer, const x509::SubjectData& subject, Bytes spki,
      std::optional<Bytes> request, std::optional<int> days, std::vector<x509::Extension> requested,
      const std::string& actor, std::string_view action,
      std::optional<store::CertificateRecord> supersede, bool internal = false);
  // The names the subject's organization may have certified ([organizations] in hpki.toml).
  [[nodiscard]] const x509::PermittedNames* permitted_names(const std::string& org) const;
  [[nodiscard]] Result<void> draw_serial(Issuance& is);                 // step 2
  [[nodiscard]] store::CommitBatcher::Unit reserve_unit(Issuance& is);  // step 3
  [[nodiscard]] static bool retry_reservation(const Issuance& is, const Error& e);
  [[nodiscard]] Result<void> sign(Issuance& is);                         // step 4
  [[nodiscard]] store::CommitBatcher::Unit complete_unit(Issuance& is);  // step 5
  [[nodiscard]] Result<IssueResult> finish(Issuance& is);
  template <class F>
  std::function<void()> guard(std::shared_ptr<AsyncIssue> job, F&& f);
  void reserve_async(std::shared_ptr<AsyncIssue> job);
  void end_async(const std::shared_ptr<AsyncIssue>& job, Result<IssueResult> out);
  // One asynchronous call (issuance, audit entry) started / answered: drain_async() counts
  // them. `complete` (the caller's handler) may throw; that is logged, never propagated.
  void begin_async();
  void end_async_call(std::string_view what, const std::function<void()>& complete);
  // Steps 2-5. `supersede`: the (ca, serial) to revoke as superseded in the same transaction.
  [[nodiscard]] Result<IssueResult> run_pipeline(const x509::Profile& profile, IssuerCtx& issuer,
                                                 const x509::SubjectData& subject, Bytes spki,
                                                 std::optional<Bytes> request,
                                                 std::optional<int> days,
                                                 const std::vector<x509::Extension>& requested,
                                                 const std::string& actor, std::string_view action,
                                                 std::optional<store::CertificateRecord> supersede,
                                                 bool internal = false);
  [[nodiscard]] Result<void> audit(store::Tx& tx, const std::string& actor, std::string_view action,
                                   const std::string& object, std::string_view outcome,
                                   const std::string& details, const std::string& org = {});
  // kPermissionDenied unless `by.role` may request (and act on certificates of) `profile`.
  [[nodiscard]] static Result<void> check_requester(const x509::Profile& profile,
                                                    const Requester& by);
  // The profile a stored certificate was issued from, for check_requester (a profile no
  // longer in the home: admin only).
  [[nodiscard]] Result<void> check_requester(const store::CertificateRecord& rec,
                                             const Requester& by) const;
  [[nodiscard]] crypto::KeyStore& keys_for(std::string_view key_ref);
  [[nodiscard]] Result<CertStatusInfo> status_in(store::Tx& tx,
                                                 const store::CertificateRecord& rec);
  [[nodiscard]] Result<store::SubjectRecord> subject_record(const SubjectChange& s);
  [[nodiscard]] SubjectView view_of(store::SubjectRecord r) const;
  void notify(const std::string& ca_id, const std::string& serial, std::string action) const;

  CaDeps d_;
  std::unique_ptr<store::CommitBatcher> batcher_;
  // CA records and chains by CA id (immutable once created; filled on first use).
  std::unique_ptr<std::mutex> cache_mu_ = std::make_unique<std::mutex>();
  std::map<std::string, store::CaRecord> ca_cache_;
  // Issuing CAs as used by every issuance: record, parsed certificate, signer (a CA record
  // never changes while the service runs; the same assumption as ca_cache_).
  std::map<std::string, IssuerCtx> issuer_cache_;
  std::map<std::string, std::vector<Bytes>> chain_cache_;
  Executor executor_;
  mutable std::mutex async_mu_;
  std::condition_variable async_cv_;
  std::size_t async_in_flight_ = 0;
};

// Normalises a serial given on the command line / API: any case, optional colons, optional
// leading zeros kept as hex digits; kInvalidArgument when not hex.
[[nodiscard]] Result<std::string> normalize_serial(std::string_view serial);

}  // namespace hpki::ca
