// fuzz-links: x509 der crypto ossl core
// CMS SignedData parser (x509/cms.h) on untrusted bytes, RFC 5652 and GM/T 0010 OIDs: never a
// crash; errors are decoding errors; whatever parses has consistent signer data and survives
// verification (attached, and detached with the input itself as the content), which may only
// fail with a verdict (kBadSignature) or an unsupported algorithm; stripping its certificates
// (what the TSA stores) gives a SignedData that parses with the same signers.
#include <cstdlib>

#include "x509/cms.h"

namespace {
// Undecodable input may only give a decoding error.
void expect_decoding_error(const hpki::Error& e) {
  const auto c = e.code();
  if (c != hpki::ErrorCode::kMalformed && c != hpki::ErrorCode::kTooLarge &&
      c != hpki::ErrorCode::kTrailingData && c != hpki::ErrorCode::kUnexpectedType)
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki::x509;
  const hpki::BytesView in(data, size);
  auto sd = cms::parse_signed_data(in);
  if (!sd) {
    expect_decoding_error(sd.error());
    return 0;
  }
  if (sd->der.size() != size) std::abort();
  // What the TSA stores: the same SignedData without certificates, which parses again.
  auto stripped = cms::strip_certificates(in);
  if (!stripped) {
    expect_decoding_error(stripped.error());
  } else {
    auto bare = cms::parse_signed_data(*stripped);
    if (!bare || !bare->certificates.empty() || bare->signers.size() != sd->signers.size())
      std::abort();
  }
  auto again = cms::parse_signed_data(sd->der);
  if (!again || again->signers.size() != sd->signers.size() ||
      again->certificates.size() != sd->certificates.size())
    std::abort();
  for (std::size_t i = 0; i < sd->signers.size(); ++i) {
    const auto& si = sd->signers[i];
    if (si.signed_attrs_der && (si.signed_attrs_der->empty() || (*si.signed_attrs_der)[0] != 0x31))
      std::abort();
    for (const auto& opts : {cms::VerifyOptions{.signer_index = i},
                             cms::VerifyOptions{.detached_content = in, .signer_index = i}}) {
      auto v = cms::verify_signed_data(*sd, opts);
      if (!v && v.error().code() != hpki::ErrorCode::kBadSignature &&
          v.error().code() != hpki::ErrorCode::kUnsupportedAlgorithm &&
          v.error().code() != hpki::ErrorCode::kCrypto &&
          v.error().code() != hpki::ErrorCode::kMalformed)
        std::abort();
      if (v && !v->signer) std::abort();
    }
  }
  return 0;
}
