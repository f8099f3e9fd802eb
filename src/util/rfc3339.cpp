// SPDX-License-Identifier: Apache-2.0
#include "util/rfc3339.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "util/text.hpp"

namespace alertllm::internal {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::int64_t kNanosPerSecond = 1000000000;

// The instants that int64 nanoseconds since 1970 (libstdc++'s system_clock) can hold, as whole
// seconds plus nanoseconds: -9223372037 s + 145224192 ns .. 9223372036 s + 854775807 ns.
constexpr std::int64_t kMinSeconds = std::numeric_limits<std::int64_t>::min() / kNanosPerSecond - 1;
constexpr std::int64_t kMinNanos =
    std::numeric_limits<std::int64_t>::min() % kNanosPerSecond + kNanosPerSecond;
constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / kNanosPerSecond;
constexpr std::int64_t kMaxNanos = std::numeric_limits<std::int64_t>::max() % kNanosPerSecond;
static_assert(kMinSeconds == -9223372037 && kMinNanos == 145224192);
static_assert(kMaxSeconds == 9223372036 && kMaxNanos == 854775807);
constexpr std::string_view kRange =
    "1677-09-21T00:12:43.145224192Z..2262-04-11T23:47:16.854775807Z";

// Days since 1970-01-01 of a proleptic Gregorian date; Howard Hinnant's days_from_civil.
constexpr std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day) noexcept {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// The inverse of DaysFromCivil; Howard Hinnant's civil_from_days.
constexpr CivilDate CivilFromDays(std::int64_t days) noexcept {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned shifted_month = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const unsigned month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  const std::int64_t year =
      static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(DaysFromCivil(2000, 3, 1) == 11017);
static_assert(DaysFromCivil(1969, 12, 31) == -1);
static_assert(CivilFromDays(11017).year == 2000 && CivilFromDays(11017).month == 3);
static_assert(CivilFromDays(-1).year == 1969 && CivilFromDays(-1).day == 31);

constexpr bool IsLeapYear(int year) noexcept {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr int DaysInMonth(int year, int month) noexcept {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

Error NotRfc3339(std::string_view text, std::string_view reason) {
  return Error{ErrorCode::kInvalidRequest,
               Quote(text) + " is not an RFC 3339 timestamp (" + std::string(reason) + ")"};
}

bool IsDigit(char c) noexcept { return c >= '0' && c <= '9'; }

// Reads exactly `count` ASCII digits at `pos` into `value`.
bool ReadNumber(std::string_view text, std::size_t pos, std::size_t count, int& value) noexcept {
  if (pos + count > text.size()) return false;
  int result = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(text[i])) return false;
    result = result * 10 + (text[i] - '0');
  }
  value = result;
  return true;
}

bool HasChar(std::string_view text, std::size_t pos, char expected) noexcept {
  return pos < text.size() && text[pos] == expected;
}

void AppendPadded(std::string& out, std::int64_t value, int width) {
  if (value < 0) {
    out += '-';
    value = -value;
  }
  char digits[20];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  for (int i = count; i < width; ++i) out += '0';
  while (count > 0) out += digits[--count];
}

// The fields of a timestamp as written. Parsing checks only the syntax; the calendar and clock
// ranges are checked once the whole text has been read, so a malformed tail is reported before
// an impossible date, as it always was.
struct Rfc3339Fields {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::int64_t nanos = 0;
  bool zulu = false;
  int offset_seconds = 0;
};

// "YYYY-MM-DD" at offsets 0..9.
Result<void> ParseDatePart(std::string_view text, Rfc3339Fields& fields) {
  if (!ReadNumber(text, 0, 4, fields.year)) return NotRfc3339(text, "expected a 4-digit year");
  if (!HasChar(text, 4, '-') || !ReadNumber(text, 5, 2, fields.month) || !HasChar(text, 7, '-') ||
      !ReadNumber(text, 8, 2, fields.day)) {
    return NotRfc3339(text, "expected the date as YYYY-MM-DD");
  }
  return {};
}

// "Thh:mm:ss" at offsets 10..18.
Result<void> ParseTimePart(std::string_view text, Rfc3339Fields& fields) {
  if (!HasChar(text, 10, 'T') && !HasChar(text, 10, 't')) {
    return NotRfc3339(text, "expected 'T' after the date");
  }
  if (!ReadNumber(text, 11, 2, fields.hour) || !HasChar(text, 13, ':') ||
      !ReadNumber(text, 14, 2, fields.minute) || !HasChar(text, 16, ':') ||
      !ReadNumber(text, 17, 2, fields.second)) {
    return NotRfc3339(text, "expected the time as hh:mm:ss");
  }
  return {};
}

// An optional ".d" to ".ddddddddd" at `pos`, scaled to nanoseconds; `pos` ends past it.
Result<void> ParseFraction(std::string_view text, std::size_t& pos, std::int64_t& nanos) {
  if (!HasChar(text, pos, '.')) return {};
  ++pos;
  const std::size_t first_digit = pos;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  const std::size_t digits = pos - first_digit;
  if (digits == 0) return NotRfc3339(text, "expected digits after '.'");
  if (digits > 9) return NotRfc3339(text, "more than 9 fraction digits");
  for (std::size_t i = first_digit; i < first_digit + 9; ++i) {
    nanos = nanos * 10 + (i < pos ? text[i] - '0' : 0);
  }
  return {};
}

// "+hh:mm" or "-hh:mm" at `pos`, as signed seconds east of UTC; `pos` ends past it.
Result<void> ParseZoneOffset(std::string_view text, std::size_t& pos, int& offset_seconds) {
  const int sign = text[pos] == '-' ? -1 : 1;
  int offset_hours = 0;
  int offset_minutes = 0;
  if (!ReadNumber(text, pos + 1, 2, offset_hours) || !HasChar(text, pos + 3, ':') ||
      !ReadNumber(text, pos + 4, 2, offset_minutes)) {
    return NotRfc3339(text, "expected the offset as +hh:mm or -hh:mm");
  }
  if (offset_hours > 23) return NotRfc3339(text, "offset hour " + std::to_string(offset_hours));
  if (offset_minutes > 59) {
    return NotRfc3339(text, "offset minute " + std::to_string(offset_minutes));
  }
  offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
  pos += 6;
  return {};
}

// 'Z' (either case) or an offset at `pos`, which must then be the end of the text.
Result<void> ParseZone(std::string_view text, std::size_t pos, Rfc3339Fields& fields) {
  if (pos == text.size()) return NotRfc3339(text, "missing time zone");
  if (text[pos] == 'Z' || text[pos] == 'z') {
    fields.zulu = true;
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    if (auto offset = ParseZoneOffset(text, pos, fields.offset_seconds); !offset) return offset;
  } else {
    return NotRfc3339(text, "expected 'Z' or an offset such as +02:00 after the time");
  }
  if (pos != text.size()) return NotRfc3339(text, "unexpected characters after the time zone");
  return {};
}

// The calendar and clock ranges, leap years included.
Result<void> CheckRanges(std::string_view text, const Rfc3339Fields& f) {
  if (f.month < 1 || f.month > 12) return NotRfc3339(text, "month " + std::to_string(f.month));
  if (f.day < 1 || f.day > DaysInMonth(f.year, f.month)) {
    return NotRfc3339(text, "day " + std::to_string(f.day) + " does not exist in " +
                                std::string(text.substr(0, 7)));
  }
  if (f.hour > 23) return NotRfc3339(text, "hour " + std::to_string(f.hour));
  if (f.minute > 59) return NotRfc3339(text, "minute " + std::to_string(f.minute));
  // Go rejects leap seconds too, so Alertmanager never sends one.
  if (f.second > 59) return NotRfc3339(text, "second " + std::to_string(f.second));
  return {};
}

// Go's zero time, which Alertmanager writes for "no end". It is compared field by field
// because the instant itself lies far outside what a time_point holds.
bool IsGoZeroTime(const Rfc3339Fields& f) noexcept {
  return f.zulu && f.year == 1 && f.month == 1 && f.day == 1 && f.hour == 0 && f.minute == 0 &&
         f.second == 0 && f.nanos == 0;
}

// The instant of valid fields, or an error when a nanosecond time_point cannot hold it.
Result<OptionalTime> ToTimePoint(std::string_view text, const Rfc3339Fields& f) {
  // Four-digit years keep this far from overflow; the range check below is exact.
  const std::int64_t seconds =
      DaysFromCivil(f.year, static_cast<unsigned>(f.month), static_cast<unsigned>(f.day)) *
          kSecondsPerDay +
      f.hour * 3600 + f.minute * 60 + f.second - f.offset_seconds;
  const std::int64_t nanos = f.nanos;
  if (seconds < kMinSeconds || (seconds == kMinSeconds && nanos < kMinNanos) ||
      seconds > kMaxSeconds || (seconds == kMaxSeconds && nanos > kMaxNanos)) {
    return Error{ErrorCode::kInvalidRequest,
                 Quote(text) + " is out of range (" + std::string(kRange) + ")"};
  }
  // Near the lower limit seconds * 10^9 alone would overflow; borrowing one second keeps every
  // intermediate value in range.
  const std::int64_t since_epoch = seconds < 0
                                       ? (seconds + 1) * kNanosPerSecond + (nanos - kNanosPerSecond)
                                       : seconds * kNanosPerSecond + nanos;
  return OptionalTime{
      std::chrono::system_clock::time_point(std::chrono::floor<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(since_epoch)))};
}

}  // namespace

Result<OptionalTime> ParseRfc3339(std::string_view text) {
  Rfc3339Fields fields;
  if (auto date = ParseDatePart(text, fields); !date) return date.error();
  if (auto time = ParseTimePart(text, fields); !time) return time.error();
  std::size_t pos = 19;  // just past "YYYY-MM-DDThh:mm:ss"
  if (auto fraction = ParseFraction(text, pos, fields.nanos); !fraction) return fraction.error();
  if (auto zone = ParseZone(text, pos, fields); !zone) return zone.error();
  if (auto ranges = CheckRanges(text, fields); !ranges) return ranges.error();
  if (IsGoZeroTime(fields)) return OptionalTime{};
  return ToTimePoint(text, fields);
}

std::string FormatRfc3339(std::chrono::system_clock::time_point t) {
  const auto since_epoch = t.time_since_epoch();
  // Not std::chrono::floor: converting its result back to nanoseconds to take the remainder
  // overflows at time_point::min(). Truncating towards zero never leaves the range.
  auto whole_seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto fraction = since_epoch - whole_seconds;
  if (fraction < fraction.zero()) {
    whole_seconds -= std::chrono::seconds(1);
    fraction += std::chrono::seconds(1);
  }
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(fraction).count();
  const std::int64_t seconds = whole_seconds.count();
  std::int64_t days = seconds / kSecondsPerDay;
  std::int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);

  std::string out;
  out.reserve(32);
  AppendPadded(out, date.year, 4);
  out += '-';
  AppendPadded(out, date.month, 2);
  out += '-';
  AppendPadded(out, date.day, 2);
  out += 'T';
  AppendPadded(out, second_of_day / 3600, 2);
  out += ':';
  AppendPadded(out, second_of_day / 60 % 60, 2);
  out += ':';
  AppendPadded(out, second_of_day % 60, 2);
  if (nanos != 0) {
    // Nine digits with the trailing zeros trimmed, as Go's RFC3339Nano prints them; the
    // fraction is not zero, so trimming stops inside it.
    out += '.';
    AppendPadded(out, nanos, 9);
    out.erase(out.find_last_not_of('0') + 1);
  }
  out += 'Z';
  return out;
}

}  // namespace alertllm::internal
