// SPDX-License-Identifier: Apache-2.0
// The bodies of CircuitBreaker's members that circuit_breaker.hpp only declares: snapshot,
// reset, forced open, probe admission, judging an outcome and the transitions. Included only at
// the end of circuit_breaker.hpp, so that the public header reads as the breaker's interface,
// its rules and its two hot paths (Allow, Record) in one sitting.
#pragma once

#ifndef ALERTLLM_CB_COLD
#error "include alertllm/circuit_breaker.hpp, not this header"
#endif

namespace alertllm {

inline CircuitBreakerStats CircuitBreaker::Stats(std::chrono::steady_clock::time_point now) const {
  const std::int64_t now_ns = ToNs(now);
  CircuitBreakerStats stats;
  std::lock_guard<detail::WordLock> lock(mu_);
  const CircuitState recorded = StateOf(word_.load(std::memory_order_relaxed));
  const std::int64_t until = open_until_ns_.load(std::memory_order_relaxed);
  stats.state = recorded;
  stats.last_state_change = FromNs(last_change_ns_);
  if (!enabled_) {
    stats.state = CircuitState::kClosed;
  } else if (recorded == CircuitState::kOpen) {
    if (OpenPeriodOver(until, now_ns)) {
      stats.state = CircuitState::kHalfOpen;
      stats.last_state_change = FromNs(until);
    } else {
      stats.next_retry_at =
          until == kForever ? std::chrono::steady_clock::time_point::max() : FromNs(until);
    }
  }
  const detail::WindowTotals window = window_.At(now_ns);
  stats.failure_count = window.failures;
  stats.success_count = window.calls - window.failures;
  stats.total_calls = window.calls;
  if (window.calls > 0) {
    stats.failure_rate = static_cast<double>(window.failures) / static_cast<double>(window.calls);
    stats.slow_call_rate = static_cast<double>(window.slow) / static_cast<double>(window.calls);
  }
  stats.consecutive_failures = ConsecutiveFailuresLocked();
  stats.consecutive_successes = streak_ > 0 ? static_cast<std::uint64_t>(streak_) : 0;
  stats.blocked_count = blocked_.load(std::memory_order_relaxed);
  stats.ignored_count = ignored_.load(std::memory_order_relaxed);
  stats.last_failure = FromNs(last_failure_ns_);
  stats.last_success = FromNs(last_success_ns_);
  return stats;
}

inline void CircuitBreaker::Reset(std::chrono::steady_clock::time_point now) {
  if (!enabled_) return;
  const std::int64_t now_ns = ToNs(now);
  Pending pending;
  {
    std::lock_guard<detail::WordLock> lock(mu_);
    if (ApplyElapsedOpenLocked(now_ns, pending) != CircuitState::kClosed) {
      TransitionLocked(CircuitState::kClosed, now_ns, "manual_reset", pending);
    } else {
      ClearLocked();
      const std::uint64_t word = word_.load(std::memory_order_relaxed);
      word_.store(Pack(CircuitState::kClosed, GenerationOf(word) + 1), std::memory_order_release);
    }
  }
  Notify(pending);
}

inline void CircuitBreaker::ForceOpen(std::chrono::steady_clock::time_point now) {
  if (!enabled_) return;
  const std::int64_t now_ns = ToNs(now);
  Pending pending;
  {
    std::lock_guard<detail::WordLock> lock(mu_);
    if (ApplyElapsedOpenLocked(now_ns, pending) == CircuitState::kOpen) {
      open_until_ns_.store(kForever, std::memory_order_relaxed);
    } else {
      TransitionLocked(CircuitState::kOpen, now_ns, "forced_open", pending, kForever);
    }
  }
  Notify(pending);
}

inline CircuitBreakerCounters CircuitBreaker::Counters() const noexcept {
  CircuitBreakerCounters c;
  c.slow_calls = slow_calls_.load(std::memory_order_relaxed);
  c.blocked = blocked_.load(std::memory_order_relaxed);
  c.ignored = ignored_.load(std::memory_order_relaxed);
  c.half_open_requests = half_open_requests_.load(std::memory_order_relaxed);
  for (std::size_t from = 0; from < 3; ++from) {
    for (std::size_t to = 0; to < 3; ++to) {
      c.state_changes[from][to] = transitions_[from][to].load(std::memory_order_relaxed);
    }
  }
  success_histogram_.Read(c.success_duration);
  failure_histogram_.Read(c.failure_duration);
  c.successes = c.success_duration.count;
  c.failures = c.failure_duration.count;
  return c;
}

ALERTLLM_CB_HOT inline void CircuitBreaker::CountLifetimeLocked(bool failure, bool slow,
                                                                std::size_t histogram_bucket,
                                                                std::int64_t duration_ns,
                                                                std::int64_t now_ns) noexcept {
  const auto duration_u = static_cast<std::uint64_t>(duration_ns);
  // The histograms' counts are the lifetime success and failure totals.
  if (failure) {
    failure_histogram_.Add(histogram_bucket, duration_u);
    if (now_ns > last_failure_ns_) last_failure_ns_ = now_ns;
  } else {
    success_histogram_.Add(histogram_bucket, duration_u);
    if (now_ns > last_success_ns_) last_success_ns_ = now_ns;
  }
  if (slow) Bump(slow_calls_);
}

ALERTLLM_CB_HOT inline void CircuitBreaker::JudgeLocked(CircuitState state, bool failure, bool slow,
                                                        std::int64_t now_ns,
                                                        Pending& pending) noexcept {
  if (failure) {
    streak_ = streak_ < 0 ? streak_ - 1 : -1;
  } else {
    streak_ = streak_ > 0 ? streak_ + 1 : 1;
  }
  switch (state) {
    case CircuitState::kClosed:
      window_.Add(now_ns, failure, slow);
      JudgeClosedLocked(now_ns, pending);
      break;
    case CircuitState::kHalfOpen:
      if (failure) {
        TripLocked(now_ns, "probe_failed", pending);
      } else if (++probes_succeeded_ >= half_open_max_calls_) {
        TransitionLocked(CircuitState::kClosed, now_ns, "probes_succeeded", pending);
      }
      break;
    case CircuitState::kOpen:
      break;  // The open state issues no permit, so no current outcome can arrive.
  }
}

ALERTLLM_CB_HOT inline void CircuitBreaker::JudgeClosedLocked(std::int64_t now_ns,
                                                              Pending& pending) noexcept {
  if (ConsecutiveFailuresLocked() >= max_failures_) {
    TripLocked(now_ns, "consecutive_failures", pending);
    return;
  }
  const std::uint64_t failures = window_.Failures();
  if (failures == 0) return;
  const std::uint64_t calls = window_.Calls();
  // The same division as Stats().failure_rate, so the two never disagree.
  if (calls >= minimum_calls_ &&
      static_cast<double>(failures) / static_cast<double>(calls) >= config_.failure_threshold) {
    TripLocked(now_ns, "failure_rate", pending);
  }
}

ALERTLLM_CB_COLD inline Permit CircuitBreaker::AllowLocked(std::int64_t now_ns) noexcept {
  Pending pending;
  Permit permit;
  {
    std::lock_guard<detail::WordLock> lock(mu_);
    const CircuitState state = ApplyElapsedOpenLocked(now_ns, pending);
    const std::uint64_t generation = GenerationOf(word_.load(std::memory_order_relaxed));
    if (state == CircuitState::kClosed) {
      permit = Permit{true, false, generation, std::chrono::nanoseconds(0)};
    } else if (state == CircuitState::kOpen) {
      permit =
          Reject(RetryAfterNs(open_until_ns_.load(std::memory_order_relaxed), now_ns), generation);
    } else if (probes_out_.load(std::memory_order_relaxed) < half_open_max_calls_) {
      Bump(probes_out_);
      Bump(half_open_requests_);
      permit = Permit{true, true, generation, std::chrono::nanoseconds(0)};
    } else {
      permit = Reject(reset_ns_, generation);
    }
  }
  Notify(pending);
  return permit;
}

inline void CircuitBreaker::RecordIgnored(const Permit& permit) noexcept {
  if (!permit.probe) {
    ignored_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::lock_guard<detail::WordLock> lock(mu_);
  ignored_.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t word = word_.load(std::memory_order_relaxed);
  if (GenerationOf(word) == permit.generation && StateOf(word) == CircuitState::kHalfOpen &&
      probes_out_.load(std::memory_order_relaxed) > 0) {
    probes_out_.store(probes_out_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }
}

inline CircuitState CircuitBreaker::ApplyElapsedOpenLocked(std::int64_t now_ns,
                                                           Pending& pending) noexcept {
  const CircuitState state = StateOf(word_.load(std::memory_order_relaxed));
  if (state != CircuitState::kOpen) return state;
  const std::int64_t until = open_until_ns_.load(std::memory_order_relaxed);
  if (!OpenPeriodOver(until, now_ns)) return state;
  TransitionLocked(CircuitState::kHalfOpen, until, "reset_timeout_elapsed", pending);
  return CircuitState::kHalfOpen;
}

ALERTLLM_CB_COLD inline void CircuitBreaker::TripLocked(std::int64_t now_ns, const char* reason,
                                                        Pending& pending) noexcept {
  // Capped so the count cannot overflow; the duration reached max_reset_timeout long before.
  if (trips_ < 1'000'000) ++trips_;
  const double scaled =
      static_cast<double>(reset_ns_) * std::pow(config_.reset_timeout_multiplier, trips_ - 1);
  const std::int64_t duration = scaled < static_cast<double>(max_reset_ns_)
                                    ? static_cast<std::int64_t>(scaled)
                                    : max_reset_ns_;
  const std::int64_t until = now_ns > kForever - 1 - duration ? kForever - 1 : now_ns + duration;
  TransitionLocked(CircuitState::kOpen, now_ns, reason, pending, until);
}

ALERTLLM_CB_COLD inline void CircuitBreaker::TransitionLocked(CircuitState to, std::int64_t at_ns,
                                                              const char* reason, Pending& pending,
                                                              std::int64_t open_until) noexcept {
  const std::uint64_t word = word_.load(std::memory_order_relaxed);
  const CircuitState from = StateOf(word);
  Bump(transitions_[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)]);
  switch (to) {
    case CircuitState::kClosed:
      ClearLocked();
      break;
    case CircuitState::kOpen:
      open_until_ns_.store(open_until, std::memory_order_relaxed);
      break;
    case CircuitState::kHalfOpen:
      probes_out_.store(0, std::memory_order_relaxed);
      probes_succeeded_ = 0;
      break;
  }
  last_change_ns_ = at_ns;
  word_.store(Pack(to, GenerationOf(word) + 1), std::memory_order_release);
  pending.items[pending.size++] = PendingTransition{from, to, at_ns, reason};
}

ALERTLLM_CB_COLD inline void CircuitBreaker::NotifyListeners(const Pending& pending) const {
  for (std::size_t i = 0; i < pending.size; ++i) {
    const PendingTransition& p = pending.items[i];
    const StateTransition transition{p.from, p.to, FromNs(p.at_ns), std::string_view(p.reason)};
    for (const Listener& listener : listeners_) listener(transition);
  }
}

}  // namespace alertllm
