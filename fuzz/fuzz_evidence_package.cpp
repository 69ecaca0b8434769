// fuzz-links: evidence pdf seal sign tsa ca revocation audit store x509 crypto der ossl core
// The evidence package verifier (evidence/package.h) on untrusted bytes: a ZIP from anywhere,
// with a manifest, audit entries, a checkpoint and records as JSON. Never a crash, never a valid
// verdict without trust anchors; bounded by small container limits.
#include <cstdlib>

#include "evidence/package.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki::evidence;
  VerifyOptions o;
  o.now = hpki::TimePoint(std::chrono::seconds(1800000000));
  o.limits = {.max_archive_size = 1u << 20,
              .max_members = 64,
              .max_member_size = 1u << 20,
              .max_total_size = 4u << 20};
  const Report r = verify(hpki::BytesView(data, size), o);
  // Without trust anchors nothing can be valid.
  if (r.verdict == Verdict::kValid) std::abort();
  (void)report_json(r);
  (void)report_text(r);
  (void)parse_manifest(hpki::BytesView(data, size));
  return 0;
}
