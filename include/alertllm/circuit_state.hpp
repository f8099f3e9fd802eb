// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <string_view>

namespace alertllm {

/// The breaker's state; the values are those of the `llm_circuit_breaker_state` gauge.
enum class CircuitState : int {
  kClosed = 0,    ///< Calls go through; outcomes are counted.
  kOpen = 1,      ///< Calls are rejected until the open duration has passed.
  kHalfOpen = 2,  ///< Up to `half_open_max_calls` probes go through; the rest are rejected.
};

/// "closed", "open" or "half_open" (the `from`/`to` label values of `state_changes_total`).
constexpr std::string_view ToString(CircuitState state) noexcept {
  switch (state) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

/// One state change, as passed to the listeners of `CircuitBreaker::AddListener()`.
///
/// A plain aggregate; `reason` views a string literal, so a copy stays valid anywhere.
struct StateTransition {
  CircuitState from = CircuitState::kClosed;
  CircuitState to = CircuitState::kClosed;
  /// When the state changed. For open → half_open this is the end of the open period (the
  /// transition is applied by the first call that sees the period over, possibly later).
  std::chrono::steady_clock::time_point at{};
  /// A string literal: "consecutive_failures", "failure_rate", "probe_failed",
  /// "probes_succeeded", "reset_timeout_elapsed", "manual_reset" or "forced_open".
  std::string_view reason;
};

}  // namespace alertllm
