// The CRL publisher (issue 6): complete and delta CRLs (RFC 5280 section 5) for every CA that
// certifies others, generated on a schedule and right after a revocation, hold or release,
// stored in the database so that every node serves the same bytes.
//
// Scopes and names. A root CA has one CRL, covering the CAs it certified (the issuing-ca
// profile's cRLDistributionPoints names it). An issuing CA has one CRL, or with partitioned
// CRLs ([ca] crl_shards > 1) one CRL per shard: the shard of a certificate is fixed at issuance
// (certificates.crl_shard) and its cRLDistributionPoints names that shard's CRL. Names:
//   <ca>            complete CRL            e.g. rsa-issuing
//   <ca>-<shard>    complete CRL of a shard e.g. rsa-issuing-3
//   <name>-delta    the delta CRL of a scope
// and the URL of a CRL is <base_url>/crl/<name>.crl, the expansion of the profile template
// "{base_url}/crl/{ca}{shard}.crl" (x509::expand_url_template).
//
// Contents. Every revocation of the scope, with reasonCode (certificateHold for held
// certificates; "unspecified" is omitted, RFC 5280 5.3.1) and invalidityDate. A shard's CRL
// carries an issuingDistributionPoint (RFC 5280 5.2.5, critical) with that shard's URL and
// onlyContainsUserCerts. With deltas enabled the complete CRL carries freshestCRL (5.2.6) with
// the delta's URL; a delta CRL (5.2.4) carries deltaCRLIndicator = the newest complete CRL's
// number and lists what changed since that CRL: new or changed revocations, and removeFromCRL
// for certificates released from hold. Complete and delta CRLs of a scope share one cRLNumber
// sequence (RFC 5280 5.2.4), a persisted store counter "crl:<name>": strictly increasing across
// restarts and nodes. Every CRL is linted before it is signed (x509::build_crl); SM2 CRLs are
// signed with the distinguishing ID of the CA's Signer (the standard ID).
//
// Several nodes may run the scheduler against one database: each first looks at what is
// stored, so normally one of them generates; when two race, both CRLs are valid (distinct
// numbers) and the higher number is served.
//
// Threading: generate(), refresh() and latest() are thread-safe. start() runs a background
// thread for the schedule and the queue filled by on_status_change(); stop() (or the
// destructor) ends it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/signer.h"
#include "store/store.h"
#include "x509/certificate.h"

namespace hpki::revocation {

struct CrlPublisherOptions {
  std::string base_url = "http://127.0.0.1:8080";  // [ca] base_url, no trailing '/'
  int crl_shards = 1;                              // [ca] crl_shards
  std::chrono::seconds validity{7 * 86400};        // complete CRLs: nextUpdate - thisUpdate
  // A complete CRL is replaced once less than this is left before its nextUpdate.
  std::chrono::seconds regenerate_before{3 * 86400};
  // Delta CRLs every interval, each valid for two intervals; zero: no delta CRLs.
  std::chrono::seconds delta_interval{3600};
  bool regenerate_on_revoke = true;
  std::chrono::seconds check_interval{60};  // background schedule
  int keep = 3;                             // CRLs kept per name in the database
};

// A signer for a CA key (the application passes ca::CaService::ca_signer).
using SignerFactory =
    std::function<Result<std::unique_ptr<crypto::Signer>>(const store::CaRecord& ca)>;

// One CRL scope: a CA's complete CRL, or one shard of it.
struct CrlScope {
  std::string ca_id;
  std::optional<std::int64_t> shard;
  friend auto operator<=>(const CrlScope&, const CrlScope&) = default;
};

// "<ca>[-<shard>][-delta]".
[[nodiscard]] std::string crl_name(const CrlScope& scope, bool delta);
// The CRL names a certificate's CRL distribution points give in hpki's URL layout
// "<base_url>/crl/<name>.crl" (url_of()), in order; other URLs are skipped. kMalformed when the
// extension does not decode.
[[nodiscard]] Result<std::vector<std::string>> crl_names_of(const x509::Certificate& c);

// Reported after each stored CRL (metrics, logs). Called on the generating thread.
struct CrlGenerated {
  std::string name;
  bool delta = false;
  std::int64_t crl_number = 0;
  std::int64_t entries = 0;
  std::size_t bytes = 0;
  std::chrono::duration<double> duration{};  // loading, building, linting, signing, storing
};
using GenerationObserver = std::function<void(const CrlGenerated&)>;

// A stored CRL as served over HTTP.
struct PublishedCrl {
  store::CrlRecord record;  // with DER
  std::string etag;         // quoted strong validator over the DER bytes
};

class CrlPublisher {
 public:
  // `store`, `clock` must outlive the publisher.
  CrlPublisher(store::Store& store, const Clock& clock, SignerFactory signers,
               CrlPublisherOptions options);
  ~CrlPublisher();
  CrlPublisher(const CrlPublisher&) = delete;
  CrlPublisher& operator=(const CrlPublisher&) = delete;

  [[nodiscard]] const CrlPublisherOptions& options() const { return options_; }
  void set_observer(GenerationObserver o) { observer_ = std::move(o); }
  // With an audit log, each stored CRL appends "crl.publish" (actor "crl-publisher") in the
  // same transaction (DESIGN.md: every object a CA key signs is accounted for).
  void set_audit(const audit::AuditLog* audit) { audit_ = audit; }

  // The scopes of every root and issuing CA in the store.
  [[nodiscard]] Result<std::vector<CrlScope>> scopes();
  // The scope of a CA (and shard): kNotFound for an unknown CA, kInvalidArgument for a CA that
  // does not publish CRLs (OCSP, TSA), a shard out of range or a shard of an unpartitioned CA.
  [[nodiscard]] Result<CrlScope> scope_for(std::string_view ca_id,
                                           std::optional<std::int64_t> shard);
  // The URL of a CRL: <base_url>/crl/<name>.crl.
  [[nodiscard]] std::string url_of(const CrlScope& scope, bool delta) const;

  // Generates, signs, stores and returns a new CRL of the scope (with DER). A delta CRL needs a
  // stored complete CRL of the scope (one is generated first when there is none);
  // kInvalidArgument for a delta when deltas are disabled. kLintFailed when the CRL fails
  // lint (nothing is signed); storage and signer errors as they come.
  [[nodiscard]] Result<store::CrlRecord> generate(const CrlScope& scope, bool delta);

  // Brings every scope up to date: a complete CRL when there is none or the newest one is
  // within regenerate_before of its nextUpdate; a delta CRL when deltas are enabled and there
  // is none, it is older than delta_interval, or it is based on an older complete CRL.
  // Returns the number of CRLs generated; the first error after trying every scope.
  [[nodiscard]] Result<int> refresh();

  // Regenerates the scope of a certificate whose status changed (complete CRL, then delta).
  [[nodiscard]] Result<void> regenerate_for(std::string_view ca_id, const Serial& serial);

  // The CA's status listener: with regenerate_on_revoke, queues the certificate for
  // regenerate_for() on the background thread (or runs it at once when not started).
  // Quick, never throws; errors are logged.
  void on_status_change(const std::string& ca_id, const Serial& serial, std::string_view action);

  // Background thread: refresh() now and every check_interval, queued changes at once.
  void start();
  void stop();
  // Waits until the queue of status changes is empty (tests, shutdown).
  void drain();

  // The newest stored CRL of a name ("rsa-issuing-delta" ...), kNotFound when none. Cached:
  // each call checks the newest number in the database and reloads only when it changed; when
  // the database does not answer, the cached CRL is returned (other nodes keep serving).
  [[nodiscard]] Result<std::shared_ptr<const PublishedCrl>> latest(std::string_view name);

 private:
  struct Loaded;
  [[nodiscard]] Result<Loaded> load(const CrlScope& scope);
  [[nodiscard]] Result<store::CrlRecord> generate_complete(const CrlScope& scope);
  [[nodiscard]] Result<store::CrlRecord> generate_delta(const CrlScope& scope);
  [[nodiscard]] Result<store::CrlRecord> sign_and_store(const CrlScope& scope, bool delta,
                                                        Loaded& loaded, std::int64_t number,
                                                        std::optional<std::int64_t> base,
                                                        std::chrono::steady_clock::time_point t0);
  void run();

  store::Store& store_;
  const Clock& clock_;
  SignerFactory signers_;
  CrlPublisherOptions options_;
  GenerationObserver observer_;
  const audit::AuditLog* audit_ = nullptr;

  // One generation per scope at a time (numbers of a scope are then also in signing order).
  std::mutex scope_locks_mu_;
  std::map<CrlScope, std::shared_ptr<std::mutex>> scope_locks_;

  std::mutex cache_mu_;
  std::map<std::string, std::shared_ptr<const PublishedCrl>, std::less<>> cache_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::set<std::pair<std::string, Serial>> pending_;  // (ca_id, serial)
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hpki::revocation
