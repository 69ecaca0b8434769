// fuzz-links: crypto
// Key decoders on untrusted bytes: PKCS#8 DER, PEM (plain or encrypted), SPKI. Never a crash;
// whatever loads must re-export to something that loads to the same public key.
#include <cstdlib>

#include "crypto/key.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const hpki::BytesView in(data, size);
  if (auto key = hpki::crypto::PrivateKey::from_pkcs8_der(in)) {
    auto der = key->to_pkcs8_der();
    if (!der) std::abort();
    auto again = hpki::crypto::PrivateKey::from_pkcs8_der(der->view());
    if (!again || again->public_key_der() != key->public_key_der()) std::abort();
  }
  (void)hpki::crypto::PrivateKey::from_pem(hpki::as_string(in), hpki::SecretBytes("fuzz"));
  if (auto spec = hpki::crypto::key_spec_of(in)) {
    auto pub = hpki::crypto::PublicKey::from_spki(in);
    if (!pub || pub->spec() != *spec) std::abort();
  }
  return 0;
}
