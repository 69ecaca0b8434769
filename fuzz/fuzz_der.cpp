// fuzz-links: der core
// DER reader/writer: arbitrary input is walked with der::Reader (depth-limited by the Reader);
// every value decoder runs on every primitive element; whatever decodes is re-encoded with
// der::Writer and must reproduce the input bytes exactly (abort otherwise). Inputs the Reader
// rejects must be rejected with kMalformed and never crash.
#include <cstdio>
#include <cstdlib>

#include "der_walk.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki::der;
  Reader r(hpki::BytesView(data, size));
  walk::Stats st;
  const auto ok = walk::walk(r, st);
  if (!ok && ok.error().code() != hpki::ErrorCode::kMalformed) std::abort();
  if (!st.mismatches.empty()) {
    std::fprintf(stderr, "re-encoding mismatch: %s\n", st.mismatches.front().c_str());
    std::abort();
  }
  // Top-level helpers on the raw input.
  (void)Oid::from_der(hpki::BytesView(data, size));
  (void)Oid::from_string(hpki::as_string(hpki::BytesView(data, size)));
  Reader again(hpki::BytesView(data, size));
  (void)again.read_time();
  (void)again.read_any_string();
  return 0;
}
