// Names for the long-lived threads, as `top -H`, `ps -L`, perf and gdb show them: an operator
// sees which part of hpki is busy (I/O, issuance, the group commit, the TSA's signers...).
#pragma once

#include <string>
#include <thread>

namespace hpki {

// Names the calling thread (at most 15 characters are kept, the kernel's limit).
void name_this_thread(const std::string& name) noexcept;

// std::thread running fn under `name`.
template <typename Fn>
[[nodiscard]] std::thread named_thread(std::string name, Fn fn) {
  return std::thread([name = std::move(name), fn = std::move(fn)]() mutable {
    name_this_thread(name);
    fn();
  });
}

}  // namespace hpki
