// fuzz-links: x509 der crypto ossl core
// RFC 3161 parsers (x509/tsp.h) on untrusted bytes: TimeStampReq (what the TSA reads from the
// network), TSTInfo and TimeStampResp (what `hpki ts verify` reads), and token verification.
// Never a crash; errors are decoding errors or verdicts; what parses re-encodes to the same
// bytes (requests) or re-parses identically.
#include <cstdlib>

#include "x509/cms.h"
#include "x509/tsp.h"

namespace {
bool decoding_error(hpki::ErrorCode c) {
  return c == hpki::ErrorCode::kMalformed || c == hpki::ErrorCode::kTooLarge ||
         c == hpki::ErrorCode::kTrailingData || c == hpki::ErrorCode::kUnsupported ||
         c == hpki::ErrorCode::kUnexpectedType;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki::x509;
  const hpki::BytesView in(data, size);
  if (auto req = tsp::parse_request(in)) {
    // DER is canonical: a parsed request re-encodes to exactly the input.
    auto der = tsp::encode_request(*req);
    if (!der || *der != hpki::Bytes(in.begin(), in.end())) std::abort();
  } else if (!decoding_error(req.error().code())) {
    std::abort();
  }
  if (auto info = tsp::parse_tst_info(in)) {
    auto der = tsp::encode_tst_info(*info);
    if (der) {
      auto again = tsp::parse_tst_info(*der);
      if (!again || again->serial != info->serial || again->policy != info->policy ||
          again->message_imprint != info->message_imprint || again->nonce != info->nonce)
        std::abort();
    }
  } else if (!decoding_error(info.error().code())) {
    std::abort();
  }
  if (auto resp = tsp::parse_response(in)) {
    auto der = tsp::encode_response(*resp);
    auto again = tsp::parse_response(der);
    if (!again || again->status != resp->status || again->token != resp->token) std::abort();
  } else if (!decoding_error(resp.error().code())) {
    std::abort();
  }
  // Token verification, trusting the token's own certificates and with its own imprint, so
  // that the signature, ESS, EKU and chain code all run: verdicts only, never a crash.
  hpki::Bytes token(in.begin(), in.end());
  if (auto r = tsp::parse_response(in); r && r->token) token = *r->token;
  auto sd = cms::parse_signed_data(token);
  if (sd && !sd->certificates.empty()) {
    tsp::TokenVerifyOptions o{.data = in, .trust_anchors = sd->certificates};
    hpki::Bytes imprint;
    if (sd->content) {
      if (auto info = tsp::parse_tst_info(*sd->content)) {
        imprint = info->message_imprint.hashed_message;
        o.data.reset();
        o.digest = imprint;
      }
    }
    auto v = tsp::verify_token(in, o);
    if (!v) {
      const auto c = v.error().code();
      if (!decoding_error(c) && c != hpki::ErrorCode::kBadSignature &&
          c != hpki::ErrorCode::kUnsupportedAlgorithm && c != hpki::ErrorCode::kCrypto &&
          c != hpki::ErrorCode::kBadCertificate)
        std::abort();
    } else if (v->chain.empty() || !v->tsa) {
      std::abort();
    }
  }
  return 0;
}
