// SPDX-License-Identifier: Apache-2.0
#include "alertllm/circuit_breaker.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace alertllm {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;
using ::testing::_;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Matcher;

// A fixed origin, a whole number of seconds (so aligned to every bucket width used here), far
// from the clock's epoch. The real clock is never read.
const TimePoint kBase{seconds(1'000'000)};

TimePoint At(nanoseconds offset) { return kBase + offset; }

constexpr nanoseconds kFast = milliseconds(10);

// Defaults of the seed, with the rules separated so that each test exercises one: the rate rule
// is out of reach unless a test lowers minimum_calls, and vice versa for max_failures.
CircuitBreakerConfig ConsecutiveOnly(int max_failures) {
  CircuitBreakerConfig c;
  c.max_failures = max_failures;
  c.minimum_calls = 1000;
  return c;
}

CircuitBreakerConfig RateOnly(int minimum_calls, double threshold) {
  CircuitBreakerConfig c;
  c.max_failures = 1000;
  c.minimum_calls = minimum_calls;
  c.failure_threshold = threshold;
  return c;
}

// Allow + Record at one instant; the call must be admitted.
void Call(CircuitBreaker& cb, CallOutcome outcome, TimePoint now, nanoseconds duration = kFast) {
  const Permit p = cb.Allow(now);
  ASSERT_TRUE(p.admitted) << "rejected at +" << (now - kBase).count() << "ns";
  cb.Record(p, outcome, duration, now);
}

void Fail(CircuitBreaker& cb, TimePoint now) { Call(cb, CallOutcome::kFailure, now); }
void Succeed(CircuitBreaker& cb, TimePoint now) { Call(cb, CallOutcome::kSuccess, now); }

// Opens `cb` (consecutive-failure rule) at `now`.
void Trip(CircuitBreaker& cb, TimePoint now) {
  for (int i = 0; i < cb.config().max_failures; ++i) Fail(cb, now);
  ASSERT_EQ(cb.State(now), CircuitState::kOpen);
}

struct Recorder {
  std::vector<StateTransition> seen;
  void Attach(CircuitBreaker& cb) {
    cb.AddListener([this](const StateTransition& t) { seen.push_back(t); });
  }
};

std::uint64_t Changes(const CircuitBreaker& cb, CircuitState from, CircuitState to) {
  return cb.Counters().state_changes[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)];
}

// One transition as a listener sees it; `at` and `reason` may be left open with `_`.
Matcher<const StateTransition&> IsTransition(CircuitState from, CircuitState to,
                                             Matcher<TimePoint> at = _,
                                             Matcher<std::string_view> reason = _) {
  return AllOf(Field("from", &StateTransition::from, from), Field("to", &StateTransition::to, to),
               Field("at", &StateTransition::at, at),
               Field("reason", &StateTransition::reason, reason));
}

// ---- Construction and names

TEST(CircuitBreakerTest, StateNamesAndGaugeValuesAreTheSeeds) {
  EXPECT_EQ(ToString(CircuitState::kClosed), "closed");
  EXPECT_EQ(ToString(CircuitState::kOpen), "open");
  EXPECT_EQ(ToString(CircuitState::kHalfOpen), "half_open");
  EXPECT_EQ(static_cast<int>(CircuitState::kClosed), 0);
  EXPECT_EQ(static_cast<int>(CircuitState::kOpen), 1);
  EXPECT_EQ(static_cast<int>(CircuitState::kHalfOpen), 2);
}

TEST(CircuitBreakerTest, NewBreakerIsClosedAndAdmits) {
  CircuitBreaker cb(CircuitBreakerConfig{});
  EXPECT_EQ(cb.State(kBase), CircuitState::kClosed);
  const Permit p = cb.Allow(kBase);
  EXPECT_TRUE(p.admitted);
  EXPECT_FALSE(p.probe);
  EXPECT_EQ(p.retry_after, nanoseconds(0));
}

TEST(CircuitBreakerTest, ConstructorThrowsInvalidArgumentNamingTheField) {
  CircuitBreakerConfig c;
  c.failure_threshold = 1.5;
  try {
    CircuitBreaker cb(c);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("failure_threshold"));
  }
}

TEST(CircuitBreakerTest, CreateReturnsInvalidConfigNamingTheField) {
  CircuitBreakerConfig c;
  c.half_open_max_calls = 0;
  const auto cb = CircuitBreaker::Create(c);
  ASSERT_FALSE(cb.has_value());
  EXPECT_EQ(cb.error().code, ErrorCode::kInvalidConfig);
  EXPECT_THAT(cb.error().message, HasSubstr("half_open_max_calls"));
}

TEST(CircuitBreakerTest, CreateReturnsBreakerWithTheConfig) {
  CircuitBreakerConfig c;
  c.max_failures = 7;
  const auto cb = CircuitBreaker::Create(c);
  ASSERT_TRUE(cb.has_value());
  EXPECT_EQ((*cb)->config().max_failures, 7);
  EXPECT_EQ((*cb)->State(kBase), CircuitState::kClosed);
}

// Names each instance of a parameterized test after its case's `name`, and prints a case as its
// name in failure messages (PrintTo overloads below).
struct ByName {
  template <class Case>
  std::string operator()(const ::testing::TestParamInfo<Case>& param_info) const {
    return param_info.param.name;
  }
};

// ---- Closed → open

// One call at kBase, named by a letter: F failure, S success, I ignored, W slow success (4 s, where
// slow_call_duration is 3 s).
void CallNamed(CircuitBreaker& cb, char call) {
  switch (call) {
    case 'F':
      Fail(cb, kBase);
      break;
    case 'S':
      Succeed(cb, kBase);
      break;
    case 'I':
      Call(cb, CallOutcome::kIgnored, kBase);
      break;
    case 'W':
      Call(cb, CallOutcome::kSuccess, kBase, seconds(4));
      break;
    default:
      ADD_FAILURE() << "unknown call '" << call << "'";
  }
}

// A scenario that leaves the breaker closed until its last call, which opens it for `reason`.
struct TripCase {
  std::string name;
  CircuitBreakerConfig config;
  std::string_view calls;  // letters of CallNamed
  std::string_view reason;
};
void PrintTo(const TripCase& c, std::ostream* os) { *os << c.name; }

class CircuitBreakerTripTest : public ::testing::TestWithParam<TripCase> {};

TEST_P(CircuitBreakerTripTest, ClosedUntilTheLastCallWhichOpens) {
  const TripCase& c = GetParam();
  ASSERT_FALSE(c.calls.empty());
  CircuitBreaker cb(c.config);
  Recorder r;
  r.Attach(cb);
  for (const char call : c.calls.substr(0, c.calls.size() - 1)) CallNamed(cb, call);
  EXPECT_EQ(cb.State(kBase), CircuitState::kClosed);
  CallNamed(cb, c.calls.back());
  EXPECT_EQ(cb.State(kBase), CircuitState::kOpen);
  EXPECT_THAT(r.seen, ElementsAre(IsTransition(CircuitState::kClosed, CircuitState::kOpen, kBase,
                                               c.reason)));
}

INSTANTIATE_TEST_SUITE_P(
    CircuitBreaker, CircuitBreakerTripTest,
    ::testing::Values(
        TripCase{"ExactlyMaxFailuresConsecutiveFailures", ConsecutiveOnly(3), "FFF",
                 "consecutive_failures"},
        TripCase{"SuccessRestartsTheConsecutiveFailureCount", ConsecutiveOnly(3), "FFSFFF",
                 "consecutive_failures"},
        TripCase{"IgnoredOutcomeDoesNotInterruptConsecutiveFailures", ConsecutiveOnly(2), "FIF",
                 "consecutive_failures"},
        TripCase{"SlowSuccessesCountAsConsecutiveFailures", ConsecutiveOnly(2), "WW",
                 "consecutive_failures"},
        // 100 % of 3 calls: too few to judge; the fourth brings the window to minimum_calls.
        TripCase{"FailureRateOnlyOnceMinimumCallsAreInTheWindow", RateOnly(4, 0.5), "FFFF",
                 "failure_rate"},
        // 2 of 4 = 0.5
        TripCase{"FailureRateEqualToThreshold", RateOnly(4, 0.5), "SFSF", "failure_rate"},
        // 3 of 5 = 0.6
        TripCase{"SuccessBringingTheWindowToMinimumCalls", RateOnly(5, 0.5), "FFFSS",
                 "failure_rate"}),
    ByName{});

TEST(CircuitBreakerTest, ConsecutiveFailureTripNamesItsReason) {
  CircuitBreaker cb(ConsecutiveOnly(2));
  Recorder r;
  r.Attach(cb);
  Fail(cb, kBase);
  Fail(cb, At(seconds(1)));
  EXPECT_THAT(r.seen, ElementsAre(IsTransition(CircuitState::kClosed, CircuitState::kOpen,
                                               At(seconds(1)), "consecutive_failures")));
}

// ---- Failure rate

TEST(CircuitBreakerTest, StaysClosedBelowThreshold) {
  CircuitBreaker cb(RateOnly(4, 0.5));
  for (int i = 0; i < 10; ++i) {
    Succeed(cb, kBase);
    Succeed(cb, kBase);
    Fail(cb, kBase);
  }
  EXPECT_EQ(cb.State(kBase), CircuitState::kClosed);
  EXPECT_EQ(cb.Stats(kBase).total_calls, 30u);
}

// ---- The window

TEST(CircuitBreakerTest, OutcomeCountsUntilItsBucketStartIsTimeWindowOld) {
  CircuitBreaker cb(RateOnly(100, 0.5));  // 60 s window, 60 buckets of 1 s
  Fail(cb, At(milliseconds(500)));        // bucket [base, base + 1 s)
  EXPECT_EQ(cb.Stats(At(seconds(60) - nanoseconds(1))).total_calls, 1u);
  EXPECT_EQ(cb.Stats(At(seconds(60))).total_calls, 0u);
}

// Three failures in the bucket [base, base + 1 s), then one success at `success_at`, read at
// +60 s, when the failures' bucket has just left the window.
struct WindowEdgeCase {
  std::string name;
  nanoseconds success_at;
  CircuitState state_at_60s;
};
void PrintTo(const WindowEdgeCase& c, std::ostream* os) { *os << c.name; }

class CircuitBreakerWindowEdgeTest : public ::testing::TestWithParam<WindowEdgeCase> {};

TEST_P(CircuitBreakerWindowEdgeTest, ThreeFailuresThenASuccess) {
  const WindowEdgeCase& c = GetParam();
  CircuitBreaker cb(RateOnly(4, 0.5));
  for (int i = 0; i < 3; ++i) Fail(cb, At(milliseconds(500)));
  Succeed(cb, At(c.success_at));
  EXPECT_EQ(cb.State(At(seconds(60))), c.state_at_60s);
  EXPECT_EQ(cb.Stats(At(seconds(60))).total_calls, 1u);  // only the success is left
}

INSTANTIATE_TEST_SUITE_P(CircuitBreaker, CircuitBreakerWindowEdgeTest,
                         ::testing::Values(
                             // 3 of 4 while the failures are still in the window.
                             WindowEdgeCase{"JustInsideTheWindowStillTrips",
                                            seconds(60) - nanoseconds(1), CircuitState::kOpen},
                             // The failures' bucket has left: 0 of 1.
                             WindowEdgeCase{"AtTheWindowEdgeNoLongerTrips", seconds(60),
                                            CircuitState::kClosed}),
                         ByName{});

TEST(CircuitBreakerTest, BucketsOfAWindowNotDivisibleBySixtyAreExact) {
  // 1 s = 10^9 ns has no divisor between 51 and 60: 50 buckets of 20 ms.
  CircuitBreakerConfig c = RateOnly(100, 0.5);
  c.time_window = milliseconds(1000);
  CircuitBreaker cb(c);
  Fail(cb, At(milliseconds(19)));  // bucket [0, 20 ms)
  Fail(cb, At(milliseconds(20)));  // bucket [20, 40 ms)
  EXPECT_EQ(cb.Stats(At(milliseconds(1000) - nanoseconds(1))).total_calls, 2u);
  EXPECT_EQ(cb.Stats(At(milliseconds(1000))).total_calls, 1u);
  EXPECT_EQ(cb.Stats(At(milliseconds(1020) - nanoseconds(1))).total_calls, 1u);
  EXPECT_EQ(cb.Stats(At(milliseconds(1020))).total_calls, 0u);
}

TEST(CircuitBreakerTest, ExpiredBucketsLeaveTheRunningTotals) {
  CircuitBreaker cb(RateOnly(1000, 0.5));
  for (int s = 0; s < 60; ++s) Succeed(cb, At(seconds(s)));
  EXPECT_EQ(cb.Stats(At(seconds(59))).total_calls, 60u);
  Succeed(cb, At(seconds(60)));  // moves the window: bucket 0 leaves, bucket 60 gets one call
  EXPECT_EQ(cb.Stats(At(seconds(60))).total_calls, 60u);
  Succeed(cb, At(seconds(90)));  // buckets 1..30 leave
  EXPECT_EQ(cb.Stats(At(seconds(90))).total_calls, 31u);
  EXPECT_EQ(cb.Stats(At(seconds(119))).total_calls, 2u);
}

TEST(CircuitBreakerTest, LongIdleGapClearsEverything) {
  CircuitBreaker cb(RateOnly(4, 0.5));
  Fail(cb, At(milliseconds(700)));
  Fail(cb, At(milliseconds(800)));
  Fail(cb, At(milliseconds(900)));
  // Exactly time_window after the last outcome: all of them are gone.
  EXPECT_EQ(cb.Stats(At(milliseconds(60'900))).total_calls, 0u);
  Fail(cb, At(hours(5)));
  const CircuitBreakerStats s = cb.Stats(At(hours(5)));
  EXPECT_EQ(s.total_calls, 1u);
  EXPECT_EQ(s.failure_count, 1u);
  EXPECT_EQ(cb.State(At(hours(5))), CircuitState::kClosed);
}

TEST(CircuitBreakerTest, TimeGoingBackwardsCountsInTheNewestBucket) {
  CircuitBreaker cb(RateOnly(100, 0.5));
  Fail(cb, At(seconds(10)));
  Fail(cb, At(seconds(5)));  // counted in the bucket of +10 s
  EXPECT_EQ(cb.Stats(At(seconds(65))).total_calls, 2u);
  EXPECT_EQ(cb.Stats(At(seconds(70))).total_calls, 0u);
}

TEST(CircuitBreakerTest, StatsReadTheWindowWithoutMovingIt) {
  CircuitBreaker cb(RateOnly(100, 0.5));
  Fail(cb, At(seconds(10)));
  EXPECT_EQ(cb.Stats(At(seconds(200))).total_calls, 0u);
  // A Stats() at a later time does not make an earlier reading forget anything.
  EXPECT_EQ(cb.Stats(At(seconds(20))).total_calls, 1u);
}

// ---- Open

// Opened by one failure at kBase (reset_timeout 30 s), its transitions recorded from the start.
class OpenCircuitBreakerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    r.Attach(cb);
    Trip(cb, kBase);
  }

  CircuitBreaker cb{ConsecutiveOnly(1)};
  Recorder r;
};

TEST_F(OpenCircuitBreakerTest, RejectsUntilExactlyOpenUntil) {
  const Permit before = cb.Allow(At(seconds(30) - nanoseconds(1)));
  EXPECT_FALSE(before.admitted);
  EXPECT_EQ(before.retry_after, nanoseconds(1));
  const Permit at = cb.Allow(At(seconds(30)));
  EXPECT_TRUE(at.admitted);
  EXPECT_TRUE(at.probe);
}

TEST_F(OpenCircuitBreakerTest, RejectionCarriesTimeLeftAsRetryAfter) {
  EXPECT_EQ(cb.Allow(At(seconds(10))).retry_after, seconds(20));
}

TEST_F(OpenCircuitBreakerTest, EveryRejectionIsCountedAsBlocked) {
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(cb.Allow(At(seconds(i))).admitted);
  EXPECT_EQ(cb.Counters().blocked, 7u);
  EXPECT_EQ(cb.Stats(kBase).blocked_count, 7u);
}

TEST_F(OpenCircuitBreakerTest, StateBecomesHalfOpenWithTimeAlone) {
  EXPECT_EQ(cb.State(At(seconds(30) - nanoseconds(1))), CircuitState::kOpen);
  EXPECT_EQ(cb.State(At(seconds(30))), CircuitState::kHalfOpen);
  const CircuitBreakerStats s = cb.Stats(At(seconds(31)));
  EXPECT_EQ(s.state, CircuitState::kHalfOpen);
  EXPECT_EQ(s.last_state_change, At(seconds(30)));
  EXPECT_EQ(s.next_retry_at, CircuitBreakerStats::kNever);
  // Reading the state is not a transition.
  EXPECT_EQ(Changes(cb, CircuitState::kOpen, CircuitState::kHalfOpen), 0u);
  EXPECT_EQ(r.seen.size(), 1u);
}

TEST(CircuitBreakerTest, StatsWhileOpenGiveNextRetryAt) {
  CircuitBreaker cb(ConsecutiveOnly(1));
  Trip(cb, At(seconds(2)));
  const CircuitBreakerStats s = cb.Stats(At(seconds(3)));
  EXPECT_EQ(s.state, CircuitState::kOpen);
  EXPECT_EQ(s.next_retry_at, At(seconds(32)));
  EXPECT_EQ(s.last_state_change, At(seconds(2)));
}

TEST_F(OpenCircuitBreakerTest, FirstAllowAfterOpenPeriodRecordsTheTransitionAtOpenUntil) {
  EXPECT_TRUE(cb.Allow(At(seconds(45))).admitted);
  EXPECT_THAT(r.seen, ElementsAre(_, IsTransition(CircuitState::kOpen, CircuitState::kHalfOpen,
                                                  At(seconds(30)), "reset_timeout_elapsed")));
  EXPECT_EQ(Changes(cb, CircuitState::kOpen, CircuitState::kHalfOpen), 1u);
}

// ---- Half-open

CircuitBreakerConfig WithProbes(int k) {
  CircuitBreakerConfig c = ConsecutiveOnly(1);
  c.half_open_max_calls = k;
  return c;
}

// Opens `cb` at kBase and asks for a permit when the 30 s open period ends: a probe.
Permit TripAndProbe(CircuitBreaker& cb) {
  Trip(cb, kBase);
  return cb.Allow(At(seconds(30)));
}

// Opened at kBase with three probe slots, all three taken when the open period ends at +30 s.
class HalfOpenCircuitBreakerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    r.Attach(cb);
    Trip(cb, kBase);
    for (int i = 0; i < 3; ++i) probes.push_back(cb.Allow(At(seconds(30))));
  }

  CircuitBreaker cb{WithProbes(3)};
  Recorder r;
  std::vector<Permit> probes;
};

TEST_F(HalfOpenCircuitBreakerTest, AdmitsExactlyKProbes) {
  for (const Permit& p : probes) {
    EXPECT_TRUE(p.admitted);
    EXPECT_TRUE(p.probe);
  }
  const Permit fourth = cb.Allow(At(seconds(30)));
  EXPECT_FALSE(fourth.admitted);
  EXPECT_EQ(fourth.retry_after, seconds(30));  // no timer to point at: reset_timeout
  EXPECT_EQ(cb.Counters().half_open_requests, 3u);
  EXPECT_EQ(cb.Counters().blocked, 1u);
}

TEST_F(HalfOpenCircuitBreakerTest, AllProbesSucceedingCloses) {
  cb.Record(probes[0], CallOutcome::kSuccess, kFast, At(seconds(31)));
  cb.Record(probes[1], CallOutcome::kSuccess, kFast, At(seconds(31)));
  EXPECT_EQ(cb.State(At(seconds(31))), CircuitState::kHalfOpen);
  cb.Record(probes[2], CallOutcome::kSuccess, kFast, At(seconds(32)));
  EXPECT_EQ(cb.State(At(seconds(32))), CircuitState::kClosed);
  EXPECT_THAT(r.seen, ElementsAre(_, _,
                                  IsTransition(CircuitState::kHalfOpen, CircuitState::kClosed,
                                               At(seconds(32)), "probes_succeeded")));
}

TEST_F(HalfOpenCircuitBreakerTest, AnyProbeFailureReopens) {
  cb.Record(probes[0], CallOutcome::kSuccess, kFast, At(seconds(31)));
  cb.Record(probes[1], CallOutcome::kFailure, kFast, At(seconds(31)));
  EXPECT_EQ(cb.State(At(seconds(31))), CircuitState::kOpen);
  EXPECT_THAT(r.seen, ElementsAre(_, _,
                                  IsTransition(CircuitState::kHalfOpen, CircuitState::kOpen, _,
                                               "probe_failed")));
  // The last probe's success belongs to the half-open period that ended: no effect.
  cb.Record(probes[2], CallOutcome::kSuccess, kFast, At(seconds(32)));
  EXPECT_EQ(cb.State(At(seconds(32))), CircuitState::kOpen);
}

TEST(CircuitBreakerTest, HalfOpenDoesNotReissueTheSlotOfASucceededProbe) {
  CircuitBreaker cb(WithProbes(2));
  const Permit a = TripAndProbe(cb);
  const Permit b = cb.Allow(At(seconds(30)));
  cb.Record(a, CallOutcome::kSuccess, kFast, At(seconds(31)));
  EXPECT_FALSE(cb.Allow(At(seconds(31))).admitted);
  EXPECT_EQ(cb.State(At(seconds(31))), CircuitState::kHalfOpen);
  cb.Record(b, CallOutcome::kSuccess, kFast, At(seconds(32)));
  EXPECT_EQ(cb.State(At(seconds(32))), CircuitState::kClosed);
}

TEST(CircuitBreakerTest, ClosingClearsTheWindowAndConsecutiveCounters) {
  CircuitBreaker cb(WithProbes(1));
  const Permit probe = TripAndProbe(cb);
  cb.Record(probe, CallOutcome::kSuccess, kFast, At(seconds(30)));
  const CircuitBreakerStats s = cb.Stats(At(seconds(30)));
  EXPECT_EQ(s.state, CircuitState::kClosed);
  EXPECT_EQ(s.total_calls, 0u);
  EXPECT_EQ(s.consecutive_failures, 0u);
  EXPECT_EQ(s.consecutive_successes, 0u);
}

// ---- Open duration

TEST(CircuitBreakerTest, OpenDurationMultipliesOnEachReopenUpToMaxResetTimeout) {
  CircuitBreakerConfig c = WithProbes(1);
  c.reset_timeout = seconds(10);
  c.reset_timeout_multiplier = 2.0;
  c.max_reset_timeout = seconds(35);
  CircuitBreaker cb(c);
  Trip(cb, kBase);
  EXPECT_EQ(cb.Allow(kBase).retry_after, seconds(10));
  TimePoint now = At(seconds(10));
  for (const seconds expected : {seconds(20), seconds(35), seconds(35)}) {
    const Permit probe = cb.Allow(now);
    ASSERT_TRUE(probe.probe);
    cb.Record(probe, CallOutcome::kFailure, kFast, now);
    EXPECT_EQ(cb.Allow(now).retry_after, expected);
    now += expected;
  }
}

TEST(CircuitBreakerTest, OpenDurationStartsAgainAfterClosing) {
  CircuitBreakerConfig c = WithProbes(1);
  c.reset_timeout = seconds(10);
  c.reset_timeout_multiplier = 3.0;
  CircuitBreaker cb(c);
  Trip(cb, kBase);
  Permit probe = cb.Allow(At(seconds(10)));
  cb.Record(probe, CallOutcome::kFailure, kFast, At(seconds(10)));
  EXPECT_EQ(cb.Allow(At(seconds(10))).retry_after, seconds(30));
  probe = cb.Allow(At(seconds(40)));
  cb.Record(probe, CallOutcome::kSuccess, kFast, At(seconds(40)));
  ASSERT_EQ(cb.State(At(seconds(40))), CircuitState::kClosed);
  Trip(cb, At(seconds(50)));
  EXPECT_EQ(cb.Allow(At(seconds(50))).retry_after, seconds(10));
}

// ---- Ignored outcomes

TEST(CircuitBreakerTest, IgnoredOutcomeChangesNoCounterButTheIgnoredCount) {
  CircuitBreaker cb(ConsecutiveOnly(3));
  for (int i = 0; i < 5; ++i) Call(cb, CallOutcome::kIgnored, kBase, seconds(100));
  const CircuitBreakerStats s = cb.Stats(kBase);
  EXPECT_EQ(s.ignored_count, 5u);
  EXPECT_EQ(s.total_calls, 0u);
  EXPECT_EQ(s.consecutive_failures, 0u);
  EXPECT_EQ(s.consecutive_successes, 0u);
  EXPECT_EQ(s.last_failure, CircuitBreakerStats::kNever);
  EXPECT_EQ(s.last_success, CircuitBreakerStats::kNever);
  const CircuitBreakerCounters n = cb.Counters();
  EXPECT_EQ(n.ignored, 5u);
  EXPECT_EQ(n.successes + n.failures + n.slow_calls, 0u);
  EXPECT_EQ(n.success_duration.count + n.failure_duration.count, 0u);
}

TEST(CircuitBreakerTest, IgnoredProbeReleasesItsSlot) {
  CircuitBreaker cb(WithProbes(1));
  const Permit first = TripAndProbe(cb);
  ASSERT_TRUE(first.probe);
  EXPECT_FALSE(cb.Allow(At(seconds(30))).admitted);
  cb.Record(first, CallOutcome::kIgnored, kFast, At(seconds(31)));
  EXPECT_EQ(cb.State(At(seconds(31))), CircuitState::kHalfOpen);
  const Permit second = cb.Allow(At(seconds(31)));
  EXPECT_TRUE(second.admitted);
  EXPECT_TRUE(second.probe);
}

TEST(CircuitBreakerTest, IgnoredStaleProbeReleasesNoSlotOfALaterPeriod) {
  CircuitBreaker cb(WithProbes(1));
  const Permit old_probe = TripAndProbe(cb);
  cb.ForceOpen(At(seconds(30)));
  cb.Reset(At(seconds(31)));
  Trip(cb, At(seconds(31)));
  const Permit probe = cb.Allow(At(seconds(61)));
  ASSERT_TRUE(probe.probe);
  cb.Record(old_probe, CallOutcome::kIgnored, kFast, At(seconds(61)));
  EXPECT_FALSE(cb.Allow(At(seconds(61))).admitted);
}

// ---- Generations

TEST(CircuitBreakerTest, EveryTransitionStartsANewGeneration) {
  CircuitBreaker cb(WithProbes(1));
  const std::uint64_t closed = cb.Allow(kBase).generation;
  const Permit probe = TripAndProbe(cb);  // closed → open → half_open: two transitions
  EXPECT_EQ(probe.generation, closed + 2);
  cb.Record(probe, CallOutcome::kSuccess, kFast, At(seconds(30)));
  EXPECT_EQ(cb.Allow(At(seconds(30))).generation, closed + 3);
}

TEST(CircuitBreakerTest, StaleFailureNeverTripsTheBreaker) {
  CircuitBreaker cb(ConsecutiveOnly(2));
  std::vector<Permit> old;
  for (int i = 0; i < 5; ++i) old.push_back(cb.Allow(kBase));
  Trip(cb, kBase);
  cb.Reset(At(seconds(1)));
  for (const Permit& p : old) cb.Record(p, CallOutcome::kFailure, kFast, At(seconds(2)));
  EXPECT_EQ(cb.State(At(seconds(2))), CircuitState::kClosed);
  const CircuitBreakerStats s = cb.Stats(At(seconds(2)));
  EXPECT_EQ(s.consecutive_failures, 0u);
  EXPECT_EQ(s.total_calls, 0u);
  EXPECT_EQ(s.last_failure, At(seconds(2)));
  EXPECT_EQ(cb.Counters().failures, 7u);  // 2 that tripped + 5 stale
}

// A permit from the closed period, recorded while a later half-open period waits on its probe.
struct StaleOutcomeCase {
  std::string name;
  CallOutcome outcome;
  std::uint64_t successes;  // counted, though the state machine ignores the outcome
  std::uint64_t failures;   // the one that tripped, and the stale one if it is a failure
};
void PrintTo(const StaleOutcomeCase& c, std::ostream* os) { *os << c.name; }

class CircuitBreakerStaleOutcomeTest : public ::testing::TestWithParam<StaleOutcomeCase> {};

TEST_P(CircuitBreakerStaleOutcomeTest, LeavesAHalfOpenBreakerToItsProbe) {
  const StaleOutcomeCase& c = GetParam();
  CircuitBreaker cb(WithProbes(1));
  const Permit old = cb.Allow(kBase);
  const Permit probe = TripAndProbe(cb);
  ASSERT_TRUE(probe.probe);
  cb.Record(old, c.outcome, kFast, At(seconds(31)));
  EXPECT_EQ(cb.State(At(seconds(31))), CircuitState::kHalfOpen);
  EXPECT_EQ(cb.Counters().successes, c.successes);
  EXPECT_EQ(cb.Counters().failures, c.failures);
  cb.Record(probe, CallOutcome::kSuccess, kFast, At(seconds(32)));
  EXPECT_EQ(cb.State(At(seconds(32))), CircuitState::kClosed);
}

INSTANTIATE_TEST_SUITE_P(
    CircuitBreaker, CircuitBreakerStaleOutcomeTest,
    ::testing::Values(StaleOutcomeCase{"FailureNeverReopens", CallOutcome::kFailure, 0, 2},
                      StaleOutcomeCase{"SuccessNeverCloses", CallOutcome::kSuccess, 1, 1}),
    ByName{});

// ---- Slow calls

TEST(CircuitBreakerTest, SlowSuccessCountsAsFailureAndAsSlow) {
  CircuitBreaker cb(RateOnly(100, 0.5));  // slow_call_duration 3 s
  Call(cb, CallOutcome::kSuccess, kBase, seconds(3));
  Call(cb, CallOutcome::kSuccess, kBase, seconds(3) - nanoseconds(1));
  const CircuitBreakerStats s = cb.Stats(kBase);
  EXPECT_EQ(s.failure_count, 1u);
  EXPECT_EQ(s.success_count, 1u);
  EXPECT_DOUBLE_EQ(s.slow_call_rate, 0.5);
  const CircuitBreakerCounters n = cb.Counters();
  EXPECT_EQ(n.failures, 1u);
  EXPECT_EQ(n.successes, 1u);
  EXPECT_EQ(n.slow_calls, 1u);
  EXPECT_EQ(n.failure_duration.count, 1u);
}

TEST(CircuitBreakerTest, SlowFailureCountsAsOneFailureAndSlow) {
  CircuitBreaker cb(RateOnly(100, 0.5));
  Call(cb, CallOutcome::kFailure, kBase, seconds(5));
  const CircuitBreakerCounters n = cb.Counters();
  EXPECT_EQ(n.failures, 1u);
  EXPECT_EQ(n.slow_calls, 1u);
  EXPECT_EQ(cb.Stats(kBase).failure_count, 1u);
}

TEST(CircuitBreakerTest, SlowSuccessfulProbeReopens) {
  CircuitBreaker cb(WithProbes(1));
  const Permit probe = TripAndProbe(cb);
  cb.Record(probe, CallOutcome::kSuccess, seconds(3), At(seconds(33)));
  EXPECT_EQ(cb.State(At(seconds(33))), CircuitState::kOpen);
}

// ---- Reset and ForceOpen

TEST_F(OpenCircuitBreakerTest, ResetClosesItAsATransition) {
  cb.Reset(At(seconds(5)));
  EXPECT_EQ(cb.State(At(seconds(5))), CircuitState::kClosed);
  EXPECT_TRUE(cb.Allow(At(seconds(5))).admitted);
  EXPECT_THAT(r.seen, ElementsAre(_, IsTransition(CircuitState::kOpen, CircuitState::kClosed,
                                                  At(seconds(5)), "manual_reset")));
  EXPECT_EQ(Changes(cb, CircuitState::kOpen, CircuitState::kClosed), 1u);
  EXPECT_EQ(cb.Stats(At(seconds(5))).last_state_change, At(seconds(5)));
}

TEST(CircuitBreakerTest, ResetClearsWindowConsecutiveCountersAndTrips) {
  CircuitBreakerConfig c = ConsecutiveOnly(3);
  c.reset_timeout_multiplier = 2.0;
  CircuitBreaker cb(c);
  const Permit probe = TripAndProbe(cb);
  cb.Record(probe, CallOutcome::kFailure, kFast, At(seconds(30)));  // second trip: 60 s
  cb.Reset(At(seconds(40)));
  const CircuitBreakerStats s = cb.Stats(At(seconds(40)));
  EXPECT_EQ(s.total_calls, 0u);
  EXPECT_EQ(s.consecutive_failures, 0u);
  Trip(cb, At(seconds(41)));
  EXPECT_EQ(cb.Allow(At(seconds(41))).retry_after, seconds(30));
}

TEST(CircuitBreakerTest, ResetOfAClosedBreakerClearsItWithoutATransition) {
  CircuitBreaker cb(ConsecutiveOnly(3));
  Recorder r;
  r.Attach(cb);
  Fail(cb, kBase);
  Fail(cb, kBase);
  cb.Reset(kBase);
  EXPECT_TRUE(r.seen.empty());
  EXPECT_EQ(cb.Stats(kBase).total_calls, 0u);
  Fail(cb, kBase);
  Fail(cb, kBase);
  EXPECT_EQ(cb.State(kBase), CircuitState::kClosed);
  const CircuitBreakerCounters n = cb.Counters();
  for (const auto& row : n.state_changes) {
    for (const std::uint64_t count : row) EXPECT_EQ(count, 0u);
  }
}

TEST(CircuitBreakerTest, ResetMakesOutstandingPermitsStale) {
  CircuitBreaker cb(ConsecutiveOnly(1));
  const Permit before = cb.Allow(kBase);
  cb.Reset(kBase);
  cb.Record(before, CallOutcome::kFailure, kFast, kBase);
  EXPECT_EQ(cb.State(kBase), CircuitState::kClosed);
}

TEST_F(OpenCircuitBreakerTest, ResetAfterTheOpenPeriodReportsBothTransitions) {
  cb.Reset(At(seconds(50)));
  EXPECT_THAT(
      r.seen,
      ElementsAre(_, IsTransition(CircuitState::kOpen, CircuitState::kHalfOpen, At(seconds(30))),
                  IsTransition(CircuitState::kHalfOpen, CircuitState::kClosed, _, "manual_reset")));
}

TEST(CircuitBreakerTest, ForceOpenRejectsWhateverTheTime) {
  CircuitBreaker cb(CircuitBreakerConfig{});
  cb.ForceOpen(kBase);
  const Permit p = cb.Allow(At(hours(1000)));
  EXPECT_FALSE(p.admitted);
  EXPECT_EQ(p.retry_after, seconds(30));  // no end to point at: reset_timeout
  EXPECT_EQ(cb.State(At(hours(1000))), CircuitState::kOpen);
  EXPECT_EQ(cb.State(TimePoint::max()), CircuitState::kOpen);
  const CircuitBreakerStats s = cb.Stats(At(hours(1000)));
  EXPECT_EQ(s.state, CircuitState::kOpen);
  EXPECT_EQ(s.next_retry_at, TimePoint::max());
}

TEST(CircuitBreakerTest, ForceOpenFromClosedIsATransition) {
  CircuitBreaker cb(CircuitBreakerConfig{});
  Recorder r;
  r.Attach(cb);
  cb.ForceOpen(At(seconds(3)));
  EXPECT_THAT(r.seen, ElementsAre(IsTransition(CircuitState::kClosed, CircuitState::kOpen,
                                               At(seconds(3)), "forced_open")));
}

TEST_F(OpenCircuitBreakerTest, ForceOpenOnlyRemovesItsEnd) {
  cb.ForceOpen(At(seconds(1)));
  EXPECT_EQ(r.seen.size(), 1u);
  EXPECT_FALSE(cb.Allow(At(seconds(300))).admitted);
}

TEST(CircuitBreakerTest, ForceOpenMakesHalfOpenProbesStale) {
  CircuitBreaker cb(WithProbes(1));
  const Permit probe = TripAndProbe(cb);
  cb.ForceOpen(At(seconds(31)));
  cb.Record(probe, CallOutcome::kSuccess, kFast, At(seconds(32)));
  EXPECT_EQ(cb.State(At(seconds(32))), CircuitState::kOpen);
}

TEST(CircuitBreakerTest, ResetEndsForceOpen) {
  CircuitBreaker cb(CircuitBreakerConfig{});
  cb.ForceOpen(kBase);
  cb.Reset(At(seconds(1)));
  EXPECT_EQ(cb.State(At(seconds(1))), CircuitState::kClosed);
  EXPECT_TRUE(cb.Allow(At(seconds(1))).admitted);
  EXPECT_EQ(Changes(cb, CircuitState::kOpen, CircuitState::kClosed), 1u);
}

// ---- Disabled, and permits that were not admitted

TEST(CircuitBreakerTest, DisabledAdmitsEverythingAndRecordsNothing) {
  CircuitBreakerConfig c = ConsecutiveOnly(1);
  c.enabled = false;
  CircuitBreaker cb(c);
  for (int i = 0; i < 10; ++i) {
    const Permit p = cb.Allow(kBase);
    EXPECT_TRUE(p.admitted);
    EXPECT_FALSE(p.probe);
    cb.Record(p, CallOutcome::kFailure, seconds(10), kBase);
  }
  cb.ForceOpen(kBase);
  EXPECT_TRUE(cb.Allow(kBase).admitted);
  EXPECT_EQ(cb.State(kBase), CircuitState::kClosed);
  const CircuitBreakerStats s = cb.Stats(kBase);
  EXPECT_EQ(s.state, CircuitState::kClosed);
  EXPECT_EQ(s.total_calls, 0u);
  const CircuitBreakerCounters n = cb.Counters();
  EXPECT_EQ(n.failures + n.successes + n.slow_calls + n.blocked + n.ignored, 0u);
}

TEST(CircuitBreakerTest, RecordWithARejectedPermitIsANoOp) {
  CircuitBreaker cb(WithProbes(1));
  Trip(cb, kBase);
  const Permit rejected = cb.Allow(At(seconds(1)));
  ASSERT_FALSE(rejected.admitted);
  const CircuitBreakerCounters before = cb.Counters();
  cb.Record(rejected, CallOutcome::kFailure, seconds(10), At(seconds(2)));
  cb.Record(rejected, CallOutcome::kIgnored, kFast, At(seconds(2)));
  const CircuitBreakerCounters after = cb.Counters();
  EXPECT_EQ(after.failures, before.failures);
  EXPECT_EQ(after.slow_calls, before.slow_calls);
  EXPECT_EQ(after.ignored, before.ignored);
  EXPECT_EQ(cb.Stats(At(seconds(2))).last_failure, kBase);
}

TEST(CircuitBreakerTest, RecordWithADefaultPermitIsANoOp) {
  CircuitBreaker cb(ConsecutiveOnly(1));
  cb.Record(Permit{}, CallOutcome::kFailure, kFast, kBase);
  EXPECT_EQ(cb.State(kBase), CircuitState::kClosed);
  EXPECT_EQ(cb.Counters().failures, 0u);
}

// ---- Listeners

TEST(CircuitBreakerTest, ListenersSeeTheWholeCycleInOrder) {
  CircuitBreaker cb(WithProbes(1));
  Recorder first;
  Recorder second;
  first.Attach(cb);
  second.Attach(cb);
  cb.AddListener(CircuitBreaker::Listener{});  // ignored
  const Permit probe = TripAndProbe(cb);
  cb.Record(probe, CallOutcome::kSuccess, kFast, At(seconds(30)));
  EXPECT_THAT(first.seen,
              ElementsAre(IsTransition(CircuitState::kClosed, CircuitState::kOpen),
                          IsTransition(CircuitState::kOpen, CircuitState::kHalfOpen),
                          IsTransition(CircuitState::kHalfOpen, CircuitState::kClosed)));
  ASSERT_EQ(second.seen.size(), first.seen.size());
  for (std::size_t i = 0; i < first.seen.size(); ++i) {
    EXPECT_EQ(second.seen[i].reason, first.seen[i].reason);
  }
}

TEST(CircuitBreakerTest, ListenerRunsOutsideTheLockAndMayCallTheBreaker) {
  CircuitBreaker cb(ConsecutiveOnly(1));
  std::vector<CircuitState> states;
  cb.AddListener([&](const StateTransition& t) {
    // Stats() takes the breaker's lock: this would deadlock if the listener ran under it.
    states.push_back(cb.Stats(t.at).state);
  });
  Trip(cb, kBase);
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0], CircuitState::kOpen);
}

TEST_F(OpenCircuitBreakerTest, ListenerExceptionPropagatesFromResetAfterTheChange) {
  cb.AddListener([](const StateTransition&) { throw std::runtime_error("listener"); });
  EXPECT_THROW(cb.Reset(At(seconds(1))), std::runtime_error);
  EXPECT_EQ(cb.State(At(seconds(1))), CircuitState::kClosed);
}

// ---- Stats

TEST(CircuitBreakerTest, StatsOfANewBreakerAreEmpty) {
  CircuitBreaker cb(CircuitBreakerConfig{});
  const CircuitBreakerStats s = cb.Stats(kBase);
  EXPECT_EQ(s.state, CircuitState::kClosed);
  EXPECT_EQ(s.total_calls, 0u);
  EXPECT_EQ(s.failure_rate, 0.0);
  EXPECT_EQ(s.slow_call_rate, 0.0);
  EXPECT_EQ(s.last_failure, CircuitBreakerStats::kNever);
  EXPECT_EQ(s.last_success, CircuitBreakerStats::kNever);
  EXPECT_EQ(s.last_state_change, CircuitBreakerStats::kNever);
  EXPECT_EQ(s.next_retry_at, CircuitBreakerStats::kNever);
}

TEST(CircuitBreakerTest, StatsReportWindowCountsRatesAndTimes) {
  CircuitBreaker cb(RateOnly(100, 0.9));
  Succeed(cb, At(seconds(1)));
  Call(cb, CallOutcome::kSuccess, At(seconds(2)), seconds(4));  // slow: a failure
  Fail(cb, At(seconds(3)));
  Succeed(cb, At(seconds(4)));
  Succeed(cb, At(seconds(5)));
  const CircuitBreakerStats s = cb.Stats(At(seconds(6)));
  EXPECT_EQ(s.total_calls, 5u);
  EXPECT_EQ(s.failure_count, 2u);
  EXPECT_EQ(s.success_count, 3u);
  EXPECT_DOUBLE_EQ(s.failure_rate, 0.4);
  EXPECT_DOUBLE_EQ(s.slow_call_rate, 0.2);
  EXPECT_EQ(s.consecutive_successes, 2u);
  EXPECT_EQ(s.consecutive_failures, 0u);
  EXPECT_EQ(s.last_failure, At(seconds(3)));
  EXPECT_EQ(s.last_success, At(seconds(5)));
}

// ---- Counters

TEST(CircuitBreakerTest, CountersCountTransitionsByFromAndTo) {
  CircuitBreaker cb(WithProbes(1));
  Permit probe = TripAndProbe(cb);                                  // closed → open → half_open
  cb.Record(probe, CallOutcome::kFailure, kFast, At(seconds(30)));  // half_open → open
  probe = cb.Allow(At(seconds(60)));                                // open → half_open
  cb.Record(probe, CallOutcome::kSuccess, kFast, At(seconds(60)));  // half_open → closed
  const CircuitBreakerCounters n = cb.Counters();
  const std::array<std::array<std::uint64_t, 3>, 3> expected = {{{0, 1, 0}, {0, 0, 2}, {1, 1, 0}}};
  EXPECT_EQ(n.state_changes, expected);
  EXPECT_EQ(n.half_open_requests, 2u);
  EXPECT_EQ(n.failures, 2u);
  EXPECT_EQ(n.successes, 1u);
}

TEST(CircuitBreakerTest, DurationHistogramBoundsAreInclusive) {
  CircuitBreakerConfig c = RateOnly(1000, 1.0);
  c.slow_call_duration = hours(1);
  CircuitBreaker cb(c);
  Call(cb, CallOutcome::kSuccess, kBase, milliseconds(100));
  Call(cb, CallOutcome::kSuccess, kBase, milliseconds(100) + nanoseconds(1));
  Call(cb, CallOutcome::kSuccess, kBase, seconds(30));
  Call(cb, CallOutcome::kSuccess, kBase, seconds(31));
  Call(cb, CallOutcome::kFailure, kBase, milliseconds(2500));
  const CircuitBreakerCounters n = cb.Counters();
  const std::array<std::uint64_t, 10> success = {1, 1, 0, 0, 0, 0, 0, 0, 1, 1};
  const std::array<std::uint64_t, 10> failure = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
  EXPECT_EQ(n.success_duration.bucket_counts, success);
  EXPECT_EQ(n.success_duration.count, 4u);
  EXPECT_DOUBLE_EQ(n.success_duration.sum_seconds, 0.1 + 0.100000001 + 30.0 + 31.0);
  EXPECT_EQ(n.failure_duration.bucket_counts, failure);
  EXPECT_DOUBLE_EQ(n.failure_duration.sum_seconds, 2.5);
}

TEST(CircuitBreakerTest, SlowSuccessIsObservedAsAFailureDuration) {
  CircuitBreaker cb(RateOnly(100, 1.0));
  Call(cb, CallOutcome::kSuccess, kBase, seconds(4));
  const CircuitBreakerCounters n = cb.Counters();
  EXPECT_EQ(n.success_duration.count, 0u);
  EXPECT_EQ(n.failure_duration.count, 1u);
  EXPECT_EQ(n.failure_duration.bucket_counts[6], 1u);  // (3 s, 5 s]
}

}  // namespace
}  // namespace alertllm
