// fuzz-links: x509 der crypto ossl core
// PKCS#10 parser on untrusted bytes (DER or PEM): never a crash; errors are kBadCsr or
// kTooLarge; whatever parses keeps its DER, re-parses identically and survives key_spec,
// the requested-extension decoders and the proof-of-possession check.
#include <cstdlib>

#include "x509/csr.h"
#include "x509/extensions.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki::x509;
  const hpki::BytesView in(data, size);
  auto csr = CertificationRequest::parse_any(in);
  if (!csr) {
    const auto c = csr.error().code();
    if (c != hpki::ErrorCode::kBadCsr && c != hpki::ErrorCode::kTooLarge) std::abort();
    return 0;
  }
  const CertificationRequest& r = **csr;
  auto again = CertificationRequest::parse(r.der());
  if (!again || (*again)->requested_extensions() != r.requested_extensions() ||
      (*again)->spki_der() != r.spki_der())
    std::abort();
  (void)r.key_spec();
  for (const auto& e : r.requested_extensions()) (void)parse_general_names(e.value);
  auto pop = r.verify_pop();
  if (!pop && pop.error().code() == hpki::ErrorCode::kInternal) std::abort();
  return 0;
}
