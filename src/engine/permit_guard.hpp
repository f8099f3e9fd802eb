// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>

#include "alertllm/circuit_breaker.hpp"

namespace alertllm::internal {

/// Releases a breaker permit exactly once: Record() with the real outcome, or as ignored if the
/// call leaves by an exception (so a half-open probe slot is never lost).
///
/// Thread-safety: one guard belongs to one call on one thread.
class PermitGuard {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  explicit PermitGuard(CircuitBreaker& breaker) : breaker_(breaker) {}
  PermitGuard(const PermitGuard&) = delete;
  PermitGuard& operator=(const PermitGuard&) = delete;
  ~PermitGuard() {
    if (pending_)
      breaker_.Record(permit_, CallOutcome::kIgnored, std::chrono::nanoseconds::zero(), at_);
  }

  /// Asks for a permit; true if admitted.
  bool Acquire(SteadyTime now) {
    permit_ = breaker_.Allow(now);
    pending_ = permit_.admitted;
    at_ = now;
    return permit_.admitted;
  }
  void Record(CallOutcome outcome, std::chrono::nanoseconds duration, SteadyTime now) {
    if (!pending_) return;
    pending_ = false;
    breaker_.Record(permit_, outcome, duration, now);
  }
  const Permit& permit() const { return permit_; }

 private:
  CircuitBreaker& breaker_;
  Permit permit_;
  bool pending_ = false;
  SteadyTime at_{};
};

}  // namespace alertllm::internal
