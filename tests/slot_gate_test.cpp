// SPDX-License-Identifier: Apache-2.0
// SlotGate: the limiter's FIFO queue on the client's loop — a slot at once or a callback
// later — with a fake clock for the deadlines and pauses (its sleeps pass at once). Every gate
// operation runs on the runtime's loop thread, as in the client.
#include "limiter/slot_gate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
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
using TimePoint = SlotGate::TimePoint;

class SlotGateTest : public ::testing::Test {
 protected:
  TimePoint In(nanoseconds d) const { return clock_->SteadyNow() + d; }

  // The gate, made and used on the loop thread.
  void Make(int max_in_flight, bool adaptive, std::size_t max_queued, SlotGate::Hooks hooks = {}) {
    runtime_.Run([&] {
      gate_ = std::make_unique<SlotGate>(max_in_flight, adaptive, max_queued, runtime_, *clock_,
                                         std::move(hooks));
    });
  }
  // Acquire() on the loop; a queued call's answer lands in granted_[its name].
  SlotGate::Admission Acquire(TimePoint deadline, std::string name = "") {
    SlotGate::Admission admission;
    runtime_.Run([&] {
      admission = gate_->Acquire(deadline, [this, name](Result<TimePoint> slot) {
        answers_.emplace_back(name, std::move(slot));
      });
    });
    return admission;
  }
  // Runs `f` on the loop, then lets every task it posted (the answers) run too.
  template <typename F>
  void OnLoop(F f) {
    runtime_.Run(f);
    runtime_.Run([] {});
  }
  std::vector<std::string> Granted() {
    std::vector<std::string> names;
    runtime_.Run([&] {
      for (const auto& [name, slot] : answers_) {
        if (slot) names.push_back(name);
      }
    });
    return names;
  }

  std::shared_ptr<test::FakeClock> clock_ = std::make_shared<test::FakeClock>();
  std::unique_ptr<SlotGate> gate_;
  std::vector<std::pair<std::string, Result<TimePoint>>> answers_;  // loop thread only
  // Declared last, so stopped first: no task of its runs once the gate is gone.
  Runtime runtime_{nullptr, clock_, false, 2};
};

TEST_F(SlotGateTest, GrantsUpToTheLimitAtOnceThenQueues) {
  Make(2, false, 10);
  EXPECT_TRUE(Acquire(In(seconds(60))).granted);
  const SlotGate::Admission second = Acquire(In(seconds(60)));
  EXPECT_TRUE(second.granted);
  const SlotGate::Admission third = Acquire(In(seconds(60)), "third");
  EXPECT_FALSE(third.granted);
  EXPECT_FALSE(third.refused.has_value());
  EXPECT_NE(third.id, 0u);
  OnLoop([&] { EXPECT_EQ(gate_->in_flight(), 2); });
  OnLoop([&] { gate_->Release(Signal::kSuccess, second.sent_at); });
  EXPECT_THAT(Granted(), ElementsAre("third"));
  OnLoop([&] {
    EXPECT_EQ(gate_->in_flight(), 2);
    EXPECT_EQ(gate_->queued(), 0u);
  });
}

TEST_F(SlotGateTest, QueuedCallsAreServedInArrivalOrder) {
  Make(1, false, 10);
  const TimePoint held = Acquire(In(seconds(60))).sent_at;
  for (const char* name : {"a", "b", "c"}) Acquire(In(seconds(60)), name);
  OnLoop([&] { gate_->Release(Signal::kSuccess, held); });
  EXPECT_THAT(Granted(), ElementsAre("a"));
  for (int i = 0; i < 2; ++i) OnLoop([&] { gate_->Release(Signal::kSuccess, held); });
  EXPECT_THAT(Granted(), ElementsAre("a", "b", "c"));
}

TEST_F(SlotGateTest, FullQueueRefusesAtOnce) {
  std::vector<SlotGate::Refusal> refusals;  // written on the loop, read after Run()
  SlotGate::Hooks hooks;
  hooks.refused = [&](SlotGate::Refusal r) { refusals.push_back(r); };
  Make(1, false, 0, hooks);
  ASSERT_TRUE(Acquire(In(seconds(60))).granted);
  const SlotGate::Admission refused = Acquire(In(seconds(60)));
  ASSERT_TRUE(refused.refused.has_value());
  EXPECT_EQ(refused.refused->code, ErrorCode::kRateLimited);
  EXPECT_THAT(refused.refused->message, HasSubstr("queue full (0 calls waiting, LLM_MAX_QUEUED)"));
  EXPECT_THAT(refusals, ElementsAre(SlotGate::Refusal::kQueueFull));
}

// The deadline passed on the client's clock while the call waited: the next dispatch refuses it
// instead of handing it a slot.
TEST_F(SlotGateTest, ACallLateOnTheClockIsRefusedNotGranted) {
  Make(1, false, 10);
  const TimePoint held = Acquire(In(seconds(60))).sent_at;
  Acquire(In(seconds(1)), "late");
  clock_->Advance(seconds(2));
  OnLoop([&] { gate_->Release(Signal::kNeutral, held); });
  runtime_.Run([&] {
    ASSERT_EQ(answers_.size(), 1u);
    ASSERT_FALSE(answers_[0].second.has_value());
    EXPECT_EQ(answers_[0].second.error().code, ErrorCode::kRateLimited);
    EXPECT_THAT(answers_[0].second.error().message,
                HasSubstr("deadline passed while waiting for a slot"));
    EXPECT_EQ(gate_->queued(), 0u);
    EXPECT_EQ(gate_->in_flight(), 0);
  });
}

TEST_F(SlotGateTest, ACallThatLeavesIsNeverAnsweredAndTakesNoSlot) {
  Make(1, false, 10);
  const TimePoint held = Acquire(In(seconds(60))).sent_at;
  const SlotGate::Admission queued = Acquire(In(seconds(60)), "gone");
  OnLoop([&] { gate_->Leave(queued.id); });
  OnLoop([&] {
    EXPECT_EQ(gate_->queued(), 0u);
    gate_->Release(Signal::kSuccess, held);
  });
  EXPECT_TRUE(Granted().empty());
  EXPECT_TRUE(Acquire(In(seconds(60))).granted);  // nobody is left in front
}

TEST_F(SlotGateTest, PauseIsSleptOutOnTheClockThenTheSlotIsGranted) {
  Make(4, false, 10);
  const TimePoint start = clock_->SteadyNow();
  OnLoop([&] { gate_->PauseUntil(start + seconds(2)); });
  EXPECT_TRUE(clock_->Sleeps().empty());  // nobody waits yet: no timer
  EXPECT_FALSE(Acquire(In(seconds(60)), "paused").granted);
  test::WaitUntil([&] { return !Granted().empty(); });
  runtime_.Run([&] { EXPECT_EQ(*answers_.at(0).second, start + seconds(2)); });
  EXPECT_THAT(clock_->Sleeps(), ElementsAre(nanoseconds(seconds(2))));
}

TEST_F(SlotGateTest, PauseOutlastingTheDeadlineRefusesAtOnceWithRetryAfter) {
  Make(4, false, 10);
  OnLoop([&] { gate_->PauseUntil(In(seconds(5))); });
  const SlotGate::Admission refused = Acquire(In(seconds(1)));
  ASSERT_TRUE(refused.refused.has_value());
  EXPECT_EQ(refused.refused->code, ErrorCode::kRateLimited);
  EXPECT_EQ(refused.refused->retry_after, std::optional<milliseconds>(seconds(5)));
  OnLoop([&] { EXPECT_EQ(gate_->queued(), 0u); });
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
  Make(8, true, 10, hooks);
  EXPECT_EQ(limit, 8);  // published at construction
  const TimePoint sent_at = Acquire(In(seconds(60))).sent_at;
  EXPECT_EQ(in_flight, 1);
  clock_->Advance(milliseconds(10));
  OnLoop([&] { gate_->Release(Signal::kOverload, sent_at); });
  EXPECT_EQ(limit, 4);
  EXPECT_EQ(in_flight, 0);
  EXPECT_EQ(queued, 0u);
}

}  // namespace
}  // namespace alertllm::internal
