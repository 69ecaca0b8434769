// WebAuthn (passkey) verification for mobile co-signing approvals (docs/cosign.md sections 2
// and 3): the registration of a credential at enrollment and the assertions that approve
// signing requests, QR logins and decryptions. W3C Web Authentication Level 3, section 7.
//
// What is checked (both ceremonies): the clientDataJSON (type, challenge, origin, crossOrigin
// not true), the authenticator data (rpIdHash = SHA-256(rp_id), the UP and UV flags, BS only
// with BE), and size limits on every input. Registration also parses the attestationObject and
// the credential's COSE key, which must be ES256 (kty EC2, alg -7, crv P-256) and becomes a
// P-256 SubjectPublicKeyInfo. Assertions check the ES256 signature over
// authenticatorData || SHA-256(clientDataJSON) under the stored key, the backup eligibility
// recorded at registration, and the signature counter.
//
// What is NOT checked: attestation. hpki does not verify attestation certificate chains,
// attestation signatures made by an attestation certificate (packed with x5c), metadata
// (AAGUIDs) or extensions. Formats: "none" (attStmt must be empty) and "packed" are accepted;
// a packed self-attestation (no x5c) must carry alg -7 and a valid signature by the credential
// key itself; a packed statement with x5c is checked for shape only and otherwise treated as
// "none". Any other format is refused (Reason::kAttestationUnsupported). Token binding is
// ignored. Which challenge to expect and whether it was already used (single use) is the
// caller's business, as is looking up the stored credential by its id.
//
// Failures are values: Failure{reason, detail}, with a stable id per reason
// ("webauthn.challenge_mismatch", ...) that the API maps to a problem type. Nothing here keeps
// state; all functions are thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::cosign::webauthn {

// Size limits on the inputs (kTooLarge beyond).
inline constexpr std::size_t kMaxClientDataJson = 4 * 1024;
// Of an assertion's authenticatorData; at registration the authenticator data sits inside the
// attestationObject (bounded by that) and its credential id is at most kMaxCredentialId.
inline constexpr std::size_t kMaxAuthenticatorData = 1024;
inline constexpr std::size_t kMaxAttestationObject = 16 * 1024;
// WebAuthn L3 6.5.1: credentialIdLength is at most 1023.
inline constexpr std::size_t kMaxCredentialId = 1023;
// A DER ECDSA P-256 signature is at most 72 bytes.
inline constexpr std::size_t kMaxSignature = 128;
// COSE algorithm ES256 (RFC 9053 2.1, IANA COSE Algorithms): ECDSA P-256 with SHA-256.
inline constexpr std::int64_t kCoseAlgEs256 = -7;

enum class Reason {
  kMalformed,                 // "webauthn.malformed": not parseable / wrong structure or types
  kTooLarge,                  // "webauthn.too_large": an input exceeds its size limit
  kTypeMismatch,              // "webauthn.type_mismatch": clientData.type is not the ceremony's
  kChallengeMismatch,         // "webauthn.challenge_mismatch"
  kOriginMismatch,            // "webauthn.origin_mismatch"
  kCrossOrigin,               // "webauthn.cross_origin": clientData.crossOrigin is true
  kRpMismatch,                // "webauthn.rp_mismatch": rpIdHash is not SHA-256(rp_id)
  kUpMissing,                 // "webauthn.up_missing": user presence flag not set
  kUvMissing,                 // "webauthn.uv_missing": user verification flag not set
  kUnsupportedAlg,            // "webauthn.unsupported_alg": a credential key other than ES256
  kAttestationUnsupported,    // "webauthn.attestation_unsupported": fmt other than none/packed
  kCredentialMismatch,        // "webauthn.credential_mismatch": not the expected credential id
  kBackupEligibilityChanged,  // "webauthn.backup_eligibility_changed": BE differs from enrolment
  kBadSignature,              // "webauthn.bad_signature"
  kCounterRegressed,          // "webauthn.counter_regressed": signCount did not grow (clone?)
  kInternal,                  // "webauthn.internal": a digest or key operation failed in OpenSSL
};

// The stable id of a reason, e.g. "webauthn.uv_missing".
[[nodiscard]] std::string_view reason_id(Reason r) noexcept;

struct Failure {
  Reason reason;
  std::string detail;

  // "<id>: <detail>".
  [[nodiscard]] std::string to_string() const;
  // As an hpki::Error for generic edges: kMalformed, kTooLarge, kUnsupportedAlgorithm,
  // kBadSignature, kInternal, else kPolicyRefused; the detail is to_string().
  [[nodiscard]] Error to_error() const;
  friend bool operator==(const Failure&, const Failure&) = default;
};

template <typename T>
using Checked = std::expected<T, Failure>;

// The authenticator data flags (WebAuthn L3 6.1).
struct Flags {
  std::uint8_t bits = 0;

  static constexpr std::uint8_t kUp = 0x01;  // user present
  static constexpr std::uint8_t kUv = 0x04;  // user verified
  static constexpr std::uint8_t kBe = 0x08;  // backup eligible
  static constexpr std::uint8_t kBs = 0x10;  // backed up
  static constexpr std::uint8_t kAt = 0x40;  // attested credential data included
  static constexpr std::uint8_t kEd = 0x80;  // extension data included

  [[nodiscard]] bool up() const noexcept { return (bits & kUp) != 0; }
  [[nodiscard]] bool uv() const noexcept { return (bits & kUv) != 0; }
  [[nodiscard]] bool be() const noexcept { return (bits & kBe) != 0; }
  [[nodiscard]] bool bs() const noexcept { return (bits & kBs) != 0; }
  [[nodiscard]] bool at() const noexcept { return (bits & kAt) != 0; }
  [[nodiscard]] bool ed() const noexcept { return (bits & kEd) != 0; }
  friend bool operator==(const Flags&, const Flags&) = default;
};

// Parsed authenticator data (WebAuthn L3 6.1):
//   rpIdHash(32) | flags(1) | signCount(4, big-endian) | [attestedCredentialData] | [extensions]
//   attestedCredentialData = aaguid(16) | credentialIdLength(2) | credentialId | COSE_Key
struct AttestedCredential {
  std::array<std::uint8_t, 16> aaguid{};
  Bytes credential_id;
  Bytes cose_key;  // the CBOR bytes of the COSE_Key, as sent
};
struct AuthenticatorData {
  std::array<std::uint8_t, 32> rp_id_hash{};
  Flags flags;
  std::uint32_t sign_count = 0;
  std::optional<AttestedCredential> attested;  // present iff flags.at()
  std::optional<Bytes> extensions;             // the CBOR map, present iff flags.ed()
};

// Structure only: lengths, the AT/ED layout (a COSE key and an extensions map that are
// well-formed CBOR, no bytes left over), a credential id of at most kMaxCredentialId bytes, and
// BS set only with BE (L3 6.1: a credential that is not backup eligible is not backed up).
// Does not limit the size (callers do); kMalformed for everything else.
[[nodiscard]] Checked<AuthenticatorData> parse_authenticator_data(BytesView data);

// The parsed CollectedClientData (WebAuthn L3 5.8.1). Unknown members are ignored; duplicate
// member names are refused (kMalformed), as is JSON that is not an object, not UTF-8, or whose
// type / challenge / origin are not strings or whose crossOrigin is not a boolean.
struct ClientData {
  std::string type;
  Bytes challenge;  // decoded from base64url (no padding)
  std::string origin;
  bool cross_origin = false;
  std::optional<std::string> top_origin;
};
[[nodiscard]] Checked<ClientData> parse_client_data(BytesView client_data_json);

// A COSE_Key (RFC 9052 7, RFC 9053 7.1.1) of an ES256 credential -> DER SubjectPublicKeyInfo
// of the P-256 key. kty must be 2 (EC2), alg -7, crv 1 (P-256), x and y 32 bytes each and a
// point on the curve; a private key (label -4) is refused; other labels are ignored.
// kUnsupportedAlg for another kty / alg / crv, kMalformed otherwise.
[[nodiscard]] Checked<Bytes> cose_key_to_spki(BytesView cose_key);

// Who we are: the RP ID (a registrable domain, "localhost" in tests) and the origin the
// browser reports, compared byte for byte ("https://sign.hospital.example", no trailing
// slash; a port when not the default).
struct RelyingParty {
  std::string rp_id;
  std::string origin;
};

// navigator.credentials.create() output, as the phone posts it (raw bytes, not base64).
struct RegistrationResponse {
  BytesView attestation_object;
  BytesView client_data_json;
  // The credential's id as the client reports it (PublicKeyCredential.rawId). When not empty
  // it must equal the attested credential id (else kCredentialMismatch).
  BytesView credential_id;
};

// What to store for the credential (and hand back to verify_assertion).
struct Credential {
  Bytes credential_id;
  Bytes public_key_spki;  // DER SubjectPublicKeyInfo, P-256
  std::uint32_t sign_count = 0;
  Flags flags;  // as registered; flags.be() is checked on every assertion
  std::array<std::uint8_t, 16> aaguid{};
  std::string attestation_format;  // "none" or "packed"
};

// WebAuthn L3 7.1 "Registering a New Credential", steps 5-26 as described at the top of this
// file, against the challenge the server issued (raw bytes).
[[nodiscard]] Checked<Credential> verify_registration(const RelyingParty& rp,
                                                      BytesView expected_challenge,
                                                      const RegistrationResponse& response);

// navigator.credentials.get() output (raw bytes).
struct AssertionResponse {
  BytesView credential_id;  // rawId; must equal the stored credential's id
  BytesView authenticator_data;
  BytesView client_data_json;
  BytesView signature;  // DER ECDSA-Sig-Value
};

struct AssertionResult {
  std::uint32_t sign_count = 0;  // store it as the credential's new count
  Flags flags;
};

// WebAuthn L3 7.2 "Verifying an Authentication Assertion" for a credential registered with
// verify_registration. The counter rule (L3 6.1.1): when the stored or the new signCount is
// non-zero the new one must be greater, else kCounterRegressed (a possibly cloned
// authenticator; the caller should not accept the approval and may flag the device).
[[nodiscard]] Checked<AssertionResult> verify_assertion(const RelyingParty& rp,
                                                        BytesView expected_challenge,
                                                        const Credential& stored,
                                                        const AssertionResponse& response);

}  // namespace hpki::cosign::webauthn
