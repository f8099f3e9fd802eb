// SPDX-License-Identifier: Apache-2.0
// One ClassifyAlert call through DESIGN.md §2: breaker admission, encode once, then attempts
// until an answer, a decision not to retry, the deadline or cancellation.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "alertllm/errors.hpp"
#include "engine/attempt_outcome.hpp"
#include "engine/client_impl.hpp"
#include "engine/permit_guard.hpp"
#include "util/text.hpp"

namespace alertllm {

namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using SteadyTime = std::chrono::steady_clock::time_point;
using internal::OutcomeOf;
using internal::OutOfQuota;
using internal::SignalOf;
using internal::SlotGate;

milliseconds CeilMillis(nanoseconds d) {
  return std::chrono::ceil<milliseconds>(std::max(d, nanoseconds::zero()));
}

// One call's state between its stages. Each stage that can end the call returns the Error it
// ends with; std::nullopt means "go on".
class Call {
 public:
  Call(internal::ClientState& client, const CallOptions& options)
      : client_(client),
        stop_(options.stop_token),
        deadline_(client.Deadline(options)),
        per_attempt_(client.config.circuit_breaker.record == RecordMode::kPerAttempt),
        guard_(*client.breaker) {}

  Result<Classification> Run(const Alert& input);

 private:
  Result<HttpRequest> Prepare(const Alert& input, SteadyTime now);
  Result<Classification> Attempts(HttpRequest& request);
  milliseconds AttemptTimeout(SteadyTime now) const {
    return std::min(client_.config.timeout, std::chrono::floor<milliseconds>(deadline_ - now));
  }
  Result<HttpResponse> Send(HttpRequest& request, SlotGate::Slot& slot);
  Error DeadlinePassed(SteadyTime now);
  Error Refused(Error error);
  std::optional<Classification> Interpret(const Result<HttpResponse>& sent);
  Classification Succeed(Classification answer, const HttpResponse& response, SteadyTime end);
  std::optional<milliseconds> PauseSending(const HttpResponse& response, SteadyTime end);
  std::optional<Error> Requeue(const HttpResponse& response, std::optional<milliseconds> hint,
                               SteadyTime end, milliseconds& delay);
  std::optional<Error> Decide(const HttpResponse* response, SteadyTime end, milliseconds& delay);
  std::optional<Error> StopIfBreakerOpen(SteadyTime end);
  std::optional<Error> Wait(milliseconds delay);

  Error Cancelled(SteadyTime at) {
    guard_.Record(CallOutcome::kIgnored, nanoseconds::zero(), at);
    return Error{ErrorCode::kCancelled, "call cancelled", last_error_.http_status, std::nullopt,
                 attempts_};
  }
  Error GiveUp(Error error, SteadyTime at) {
    guard_.Record(last_outcome_, last_duration_, at);
    error.attempts = attempts_;
    return error;
  }

  internal::ClientState& client_;
  const std::stop_token& stop_;
  const SteadyTime deadline_;
  const bool per_attempt_;
  internal::PermitGuard guard_;
  int attempts_ = 0;         // requests sent, 429s included
  int rate_limited_ = 0;     // of which 429s: they spend no retry (max_retries counts the rest)
  int consecutive_429_ = 0;  // the backoff exponent of a 429 without a hint
  std::optional<milliseconds> last_hint_;  // the last 429's Retry-After
  CallOutcome last_outcome_ = CallOutcome::kIgnored;
  nanoseconds last_duration_{0};
  Error last_error_;
};

Result<Classification> Call::Run(const Alert& input) {
  if (stop_.stop_requested()) return Error{ErrorCode::kCancelled, "call cancelled"};
  const SteadyTime now = client_.clock->SteadyNow();
  if (!guard_.Acquire(now)) {
    // DESIGN.md §2: a rejection allocates nothing (the message fits the small-string buffer)
    // and logs nothing above debug.
    if (client_.logger) client_.logger->debug("alertllm: call rejected, circuit breaker open");
    return Error{ErrorCode::kCircuitOpen, "circuit open", 0,
                 CeilMillis(guard_.permit().retry_after), 0};
  }
  Result<HttpRequest> request = Prepare(input, now);
  if (!request) return std::move(request).error();
  return Attempts(*request);
}

// The request every attempt replays (encode.cpp).
Result<HttpRequest> Call::Prepare(const Alert& input, SteadyTime now) {
  Result<HttpRequest> request = client_.EncodeRequest(input);
  // A request we could not build is nobody's fault on the server's side.
  if (!request) guard_.Record(CallOutcome::kIgnored, nanoseconds::zero(), now);
  return request;
}

Result<Classification> Call::Attempts(HttpRequest& request) {
  for (;;) {
    const SteadyTime now = client_.clock->SteadyNow();
    if (stop_.stop_requested()) return Cancelled(now);
    if (AttemptTimeout(now) <= milliseconds::zero()) return DeadlinePassed(now);
    // DESIGN.md §2 step 2, per attempt: a slot is held only while a request is in flight, so a
    // call sleeping between attempts does not keep another from sending.
    Result<SlotGate::Slot> slot = client_.gate->Acquire(deadline_, stop_, *client_.clock);
    if (!slot) return Refused(std::move(slot).error());
    // The attempt's timeout is what remains once the slot is in hand, not before the wait.
    request.timeout = AttemptTimeout(client_.clock->SteadyNow());
    if (request.timeout <= milliseconds::zero()) {
      slot->Release(SlotGate::Signal::kNeutral);
      return DeadlinePassed(client_.clock->SteadyNow());
    }
    Result<HttpResponse> sent = Send(request, *slot);
    const SteadyTime attempt_end = client_.clock->SteadyNow();
    const HttpResponse* response = sent ? &*sent : nullptr;

    std::optional<Classification> answer = Interpret(sent);
    if (!answer && last_error_.code == ErrorCode::kCancelled) return Cancelled(attempt_end);

    const bool out_of_quota = OutOfQuota(response);
    last_outcome_ = answer ? CallOutcome::kSuccess : OutcomeOf(last_error_, out_of_quota);
    if (per_attempt_) guard_.Record(last_outcome_, last_duration_, attempt_end);
    if (answer) return Succeed(std::move(*answer), *sent, attempt_end);
    if (out_of_quota) {
      last_error_.message += " (insufficient_quota: not retried)";
      return GiveUp(last_error_, attempt_end);
    }

    milliseconds delay{0};
    std::optional<Error> end = response != nullptr && response->status == 429
                                   ? Requeue(*response, last_hint_, attempt_end, delay)
                                   : Decide(response, attempt_end, delay);
    if (end) return *std::move(end);
    if (std::optional<Error> ended = Wait(delay)) return *std::move(ended);
  }
}

// One request on the slot: sent, timed, counted, and the slot given back with what it taught.
// A 429's Retry-After pauses all sending before the slot is back, so no waiter slips through.
Result<HttpResponse> Call::Send(HttpRequest& request, SlotGate::Slot& slot) {
  const SteadyTime attempt_start = client_.clock->SteadyNow();
  Result<HttpResponse> sent = client_.transport->Send(request, stop_);
  const SteadyTime attempt_end = client_.clock->SteadyNow();
  last_hint_ = sent && sent->status == 429 && !OutOfQuota(&*sent) ? PauseSending(*sent, attempt_end)
                                                                  : std::nullopt;
  slot.Release(SignalOf(sent));
  ++attempts_;
  last_duration_ = attempt_end - attempt_start;
  if (internal::ClientMetrics* counters = client_.counters) {
    counters->Attempt(last_duration_);
    if (attempts_ > 1) counters->Retry();
  }
  return sent;
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
  if (error.code == ErrorCode::kCancelled) return Cancelled(now);
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
    Result<Classification> decoded =
        internal::DecodeClassifyResponse(config.protocol, sent->body, config.max_response_bytes);
    if (decoded) return std::move(*decoded);
    last_error_ = std::move(decoded).error();
    last_error_.http_status = sent->status;
    return std::nullopt;
  }
  last_error_ = Error{
      ErrorCodeForHttpStatus(sent->status),
      internal::HttpErrorMessage(sent->status, internal::ClassifyPath(config.protocol), sent->body),
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
    if (client_.counters != nullptr) client_.counters->Limited(internal::LimitReason::kRetryAfter);
  }
  return hint;
}

// DESIGN.md §3, §4, §8: a 429 (quota aside) goes back to the queue for as long as the deadline
// allows, spending neither a retry nor a budget token. With a hint, the pause PauseSending set
// is the wait (the queue holds the call); without one, the call backs off as after its
// (consecutive 429s)-th failure, then queues again.
std::optional<Error> Call::Requeue(const HttpResponse& response, std::optional<milliseconds> hint,
                                   SteadyTime end, milliseconds& delay) {
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

// The sleep before the next attempt, and per attempt, a new permit for it.
// No sleep at all when there is nothing to wait (a 429 whose hint paused the queue instead).
std::optional<Error> Call::Wait(milliseconds delay) {
  if (delay > milliseconds::zero() && !client_.clock->SleepFor(delay, stop_)) {
    return Cancelled(client_.clock->SteadyNow());
  }
  if (!per_attempt_) return std::nullopt;
  if (!guard_.Acquire(client_.clock->SteadyNow())) {
    if (!last_error_.retry_after) last_error_.retry_after = CeilMillis(guard_.permit().retry_after);
    last_error_.attempts = attempts_;
    return last_error_;
  }
  return std::nullopt;
}

}  // namespace

Result<Classification> internal::ClientState::Classify(const Alert& alert,
                                                       const CallOptions& options) {
  return Call(*this, options).Run(alert);
}

}  // namespace alertllm
