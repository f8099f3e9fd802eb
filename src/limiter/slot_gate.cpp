// SPDX-License-Identifier: Apache-2.0
#include "limiter/slot_gate.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "alertllm/errors.hpp"

namespace alertllm::internal {

SlotGate::SlotGate(int max_in_flight, bool adaptive, std::size_t max_queued, Runtime& runtime,
                   const ClientClock& clock, Hooks hooks)
    : limiter_(max_in_flight, adaptive, max_queued),
      runtime_(runtime),
      clock_(clock),
      hooks_(std::move(hooks)) {
  Publish();  // the limit gauge shows max_in_flight from the start, not 0
}

SlotGate::Admission SlotGate::Acquire(TimePoint deadline, Granted granted) {
  const TimePoint now = clock_.SteadyNow();
  Admission admission;
  if (deadline <= now || (limiter_.paused(now) && pause_until_ >= deadline)) {
    admission.refused = Refuse(Refusal::kDeadline, now);
    return admission;
  }
  const Id id = ++next_id_;
  switch (limiter_.Acquire(id, deadline, now)) {
    case ConcurrencyLimiter::Admission::kSend:
      admission.granted = true;
      admission.sent_at = now;
      break;
    case ConcurrencyLimiter::Admission::kQueueFull:
      admission.refused = Refuse(Refusal::kQueueFull, now);
      return admission;
    case ConcurrencyLimiter::Admission::kQueued:
      waiting_.emplace(id, std::move(granted));
      admission.id = id;
      if (limiter_.paused(now)) {
        if (pause_timer_ == 0) ArmPauseTimer(pause_until_);
      } else {
        // Slots may be free with nobody left to hand them out: whoever queues, looks.
        runtime_.Post([this] { Dispatch(); });
      }
      break;
  }
  Publish();
  return admission;
}

void SlotGate::Leave(Id id) {
  if (waiting_.erase(id) == 0) return;
  limiter_.Remove(id);
  Publish();
}

void SlotGate::Release(Signal signal, TimePoint sent_at) {
  limiter_.Release(signal, sent_at, clock_.SteadyNow());
  Dispatch();
}

void SlotGate::PauseUntil(TimePoint until, TimePoint hold_growth_until) {
  limiter_.PauseUntil(until, hold_growth_until);
  if (until <= pause_until_) return;
  pause_until_ = until;
  if (limiter_.queued() > 0) ArmPauseTimer(until);
}

// One timer sleeps out the pause for the whole queue, then hands out the free slots. It is
// set only while someone waits: a pause nobody waits for needs no timer (and a fake clock is
// moved only by a pause that someone sat out).
void SlotGate::ArmPauseTimer(TimePoint until) {
  if (pause_timer_ != 0) runtime_.CancelWait(pause_timer_);
  pause_timer_ = runtime_.Sleep(until - clock_.SteadyNow(), [this] {
    pause_timer_ = 0;
    Dispatch();
  });
}

// Calls late on the client's clock are refused, then free slots go to the queue in FIFO order.
// Each call hears from a task of its own, so none runs inside another call's stage.
void SlotGate::Dispatch() {
  const TimePoint now = clock_.SteadyNow();
  for (Id id : limiter_.TakeExpired(now)) {
    const auto found = waiting_.find(id);
    if (found == waiting_.end()) continue;
    runtime_.Post([granted = std::move(found->second), error = Refuse(Refusal::kDeadline, now)] {
      granted(error);
    });
    waiting_.erase(found);
  }
  for (Id id : limiter_.Dispatch(now)) {
    const auto found = waiting_.find(id);
    if (found == waiting_.end()) continue;
    runtime_.Post([granted = std::move(found->second), now] { granted(now); });
    waiting_.erase(found);
  }
  Publish();
}

Error SlotGate::DeadlineRefusal(TimePoint now) { return Refuse(Refusal::kDeadline, now); }

Error SlotGate::Refuse(Refusal refusal, TimePoint now) {
  if (hooks_.refused) hooks_.refused(refusal);
  if (refusal == Refusal::kQueueFull) {
    return Error{ErrorCode::kRateLimited, "rate limited: queue full (" +
                                              std::to_string(limiter_.queued()) +
                                              " calls waiting, LLM_MAX_QUEUED)"};
  }
  Error error{ErrorCode::kRateLimited, "rate limited: deadline passed while waiting for a slot"};
  if (limiter_.paused(now)) {
    error.retry_after = std::chrono::ceil<std::chrono::milliseconds>(pause_until_ - now);
    error.message += " (sending paused by a Retry-After)";
  }
  return error;
}

void SlotGate::Publish() const {
  if (hooks_.gauges) hooks_.gauges(limiter_.limit(), limiter_.in_flight(), limiter_.queued());
}

}  // namespace alertllm::internal
