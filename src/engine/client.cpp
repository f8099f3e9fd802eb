// SPDX-License-Identifier: Apache-2.0
// HttpLlmClient's public shell: construction, the never-throwing entry points, the fallback
// and Health. One call's stages are in call.cpp, the llm_client_* families in
// client_metrics.cpp.
#include "alertllm/client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <new>
#include <optional>
#include <random>
#include <stdexcept>
#include <string_view>

#include "alertllm/curl_transport.hpp"
#include "alertllm/detail/masked_url.hpp"
#include "alertllm/errors.hpp"
#include "alertllm/fallback.hpp"
#include "alertllm/metrics.hpp"
#include "alertllm/version.hpp"
#include "engine/client_impl.hpp"
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

// `done` must not throw (HttpLlmClient's contract); if it does, the exception stops here
// rather than ending the thread that called it.
void Deliver(const std::function<void(Result<Classification>)>& done,
             Result<Classification> result) {
  try {
    if (done) done(std::move(result));
  } catch (...) {
  }
}

std::shared_ptr<Transport> DefaultTransport(const Config& config, const std::string& user_agent) {
  CurlTransportOptions options;
  options.tls_verify = config.tls_verify;
  options.ca_file = config.ca_file;
  options.user_agent = user_agent;
  return MakeCurlTransport(std::move(options));
}

void LogTransitions(CircuitBreaker& breaker, std::shared_ptr<spdlog::logger> logger) {
  breaker.AddListener([logger = std::move(logger)](const StateTransition& t) {
    const auto level = t.to == CircuitState::kOpen ? spdlog::level::warn : spdlog::level::info;
    logger->log(level, "alertllm: circuit breaker {} -> {} ({})", ToString(t.from), ToString(t.to),
                t.reason);
  });
}

std::shared_ptr<internal::RegistryMirror> MakeMirror(
    std::shared_ptr<prometheus::Collectable> collector,
    std::shared_ptr<prometheus::Registry> registry) {
  try {
    return std::make_shared<internal::RegistryMirror>(std::move(collector), std::move(registry));
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {
    // prometheus-cpp reports a name clash as std::invalid_argument or std::runtime_error.
    throw std::invalid_argument(std::string("registry: ") + e.what());
  }
}

// Once per client, at construction: with verification off the key goes to whoever answers.
void WarnTlsUnverified(spdlog::logger& logger, std::string_view base_url) {
  logger.warn(
      "alertllm: tls_verify=false: the certificate and host name of {} are not verified; the "
      "API key and the alerts go to whoever answers",
      detail::MaskUrl(base_url));
}

// The limiter's gauges and refusals go to the client's metrics (none when they are off).
internal::SlotGate::Hooks GateHooks(internal::ClientMetrics* counters) {
  internal::SlotGate::Hooks hooks;
  if (counters == nullptr) return hooks;
  hooks.gauges = [counters](int limit, int in_flight, std::size_t queued) {
    counters->Limiter(limit, in_flight, queued);
  };
  hooks.refused = [counters](internal::SlotGate::Refusal refusal) {
    counters->Limited(refusal == internal::SlotGate::Refusal::kQueueFull
                          ? internal::LimitReason::kQueueFull
                          : internal::LimitReason::kDeadline);
  };
  return hooks;
}

}  // namespace

namespace internal {

std::string HttpErrorMessage(int status, std::string_view what, std::string_view body,
                             const SecretScrubber& scrubber) {
  std::string message = "HTTP " + std::to_string(status) + " from " + std::string(what);
  if (!body.empty()) message += ": " + internal::Quote(scrubber.ScrubBody(body));
  return message;
}

}  // namespace internal

std::shared_ptr<ClientClock> MakeSystemClientClock() {
  return std::make_shared<SystemClientClock>();
}

internal::ClientState::ClientState(Config checked, ClientDependencies dependencies)
    : config(std::move(checked)),
      transport(std::move(dependencies.transport)),
      clock(std::move(dependencies.clock)),
      random(std::move(dependencies.random)),
      logger(std::move(dependencies.logger)) {
  const std::string user_agent = std::string("alertllm/") + ALERTLLM_VERSION;
  if (!transport) transport = DefaultTransport(config, user_agent);
  const bool real_clock = !clock;
  if (!clock) clock = MakeSystemClientClock();
  if (!random) random = DefaultRandom;

  breaker = std::make_shared<CircuitBreaker>(config.circuit_breaker);
  if (logger) LogTransitions(*breaker, logger);
  if (logger && !config.tls_verify) WarnTlsUnverified(*logger, config.base_url);
  budget = std::make_unique<RetryBudget>(config.retry_budget);

  CircuitBreakerMetricsOptions metrics_options;
  metrics_options.clock = [clock = clock] { return clock->SteadyNow(); };
  metrics = std::make_shared<internal::ClientMetrics>(config);
  if (config.enable_metrics) counters = metrics.get();
  runtime = std::make_unique<internal::Runtime>(
      transport, clock, real_clock, static_cast<std::size_t>(config.concurrency.max_in_flight));
  // Before the mirror: its first copy must already see the limit gauge at max_in_flight.
  gate = std::make_unique<internal::SlotGate>(
      config.concurrency.max_in_flight, config.concurrency.adaptive, config.concurrency.max_queued,
      *runtime, *clock, GateHooks(counters));
  collector = internal::MakeClientCollector(
      metrics, std::make_shared<CircuitBreakerCollector>(breaker, std::move(metrics_options)),
      config.enable_metrics);
  if (dependencies.registry && config.enable_metrics) {
    mirror = MakeMirror(collector, std::move(dependencies.registry));
  }

  headers = {{"Content-Type", "application/json"},
             {"Accept", "application/json"},
             {"User-Agent", user_agent}};
  if (!config.api_key.empty()) headers.emplace_back("Authorization", "Bearer " + config.api_key);
  for (const auto& header : config.extra_headers) headers.push_back(header);
  // A model or prompt that is not UTF-8 leaves frame null: every call then gets the same
  // kInvalidRequest from EncodeClassifyRequest(alert, config) as before the frame existed.
  if (Result<internal::RequestFrame> made = internal::MakeRequestFrame(config)) {
    frame = std::make_shared<const internal::RequestFrame>(*std::move(made));
  }
  redactor = std::make_unique<const internal::Redactor>(config.redaction);
  classify_url = internal::JoinUrl(config.base_url, internal::ClassifyPath(config.protocol));
  health_url = internal::JoinUrl(config.base_url, internal::HealthPath(config.protocol));
  share = std::make_unique<internal::Share>(config);
}

// Every call still in flight ends (kCancelled) while everything it uses is there; then the
// runtime goes first: its workers stop, its loop runs what is posted and stops.
internal::ClientState::~ClientState() {
  closing = true;
  if (!runtime) return;
  runtime->Run([this] {
    std::vector<std::weak_ptr<internal::Call>> calls;
    calls.reserve(live_calls.size());
    for (const auto& [key, call] : live_calls) calls.push_back(call);
    for (const auto& weak : calls) {
      if (const std::shared_ptr<internal::Call> call = weak.lock()) call->Cancel();
    }
  });
  runtime.reset();
}

std::shared_ptr<internal::Call> internal::ClientState::Prepare(const Alert& alert,
                                                               CallOptions options, Done done) {
  auto call = std::make_shared<Call>(*this, alert, std::move(options), std::move(done));
  call->EncodeAhead();
  return call;
}

void internal::ClientState::Start(const Alert& alert, CallOptions options, Done done) {
  runtime->Post([call = Prepare(alert, std::move(options), std::move(done))] { call->Start(); });
}

Result<void> internal::ClientState::NotOnLoop() const {
  if (!runtime->InLoopThread()) return {};
  return Error{ErrorCode::kUnknown,
               "a blocking classify call on the client's own thread (inside a "
               "ClassifyAlertAsync callback) would wait forever: use ClassifyAlertAsync there"};
}

Result<Classification> internal::ClientState::Ask(const Alert& alert, const CallOptions& options) {
  if (Result<void> off = NotOnLoop(); !off) return std::move(off).error();
  struct Waiter {
    std::mutex mutex;
    std::condition_variable ended;
    std::optional<Result<Classification>> result;
  };
  auto waiter = std::make_shared<Waiter>();
  std::shared_ptr<Call> call = Prepare(alert, options, [waiter](Result<Classification> raw) {
    {
      std::lock_guard lock(waiter->mutex);
      waiter->result = std::move(raw);
    }
    waiter->ended.notify_one();
  });
  const auto finished = [&] {
    std::lock_guard lock(waiter->mutex);
    return waiter->result.has_value();
  };
  runtime->PostAndDrive([call = std::move(call)] { call->Start(); }, finished);
  std::unique_lock lock(waiter->mutex);
  waiter->ended.wait(lock, [&] { return waiter->result.has_value(); });
  return *std::move(waiter->result);
}

SteadyTime internal::ClientState::Deadline(const CallOptions& options) const {
  SteadyTime deadline = clock->SteadyNow() + config.call_timeout;
  if (options.deadline && *options.deadline < deadline) deadline = *options.deadline;
  return deadline;
}

HttpLlmClient::HttpLlmClient(Config config, std::shared_ptr<spdlog::logger> logger)
    : HttpLlmClient(std::move(config),
                    ClientDependencies{nullptr, nullptr, {}, std::move(logger), nullptr}) {}

HttpLlmClient::HttpLlmClient(Config config, ClientDependencies dependencies)
    : impl_(std::make_unique<Impl>(Checked(std::move(config)), std::move(dependencies))) {}

HttpLlmClient::~HttpLlmClient() = default;

CircuitState HttpLlmClient::GetCircuitBreakerState() const {
  return impl_->breaker->State(impl_->clock->SteadyNow());
}

CircuitBreakerStats HttpLlmClient::GetCircuitBreakerStats() const {
  return impl_->breaker->Stats(impl_->clock->SteadyNow());
}

std::string HttpLlmClient::Redacted(std::string_view name, std::string_view value) const {
  std::string out(value);
  internal::RedactionCounts uncounted{};
  impl_->redactor->RedactValue(name, out, uncounted);
  return out;
}

std::shared_ptr<prometheus::Collectable> HttpLlmClient::GetCollectable() const {
  return impl_->collector;
}

Result<Classification> HttpLlmClient::ClassifyAlert(const Alert& alert,
                                                    const CallOptions& options) {
  internal::ClientState& impl = *impl_;
  return internal::NeverThrows<Classification>(impl, [&]() -> Result<Classification> {
    return impl.Finish(alert, impl.Ask(alert, options));
  });
}

// The call runs on the client's loop with its own copy of the alert; `done` gets the
// finished result there.
void HttpLlmClient::ClassifyAlertAsync(const Alert& alert, CallOptions options,
                                       std::function<void(Result<Classification>)> done) {
  internal::ClientState* state = impl_.get();
  try {
    auto owned = std::make_shared<const Alert>(alert);
    auto finish = [state, owned, done](Result<Classification> raw) {
      Deliver(done, internal::NeverThrows<Classification>(*state, [&]() -> Result<Classification> {
                return state->Finish(*owned, std::move(raw));
              }));
    };
    state->Start(*owned, std::move(options), std::move(finish));
  } catch (...) {
    Deliver(done, Error{ErrorCode::kUnknown, "could not start the call (out of memory)"});
  }
}

Result<void> HttpLlmClient::Health(const CallOptions& options) {
  const internal::ClientState& impl = *impl_;
  return internal::NeverThrows<void>(impl, [&]() -> Result<void> {
    if (options.stop_token.stop_requested()) return Error{ErrorCode::kCancelled, "call cancelled"};
    const SteadyTime deadline = impl.Deadline(options);
    const milliseconds timeout = std::min(
        impl.config.timeout, std::chrono::floor<milliseconds>(deadline - impl.clock->SteadyNow()));
    if (timeout <= milliseconds::zero())
      return Error{ErrorCode::kTimeout, "call deadline exceeded"};
    HttpRequest request;
    request.method = "GET";
    request.url = impl.health_url;
    for (const auto& header : impl.headers) {
      if (header.first != "Content-Type") request.headers.push_back(header);
    }
    request.timeout = timeout;
    request.connect_timeout = impl.config.connect_timeout;
    request.max_response_bytes = impl.config.max_response_bytes;
    Result<HttpResponse> sent = impl.transport->Send(request, options.stop_token);
    if (!sent) {
      Error error = std::move(sent).error();
      error.message = impl.scrubber.Scrub(error.message);
      error.attempts = 1;
      return error;
    }
    if (sent->status >= 200 && sent->status < 300) return {};
    return Error{
        ErrorCodeForHttpStatus(sent->status),
        impl.scrubber.Scrub(internal::HttpErrorMessage(
            sent->status, internal::HealthPath(impl.config.protocol), sent->body, impl.scrubber)),
        sent->status, std::nullopt, 1};
  });
}

}  // namespace alertllm
