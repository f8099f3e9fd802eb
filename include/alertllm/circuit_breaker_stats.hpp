// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "alertllm/circuit_state.hpp"

// What a CircuitBreaker reports: Stats() (a consistent snapshot, under its lock) and
// Counters() (lifetime counters for metrics, lock-free). Plain aggregates.

namespace alertllm {

/// A snapshot of the breaker, taken under its lock (so consistent in itself). Window figures
/// cover the outcomes of the current closed period still inside `time_window` (see
/// CircuitBreaker for the exact rule); the window is cleared whenever the breaker closes.
struct CircuitBreakerStats {
  /// The value of a time point that has not happened ("never"): the steady clock's epoch.
  static constexpr std::chrono::steady_clock::time_point kNever{};

  /// Time-derived: open whose time is up reports half_open, as State() does.
  CircuitState state = CircuitState::kClosed;
  /// Failures (slow successes included) in the window.
  std::uint64_t failure_count = 0;
  /// Successes (slow ones excluded) in the window.
  std::uint64_t success_count = 0;
  /// Failures in a row among the outcomes that count (not stale, not ignored), closed and
  /// half-open alike; 0 after a success and whenever the breaker closes.
  std::uint64_t consecutive_failures = 0;
  /// Successes in a row, likewise; 0 after a failure and whenever the breaker closes.
  std::uint64_t consecutive_successes = 0;
  /// Calls in the window: failure_count + success_count.
  std::uint64_t total_calls = 0;
  /// failure_count / total_calls, 0 if the window is empty.
  double failure_rate = 0.0;
  /// Slow calls (successes and failures) / total_calls, 0 if the window is empty.
  double slow_call_rate = 0.0;
  /// Calls rejected since construction.
  std::uint64_t blocked_count = 0;
  /// Outcomes recorded as kIgnored since construction.
  std::uint64_t ignored_count = 0;
  /// The latest time passed to Record() with a failure (stale ones included); kNever if none.
  std::chrono::steady_clock::time_point last_failure = kNever;
  /// The latest time passed to Record() with a success (stale ones included); kNever if none.
  std::chrono::steady_clock::time_point last_success = kNever;
  /// When the (time-derived) state began; kNever if the breaker never left closed.
  std::chrono::steady_clock::time_point last_state_change = kNever;
  /// While open: when a probe may go (time_point::max() if forced open). Otherwise kNever.
  std::chrono::steady_clock::time_point next_retry_at = kNever;
};

/// Call durations by result, in the buckets of `call_duration_seconds`.
struct CallDurationHistogram {
  /// Upper bounds, inclusive (a Prometheus `le`), in seconds. A tenth bucket holds the rest.
  static constexpr std::array<double, 9> kBucketBoundsSeconds = {0.1, 0.25, 0.5,  1.0, 2.0,
                                                                 3.0, 5.0,  10.0, 30.0};
  /// Observations per bucket, not cumulative: [i] counts durations in (bound[i-1], bound[i]],
  /// [9] those above 30 s.
  std::array<std::uint64_t, 10> bucket_counts{};
  /// Sum of bucket_counts.
  std::uint64_t count = 0;
  /// Sum of the observed durations, in seconds (kept in integer nanoseconds: exact, and good
  /// for 584 years of summed call time).
  double sum_seconds = 0.0;
};

/// Lifetime counters for metrics, read by `CircuitBreaker::Counters()` without the lock: each
/// field is read atomically on its own, so two fields of one snapshot may be a few calls apart
/// (e.g. `successes` vs `slow_calls`). Every field only grows.
struct CircuitBreakerCounters {
  /// Recorded successes, stale ones included (slow successes count as failures). Equal to
  /// success_duration.count.
  std::uint64_t successes = 0;
  /// Recorded failures, stale ones and slow successes included. Equal to
  /// failure_duration.count.
  std::uint64_t failures = 0;
  /// Recorded calls that took ≥ slow_call_duration, whatever their outcome.
  std::uint64_t slow_calls = 0;
  /// Rejected calls.
  std::uint64_t blocked = 0;
  /// Outcomes recorded as kIgnored.
  std::uint64_t ignored = 0;
  /// Probes admitted while half-open.
  std::uint64_t half_open_requests = 0;
  /// Transitions, indexed [from][to] by the CircuitState values. The diagonal stays 0.
  std::array<std::array<std::uint64_t, 3>, 3> state_changes{};
  /// Durations of recorded successes (`result="success"`).
  CallDurationHistogram success_duration;
  /// Durations of recorded failures, slow successes included (`result="failure"`).
  CallDurationHistogram failure_duration;
};

}  // namespace alertllm
