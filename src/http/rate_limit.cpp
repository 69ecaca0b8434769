#include "http/rate_limit.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace hpki::http {

RateLimiter::RateLimiter(RateLimitOptions options, Now now)
    : options_(options), now_(std::move(now)) {
  HPKI_CHECK(options_.rate_per_second > 0 && options_.burst >= 1);
  if (!now_) now_ = [] { return Clock::now(); };
}

RateLimiter::Decision RateLimiter::take(std::string_view key) {
  Clock::time_point now = now_();
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_keys) prune(now);
    it = buckets_.emplace(std::string(key), Bucket{options_.burst, now}).first;
  }
  Bucket& b = it->second;
  double elapsed = std::chrono::duration<double>(now - b.last).count();
  if (elapsed > 0) {
    b.tokens = std::min(options_.burst, b.tokens + elapsed * options_.rate_per_second);
    b.last = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  double wait = (1.0 - b.tokens) / options_.rate_per_second;
  auto secs = static_cast<std::int64_t>(std::ceil(wait));
  return Decision{false, std::chrono::seconds(std::max<std::int64_t>(1, secs))};
}

void RateLimiter::prune(Clock::time_point now) {
  double full_after = options_.burst / options_.rate_per_second;
  std::erase_if(buckets_, [&](const auto& kv) {
    return std::chrono::duration<double>(now - kv.second.last).count() >= full_after;
  });
  // Still full of active keys: drop everything rather than grow without bound.
  if (buckets_.size() >= options_.max_keys) buckets_.clear();
}

}  // namespace hpki::http
