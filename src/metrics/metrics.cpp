// SPDX-License-Identifier: Apache-2.0
#include "alertllm/metrics.hpp"

#include <prometheus/check_names.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace alertllm {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr std::array<CircuitState, 3> kStates = {CircuitState::kClosed, CircuitState::kOpen,
                                                 CircuitState::kHalfOpen};

std::string CheckOptions(const CircuitBreakerMetricsOptions& options) {
  // Checking the longest and the shortest names covers the prefix for all eight.
  for (const char* suffix : {"state", "call_duration_seconds"}) {
    if (!prometheus::CheckMetricName(options.prefix + suffix)) {
      return "prefix: '" + options.prefix + "' does not make a valid metric name";
    }
  }
  for (const auto& [name, value] : options.const_labels) {
    if (name == "from" || name == "to" || name == "result" || name == "le") {
      return "const_labels: '" + name + "' is a label of the breaker's own metrics";
    }
    if (!prometheus::CheckLabelName(name)) {
      return "const_labels: '" + name + "' is not a valid label name";
    }
  }
  return {};
}

// A sample carrying the constant labels, then `extra`, in name order as exposition expects.
ClientMetric Sample(const std::map<std::string, std::string>& const_labels,
                    std::initializer_list<std::pair<const char*, std::string_view>> extra = {}) {
  std::map<std::string, std::string> labels = const_labels;
  for (const auto& [name, value] : extra) labels.emplace(name, std::string(value));
  ClientMetric metric;
  metric.label.reserve(labels.size());
  for (auto& [name, value] : labels) metric.label.push_back({name, std::move(value)});
  return metric;
}

MetricFamily Family(const std::string& prefix, const char* name, const char* help,
                    MetricType type) {
  MetricFamily family;
  family.name = prefix + name;
  family.help = help;
  family.type = type;
  return family;
}

MetricFamily CounterFamily(const CircuitBreakerMetricsOptions& options, const char* name,
                           const char* help, std::uint64_t value) {
  MetricFamily family = Family(options.prefix, name, help, MetricType::Counter);
  ClientMetric metric = Sample(options.const_labels);
  metric.counter.value = static_cast<double>(value);
  family.metric.push_back(std::move(metric));
  return family;
}

ClientMetric HistogramSample(const CircuitBreakerMetricsOptions& options, std::string_view result,
                             const CallDurationHistogram& h) {
  ClientMetric metric = Sample(options.const_labels, {{"result", result}});
  metric.histogram.sample_count = h.count;
  metric.histogram.sample_sum = h.sum_seconds;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < CallDurationHistogram::kBucketBoundsSeconds.size(); ++i) {
    cumulative += h.bucket_counts[i];
    metric.histogram.bucket.push_back({cumulative, CallDurationHistogram::kBucketBoundsSeconds[i]});
  }
  // prometheus-cpp's serializer writes the +Inf bucket from sample_count.
  return metric;
}

}  // namespace

CircuitBreakerCollector::CircuitBreakerCollector(std::shared_ptr<const CircuitBreaker> breaker,
                                                 CircuitBreakerMetricsOptions options)
    : breaker_(std::move(breaker)), options_(std::move(options)) {
  if (!breaker_) throw std::invalid_argument("breaker: must not be null");
  if (std::string problem = CheckOptions(options_); !problem.empty()) {
    throw std::invalid_argument(problem);
  }
  if (!options_.clock) options_.clock = [] { return std::chrono::steady_clock::now(); };
}

Result<std::shared_ptr<CircuitBreakerCollector>> CircuitBreakerCollector::Create(
    std::shared_ptr<const CircuitBreaker> breaker, CircuitBreakerMetricsOptions options) {
  if (!breaker) return Error{ErrorCode::kInvalidConfig, "breaker: must not be null"};
  if (std::string problem = CheckOptions(options); !problem.empty()) {
    return Error{ErrorCode::kInvalidConfig, std::move(problem)};
  }
  return std::make_shared<CircuitBreakerCollector>(std::move(breaker), std::move(options));
}

std::vector<MetricFamily> CircuitBreakerCollector::Collect() const {
  const CircuitState state = breaker_->State(options_.clock());
  const CircuitBreakerCounters c = breaker_->Counters();

  std::vector<MetricFamily> families;
  families.reserve(8);

  MetricFamily state_family =
      Family(options_.prefix, "state", metric_help::kState, MetricType::Gauge);
  ClientMetric state_metric = Sample(options_.const_labels);
  state_metric.gauge.value = static_cast<double>(static_cast<int>(state));
  state_family.metric.push_back(std::move(state_metric));
  families.push_back(std::move(state_family));

  families.push_back(CounterFamily(options_, "failures_total", metric_help::kFailures, c.failures));
  families.push_back(
      CounterFamily(options_, "successes_total", metric_help::kSuccesses, c.successes));
  families.push_back(CounterFamily(options_, "requests_blocked_total",
                                   metric_help::kRequestsBlocked, c.blocked));
  families.push_back(CounterFamily(options_, "half_open_requests_total",
                                   metric_help::kHalfOpenRequests, c.half_open_requests));
  families.push_back(
      CounterFamily(options_, "slow_calls_total", metric_help::kSlowCalls, c.slow_calls));

  MetricFamily changes = Family(options_.prefix, "state_changes_total",
                                metric_help::kStateChanges, MetricType::Counter);
  for (CircuitState from : kStates) {
    for (CircuitState to : kStates) {
      if (from == to) continue;
      ClientMetric metric =
          Sample(options_.const_labels, {{"from", ToString(from)}, {"to", ToString(to)}});
      metric.counter.value = static_cast<double>(
          c.state_changes[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)]);
      changes.metric.push_back(std::move(metric));
    }
  }
  families.push_back(std::move(changes));

  MetricFamily duration = Family(options_.prefix, "call_duration_seconds",
                                 metric_help::kCallDuration, MetricType::Histogram);
  duration.metric.push_back(HistogramSample(options_, "success", c.success_duration));
  duration.metric.push_back(HistogramSample(options_, "failure", c.failure_duration));
  families.push_back(std::move(duration));
  return families;
}

std::string SerializeMetrics(const std::vector<std::shared_ptr<prometheus::Collectable>>& sources) {
  std::vector<MetricFamily> families;
  for (const auto& source : sources) {
    if (!source) continue;
    std::vector<MetricFamily> collected = source->Collect();
    families.insert(families.end(), std::make_move_iterator(collected.begin()),
                    std::make_move_iterator(collected.end()));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace alertllm
