// SPDX-License-Identifier: Apache-2.0
// SlotGate: the limiter's FIFO queue as blocking Acquire() calls on their own threads, with a
// fake clock for the deadlines and pauses (its sleeps pass at once).
#include "limiter/slot_gate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "support/fake_clock.hpp"
#include "support/wait_until.hpp"

namespace alertllm::internal {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Signal = SlotGate::Signal;
using Slot = SlotGate::Slot;

using test::WaitUntil;

class SlotGateTest : public ::testing::Test {
 protected:
  SlotGate::TimePoint In(nanoseconds d) const { return clock_.SteadyNow() + d; }

  // A slot that must be granted.
  Slot Take(SlotGate& gate) {
    Result<Slot> slot = gate.Acquire(In(seconds(60)), {}, clock_);
    EXPECT_TRUE(slot.has_value()) << slot.error().message;
    return std::move(*slot);
  }

  test::FakeClock clock_;
};

TEST_F(SlotGateTest, GrantsUpToTheLimitAtOnceAndReleasesOnDestruction) {
  SlotGate gate(2, false, 10);
  {
    Slot a = Take(gate);
    Slot b = Take(gate);
    EXPECT_EQ(gate.in_flight(), 2);
    a.Release(Signal::kSuccess);
    a.Release(Signal::kSuccess);  // a second release does nothing
    EXPECT_EQ(gate.in_flight(), 1);
  }
  EXPECT_EQ(gate.in_flight(), 0);
}

TEST_F(SlotGateTest, QueuedCallersAreServedInArrivalOrder) {
  SlotGate gate(1, false, 10);
  std::optional<Slot> held(Take(gate));
  std::mutex mutex;
  std::vector<int> order;
  std::vector<std::jthread> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([&, i] {
      Result<Slot> slot = gate.Acquire(In(seconds(60)), {}, clock_);
      ASSERT_TRUE(slot.has_value());
      std::lock_guard lock(mutex);
      order.push_back(i);
    });
    // Each waiter is queued before the next one starts.
    WaitUntil([&] { return gate.queued() == static_cast<std::size_t>(i + 1); });
  }
  held.reset();  // each waiter releases its slot on leaving, which admits the next
  waiters.clear();
  EXPECT_THAT(order, ElementsAre(0, 1, 2));
  EXPECT_EQ(gate.in_flight(), 0);
}

TEST_F(SlotGateTest, FullQueueRefusesAtOnce) {
  std::vector<SlotGate::Refusal> refusals;
  SlotGate::Hooks hooks;
  hooks.refused = [&](SlotGate::Refusal r) { refusals.push_back(r); };
  SlotGate gate(1, false, 0, hooks);
  Slot held = Take(gate);
  const Result<Slot> refused = gate.Acquire(In(seconds(60)), {}, clock_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_THAT(refused.error().message, HasSubstr("queue full (0 calls waiting, LLM_MAX_QUEUED)"));
  EXPECT_THAT(refusals, ElementsAre(SlotGate::Refusal::kQueueFull));
}

TEST_F(SlotGateTest, DeadlinePassingInTheQueueRefusesAndLeavesTheQueue) {
  std::atomic<int> deadline_refusals{0};
  SlotGate::Hooks hooks;
  hooks.refused = [&](SlotGate::Refusal r) {
    if (r == SlotGate::Refusal::kDeadline) ++deadline_refusals;
  };
  SlotGate gate(1, false, 10, hooks);
  Slot held = Take(gate);
  // The fake clock stands still: the 30 ms are waited in real time.
  const Result<Slot> refused = gate.Acquire(In(milliseconds(30)), {}, clock_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_THAT(refused.error().message, HasSubstr("deadline passed while waiting for a slot"));
  EXPECT_EQ(gate.queued(), 0u);
  EXPECT_EQ(deadline_refusals.load(), 1);
}

TEST_F(SlotGateTest, CancelWhileQueuedLeavesTheQueueAndTakesNoSlot) {
  SlotGate gate(1, false, 10);
  std::optional<Slot> held(Take(gate));
  std::stop_source stop;
  std::optional<Result<Slot>> outcome;
  std::jthread waiter(
      [&] { outcome.emplace(gate.Acquire(In(seconds(60)), stop.get_token(), clock_)); });
  WaitUntil([&] { return gate.queued() == 1; });
  stop.request_stop();
  waiter.join();
  ASSERT_TRUE(outcome.has_value());
  ASSERT_FALSE(outcome->has_value());
  EXPECT_EQ(outcome->error().code, ErrorCode::kCancelled);
  EXPECT_EQ(gate.queued(), 0u);
  held.reset();
  EXPECT_EQ(gate.in_flight(), 0);
  Slot next = Take(gate);  // nobody is left in front
  EXPECT_EQ(gate.in_flight(), 1);
}

TEST_F(SlotGateTest, StopRequestedBeforehandIsCancelledWithoutQueueing) {
  SlotGate gate(1, false, 10);
  std::stop_source stop;
  stop.request_stop();
  const Result<Slot> slot = gate.Acquire(In(seconds(60)), stop.get_token(), clock_);
  ASSERT_FALSE(slot.has_value());
  EXPECT_EQ(slot.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(gate.in_flight(), 0);
}

TEST_F(SlotGateTest, PauseIsSleptOutOnTheClockThenTheSlotIsGranted) {
  SlotGate gate(4, false, 10);
  const auto start = clock_.SteadyNow();
  gate.PauseUntil(start + seconds(2));
  Result<Slot> slot = gate.Acquire(In(seconds(60)), {}, clock_);
  ASSERT_TRUE(slot.has_value()) << slot.error().message;
  EXPECT_EQ(slot->sent_at(), start + seconds(2));
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(nanoseconds(seconds(2))));
  EXPECT_EQ(gate.queued(), 0u);
}

TEST_F(SlotGateTest, PauseOutlastingTheDeadlineRefusesAtOnceWithRetryAfter) {
  SlotGate gate(4, false, 10);
  gate.PauseUntil(In(seconds(5)));
  const Result<Slot> refused = gate.Acquire(In(seconds(1)), {}, clock_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(refused.error().retry_after, std::optional<milliseconds>(seconds(5)));
  EXPECT_TRUE(clock_.Sleeps().empty());
  EXPECT_EQ(gate.queued(), 0u);
}

TEST_F(SlotGateTest, OverloadHalvesAnAdaptiveLimitAndTheGaugesFollow) {
  int limit = 0;
  int in_flight = -1;
  std::size_t queued = 99;
  SlotGate::Hooks hooks;
  hooks.gauges = [&](int l, int f, std::size_t q) {
    limit = l;
    in_flight = f;
    queued = q;
  };
  SlotGate gate(8, true, 10, hooks);
  EXPECT_EQ(limit, 8);  // published at construction
  Slot slot = Take(gate);
  EXPECT_EQ(in_flight, 1);
  clock_.Advance(milliseconds(10));
  slot.Release(Signal::kOverload);
  EXPECT_EQ(limit, 4);
  EXPECT_EQ(gate.limit(), 4);
  EXPECT_EQ(in_flight, 0);
  EXPECT_EQ(queued, 0u);
}

}  // namespace
}  // namespace alertllm::internal
