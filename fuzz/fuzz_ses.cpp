// fuzz-links: seal x509 store audit crypto der ossl core
// GB/T 38540 / GM/T 0031 decoders (seal/ses.h) on untrusted bytes: an SESeal or an
// SES_Signature as found in an OFD or PDF. Never a crash; errors are decoding errors; what
// decodes re-encodes to the same bytes and verifies to a report without crashing.
#include <cstdlib>

#include "seal/png.h"
#include "seal/ses.h"

namespace {
bool decoding_error(hpki::ErrorCode c) {
  return c == hpki::ErrorCode::kMalformed || c == hpki::ErrorCode::kTooLarge ||
         c == hpki::ErrorCode::kTrailingData;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki::seal;
  const hpki::BytesView in(data, size);
  if (auto seal = decode_seal(in)) {
    // DER is canonical: the decoded parts re-encode to exactly the input.
    auto again =
        assemble_seal(seal->format, seal->info, seal->cert, seal->sign_alg, seal->signed_value);
    if (!again || again->der != hpki::Bytes(in.begin(), in.end())) std::abort();
    (void)verify_seal(*seal, {.at = seal->info.valid_start, .signer_cert = in});
    (void)check_png(seal->info.picture);
  } else if (!decoding_error(seal.error().code())) {
    std::abort();
  }
  if (auto sig = decode_signature(in)) {
    if (sig->der != hpki::Bytes(in.begin(), in.end())) std::abort();
    (void)verify_signature(*sig, in);
  } else if (!decoding_error(sig.error().code())) {
    std::abort();
  }
  (void)check_png(in);
  return 0;
}
