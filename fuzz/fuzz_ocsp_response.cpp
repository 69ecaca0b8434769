// fuzz-links: x509 der crypto ossl core
// OCSP response parser (RFC 6960 4.2) on untrusted bytes: never a crash; errors are kMalformed /
// kTrailingData / kTooLarge / kLimitExceeded (or a certificate error for an embedded cert); a
// parsed successful response has a BasicOCSPResponse whose bytes re-parse identically, and
// checking it against its own embedded certificates never crashes.
#include <cstdlib>

#include "x509/ocsp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki::x509;
  auto r = parse_ocsp_response(hpki::BytesView(data, size));
  if (!r) {
    const auto c = r.error().code();
    if (c != hpki::ErrorCode::kMalformed && c != hpki::ErrorCode::kTrailingData &&
        c != hpki::ErrorCode::kTooLarge && c != hpki::ErrorCode::kLimitExceeded &&
        c != hpki::ErrorCode::kBadCertificate && c != hpki::ErrorCode::kUnexpectedType)
      std::abort();
    return 0;
  }
  if (r->status == OcspResponseStatus::kSuccessful && !r->basic) std::abort();
  if (!r->basic) return 0;
  const auto& b = *r->basic;
  if (b.responder_key_hash().has_value() == b.responder_name().has_value()) std::abort();
  auto again = BasicOcspResponse::parse(b.der());
  if (!again || (*again)->responses().size() != b.responses().size() ||
      (*again)->tbs_der().size() != b.tbs_der().size())
    std::abort();
  (void)b.nonce();
  if (!b.certs().empty()) {
    OcspCheckOptions o;
    o.now = b.produced_at();
    const auto& c = *b.certs().front();
    auto res = check_ocsp_response(b, c, c, o);
    if (res.validity != OcspValidity::kValid && res.status != OcspCertStatus::kUnknown)
      std::abort();
  }
  return 0;
}
