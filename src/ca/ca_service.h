// The certificate authority (issue 4, DESIGN.md "The issuance pipeline"): hierarchy creation and
// the certificate lifecycle — issue, renew, re-key, modify, revoke, hold, release, status, show,
// search — with crash safety and an audit entry for every state change.
//
// Issuance pipeline (one driver for every issuance: issue, renew, re-key, modify, and the CA,
// OCSP and TSA certificates of init_hierarchy; ca/pipeline.cpp):
//   1. check the request: profile and who may request it, CSR and its proof of possession (or
//      generate the key), key algorithm against the CA family;
//   2. draw a serial (126 random bits; the database's unique constraint is the guard: a serial
//      drawn twice is drawn again and signed again), build the TBS, lint it, sign it with the
//      CA's Signer (file key, PKCS#11 ...);
//   3. ONE transaction, shared with concurrent issuances (group commit, store::CommitBatcher):
//      the certificate with its DER, its subject record, the audit entry (modify: the old
//      certificate revoked as superseded, in the same transaction);
//   4. only then the answer.
// No signed certificate leaves the service before its record and audit entry are durable
// (DESIGN.md principle 2); a crash before the commit leaves nothing — the signed bytes never
// left the process, and their serial is simply never used. The synchronous calls are the
// asynchronous ones plus a wait. (Reservations that versions before issue 17 wrote before
// signing are resolved once, by the upgrade to schema 7: ca/upgrade.h.)
// Every status change (revoke, hold, release, superseded) goes through one
// transition() (ca/lifecycle.cpp): revocation row, status and audit entry together.
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
#include "ca/keys.h"
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
  // The certificate is for this stored subject record (issue 19: a doctor enrolled on a phone):
  // the subject's names and identifiers come from the record (`subject` must be empty) and the
  // certificate refers to it; no record is created or changed. kNotFound when absent.
  std::optional<std::int64_t> subject_id{};
};

struct IssueResult {
  std::string ca_id;
  Serial serial;
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
  Serial serial;
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
  Serial serial;
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
  // The certificate (DER) of hpki's audit checkpoint key ("file:audit") under `family`'s issuing
  // CA, profile "audit-signer" (issue 21: evidence packages carry it, so that the checkpoint
  // signature checks offline against the root). Issued (and audited) the first time it is asked
  // for, and again when the newest one expires within 30 days or was revoked. kNotFound
  // without that hierarchy or without the audit key.
  [[nodiscard]] Result<Bytes> audit_certificate(CaFamily family);

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
  [[nodiscard]] Result<IssueResult> renew(const Serial& serial, std::optional<int> days,
                                          const Requester& by);
  // New key (CSR or keygen); the subject stays.
  [[nodiscard]] Result<IssueResult> rekey(const Serial& serial, std::optional<Bytes> csr,
                                          std::optional<KeygenOptions> keygen, const Requester& by);
  // New certificate with changed subject data; the old one is revoked (superseded) atomically.
  [[nodiscard]] Result<IssueResult> modify(const Serial& serial, const SubjectInput& changes,
                                           const Requester& by);
  [[nodiscard]] Result<CertStatusInfo> revoke(const Serial& serial, x509::RevocationReason reason,
                                              std::optional<TimePoint> invalidity_date,
                                              const Requester& by);
  [[nodiscard]] Result<CertStatusInfo> hold(const Serial& serial, const Requester& by);
  [[nodiscard]] Result<CertStatusInfo> release(const Serial& serial, const Requester& by);
  [[nodiscard]] Result<CertStatusInfo> status(const Serial& serial);
  [[nodiscard]] Result<CertView> show(const Serial& serial);
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
  // The names and identifiers of a stored subject (identity number in clear) as a certificate
  // subject; for issuance to that subject (IssueRequest::subject_id), never shown.
  [[nodiscard]] Result<x509::SubjectData> subject_data(std::int64_t id);
  [[nodiscard]] Result<SubjectView> update_subject(std::int64_t id, const SubjectChange& s,
                                                   const std::string& actor);
  [[nodiscard]] Result<void> delete_subject(std::int64_t id, const std::string& actor);
  [[nodiscard]] Result<std::vector<SubjectView>> list_subjects(
      std::optional<store::SubjectKind> kind, std::optional<std::string> org, std::int64_t limit,
      std::int64_t offset);

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
  [[nodiscard]] Result<store::CertificateRecord> find_one(const Serial& serial);

  // --- the pipeline (pipeline.cpp). A Job carries one issuance from step to step.
  struct Job;
  using JobPtr = std::shared_ptr<Job>;
  [[nodiscard]] Result<JobPtr> job_for(const IssueRequest& r);  // step 1 of issue()
  // A job for a new certificate under `issuer` (renew, modify, init_hierarchy).
  [[nodiscard]] JobPtr job(const x509::Profile& profile, IssuerCtx issuer,
                           x509::SubjectData subject, Bytes spki, const Requester& by,
                           std::string action);
  [[nodiscard]] Result<void> sign(Job& job);                       // step 2
  [[nodiscard]] store::CommitBatcher::Unit commit_unit(Job& job);  // step 3
  [[nodiscard]] Result<IssueResult> finish(Job& job);              // step 4
  // Runs the job's steps 2-4 as tasks (begin_async / end_async_call bookkeeping included);
  // `job.done` gets the outcome exactly once.
  void run(JobPtr job);
  void sign_and_commit(JobPtr job);
  void end(const JobPtr& job, Result<IssueResult> out);
  // run() plus a wait: the synchronous calls. Never call it from an executor thread.
  [[nodiscard]] Result<IssueResult> run_and_wait(JobPtr job);
  template <class F>
  std::function<void()> guard(JobPtr job, F&& f);
  // The names the subject's organization may have certified ([organizations] in hpki.toml).
  [[nodiscard]] const x509::PermittedNames* permitted_names(const std::string& org) const;

  // One asynchronous call (issuance, audit entry) started / answered: drain_async() counts
  // them. `complete` (the caller's handler) may throw; that is logged, never propagated.
  void begin_async();
  void end_async_call(std::string_view what, const std::function<void()>& complete);

  // --- status changes (lifecycle.cpp)
  enum class Change { kRevoke, kHold, kRelease };
  struct Transition {
    Change change = Change::kRevoke;
    x509::RevocationReason reason = x509::RevocationReason::kUnspecified;  // kRevoke
    std::optional<TimePoint> invalidity_date;                              // kRevoke
    std::string details = "{}";  // merged into the audit details (e.g. superseded_by)
  };
  // The one way a certificate's status changes, in the caller's transaction: checks the
  // current status, writes or removes the revocation row, sets the status, appends the audit
  // entry. kBadState when the change does not apply to the current status.
  [[nodiscard]] Result<CertStatusInfo> transition(store::Tx& tx,
                                                  const store::CertificateRecord& rec,
                                                  const Transition& t, const std::string& actor);
  // transition() in a transaction of its own for the certificate with `serial`, after
  // check_requester; notifies listeners after the commit.
  [[nodiscard]] Result<CertStatusInfo> change_status(const Serial& serial, const Transition& t,
                                                     const Requester& by);

  // --- subjects (subjects.cpp)
  // The subject record for an issuance (personal identifiers encrypted); none without PII
  // protection. upsert_subject stores it (updating the record of the same organization with
  // the same identity number).
  [[nodiscard]] Result<std::optional<store::SubjectRecord>> subject_for(const std::string& profile,
                                                                        const x509::SubjectData& s);
  [[nodiscard]] Result<std::int64_t> upsert_subject(store::Tx& tx, const store::SubjectRecord& rec);
  [[nodiscard]] Result<store::SubjectRecord> subject_record(const SubjectChange& s);
  [[nodiscard]] SubjectView view_of(store::SubjectRecord r) const;

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
  [[nodiscard]] Result<CertStatusInfo> status_in(store::Tx& tx,
                                                 const store::CertificateRecord& rec);
  // What renew, rekey and modify start from: the certificate (delivered, good or on hold, its
  // profile still in the home, `by` allowed to act on it) and its issuing CA.
  struct Predecessor {
    store::CertificateRecord rec;
    const x509::Profile* profile = nullptr;
    x509::CertificatePtr cert;
    store::CaRecord ca;
  };
  [[nodiscard]] Result<Predecessor> predecessor(const Serial& serial, const Requester& by);
  void notify(const std::string& ca_id, const Serial& serial, std::string action) const;

  CaDeps d_;
  std::unique_ptr<store::CommitBatcher> batcher_;
  // Issuing CAs as used by every issuance (record, parsed certificate, signer) and CA chains,
  // by CA id: a CA record never changes while the service runs, so both are filled on first
  // use and kept.
  std::unique_ptr<std::mutex> cache_mu_ = std::make_unique<std::mutex>();
  std::map<std::string, IssuerCtx> issuer_cache_;
  std::map<std::string, std::vector<Bytes>> chain_cache_;
  Executor executor_;
  mutable std::mutex async_mu_;
  std::condition_variable async_cv_;
  std::size_t async_in_flight_ = 0;
};

}  // namespace hpki::ca
