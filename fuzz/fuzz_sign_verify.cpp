// fuzz-links: sign x509 der crypto ossl core
// The signature service on untrusted bytes (sign/sign_service.h, sign/key_registry.h): the
// input as a CMS signature (attached, and detached with the input as the content) and as a raw
// signature never crashes sign::verify; every report renders as JSON that parses and is never
// valid without a trust anchor; the input as a key registration file parses or fails cleanly.
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "sign/key_registry.h"
#include "sign/sign_service.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki;
  const BytesView in(data, size);
  sign::TrustSettings trust;  // no anchors: nothing may come out valid
  for (const auto mode : {sign::Mode::kCmsAttached, sign::Mode::kCmsDetached}) {
    sign::VerifyRequest req;
    req.mode = mode;
    req.signature = in;
    if (mode == sign::Mode::kCmsDetached) req.content = in;
    const auto r = sign::verify(req, trust);
    if (r.valid) std::abort();
    if (nlohmann::json::parse(sign::verify_report_json(r), nullptr, false).is_discarded())
      std::abort();
    (void)sign::verify_report_text(r);
  }
  sign::VerifyRequest raw{.mode = sign::Mode::kRaw, .signature = in, .content = in};
  if (sign::verify(raw, trust).valid) std::abort();

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto reg = sign::parse_registration("fuzz", text);
  if (reg && (reg->certificates.empty() || !reg->certificates.front())) std::abort();
  return 0;
}
