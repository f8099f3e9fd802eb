// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "alertllm/circuit_breaker.hpp"
#include "alertllm/result.hpp"

namespace alertllm {

/// How a CircuitBreakerCollector names and labels its metrics.
struct CircuitBreakerMetricsOptions {
  /// Prepended to every family name: "llm_circuit_breaker_" gives the seed's names
  /// (`llm_circuit_breaker_state`, `llm_circuit_breaker_failures_total`, …).
  std::string prefix = "llm_circuit_breaker_";
  /// Added to every sample, so that several breakers can share one exposition
  /// (e.g. {{"breaker", "classify"}}). Names must be valid Prometheus label names other than
  /// `from`, `to`, `result` and `le`.
  std::map<std::string, std::string> const_labels;
  /// The time at which the `state` gauge is read (State(now) is time-derived, so a scrape shows
  /// half_open when the open period is over, with no traffic). Empty: steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

/// The seed's eight circuit-breaker metric families, read from a CircuitBreaker at scrape time:
///
///   <prefix>state                      gauge      0 closed, 1 open, 2 half_open (time-derived)
///   <prefix>failures_total             counter
///   <prefix>successes_total            counter
///   <prefix>requests_blocked_total     counter
///   <prefix>half_open_requests_total   counter
///   <prefix>slow_calls_total           counter
///   <prefix>state_changes_total        counter    {from, to}: all six pairs, from start-up
///   <prefix>call_duration_seconds      histogram  {result="success|failure"},
///                                                  buckets 0.1 0.25 0.5 1 2 3 5 10 30
///
/// Every series exists from start-up at 0 (the alert rules in deploy/prometheus need that).
/// Nothing is counted on the call path: Collect() reads `CircuitBreaker::Counters()` and
/// `State(now)`, so attaching a collector adds no cost to Allow() or Record(). Register it
/// where your metrics are served — `exposer.RegisterCollectable(collector)` with
/// prometheus-cpp's Exposer — or serialize it with SerializeMetrics(); nothing is global.
///
/// Thread-safe: Collect() may run concurrently with itself and with any use of the breaker.
class CircuitBreakerCollector : public prometheus::Collectable {
 public:
  /// Throws std::invalid_argument if `breaker` is null, the prefix does not make valid metric
  /// names, or a constant label is invalid or reserved (the message names it).
  explicit CircuitBreakerCollector(std::shared_ptr<const CircuitBreaker> breaker,
                                   CircuitBreakerMetricsOptions options = {});

  /// As the constructor, with the error returned as kInvalidConfig instead of thrown.
  static Result<std::shared_ptr<CircuitBreakerCollector>> Create(
      std::shared_ptr<const CircuitBreaker> breaker, CircuitBreakerMetricsOptions options = {});

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<const CircuitBreaker> breaker_;
  CircuitBreakerMetricsOptions options_;
};

/// The help texts of the eight families, as the seed's exposition has them (for tests and docs).
namespace metric_help {
inline constexpr const char* kState =
    "Current circuit breaker state (0=closed, 1=open, 2=half_open).";
inline constexpr const char* kFailures =
    "Total number of LLM calls that failed (error or timeout) while the breaker let them through.";
inline constexpr const char* kSuccesses = "Total number of LLM calls that succeeded.";
inline constexpr const char* kRequestsBlocked =
    "Total number of requests rejected without calling the LLM because the breaker was open.";
inline constexpr const char* kHalfOpenRequests =
    "Total number of trial requests let through while the breaker was half-open.";
inline constexpr const char* kSlowCalls =
    "Total number of LLM calls slower than the slow-call threshold.";
inline constexpr const char* kStateChanges = "Total number of circuit breaker state transitions.";
inline constexpr const char* kCallDuration =
    "Duration of LLM calls made through the circuit breaker.";
}  // namespace metric_help

/// The Prometheus text exposition (format 0.0.4) of everything the collectables return, in
/// order — what a `/metrics` endpoint serves, for files (`--metrics-out`) and tests.
std::string SerializeMetrics(const std::vector<std::shared_ptr<prometheus::Collectable>>& sources);

}  // namespace alertllm
