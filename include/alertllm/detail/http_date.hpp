// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "alertllm/detail/strings.hpp"

// HTTP-date (RFC 9110 §5.6.7), as a Retry-After header may carry it. Not documented API.

namespace alertllm::detail {

// "Sun" … "Sat" (or the full names if `full`), case-sensitive as RFC 9110 §5.6.7 requires.
constexpr bool IsDayName(std::string_view s, bool full) noexcept {
  constexpr std::string_view kShort[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  constexpr std::string_view kLong[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};
  for (int i = 0; i < 7; ++i) {
    if (s == (full ? kLong[i] : kShort[i])) return true;
  }
  return false;
}

// 1..12 for "Jan".."Dec" (case-sensitive), 0 otherwise.
constexpr unsigned MonthNumber(std::string_view s) noexcept {
  constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned i = 0; i < 12; ++i) {
    if (s == kMonths[i]) return i + 1;
  }
  return 0;
}

// Exactly `width` digits at s[pos…], else -1.
constexpr int FixedDigits(std::string_view s, std::size_t pos, std::size_t width) noexcept {
  if (pos + width > s.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (!IsDigit(s[i])) return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

// "HH:MM:SS" at s[pos…] as seconds of the day (a leap second, :60, is accepted), else -1.
constexpr int TimeOfDay(std::string_view s, std::size_t pos) noexcept {
  if (pos + 8 > s.size() || s[pos + 2] != ':' || s[pos + 5] != ':') return -1;
  const int h = FixedDigits(s, pos, 2);
  const int m = FixedDigits(s, pos + 3, 2);
  const int sec = FixedDigits(s, pos + 6, 2);
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) return -1;
  return h * 3600 + m * 60 + sec;
}

// Milliseconds since the Unix epoch of a valid UTC date and time, or nullopt.
inline std::optional<std::int64_t> UtcMillis(int year, unsigned month, int day,
                                             int seconds_of_day) noexcept {
  if (day < 1 || seconds_of_day < 0) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                        std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return std::nullopt;
  const std::int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  return (days * 86400 + seconds_of_day) * 1000;
}

// An HTTP-date (RFC 9110 §5.6.7) as milliseconds since the Unix epoch: IMF-fixdate
// "Sun, 06 Nov 1994 08:49:37 GMT", or the obsolete rfc850-date "Sunday, 06-Nov-94 08:49:37 GMT"
// and asctime-date "Sun Nov  6 08:49:37 1994". The day name must be a valid one but is not
// checked against the date (a server that gets the weekday wrong still means that day).
// `now_year` resolves rfc850's two-digit year: the latest such year not more than 50 years
// after now, as RFC 9110 requires.
inline std::optional<std::int64_t> ParseHttpDate(std::string_view s, int now_year) noexcept {
  if (s.size() == 29 && s[3] == ',') {  // IMF-fixdate
    if (!IsDayName(s.substr(0, 3), false) || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
        s[16] != ' ' || s[25] != ' ' || s.substr(26) != "GMT") {
      return std::nullopt;
    }
    const int year = FixedDigits(s, 12, 4);
    if (year < 0) return std::nullopt;
    return UtcMillis(year, MonthNumber(s.substr(8, 3)), FixedDigits(s, 5, 2), TimeOfDay(s, 17));
  }
  if (s.size() == 24 && s[3] == ' ') {  // asctime-date
    if (!IsDayName(s.substr(0, 3), false) || s[7] != ' ' || s[10] != ' ' || s[19] != ' ') {
      return std::nullopt;
    }
    // The day is two digits or a space and one digit.
    const int day = s[8] == ' ' ? FixedDigits(s, 9, 1) : FixedDigits(s, 8, 2);
    const int year = FixedDigits(s, 20, 4);
    if (year < 0) return std::nullopt;
    return UtcMillis(year, MonthNumber(s.substr(4, 3)), day, TimeOfDay(s, 11));
  }
  const std::size_t comma = s.find(',');  // rfc850-date: "<Dayname>, DD-Mon-YY HH:MM:SS GMT"
  if (comma == std::string_view::npos || !IsDayName(s.substr(0, comma), true)) {
    return std::nullopt;
  }
  const std::string_view rest = s.substr(comma + 1);
  if (rest.size() != 23 || rest[0] != ' ' || rest[3] != '-' || rest[7] != '-' || rest[10] != ' ' ||
      rest[19] != ' ' || rest.substr(20) != "GMT") {
    return std::nullopt;
  }
  const int yy = FixedDigits(rest, 8, 2);
  if (yy < 0) return std::nullopt;
  int year = now_year - now_year % 100 + yy;
  if (year > now_year + 50) year -= 100;
  return UtcMillis(year, MonthNumber(rest.substr(4, 3)), FixedDigits(rest, 1, 2),
                   TimeOfDay(rest, 11));
}

}  // namespace alertllm::detail
