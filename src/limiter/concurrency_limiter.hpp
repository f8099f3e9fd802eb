// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace alertllm::internal {

/// Caps the requests in flight to one LLM endpoint and queues the calls that must wait.
///
/// The limit starts at max_in_flight. When adaptive it follows AIMD, like a TCP congestion
/// window: an overload signal (429, timeout) halves it, at most once per round trip; successes
/// grow it by one per round trip, never above max_in_flight. A 429's Retry-After pauses all
/// sending (PauseUntil). Waiting calls form a FIFO queue of at most max_queued entries, each
/// with a deadline; the owner ends expired ones (TakeExpired).
///
/// Never reads a clock: every time is passed in, so the tests and the event loop share one
/// notion of now. Nothing here blocks or schedules: the owner asks NextWakeup when to call
/// TakeExpired and Dispatch again.
///
/// Thread-safety: NOT thread-safe. It is meant to be owned and driven by one I/O thread (the
/// event loop); any other use needs external synchronisation.
class ConcurrencyLimiter {
 public:
  using Id = std::uint64_t;
  using TimePoint = std::chrono::steady_clock::time_point;

  enum class Admission {
    kSend,       // the call holds a slot now; Release it when it finishes
    kQueued,     // the call waits; Dispatch, TakeExpired or Remove will name it later
    kQueueFull,  // neither: the owner fails the call at once
  };

  enum class Signal {
    kSuccess,   // grows an adaptive limit
    kOverload,  // a timeout (or 408): halves an adaptive limit, at most once per round trip
    kRejected,  // a 429: the server refused this one and serves the rest (see OnRejected)
    kNeutral,   // other failures, cancellation: frees the slot, teaches nothing
  };

  /// std::invalid_argument unless max_in_flight >= 1. max_queued == 0 means no call ever waits.
  ConcurrencyLimiter(int max_in_flight, bool adaptive, std::size_t max_queued);

  /// Asks for a slot for call `id` (ids must be unique among the queued calls). kSend only if
  /// not paused, a slot is free and nobody is queued (a newcomer never overtakes a waiter);
  /// otherwise the call is queued if there is room, else kQueueFull.
  Admission Acquire(Id id, TimePoint deadline, TimePoint now);

  /// A call that held a slot finished; `sent_at` is when it got its slot (kSend or Dispatch).
  /// std::logic_error if no slot is held (in_flight() == 0): a double release would otherwise
  /// silently hand out one slot too many.
  void Release(Signal signal, TimePoint sent_at, TimePoint now);

  /// Hands the free slots to queued calls in FIFO order and returns their ids, which now hold
  /// slots. Nothing while paused. Calls whose deadline is <= now are skipped (left for
  /// TakeExpired): a slot is never given to a call that is already late.
  std::vector<Id> Dispatch(TimePoint now);

  /// Removes and returns, in queue order, the queued calls whose deadline is <= now.
  std::vector<Id> TakeExpired(TimePoint now);

  /// A queued call was cancelled: removes it. True if it was queued.
  bool Remove(Id id);

  /// Pauses all sending until `until` (a 429's Retry-After). Only ever extends: an earlier
  /// `until` than the current pause end changes nothing. An adaptive limit also stops growing
  /// until `hold_growth_until` (only ever extended too): the caller passes a time after the
  /// pause, so that the limit does not probe above a quota the moment sending resumes, when a
  /// probe's 429 would cost everyone another pause.
  void PauseUntil(TimePoint until, TimePoint hold_growth_until = kNever);

  /// When the owner should call TakeExpired and Dispatch again: the earliest queued deadline,
  /// or the pause end if that is sooner; nullopt when nobody is queued (a pause matters only to
  /// waiters; Acquire checks it itself). A pause end already past stays reported until a call
  /// that takes `now` (Acquire, Release, Dispatch, TakeExpired) sees it has passed.
  std::optional<TimePoint> NextWakeup() const;

  int limit() const { return limit_; }
  int in_flight() const { return in_flight_; }
  std::size_t queued() const { return queue_.size(); }
  bool paused(TimePoint now) const { return now < pause_until_; }

 private:
  struct Waiter {
    Id id;
    TimePoint deadline;
  };

  // No pause, and no decrease yet: every send time compares as "after" it.
  static constexpr TimePoint kNever = TimePoint::min();

  bool HasFreeSlot() const { return in_flight_ < limit_; }
  void ForgetPastPause(TimePoint now);
  void OnOverload(TimePoint sent_at, TimePoint now);
  void OnRejected(TimePoint sent_at, TimePoint now);
  void OnSuccess(TimePoint sent_at, TimePoint now);

  const int max_in_flight_;
  const bool adaptive_;
  const std::size_t max_queued_;

  int limit_;
  int in_flight_ = 0;
  // Successes counted towards the next +1; the limit grows when it reaches limit_ (one round
  // trip's worth of successes).
  int growth_credit_ = 0;
  // When the limit was last halved. Signals from calls sent before it describe the old, larger
  // window and are ignored: that is what makes the decrease once per round trip.
  TimePoint last_decrease_ = kNever;
  // An adaptive limit does not grow before this (PauseUntil's hold_growth_until).
  TimePoint hold_growth_until_ = kNever;
  TimePoint pause_until_ = kNever;
  std::deque<Waiter> queue_;
};

}  // namespace alertllm::internal
