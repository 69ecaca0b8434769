// fuzz-links: cosign
// WebAuthn parsers of untrusted phone input (src/cosign/): the CBOR decoder, authenticator
// data, clientDataJSON, COSE keys, and the full registration / assertion checks with the input
// as the attestationObject and as the authenticatorData. Never a crash; CBOR that decodes must
// re-encode to a value that decodes equal; every CBOR failure is kMalformed, kTrailingData or
// kTooLarge; random input never passes a verification.
#include <cstdlib>
#include <string>

#include "core/encoding.h"
#include "cosign/detail/cbor.h"
#include "cosign/webauthn.h"

namespace {

using namespace hpki::cosign;

const webauthn::RelyingParty kRp{.rp_id = "localhost", .origin = "http://localhost:8443"};
const hpki::Bytes kChallenge(32, 0x42);

hpki::Bytes client_data(std::string_view type) {
  return hpki::to_bytes(std::string(R"({"type":")") + std::string(type) + R"(","challenge":")" +
                        hpki::base64url_encode(kChallenge) + R"(","origin":")" + kRp.origin +
                        R"(","crossOrigin":false})");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const hpki::Bytes create_cdj = client_data("webauthn.create");
  static const hpki::Bytes get_cdj = client_data("webauthn.get");
  const hpki::BytesView in(data, size);

  auto v = cbor::decode(in);
  if (v) {
    auto again = cbor::decode(cbor::encode(*v));
    if (!again || !(*again == *v)) std::abort();
  } else {
    const auto code = v.error().code();
    if (code != hpki::ErrorCode::kMalformed && code != hpki::ErrorCode::kTrailingData &&
        code != hpki::ErrorCode::kTooLarge) {
      std::abort();
    }
  }
  (void)cbor::decode_prefix(in);
  (void)webauthn::parse_authenticator_data(in);
  (void)webauthn::parse_client_data(in);
  (void)webauthn::cose_key_to_spki(in);

  // The attestationObject path (the client data is valid, so the CBOR parsers are reached).
  auto reg = webauthn::verify_registration(
      kRp, kChallenge,
      {.attestation_object = in, .client_data_json = create_cdj, .credential_id = {}});
  // The authenticatorData path of an assertion, under a credential of the registration if one
  // came out (a seed that is a valid attestationObject for this origin).
  webauthn::Credential cred;
  cred.credential_id = hpki::Bytes(16, 1);
  if (reg) cred = *reg;
  auto as = webauthn::verify_assertion(kRp, kChallenge, cred,
                                       {.credential_id = cred.credential_id,
                                        .authenticator_data = in,
                                        .client_data_json = get_cdj,
                                        .signature = hpki::Bytes{0x30, 0x00}});
  if (as) std::abort();  // no signature verifies
  return 0;
}
