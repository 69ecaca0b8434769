// fuzz-links: x509 der crypto ossl core
// OCSP request parser (RFC 6960 4.1) on untrusted bytes from the network: never a crash;
// errors are kMalformed / kTrailingData / kTooLarge / kLimitExceeded; a parsed request has 1..256
// CertIDs and a nonce of 1..32 octets, and rebuilding it gives a request that parses to the same.
#include <cstdlib>

#include "x509/ocsp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki::x509;
  auto req = parse_ocsp_request(hpki::BytesView(data, size));
  if (!req) {
    const auto c = req.error().code();
    if (c != hpki::ErrorCode::kMalformed && c != hpki::ErrorCode::kTrailingData &&
        c != hpki::ErrorCode::kTooLarge && c != hpki::ErrorCode::kLimitExceeded)
      std::abort();
    return 0;
  }
  if (req->ids.empty() || req->ids.size() > kMaxOcspRequestEntries) std::abort();
  if (req->nonce && (req->nonce->size() < kMinOcspNonce || req->nonce->size() > kMaxOcspNonce))
    std::abort();
  std::optional<hpki::BytesView> nonce;
  if (req->nonce) nonce = *req->nonce;
  auto rebuilt = build_ocsp_request(req->ids, nonce);
  if (!rebuilt) std::abort();
  auto again = parse_ocsp_request(*rebuilt);
  if (!again || again->ids != req->ids || again->nonce != req->nonce) std::abort();
  return 0;
}
