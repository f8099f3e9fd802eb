// SPDX-License-Identifier: Apache-2.0
#include "limiter/concurrency_limiter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>

namespace alertllm::internal {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Admission = ConcurrencyLimiter::Admission;
using Signal = ConcurrencyLimiter::Signal;
using TimePoint = ConcurrencyLimiter::TimePoint;

// A fixed origin far from the clock's epoch; the real clock is never read.
const TimePoint kBase{seconds(1'000'000)};

TimePoint At(milliseconds offset) { return kBase + offset; }

// Far enough that no test reaches it: the call never expires.
const TimePoint kFar = At(seconds(3600));

// Takes `n` slots at `now`; every one must be granted at once.
void SendN(ConcurrencyLimiter& limiter, int n, TimePoint now) {
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(limiter.Acquire(static_cast<ConcurrencyLimiter::Id>(i), kFar, now), Admission::kSend);
  }
}

TEST(ConcurrencyLimiterTest, RejectsAZeroLimit) {
  EXPECT_THROW(ConcurrencyLimiter(0, false, 1), std::invalid_argument);
}

TEST(ConcurrencyLimiterTest, SendsUpToTheLimitThenQueuesThenRefuses) {
  ConcurrencyLimiter limiter(2, false, 2);
  EXPECT_EQ(limiter.Acquire(1, kFar, kBase), Admission::kSend);
  EXPECT_EQ(limiter.Acquire(2, kFar, kBase), Admission::kSend);
  EXPECT_EQ(limiter.Acquire(3, kFar, kBase), Admission::kQueued);
  EXPECT_EQ(limiter.Acquire(4, kFar, kBase), Admission::kQueued);
  EXPECT_EQ(limiter.Acquire(5, kFar, kBase), Admission::kQueueFull);
  EXPECT_EQ(limiter.in_flight(), 2);
  EXPECT_EQ(limiter.queued(), 2u);
  EXPECT_EQ(limiter.limit(), 2);
}

TEST(ConcurrencyLimiterTest, ReleaseFreesASlot) {
  ConcurrencyLimiter limiter(1, false, 0);
  ASSERT_EQ(limiter.Acquire(1, kFar, kBase), Admission::kSend);
  EXPECT_EQ(limiter.Acquire(2, kFar, kBase), Admission::kQueueFull);
  limiter.Release(Signal::kNeutral, kBase, At(milliseconds(5)));
  EXPECT_EQ(limiter.in_flight(), 0);
  EXPECT_EQ(limiter.Acquire(2, kFar, At(milliseconds(5))), Admission::kSend);
}

TEST(ConcurrencyLimiterTest, ReleaseWithoutASlotThrows) {
  ConcurrencyLimiter limiter(1, false, 0);
  EXPECT_THROW(limiter.Release(Signal::kSuccess, kBase, kBase), std::logic_error);
}

TEST(ConcurrencyLimiterTest, DispatchHandsFreeSlotsOutInFifoOrder) {
  ConcurrencyLimiter limiter(2, false, 10);
  SendN(limiter, 2, kBase);
  for (ConcurrencyLimiter::Id id : {10u, 11u, 12u}) {
    ASSERT_EQ(limiter.Acquire(id, kFar, kBase), Admission::kQueued);
  }
  EXPECT_THAT(limiter.Dispatch(kBase), IsEmpty());  // no free slot yet
  limiter.Release(Signal::kSuccess, kBase, At(milliseconds(1)));
  limiter.Release(Signal::kSuccess, kBase, At(milliseconds(1)));
  EXPECT_THAT(limiter.Dispatch(At(milliseconds(1))), ElementsAre(10, 11));
  EXPECT_EQ(limiter.in_flight(), 2);
  limiter.Release(Signal::kSuccess, kBase, At(milliseconds(2)));
  EXPECT_THAT(limiter.Dispatch(At(milliseconds(2))), ElementsAre(12));
  EXPECT_EQ(limiter.queued(), 0u);
}

TEST(ConcurrencyLimiterTest, NewcomerDoesNotOvertakeAWaiter) {
  ConcurrencyLimiter limiter(1, false, 10);
  SendN(limiter, 1, kBase);
  ASSERT_EQ(limiter.Acquire(10, kFar, kBase), Admission::kQueued);
  limiter.Release(Signal::kSuccess, kBase, At(milliseconds(1)));
  // A slot is free, but call 10 waits for it: the newcomer queues behind.
  EXPECT_EQ(limiter.Acquire(11, kFar, At(milliseconds(1))), Admission::kQueued);
  EXPECT_THAT(limiter.Dispatch(At(milliseconds(1))), ElementsAre(10));
}

TEST(ConcurrencyLimiterTest, OverloadHalvesTheLimit) {
  ConcurrencyLimiter limiter(10, true, 0);
  SendN(limiter, 1, kBase);
  limiter.Release(Signal::kOverload, kBase, At(milliseconds(100)));
  EXPECT_EQ(limiter.limit(), 5);
}

TEST(ConcurrencyLimiterTest, OverloadHalvesOnlyOncePerRoundTrip) {
  ConcurrencyLimiter limiter(16, true, 0);
  SendN(limiter, 3, kBase);  // three calls of the same window
  limiter.Release(Signal::kOverload, kBase, At(milliseconds(100)));
  EXPECT_EQ(limiter.limit(), 8);
  // The second overload comes from a call sent before the decrease: already answered.
  limiter.Release(Signal::kOverload, kBase, At(milliseconds(110)));
  EXPECT_EQ(limiter.limit(), 8);
  // A call sent after the decrease saw the new window: its overload halves again.
  ASSERT_EQ(limiter.Acquire(7, kFar, At(milliseconds(120))), Admission::kSend);
  limiter.Release(Signal::kOverload, At(milliseconds(120)), At(milliseconds(200)));
  EXPECT_EQ(limiter.limit(), 4);
  // The last call of the first window still changes nothing.
  limiter.Release(Signal::kOverload, kBase, At(milliseconds(210)));
  EXPECT_EQ(limiter.limit(), 4);
  EXPECT_EQ(limiter.in_flight(), 0);
}

// A provider quota of 32 answers 168 of 200 requests (the limit is 256) with an immediate 429:
// as they come back, the limit follows the requests still in flight down to the 32 the server
// kept, in one round trip, and stays there when those succeed.
TEST(ConcurrencyLimiterTest, AQuotaStormBringsTheLimitToWhatTheServerKept) {
  ConcurrencyLimiter limiter(256, true, 0);
  SendN(limiter, 200, kBase);
  for (int i = 0; i < 168; ++i) limiter.Release(Signal::kRejected, kBase, At(milliseconds(1)));
  EXPECT_EQ(limiter.limit(), 32);
  EXPECT_EQ(limiter.in_flight(), 32);
  for (int i = 0; i < 32; ++i) limiter.Release(Signal::kSuccess, kBase, At(milliseconds(200)));
  EXPECT_EQ(limiter.limit(), 32);
}

// A probe one above the quota: the 429 costs the one slot, not half of the window.
TEST(ConcurrencyLimiterTest, ARejectedProbeCostsOneSlot) {
  ConcurrencyLimiter limiter(64, true, 0);
  SendN(limiter, 33, kBase);
  limiter.Release(Signal::kRejected, kBase, At(milliseconds(1)));
  EXPECT_EQ(limiter.limit(), 32);
}

// One call now and then meets a 429: the window was barely used, so the limit is halved.
TEST(ConcurrencyLimiterTest, ARejectionOfAWindowBarelyUsedHalves) {
  ConcurrencyLimiter limiter(16, true, 0);
  SendN(limiter, 1, kBase);
  limiter.Release(Signal::kRejected, kBase, At(milliseconds(1)));
  EXPECT_EQ(limiter.limit(), 8);
}

// After a Retry-After pause the limit holds (no probe above the quota) until the time given.
TEST(ConcurrencyLimiterTest, APauseCanHoldTheLimitsGrowthForLonger) {
  ConcurrencyLimiter limiter(8, true, 0);
  SendN(limiter, 1, kBase);
  limiter.Release(Signal::kRejected, kBase, At(milliseconds(1)));
  ASSERT_EQ(limiter.limit(), 4);
  limiter.PauseUntil(At(seconds(1)), At(seconds(2)));
  TimePoint now = At(seconds(1));
  auto succeed_round = [&] {
    for (int i = 0; i < limiter.limit(); ++i) {
      ASSERT_EQ(limiter.Acquire(1, kFar, now), Admission::kSend);
      limiter.Release(Signal::kSuccess, now, now + milliseconds(1));
    }
    now += milliseconds(200);
  };
  for (int round = 0; round < 4; ++round) succeed_round();  // until 1.8 s
  EXPECT_EQ(limiter.limit(), 4);
  now = At(seconds(2));
  succeed_round();
  EXPECT_EQ(limiter.limit(), 5);
}

TEST(ConcurrencyLimiterTest, LimitNeverFallsBelowOne) {
  ConcurrencyLimiter limiter(3, true, 0);
  for (int i = 0; i < 4; ++i) {
    const TimePoint sent = At(milliseconds(10 * i));
    ASSERT_EQ(limiter.Acquire(1, kFar, sent), Admission::kSend);
    limiter.Release(Signal::kOverload, sent, sent + milliseconds(5));
  }
  EXPECT_EQ(limiter.limit(), 1);
}

TEST(ConcurrencyLimiterTest, SuccessesGrowAboutOnePerRoundTripUpToTheMaximum) {
  ConcurrencyLimiter limiter(8, true, 0);
  SendN(limiter, 1, kBase);
  limiter.Release(Signal::kOverload, kBase, At(milliseconds(1)));
  ASSERT_EQ(limiter.limit(), 4);
  // One success per call; the limit grows by one after `limit` of them.
  TimePoint now = At(milliseconds(10));
  auto succeed = [&] {
    ASSERT_EQ(limiter.Acquire(1, kFar, now), Admission::kSend);
    limiter.Release(Signal::kSuccess, now, now + milliseconds(1));
    now += milliseconds(2);
  };
  for (int i = 0; i < 3; ++i) succeed();
  EXPECT_EQ(limiter.limit(), 4);
  succeed();
  EXPECT_EQ(limiter.limit(), 5);
  for (int i = 0; i < 5; ++i) succeed();
  EXPECT_EQ(limiter.limit(), 6);
  for (int i = 0; i < 100; ++i) succeed();
  EXPECT_EQ(limiter.limit(), 8);  // capped at max_in_flight
}

TEST(ConcurrencyLimiterTest, SuccessesOfTheOldWindowDoNotGrow) {
  ConcurrencyLimiter limiter(8, true, 0);
  SendN(limiter, 8, kBase);
  limiter.Release(Signal::kOverload, kBase, At(milliseconds(1)));
  ASSERT_EQ(limiter.limit(), 4);
  for (int i = 0; i < 7; ++i) limiter.Release(Signal::kSuccess, kBase, At(milliseconds(2)));
  EXPECT_EQ(limiter.limit(), 4);
}

TEST(ConcurrencyLimiterTest, NonAdaptiveLimitNeverChanges) {
  ConcurrencyLimiter limiter(4, false, 0);
  for (int i = 0; i < 5; ++i) {
    const TimePoint sent = At(milliseconds(10 * i));
    ASSERT_EQ(limiter.Acquire(1, kFar, sent), Admission::kSend);
    limiter.Release(i % 2 == 0 ? Signal::kOverload : Signal::kSuccess, sent,
                    sent + milliseconds(5));
    EXPECT_EQ(limiter.limit(), 4);
  }
}

TEST(ConcurrencyLimiterTest, NeutralSignalTeachesNothing) {
  ConcurrencyLimiter limiter(4, true, 0);
  SendN(limiter, 1, kBase);
  limiter.Release(Signal::kOverload, kBase, At(milliseconds(1)));
  ASSERT_EQ(limiter.limit(), 2);
  for (int i = 0; i < 10; ++i) {
    const TimePoint sent = At(milliseconds(10 + i));
    ASSERT_EQ(limiter.Acquire(1, kFar, sent), Admission::kSend);
    limiter.Release(Signal::kNeutral, sent, sent + milliseconds(1));
  }
  EXPECT_EQ(limiter.limit(), 2);
}

TEST(ConcurrencyLimiterTest, PauseBlocksSendingUntilItEnds) {
  ConcurrencyLimiter limiter(2, false, 4);
  limiter.PauseUntil(At(seconds(10)));
  EXPECT_TRUE(limiter.paused(At(seconds(1))));
  EXPECT_EQ(limiter.Acquire(1, kFar, At(seconds(1))), Admission::kQueued);
  EXPECT_THAT(limiter.Dispatch(At(seconds(9))), IsEmpty());
  EXPECT_FALSE(limiter.paused(At(seconds(10))));
  EXPECT_THAT(limiter.Dispatch(At(seconds(10))), ElementsAre(1));
  EXPECT_EQ(limiter.Acquire(2, kFar, At(seconds(10))), Admission::kSend);
}

TEST(ConcurrencyLimiterTest, AnEarlierPauseDoesNotShortenTheCurrentOne) {
  ConcurrencyLimiter limiter(2, false, 4);
  limiter.PauseUntil(At(seconds(10)));
  limiter.PauseUntil(At(seconds(5)));
  EXPECT_TRUE(limiter.paused(At(seconds(7))));
  EXPECT_EQ(limiter.Acquire(1, kFar, At(seconds(7))), Admission::kQueued);
  limiter.PauseUntil(At(seconds(12)));  // a later one extends it
  EXPECT_THAT(limiter.Dispatch(At(seconds(11))), IsEmpty());
  EXPECT_THAT(limiter.Dispatch(At(seconds(12))), ElementsAre(1));
}

TEST(ConcurrencyLimiterTest, TakeExpiredReturnsExactlyTheDueCallsInQueueOrder) {
  ConcurrencyLimiter limiter(1, false, 10);
  SendN(limiter, 1, kBase);
  ASSERT_EQ(limiter.Acquire(10, At(milliseconds(300)), kBase), Admission::kQueued);
  ASSERT_EQ(limiter.Acquire(11, At(milliseconds(100)), kBase), Admission::kQueued);
  ASSERT_EQ(limiter.Acquire(12, At(milliseconds(500)), kBase), Admission::kQueued);
  ASSERT_EQ(limiter.Acquire(13, At(milliseconds(200)), kBase), Admission::kQueued);
  EXPECT_THAT(limiter.TakeExpired(At(milliseconds(99))), IsEmpty());
  // Deadline == now counts as expired.
  EXPECT_THAT(limiter.TakeExpired(At(milliseconds(100))), ElementsAre(11));
  EXPECT_THAT(limiter.TakeExpired(At(milliseconds(300))), ElementsAre(10, 13));
  EXPECT_EQ(limiter.queued(), 1u);
  limiter.Release(Signal::kSuccess, kBase, At(milliseconds(300)));
  EXPECT_THAT(limiter.Dispatch(At(milliseconds(300))), ElementsAre(12));
}

TEST(ConcurrencyLimiterTest, DispatchSkipsCallsAlreadyPastTheirDeadline) {
  ConcurrencyLimiter limiter(1, false, 10);
  SendN(limiter, 1, kBase);
  ASSERT_EQ(limiter.Acquire(10, At(milliseconds(100)), kBase), Admission::kQueued);
  ASSERT_EQ(limiter.Acquire(11, kFar, kBase), Admission::kQueued);
  limiter.Release(Signal::kSuccess, kBase, At(milliseconds(150)));
  EXPECT_THAT(limiter.Dispatch(At(milliseconds(150))), ElementsAre(11));
  EXPECT_THAT(limiter.TakeExpired(At(milliseconds(150))), ElementsAre(10));
}

TEST(ConcurrencyLimiterTest, RemoveDropsAQueuedCall) {
  ConcurrencyLimiter limiter(1, false, 10);
  SendN(limiter, 1, kBase);
  ASSERT_EQ(limiter.Acquire(10, kFar, kBase), Admission::kQueued);
  ASSERT_EQ(limiter.Acquire(11, kFar, kBase), Admission::kQueued);
  EXPECT_TRUE(limiter.Remove(10));
  EXPECT_FALSE(limiter.Remove(10));
  EXPECT_FALSE(limiter.Remove(0));  // holds a slot, is not queued
  EXPECT_EQ(limiter.queued(), 1u);
  limiter.Release(Signal::kSuccess, kBase, At(milliseconds(1)));
  EXPECT_THAT(limiter.Dispatch(At(milliseconds(1))), ElementsAre(11));
}

TEST(ConcurrencyLimiterTest, NextWakeupIsTheEarliestDeadlineOrPauseEnd) {
  ConcurrencyLimiter limiter(1, false, 10);
  EXPECT_EQ(limiter.NextWakeup(), std::nullopt);
  limiter.PauseUntil(At(seconds(5)));
  EXPECT_EQ(limiter.NextWakeup(), std::nullopt);  // nobody waits for the pause to end
  ASSERT_EQ(limiter.Acquire(10, At(seconds(30)), kBase), Admission::kQueued);
  ASSERT_EQ(limiter.Acquire(11, At(seconds(20)), kBase), Admission::kQueued);
  EXPECT_EQ(limiter.NextWakeup(), std::optional(At(seconds(5))));
  // Once a call sees the pause over, only the deadlines remain.
  EXPECT_THAT(limiter.Dispatch(At(seconds(5))), ElementsAre(10));
  EXPECT_EQ(limiter.NextWakeup(), std::optional(At(seconds(20))));
  limiter.PauseUntil(At(seconds(40)));
  EXPECT_EQ(limiter.NextWakeup(), std::optional(At(seconds(20))));
  EXPECT_TRUE(limiter.Remove(11));
  EXPECT_EQ(limiter.NextWakeup(), std::nullopt);
}

TEST(ConcurrencyLimiterTest, ZeroMaxQueuedNeverQueues) {
  ConcurrencyLimiter limiter(1, false, 0);
  EXPECT_EQ(limiter.Acquire(1, kFar, kBase), Admission::kSend);
  EXPECT_EQ(limiter.Acquire(2, kFar, kBase), Admission::kQueueFull);
  limiter.Release(Signal::kSuccess, kBase, At(milliseconds(1)));
  limiter.PauseUntil(At(seconds(1)));
  EXPECT_EQ(limiter.Acquire(3, kFar, At(milliseconds(2))), Admission::kQueueFull);
  EXPECT_EQ(limiter.queued(), 0u);
  EXPECT_EQ(limiter.NextWakeup(), std::nullopt);
}

}  // namespace
}  // namespace alertllm::internal
