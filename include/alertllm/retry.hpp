// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alertllm/config.hpp"
#include "alertllm/detail/retry_after.hpp"
#include "alertllm/detail/strings.hpp"
#include "alertllm/errors.hpp"
#include "alertllm/result.hpp"
#include "alertllm/transport.hpp"

// The retry policy of DESIGN.md §4, as google-cloud-cpp separates it: *should* this outcome be
// retried (ShouldRetry, RetryBudget), *when* (BackoffDelay, ServerRetryHint), and NextRetry,
// which combines them into one answer. Everything here is pure and takes time and randomness
// as arguments; the client owns the clock, the sleeping, the breaker and the budget's updates.

namespace alertllm {

/// Counts tokens for retries, as gRPC retry throttling does: a retryable failure costs one
/// token, a success earns `token_ratio`; retries are allowed while more than half remain.
///
/// Tokens are kept as integer milli-tokens (so `token_ratio` has three decimal places, as in
/// gRPC): they start at `max_tokens`, OnFailure() takes 1000 (never below 0), OnSuccess() adds
/// `round(token_ratio × 1000)` (never above `max_tokens × 1000`), and CanRetry() is
/// `milli_tokens > max_tokens × 1000 / 2` — strictly greater: 10 tokens allow a retry after 4
/// failures, not after 5.
///
/// A budget built from a RetryBudgetConfig with `enabled = false` always allows retries and
/// ignores OnFailure()/OnSuccess(), so the client can use it unconditionally.
///
/// Thread-safe: all members may be called concurrently; no member allocates or locks.
class RetryBudget {
 public:
  /// A budget of `max_tokens` (negative counts as 0: no retry is ever allowed) earning
  /// `token_ratio` per success (NaN or negative counts as 0).
  RetryBudget(int max_tokens, double token_ratio) noexcept
      : max_milli_(std::int64_t{std::max(max_tokens, 0)} * 1000),
        ratio_milli_(RatioMilli(token_ratio, max_milli_)),
        milli_tokens_(max_milli_) {}

  /// The budget of `config`; disabled (always allows) if `config.enabled` is false.
  explicit RetryBudget(const RetryBudgetConfig& config) noexcept
      : RetryBudget(config.max_tokens, config.token_ratio) {
    enabled_ = config.enabled;
  }

  RetryBudget(const RetryBudget&) = delete;
  RetryBudget& operator=(const RetryBudget&) = delete;

  /// True if a retry may be sent now. Does not consume a token. The client calls OnFailure()
  /// for the failure it is about to retry first, then asks (gRPC order).
  bool CanRetry() const noexcept {
    return !enabled_ || milli_tokens_.load(std::memory_order_relaxed) > max_milli_ / 2;
  }

  /// Records a retryable failure: one token less, not below 0.
  void OnFailure() noexcept {
    if (!enabled_) return;
    std::int64_t current = milli_tokens_.load(std::memory_order_relaxed);
    while (!milli_tokens_.compare_exchange_weak(current, std::max<std::int64_t>(current - 1000, 0),
                                                std::memory_order_relaxed)) {
    }
  }

  /// Records a success: `token_ratio` tokens more, not above `max_tokens`.
  void OnSuccess() noexcept {
    if (!enabled_) return;
    std::int64_t current = milli_tokens_.load(std::memory_order_relaxed);
    // ratio_milli_ ≤ max_milli_ and current ≤ max_milli_, so the sum cannot overflow.
    while (!milli_tokens_.compare_exchange_weak(
        current, std::min(current + ratio_milli_, max_milli_), std::memory_order_relaxed)) {
    }
  }

  /// The tokens left, in thousandths (for metrics and tests); `max_tokens × 1000` if disabled.
  std::int64_t MilliTokens() const noexcept {
    return enabled_ ? milli_tokens_.load(std::memory_order_relaxed) : max_milli_;
  }

 private:
  static std::int64_t RatioMilli(double token_ratio, std::int64_t max_milli) noexcept {
    if (!(token_ratio > 0.0)) return 0;  // NaN too
    const double milli = std::round(token_ratio * 1000.0);
    return milli >= static_cast<double>(max_milli) ? max_milli : static_cast<std::int64_t>(milli);
  }

  static_assert(std::atomic<std::int64_t>::is_always_lock_free);

  std::int64_t max_milli_;
  std::int64_t ratio_milli_;
  std::atomic<std::int64_t> milli_tokens_;
  bool enabled_ = true;
};

/// Whether the outcome of an attempt may be retried (DESIGN.md §4): `IsRetryableError(error)`,
/// except that a response header `x-should-retry: true` or `false` (ASCII case-insensitive;
/// any other value is ignored) overrides the status either way, as in the OpenAI SDKs. The
/// header is never consulted for kCircuitOpen, kCancelled, kInvalidRequest, kInvalidResponse
/// and kInvalidConfig, which are never retried. `response` is the attempt's HTTP response, or
/// nullptr if it got none.
///
/// Thread-safe; pure; does not allocate.
inline bool ShouldRetry(const Error& error, const HttpResponse* response) noexcept {
  switch (error.code) {
    case ErrorCode::kCircuitOpen:
    case ErrorCode::kCancelled:
    case ErrorCode::kInvalidRequest:
    case ErrorCode::kInvalidResponse:
    case ErrorCode::kInvalidConfig:
      return false;
    default:
      break;
  }
  if (response != nullptr) {
    if (const std::string* value = response->Header("x-should-retry"); value != nullptr) {
      if (detail::EqualsIgnoreCase(*value, "true")) return true;
      if (detail::EqualsIgnoreCase(*value, "false")) return false;
    }
  }
  return IsRetryableError(error);
}

/// The delay before retry `retry` (1 for the first retry, 2 for the second, …; values below 1
/// count as 1), DESIGN.md §4:
///
///     d = min(max_retry_delay, retry_delay × retry_backoff^(retry − 1))
///     delay = d × (1 − jitter × u01)
///
/// rounded to the nearest millisecond. `u01` is a uniform random number in [0, 1) drawn by the
/// caller (clamped into [0, 1]; NaN counts as 0), so jitter only ever shortens a delay and the
/// cap bounds the result: jitter 0 is none, 1.0 is full jitter (anything in [0, d]). Never
/// overflows: a huge `retry` saturates at max_retry_delay. Negative durations count as 0.
///
/// Thread-safe; pure; does not allocate.
inline std::chrono::milliseconds BackoffDelay(int retry, const Config& config,
                                              double u01) noexcept {
  using std::chrono::milliseconds;
  const auto base = static_cast<double>(std::max<std::int64_t>(config.retry_delay.count(), 0));
  const std::int64_t cap = std::max<std::int64_t>(config.max_retry_delay.count(), 0);
  const auto cap_d = static_cast<double>(cap);
  if (base == 0.0 || cap == 0) return milliseconds(0);
  const int n = std::max(retry, 1);
  // pow may reach +inf for a huge n; `!(d < cap)` then saturates (and catches NaN).
  double d = base * std::pow(std::max(config.retry_backoff, 1.0), static_cast<double>(n - 1));
  if (!(d < cap_d)) d = cap_d;
  // Jitter inside the cap: it takes a random fraction off the capped delay, so retries that all
  // reached the cap still spread out (the Go original added it after the cap, and all of them
  // fired together at the cap).
  double jitter = config.jitter;
  if (!(jitter > 0.0)) jitter = 0.0;
  if (jitter > 1.0) jitter = 1.0;
  double u = u01;
  if (!(u > 0.0)) u = 0.0;
  if (u > 1.0) u = 1.0;
  const double result = std::round(d * (1.0 - jitter * u));
  // cap_d may round above the largest int64 (for a cap near milliseconds::max()).
  if (result >= cap_d) return milliseconds(cap);
  return milliseconds(static_cast<std::int64_t>(result));
}

/// The longest server hint ServerRetryHint() returns: 2^31 seconds (68 years), the value
/// RFC 9111 §1.2.2 prescribes for a delta-seconds too large to represent. Larger hints
/// saturate to it, so `now + hint` cannot overflow a nanosecond time_point.
inline constexpr std::chrono::milliseconds kMaxServerRetryHint = detail::kMaxRetryHint;

/// The server's minimum wait before the next attempt, from `response`, or nullopt if it gave
/// none that parses:
/// - `retry-after-ms` (the OpenAI API's): a non-negative decimal number of milliseconds, "1500"
///   or "12.5" (a fraction rounds up to the next millisecond). It wins over Retry-After; if it
///   does not parse, Retry-After is used.
/// - `Retry-After` as delta-seconds: a non-negative integer ("2" → 2000 ms, "0" → 0 ms).
/// - `Retry-After` as an HTTP-date (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", or the
///   obsolete RFC 850 and asctime forms), relative to `now`; a date in the past gives 0 ms.
/// Anything else ("1.5", "-1", "", "soon", a signed or exponent number, a date with a bad
/// field) gives no hint. Surrounding spaces and tabs are ignored. Hints saturate at
/// kMaxServerRetryHint.
///
/// Thread-safe; pure; does not allocate.
inline std::optional<std::chrono::milliseconds> ServerRetryHint(
    const HttpResponse& response, std::chrono::system_clock::time_point now) noexcept {
  if (const std::string* ms = response.Header("retry-after-ms"); ms != nullptr) {
    if (auto hint = detail::ParseRetryAfterMs(*ms)) return hint;
  }
  const std::string* header = response.Header("retry-after");
  if (header == nullptr) return std::nullopt;
  return detail::ParseRetryAfter(*header, now);
}

/// Why NextRetry() said no.
enum class NoRetryReason {
  kNone,               ///< It said yes.
  kNotRetryable,       ///< ShouldRetry() is false for the outcome.
  kAttemptsExhausted,  ///< `max_retries` retries have been sent already.
  kHintTooLong,        ///< The server asked for a wait above `max_retry_after`.
  kBudgetExhausted,    ///< The RetryBudget does not allow a retry.
  kPastDeadline,       ///< now + delay would reach the call's deadline.
};

/// "none", "not_retryable", "attempts_exhausted", "hint_too_long", "budget_exhausted" or
/// "past_deadline" (for logs and metric labels).
constexpr std::string_view ToString(NoRetryReason reason) noexcept {
  switch (reason) {
    case NoRetryReason::kNone:
      return "none";
    case NoRetryReason::kNotRetryable:
      return "not_retryable";
    case NoRetryReason::kAttemptsExhausted:
      return "attempts_exhausted";
    case NoRetryReason::kHintTooLong:
      return "hint_too_long";
    case NoRetryReason::kBudgetExhausted:
      return "budget_exhausted";
    case NoRetryReason::kPastDeadline:
      return "past_deadline";
  }
  return "none";
}

/// The answer of NextRetry().
struct RetryDecision {
  /// True: sleep `delay`, then send the next attempt.
  bool retry = false;
  /// How long to wait before the next attempt (meaningful when `retry`):
  /// max(BackoffDelay(...), server_hint).
  std::chrono::milliseconds delay{0};
  /// Why not, when `!retry`; kNone when `retry`.
  NoRetryReason reason = NoRetryReason::kNone;
  /// The server's hint (ServerRetryHint()), whatever the answer. When the client gives up and
  /// this is set, it puts it on the Error as `retry_after`, so the caller knows when to come
  /// back (DESIGN.md §4: a hint above max_retry_after or past the deadline stops retrying).
  std::optional<std::chrono::milliseconds> server_hint;
};

/// Whether and when to retry after attempt number `attempts` (1 for the first request) of a
/// call failed with `error` (and `response`, the attempt's HTTP response, or nullptr if it got
/// none). The checks, in the order whose first failure is reported:
/// 1. ShouldRetry(error, response), else kNotRetryable;
/// 2. attempts ≤ config.max_retries, else kAttemptsExhausted;
/// 3. the server hint, if any, ≤ config.max_retry_after, else kHintTooLong;
/// 4. `budget` (nullptr: none) CanRetry(), else kBudgetExhausted;
/// 5. now + delay < deadline, else kPastDeadline;
/// where delay = max(BackoffDelay(attempts, config, u01), hint): the hint is a floor that
/// jitter never shortens. `u01` is the caller's uniform random number in [0, 1), `now` the
/// steady time the decision is made, `wall_now` the system time for an HTTP-date hint.
///
/// HttpLlmClient asks this for every failure but a 429: a 429 goes back to its limiter's queue
/// (DESIGN.md §8) without a budget token, and `attempts` it passes counts the other failures
/// only, so max_retries is not spent on rate limiting. The checks here still hold for anyone
/// who asks about a 429.
///
/// Pure: it reads the budget but does not update it. The client calls `budget.OnFailure()` for
/// every retryable failure before asking (so the failure being retried counts, as in gRPC) and
/// `OnSuccess()` for every success; it consults the circuit breaker itself before sending the
/// retry.
///
/// Thread-safe; does not allocate.
inline RetryDecision NextRetry(int attempts, const Config& config, const Error& error,
                               const HttpResponse* response, double u01,
                               std::chrono::steady_clock::time_point now,
                               std::chrono::system_clock::time_point wall_now,
                               std::chrono::steady_clock::time_point deadline,
                               const RetryBudget* budget) noexcept {
  RetryDecision decision;
  if (response != nullptr) decision.server_hint = ServerRetryHint(*response, wall_now);
  auto no = [&decision](NoRetryReason reason) {
    decision.reason = reason;
    return decision;
  };
  if (!ShouldRetry(error, response)) return no(NoRetryReason::kNotRetryable);
  if (attempts > config.max_retries) return no(NoRetryReason::kAttemptsExhausted);
  if (decision.server_hint && *decision.server_hint > config.max_retry_after) {
    return no(NoRetryReason::kHintTooLong);
  }
  if (budget != nullptr && !budget->CanRetry()) return no(NoRetryReason::kBudgetExhausted);
  const std::chrono::milliseconds delay =
      std::max(BackoffDelay(attempts, config, u01),
               decision.server_hint.value_or(std::chrono::milliseconds(0)));
  // delay ≥ deadline − now, compared without converting delay to nanoseconds (which could
  // overflow): for whole milliseconds d, d ≥ r ⇔ d ≥ ⌈r⌉.
  if (deadline <= now || delay >= std::chrono::ceil<std::chrono::milliseconds>(deadline - now)) {
    return no(NoRetryReason::kPastDeadline);
  }
  decision.retry = true;
  decision.delay = delay;
  return decision;
}

}  // namespace alertllm
