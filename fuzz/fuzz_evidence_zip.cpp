// fuzz-links: evidence core
// The ZIP container of evidence packages (evidence/container.h) on untrusted bytes, under small
// limits: never a crash, never more memory than the limits allow, errors are kMalformed or
// kTooLarge; what reads follows every rule of the format and writes back to an archive that
// reads to the same members.
#include <cstdlib>

#include "evidence/container.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki::evidence::zip;
  const Limits limits{.max_archive_size = 1024 * 1024,
                      .max_members = 64,
                      .max_member_size = 1024 * 1024,
                      .max_total_size = 2 * 1024 * 1024};
  auto members = read(hpki::BytesView(data, size), limits);
  if (!members) {
    const auto c = members.error().code();
    if (c != hpki::ErrorCode::kMalformed && c != hpki::ErrorCode::kTooLarge) std::abort();
    return 0;
  }
  if (members->empty() || members->size() > limits.max_members) std::abort();
  std::size_t total = 0;
  for (const Member& m : *members) {
    if (m.data.size() > limits.max_member_size) std::abort();
    total += m.data.size();
  }
  if (total > limits.max_total_size) std::abort();
  // The rules write() enforces are the ones read() enforced: it must accept every member.
  auto again = write(*members);
  if (!again) std::abort();
  auto back = read(*again);
  if (!back || back->size() != members->size()) std::abort();
  for (std::size_t i = 0; i < back->size(); ++i) {
    if ((*back)[i].name != (*members)[i].name || (*back)[i].data != (*members)[i].data) {
      std::abort();
    }
  }
  return 0;
}
