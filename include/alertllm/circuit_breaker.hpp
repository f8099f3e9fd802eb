// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "alertllm/circuit_breaker_stats.hpp"
#include "alertllm/circuit_state.hpp"
#include "alertllm/config.hpp"
#include "alertllm/detail/bucket_window.hpp"
#include "alertllm/detail/duration_histogram.hpp"
#include "alertllm/detail/word_lock.hpp"
#include "alertllm/permit.hpp"
#include "alertllm/result.hpp"

// On definitions in detail/circuit_breaker_impl.hpp: COLD keeps the rare paths (transitions,
// probe admission, notifying) out of the hot ones; HOT keeps judging an outcome inside
// Record(), which GCC otherwise calls out of line (+4% per closed-state Allow+Record, measured
// by bench/circuit_breaker_bench).
#if defined(__GNUC__) || defined(__clang__)
#define ALERTLLM_CB_COLD __attribute__((cold, noinline))
#define ALERTLLM_CB_HOT __attribute__((always_inline))
#else
#define ALERTLLM_CB_COLD
#define ALERTLLM_CB_HOT
#endif

namespace alertllm {

/// The circuit breaker of DESIGN.md §3: a state machine whose time is passed in (it never reads
/// a clock), so tests and callers decide what "now" is.
///
/// Protocol: `Permit p = cb.Allow(now)`; if `p.admitted`, make the call, then
/// `cb.Record(p, outcome, attempt_duration, now)` exactly once.
///
/// Rules.
/// - Closed → open, after a recorded outcome of the current generation, when consecutive
///   failures ≥ max_failures ("consecutive_failures"), or when the window holds ≥ minimum_calls
///   calls and failures / calls ≥ failure_threshold ("failure_rate"). A success can trip the
///   breaker this way by bringing the window to minimum_calls.
/// - A success that took ≥ slow_call_duration counts as a failure; any recorded call that slow
///   counts as slow. Durations are those of the attempt, passed by the caller.
/// - The window: `time_window` split into N equal buckets of width w, N the largest divisor of
///   time_window (in ns) not above 60 — 50 to 60, as time_window is whole milliseconds; 60
///   buckets of 1 s by default. Bucket b covers [b·w, (b+1)·w) of steady-clock time since the
///   clock's epoch. An outcome recorded at t, in bucket b = ⌊t/w⌋, counts at `now` while
///   b·w > now − time_window: it stops counting exactly when the window's trailing edge passes
///   its bucket's start, between time_window − w and time_window after it was recorded and
///   never later, so an idle gap ≥ time_window clears the window. Running totals are
///   maintained by subtracting buckets as they expire: O(1) amortised per Record, at most N
///   steps for any Record or Stats, whatever the call rate. A Record whose time is earlier
///   than the newest bucket's (time going backwards, or callers racing) is counted in the
///   newest bucket.
/// - Open → half_open when now ≥ open_until. The open duration is reset_timeout ×
///   reset_timeout_multiplier^(trips − 1), capped at max_reset_timeout, where trips counts
///   openings since the breaker last closed. State() and Stats() derive the state from time;
///   the recorded transition happens in the first Allow() (or Reset/ForceOpen) that sees it.
/// - Half-open admits exactly half_open_max_calls probes. When that many have succeeded the
///   breaker closes ("probes_succeeded"): window, consecutive counters and trips are cleared.
///   Any probe failure reopens it ("probe_failed") with the next, multiplied, open duration.
///   An ignored probe gives its slot back.
/// - kIgnored outcomes change nothing but the ignored count (and free a probe slot).
/// - Each transition starts a new generation; outcomes carrying an older generation count in
///   the lifetime Counters() and last_success/last_failure, never in the window or the
///   consecutive counters, and never cause a transition.
/// - A Permit that was not admitted is ignored by Record() (no-op).
/// - enabled = false: Allow() admits everything (probe = false, generation 0), Record(),
///   Reset() and ForceOpen() do nothing, State() is closed.
///
/// Thread-safety: every member except AddListener() may be called concurrently. Allow()
/// admitting in the closed state or rejecting (open, or half-open with every probe slot
/// taken), State() and Counters() take no lock; probe admission, Record(), Stats(), Reset(),
/// ForceOpen() and every transition take one mutex (a 4-byte detail::WordLock). Nothing
/// allocates after construction (AddListener() aside). Listeners run outside the lock, on the
/// thread whose call made the transition.
class CircuitBreaker {
 public:
  /// Called with each transition, after the breaker's lock is released. Listeners may be
  /// called concurrently from several threads, and transitions made by different threads may
  /// reach them out of order. They must not throw: an exception from a listener terminates the
  /// program when it comes through Allow() or Record() (both noexcept), and propagates from
  /// Reset() and ForceOpen() after the state change is complete.
  using Listener = std::function<void(const StateTransition&)>;

  /// Builds a closed breaker. Throws std::invalid_argument with Validate()'s message, which
  /// names each invalid field ("failure_threshold: must be in (0, 1], got 1.5").
  explicit CircuitBreaker(CircuitBreakerConfig config)
      : config_(Checked(std::move(config))),
        enabled_(config_.enabled),
        slow_ns_(SaturatedNs(config_.slow_call_duration)),
        reset_ns_(SaturatedNs(config_.reset_timeout)),
        max_reset_ns_(SaturatedNs(config_.max_reset_timeout)),
        max_failures_(static_cast<std::uint64_t>(config_.max_failures)),
        minimum_calls_(static_cast<std::uint64_t>(EffectiveMinimumCalls(config_))),
        half_open_max_calls_(static_cast<std::uint64_t>(config_.half_open_max_calls)),
        window_(SaturatedNs(config_.time_window)) {}

  /// As the constructor, but an invalid config is returned as a kInvalidConfig error naming
  /// each invalid field instead of thrown.
  static Result<std::unique_ptr<CircuitBreaker>> Create(CircuitBreakerConfig config) {
    if (Result<void> valid = Validate(config); !valid) return std::move(valid).error();
    return std::make_unique<CircuitBreaker>(std::move(config));
  }

  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  /// Asks to make a call at `now`. Closed: admitted (no lock). Open before open_until: rejected
  /// with `retry_after = open_until − now`, counted as blocked (no lock). Open at or after
  /// open_until: moves to half_open and admits a probe. Half-open: admits a probe while fewer
  /// than half_open_max_calls are out, else rejects (retry_after = reset_timeout, a hint; no
  /// lock). Forced open: rejected, retry_after = reset_timeout. Never allocates.
  Permit Allow(std::chrono::steady_clock::time_point now) noexcept {
    if (!enabled_) return Permit{true, false, 0, std::chrono::nanoseconds(0)};
    const std::uint64_t word = word_.load(std::memory_order_acquire);
    const CircuitState state = StateOf(word);
    if (state == CircuitState::kClosed) {
      return Permit{true, false, GenerationOf(word), std::chrono::nanoseconds(0)};
    }
    const std::int64_t now_ns = ToNs(now);
    if (state == CircuitState::kOpen) {
      // open_until_ns_ is stored before the word that announces the open state (release),
      // so this sees that period's end or a later one: a rejection either way.
      const std::int64_t until = open_until_ns_.load(std::memory_order_relaxed);
      if (now_ns < until) return Reject(RetryAfterNs(until, now_ns), GenerationOf(word));
    } else if (probes_out_.load(std::memory_order_relaxed) >= half_open_max_calls_) {
      // Half-open with every slot taken. The count read is this period's or a later one's,
      // written while the breaker was half-open and full: a rejection either way.
      return Reject(reset_ns_, GenerationOf(word));
    }
    return AllowLocked(now_ns);
  }

  /// Records the outcome of a call admitted by `permit`; `duration` is the attempt's, judged
  /// against slow_call_duration (negative counts as 0). A permit that was not admitted, or any
  /// call when disabled, is a no-op. See the class comment for what counts where. Never
  /// allocates; takes the lock except for an ignored non-probe outcome.
  void Record(const Permit& permit, CallOutcome outcome, std::chrono::nanoseconds duration,
              std::chrono::steady_clock::time_point now) noexcept {
    if (!enabled_ || !permit.admitted) return;
    if (outcome == CallOutcome::kIgnored) {
      RecordIgnored(permit);
      return;
    }
    const std::int64_t now_ns = ToNs(now);
    const std::int64_t duration_ns = duration.count() < 0 ? 0 : duration.count();
    const bool slow = duration_ns >= slow_ns_;
    const bool failure = outcome == CallOutcome::kFailure || slow;
    const std::size_t histogram_bucket = detail::DurationHistogram::BucketOf(duration_ns);
    Pending pending;
    {
      std::lock_guard<detail::WordLock> lock(mu_);
      CountLifetimeLocked(failure, slow, histogram_bucket, duration_ns, now_ns);
      const std::uint64_t word = word_.load(std::memory_order_relaxed);
      if (GenerationOf(word) == permit.generation) {
        JudgeLocked(StateOf(word), failure, slow, now_ns, pending);
      }
    }
    Notify(pending);
  }

  /// The state at `now`, derived from time: open whose period is over reports half_open even
  /// if no call has made the transition yet; forced open stays open. Closed when disabled.
  /// Lock-free.
  CircuitState State(std::chrono::steady_clock::time_point now) const noexcept {
    if (!enabled_) return CircuitState::kClosed;
    const CircuitState state = StateOf(word_.load(std::memory_order_acquire));
    if (state != CircuitState::kOpen) return state;
    return OpenPeriodOver(open_until_ns_.load(std::memory_order_relaxed), ToNs(now))
               ? CircuitState::kHalfOpen
               : CircuitState::kOpen;
  }

  /// A consistent snapshot at `now` (see CircuitBreakerStats). Takes the lock; the window is
  /// read as of `now` without being modified. Does not allocate.
  CircuitBreakerStats Stats(std::chrono::steady_clock::time_point now) const;

  /// Closes the breaker: clears the window, the consecutive counters and the trip count, and
  /// starts a new generation (outcomes of calls admitted before are stale). If the state was
  /// not closed this is a transition ("manual_reset"), counted and passed to the listeners;
  /// resetting a closed breaker clears it without a transition. An open breaker whose period
  /// is over first makes its pending open → half_open transition. No-op when disabled.
  void Reset(std::chrono::steady_clock::time_point now);

  /// Opens the breaker until Reset(): Allow() rejects and State() reports open whatever the
  /// time. From closed or half-open this is a transition ("forced_open"); an open breaker just
  /// loses its end time (no transition), unless its period was over, in which case the pending
  /// open → half_open transition is made first and then half_open → open. The trip count is
  /// unchanged. No-op when disabled.
  void ForceOpen(std::chrono::steady_clock::time_point now);

  /// Lifetime counters for metrics, read without the lock (see CircuitBreakerCounters).
  /// Lock-free; does not allocate.
  CircuitBreakerCounters Counters() const noexcept;

  /// Adds a transition listener (an empty function is ignored). Not thread-safe: call it
  /// before the breaker is shared with other threads. Allocates.
  void AddListener(Listener listener) {
    if (listener) listeners_.push_back(std::move(listener));
  }

  /// The configuration the breaker was built with.
  const CircuitBreakerConfig& config() const noexcept { return config_; }

 private:
  static constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();
  static constexpr std::uint64_t kStateMask = 3;

  // The transitions of one call (at most two: a pending open → half_open, then a manual one),
  // delivered to the listeners once the lock is released. Left uninitialised but for `size`,
  // so that a call without a transition pays one store for it.
  struct PendingTransition {
    CircuitState from;
    CircuitState to;
    std::int64_t at_ns;
    const char* reason;
  };
  struct Pending {
    std::array<PendingTransition, 2> items;
    std::size_t size = 0;
  };

  static CircuitBreakerConfig Checked(CircuitBreakerConfig config) {
    if (Result<void> valid = Validate(config); !valid) {
      throw std::invalid_argument(valid.error().message);
    }
    return config;
  }

  static std::int64_t SaturatedNs(std::chrono::milliseconds d) noexcept {
    // Quarter of the range, so that now + duration cannot overflow for any realistic now.
    constexpr std::int64_t kMaxMs = std::numeric_limits<std::int64_t>::max() / 4 / 1'000'000;
    return (d.count() > kMaxMs ? kMaxMs : d.count()) * 1'000'000;
  }

  static std::int64_t ToNs(std::chrono::steady_clock::time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }

  static std::chrono::steady_clock::time_point FromNs(std::int64_t ns) noexcept {
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::nanoseconds(ns)));
  }

  static constexpr CircuitState StateOf(std::uint64_t word) noexcept {
    return static_cast<CircuitState>(word & kStateMask);
  }
  static constexpr std::uint64_t GenerationOf(std::uint64_t word) noexcept { return word >> 2; }
  static constexpr std::uint64_t Pack(CircuitState state, std::uint64_t generation) noexcept {
    return (generation << 2) | static_cast<std::uint64_t>(state);
  }

  static bool OpenPeriodOver(std::int64_t until, std::int64_t now_ns) noexcept {
    return until != kForever && now_ns >= until;
  }

  std::int64_t RetryAfterNs(std::int64_t until, std::int64_t now_ns) const noexcept {
    return until == kForever ? reset_ns_ : until - now_ns;
  }

  static void Bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) noexcept {
    detail::BumpLocked(counter, by);
  }

  // The lifetime figures every recorded outcome updates, whatever its generation.
  void CountLifetimeLocked(bool failure, bool slow, std::size_t histogram_bucket,
                           std::int64_t duration_ns, std::int64_t now_ns) noexcept;

  // What an outcome of the current generation does in `state`: the streak, the window, and
  // the transition it may cause.
  void JudgeLocked(CircuitState state, bool failure, bool slow, std::int64_t now_ns,
                   Pending& pending) noexcept;

  void JudgeClosedLocked(std::int64_t now_ns, Pending& pending) noexcept;

  std::uint64_t ConsecutiveFailuresLocked() const noexcept {
    return streak_ < 0 ? static_cast<std::uint64_t>(-streak_) : 0;
  }

  Permit Reject(std::int64_t retry_after_ns, std::uint64_t generation) noexcept {
    blocked_.fetch_add(1, std::memory_order_relaxed);
    return Permit{false, false, generation, std::chrono::nanoseconds(retry_after_ns)};
  }

  Permit AllowLocked(std::int64_t now_ns) noexcept;

  void RecordIgnored(const Permit& permit) noexcept;

  // If the breaker is open and its period is over, makes the open → half_open transition.
  // Returns the (possibly new) recorded state.
  CircuitState ApplyElapsedOpenLocked(std::int64_t now_ns, Pending& pending) noexcept;

  void TripLocked(std::int64_t now_ns, const char* reason, Pending& pending) noexcept;

  void TransitionLocked(CircuitState to, std::int64_t at_ns, const char* reason, Pending& pending,
                        std::int64_t open_until = kForever) noexcept;

  void ClearLocked() noexcept {
    window_.Clear();
    streak_ = 0;
    trips_ = 0;
  }

  void Notify(const Pending& pending) const {
    if (pending.size != 0) NotifyListeners(pending);
  }

  void NotifyListeners(const Pending& pending) const;

  // Immutable after construction.
  const CircuitBreakerConfig config_;
  const bool enabled_;
  const std::int64_t slow_ns_;
  const std::int64_t reset_ns_;
  const std::int64_t max_reset_ns_;
  const std::uint64_t max_failures_;
  const std::uint64_t minimum_calls_;
  const std::uint64_t half_open_max_calls_;
  std::vector<Listener> listeners_;

  // Read by Allow() without the lock; written only under mu_. The word packs the state (low 2
  // bits) and the generation; open_until_ns_ is the end of the open period, kForever when
  // forced open; probes_out_ counts the probe slots taken in the current half-open period
  // (reset before the word announces half_open).
  alignas(64) std::atomic<std::uint64_t> word_{Pack(CircuitState::kClosed, 1)};
  std::atomic<std::int64_t> open_until_ns_{kForever};
  std::atomic<std::uint64_t> probes_out_{0};

  // Written by lock-free paths (rejections, ignored outcomes): kept off the word's cache line.
  alignas(64) std::atomic<std::uint64_t> blocked_{0};
  std::atomic<std::uint64_t> ignored_{0};

  // Guarded by mu_, laid out so that a closed-state success writes two cache lines (besides
  // the stack) and only reads others that rarely change: the lock's line holds the streak, the
  // last success, the success duration sum and the first histogram buckets; the next holds the
  // other buckets and the window's newest bucket (the window's head follows). Fewer lines
  // handed over per call is what keeps two threads recording close to the cost of a bare
  // mutex.
  alignas(64) mutable detail::WordLock mu_;
  std::int64_t streak_ = 0;  // > 0: successes in a row; < 0: failures in a row
  std::int64_t last_success_ns_ = 0;
  detail::DurationHistogram success_histogram_;  // lifetime, read lock-free
  detail::BucketWindow window_;
  // Lifetime counters: written only under mu_ (Bump), read lock-free by Counters().
  detail::DurationHistogram failure_histogram_;
  std::atomic<std::uint64_t> slow_calls_{0};
  std::atomic<std::uint64_t> half_open_requests_{0};
  std::array<std::array<std::atomic<std::uint64_t>, 3>, 3> transitions_{};
  // Guarded by mu_, colder.
  std::int64_t last_failure_ns_ = 0;
  std::int64_t last_change_ns_ = 0;
  std::uint64_t probes_succeeded_ = 0;
  int trips_ = 0;
};

}  // namespace alertllm

// The bodies of the members declared but not defined above (inline, header-only like the rest).
#include "alertllm/detail/circuit_breaker_impl.hpp"  // IWYU pragma: export

#undef ALERTLLM_CB_COLD
#undef ALERTLLM_CB_HOT
