// SPDX-License-Identifier: Apache-2.0
#include "alertllm/retry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace alertllm {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

// Fixed instants; the real clocks are never read.
const SteadyTime kNow{seconds(1'000'000)};
// Sun, 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110.
const WallTime kWallNow{seconds(784'111'777)};
// Thu, 26 Nov 2026 00:00:00 GMT.
const WallTime kWallNow2026{seconds(1'795'651'200)};

// The largest double below 1: the top of U[0, 1).
const double kAlmostOne = std::nextafter(1.0, 0.0);

HttpResponse Response(int status, std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  return r;
}

Error HttpError(int status) { return Error{ErrorCodeForHttpStatus(status), "http", status}; }

std::optional<milliseconds> RetryAfter(const std::string& value, WallTime now = kWallNow) {
  return ServerRetryHint(Response(503, {{"retry-after", value}}), now);
}

// Backoff: d = min(max_retry_delay, retry_delay × retry_backoff^(n−1)) × (1 − jitter × u).

TEST(BackoffTest, DefaultsDoubleFromOneSecondUpToTheTenSecondCap) {
  const Config config;
  const std::vector<milliseconds> expected = {seconds(1), seconds(2),  seconds(4),
                                              seconds(8), seconds(10), seconds(10)};
  for (int n = 1; n <= 6; ++n) {
    EXPECT_EQ(BackoffDelay(n, config, 0.0), expected[static_cast<std::size_t>(n - 1)]) << n;
  }
}

TEST(BackoffTest, JitterIsTakenOffTheCappedDelay) {
  Config config;
  config.jitter = 0.25;
  // Capped at 10 s, then jittered: never above the cap, down to 0.75 × the cap.
  EXPECT_EQ(BackoffDelay(10, config, kAlmostOne), milliseconds(7500));
  EXPECT_EQ(BackoffDelay(10, config, 0.0), seconds(10));
  EXPECT_EQ(BackoffDelay(1, config, 0.5), milliseconds(875));
}

TEST(BackoffTest, FullJitterSpansZeroToTheDelay) {
  Config config;
  config.jitter = 1.0;
  EXPECT_EQ(BackoffDelay(4, config, 0.0), seconds(8));
  EXPECT_EQ(BackoffDelay(4, config, 0.5), seconds(4));
  EXPECT_EQ(BackoffDelay(4, config, kAlmostOne), milliseconds(0));
}

TEST(BackoffTest, NoJitterIgnoresTheRandomNumber) {
  Config config;
  config.jitter = 0.0;
  EXPECT_EQ(BackoffDelay(2, config, kAlmostOne), seconds(2));
}

TEST(BackoffTest, BackoffOfOneKeepsTheDelayConstant) {
  Config config;
  config.retry_backoff = 1.0;
  EXPECT_EQ(BackoffDelay(1, config, 0.0), seconds(1));
  EXPECT_EQ(BackoffDelay(2, config, 0.0), seconds(1));
  EXPECT_EQ(BackoffDelay(100, config, 0.0), seconds(1));
  EXPECT_EQ(BackoffDelay(std::numeric_limits<int>::max(), config, 0.0), seconds(1));
}

TEST(BackoffTest, HugeRetryNumbersSaturateAtTheCap) {
  Config config;
  EXPECT_EQ(BackoffDelay(1100, config, 0.0), seconds(10));
  EXPECT_EQ(BackoffDelay(std::numeric_limits<int>::max(), config, 0.0), seconds(10));
  config.retry_backoff = 100.0;
  config.max_retry_delay = milliseconds::max();
  EXPECT_EQ(BackoffDelay(std::numeric_limits<int>::max(), config, 0.0), milliseconds::max());
  config.retry_delay = milliseconds::max();
  EXPECT_EQ(BackoffDelay(1, config, 0.0), milliseconds::max());
}

TEST(BackoffTest, ZeroRetryDelayNeverWaits) {
  Config config;
  config.retry_delay = milliseconds(0);
  EXPECT_EQ(BackoffDelay(1, config, 0.0), milliseconds(0));
  EXPECT_EQ(BackoffDelay(std::numeric_limits<int>::max(), config, 0.0), milliseconds(0));
}

TEST(BackoffTest, ZeroCapNeverWaits) {
  Config config;
  config.max_retry_delay = milliseconds(0);
  EXPECT_EQ(BackoffDelay(3, config, 0.0), milliseconds(0));
}

TEST(BackoffTest, RetryNumbersBelowOneCountAsTheFirst) {
  const Config config;
  EXPECT_EQ(BackoffDelay(0, config, 0.0), seconds(1));
  EXPECT_EQ(BackoffDelay(-7, config, 0.0), seconds(1));
}

TEST(BackoffTest, RandomNumbersOutsideTheUnitIntervalAreClamped) {
  Config config;
  config.jitter = 1.0;
  EXPECT_EQ(BackoffDelay(1, config, -3.0), seconds(1));
  EXPECT_EQ(BackoffDelay(1, config, std::nan("")), seconds(1));
  EXPECT_EQ(BackoffDelay(1, config, 7.0), milliseconds(0));
}

// Should: IsRetryableError, overridden either way by x-should-retry.

TEST(ShouldRetryTest, FollowsTheStatusWithoutTheHeader) {
  const HttpResponse r503 = Response(503);
  const HttpResponse r400 = Response(400);
  EXPECT_TRUE(ShouldRetry(HttpError(503), &r503));
  EXPECT_FALSE(ShouldRetry(HttpError(400), &r400));
}

TEST(ShouldRetryTest, NetworkErrorWithoutResponseIsRetried) {
  EXPECT_TRUE(ShouldRetry(Error{ErrorCode::kNetworkError}, nullptr));
}

TEST(ShouldRetryTest, HeaderTrueRetriesA400) {
  const HttpResponse r = Response(400, {{"x-should-retry", "true"}});
  EXPECT_TRUE(ShouldRetry(HttpError(400), &r));
}

TEST(ShouldRetryTest, HeaderFalseStopsA503) {
  const HttpResponse r = Response(503, {{"x-should-retry", "false"}});
  EXPECT_FALSE(ShouldRetry(HttpError(503), &r));
}

TEST(ShouldRetryTest, HeaderValueIsCaseInsensitive) {
  const HttpResponse r = Response(400, {{"X-Should-Retry", "TRUE"}});
  EXPECT_TRUE(ShouldRetry(HttpError(400), &r));
}

TEST(ShouldRetryTest, InvalidHeaderValueIsIgnored) {
  const HttpResponse r503 = Response(503, {{"x-should-retry", "no"}});
  const HttpResponse r400 = Response(400, {{"x-should-retry", "1"}});
  EXPECT_TRUE(ShouldRetry(HttpError(503), &r503));
  EXPECT_FALSE(ShouldRetry(HttpError(400), &r400));
}

TEST(ShouldRetryTest, NeverRetriedCodesIgnoreTheHeader) {
  const HttpResponse r = Response(200, {{"x-should-retry", "true"}});
  for (ErrorCode code : {ErrorCode::kCircuitOpen, ErrorCode::kCancelled, ErrorCode::kInvalidRequest,
                         ErrorCode::kInvalidResponse, ErrorCode::kInvalidConfig}) {
    EXPECT_FALSE(ShouldRetry(Error{code}, &r)) << ToString(code);
  }
}

// When: the server's hint.

TEST(ServerRetryHintTest, DeltaSecondsAreMilliseconds) {
  EXPECT_EQ(RetryAfter("2"), milliseconds(2000));
}

TEST(ServerRetryHintTest, ZeroDeltaSecondsIsAZeroHint) {
  EXPECT_EQ(RetryAfter("0"), milliseconds(0));
}

TEST(ServerRetryHintTest, NegativeFractionalEmptyOrGarbageGiveNoHint) {
  for (const char* value : {"-1", "1.5", "", " ", "+2", "2s", "1e3", "soon", "0x10", "2 3"}) {
    EXPECT_EQ(RetryAfter(value), std::nullopt) << '"' << value << '"';
  }
}

TEST(ServerRetryHintTest, SurroundingWhiteSpaceIsIgnored) {
  EXPECT_EQ(RetryAfter(" 3\t"), milliseconds(3000));
}

TEST(ServerRetryHintTest, HugeDeltaSecondsSaturate) {
  EXPECT_EQ(RetryAfter("99999999999999999999999999"), kMaxServerRetryHint);
}

TEST(ServerRetryHintTest, NoHeaderNoHint) {
  EXPECT_EQ(ServerRetryHint(Response(503), kWallNow), std::nullopt);
}

TEST(ServerRetryHintTest, FutureHttpDateIsTheTimeUntilIt) {
  EXPECT_EQ(RetryAfter("Sun, 06 Nov 1994 08:50:07 GMT"), seconds(30));
}

TEST(ServerRetryHintTest, PastHttpDateIsAZeroHint) {
  EXPECT_EQ(RetryAfter("Sun, 06 Nov 1994 08:49:07 GMT"), milliseconds(0));
  EXPECT_EQ(RetryAfter("Sun, 06 Nov 1994 08:49:37 GMT"), milliseconds(0));
}

TEST(ServerRetryHintTest, HttpDateWaitRoundsUpToTheMillisecond) {
  // 1.2345 s before the date.
  const WallTime now = kWallNow + seconds(30) - std::chrono::microseconds(1'234'500);
  EXPECT_EQ(RetryAfter("Sun, 06 Nov 1994 08:50:07 GMT", now), milliseconds(1235));
}

TEST(ServerRetryHintTest, ObsoleteHttpDateFormsAreAccepted) {
  EXPECT_EQ(RetryAfter("Sunday, 06-Nov-94 08:49:47 GMT"), seconds(10));
  EXPECT_EQ(RetryAfter("Sun Nov  6 08:49:47 1994"), seconds(10));
  EXPECT_EQ(RetryAfter("Sun Nov 16 08:49:37 1994"), std::chrono::days(10));
}

TEST(ServerRetryHintTest, Rfc850TwoDigitYearIsAtMostFiftyYearsAhead) {
  // Seen in 2026: "76" is 2076, "77" is 1977.
  EXPECT_EQ(RetryAfter("Wednesday, 01-Jan-76 00:00:00 GMT", kWallNow2026),
            milliseconds(std::chrono::sys_days(std::chrono::year(2076) / 1 / 1) -
                         std::chrono::floor<std::chrono::days>(kWallNow2026)));
  EXPECT_EQ(RetryAfter("Saturday, 01-Jan-77 00:00:00 GMT", kWallNow2026), milliseconds(0));
}

TEST(ServerRetryHintTest, MalformedHttpDatesGiveNoHint) {
  for (const char* value : {
           "Sun, 31 Feb 1994 08:49:37 GMT",   // no such day
           "Sun, 06 Nov 1994 24:00:00 GMT",   // no such hour
           "Sun, 06 Nov 1994 08:61:37 GMT",   // no such minute
           "Sun, 06 Nov 1994 08:49:61 GMT",   // no such second (60, a leap second, is one)
           "Sun, 06 nov 1994 08:49:37 GMT",   // month names are case-sensitive
           "Sun, 06 Nov 1994 08:49:37 UTC",   // must be GMT
           "Sun, 6 Nov 1994 08:49:37 GMT",    // day is two digits
           "Sux, 06 Nov 1994 08:49:37 GMT",   // no such weekday
           "Sun, 06 Nov 94 08:49:37 GMT",     // IMF year is four digits
           "Funday, 06-Nov-94 08:49:37 GMT",  // no such weekday
           "Sunday, 06-Nov-1994 08:49:37 GMT",
           "Sun Nov 6 08:49:37 1994",  // asctime pads the day with a space
           "Sun, 06 Nov 1994 08:49:37 GMT trailing",
       }) {
    EXPECT_EQ(RetryAfter(value), std::nullopt) << value;
  }
}

TEST(ServerRetryHintTest, FarFutureHttpDateSaturates) {
  EXPECT_EQ(RetryAfter("Fri, 31 Dec 9999 23:59:59 GMT"), kMaxServerRetryHint);
}

TEST(ServerRetryHintTest, RetryAfterMsIsMilliseconds) {
  EXPECT_EQ(ServerRetryHint(Response(429, {{"retry-after-ms", "1500"}}), kWallNow),
            milliseconds(1500));
}

TEST(ServerRetryHintTest, FractionalRetryAfterMsRoundsUp) {
  EXPECT_EQ(ServerRetryHint(Response(429, {{"retry-after-ms", "12.5"}}), kWallNow),
            milliseconds(13));
  EXPECT_EQ(ServerRetryHint(Response(429, {{"retry-after-ms", "12.000"}}), kWallNow),
            milliseconds(12));
}

TEST(ServerRetryHintTest, RetryAfterMsWinsOverRetryAfter) {
  const HttpResponse r = Response(429, {{"retry-after", "5"}, {"retry-after-ms", "1500"}});
  EXPECT_EQ(ServerRetryHint(r, kWallNow), milliseconds(1500));
}

TEST(ServerRetryHintTest, InvalidRetryAfterMsFallsBackToRetryAfter) {
  for (const char* value : {"abc", "-5", "", "1.", ".5", "1e3"}) {
    const HttpResponse r = Response(429, {{"retry-after-ms", value}, {"retry-after", "3"}});
    EXPECT_EQ(ServerRetryHint(r, kWallNow), seconds(3)) << value;
  }
}

// The decision.

struct Call {
  Config config;
  SteadyTime deadline = kNow + seconds(60);
};

RetryDecision Decide(const Call& call, int attempts, const Error& error,
                     const HttpResponse* response, double u01 = 0.0,
                     const RetryBudget* budget = nullptr, SteadyTime now = kNow) {
  return NextRetry(attempts, call.config, error, response, u01, now, kWallNow, call.deadline,
                   budget);
}

TEST(NextRetryTest, ServerErrorIsRetriedAfterTheBackoff) {
  const Call call;
  const HttpResponse r = Response(503);
  const RetryDecision d = Decide(call, 1, HttpError(503), &r);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, seconds(1));
  EXPECT_EQ(d.reason, NoRetryReason::kNone);
  EXPECT_EQ(d.server_hint, std::nullopt);
}

TEST(NextRetryTest, SecondRetryWaitsTheSecondBackoffStep) {
  const Call call;
  EXPECT_EQ(Decide(call, 2, Error{ErrorCode::kTimeout}, nullptr).delay, seconds(2));
}

TEST(NextRetryTest, NonRetryableErrorIsNotRetried) {
  const Call call;
  const HttpResponse r = Response(400);
  const RetryDecision d = Decide(call, 1, HttpError(400), &r);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, NoRetryReason::kNotRetryable);
}

TEST(NextRetryTest, XShouldRetryTrueOnA400IsRetried) {
  const Call call;
  const HttpResponse r = Response(400, {{"x-should-retry", "true"}});
  EXPECT_TRUE(Decide(call, 1, HttpError(400), &r).retry);
}

TEST(NextRetryTest, XShouldRetryFalseOnA503IsNotRetried) {
  const Call call;
  const HttpResponse r = Response(503, {{"x-should-retry", "false"}});
  EXPECT_EQ(Decide(call, 1, HttpError(503), &r).reason, NoRetryReason::kNotRetryable);
}

TEST(NextRetryTest, AttemptsAreExhaustedAfterMaxRetries) {
  Call call;
  call.config.max_retries = 3;
  const Error error{ErrorCode::kServerError, "", 503};
  EXPECT_TRUE(Decide(call, 3, error, nullptr).retry);
  const RetryDecision d = Decide(call, 4, error, nullptr);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, NoRetryReason::kAttemptsExhausted);
}

TEST(NextRetryTest, ZeroMaxRetriesNeverRetries) {
  Call call;
  call.config.max_retries = 0;
  EXPECT_EQ(Decide(call, 1, Error{ErrorCode::kTimeout}, nullptr).reason,
            NoRetryReason::kAttemptsExhausted);
}

TEST(NextRetryTest, HintAboveMaxRetryAfterStopsWithTheHintExposed) {
  const Call call;  // max_retry_after 60 s
  const HttpResponse r = Response(429, {{"retry-after", "61"}});
  const RetryDecision d = Decide(call, 1, HttpError(429), &r);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, NoRetryReason::kHintTooLong);
  EXPECT_EQ(d.server_hint, seconds(61));
}

TEST(NextRetryTest, HintEqualToMaxRetryAfterIsWaited) {
  Call call;
  call.deadline = kNow + std::chrono::minutes(5);
  const HttpResponse r = Response(429, {{"retry-after", "60"}});
  const RetryDecision d = Decide(call, 1, HttpError(429), &r);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, seconds(60));
}

TEST(NextRetryTest, RetryAfterIsAFloorThatJitterNeverShortens) {
  Call call;
  call.config.jitter = 1.0;
  const HttpResponse r = Response(503, {{"retry-after", "2"}});
  for (double u : {0.0, 0.25, 0.5, 0.75, kAlmostOne}) {
    const RetryDecision d = Decide(call, 1, HttpError(503), &r, u);
    EXPECT_TRUE(d.retry) << u;
    EXPECT_GE(d.delay, seconds(2)) << u;
    EXPECT_EQ(d.server_hint, seconds(2)) << u;
  }
}

TEST(NextRetryTest, BackoffLongerThanTheHintWins) {
  const Call call;
  const HttpResponse r = Response(503, {{"retry-after", "1"}});
  EXPECT_EQ(Decide(call, 3, HttpError(503), &r).delay, seconds(4));
}

TEST(NextRetryTest, DelayReachingTheDeadlineStopsRetrying) {
  Call call;
  call.deadline = kNow + milliseconds(1000);  // the first backoff is exactly 1 s
  const RetryDecision d = Decide(call, 1, Error{ErrorCode::kTimeout}, nullptr);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, NoRetryReason::kPastDeadline);
  call.deadline = kNow + milliseconds(1000) + std::chrono::nanoseconds(1);
  EXPECT_TRUE(Decide(call, 1, Error{ErrorCode::kTimeout}, nullptr).retry);
}

TEST(NextRetryTest, PassedDeadlineStopsRetryingEvenWithoutDelay) {
  Call call;
  call.config.retry_delay = milliseconds(0);
  call.deadline = kNow;
  EXPECT_EQ(Decide(call, 1, Error{ErrorCode::kTimeout}, nullptr).reason,
            NoRetryReason::kPastDeadline);
  call.deadline = kNow - seconds(1);
  EXPECT_EQ(Decide(call, 1, Error{ErrorCode::kTimeout}, nullptr).reason,
            NoRetryReason::kPastDeadline);
}

TEST(NextRetryTest, HintPastTheDeadlineStopsWithTheHintExposed) {
  Call call;
  call.deadline = kNow + seconds(10);
  const HttpResponse r = Response(503, {{"retry-after", "30"}});
  const RetryDecision d = Decide(call, 1, HttpError(503), &r);
  EXPECT_EQ(d.reason, NoRetryReason::kPastDeadline);
  EXPECT_EQ(d.server_hint, seconds(30));
}

TEST(NextRetryTest, HugeHintAndFarDeadlineDoNotOverflow) {
  Call call;
  call.config.max_retry_after = milliseconds::max();
  call.deadline = SteadyTime::max();
  const HttpResponse r = Response(503, {{"retry-after", "99999999999999999999"}});
  const RetryDecision d = Decide(call, 1, HttpError(503), &r);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, kMaxServerRetryHint);
}

TEST(NextRetryTest, ExhaustedBudgetStopsRetrying) {
  const Call call;
  RetryBudget budget(10, 0.1);
  for (int i = 0; i < 5; ++i) budget.OnFailure();
  const RetryDecision d = Decide(call, 1, Error{ErrorCode::kNetworkError}, nullptr, 0.0, &budget);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, NoRetryReason::kBudgetExhausted);
}

TEST(NextRetryTest, DisabledBudgetDoesNotStopRetries) {
  const Call call;
  RetryBudget budget(RetryBudgetConfig{false, 10, 0.1});
  for (int i = 0; i < 50; ++i) budget.OnFailure();
  EXPECT_TRUE(Decide(call, 1, Error{ErrorCode::kNetworkError}, nullptr, 0.0, &budget).retry);
}

TEST(NextRetryTest, DecisionDoesNotSpendTheBudget) {
  const Call call;
  RetryBudget budget(10, 0.1);
  (void)Decide(call, 1, Error{ErrorCode::kNetworkError}, nullptr, 0.0, &budget);
  EXPECT_EQ(budget.MilliTokens(), 10'000);
}

TEST(NextRetryTest, NotRetryableIsReportedBeforeOtherReasons) {
  Call call;
  call.config.max_retries = 0;
  call.deadline = kNow;
  EXPECT_EQ(Decide(call, 5, Error{ErrorCode::kCancelled}, nullptr).reason,
            NoRetryReason::kNotRetryable);
}

// Issue 4's scenario, with the loop the client runs: a 5 s deadline, attempts that time out
// after 2 s and a 1 s backoff give exactly two attempts and no sleep past the deadline.
TEST(NextRetryTest, FiveSecondDeadlineAllowsExactlyTwoTwoSecondAttempts) {
  Call call;
  call.config.jitter = 0.0;
  call.deadline = kNow + seconds(5);
  SteadyTime now = kNow;
  int attempts = 0;
  RetryDecision d;
  do {
    now += std::min<std::chrono::nanoseconds>(seconds(2), call.deadline - now);
    ++attempts;
    d = Decide(call, attempts, Error{ErrorCode::kTimeout}, nullptr, 0.0, nullptr, now);
    if (d.retry) now += d.delay;
  } while (d.retry);
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(d.reason, NoRetryReason::kPastDeadline);
  EXPECT_LE(now, call.deadline);
}

TEST(NextRetryTest, ReasonsHaveSnakeCaseNames) {
  EXPECT_EQ(ToString(NoRetryReason::kNone), "none");
  EXPECT_EQ(ToString(NoRetryReason::kNotRetryable), "not_retryable");
  EXPECT_EQ(ToString(NoRetryReason::kAttemptsExhausted), "attempts_exhausted");
  EXPECT_EQ(ToString(NoRetryReason::kHintTooLong), "hint_too_long");
  EXPECT_EQ(ToString(NoRetryReason::kBudgetExhausted), "budget_exhausted");
  EXPECT_EQ(ToString(NoRetryReason::kPastDeadline), "past_deadline");
}

// The budget.

TEST(RetryBudgetTest, StartsFull) {
  const RetryBudget budget(10, 0.1);
  EXPECT_TRUE(budget.CanRetry());
  EXPECT_EQ(budget.MilliTokens(), 10'000);
}

TEST(RetryBudgetTest, FiveFailuresOfTenTokensStopRetries) {
  RetryBudget budget(10, 0.1);
  for (int i = 0; i < 4; ++i) budget.OnFailure();
  EXPECT_TRUE(budget.CanRetry());  // 6 > 5
  budget.OnFailure();
  EXPECT_FALSE(budget.CanRetry());  // 5 is not > 5
}

TEST(RetryBudgetTest, EachSuccessEarnsATenthOfAToken) {
  RetryBudget budget(10, 0.1);
  for (int i = 0; i < 5; ++i) budget.OnFailure();
  budget.OnSuccess();
  EXPECT_EQ(budget.MilliTokens(), 5'100);
  EXPECT_TRUE(budget.CanRetry());
}

TEST(RetryBudgetTest, TokensNeverExceedTheMaximum) {
  RetryBudget budget(10, 0.1);
  for (int i = 0; i < 100; ++i) budget.OnSuccess();
  EXPECT_EQ(budget.MilliTokens(), 10'000);
  for (int i = 0; i < 5; ++i) budget.OnFailure();
  EXPECT_FALSE(budget.CanRetry());
}

TEST(RetryBudgetTest, TokensNeverGoBelowZero) {
  RetryBudget budget(10, 0.1);
  for (int i = 0; i < 30; ++i) budget.OnFailure();
  EXPECT_EQ(budget.MilliTokens(), 0);
  for (int i = 0; i < 50; ++i) budget.OnSuccess();
  EXPECT_FALSE(budget.CanRetry());  // 5.0
  budget.OnSuccess();
  EXPECT_TRUE(budget.CanRetry());  // 5.1
}

TEST(RetryBudgetTest, OneTokenBudgetAllowsOneFailureThenEarnsItBack) {
  RetryBudget budget(1, 0.1);
  EXPECT_TRUE(budget.CanRetry());  // 1 > 0.5
  budget.OnFailure();
  EXPECT_FALSE(budget.CanRetry());
  for (int i = 0; i < 5; ++i) budget.OnSuccess();
  EXPECT_FALSE(budget.CanRetry());  // 0.5 is not > 0.5
  budget.OnSuccess();
  EXPECT_TRUE(budget.CanRetry());
}

TEST(RetryBudgetTest, ZeroOrNegativeTokensNeverAllowARetry) {
  EXPECT_FALSE(RetryBudget(0, 0.1).CanRetry());
  EXPECT_FALSE(RetryBudget(-3, 0.1).CanRetry());
}

TEST(RetryBudgetTest, RatioIsKeptToAThousandthOfAToken) {
  RetryBudget tiny(10, 0.0004);  // rounds to 0: successes earn nothing
  tiny.OnFailure();
  tiny.OnSuccess();
  EXPECT_EQ(tiny.MilliTokens(), 9'000);
  RetryBudget huge(10, 1e300);  // one success refills the bucket
  for (int i = 0; i < 10; ++i) huge.OnFailure();
  huge.OnSuccess();
  EXPECT_EQ(huge.MilliTokens(), 10'000);
  RetryBudget nan(10, std::nan(""));
  nan.OnFailure();
  nan.OnSuccess();
  EXPECT_EQ(nan.MilliTokens(), 9'000);
}

TEST(RetryBudgetTest, ConfigConstructorTakesItsFields) {
  RetryBudget budget(RetryBudgetConfig{true, 4, 0.5});
  EXPECT_EQ(budget.MilliTokens(), 4'000);
  budget.OnFailure();
  budget.OnFailure();
  EXPECT_FALSE(budget.CanRetry());
  budget.OnSuccess();
  EXPECT_EQ(budget.MilliTokens(), 2'500);
  EXPECT_TRUE(budget.CanRetry());
}

TEST(RetryBudgetTest, DisabledBudgetAlwaysAllowsAndNeverChanges) {
  RetryBudget budget(RetryBudgetConfig{false, 10, 0.1});
  for (int i = 0; i < 20; ++i) budget.OnFailure();
  EXPECT_TRUE(budget.CanRetry());
  EXPECT_EQ(budget.MilliTokens(), 10'000);
}

TEST(RetryBudgetTest, DisabledBudgetAllowsEvenWithoutTokens) {
  EXPECT_TRUE(RetryBudget(RetryBudgetConfig{false, 0, 0.1}).CanRetry());
}

TEST(RetryBudgetTest, ConcurrentFailuresAreNeverLost) {
  RetryBudget budget(100, 1.0);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&budget] {
        for (int i = 0; i < 10; ++i) budget.OnFailure();
      });
    }
  }
  EXPECT_EQ(budget.MilliTokens(), 60'000);
}

TEST(RetryBudgetTest, ConcurrentUpdatesStayInBounds) {
  RetryBudget budget(10, 0.7);
  std::atomic<bool> out_of_bounds{false};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      // Two threads mostly fail, two mostly succeed, so both bounds are pressed.
      threads.emplace_back([&budget, &out_of_bounds, t] {
        for (int i = 0; i < 20'000; ++i) {
          if ((i % 4 == 0) == (t % 2 == 0)) {
            budget.OnSuccess();
          } else {
            budget.OnFailure();
          }
          const std::int64_t tokens = budget.MilliTokens();
          if (tokens < 0 || tokens > 10'000) out_of_bounds = true;
          (void)budget.CanRetry();
        }
      });
    }
  }
  EXPECT_FALSE(out_of_bounds);
  EXPECT_GE(budget.MilliTokens(), 0);
  EXPECT_LE(budget.MilliTokens(), 10'000);
}

}  // namespace
}  // namespace alertllm
