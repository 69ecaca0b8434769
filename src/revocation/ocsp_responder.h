// The OCSP responder service (issue 6): answers RFC 6960 requests for every issuing CA of every
// family at once, from pre-signed responses.
//
// - Each issuing CA is served through its delegated responder certificate (CA record role
//   `ocsp`, parent the issuing CA; EKU OCSPSigning, id-pkix-ocsp-nocheck). The responder never
//   touches CA keys itself: the app injects a SignerFactory giving one crypto::Signer per
//   responder certificate.
// - Pre-signing: every certificate hpki produced has a response signed ahead of time (SHA-1
//   CertID, what OpenSSL and browsers send), held in memory and in the ocsp_responses table so
//   other nodes load it instead of signing again. A response is re-signed once
//   `refresh_after` of its validity has passed (background job, sync()) and at once after a
//   status change (on_status_change(), wired to ca::CaService's listener after commit): the
//   held response of that certificate is dropped on the caller's thread (so nothing stale is
//   ever answered: until the new one is signed, a request for it is answered from the
//   database), and the new response is signed by a background thread that takes every
//   change queued meanwhile in one batch (one read, one write transaction) — an issuance or a
//   revocation never waits for OCSP signing. Without start() (tools, tests) the caller signs
//   at once. A response read from the database before a later change of the same
//   certificate is never put in memory over it (change sequence numbers).
//   Changes made by other processes are picked up by sync() (certificates.updated_at).
// - respond(): one CertID without nonce -> the pre-signed bytes, no signing. A nonce (RFC
//   8954), several CertIDs or a non-SHA-1 CertID -> a response signed now (on the caller's
//   thread: the HTTP worker pool), echoing the nonce; thisUpdate / nextUpdate are those of the
//   status the responder holds (it never claims fresher knowledge than it has).
// - Status semantics: good / revoked (time, reason from the revocations table) / unknown only
//   for serials hpki never produced. A serial still reserved (`issuing`) is answered revoked
//   per RFC 6960 2.2 (revocationTime 1970-01-01, certificateHold, extended-revoke extension);
//   `never_delivered` serials carry their revocation record. CertIDs of an issuer hpki does
//   not serve -> unauthorized; CertIDs of several issuers in one request -> unauthorized (one
//   response has one signer); a malformed request -> malformedRequest; internal trouble
//   (database down and nothing usable cached, signing failed) -> tryLater.
// - Database outage: the responder keeps answering from memory until each response's
//   nextUpdate passes (then tryLater for it); health() reports the degradation.
//
// Thread-safe: respond() runs concurrently on many threads; sync() and on_status_change() may
// run at the same time.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/signer.h"
#include "store/commit_batcher.h"
#include "store/store.h"
#include "x509/certificate.h"
#include "x509/ocsp.h"

namespace hpki::revocation {

struct OcspResponderSettings {
  std::chrono::seconds validity{86400};
  std::chrono::seconds refresh_after{43200};  // <= validity / 2
  std::size_t sign_threads = 2;               // bulk pre-signing
  // Signatures made on demand (nonce, several CertIDs, SHA-256/SM3 CertIDs, unknown serials)
  // at the same time, at most. Anyone can send such requests; beyond this a nonce request for
  // a certificate with a pre-signed response gets that response (without the nonce, as RFC
  // 8954 2.1 allows) and any other gets tryLater — the node keeps answering instead of queueing
  // signatures without bound.
  std::size_t max_on_demand = 8;
  // Where pre-signed responses are stored: through this group-commit batcher when given (the
  // node's, shared with issuance and the TSA: a response of a new certificate rides on the next
  // round's commit instead of paying a commit of its own), else in transactions of their own.
  store::CommitBatcher* batcher = nullptr;
};

// A signer for a responder certificate's key (the CA record of role `ocsp`).
using OcspSignerFactory =
    std::function<Result<std::unique_ptr<crypto::Signer>>(const store::CaRecord&)>;

struct OcspAnswer {
  Bytes der;  // the OCSPResponse to send (also for error statuses)
  x509::OcspResponseStatus status = x509::OcspResponseStatus::kSuccessful;
  bool from_cache = false;  // pre-signed bytes, no signing
  bool signed_now = false;
  // For caching headers (RFC 5019 6.2); set for successful answers.
  TimePoint produced_at{};
  TimePoint this_update{};
  TimePoint next_update{};
  std::string etag;  // of a pre-signed `der` (quoted; HTTP caching), else empty
  std::vector<x509::OcspCertStatus> cert_statuses;
  std::string detail;  // why, for error statuses (logs)
};

struct OcspHealth {
  bool database_ok = true;
  std::string reason;         // when not ok
  std::size_t responses = 0;  // pre-signed responses held
  std::size_t expired = 0;    // of which past nextUpdate (answered tryLater)
  TimePoint last_sync{};      // last successful sync with the database
};

struct OcspCounters {
  std::atomic<std::uint64_t> presigned{0};          // responses signed ahead of time
  std::atomic<std::uint64_t> signed_on_demand{0};   // nonce / multi / non-SHA-1 requests
  std::atomic<std::uint64_t> on_demand_refused{0};  // over max_on_demand (cached or tryLater)
  std::atomic<std::uint64_t> cache_hits{0};
  std::atomic<std::uint64_t> loaded_from_db{0};  // signed by another node
  std::atomic<double> sign_seconds{0};           // time spent signing
};

// A strong HTTP entity tag for response bytes: the quoted first 128 bits of their SHA-256.
[[nodiscard]] std::string response_etag(BytesView der);

class OcspResponder {
 public:
  OcspResponder(store::Store& store, const Clock& clock, OcspSignerFactory signers,
                OcspResponderSettings settings);
  ~OcspResponder();
  OcspResponder(const OcspResponder&) = delete;
  OcspResponder& operator=(const OcspResponder&) = delete;

  // Reads the CAs, loads stored responses and pre-signs every certificate lacking a usable
  // one. Fails when the database or a responder key is unusable.
  [[nodiscard]] Result<void> load();
  // One background round: picks up status changes since the last sync (re-signing those
  // certificates), re-signs responses older than refresh_after, and records whether the
  // database answered. Returns the number of responses signed.
  [[nodiscard]] Result<std::size_t> sync();
  // Starts / stops a thread calling sync() every `period`, and the thread signing the responses
  // of status changes (stop() is called by the destructor).
  void start(std::chrono::seconds period, std::function<void()> after_each = {});
  void stop();

  // A committed status change: drops the certificate's held response and queues it for
  // re-signing (signs it now when start() was not called). Never throws; errors are logged and
  // the next sync() retries.
  void on_status_change(const std::string& ca_id, const Serial& serial);

  // Answers a DER OCSPRequest. Never fails: problems become OCSP error statuses.
  [[nodiscard]] OcspAnswer respond(BytesView request_der);
  // The same answer when it needs neither the database nor a signature (a pre-signed
  // response held in memory, or an error status); nullopt otherwise. Never blocks for long:
  // the HTTP I/O threads call it (a shared lock on the in-memory entries only).
  [[nodiscard]] std::optional<OcspAnswer> respond_from_memory(BytesView request_der);

  [[nodiscard]] OcspHealth health() const;
  [[nodiscard]] const OcspCounters& counters() const { return counters_; }
  // The pre-signed response of a certificate (tests, tools); empty when none is held.
  [[nodiscard]] std::optional<Bytes> presigned(const std::string& ca_id,
                                               const Serial& serial) const;

  struct Issuer;
  struct Entry;

 private:
  [[nodiscard]] std::optional<OcspAnswer> answer(BytesView request_der, bool may_block);
  [[nodiscard]] Result<void> load_issuers();
  [[nodiscard]] Result<std::size_t> resync(bool full);
  [[nodiscard]] Result<std::size_t> sign_and_store(
      std::vector<std::pair<Issuer*, std::shared_ptr<const Entry>>> todo, std::uint64_t read_seq);
  // Holds `e` unless the certificate changed after the database read that produced it
  // (read_seq = change_seq_ before that read). Returns whether it was put.
  bool put(Issuer& is, const Serial& serial, std::shared_ptr<const Entry> e,
           std::uint64_t read_seq);
  void presign_changes(std::vector<std::pair<Issuer*, Serial>> changes);
  [[nodiscard]] std::shared_ptr<const Entry> find(const Issuer& is, const Serial& serial) const;
  [[nodiscard]] Result<std::shared_ptr<const Entry>> lookup_db(Issuer& is, const Serial& serial);
  void mark_db(bool ok, const std::string& reason);

  store::Store& store_;
  const Clock& clock_;
  OcspSignerFactory signer_factory_;
  OcspResponderSettings settings_;
  std::vector<std::unique_ptr<Issuer>> issuers_;
  mutable std::shared_mutex mu_;  // the entries of every issuer
  mutable std::mutex health_mu_;
  OcspHealth health_;
  std::int64_t last_change_seen_ = 0;          // certificates.updated_at high-water mark (unix s)
  std::atomic<std::uint64_t> change_seq_{0};   // on_status_change() calls so far
  std::atomic<std::size_t> on_demand_now_{0};  // signatures on demand in progress
  std::mutex sync_mu_;
  OcspCounters counters_;
  struct Worker;
  std::unique_ptr<Worker> worker_;
};

}  // namespace hpki::revocation
