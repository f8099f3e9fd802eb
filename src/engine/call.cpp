// SPDX-License-Identifier: Apache-2.0
// One ClassifyAlert call through DESIGN.md §2: breaker admission, encode once, then attempts
// until an answer, a decision not to retry, the deadline or cancellation.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "alertllm/errors.hpp"
#include "engine/client_impl.hpp"
#include "engine/permit_guard.hpp"
#include "util/text.hpp"

namespace alertllm {

namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

// DESIGN.md §3: what an attempt's error means for the breaker. 5xx, 408 (kTimeout), 429,
// network errors, timeouts and invalid answers are the server's fault; a caller's cancellation,
// a 4xx it earned (409 included: retryable, but a conflict is not an outage) and a request we
// could not build are not held against it. Anything unclassified (kUnknown: a 3xx, a transport
// that could not start) is ignored too rather than counted either way.
CallOutcome OutcomeOf(const Error& error) noexcept {
  switch (error.code) {
    case ErrorCode::kServerError:
    case ErrorCode::kTimeout:
    case ErrorCode::kRateLimited:
    case ErrorCode::kNetworkError:
    case ErrorCode::kInvalidResponse:
      return CallOutcome::kFailure;
    default:
      return CallOutcome::kIgnored;
  }
}

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
  Error DeadlinePassed(SteadyTime now);
  std::optional<Classification> Interpret(const Result<HttpResponse>& sent);
  Classification Succeed(Classification answer, const HttpResponse& response, SteadyTime end);
  std::optional<Error> Decide(const HttpResponse* response, SteadyTime end, milliseconds& delay);
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
  int attempts_ = 0;
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

// Encodes the alert once (with its fingerprint computed if it has none): every attempt sends
// these very bytes; only the timeout changes.
Result<HttpRequest> Call::Prepare(const Alert& input, SteadyTime now) {
  const Alert* alert = &input;
  Alert with_fingerprint;
  if (input.fingerprint.empty()) {
    with_fingerprint = input;
    with_fingerprint.fingerprint = Fingerprint(input.labels);
    alert = &with_fingerprint;
  }
  const Config& config = client_.config;
  Result<std::string> body =
      client_.frame
          ? internal::EncodeClassifyRequest(*alert, *client_.frame, config.max_request_bytes)
          : internal::EncodeClassifyRequest(*alert, config, config.max_request_bytes);
  if (!body) {
    guard_.Record(CallOutcome::kIgnored, nanoseconds::zero(), now);
    return std::move(body).error();
  }
  HttpRequest request;
  request.method = "POST";
  request.url = client_.classify_url;
  request.headers = client_.headers;
  request.body = std::move(*body);
  request.connect_timeout = config.connect_timeout;
  request.max_response_bytes = config.max_response_bytes;
  return request;
}

Result<Classification> Call::Attempts(HttpRequest& request) {
  for (;;) {
    const SteadyTime now = client_.clock->SteadyNow();
    if (stop_.stop_requested()) return Cancelled(now);
    const nanoseconds remaining = deadline_ - now;
    const milliseconds attempt_timeout =
        std::min(client_.config.timeout, std::chrono::floor<milliseconds>(remaining));
    if (attempt_timeout <= milliseconds::zero()) return DeadlinePassed(now);
    request.timeout = attempt_timeout;

    const SteadyTime attempt_start = client_.clock->SteadyNow();
    Result<HttpResponse> sent = client_.transport->Send(request, stop_);
    const SteadyTime attempt_end = client_.clock->SteadyNow();
    ++attempts_;
    last_duration_ = attempt_end - attempt_start;
    if (internal::ClientMetrics* counters = client_.counters) {
      counters->Attempt(last_duration_);
      if (attempts_ > 1) counters->Retry();
    }

    std::optional<Classification> answer = Interpret(sent);
    if (!answer && last_error_.code == ErrorCode::kCancelled) return Cancelled(attempt_end);

    last_outcome_ = answer ? CallOutcome::kSuccess : OutcomeOf(last_error_);
    if (per_attempt_) guard_.Record(last_outcome_, last_duration_, attempt_end);
    if (answer) return Succeed(std::move(*answer), *sent, attempt_end);

    milliseconds delay{0};
    if (std::optional<Error> end = Decide(sent ? &*sent : nullptr, attempt_end, delay)) {
      return *std::move(end);
    }
    if (std::optional<Error> end = Wait(delay)) return *std::move(end);
  }
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

// DESIGN.md §4: whether to retry after a failed attempt and after which delay.
std::optional<Error> Call::Decide(const HttpResponse* response, SteadyTime end,
                                  milliseconds& delay) {
  if (ShouldRetry(last_error_, response)) client_.budget->OnFailure();
  const RetryDecision decision =
      NextRetry(attempts_, client_.config, last_error_, response, client_.random(), end,
                client_.clock->SystemNow(), deadline_, client_.budget.get());
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
  // An open breaker ends the loop before the sleep: no further request while it is open.
  if (client_.breaker->State(end) == CircuitState::kOpen) {
    if (!last_error_.retry_after) {
      const SteadyTime next = client_.breaker->Stats(end).next_retry_at;
      last_error_.retry_after = next == SteadyTime::max()
                                    ? client_.config.circuit_breaker.reset_timeout
                                    : CeilMillis(next - end);
    }
    return GiveUp(last_error_, end);
  }
  if (logger) {
    logger->debug("alertllm: attempt {} failed ({}), retrying in {} ms", attempts_,
                  ClassifyError(last_error_), decision.delay.count());
  }
  delay = decision.delay;
  return std::nullopt;
}

// The sleep before the next attempt, and per attempt, a new permit for it.
std::optional<Error> Call::Wait(milliseconds delay) {
  if (!client_.clock->SleepFor(delay, stop_)) return Cancelled(client_.clock->SteadyNow());
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
