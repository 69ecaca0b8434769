// The seal service (docs/seals.md): the lifecycle of an organization's electronic seals in the
// store — create, show, list, revoke, expiry — every change audited in the same transaction,
// and the check a signing path makes before it puts a seal on a document (lookup_for_signing).
//
// Kinds:
//   organization  单位公章 etc.: an image, the certificates allowed to use it, a validity period;
//                 for SM2 certificates also a GB/T 38540 v4 SESeal made by the maker key
//                 (an SM2 key of the same organization registered with `hpki key register`).
//   personal      a person's seal (名章): the same, with the person's subject record.
//   handwriting   a handwritten signature image of a person: image, allowed certificates,
//                 validity; never an SESeal (GB/T 38540 seals are of type 1 or 2).
// RSA and ECDSA certificates: no SESeal exists for them (seal/ses.h); the seal is the image and
// this record.
//
// Organization scope: every call takes the caller's organization (`scope`, none = every
// organization, for admins and the CLI); a seal of another organization is kNotFound, as if it
// did not exist. Errors: kInvalidArgument (bad request; the detail names the field),
// kMalformed / kTooLarge (an image that is not a PNG, or too big), kNotFound, kConflict
// (revoking a revoked seal), kPermissionDenied (a maker key of another organization), and the
// lookup's refusals below, whose details start with the diagnostic id (seal/ses.h diag).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/signer.h"
#include "seal/ses.h"
#include "store/store.h"
#include "x509/certificate.h"

namespace hpki::seal {

inline constexpr std::string_view kKindOrganization = "organization";
inline constexpr std::string_view kKindPersonal = "personal";
inline constexpr std::string_view kKindHandwriting = "handwriting";
inline constexpr std::string_view kStateActive = "active";
inline constexpr std::string_view kStateRevoked = "revoked";

// Audit actions (the words of audit::action; kept here with the module that writes them).
inline constexpr std::string_view kActionCreate = "seal.create";
inline constexpr std::string_view kActionRevoke = "seal.revoke";

inline constexpr std::size_t kMaxAllowedCertificates = kMaxCertListEntries;
inline constexpr std::int64_t kMaxSizeMm = 500;  // width and height, 1..500 mm
inline constexpr std::size_t kMaxNameLength = 200;
inline constexpr std::size_t kMaxReasonLength = 500;

// The seal maker's key: an SM2 signer and its certificate, registered for `org`.
struct Maker {
  const crypto::Signer* signer = nullptr;
  x509::CertificatePtr certificate;
  std::string key_id;  // the registration's id (recorded with the seal)
  std::string org;     // the registration's organization
};

struct CreateRequest {
  std::string org;
  std::string kind = std::string(kKindOrganization);
  std::string name;
  std::optional<std::int64_t> subject_id{};  // personal and handwriting: required
  Bytes image;                               // PNG (seal/png.h)
  std::int64_t width_mm = 40;
  std::int64_t height_mm = 40;
  std::vector<x509::CertificatePtr> allowed;  // at least one, all of one key family
  TimePoint valid_from{};
  TimePoint valid_to{};
  bool digest_list = false;  // SESeal: list the SM3 digests of the certificates instead
  std::string es_id{};       // GB/T 38540 esID; default: derived from the seal id
};

// A seal as shown: the record and its status now ("active", "revoked", "expired",
// "not_yet_valid").
struct SealView {
  store::SealRecord record;
  std::string status;
};

// What lookup_for_signing hands a signing path.
struct SealUse {
  store::SealRecord record;
  std::optional<Seal> seal;  // the decoded SESeal (SM2 seals)
};

class Service {
 public:
  // All must outlive the service.
  Service(store::Store& store, const audit::AuditLog& audit, const Clock& clock)
      : store_(store), audit_(audit), clock_(clock) {}

  // Creates a seal of req.org. An SM2 organization or personal seal needs `maker` (its
  // org must be req.org, else kPermissionDenied) and gets a v4 SESeal listing req.allowed;
  // RSA / ECDSA seals and handwriting ignore `maker`. Audited as seal.create.
  [[nodiscard]] Result<SealView> create(const CreateRequest& req, const std::optional<Maker>& maker,
                                        std::string_view actor);
  [[nodiscard]] Result<SealView> show(std::string_view id,
                                      const std::optional<std::string>& scope) const;
  // Seals of `scope` (every organization when none), oldest first, without images and SESeal.
  [[nodiscard]] Result<std::vector<SealView>> list(const std::optional<std::string>& scope,
                                                   std::int64_t limit, std::int64_t offset) const;
  // Marks an active seal revoked now with `reason`; kConflict when it already is. Audited as
  // seal.revoke.
  [[nodiscard]] Result<SealView> revoke(std::string_view id, std::string_view reason,
                                        const std::optional<std::string>& scope,
                                        std::string_view actor);
  // Whether `signer` may stamp with seal `id` now: the seal exists in scope (else kNotFound,
  // "seal.not_found"), is not revoked (kRevoked, "seal.revoked"), is within its validity
  // (kBadState, "seal.expired" / "seal.not_yet_valid"), lists the certificate (kPermissionDenied,
  // "seal.signer_not_allowed"), and its SESeal, when it has one, still verifies
  // (kBadSignature, "seal.maker_signature_invalid").
  [[nodiscard]] Result<SealUse> lookup_for_signing(std::string_view id,
                                                   const x509::Certificate& signer,
                                                   const std::optional<std::string>& scope) const;

 private:
  [[nodiscard]] std::string status_of(const store::SealRecord& r) const;
  [[nodiscard]] Result<store::SealRecord> get_scoped(store::Tx& tx, std::string_view id,
                                                     const std::optional<std::string>& scope) const;

  store::Store& store_;
  const audit::AuditLog& audit_;
  const Clock& clock_;
};

// The JSON object of a seal for the CLI's --json and the API (no image bytes unless
// `with_image`): id, organization, kind, name, subject_id, algorithm, width_mm, height_mm,
// es_id, maker_key, allowed_serials, valid_from, valid_to, state, status, revoked_at, reason,
// created_by, created_at, has_seal (an SESeal is stored); with_image adds image (base64) and
// seal (base64 SESeal DER).
[[nodiscard]] std::string seal_json(const SealView& v, bool with_image);

}  // namespace hpki::seal
