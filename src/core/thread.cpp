#include "core/thread.h"

#include <pthread.h>

namespace hpki {

void name_this_thread(const std::string& name) noexcept {
  constexpr std::size_t kMax = 15;  // 16 bytes with the terminating NUL
  const std::string cut = name.substr(0, kMax);
  pthread_setname_np(pthread_self(), cut.c_str());  // a failure only loses the name
}

}  // namespace hpki
