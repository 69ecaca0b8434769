// Shared by the micro-benchmarks: setup steps that cannot fail in a sane build stop the
// benchmark with the error instead of measuring nonsense.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "core/error.h"

namespace hpki::bench {

template <typename T>
T must(Result<T> r) {
  if (!r) {
    std::fprintf(stderr, "bench setup failed: %s\n", r.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

}  // namespace hpki::bench
