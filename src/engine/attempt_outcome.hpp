// SPDX-License-Identifier: Apache-2.0
#pragma once

// What one HTTP attempt's result means to the breaker (DESIGN.md §3) and to the limiter (§8):
// pure functions the engine (decide.cpp) applies to each attempt.
#include <string>

#include "alertllm/errors.hpp"
#include "alertllm/permit.hpp"
#include "alertllm/result.hpp"
#include "alertllm/transport.hpp"
#include "limiter/concurrency_limiter.hpp"

namespace alertllm::internal {

// DESIGN.md §3: what an attempt's error means for the breaker. 5xx, 408 (kTimeout), network
// errors, timeouts, invalid answers and an account out of quota are the server's fault; a 429
// otherwise is the server protecting itself (the limiter's business, not an outage), and a
// caller's cancellation, a 4xx it earned (409 included: retryable, but a conflict is not an
// outage) and a request we could not build are not held against it. Anything unclassified
// (kUnknown: a 3xx, a transport that could not start) is ignored too rather than counted either
// way.
inline CallOutcome OutcomeOf(const Error& error, bool out_of_quota) noexcept {
  if (out_of_quota) return CallOutcome::kFailure;
  switch (error.code) {
    case ErrorCode::kServerError:
    case ErrorCode::kTimeout:
    case ErrorCode::kNetworkError:
    case ErrorCode::kInvalidResponse:
      return CallOutcome::kFailure;
    default:
      return CallOutcome::kIgnored;
  }
}

// DESIGN.md §8: what an attempt teaches the limiter. Overload is a 429 or a timeout (a 408
// included); an answer, whatever its content, says the server kept up; the rest teaches nothing.
inline ConcurrencyLimiter::Signal SignalOf(const Result<HttpResponse>& sent) noexcept {
  if (!sent) {
    return sent.error().code == ErrorCode::kTimeout ? ConcurrencyLimiter::Signal::kOverload
                                                    : ConcurrencyLimiter::Signal::kNeutral;
  }
  if (sent->status >= 200 && sent->status < 300) return ConcurrencyLimiter::Signal::kSuccess;
  if (sent->status == 429) return ConcurrencyLimiter::Signal::kRejected;
  if (sent->status == 408) return ConcurrencyLimiter::Signal::kOverload;
  return ConcurrencyLimiter::Signal::kNeutral;
}

// A 429 that says the account has no quota left: nothing succeeds until a person acts, so it
// is a breaker failure and never retried, unlike every other 429.
inline bool OutOfQuota(const HttpResponse* response) noexcept {
  return response != nullptr && response->status == 429 &&
         response->body.find("insufficient_quota") != std::string::npos;
}

}  // namespace alertllm::internal
