// fuzz-links: core
// TOML configuration: parse and validate arbitrary documents; errors are values, never crashes.
#include "core/bytes.h"
#include "core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto doc = hpki::ConfigDoc::parse(hpki::as_string({data, size}), "fuzz.toml");
  if (!doc) return 0;
  (void)hpki::read_config(*doc);
  return 0;
}
