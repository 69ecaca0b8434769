// Time is injected (STYLE.md "Data and types"): nothing below main() reads the system clock
// directly. Services take a `const Clock&`; tests use FixedClock.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "core/error.h"

namespace hpki {

using TimePoint = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when told to. Thread-safe.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint t) : t_(t.time_since_epoch().count()) {}
  [[nodiscard]] TimePoint now() const override { return TimePoint(TimePoint::duration(t_.load())); }
  void set(TimePoint t) { t_.store(t.time_since_epoch().count()); }
  void advance(TimePoint::duration d) { t_.fetch_add(d.count()); }

 private:
  std::atomic<TimePoint::duration::rep> t_;
};

// RFC 3339 / ISO 8601 UTC with seconds: "2026-11-27T07:00:00Z".
[[nodiscard]] std::string format_rfc3339(TimePoint t);
// Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)"; anything else is kMalformed.
[[nodiscard]] Result<TimePoint> parse_rfc3339(std::string_view text);

}  // namespace hpki
