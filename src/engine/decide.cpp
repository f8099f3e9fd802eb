// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §2 steps 5–7 for one attempt's answer: what it means (§3), whether and when to try
// again (§4, and §8 for a 429), and what the breaker records. Call (call.cpp) moves the call on.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "alertllm/errors.hpp"
#include "engine/attempt_outcome.hpp"
#include "engine/call.hpp"
#include "engine/client_impl.hpp"
#include "util/text.hpp"

namespace alertllm::internal {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

namespace {

milliseconds CeilMillis(nanoseconds d) {
  return std::chrono::ceil<milliseconds>(std::max(d, nanoseconds::zero()));
}

// A 2xx body that does not decode is quoted in the error: when it holds a secret, the error comes
// from decoding its scrubbed copy, so the excerpt is cut from text that holds none. A body
// only its scrubbing makes decodable keeps its own error (scrubbed in Finish).
Result<Classification> DecodeAnswer(const ClientState& client, std::string_view body) {
  const Config& config = client.config;
  Result<Classification> decoded =
      DecodeClassifyResponse(config.protocol, body, config.max_response_bytes);
  if (decoded) return decoded;
  const std::optional<std::string> scrubbed = client.scrubber.ScrubbedBody(body);
  if (!scrubbed) return decoded;
  Result<Classification> again =
      DecodeClassifyResponse(config.protocol, *scrubbed, config.max_response_bytes);
  return again ? std::move(decoded) : std::move(again);
}

}  // namespace

milliseconds Call::AttemptTimeout(SteadyTime now) const {
  return std::min(client_.config.timeout, std::chrono::floor<milliseconds>(deadline_ - now));
}

Error Call::Cancelled(SteadyTime at) {
  guard_.Record(CallOutcome::kIgnored, nanoseconds::zero(), at);
  return Error{ErrorCode::kCancelled, "call cancelled", last_error_.http_status, std::nullopt,
               attempts_};
}

Error Call::GiveUp(Error error, SteadyTime at) {
  guard_.Record(last_outcome_, last_duration_, at);
  error.attempts = attempts_;
  return error;
}

Error Call::DeadlinePassed(SteadyTime now) {
  if (attempts_ == 0) {
    // Nothing was sent: the deadline is the caller's, not the server's doing.
    guard_.Record(CallOutcome::kIgnored, nanoseconds::zero(), now);
    return Error{ErrorCode::kTimeout, "call deadline exceeded before the first attempt"};
  }
  // Per attempt, the permit in hand (taken after the sleep) was never used.
  if (per_attempt_) guard_.Record(CallOutcome::kIgnored, nanoseconds::zero(), now);
  Error error = last_error_;
  error.code = ErrorCode::kTimeout;
  error.message = "call deadline exceeded; last attempt: " + last_error_.message;
  return GiveUp(std::move(error), now);
}

// The limiter ended the call (queue full, deadline passed in the queue) or the caller gave up
// while it waited. No request was sent for this attempt: it is ignored, as one the deadline
// stopped; earlier attempts count as they would have.
Error Call::Refused(Error error) {
  const SteadyTime now = client_.clock->SteadyNow();
  if (per_attempt_) guard_.Record(CallOutcome::kIgnored, nanoseconds::zero(), now);
  if (client_.logger) client_.logger->debug("alertllm: {}", error.message);
  return GiveUp(std::move(error), now);
}

// The answer of a 2xx that decodes; otherwise last_error_ says what went wrong.
std::optional<Classification> Call::Interpret(const Result<HttpResponse>& sent) {
  if (!sent) {
    last_error_ = sent.error();
    return std::nullopt;
  }
  const Config& config = client_.config;
  if (sent->status >= 200 && sent->status < 300) {
    Result<Classification> decoded = DecodeAnswer(client_, sent->body);
    if (decoded) return std::move(*decoded);
    last_error_ = std::move(decoded).error();
    last_error_.http_status = sent->status;
    return std::nullopt;
  }
  last_error_ = Error{
      ErrorCodeForHttpStatus(sent->status),
      HttpErrorMessage(sent->status, ClassifyPath(config.protocol), sent->body, client_.scrubber),
      sent->status};
  return std::nullopt;
}

Classification Call::Succeed(Classification answer, const HttpResponse& response, SteadyTime end) {
  client_.budget->OnSuccess();
  guard_.Record(CallOutcome::kSuccess, last_duration_, end);
  answer.attempts = attempts_;
  answer.source = "llm";
  if (answer.request_id.empty()) {
    if (const std::string* id = response.Header("x-request-id"); id != nullptr) {
      answer.request_id = *id;
    }
  }
  return answer;
}

// DESIGN.md §8: a 429's hint (within max_retry_after) pauses every call's sending, not only
// this one's, and holds the limit's growth for as long again after the pause: a probe above
// the provider's quota right after it would cost everyone the same pause once more. Returns
// the hint, whatever it is.
std::optional<milliseconds> Call::PauseSending(const HttpResponse& response, SteadyTime end) {
  std::optional<milliseconds> hint = ServerRetryHint(response, client_.clock->SystemNow());
  if (hint && *hint > milliseconds::zero() && *hint <= client_.config.max_retry_after) {
    client_.gate->PauseUntil(end + *hint, end + 2 * *hint);
    if (client_.counters != nullptr) client_.counters->Limited(LimitReason::kRetryAfter);
  }
  return hint;
}

// DESIGN.md §3, §4, §8: a 429 (quota aside) goes back to the queue for as long as the deadline
// allows, spending neither a retry nor a budget token. With a hint, the pause PauseSending set
// is the wait (the queue holds the call); without one, the call backs off as after its
// (consecutive 429s)-th failure, then queues again.
std::optional<Error> Call::Requeue(const HttpResponse& response, SteadyTime end,
                                   milliseconds& delay) {
  const std::optional<milliseconds>& hint = last_hint_;
  ++rate_limited_;
  ++consecutive_429_;
  if (!ShouldRetry(last_error_, &response)) return GiveUp(last_error_, end);
  const Config& config = client_.config;
  if (hint && *hint > config.max_retry_after) {
    last_error_.retry_after = hint;
    last_error_.message += "; not retried: Retry-After " + std::to_string(hint->count()) +
                           " ms is above max_retry_after";
    return GiveUp(last_error_, end);
  }
  // A hint of 0 paused nothing: the call backs off instead, or a server answering every
  // request with "Retry-After: 0" would get them back to back until the deadline.
  const bool paused = hint && *hint > milliseconds::zero();
  delay = paused ? milliseconds::zero() : BackoffDelay(consecutive_429_, config, client_.random());
  const milliseconds wait = paused ? *hint : delay;
  if (end + wait >= deadline_) {
    last_error_.retry_after = wait;
    last_error_.message += "; not retried: the wait of " + std::to_string(wait.count()) +
                           " ms would end past the call deadline";
    return GiveUp(last_error_, end);
  }
  if (std::optional<Error> open = StopIfBreakerOpen(end)) return open;
  if (client_.logger) {
    client_.logger->debug("alertllm: attempt {} rate limited (429), queueing again in {} ms",
                          attempts_, wait.count());
  }
  return std::nullopt;
}

// DESIGN.md §4: whether to retry after a failed attempt and after which delay. 429s are not
// failures here: they count neither as attempts against max_retries nor in the backoff.
std::optional<Error> Call::Decide(const HttpResponse* response, SteadyTime end,
                                  milliseconds& delay) {
  consecutive_429_ = 0;
  if (ShouldRetry(last_error_, response)) client_.budget->OnFailure();
  const RetryDecision decision =
      NextRetry(attempts_ - rate_limited_, client_.config, last_error_, response, client_.random(),
                end, client_.clock->SystemNow(), deadline_, client_.budget.get());
  if (decision.server_hint) last_error_.retry_after = decision.server_hint;
  const std::shared_ptr<spdlog::logger>& logger = client_.logger;
  if (!decision.retry) {
    if (decision.reason == NoRetryReason::kBudgetExhausted && client_.counters != nullptr) {
      client_.counters->BudgetDenial();
    }
    if (logger && decision.reason != NoRetryReason::kNotRetryable) {
      logger->debug("alertllm: not retrying after attempt {}: {}", attempts_,
                    ToString(decision.reason));
    }
    return GiveUp(last_error_, end);
  }
  if (std::optional<Error> open = StopIfBreakerOpen(end)) return open;
  if (logger) {
    logger->debug("alertllm: attempt {} failed ({}), retrying in {} ms", attempts_,
                  ClassifyError(last_error_), decision.delay.count());
  }
  delay = decision.delay;
  return std::nullopt;
}

// An open breaker ends the loop before the sleep: no further request while it is open.
std::optional<Error> Call::StopIfBreakerOpen(SteadyTime end) {
  if (client_.breaker->State(end) != CircuitState::kOpen) return std::nullopt;
  if (!last_error_.retry_after) {
    const SteadyTime next = client_.breaker->Stats(end).next_retry_at;
    last_error_.retry_after = next == SteadyTime::max()
                                  ? client_.config.circuit_breaker.reset_timeout
                                  : CeilMillis(next - end);
  }
  return GiveUp(last_error_, end);
}

// Per attempt, a new permit for the next one.
std::optional<Error> Call::NextPermit() {
  if (!per_attempt_) return std::nullopt;
  if (!guard_.Acquire(client_.clock->SteadyNow())) {
    if (!last_error_.retry_after) last_error_.retry_after = CeilMillis(guard_.permit().retry_after);
    last_error_.attempts = attempts_;
    return last_error_;
  }
  return std::nullopt;
}

}  // namespace alertllm::internal
