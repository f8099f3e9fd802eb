// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <unordered_map>

#include "alertllm/client.hpp"
#include "alertllm/result.hpp"
#include "engine/runtime.hpp"
#include "limiter/concurrency_limiter.hpp"

namespace alertllm::internal {

/// DESIGN.md §2 step 2 on the client's loop: the ConcurrencyLimiter's decisions carried out.
/// A call asks for a slot (Acquire); it gets one at once, or waits in the limiter's FIFO queue
/// until Dispatch hands it one — when a slot is released or a Retry-After pause ends — or until
/// the queue says its deadline has passed; or it is refused (queue full). The limiter stays the
/// one place that decides who sends; this class adds the callbacks, the pause timer and the
/// gauges.
///
/// The pause (PauseUntil, a 429's Retry-After) is waited out with Runtime::Sleep(), on the
/// client's clock, so a fake clock passes it at once. A queued call's deadline is the call's
/// own business (it arms a real-time timer and Leave()s); the gate also refuses, on each
/// dispatch, calls whose deadline has passed on the client's clock.
///
/// Thread-safety: NOT thread-safe; the loop thread only (as the limiter). The snapshots are
/// for tests that read them from the loop thread (Runtime::Run).
class SlotGate {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Signal = ConcurrencyLimiter::Signal;
  using Id = ConcurrencyLimiter::Id;
  /// A queued call's answer: the time its slot was granted, or kRateLimited (deadline).
  using Granted = std::function<void(Result<TimePoint>)>;
  /// Why a call was refused with kRateLimited.
  enum class Refusal { kQueueFull, kDeadline };
  /// What the gate reports; either may be empty.
  struct Hooks {
    /// After every change: the limit, the slots held and the calls waiting.
    std::function<void(int limit, int in_flight, std::size_t queued)> gauges;
    /// Each call refused with kRateLimited.
    std::function<void(Refusal)> refused;
  };
  /// What Acquire() did: `granted` (a slot held since `sent_at`), or queued as `id` (its
  /// Granted runs later), or `refused`.
  struct Admission {
    bool granted = false;
    TimePoint sent_at{};
    Id id = 0;
    std::optional<Error> refused;
  };

  /// std::invalid_argument unless max_in_flight >= 1 (as ConcurrencyLimiter). `clock` must
  /// outlive the gate; `runtime` must outlive every use but may go first (its pause timer
  /// then never runs).
  SlotGate(int max_in_flight, bool adaptive, std::size_t max_queued, Runtime& runtime,
           const ClientClock& clock, Hooks hooks = {});

  SlotGate(const SlotGate&) = delete;
  SlotGate& operator=(const SlotGate&) = delete;

  /// Asks for a slot for a call that must send by `deadline`. A call whose deadline has
  /// passed, or falls inside a pause, is refused at once (it could only wait for nothing).
  /// `granted` runs (from the loop, never inside a member) only if the call is queued.
  Admission Acquire(TimePoint deadline, Granted granted);
  /// A queued call gives up (cancelled, or its own deadline timer): its Granted never runs.
  void Leave(Id id);
  /// Gives back a slot held since `sent_at`, with what its attempt taught.
  void Release(Signal signal, TimePoint sent_at);
  /// Pauses all sending until `until` and an adaptive limit's growth until
  /// `hold_growth_until` (ConcurrencyLimiter::PauseUntil); both only ever extend.
  void PauseUntil(TimePoint until, TimePoint hold_growth_until = TimePoint::min());

  /// The refusal of a call whose deadline passed while it waited (or fell in a pause).
  Error DeadlineRefusal(TimePoint now);

  int limit() const { return limiter_.limit(); }
  int in_flight() const { return limiter_.in_flight(); }
  std::size_t queued() const { return limiter_.queued(); }

 private:
  Error Refuse(Refusal refusal, TimePoint now);
  void Dispatch();
  void ArmPauseTimer(TimePoint until);
  void Publish() const;

  ConcurrencyLimiter limiter_;
  Runtime& runtime_;
  const ClientClock& clock_;
  const Hooks hooks_;
  Id next_id_ = 0;
  std::unordered_map<Id, Granted> waiting_;
  TimePoint pause_until_ = TimePoint::min();
  Runtime::Id pause_timer_ = 0;
};

}  // namespace alertllm::internal
