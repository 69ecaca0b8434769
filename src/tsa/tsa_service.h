// The RFC 3161 time-stamping authority (issue 7). One TSA per CA family, from the CA records
// `<family>-tsa` that `hpki ca init` creates (certificate with the critical timeStamping EKU,
// RFC 3161 2.3); the service never sees HTTP and never opens key stores itself: the
// application injects a SignerProvider (the CA service's ca_signer).
//
// Which TSA signs: the family asked for (the /tsa/<family> path), else by the requested hash:
// SM3 -> the SM2 TSA, SHA-256/384/512 -> the RSA TSA (the ECDSA one when there is no RSA TSA).
//
// Per request (respond()):
//   1. TimeStampReq parsed (x509/tsp.h, size limited): malformed -> rejection badDataFormat;
//      version other than 1 -> badRequest.
//   2. messageImprint: SHA-256/384/512 or SM3 with a digest of that length, else badAlg
//      (SHA-1 is refused: its collisions make a SHA-1 imprint worthless as evidence; a wrong
//      length is badDataFormat).
//      reqPolicy other than the configured policy -> unacceptedPolicy; any request extension
//      -> unacceptedExtension (none is supported).
//   3. On a signer thread: a serial from a range reserved durably in advance (reserve_counter
//      ("tsa.serial", kSerialRange) in one transaction; unique and strictly increasing across
//      restarts and nodes; a crash skips the rest of a range) and genTime from the injected
//      clock. Clock safety — when the clock reads earlier than the latest genTime given or
//      recorded (read again at every range reservation), the request is refused with
//      timeNotAvailable; the TSA certificate must be valid at genTime (else systemFailure).
//   4. TSTInfo { v1, policy, messageImprint copied exactly, serial, genTime (whole seconds),
//      accuracy, ordering false, nonce echoed, tsa = directoryName of the TSA (option) } signed
//      as CMS SignedData (x509/cms.h: eContentType id-ct-TSTInfo, contentType, messageDigest,
//      signingCertificateV2; SM2 with SM3 and the GM/T 0009 ID; RSA/ECDSA with SHA-256); the
//      TSA certificate and its issuing CA are included when certReq is true. Signed by the
//      TSA's signer threads (one per core), in parallel, while the committer commits.
//   5. The committer's round: the records (serial, genTime, imprint, requester ...), their
//      tokens and their audit entries ("timestamp.issue") in ONE unit of the group-commit
//      batcher (store/commit_batcher.h; shared with the CA's issuances when the app passes the
//      CA's batcher), and only after that commit the answers: a granted token is always
//      durable and audited; a token whose round fails to commit is dropped (never answered,
//      its serial never used again) and the request gets systemFailure.
// So no thread waits per request: HTTP I/O threads parse and hand over (respond_async), one
// committer and one signer per core do the rest; at most TsaOptions::max_in_flight requests
// are accepted at a time (more -> systemFailure "overloaded").
// respond() never fails: every outcome is a DER TimeStampResp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/signer.h"
#include "der/oid.h"
#include "store/commit_batcher.h"
#include "store/store.h"
#include "x509/certificate.h"
#include "x509/cms.h"
#include "x509/tsp.h"

namespace hpki::tsa {

inline constexpr std::string_view kSerialCounter = "tsa.serial";
// Default policy OID when none is configured: hpki's arc under the 2.25 UUID arc is not
// registered, so the default is the private-use example arc; deployments configure their own.
inline constexpr std::string_view kDefaultPolicy = "1.3.6.1.4.1.59999.3161.1";

struct TsaOptions {
  der::Oid policy = der::Oid::literal("1.3.6.1.4.1.59999.3161.1");
  x509::tsp::Accuracy accuracy{.seconds = 1, .millis = 0, .micros = 0};
  bool include_tsa_name = true;  // TSTInfo.tsa = directoryName of the TSA certificate
  // Requests accepted and not yet answered, at most; more are refused at once (systemFailure,
  // "overloaded") instead of queueing without bound.
  std::size_t max_in_flight = 8192;
};

using SignerProvider =
    std::function<Result<std::unique_ptr<crypto::Signer>>(const store::CaRecord&)>;

struct TsaDeps {
  store::Store* store = nullptr;
  const audit::AuditLog* audit = nullptr;
  const Clock* clock = nullptr;
  SignerProvider signer_for;
  // Group commit for the TSA's writes. Pass the CA service's batcher (ca::CaService::batcher())
  // so that tokens and issuances share commits; null: the TSA owns a batcher on `store`. Must
  // be a batcher on `store` and outlive the service.
  store::CommitBatcher* batcher = nullptr;
};

struct TsaReply {
  Bytes der;  // DER TimeStampResp, always set
  x509::tsp::PkiStatus status = x509::tsp::PkiStatus::kRejection;
  std::optional<x509::tsp::FailureInfo> fail_info{};
  std::string status_string{};
  std::optional<std::int64_t> serial{};
  std::string tsa_id{};
};

class TsaService {
 public:
  // Loads every `<family>-tsa` CA record, checks its certificate (critical timeStamping EKU)
  // and gets its signer. kNotFound when there is no TSA at all; kBadCertificate for a TSA
  // certificate that does not qualify.
  [[nodiscard]] static Result<std::unique_ptr<TsaService>> create(TsaDeps deps, TsaOptions options);

  ~TsaService();
  TsaService(const TsaService&) = delete;
  TsaService& operator=(const TsaService&) = delete;

  // See the file comment. `family` comes from the path (/tsa/rsa ...), `requester` is recorded
  // (e.g. "ip:127.0.0.1"), `org` is the requester's organization when known (a signature
  // service call; "" for anonymous RFC 3161 requests) and scopes who may read the record and
  // its audit entry (issue 16). Thread-safe. Blocks until the answer is ready.
  [[nodiscard]] TsaReply respond(BytesView request, std::optional<store::CaFamily> family,
                                 std::string_view requester, std::string_view org = {}) const;
  // The same without blocking: `done` is called exactly once — on the calling thread for a
  // request refused before it is recorded, else on a TSA thread. Thread-safe.
  void respond_async(BytesView request, std::optional<store::CaFamily> family,
                     std::string_view requester, std::function<void(TsaReply)> done,
                     std::string_view org = {}) const;
  // Called by the committer after each committed round with the number of requests it
  // recorded and of tokens it stored (metrics; both the same since issue 17: a request is
  // recorded with its token). Thread-safe to set; must be quick.
  void set_round_observer(std::function<void(std::size_t recorded, std::size_t stored)> o) const;
  // Answers every accepted request (their tokens are stored first), refuses new ones, and
  // stops the TSA's threads. Called by the destructor; call it before the HTTP server that
  // handed requests in is destroyed.
  void stop();

  // A recorded token (kNotFound when unknown). Runs on the store's read path (Store::read).
  [[nodiscard]] Result<store::TimestampRecord> get(std::int64_t serial) const;

  // The batcher the TSA's writes go through (its own or the one given in TsaDeps).
  [[nodiscard]] store::CommitBatcher& batcher() const noexcept { return *batcher_; }

  [[nodiscard]] std::vector<store::CaFamily> families() const;
  [[nodiscard]] const TsaOptions& options() const { return options_; }

 private:
  struct Unit {
    store::CaRecord record;
    x509::CertificatePtr cert;
    std::vector<x509::CertificatePtr> chain;  // the issuing CA (included on certReq)
    std::unique_ptr<crypto::Signer> signer;
    // signingCertificateV2 for `cert`, computed once (cms::signing_certificate_v2_attribute).
    x509::cms::Attribute signing_certificate;
  };
  struct Job;
  struct Pipeline;
  // Tokens stored per transaction, at most.
  static constexpr std::size_t kMaxRecordsPerRound = 512;
  // Serials reserved per durable transaction (a crash skips what is left of a range).
  static constexpr std::int64_t kSerialRange = 4096;
  // A round waits up to kRoundGather for kRoundTarget requests + tokens (bench:
  // docs/performance.md).
  static constexpr std::size_t kRoundTarget = 32;
  static constexpr std::chrono::microseconds kRoundGather{2000};

  TsaService(TsaDeps deps, TsaOptions options);
  // How a token is signed: with certReq, the TSA's certificate and `chain` go in.
  [[nodiscard]] static x509::cms::SignOptions sign_options(
      const std::vector<x509::CertificatePtr>& chain, bool cert_req);
  void start_pipeline();
  void commit_loop();
  void commit_round(std::vector<std::unique_ptr<Job>>& round);
  // A serial from the reserved range (reserving the next one when it is used up) and genTime;
  // kUnavailable when the clock reads earlier than the latest genTime.
  [[nodiscard]] Result<void> assign(Job& job) const;
  void sign_loop();
  [[nodiscard]] Result<Bytes> sign_token(const Job& job) const;
  void finish(std::unique_ptr<Job> job, TsaReply reply) const;
  [[nodiscard]] const Unit* pick(std::optional<store::CaFamily> family, crypto::HashAlg hash) const;

  TsaDeps d_;
  TsaOptions options_;
  std::map<store::CaFamily, Unit> units_;
  std::unique_ptr<store::CommitBatcher> own_batcher_;  // when TsaDeps::batcher is null
  store::CommitBatcher* batcher_ = nullptr;
  std::unique_ptr<Pipeline> pipeline_;  // last: its threads use everything above
};

// The token of this node's TSA over `message` hashed with `hash` (an RFC 3161 request built
// and answered in process, certReq set): the timestamp function of a CAdES-T signature
// (sign::TimestampFn; the signature service's routes, mobile co-signing). kUnavailable when
// the TSA refuses.
// `family`: that family's TSA (an evidence package of an ECDSA signature is time-stamped by the
// ECDSA TSA, so that one root checks it all); none: by the hash (SM3: SM2, else RSA or ECDSA).
[[nodiscard]] std::function<Result<Bytes>(crypto::HashAlg hash, BytesView message)> local_token_fn(
    const TsaService& tsa, std::string requester, std::string org,
    std::optional<store::CaFamily> family = std::nullopt);
// The same over a digest the caller computed (`digest` = the hash of the data with `hash`): a
// PDF document timestamp over its ByteRange (issue 20). kInvalidArgument for a wrong length.
[[nodiscard]] std::function<Result<Bytes>(crypto::HashAlg hash, BytesView digest)>
local_digest_token_fn(const TsaService& tsa, std::string requester, std::string org,
                      std::optional<store::CaFamily> family = std::nullopt);

}  // namespace hpki::tsa
