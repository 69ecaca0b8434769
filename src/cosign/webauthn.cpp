#include "cosign/webauthn.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "core/encoding.h"
#include "cosign/detail/cbor.h"
#include "crypto/algorithm.h"
#include "crypto/digest.h"
#include "crypto/signer.h"
#include "ossl/spki.h"

namespace hpki::cosign::webauthn {

std::string_view reason_id(Reason r) noexcept {
  switch (r) {
    case Reason::kMalformed:
      return "webauthn.malformed";
    case Reason::kTooLarge:
      return "webauthn.too_large";
    case Reason::kTypeMismatch:
      return "webauthn.type_mismatch";
    case Reason::kChallengeMismatch:
      return "webauthn.challenge_mismatch";
    case Reason::kOriginMismatch:
      return "webauthn.origin_mismatch";
    case Reason::kCrossOrigin:
      return "webauthn.cross_origin";
    case Reason::kRpMismatch:
      return "webauthn.rp_mismatch";
    case Reason::kUpMissing:
      return "webauthn.up_missing";
    case Reason::kUvMissing:
      return "webauthn.uv_missing";
    case Reason::kUnsupportedAlg:
      return "webauthn.unsupported_alg";
    case Reason::kAttestationUnsupported:
      return "webauthn.attestation_unsupported";
    case Reason::kCredentialMismatch:
      return "webauthn.credential_mismatch";
    case Reason::kBackupEligibilityChanged:
      return "webauthn.backup_eligibility_changed";
    case Reason::kBadSignature:
      return "webauthn.bad_signature";
    case Reason::kCounterRegressed:
      return "webauthn.counter_regressed";
    case Reason::kInternal:
      return "webauthn.internal";
  }
  return "webauthn.unknown";
}

std::string Failure::to_string() const { return std::string(reason_id(reason)) + ": " + detail; }

Error Failure::to_error() const {
  ErrorCode code = ErrorCode::kPolicyRefused;
  switch (reason) {
    case Reason::kMalformed:
      code = ErrorCode::kMalformed;
      break;
    case Reason::kTooLarge:
      code = ErrorCode::kTooLarge;
      break;
    case Reason::kUnsupportedAlg:
      code = ErrorCode::kUnsupportedAlgorithm;
      break;
    case Reason::kBadSignature:
      code = ErrorCode::kBadSignature;
      break;
    case Reason::kInternal:
      code = ErrorCode::kInternal;
      break;
    default:
      break;
  }
  return Error{code, to_string()};
}

namespace {

std::unexpected<Failure> refuse(Reason r, std::string detail) {
  return std::unexpected<Failure>(Failure{r, std::move(detail)});
}

// An hpki::Error of a decoder as a malformed-input failure.
std::unexpected<Failure> malformed(std::string_view what, const Error& e) {
  return refuse(Reason::kMalformed, std::string(what) + ": " + e.detail());
}

// Propagates a Failure: `auto v = WA_TRY(expr);` inside a function returning Checked<...>.
#define WA_TRY(expr) WA_TRY_IMPL_(expr, HPKI_CONCAT_(wa_try_result_, __COUNTER__))
#define WA_TRY_IMPL_(expr, var)                                                              \
  __extension__({                                                                            \
    auto&& var = (expr);                                                                     \
    if (!var.has_value()) [[unlikely]]                                                       \
      return ::std::unexpected<::hpki::cosign::webauthn::Failure>(::std::move(var).error()); \
    ::std::move(var).value();                                                                \
  })

Checked<void> check_size(std::string_view what, BytesView in, std::size_t max) {
  if (in.size() > max) {
    return refuse(Reason::kTooLarge, std::string(what) + " of " + std::to_string(in.size()) +
                                         " bytes exceeds the limit of " + std::to_string(max));
  }
  return {};
}

Checked<Bytes> sha256(BytesView data) {
  auto d = crypto::digest(crypto::HashAlg::kSha256, data);
  if (!d) return refuse(Reason::kInternal, "SHA-256: " + d.error().detail());
  return std::move(*d);
}

std::string hex_prefix(BytesView b) {
  return hex_encode(b.first(std::min<std::size_t>(b.size(), 8))) + (b.size() > 8 ? "..." : "");
}

constexpr std::size_t kAuthDataFixed = 37;  // rpIdHash(32) | flags(1) | signCount(4)

cbor::Limits cbor_limits(std::size_t max_input) {
  return cbor::Limits{.max_input = max_input, .max_depth = 8, .max_items = 512};
}

// WebAuthn L3 7.1 steps 7-10 / 7.2 steps 10-13: the client data of the ceremony `type`.
Checked<void> check_client_data(const ClientData& cd, std::string_view type, const RelyingParty& rp,
                                BytesView expected_challenge) {
  // WebAuthn L3 7.1 step 7 / 7.2 step 10: clientData.type is "webauthn.create" / ".get".
  if (cd.type != type) {
    return refuse(Reason::kTypeMismatch,
                  "clientData.type is \"" + cd.type + "\", expected \"" + std::string(type) + "\"");
  }
  // WebAuthn L3 7.1 step 8 / 7.2 step 11: the challenge is the one the server issued.
  if (cd.challenge.size() != expected_challenge.size() ||
      !std::equal(cd.challenge.begin(), cd.challenge.end(), expected_challenge.begin())) {
    return refuse(Reason::kChallengeMismatch, "clientData.challenge " + hex_prefix(cd.challenge) +
                                                  " is not the challenge issued (" +
                                                  hex_prefix(expected_challenge) + ")");
  }
  // WebAuthn L3 7.1 step 9 / 7.2 step 12: the origin is the relying party's.
  if (cd.origin != rp.origin) {
    return refuse(Reason::kOriginMismatch,
                  "clientData.origin \"" + cd.origin + "\" is not \"" + rp.origin + "\"");
  }
  // WebAuthn L3 7.1 step 10 / 7.2 step 13: hpki is never embedded in another site's frame.
  if (cd.cross_origin) {
    return refuse(Reason::kCrossOrigin, "clientData.crossOrigin is true (top origin \"" +
                                            cd.top_origin.value_or("") +
                                            "\"); hpki accepts only same-origin ceremonies");
  }
  return {};
}

// WebAuthn L3 7.1 steps 13-16 / 7.2 steps 15-17: rpIdHash and the UP / UV flags.
Checked<void> check_authenticator_data(const AuthenticatorData& ad, const RelyingParty& rp) {
  const Bytes expected = WA_TRY(sha256(as_bytes(rp.rp_id)));
  // WebAuthn L3 7.1 step 13 / 7.2 step 15: rpIdHash is SHA-256 of the RP ID.
  if (!std::equal(ad.rp_id_hash.begin(), ad.rp_id_hash.end(), expected.begin(), expected.end())) {
    return refuse(Reason::kRpMismatch, "authenticatorData.rpIdHash " + hex_prefix(ad.rp_id_hash) +
                                           " is not SHA-256(\"" + rp.rp_id + "\")");
  }
  // WebAuthn L3 7.1 step 14 / 7.2 step 16: the UP flag is set.
  if (!ad.flags.up()) {
    return refuse(Reason::kUpMissing, "authenticatorData flags: user presence (UP) not set");
  }
  // WebAuthn L3 7.1 step 15 / 7.2 step 17: user verification is required for co-signing, so
  // the UV flag must be set.
  if (!ad.flags.uv()) {
    return refuse(Reason::kUvMissing, "authenticatorData flags: user verification (UV) not set");
  }
  return {};
}

Checked<std::int64_t> int_member(const cbor::Value& map, std::int64_t label,
                                 std::string_view what) {
  const auto* v = map.find(label);
  if (v == nullptr) return refuse(Reason::kMalformed, std::string(what) + " is missing");
  auto i = v->as_int();
  if (!i) return refuse(Reason::kMalformed, std::string(what) + " is not an integer");
  return *i;
}

// The attestation statement (WebAuthn L3 8.2 "packed", 8.7 "none"). See webauthn.h for what is
// and is not verified.
Checked<void> check_attestation(std::string_view fmt, const cbor::Value& stmt, BytesView auth_data,
                                BytesView client_data_hash, BytesView credential_spki) {
  if (stmt.type() != cbor::Type::kMap) {
    return refuse(Reason::kMalformed, "attStmt is not a map");
  }
  // WebAuthn L3 8.7: the "none" statement is the empty map.
  if (fmt == "none") {
    if (!stmt.map().empty()) return refuse(Reason::kMalformed, "attStmt of \"none\" is not empty");
    return {};
  }
  if (fmt != "packed") {
    return refuse(Reason::kAttestationUnsupported,
                  "attestation format \"" + std::string(fmt) +
                      "\" is not supported (hpki accepts \"none\" and \"packed\")");
  }
  // WebAuthn L3 8.2: packedStmtFormat = {alg, sig, [x5c]}.
  const auto* alg_v = stmt.find("alg");
  const auto* sig = stmt.find("sig");
  const auto* x5c = stmt.find("x5c");
  if (alg_v == nullptr || !alg_v->as_int()) {
    return refuse(Reason::kMalformed, "packed attStmt.alg is missing or not an integer");
  }
  if (sig == nullptr || sig->type() != cbor::Type::kBytes) {
    return refuse(Reason::kMalformed, "packed attStmt.sig is missing or not a byte string");
  }
  for (const auto& [k, v] : stmt.map()) {
    if (k.type() != cbor::Type::kText ||
        (k.text() != "alg" && k.text() != "sig" && k.text() != "x5c")) {
      return refuse(Reason::kMalformed, "packed attStmt has an unknown member (ECDAA?)");
    }
  }
  if (x5c != nullptr) {
    // Full attestation: the chain and its signature are not verified (webauthn.h).
    if (x5c->type() != cbor::Type::kArray || x5c->array().empty()) {
      return refuse(Reason::kMalformed, "packed attStmt.x5c is not a non-empty array");
    }
    for (const auto& c : x5c->array()) {
      if (c.type() != cbor::Type::kBytes || c.bytes().empty()) {
        return refuse(Reason::kMalformed, "packed attStmt.x5c holds a non-certificate");
      }
    }
    return {};
  }
  // WebAuthn L3 8.2 self attestation: alg equals the credential's alg and sig verifies over
  // authenticatorData || clientDataHash with the credential key.
  if (*alg_v->as_int() != kCoseAlgEs256) {
    return refuse(Reason::kUnsupportedAlg, "packed self attestation with alg " +
                                               std::to_string(*alg_v->as_int()) +
                                               ", the credential is ES256 (-7)");
  }
  Bytes message(auth_data.begin(), auth_data.end());
  message.insert(message.end(), client_data_hash.begin(), client_data_hash.end());
  auto ok = crypto::verify_signature(credential_spki, crypto::SignatureAlg::kEcdsaSha256, message,
                                     sig->bytes());
  if (!ok) {
    return refuse(Reason::kBadSignature,
                  "packed self attestation signature: " + ok.error().detail());
  }
  return {};
}

}  // namespace

Checked<AuthenticatorData> parse_authenticator_data(BytesView data) {
  if (data.size() < kAuthDataFixed) {
    return refuse(Reason::kMalformed, "authenticatorData of " + std::to_string(data.size()) +
                                          " bytes is shorter than 37");
  }
  AuthenticatorData ad;
  std::copy_n(data.begin(), 32, ad.rp_id_hash.begin());
  ad.flags.bits = data[32];
  ad.sign_count = (std::uint32_t{data[33]} << 24) | (std::uint32_t{data[34]} << 16) |
                  (std::uint32_t{data[35]} << 8) | std::uint32_t{data[36]};
  // WebAuthn L3 6.1: BS (backed up) may be set only when BE (backup eligible) is.
  if (ad.flags.bs() && !ad.flags.be()) {
    return refuse(Reason::kMalformed, "authenticatorData flags: BS set without BE");
  }
  BytesView rest = data.subspan(kAuthDataFixed);
  if (ad.flags.at()) {
    // WebAuthn L3 6.5.1: aaguid(16) | credentialIdLength(2, big-endian) | credentialId | key.
    if (rest.size() < 18) {
      return refuse(Reason::kMalformed, "attestedCredentialData is truncated");
    }
    AttestedCredential ac;
    std::copy_n(rest.begin(), 16, ac.aaguid.begin());
    const std::size_t id_len = (std::size_t{rest[16]} << 8) | rest[17];
    rest = rest.subspan(18);
    if (id_len > kMaxCredentialId) {
      return refuse(Reason::kMalformed, "credentialIdLength " + std::to_string(id_len) +
                                            " exceeds " + std::to_string(kMaxCredentialId));
    }
    if (id_len == 0) return refuse(Reason::kMalformed, "credentialIdLength is 0");
    if (rest.size() < id_len) {
      return refuse(Reason::kMalformed, "credentialId is truncated");
    }
    ac.credential_id.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(id_len));
    rest = rest.subspan(id_len);
    auto key = cbor::decode_prefix(rest, cbor_limits(rest.size()));
    if (!key) return malformed("credentialPublicKey", key.error());
    if (key->first.type() != cbor::Type::kMap) {
      return refuse(Reason::kMalformed, "credentialPublicKey is not a CBOR map");
    }
    ac.cose_key.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(key->second));
    rest = rest.subspan(key->second);
    ad.attested = std::move(ac);
  }
  if (ad.flags.ed()) {
    auto ext = cbor::decode(rest, cbor_limits(rest.size()));
    if (!ext) return malformed("authenticatorData extensions", ext.error());
    if (ext->type() != cbor::Type::kMap) {
      return refuse(Reason::kMalformed, "authenticatorData extensions are not a CBOR map");
    }
    ad.extensions = Bytes(rest.begin(), rest.end());
    rest = {};
  }
  if (!rest.empty()) {
    return refuse(Reason::kMalformed, "authenticatorData has " + std::to_string(rest.size()) +
                                          " bytes after its last field (AT/ED flags wrong?)");
  }
  return ad;
}

Checked<ClientData> parse_client_data(BytesView client_data_json) {
  WA_TRY(check_size("clientDataJSON", client_data_json, kMaxClientDataJson));
  // Duplicate member names would let two readers see different challenges or origins: refused
  // (nlohmann keeps the last one silently, so the callback tracks the names per object).
  std::vector<std::set<std::string>> names;
  bool duplicate = false;
  bool too_deep = false;
  const auto cb = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (depth > 16) too_deep = true;
    if (event == E::object_start) {
      names.emplace_back();
    } else if (event == E::object_end) {
      if (!names.empty()) names.pop_back();
    } else if (event == E::key && !names.empty()) {
      if (!names.back().insert(parsed.get<std::string>()).second) duplicate = true;
    }
    return true;
  };
  const auto text = as_string(client_data_json);
  auto j = nlohmann::json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return refuse(Reason::kMalformed, "clientDataJSON is not valid JSON (UTF-8)");
  }
  if (duplicate) return refuse(Reason::kMalformed, "clientDataJSON has a duplicate member name");
  if (too_deep) return refuse(Reason::kMalformed, "clientDataJSON is nested too deeply");
  if (!j.is_object()) return refuse(Reason::kMalformed, "clientDataJSON is not a JSON object");

  ClientData cd;
  const auto str = [&](const char* key) -> Checked<std::string> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) {
      return refuse(Reason::kMalformed,
                    std::string("clientDataJSON.") + key + " is missing or not a string");
    }
    return it->get<std::string>();
  };
  cd.type = WA_TRY(str("type"));
  const std::string challenge = WA_TRY(str("challenge"));
  // WebAuthn L3 5.8.1: the challenge is base64url-encoded without padding.
  auto raw = base64url_decode(challenge);
  if (!raw) return malformed("clientDataJSON.challenge is not base64url", raw.error());
  cd.challenge = std::move(*raw);
  cd.origin = WA_TRY(str("origin"));
  if (auto it = j.find("crossOrigin"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      return refuse(Reason::kMalformed, "clientDataJSON.crossOrigin is not a boolean");
    }
    cd.cross_origin = it->get<bool>();
  }
  if (auto it = j.find("topOrigin"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) {
      return refuse(Reason::kMalformed, "clientDataJSON.topOrigin is not a string");
    }
    cd.top_origin = it->get<std::string>();
  }
  return cd;
}

Checked<Bytes> cose_key_to_spki(BytesView cose_key) {
  auto decoded = cbor::decode(cose_key, cbor_limits(kMaxAttestationObject));
  if (!decoded) return malformed("COSE key", decoded.error());
  const cbor::Value& key = *decoded;
  if (key.type() != cbor::Type::kMap) return refuse(Reason::kMalformed, "COSE key is not a map");
  // RFC 9052 7.1: kty (1), alg (3); RFC 9053 7.1.1: EC2 crv (-1), x (-2), y (-3), d (-4).
  const std::int64_t kty = WA_TRY(int_member(key, 1, "COSE key kty (1)"));
  if (kty != 2) {
    return refuse(Reason::kUnsupportedAlg,
                  "COSE key type " + std::to_string(kty) + " (hpki accepts EC2 = 2 only)");
  }
  // WebAuthn L3 7.1 step 20 (pubKeyCredParams): hpki asks for ES256 only.
  const std::int64_t alg = WA_TRY(int_member(key, 3, "COSE key alg (3)"));
  if (alg != kCoseAlgEs256) {
    return refuse(Reason::kUnsupportedAlg,
                  "COSE key alg " + std::to_string(alg) + " (hpki accepts ES256 = -7 only)");
  }
  const std::int64_t crv = WA_TRY(int_member(key, -1, "COSE key crv (-1)"));
  if (crv != 1) {
    return refuse(Reason::kUnsupportedAlg,
                  "COSE key curve " + std::to_string(crv) + " (ES256 needs P-256 = 1)");
  }
  if (key.find(-4) != nullptr) {
    return refuse(Reason::kMalformed, "COSE key carries a private key (d, -4)");
  }
  const auto* x = key.find(-2);
  const auto* y = key.find(-3);
  if (x == nullptr || x->type() != cbor::Type::kBytes || x->bytes().size() != 32 || y == nullptr ||
      y->type() != cbor::Type::kBytes || y->bytes().size() != 32) {
    return refuse(Reason::kMalformed, "COSE key x (-2) and y (-3) must be 32-byte strings");
  }
  Bytes point{0x04};
  point.insert(point.end(), x->bytes().begin(), x->bytes().end());
  point.insert(point.end(), y->bytes().begin(), y->bytes().end());
  auto spki = ossl::spki_from_ec_point(ossl::EcCurve::kP256, point);
  if (!spki) return malformed("COSE key point", spki.error());
  return std::move(*spki);
}

Checked<Credential> verify_registration(const RelyingParty& rp, BytesView expected_challenge,
                                        const RegistrationResponse& response) {
  WA_TRY(check_size("attestationObject", response.attestation_object, kMaxAttestationObject));
  WA_TRY(check_size("clientDataJSON", response.client_data_json, kMaxClientDataJson));
  WA_TRY(check_size("credential id", response.credential_id, kMaxCredentialId));

  // WebAuthn L3 7.1 steps 5-10: the client data.
  const ClientData cd = WA_TRY(parse_client_data(response.client_data_json));
  WA_TRY(check_client_data(cd, "webauthn.create", rp, expected_challenge));
  // WebAuthn L3 7.1 step 11: hash = SHA-256(clientDataJSON).
  const Bytes client_data_hash = WA_TRY(sha256(response.client_data_json));

  // WebAuthn L3 7.1 step 12 / 6.5: attestationObject = {fmt: text, attStmt: map,
  // authData: bytes}.
  auto obj = cbor::decode(response.attestation_object, cbor_limits(kMaxAttestationObject));
  if (!obj) return malformed("attestationObject", obj.error());
  if (obj->type() != cbor::Type::kMap) {
    return refuse(Reason::kMalformed, "attestationObject is not a CBOR map");
  }
  const auto* fmt = obj->find("fmt");
  const auto* stmt = obj->find("attStmt");
  const auto* auth = obj->find("authData");
  if (fmt == nullptr || fmt->type() != cbor::Type::kText) {
    return refuse(Reason::kMalformed, "attestationObject.fmt is missing or not text");
  }
  if (stmt == nullptr || stmt->type() != cbor::Type::kMap) {
    return refuse(Reason::kMalformed, "attestationObject.attStmt is missing or not a map");
  }
  if (auth == nullptr || auth->type() != cbor::Type::kBytes) {
    return refuse(Reason::kMalformed, "attestationObject.authData is missing or not bytes");
  }
  const AuthenticatorData ad = WA_TRY(parse_authenticator_data(auth->bytes()));
  WA_TRY(check_authenticator_data(ad, rp));
  // WebAuthn L3 6.5.1: a registration carries the attested credential data (AT).
  if (!ad.attested) {
    return refuse(Reason::kMalformed, "authenticatorData has no attested credential (AT unset)");
  }
  // WebAuthn L3 7.1 step 20: the credential's algorithm is one hpki asked for (ES256).
  Bytes spki = WA_TRY(cose_key_to_spki(ad.attested->cose_key));
  if (!response.credential_id.empty() &&
      !std::equal(response.credential_id.begin(), response.credential_id.end(),
                  ad.attested->credential_id.begin(), ad.attested->credential_id.end())) {
    return refuse(Reason::kCredentialMismatch,
                  "the credential id sent (" + hex_prefix(response.credential_id) +
                      ") is not the attested one (" + hex_prefix(ad.attested->credential_id) + ")");
  }
  // WebAuthn L3 7.1 steps 21-23: the attestation statement (see webauthn.h).
  WA_TRY(check_attestation(fmt->text(), *stmt, auth->bytes(), client_data_hash, spki));

  Credential c;
  c.credential_id = ad.attested->credential_id;
  c.public_key_spki = std::move(spki);
  c.sign_count = ad.sign_count;
  c.flags = ad.flags;
  c.aaguid = ad.attested->aaguid;
  c.attestation_format = std::string(fmt->text());
  return c;
}

Checked<AssertionResult> verify_assertion(const RelyingParty& rp, BytesView expected_challenge,
                                          const Credential& stored,
                                          const AssertionResponse& response) {
  WA_TRY(check_size("authenticatorData", response.authenticator_data, kMaxAuthenticatorData));
  WA_TRY(check_size("clientDataJSON", response.client_data_json, kMaxClientDataJson));
  WA_TRY(check_size("signature", response.signature, kMaxSignature));
  WA_TRY(check_size("credential id", response.credential_id, kMaxCredentialId));

  // WebAuthn L3 7.2 step 5: the credential is the one the caller looked up / allowed.
  if (!std::equal(response.credential_id.begin(), response.credential_id.end(),
                  stored.credential_id.begin(), stored.credential_id.end())) {
    return refuse(Reason::kCredentialMismatch,
                  "the assertion's credential id (" + hex_prefix(response.credential_id) +
                      ") is not the enrolled one (" + hex_prefix(stored.credential_id) + ")");
  }
  // WebAuthn L3 7.2 steps 8-13: the client data.
  const ClientData cd = WA_TRY(parse_client_data(response.client_data_json));
  WA_TRY(check_client_data(cd, "webauthn.get", rp, expected_challenge));
  // WebAuthn L3 7.2 steps 15-17: rpIdHash, UP, UV.
  const AuthenticatorData ad = WA_TRY(parse_authenticator_data(response.authenticator_data));
  WA_TRY(check_authenticator_data(ad, rp));
  if (ad.attested) {
    return refuse(Reason::kMalformed, "an assertion's authenticatorData carries AT");
  }
  // WebAuthn L3 7.2 step 18: backup eligibility is fixed when the credential is created.
  if (ad.flags.be() != stored.flags.be()) {
    return refuse(Reason::kBackupEligibilityChanged,
                  std::string("BE flag is ") + (ad.flags.be() ? "set" : "unset") + ", it was " +
                      (stored.flags.be() ? "set" : "unset") + " at registration");
  }
  // WebAuthn L3 7.2 steps 20-21: the signature over authenticatorData || SHA-256(clientData).
  const Bytes client_data_hash = WA_TRY(sha256(response.client_data_json));
  Bytes message(response.authenticator_data.begin(), response.authenticator_data.end());
  message.insert(message.end(), client_data_hash.begin(), client_data_hash.end());
  auto ok = crypto::verify_signature(stored.public_key_spki, crypto::SignatureAlg::kEcdsaSha256,
                                     message, response.signature);
  if (!ok) return refuse(Reason::kBadSignature, "assertion signature: " + ok.error().detail());
  // WebAuthn L3 7.2 step 22 / 6.1.1: when either count is non-zero the new one must be
  // greater than the stored one; otherwise the authenticator may have been cloned.
  if ((ad.sign_count != 0 || stored.sign_count != 0) && ad.sign_count <= stored.sign_count) {
    return refuse(Reason::kCounterRegressed, "signCount " + std::to_string(ad.sign_count) +
                                                 " is not greater than the stored " +
                                                 std::to_string(stored.sign_count) +
                                                 " (cloned authenticator?)");
  }
  return AssertionResult{.sign_count = ad.sign_count, .flags = ad.flags};
}

}  // namespace hpki::cosign::webauthn
