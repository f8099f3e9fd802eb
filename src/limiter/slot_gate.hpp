// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <stop_token>
#include <unordered_set>

#include "alertllm/client.hpp"
#include "alertllm/result.hpp"
#include "limiter/concurrency_limiter.hpp"

namespace alertllm::internal {

/// The ConcurrencyLimiter for callers that block on their own threads (the thread-per-call
/// engine, DESIGN.md §2 step 2): Acquire() waits in the limiter's FIFO queue until a slot is
/// free, the call's deadline passes or its stop token is requested. The limiter stays the one
/// place that decides who sends; this class only adds the lock, the waiting and the waking.
///
/// Waiting for a slot is a condition_variable_any wait in real time (the deadline minus the
/// clock's now, taken once when the call starts waiting). Waiting out a pause (PauseUntil, a
/// 429's Retry-After) is one queued caller's clock.SleepFor(): so a fake clock passes it
/// instantly, and only one caller moves the clock per pause. No lock is held while sleeping.
///
/// Thread-safety: every member may be called concurrently.
class SlotGate {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Signal = ConcurrencyLimiter::Signal;
  /// Why Acquire() refused a call with kRateLimited.
  enum class Refusal { kQueueFull, kDeadline };
  /// What the gate reports; either may be empty. Called under the gate's lock: keep it cheap
  /// and never call back into the gate.
  struct Hooks {
    /// After every change: the limit, the slots held and the calls waiting.
    std::function<void(int limit, int in_flight, std::size_t queued)> gauges;
    /// Each call Acquire() ends with kRateLimited.
    std::function<void(Refusal)> refused;
  };

  /// A slot held: Release() it with what the attempt taught, or it is released as kNeutral
  /// when destroyed (an exception must not leak a slot).
  class Slot {
   public:
    Slot(Slot&& other) noexcept
        : gate_(other.gate_), clock_(other.clock_), sent_at_(other.sent_at_) {
      other.gate_ = nullptr;
    }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { Release(Signal::kNeutral); }

    /// Gives the slot back (once; later calls do nothing) and wakes the next waiter.
    void Release(Signal signal);
    /// When the slot was granted.
    TimePoint sent_at() const { return sent_at_; }

   private:
    friend class SlotGate;
    Slot(SlotGate* gate, const ClientClock* clock, TimePoint sent_at)
        : gate_(gate), clock_(clock), sent_at_(sent_at) {}

    SlotGate* gate_;
    const ClientClock* clock_;
    TimePoint sent_at_;
  };

  /// std::invalid_argument unless max_in_flight >= 1 (as ConcurrencyLimiter).
  SlotGate(int max_in_flight, bool adaptive, std::size_t max_queued, Hooks hooks = {});

  /// A slot, or kCancelled (`stop` requested before or while waiting), or kRateLimited: the
  /// queue is full, or `deadline` passes (or falls inside a pause) before a slot is free. The
  /// caller must outlive nothing: the slot refers to this gate and to `clock`, which must
  /// outlive it.
  Result<Slot> Acquire(TimePoint deadline, const std::stop_token& stop, ClientClock& clock);

  /// Pauses all sending until `until` (a 429's Retry-After), and an adaptive limit's growth
  /// until `hold_growth_until` (ConcurrencyLimiter::PauseUntil); both only ever extend.
  void PauseUntil(TimePoint until, TimePoint hold_growth_until = TimePoint::min());

  /// Snapshots, for tests and logs.
  int limit() const;
  int in_flight() const;
  std::size_t queued() const;

 private:
  using Id = ConcurrencyLimiter::Id;
  using Lock = std::unique_lock<std::mutex>;

  Result<Slot> WaitInQueue(Lock& lock, Id id, TimePoint deadline, const std::stop_token& stop,
                           ClientClock& clock);
  void SleepOutPause(Lock& lock, TimePoint deadline, const std::stop_token& stop,
                     ClientClock& clock);
  Error Refuse(Refusal refusal, TimePoint now);
  void Abandon(Id id, TimePoint now);
  void Release(Signal signal, TimePoint sent_at, TimePoint now);
  void DispatchLocked(TimePoint now);
  void Publish() const;
  bool Paused(TimePoint now) const { return now < pause_until_; }

  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  ConcurrencyLimiter limiter_;
  const Hooks hooks_;
  Id next_id_ = 0;
  // Queued ids the limiter handed a slot (Dispatch) or ended (TakeExpired), until their
  // callers, woken, take the news.
  std::unordered_set<Id> granted_;
  std::unordered_set<Id> expired_;
  TimePoint pause_until_ = TimePoint::min();
  // True while one waiter sleeps out the pause for the whole queue.
  bool pause_sleeper_ = false;
};

}  // namespace alertllm::internal
