#include "core/clock.h"

#include <gtest/gtest.h>

namespace hpki {
namespace {

TEST(Clock, FixedClockMovesOnlyWhenTold) {
  auto t0 = parse_rfc3339("2026-11-27T07:00:00Z").value();
  FixedClock c(t0);
  EXPECT_EQ(c.now(), t0);
  c.advance(std::chrono::hours(1));
  EXPECT_EQ(format_rfc3339(c.now()), "2026-11-27T08:00:00Z");
}

TEST(Clock, Rfc3339) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z").value().time_since_epoch(),
            TimePoint::duration(0));
  EXPECT_EQ(format_rfc3339(parse_rfc3339("2011-04-15T20:00:00+08:00").value()),
            "2011-04-15T12:00:00Z");
  EXPECT_EQ(format_rfc3339(parse_rfc3339("2049-12-31T23:59:59.5Z").value()),
            "2049-12-31T23:59:59Z");
  EXPECT_FALSE(parse_rfc3339("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-27 07:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-27T07:00:00"));
  EXPECT_FALSE(parse_rfc3339("2026-11-27T24:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-27T07:00:00Zjunk"));
}

}  // namespace
}  // namespace hpki
