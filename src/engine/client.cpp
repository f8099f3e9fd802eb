// SPDX-License-Identifier: Apache-2.0
#include "alertllm/client.hpp"

#include <spdlog/spdlog.h>

#include <prometheus/metric_family.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <new>
#include <random>
#include <stdexcept>
#include <string_view>

#include "alertllm/curl_transport.hpp"
#include "alertllm/errors.hpp"
#include "alertllm/fallback.hpp"
#include "alertllm/metrics.hpp"
#include "alertllm/version.hpp"
#include "codec/protocol.hpp"
#include "metrics/registry_mirror.hpp"
#include "util/text.hpp"

namespace alertllm {

namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

class SystemClientClock final : public ClientClock {
 public:
  SteadyTime SteadyNow() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point SystemNow() const override {
    return std::chrono::system_clock::now();
  }
  bool SleepFor(nanoseconds duration, const std::stop_token& stop) override {
    if (stop.stop_requested()) return false;
    if (duration <= nanoseconds::zero()) return true;
    // A mutex and condition variable per sleep: sleepers share nothing, and the stop_token's
    // callback wakes exactly this wait.
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    cv.wait_for(lock, stop, duration, [] { return false; });
    return !stop.stop_requested();
  }
};

double DefaultRandom() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

Config Checked(Config config) {
  if (Result<void> valid = Validate(config); !valid) {
    throw std::invalid_argument(valid.error().message);
  }
  return config;
}

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

// DESIGN.md §2 step 6: the fallback answers when the LLM could not — the breaker rejected the
// call, the server failed or was unreachable until retries ran out, or its answer was unusable.
// It does not when the caller gave up (kCancelled), when the request itself is at fault
// (kInvalidRequest, or a 4xx the server sent back: kClientError other than 408/409/429), when
// the configuration is (kInvalidConfig), nor for kUnknown (a bug, or the process out of
// memory): a rule-based answer would hide those from the caller.
bool FallsBack(const Error& error) noexcept {
  if (error.code == ErrorCode::kCircuitOpen || error.code == ErrorCode::kInvalidResponse) {
    return true;
  }
  return IsRetryableError(error);
}

std::string HttpErrorMessage(int status, std::string_view what, std::string_view body) {
  std::string message = "HTTP " + std::to_string(status) + " from " + std::string(what);
  if (!body.empty()) message += ": " + internal::Quote(body);
  return message;
}

milliseconds CeilMillis(nanoseconds d) {
  return std::chrono::ceil<milliseconds>(std::max(d, nanoseconds::zero()));
}

constexpr std::array<ErrorCode, 11> kErrorCodes = {
    ErrorCode::kCircuitOpen,  ErrorCode::kInvalidRequest, ErrorCode::kInvalidResponse,
    ErrorCode::kRateLimited,  ErrorCode::kServerError,    ErrorCode::kClientError,
    ErrorCode::kTimeout,      ErrorCode::kNetworkError,   ErrorCode::kCancelled,
    ErrorCode::kInvalidConfig, ErrorCode::kUnknown};
// Index 0 is "success"; 1 + the ErrorCode's value for the rest.
constexpr std::size_t kCategories = kErrorCodes.size() + 1;
constexpr std::array<Severity, 4> kSeverities = {Severity::kNoise, Severity::kInfo,
                                                 Severity::kWarning, Severity::kCritical};
// The values of Classification::source.
constexpr std::array<std::string_view, 3> kSources = {"llm", "cache", "fallback"};

}  // namespace

// The client's counters: written with relaxed atomics on the call path, read at scrape time.
struct HttpLlmClient::Metrics {
  std::array<std::atomic<std::uint64_t>, kCategories> requests{};
  std::atomic<std::uint64_t> attempts{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> budget_denials{0};
  std::array<std::atomic<std::uint64_t>, 10> attempt_buckets{};
  std::atomic<std::uint64_t> attempt_count{0};
  std::atomic<std::uint64_t> attempt_sum_ns{0};
  // [source][severity], in kSources and kSeverities order.
  std::array<std::array<std::atomic<std::uint64_t>, kSeverities.size()>, kSources.size()>
      classifications{};
  // By ErrorCode value: the error the fallback answered in place of.
  std::array<std::atomic<std::uint64_t>, kErrorCodes.size()> fallbacks{};

  // The call's real outcome, whether or not the fallback then answers.
  void Request(const Result<Classification>& result) noexcept {
    const std::size_t index =
        result.has_value() ? 0 : 1 + static_cast<std::size_t>(result.error().code);
    if (index < requests.size()) requests[index].fetch_add(1, std::memory_order_relaxed);
  }

  void Fallback(ErrorCode reason) noexcept {
    const auto index = static_cast<std::size_t>(reason);
    if (index < fallbacks.size()) fallbacks[index].fetch_add(1, std::memory_order_relaxed);
  }

  void Classified(const Classification& answer) noexcept {
    const auto severity = static_cast<std::size_t>(static_cast<int>(answer.severity) - 1);
    for (std::size_t source = 0; source < kSources.size(); ++source) {
      if (answer.source == kSources[source] && severity < kSeverities.size()) {
        classifications[source][severity].fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  void Attempt(nanoseconds duration) noexcept {
    attempts.fetch_add(1, std::memory_order_relaxed);
    const std::int64_t ns = std::max<std::int64_t>(duration.count(), 0);
    const double secs = static_cast<double>(ns) * 1e-9;
    std::size_t bucket = CallDurationHistogram::kBucketBoundsSeconds.size();
    for (std::size_t i = 0; i < CallDurationHistogram::kBucketBoundsSeconds.size(); ++i) {
      if (secs <= CallDurationHistogram::kBucketBoundsSeconds[i]) {
        bucket = i;
        break;
      }
    }
    attempt_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    attempt_sum_ns.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
    attempt_count.fetch_add(1, std::memory_order_relaxed);
  }
};

namespace {

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  return family;
}

prometheus::ClientMetric Counter(std::uint64_t value, const char* label = nullptr,
                                 std::string_view label_value = {}) {
  prometheus::ClientMetric metric;
  if (label != nullptr) metric.label.push_back({label, std::string(label_value)});
  metric.counter.value = static_cast<double>(value);
  return metric;
}

// The breaker's families followed by the client's.
template <typename MetricsT>
class ClientCollector final : public prometheus::Collectable {
 public:
  ClientCollector(std::shared_ptr<const MetricsT> metrics,
                  std::shared_ptr<prometheus::Collectable> breaker)
      : metrics_(std::move(metrics)), breaker_(std::move(breaker)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    using prometheus::MetricType;
    constexpr auto kRelaxed = std::memory_order_relaxed;
    std::vector<prometheus::MetricFamily> families = breaker_->Collect();
    const MetricsT& m = *metrics_;

    auto requests = Family("llm_client_requests_total",
                           "LLM classify calls by outcome category.", MetricType::Counter);
    requests.metric.push_back(Counter(m.requests[0].load(kRelaxed), "category", "success"));
    for (ErrorCode code : kErrorCodes) {
      const auto index = 1 + static_cast<std::size_t>(code);
      requests.metric.push_back(
          Counter(m.requests[index].load(kRelaxed), "category", ClassifyError(code)));
    }
    families.push_back(std::move(requests));

    auto attempts = Family("llm_client_attempts_total", "HTTP requests sent to the LLM endpoint.",
                           MetricType::Counter);
    attempts.metric.push_back(Counter(m.attempts.load(kRelaxed)));
    families.push_back(std::move(attempts));

    auto retries = Family("llm_client_retries_total",
                          "HTTP requests that retried a failed attempt.", MetricType::Counter);
    retries.metric.push_back(Counter(m.retries.load(kRelaxed)));
    families.push_back(std::move(retries));

    auto denials = Family("llm_client_retry_budget_denials_total",
                          "Retries refused because the retry budget was exhausted.",
                          MetricType::Counter);
    denials.metric.push_back(Counter(m.budget_denials.load(kRelaxed)));
    families.push_back(std::move(denials));

    auto duration = Family("llm_client_attempt_duration_seconds",
                           "Duration of each HTTP attempt to the LLM endpoint.",
                           MetricType::Histogram);
    prometheus::ClientMetric histogram;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < CallDurationHistogram::kBucketBoundsSeconds.size(); ++i) {
      cumulative += m.attempt_buckets[i].load(kRelaxed);
      histogram.histogram.bucket.push_back(
          {cumulative, CallDurationHistogram::kBucketBoundsSeconds[i]});
    }
    // The serializer writes +Inf from sample_count, so the count must cover every bucket.
    histogram.histogram.sample_count =
        cumulative + m.attempt_buckets[CallDurationHistogram::kBucketBoundsSeconds.size()].load(kRelaxed);
    histogram.histogram.sample_sum = static_cast<double>(m.attempt_sum_ns.load(kRelaxed)) * 1e-9;
    duration.metric.push_back(std::move(histogram));
    families.push_back(std::move(duration));

    auto classifications =
        Family("llm_client_classifications_total",
               "Classifications returned, by severity and source (llm, cache or fallback).",
               MetricType::Counter);
    for (std::size_t source = 0; source < kSources.size(); ++source) {
      for (std::size_t i = 0; i < kSeverities.size(); ++i) {
        prometheus::ClientMetric metric =
            Counter(m.classifications[source][i].load(kRelaxed), "severity",
                    ToString(kSeverities[i]));
        metric.label.push_back({"source", std::string(kSources[source])});
        classifications.metric.push_back(std::move(metric));
      }
    }
    families.push_back(std::move(classifications));

    auto fallbacks = Family("llm_client_fallbacks_total",
                            "Classifications answered by the rule-based fallback, by the error "
                            "category that made it answer.",
                            MetricType::Counter);
    for (ErrorCode code : kErrorCodes) {
      fallbacks.metric.push_back(Counter(m.fallbacks[static_cast<std::size_t>(code)].load(kRelaxed),
                                         "reason", ClassifyError(code)));
    }
    families.push_back(std::move(fallbacks));
    return families;
  }

 private:
  std::shared_ptr<const MetricsT> metrics_;
  std::shared_ptr<prometheus::Collectable> breaker_;
};

}  // namespace

std::shared_ptr<ClientClock> MakeSystemClientClock() {
  return std::make_shared<SystemClientClock>();
}

// Releases a breaker permit exactly once: Record() with the real outcome, or as ignored if the
// call leaves by an exception (so a half-open probe slot is never lost).
class HttpLlmClient::PermitGuard {
 public:
  explicit PermitGuard(CircuitBreaker& breaker) : breaker_(breaker) {}
  PermitGuard(const PermitGuard&) = delete;
  PermitGuard& operator=(const PermitGuard&) = delete;
  ~PermitGuard() {
    if (pending_) breaker_.Record(permit_, CallOutcome::kIgnored, nanoseconds::zero(), at_);
  }

  // Asks for a permit; true if admitted.
  bool Acquire(SteadyTime now) {
    permit_ = breaker_.Allow(now);
    pending_ = permit_.admitted;
    at_ = now;
    return permit_.admitted;
  }
  void Record(CallOutcome outcome, nanoseconds duration, SteadyTime now) {
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

HttpLlmClient::HttpLlmClient(Config config, std::shared_ptr<spdlog::logger> logger)
    : HttpLlmClient(std::move(config), ClientDependencies{nullptr, nullptr, {}, std::move(logger), nullptr}) {}

HttpLlmClient::HttpLlmClient(Config config, ClientDependencies dependencies)
    : config_(Checked(std::move(config))),
      transport_(std::move(dependencies.transport)),
      clock_(std::move(dependencies.clock)),
      random_(std::move(dependencies.random)),
      logger_(std::move(dependencies.logger)) {
  const std::string user_agent = std::string("alertllm/") + ALERTLLM_VERSION;
  if (!transport_) {
    CurlTransportOptions options;
    options.tls_verify = config_.tls_verify;
    options.ca_file = config_.ca_file;
    options.user_agent = user_agent;
    transport_ = MakeCurlTransport(std::move(options));
  }
  if (!clock_) clock_ = MakeSystemClientClock();
  if (!random_) random_ = DefaultRandom;

  breaker_ = std::make_shared<CircuitBreaker>(config_.circuit_breaker);
  if (logger_) {
    breaker_->AddListener([logger = logger_](const StateTransition& t) {
      const auto level = t.to == CircuitState::kOpen ? spdlog::level::warn : spdlog::level::info;
      logger->log(level, "alertllm: circuit breaker {} -> {} ({})", ToString(t.from),
                  ToString(t.to), t.reason);
    });
  }
  budget_ = std::make_unique<RetryBudget>(config_.retry_budget);

  CircuitBreakerMetricsOptions metrics_options;
  metrics_options.clock = [clock = clock_] { return clock->SteadyNow(); };
  metrics_ = std::make_shared<Metrics>();
  collector_ = std::make_shared<ClientCollector<Metrics>>(
      metrics_, std::make_shared<CircuitBreakerCollector>(breaker_, std::move(metrics_options)));
  if (dependencies.registry) {
    try {
      mirror_ = std::make_shared<internal::RegistryMirror>(collector_, dependencies.registry);
    } catch (const std::invalid_argument&) {
      throw;
    } catch (const std::exception& e) {
      // prometheus-cpp reports a name clash as std::invalid_argument or std::runtime_error.
      throw std::invalid_argument(std::string("registry: ") + e.what());
    }
  }

  headers_ = {{"Content-Type", "application/json"},
              {"Accept", "application/json"},
              {"User-Agent", user_agent}};
  if (!config_.api_key.empty()) headers_.emplace_back("Authorization", "Bearer " + config_.api_key);
  for (const auto& header : config_.extra_headers) headers_.push_back(header);
  // A model or prompt that is not UTF-8 leaves frame_ null: every call then gets the same
  // kInvalidRequest from EncodeClassifyRequest(alert, config) as before the frame existed.
  if (Result<internal::RequestFrame> frame = internal::MakeRequestFrame(config_)) {
    frame_ = std::make_shared<const internal::RequestFrame>(*std::move(frame));
  }
  classify_url_ = internal::JoinUrl(config_.base_url, internal::ClassifyPath(config_.protocol));
  health_url_ = internal::JoinUrl(config_.base_url, internal::HealthPath(config_.protocol));
}

HttpLlmClient::~HttpLlmClient() = default;

CircuitState HttpLlmClient::GetCircuitBreakerState() const {
  return breaker_->State(clock_->SteadyNow());
}

CircuitBreakerStats HttpLlmClient::GetCircuitBreakerStats() const {
  return breaker_->Stats(clock_->SteadyNow());
}

std::shared_ptr<prometheus::Collectable> HttpLlmClient::GetCollectable() const {
  return collector_;
}

SteadyTime HttpLlmClient::Deadline(const CallOptions& options) const {
  SteadyTime deadline = clock_->SteadyNow() + config_.call_timeout;
  if (options.deadline && *options.deadline < deadline) deadline = *options.deadline;
  return deadline;
}

// A server may echo request headers into an error body; the key never leaves in a message.
std::string HttpLlmClient::Redact(std::string message) const {
  if (config_.api_key.empty()) return message;
  for (std::size_t at = message.find(config_.api_key); at != std::string::npos;
       at = message.find(config_.api_key, at + 3)) {
    message.replace(at, config_.api_key.size(), "***");
  }
  return message;
}

void HttpLlmClient::LogFailure(const Error& error, bool fell_back) {
  if (!logger_) return;
  const std::int64_t now_ns = clock_->SteadyNow().time_since_epoch().count();
  std::int64_t next = next_failure_log_ns_.load(std::memory_order_relaxed);
  // At most one line per second per client: an outage must not flood the log.
  if (now_ns < next || !next_failure_log_ns_.compare_exchange_strong(
                           next, now_ns + 1'000'000'000, std::memory_order_relaxed)) {
    suppressed_failure_logs_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::uint64_t suppressed = suppressed_failure_logs_.exchange(0, std::memory_order_relaxed);
  logger_->warn("alertllm: classify failed: {} ({}) after {} attempt(s): {}{}{}",
                ClassifyError(error), error.http_status, error.attempts, error.message,
                fell_back ? "; answered by the fallback rules" : "",
                suppressed > 0 ? " (" + std::to_string(suppressed) + " similar lines suppressed)"
                               : std::string());
}

Result<Classification> HttpLlmClient::ClassifyAlert(const Alert& alert,
                                                    const CallOptions& options) {
  try {
    Result<Classification> result = Classify(alert, options);
    metrics_->Request(result);
    if (!result) {
      Error& error = result.error();
      error.message = Redact(std::move(error.message));
      const bool fall_back = config_.fallback == FallbackMode::kRules && FallsBack(error);
      if (error.code != ErrorCode::kCircuitOpen && error.code != ErrorCode::kCancelled) {
        LogFailure(error, fall_back);
      }
      if (fall_back) {
        metrics_->Fallback(error.code);
        Classification answer = RuleBasedClassifier{}.Classify(alert);
        answer.attempts = error.attempts;
        answer.fallback_reason = std::string(ClassifyError(error)) + ": " + error.message;
        result = Result<Classification>(std::move(answer));
      }
    }
    if (result) metrics_->Classified(*result);
    if (mirror_) mirror_->Sync();
    return result;
  } catch (const std::bad_alloc&) {
    return Error{ErrorCode::kUnknown, "out of memory"};
  } catch (const std::exception& e) {
    return Error{ErrorCode::kUnknown, Redact("unexpected exception: " + internal::Clip(e.what()))};
  } catch (...) {
    return Error{ErrorCode::kUnknown, "unexpected exception"};
  }
}

Result<Classification> HttpLlmClient::Classify(const Alert& input, const CallOptions& options) {
  const SteadyTime deadline = Deadline(options);
  const std::stop_token& stop = options.stop_token;
  if (stop.stop_requested()) return Error{ErrorCode::kCancelled, "call cancelled"};

  PermitGuard guard(*breaker_);
  SteadyTime now = clock_->SteadyNow();
  if (!guard.Acquire(now)) {
    // DESIGN.md §2: a rejection allocates nothing (the message fits the small-string buffer)
    // and logs nothing above debug.
    if (logger_) logger_->debug("alertllm: call rejected, circuit breaker open");
    return Error{ErrorCode::kCircuitOpen, "circuit open", 0,
                 CeilMillis(guard.permit().retry_after), 0};
  }

  const Alert* alert = &input;
  Alert with_fingerprint;
  if (input.fingerprint.empty()) {
    with_fingerprint = input;
    with_fingerprint.fingerprint = Fingerprint(input.labels);
    alert = &with_fingerprint;
  }

  Result<std::string> body =
      frame_ ? internal::EncodeClassifyRequest(*alert, *frame_, config_.max_request_bytes)
             : internal::EncodeClassifyRequest(*alert, config_, config_.max_request_bytes);
  if (!body) {
    guard.Record(CallOutcome::kIgnored, nanoseconds::zero(), now);
    return std::move(body).error();
  }
  // Built once: every attempt sends these very bytes; only the timeout changes.
  HttpRequest request;
  request.method = "POST";
  request.url = classify_url_;
  request.headers = headers_;
  request.body = std::move(*body);
  request.connect_timeout = config_.connect_timeout;
  request.max_response_bytes = config_.max_response_bytes;

  const bool per_attempt = config_.circuit_breaker.record == RecordMode::kPerAttempt;
  int attempts = 0;
  CallOutcome last_outcome = CallOutcome::kIgnored;
  nanoseconds last_duration{0};
  Error last_error;

  auto cancelled = [&](SteadyTime at) -> Error {
    guard.Record(CallOutcome::kIgnored, nanoseconds::zero(), at);
    return Error{ErrorCode::kCancelled, "call cancelled", last_error.http_status, std::nullopt,
                 attempts};
  };
  auto give_up = [&](Error error, SteadyTime at) -> Error {
    guard.Record(last_outcome, last_duration, at);
    error.attempts = attempts;
    return error;
  };

  for (;;) {
    now = clock_->SteadyNow();
    if (stop.stop_requested()) return cancelled(now);
    const nanoseconds remaining = deadline - now;
    const milliseconds attempt_timeout =
        std::min(config_.timeout, std::chrono::floor<milliseconds>(remaining));
    if (attempt_timeout <= milliseconds::zero()) {
      if (attempts == 0) {
        // Nothing was sent: the deadline is the caller's, not the server's doing.
        guard.Record(CallOutcome::kIgnored, nanoseconds::zero(), now);
        return Error{ErrorCode::kTimeout, "call deadline exceeded before the first attempt"};
      }
      // Per attempt, the permit in hand (taken after the sleep) was never used.
      if (per_attempt) guard.Record(CallOutcome::kIgnored, nanoseconds::zero(), now);
      Error error = last_error;
      error.code = ErrorCode::kTimeout;
      error.message = "call deadline exceeded; last attempt: " + last_error.message;
      return give_up(std::move(error), now);
    }
    request.timeout = attempt_timeout;

    const SteadyTime attempt_start = clock_->SteadyNow();
    Result<HttpResponse> sent = transport_->Send(request, stop);
    const SteadyTime attempt_end = clock_->SteadyNow();
    ++attempts;
    last_duration = attempt_end - attempt_start;
    metrics_->Attempt(last_duration);
    if (attempts > 1) metrics_->retries.fetch_add(1, std::memory_order_relaxed);

    const HttpResponse* response = sent ? &*sent : nullptr;
    std::optional<Classification> answer;
    if (!sent) {
      last_error = sent.error();
    } else if (sent->status >= 200 && sent->status < 300) {
      Result<Classification> decoded =
          internal::DecodeClassifyResponse(config_.protocol, sent->body, config_.max_response_bytes);
      if (decoded) {
        answer = std::move(*decoded);
      } else {
        last_error = std::move(decoded).error();
        last_error.http_status = sent->status;
      }
    } else {
      last_error = Error{ErrorCodeForHttpStatus(sent->status),
                         HttpErrorMessage(sent->status, internal::ClassifyPath(config_.protocol),
                                          sent->body),
                         sent->status};
    }

    if (!answer && last_error.code == ErrorCode::kCancelled) return cancelled(attempt_end);

    last_outcome = answer ? CallOutcome::kSuccess : OutcomeOf(last_error);
    if (per_attempt) guard.Record(last_outcome, last_duration, attempt_end);

    if (answer) {
      budget_->OnSuccess();
      guard.Record(CallOutcome::kSuccess, last_duration, attempt_end);
      answer->attempts = attempts;
      answer->source = "llm";
      if (answer->request_id.empty()) {
        if (const std::string* id = sent->Header("x-request-id"); id != nullptr) {
          answer->request_id = *id;
        }
      }
      return std::move(*answer);
    }

    if (ShouldRetry(last_error, response)) budget_->OnFailure();
    const RetryDecision decision =
        NextRetry(attempts, config_, last_error, response, random_(), attempt_end,
                  clock_->SystemNow(), deadline, budget_.get());
    if (decision.server_hint) last_error.retry_after = decision.server_hint;
    if (!decision.retry) {
      if (decision.reason == NoRetryReason::kBudgetExhausted) {
        metrics_->budget_denials.fetch_add(1, std::memory_order_relaxed);
      }
      if (logger_ && decision.reason != NoRetryReason::kNotRetryable) {
        logger_->debug("alertllm: not retrying after attempt {}: {}", attempts,
                       ToString(decision.reason));
      }
      return give_up(last_error, attempt_end);
    }
    // An open breaker ends the loop before the sleep: no further request while it is open.
    if (breaker_->State(attempt_end) == CircuitState::kOpen) {
      if (!last_error.retry_after) {
        const SteadyTime next = breaker_->Stats(attempt_end).next_retry_at;
        last_error.retry_after = next == SteadyTime::max()
                                     ? config_.circuit_breaker.reset_timeout
                                     : CeilMillis(next - attempt_end);
      }
      return give_up(last_error, attempt_end);
    }
    if (logger_) {
      logger_->debug("alertllm: attempt {} failed ({}), retrying in {} ms", attempts,
                     ClassifyError(last_error), decision.delay.count());
    }
    if (!clock_->SleepFor(decision.delay, stop)) return cancelled(clock_->SteadyNow());
    if (per_attempt) {
      now = clock_->SteadyNow();
      if (!guard.Acquire(now)) {
        if (!last_error.retry_after) last_error.retry_after = CeilMillis(guard.permit().retry_after);
        last_error.attempts = attempts;
        return last_error;
      }
    }
  }
}

Result<void> HttpLlmClient::Health(const CallOptions& options) {
  try {
    if (options.stop_token.stop_requested()) return Error{ErrorCode::kCancelled, "call cancelled"};
    const SteadyTime deadline = Deadline(options);
    const milliseconds timeout = std::min(
        config_.timeout, std::chrono::floor<milliseconds>(deadline - clock_->SteadyNow()));
    if (timeout <= milliseconds::zero()) return Error{ErrorCode::kTimeout, "call deadline exceeded"};
    HttpRequest request;
    request.method = "GET";
    request.url = health_url_;
    for (const auto& header : headers_) {
      if (header.first != "Content-Type") request.headers.push_back(header);
    }
    request.timeout = timeout;
    request.connect_timeout = config_.connect_timeout;
    request.max_response_bytes = config_.max_response_bytes;
    Result<HttpResponse> sent = transport_->Send(request, options.stop_token);
    if (!sent) {
      Error error = std::move(sent).error();
      error.message = Redact(std::move(error.message));
      error.attempts = 1;
      return error;
    }
    if (sent->status >= 200 && sent->status < 300) return {};
    return Error{ErrorCodeForHttpStatus(sent->status),
                 Redact(HttpErrorMessage(sent->status, internal::HealthPath(config_.protocol),
                                         sent->body)),
                 sent->status, std::nullopt, 1};
  } catch (const std::bad_alloc&) {
    return Error{ErrorCode::kUnknown, "out of memory"};
  } catch (const std::exception& e) {
    return Error{ErrorCode::kUnknown, Redact("unexpected exception: " + internal::Clip(e.what()))};
  } catch (...) {
    return Error{ErrorCode::kUnknown, "unexpected exception"};
  }
}

}  // namespace alertllm
