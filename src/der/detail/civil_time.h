// Proleptic Gregorian calendar arithmetic for UTCTime / GeneralizedTime (private to der/).
// Algorithms from H. Hinnant, "chrono-Compatible Low-Level Date Algorithms".
#pragma once

#include <cstdint>

namespace hpki::der::detail {

[[nodiscard]] constexpr bool is_leap_year(int y) noexcept {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

[[nodiscard]] constexpr int days_in_month(int y, unsigned m) noexcept {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of y-m-d (m 1..12, d 1..31).
[[nodiscard]] constexpr std::int64_t days_from_civil(int y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);                 // [0, 399]
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return std::int64_t{era} * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilTime {
  int year;
  unsigned month, day, hour, minute, second;
};

// Inverse of days_from_civil plus the time of day, for any seconds count (floor division).
[[nodiscard]] constexpr CivilTime civil_from_seconds(std::int64_t s) noexcept {
  std::int64_t z = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  const auto sod = static_cast<unsigned>(s - z * 86400);
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const auto y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0));
  return {y, m, d, sod / 3600, sod / 60 % 60, sod % 60};
}

}  // namespace hpki::der::detail
