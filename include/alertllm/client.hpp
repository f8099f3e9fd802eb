// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alertllm/alert.hpp"
#include "alertllm/circuit_breaker.hpp"
#include "alertllm/config.hpp"
#include "alertllm/result.hpp"
#include "alertllm/retry.hpp"
#include "alertllm/transport.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace prometheus {
class Collectable;
class Registry;
}  // namespace prometheus

namespace alertllm {

/// Per-call options of LlmClient::ClassifyAlert() and Health().
struct CallOptions {
  /// The call ends by this time (all attempts and sleeps); the earlier of this and
  /// `now + config.call_timeout` applies. No value: `call_timeout` alone.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  /// Requesting stop ends the call promptly (a request in flight, or a sleep between retries)
  /// with kCancelled, which the circuit breaker does not hold against the server.
  std::stop_token stop_token;
};

/// What alert-processing code calls to classify alerts: the seed's `LLMClient` interface.
/// HttpLlmClient implements it; `alertllm/testing/mock_llm_client.hpp` mocks it for tests.
///
/// Thread-safety: implementations must allow concurrent calls of every member.
class LlmClient {
 public:
  virtual ~LlmClient() = default;

  /// Classifies one alert. Never throws; every failure is an Error (see HttpLlmClient).
  virtual Result<Classification> ClassifyAlert(const Alert& alert,
                                               const CallOptions& options = {}) = 0;

  /// Classifies every alert of `alerts`: exactly one result per alert, in input order (an empty
  /// span gives an empty vector). Never throws. This default calls ClassifyAlert() for each in
  /// turn; HttpLlmClient classifies them concurrently, one request per distinct alert.
  virtual std::vector<Result<Classification>> ClassifyAlerts(std::span<const Alert> alerts,
                                                             const CallOptions& options = {}) {
    std::vector<Result<Classification>> results;
    results.reserve(alerts.size());
    for (const Alert& alert : alerts) results.push_back(ClassifyAlert(alert, options));
    return results;
  }

  /// Classifies `alert` and hands the result to `done`, exactly once. Never throws. This
  /// default runs ClassifyAlert() on the calling thread and calls `done` before returning;
  /// HttpLlmClient returns at once and calls `done` on a thread of its own (see there).
  virtual void ClassifyAlertAsync(const Alert& alert, CallOptions options,
                                  std::function<void(Result<Classification>)> done) {
    done(ClassifyAlert(alert, options));
  }

  /// Checks that the endpoint answers. Never throws.
  virtual Result<void> Health(const CallOptions& options = {}) = 0;
};

/// The clock and sleeper of HttpLlmClient, injected so tests run without real time.
///
/// Thread-safety: implementations must allow concurrent calls of every member.
class ClientClock {
 public:
  virtual ~ClientClock() = default;

  /// Monotonic time: deadlines, attempt durations, breaker time.
  virtual std::chrono::steady_clock::time_point SteadyNow() const = 0;
  /// Wall time: only to read an HTTP-date Retry-After.
  virtual std::chrono::system_clock::time_point SystemNow() const = 0;
  /// Sleeps for `duration` (≤ 0: returns at once). Returns false if `stop` was requested before
  /// or during the sleep, which then ends promptly. HttpLlmClient waits with timers on its own
  /// thread when it uses the real clock; with a clock of yours it calls this, on a worker
  /// thread, for each backoff and Retry-After pause (a test's fake clock advances and returns).
  virtual bool SleepFor(std::chrono::nanoseconds duration, const std::stop_token& stop) = 0;
};

/// The real clocks, and a sleep on a condition_variable_any that wakes at once when `stop` is
/// requested. Never returns nullptr.
std::shared_ptr<ClientClock> MakeSystemClientClock();

/// What HttpLlmClient uses instead of its defaults; a null member (or empty `random`) keeps the
/// default for it.
struct ClientDependencies {
  /// Default: MakeCurlTransport() with the config's TLS settings.
  std::shared_ptr<Transport> transport;
  /// Default: MakeSystemClientClock().
  std::shared_ptr<ClientClock> clock;
  /// A uniform random number in [0, 1) for backoff jitter; called concurrently from the calling
  /// threads, so it must be thread-safe. Default: a thread-local Mersenne Twister.
  std::function<double()> random;
  /// Where the client logs; null: the client does not log at all.
  std::shared_ptr<spdlog::logger> logger;
  /// A registry you own (the one your Exposer or Gateway serves, or that you serialize): the
  /// client adds the families of GetCollectable() to it (all series at 0 from construction)
  /// and brings them up to date at the end of every ClassifyAlert(), so you need not register
  /// the collectable. Values are as of the last call: the `state` gauge does not move from
  /// open to half_open by itself as the collectable's does. Costs one Collect() per call
  /// (measured in bench/client_bench.cpp). Several clients may share a registry only if
  /// their series differ, which they do not today: give each its own registry.
  /// The constructor throws std::invalid_argument if the registry already holds one of the
  /// names with another type. Ignored (nothing added) when `config.enable_metrics` is false.
  std::shared_ptr<prometheus::Registry> registry;
};

/// The client of DESIGN.md §2: ClassifyAlert over HTTP with a circuit breaker, retries with
/// backoff and server hints, a retry budget and a bound on the whole call.
///
/// Logging (spdlog, through the logger passed in; none when it is null, so a library never
/// writes to a process's default sink unasked): breaker transitions at warn (to open) or info,
/// retries at debug, failed calls at warn at most once per second per client (with the count
/// of lines suppressed), and once at construction a warning if `tls_verify` is false. Never a
/// body beyond a clipped excerpt, and never a secret of the config — the API key, an extra
/// header's value, base_url's user-info or query values — nor a piece of one, in a log line, an
/// Error or a fallback_reason, even when the server echoes the request into its answers.
///
/// Threads (DESIGN.md §2): each client runs one I/O thread, a libcurl multi loop that carries
/// every call's requests, timers and waits; a call in flight costs memory, not a thread.
/// ClassifyAlert() is a call plus a wait on the calling thread, which drives the loop itself
/// while it waits if nobody else does (so one thread calling in a loop costs no thread hop);
/// the loop's stages and callbacks then run on that thread for as long. A Transport other than the
/// libcurl one (ClientDependencies::transport) has its blocking Send() run on worker threads,
/// at most `concurrency.max_in_flight` of them; so has a custom ClientClock's SleepFor().
///
/// Thread-safe: one client serves any number of threads concurrently.
class HttpLlmClient final : public LlmClient {
 public:
  /// A client over libcurl. Throws std::invalid_argument with Validate()'s message if `config`
  /// is invalid. `logger` null: no logging.
  explicit HttpLlmClient(Config config, std::shared_ptr<spdlog::logger> logger = nullptr);

  /// A client with injected dependencies (tests, custom transports). Throws
  /// std::invalid_argument with Validate()'s message if `config` is invalid.
  HttpLlmClient(Config config, ClientDependencies dependencies);

  ~HttpLlmClient() override;

  HttpLlmClient(const HttpLlmClient&) = delete;
  HttpLlmClient& operator=(const HttpLlmClient&) = delete;

  /// Classifies `alert` (an empty fingerprint is computed from its labels).
  ///
  /// Sharing (`config.cache`, on by default): a call whose alert has the fingerprint and status
  /// of a call in flight waits for that call's request instead of sending one, and a successful
  /// LLM answer is reused for `cache.ttl`; either way the answer has `source` "cache" and
  /// `attempts` 0. A follower gets the leader's error too, except a cancellation, after which
  /// it asks for itself. Errors and fallback answers are never kept.
  ///
  /// Errors: kCircuitOpen without any request when the breaker rejects the call (`retry_after`
  /// = time until a probe may go); kInvalidRequest when the alert cannot be encoded; kCancelled
  /// when `options.stop_token` is requested; kTimeout when the deadline passes; kRateLimited
  /// without a further request when the limiter ends the call (its queue is full, or the
  /// deadline passes while the call waits for a slot); otherwise the last attempt's error after
  /// retries (DESIGN.md §4), with `attempts` = requests sent, `http_status` of the last
  /// response and `retry_after` = the server's hint if it gave one.
  ///
  /// Limiting (DESIGN.md §8, `config.concurrency`): each attempt holds one of max_in_flight
  /// slots while in flight, waiting in a FIFO queue for one if need be. A 429 is not a
  /// failure: it spends no retry and no retry-budget token and the breaker ignores it; the
  /// call goes back to the queue, after its backoff when the server gave no hint, and a hint
  /// (Retry-After, retry-after-ms) pauses all of the client's sending until then. A hint above
  /// max_retry_after, or a wait that cannot end before the deadline, ends the call with
  /// kRateLimited and `retry_after`. A 429 whose body says `insufficient_quota` ends the call
  /// at once and is a breaker failure.
  /// An open breaker seen before a retry ends the loop with the last attempt's error (and the
  /// breaker's retry_after when the server gave no hint). Never throws: anything unexpected
  /// is kUnknown.
  ///
  /// Fallback (`config.fallback == FallbackMode::kRules`): when the LLM cannot answer — the
  /// breaker rejected the call (kCircuitOpen), the retries ended on a retryable error
  /// (kServerError, kRateLimited, kTimeout, kNetworkError, a 408/409/429 kClientError), or the
  /// answer was unusable (kInvalidResponse) — the call succeeds with
  /// `RuleBasedClassifier{}.Classify(alert)` (fallback.hpp): `source` "fallback",
  /// `fallback_reason` = "<ClassifyError category>: <message>" of the error it replaces,
  /// `attempts` = requests sent. It never answers for kCancelled (the caller gave up),
  /// kInvalidRequest or any other 4xx (the request is at fault), kInvalidConfig or kUnknown:
  /// those still return the error. The breaker, `llm_client_requests_total{category}` and the
  /// rate-limited failure log still see the real error.
  Result<Classification> ClassifyAlert(const Alert& alert,
                                       const CallOptions& options = {}) override;

  /// Classifies every alert of `alerts` as ClassifyAlert() would, at most
  /// `config.concurrency.max_in_flight` at a time, and returns exactly one result per alert in
  /// input order (an empty span gives an empty vector). With sharing on, alerts of one
  /// (fingerprint, status) cost one request: the first one's result serves the rest (`source`
  /// "cache", `attempts` 0; an error or a fallback answer as it is). Requesting
  /// `options.stop_token` ends every unfinished call with kCancelled. Never throws.
  std::vector<Result<Classification>> ClassifyAlerts(std::span<const Alert> alerts,
                                                     const CallOptions& options = {}) override;

  /// Starts classifying `alert` as ClassifyAlert() would and returns at once; `done` gets the
  /// result exactly once, on the thread driving the client's loop: its I/O thread, or a thread
  /// blocked in ClassifyAlert() on this client that drives it meanwhile (never this call's
  /// caller inside this function, unless the call could not even be created: then `done` gets
  /// kUnknown on the calling thread before this returns). Any number of calls may be in flight: they cost memory, not threads, and wait
  /// for the limiter's slots like every other call. `done` runs on the thread that drives
  /// the client's requests: it should be short, must not throw (an exception from it is
  /// swallowed) and must not call ClassifyAlert() or ClassifyAlerts(), which would wait for
  /// that very thread (they return kUnknown there); ClassifyAlertAsync() is fine. Destroying
  /// the client ends every call not yet finished with kCancelled, each `done` called before
  /// the destructor returns.
  void ClassifyAlertAsync(const Alert& alert, CallOptions options,
                          std::function<void(Result<Classification>)> done) override;

  /// GET of the protocol's health path: success on a 2xx, else the mapped error. No retries,
  /// not recorded in the breaker. Never throws.
  Result<void> Health(const CallOptions& options = {}) override;

  /// The breaker's state now (time-derived). Lock-free.
  CircuitState GetCircuitBreakerState() const;

  /// A snapshot of the breaker now.
  CircuitBreakerStats GetCircuitBreakerStats() const;

  /// `value` as the LLM would see it as the value of the label or annotation `name` (empty:
  /// free text, to which no key applies), with `config.redaction` applied: for log lines that
  /// quote an alert. Not counted in llm_client_redactions_total. Thread-safe; throws only
  /// std::bad_alloc.
  std::string Redacted(std::string_view name, std::string_view value) const;

  /// The client's metrics for an Exposer (`exposer.RegisterCollectable(...)`) or
  /// SerializeMetrics(): the breaker's eight seed families (`llm_circuit_breaker_*`) and the
  /// client's, every series present from start-up at 0:
  ///
  ///   llm_client_requests_total{category}          calls by outcome: "success" or ClassifyError()
  ///   llm_client_attempts_total                    HTTP requests sent
  ///   llm_client_retries_total                     requests that were retries
  ///   llm_client_retry_budget_denials_total        retries the retry budget refused
  ///   llm_client_attempt_duration_seconds          histogram per attempt (breaker buckets)
  ///   llm_client_classifications_total{severity,source}
  ///                                                severity noise, info, warning, critical;
  ///                                                source llm, cache, fallback
  ///   llm_client_fallbacks_total{reason}           fallback answers, by ClassifyError() of
  ///                                                the error they replaced
  ///   llm_client_cache_lookups_total{result}       hit, miss (asked the LLM), shared (waited
  ///                                                for another call's request)
  ///   llm_client_cache_entries                     LLM answers kept
  ///   llm_client_concurrency_limit                 the limiter's limit now (gauge)
  ///   llm_client_in_flight                         requests holding a slot (gauge)
  ///   llm_client_queued                            calls waiting for a slot (gauge)
  ///   llm_client_limited_total{reason}             retry_after (a 429's hint paused sending),
  ///                                                queue_full, deadline (calls the limiter
  ///                                                ended for that reason)
  ///   llm_client_redactions_total{rule}            values redacted before sending, by rule
  ///                                                (key, url_credentials, secret_param, bearer,
  ///                                                aws_access_key_id, jwt, github_token,
  ///                                                slack_token, private_key, custom)
  ///   llm_client_severity_disagreements_total{label,llm}
  ///                                                LLM answers below the alert's own severity
  ///                                                label (counted whatever severity_floor says)
  ///   llm_client_tokens_total{type}                input, output, cached_input: the `usage`
  ///                                                of each LLM answer, counted once per request
  ///
  /// and the OpenTelemetry GenAI client histograms, named as an OTel Prometheus exporter names
  /// them, labelled gen_ai_operation_name="chat", gen_ai_provider_name, gen_ai_request_model:
  ///
  ///   gen_ai_client_token_usage{…,gen_ai_token_type}
  ///                                                input and output tokens per request that
  ///                                                reported them (buckets 1, 4, …, 4^13)
  ///   gen_ai_client_operation_duration_seconds{…[,error_type]}
  ///                                                each HTTP request (buckets 0.01 s … 81.92 s,
  ///                                                doubling); error_type, ClassifyError() of a
  ///                                                failed one, appears once that happens
  ///
  /// Counted with relaxed atomics on the call path and read at scrape time; nothing global.
  /// With `config.enable_metrics` false nothing is counted and the collectable exports no
  /// family at all. The collectable stays valid after the client is destroyed.
  std::shared_ptr<prometheus::Collectable> GetCollectable() const;

 private:
  struct Impl;

  std::unique_ptr<Impl> impl_;
};

}  // namespace alertllm
