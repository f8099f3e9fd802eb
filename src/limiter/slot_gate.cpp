// SPDX-License-Identifier: Apache-2.0
#include "limiter/slot_gate.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "alertllm/errors.hpp"

namespace alertllm::internal {

void SlotGate::Slot::Release(Signal signal) {
  if (gate_ == nullptr) return;
  SlotGate* gate = std::exchange(gate_, nullptr);
  gate->Release(signal, sent_at_, clock_->SteadyNow());
}

SlotGate::SlotGate(int max_in_flight, bool adaptive, std::size_t max_queued, Hooks hooks)
    : limiter_(max_in_flight, adaptive, max_queued), hooks_(std::move(hooks)) {
  Publish();  // the limit gauge shows max_in_flight from the start, not 0
}

Result<SlotGate::Slot> SlotGate::Acquire(TimePoint deadline, const std::stop_token& stop,
                                         ClientClock& clock) {
  if (stop.stop_requested()) return Error{ErrorCode::kCancelled, "call cancelled"};
  Lock lock(mutex_);
  const TimePoint now = clock.SteadyNow();
  // A call whose deadline falls inside the pause could only wait for nothing: it ends now, and
  // its caller learns from retry_after when sending resumes.
  if (deadline <= now || (Paused(now) && pause_until_ >= deadline)) {
    return Refuse(Refusal::kDeadline, now);
  }
  const Id id = next_id_++;
  switch (limiter_.Acquire(id, deadline, now)) {
    case ConcurrencyLimiter::Admission::kSend:
      Publish();
      return Slot(this, &clock, now);
    case ConcurrencyLimiter::Admission::kQueueFull:
      return Refuse(Refusal::kQueueFull, now);
    case ConcurrencyLimiter::Admission::kQueued:
      break;
  }
  Publish();
  return WaitInQueue(lock, id, deadline, stop, clock);
}

Result<SlotGate::Slot> SlotGate::WaitInQueue(Lock& lock, Id id, TimePoint deadline,
                                             const std::stop_token& stop, ClientClock& clock) {
  // The deadline is on the client's clock, the wait in real time: the remaining time is taken
  // once, so a fake clock that stands still cannot make the wait endless.
  const auto real_end = std::chrono::steady_clock::now() + (deadline - clock.SteadyNow());
  for (;;) {
    if (granted_.erase(id) > 0) return Slot(this, &clock, clock.SteadyNow());
    const TimePoint now = clock.SteadyNow();
    if (expired_.count(id) > 0 || deadline <= now || std::chrono::steady_clock::now() >= real_end) {
      Abandon(id, now);
      return Refuse(Refusal::kDeadline, now);
    }
    if (stop.stop_requested()) {
      Abandon(id, now);
      return Error{ErrorCode::kCancelled, "call cancelled"};
    }
    if (Paused(now)) {
      if (!pause_sleeper_) {
        SleepOutPause(lock, deadline, stop, clock);
        continue;
      }
    } else {
      // Slots may be free with nobody left to hand them out (a pause that ended while its
      // sleeper gave up): whoever looks, dispatches.
      DispatchLocked(now);
      if (granted_.count(id) > 0) continue;
    }
    changed_.wait_until(lock, stop, real_end, [&] {
      return granted_.count(id) > 0 || expired_.count(id) > 0 ||
             (!pause_sleeper_ && Paused(clock.SteadyNow()));
    });
  }
}

// One waiter sleeps out the pause for the whole queue (on the client's clock, so a fake clock
// passes it at once and moves only once), then hands the free slots out in FIFO order. It
// sleeps no further than its own deadline: past that it leaves, and another waiter takes over.
void SlotGate::SleepOutPause(Lock& lock, TimePoint deadline, const std::stop_token& stop,
                             ClientClock& clock) {
  pause_sleeper_ = true;
  const TimePoint now = clock.SteadyNow();
  const TimePoint until = std::min(pause_until_, deadline);
  lock.unlock();
  (void)clock.SleepFor(until - now, stop);  // a stop is seen by the caller's loop
  lock.lock();
  pause_sleeper_ = false;
  DispatchLocked(clock.SteadyNow());
}

Error SlotGate::Refuse(Refusal refusal, TimePoint now) {
  if (hooks_.refused) hooks_.refused(refusal);
  if (refusal == Refusal::kQueueFull) {
    return Error{ErrorCode::kRateLimited, "rate limited: queue full (" +
                                              std::to_string(limiter_.queued()) +
                                              " calls waiting, LLM_MAX_QUEUED)"};
  }
  Error error{ErrorCode::kRateLimited, "rate limited: deadline passed while waiting for a slot"};
  if (Paused(now)) {
    error.retry_after = std::chrono::ceil<std::chrono::milliseconds>(pause_until_ - now);
    error.message += " (sending paused by a Retry-After)";
  }
  return error;
}

// A queued call gives up: it leaves the queue, or gives back the slot it was handed meanwhile.
void SlotGate::Abandon(Id id, TimePoint now) {
  if (granted_.erase(id) > 0) {
    limiter_.Release(Signal::kNeutral, now, now);
  } else if (!limiter_.Remove(id)) {
    expired_.erase(id);
  }
  DispatchLocked(now);
}

void SlotGate::Release(Signal signal, TimePoint sent_at, TimePoint now) {
  Lock lock(mutex_);
  limiter_.Release(signal, sent_at, now);
  DispatchLocked(now);
}

void SlotGate::PauseUntil(TimePoint until, TimePoint hold_growth_until) {
  Lock lock(mutex_);
  limiter_.PauseUntil(until, hold_growth_until);
  pause_until_ = std::max(pause_until_, until);
  // Waiters blocked on the condition variable must elect one of them to sleep out the pause.
  changed_.notify_all();
}

void SlotGate::DispatchLocked(TimePoint now) {
  for (Id id : limiter_.TakeExpired(now)) expired_.insert(id);
  for (Id id : limiter_.Dispatch(now)) granted_.insert(id);
  Publish();
  changed_.notify_all();
}

void SlotGate::Publish() const {
  if (hooks_.gauges) hooks_.gauges(limiter_.limit(), limiter_.in_flight(), limiter_.queued());
}

int SlotGate::limit() const {
  std::lock_guard lock(mutex_);
  return limiter_.limit();
}

int SlotGate::in_flight() const {
  std::lock_guard lock(mutex_);
  return limiter_.in_flight();
}

std::size_t SlotGate::queued() const {
  std::lock_guard lock(mutex_);
  return limiter_.queued();
}

}  // namespace alertllm::internal
