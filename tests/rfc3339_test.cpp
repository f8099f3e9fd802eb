// SPDX-License-Identifier: Apache-2.0
#include "util/rfc3339.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace alertllm::internal {
namespace {

using std::chrono::nanoseconds;
using std::chrono::system_clock;
using ::testing::HasSubstr;
using ::testing::Not;

// Nanoseconds since 1970 of a timestamp that must parse to an instant.
std::int64_t EpochNanos(std::string_view text) {
  auto parsed = ParseRfc3339(text);
  if (!parsed) {
    ADD_FAILURE() << text << ": " << parsed.error().message;
    return 0;
  }
  if (!parsed->has_value()) {
    ADD_FAILURE() << text << " parsed as the zero time";
    return 0;
  }
  return std::chrono::duration_cast<nanoseconds>((**parsed).time_since_epoch()).count();
}

// The error for a timestamp that must not parse.
Error ParseFails(std::string_view text) {
  auto parsed = ParseRfc3339(text);
  if (parsed) {
    ADD_FAILURE() << text << " parsed";
    return Error{};
  }
  return parsed.error();
}

// 2026-11-26T05:14:26Z; `date -u -d 2026-11-26T05:14:26Z +%s` agrees.
constexpr std::int64_t kCaptureSecond = 1795670066;
constexpr std::int64_t kNanosPerSecond = 1000000000;

system_clock::time_point FromNanos(std::int64_t nanos) {
  return system_clock::time_point(
      std::chrono::duration_cast<system_clock::duration>(nanoseconds(nanos)));
}

TEST(Rfc3339Test, ParsesUtcWithMilliseconds) {
  EXPECT_EQ(EpochNanos("2026-11-26T05:14:26.134Z"), kCaptureSecond * kNanosPerSecond + 134000000);
}

TEST(Rfc3339Test, ParsesUtcWithNanoseconds) {
  EXPECT_EQ(EpochNanos("2026-11-26T05:21:26.139525779Z"),
            (kCaptureSecond + 420) * kNanosPerSecond + 139525779);
}

TEST(Rfc3339Test, ParsesTheEpoch) { EXPECT_EQ(EpochNanos("1970-01-01T00:00:00Z"), 0); }

TEST(Rfc3339Test, ParsesInstantsBeforeTheEpoch) {
  EXPECT_EQ(EpochNanos("1969-12-31T23:59:59.5Z"), -kNanosPerSecond / 2);
}

TEST(Rfc3339Test, PositiveOffsetGivesTheSameInstantAsUtc) {
  EXPECT_EQ(EpochNanos("2026-11-26T07:14:26.134+02:00"), EpochNanos("2026-11-26T05:14:26.134Z"));
}

TEST(Rfc3339Test, NegativeOffsetWithMinutesGivesTheSameInstantAsUtc) {
  EXPECT_EQ(EpochNanos("2026-11-25T23:44:26.134-05:30"), EpochNanos("2026-11-26T05:14:26.134Z"));
}

TEST(Rfc3339Test, ZeroOffsetEqualsZ) {
  EXPECT_EQ(EpochNanos("2026-11-26T05:14:26+00:00"), EpochNanos("2026-11-26T05:14:26Z"));
  EXPECT_EQ(EpochNanos("2026-11-26T05:14:26-00:00"), EpochNanos("2026-11-26T05:14:26Z"));
}

TEST(Rfc3339Test, OffsetCrossesTheYearBoundary) {
  EXPECT_EQ(EpochNanos("2026-12-31T23:30:00-01:00"), EpochNanos("2027-01-01T00:30:00Z"));
}

TEST(Rfc3339Test, AcceptsZeroToNineFractionDigits) {
  const std::string digits = "123456789";
  const std::int64_t base = EpochNanos("2026-11-26T05:14:26Z");
  std::int64_t expected_fraction = 0;
  std::int64_t scale = kNanosPerSecond;
  for (std::size_t count = 0; count <= 9; ++count) {
    std::string text = "2026-11-26T05:14:26";
    if (count > 0) {
      text += '.';
      text += digits.substr(0, count);
      scale /= 10;
      expected_fraction += (digits[count - 1] - '0') * scale;
    }
    text += 'Z';
    EXPECT_EQ(EpochNanos(text), base + expected_fraction) << text;
  }
}

TEST(Rfc3339Test, RejectsTenFractionDigits) {
  const Error error = ParseFails("2026-11-26T05:14:26.1234567890Z");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, HasSubstr("fraction"));
}

TEST(Rfc3339Test, RejectsDotWithoutDigits) { EXPECT_FALSE(ParseRfc3339("2026-11-26T05:14:26.Z")); }

TEST(Rfc3339Test, AcceptsLowerCaseTAndZ) {
  EXPECT_EQ(EpochNanos("2026-11-26t05:14:26.134z"), EpochNanos("2026-11-26T05:14:26.134Z"));
}

TEST(Rfc3339Test, ZeroTimeIsNoValue) {
  for (const char* text : {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z",
                           "0001-01-01T00:00:00.000000000Z", "0001-01-01t00:00:00z"}) {
    auto parsed = ParseRfc3339(text);
    ASSERT_TRUE(parsed) << text << ": " << parsed.error().message;
    EXPECT_FALSE(parsed->has_value()) << text;
  }
}

TEST(Rfc3339Test, ZeroDateWithNonZeroFractionIsOutOfRange) {
  const Error error = ParseFails("0001-01-01T00:00:00.001Z");
  EXPECT_THAT(error.message, HasSubstr("out of range"));
}

TEST(Rfc3339Test, ZeroDateWithNumericOffsetIsOutOfRange) {
  EXPECT_FALSE(ParseRfc3339("0001-01-01T00:00:00+01:00"));
}

TEST(Rfc3339Test, RejectsYear1000AsOutOfRange) {
  const Error error = ParseFails("1000-01-01T00:00:00Z");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message,
            "'1000-01-01T00:00:00Z' is out of range "
            "(1677-09-21T00:12:43.145224192Z..2262-04-11T23:47:16.854775807Z)");
}

TEST(Rfc3339Test, AcceptsTheExtremesOfInt64Nanoseconds) {
  EXPECT_EQ(EpochNanos("1677-09-21T00:12:43.145224192Z"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(EpochNanos("2262-04-11T23:47:16.854775807Z"), std::numeric_limits<std::int64_t>::max());
}

TEST(Rfc3339Test, RejectsOneNanosecondBeyondTheExtremes) {
  EXPECT_FALSE(ParseRfc3339("1677-09-21T00:12:43.145224191Z"));
  EXPECT_FALSE(ParseRfc3339("2262-04-11T23:47:16.854775808Z"));
}

TEST(Rfc3339Test, OffsetsCountTowardsTheRange) {
  EXPECT_EQ(EpochNanos("1677-09-21T00:13:43.145224192+00:01"),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_FALSE(ParseRfc3339("2262-04-11T23:47:16.854775807-00:01"));
}

TEST(Rfc3339Test, AcceptsYears1678To2261WithAnyOffset) {
  // `date -u -d 1678-01-01T00:00:00Z +%s` and `date -u -d 2261-12-31T23:59:59Z +%s`.
  EXPECT_EQ(EpochNanos("1678-01-01T00:00:00+23:59"),
            (-9214560000 - 23 * 3600 - 59 * 60) * kNanosPerSecond);
  EXPECT_EQ(EpochNanos("2261-12-31T23:59:59-23:59"),
            (9214646399 + 23 * 3600 + 59 * 60) * kNanosPerSecond);
}

TEST(Rfc3339Test, RejectsMonth13) {
  const Error error = ParseFails("2026-13-01T00:00:00Z");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message, "'2026-13-01T00:00:00Z' is not an RFC 3339 timestamp (month 13)");
}

TEST(Rfc3339Test, RejectsMonth0) { EXPECT_FALSE(ParseRfc3339("2026-00-01T00:00:00Z")); }

TEST(Rfc3339Test, RejectsDay0) { EXPECT_FALSE(ParseRfc3339("2026-01-00T00:00:00Z")); }

TEST(Rfc3339Test, RejectsApril31) { EXPECT_FALSE(ParseRfc3339("2026-04-31T00:00:00Z")); }

TEST(Rfc3339Test, RejectsFebruary30) {
  const Error error = ParseFails("2026-02-30T00:00:00Z");
  EXPECT_THAT(error.message, HasSubstr("day 30"));
}

TEST(Rfc3339Test, RejectsFebruary29InACommonYear) {
  EXPECT_FALSE(ParseRfc3339("2026-02-29T00:00:00Z"));
}

TEST(Rfc3339Test, RejectsFebruary29InACenturyYear) {
  EXPECT_FALSE(ParseRfc3339("2100-02-29T00:00:00Z"));
}

TEST(Rfc3339Test, AcceptsFebruary29InALeapYear) {
  // `date -u -d 2024-02-29T12:00:00Z +%s`.
  EXPECT_EQ(EpochNanos("2024-02-29T12:00:00Z"), 1709208000 * kNanosPerSecond);
}

TEST(Rfc3339Test, AcceptsFebruary29In2000) {
  EXPECT_EQ(EpochNanos("2000-02-29T00:00:00Z") + 86400 * kNanosPerSecond,
            EpochNanos("2000-03-01T00:00:00Z"));
}

TEST(Rfc3339Test, RejectsHour24) {
  const Error error = ParseFails("2026-11-26T24:00:00Z");
  EXPECT_THAT(error.message, HasSubstr("hour 24"));
}

TEST(Rfc3339Test, RejectsMinute60) { EXPECT_FALSE(ParseRfc3339("2026-11-26T05:60:00Z")); }

TEST(Rfc3339Test, RejectsLeapSecond) { EXPECT_FALSE(ParseRfc3339("2026-12-31T23:59:60Z")); }

TEST(Rfc3339Test, RejectsOffsetHour24) { EXPECT_FALSE(ParseRfc3339("2026-11-26T05:14:26+24:00")); }

TEST(Rfc3339Test, RejectsOffsetMinute60) {
  EXPECT_FALSE(ParseRfc3339("2026-11-26T05:14:26+01:60"));
}

TEST(Rfc3339Test, RejectsOffsetWithoutColon) {
  EXPECT_FALSE(ParseRfc3339("2026-11-26T05:14:26+0200"));
}

TEST(Rfc3339Test, RejectsMissingZone) {
  const Error error = ParseFails("2026-11-26T05:14:26.134");
  EXPECT_THAT(error.message, HasSubstr("time zone"));
}

TEST(Rfc3339Test, RejectsSpaceInsteadOfT) { EXPECT_FALSE(ParseRfc3339("2026-11-26 05:14:26Z")); }

TEST(Rfc3339Test, RejectsTrailingCharacters) {
  EXPECT_FALSE(ParseRfc3339("2026-11-26T05:14:26Z "));
}

TEST(Rfc3339Test, RejectsSignedYear) { EXPECT_FALSE(ParseRfc3339("+2026-11-26T05:14:26Z")); }

TEST(Rfc3339Test, RejectsTwoDigitFields) { EXPECT_FALSE(ParseRfc3339("2026-1-26T05:14:26Z")); }

TEST(Rfc3339Test, RejectsEmptyText) { EXPECT_FALSE(ParseRfc3339("")); }

TEST(Rfc3339Test, RejectsGarbage) {
  const Error error = ParseFails("yesterday");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, HasSubstr("'yesterday'"));
}

TEST(Rfc3339Test, ErrorQuotesAtMost64BytesOfTheInput) {
  const std::string text = "2026-11-26T05:14:26Z" + std::string(1000, 'x');
  const Error error = ParseFails(text);
  EXPECT_THAT(error.message, HasSubstr(text.substr(0, 64) + "...'"));
  EXPECT_THAT(error.message, Not(HasSubstr(text.substr(0, 65))));
}

TEST(Rfc3339Test, ErrorDoesNotCutAUtf8Character) {
  // 63 ASCII bytes, then a 2-byte character that straddles the 64-byte limit.
  const std::string text = std::string(63, 'x') + "\xc3\xbc";
  const Error error = ParseFails(text);
  EXPECT_THAT(error.message, HasSubstr("'" + std::string(63, 'x') + "...'"));
}

TEST(Rfc3339Test, ErrorReplacesControlBytes) {
  const Error error = ParseFails(std::string_view("bad\n\0x", 6));
  EXPECT_THAT(error.message, HasSubstr("'bad??x'"));
}

TEST(Rfc3339Test, FormatsMillisecondsWithoutTrailingZeros) {
  EXPECT_EQ(FormatRfc3339(FromNanos(kCaptureSecond * kNanosPerSecond + 134000000)),
            "2026-11-26T05:14:26.134Z");
}

TEST(Rfc3339Test, FormatsNanoseconds) {
  EXPECT_EQ(FormatRfc3339(FromNanos(kCaptureSecond * kNanosPerSecond + 139525779)),
            "2026-11-26T05:14:26.139525779Z");
}

TEST(Rfc3339Test, FormatsWholeSecondsWithoutFraction) {
  EXPECT_EQ(FormatRfc3339(system_clock::time_point{}), "1970-01-01T00:00:00Z");
}

TEST(Rfc3339Test, FormatsInstantsBeforeTheEpoch) {
  EXPECT_EQ(FormatRfc3339(FromNanos(-kNanosPerSecond / 2)), "1969-12-31T23:59:59.5Z");
}

// Alertmanager sends 9 fraction digits; these tests assume libstdc++'s nanosecond system_clock
// (libc++ counts microseconds and would truncate them).
static_assert(std::is_same_v<system_clock::duration, nanoseconds>);

TEST(Rfc3339Test, FormatsTheExtremesOfTimePoint) {
  EXPECT_EQ(FormatRfc3339(system_clock::time_point::min()), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(FormatRfc3339(system_clock::time_point::max()), "2262-04-11T23:47:16.854775807Z");
}

TEST(Rfc3339Test, ParseRoundTripsFormatAtTheExtremesOfTimePoint) {
  for (const auto t : {system_clock::time_point::min(), system_clock::time_point::max()}) {
    auto parsed = ParseRfc3339(FormatRfc3339(t));
    ASSERT_TRUE(parsed && parsed->has_value()) << FormatRfc3339(t);
    EXPECT_EQ(**parsed, t);
  }
}

TEST(Rfc3339Test, FormatRoundTripsTheCaptureTimestamps) {
  for (const char* text :
       {"2026-11-26T05:14:26.134Z", "2026-11-26T05:19:51.134Z", "2026-11-26T05:00:26.134Z",
        "2026-11-26T05:20:26.134Z", "2026-11-26T05:21:26.139525779Z", "2026-11-26T05:16:00.407Z",
        "2026-11-26T05:21:35.802Z", "2026-11-26T05:21:41.231Z", "2026-11-26T05:24:12.723Z",
        "2026-11-26T05:25:26.134Z", "2026-11-26T05:25:30.407Z", "2026-11-26T05:26:26.139525779Z",
        "2026-11-26T05:27:42.723Z", "2026-11-26T05:28:32.723Z", "2026-11-26T05:28:47.723Z",
        "2026-11-26T05:34:02.723Z", "2026-11-26T05:38:07.723Z"}) {
    auto parsed = ParseRfc3339(text);
    ASSERT_TRUE(parsed && parsed->has_value()) << text;
    EXPECT_EQ(FormatRfc3339(**parsed), text);
  }
}

TEST(Rfc3339Test, FormatNormalizesOffsetsToUtc) {
  auto parsed = ParseRfc3339("2026-11-25T23:44:26.100-05:30");
  ASSERT_TRUE(parsed && parsed->has_value());
  EXPECT_EQ(FormatRfc3339(**parsed), "2026-11-26T05:14:26.1Z");
}

}  // namespace
}  // namespace alertllm::internal
