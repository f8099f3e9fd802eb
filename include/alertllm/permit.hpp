// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>

namespace alertllm {

/// What a call admitted by the breaker came to, as DESIGN.md §3 maps errors onto it.
enum class CallOutcome {
  kSuccess,  ///< Counts as a success, unless it took ≥ slow_call_duration (then a slow failure).
  kFailure,  ///< 5xx, 408, network errors, timeouts, invalid responses, insufficient_quota 429.
  kIgnored,  ///< Cancelled, other 429s, other 4xx, invalid request: not held against the server.
};

/// The answer of `CircuitBreaker::Allow()`; hand it back to `Record()` when the call is done.
struct Permit {
  /// True: make the call, then Record() its outcome. False: the call was rejected.
  bool admitted = false;
  /// True if the call is one of the half-open probes that decide whether the breaker closes.
  bool probe = false;
  /// The state generation the permit was issued in. An outcome recorded with a generation
  /// other than the current one (the state changed meanwhile) never causes a transition.
  std::uint64_t generation = 0;
  /// For a rejection, how long until a probe may go: `open_until - now` while open. There is
  /// no timer to point at when the breaker is half-open with every probe slot taken, or forced
  /// open: then it is `reset_timeout`, a hint. Zero for an admitted call.
  std::chrono::nanoseconds retry_after{0};
};

}  // namespace alertllm
