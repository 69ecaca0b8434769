// Per-key token buckets (e.g. keyed by API key id or client IP, as the caller derives).
// Each key holds up to `burst` tokens, refilled at `rate_per_second`; a request takes one.
// When a bucket is empty, take() reports how long until a token is available (the
// Retry-After of the 429). Thread-safe. Keys idle long enough to be full again are pruned
// when the table grows beyond `max_keys`, so memory stays bounded.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hpki::http {

struct RateLimitOptions {
  double rate_per_second = 50.0;
  double burst = 100.0;
  std::size_t max_keys = 100000;
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  explicit RateLimiter(RateLimitOptions options, Now now = {});

  struct Decision {
    bool allowed = true;
    std::chrono::seconds retry_after{0};  // >= 1 s when !allowed
  };
  [[nodiscard]] Decision take(std::string_view key);

 private:
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  void prune(Clock::time_point now);

  RateLimitOptions options_;
  Now now_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace hpki::http
