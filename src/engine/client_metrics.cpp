// SPDX-License-Identifier: Apache-2.0
#include "engine/client_metrics.hpp"

#include <prometheus/metric_family.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace alertllm::internal {

namespace {

using prometheus::MetricType;
constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr auto& kBounds = CallDurationHistogram::kBucketBoundsSeconds;

prometheus::MetricFamily Family(const char* name, const char* help, MetricType type) {
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

// A family of one unlabelled counter.
prometheus::MetricFamily SingleCounter(const char* name, const char* help,
                                       const std::atomic<std::uint64_t>& value) {
  auto family = Family(name, help, MetricType::Counter);
  family.metric.push_back(Counter(value.load(kRelaxed)));
  return family;
}

prometheus::MetricFamily Requests(const ClientMetrics& m) {
  auto family = Family("llm_client_requests_total", "LLM classify calls by outcome category.",
                       MetricType::Counter);
  family.metric.push_back(Counter(m.requests[0].load(kRelaxed), "category", "success"));
  for (ErrorCode code : kErrorCodes) {
    const auto index = 1 + static_cast<std::size_t>(code);
    family.metric.push_back(
        Counter(m.requests[index].load(kRelaxed), "category", ClassifyError(code)));
  }
  return family;
}

prometheus::MetricFamily AttemptDuration(const ClientMetrics& m) {
  auto family = Family("llm_client_attempt_duration_seconds",
                       "Duration of each HTTP attempt to the LLM endpoint.", MetricType::Histogram);
  prometheus::ClientMetric histogram;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += m.attempt_buckets[i].load(kRelaxed);
    histogram.histogram.bucket.push_back({cumulative, kBounds[i]});
  }
  // The serializer writes +Inf from sample_count, so the count must cover every bucket.
  histogram.histogram.sample_count = cumulative + m.attempt_buckets[kBounds.size()].load(kRelaxed);
  histogram.histogram.sample_sum = static_cast<double>(m.attempt_sum_ns.load(kRelaxed)) * 1e-9;
  family.metric.push_back(std::move(histogram));
  return family;
}

prometheus::MetricFamily Classifications(const ClientMetrics& m) {
  auto family = Family("llm_client_classifications_total",
                       "Classifications returned, by severity and source (llm, cache or fallback).",
                       MetricType::Counter);
  for (std::size_t source = 0; source < kSources.size(); ++source) {
    for (std::size_t i = 0; i < kSeverities.size(); ++i) {
      prometheus::ClientMetric metric = Counter(m.classifications[source][i].load(kRelaxed),
                                                "severity", ToString(kSeverities[i]));
      metric.label.push_back({"source", std::string(kSources[source])});
      family.metric.push_back(std::move(metric));
    }
  }
  return family;
}

prometheus::MetricFamily Fallbacks(const ClientMetrics& m) {
  auto family = Family("llm_client_fallbacks_total",
                       "Classifications answered by the rule-based fallback, by the error "
                       "category that made it answer.",
                       MetricType::Counter);
  for (ErrorCode code : kErrorCodes) {
    family.metric.push_back(Counter(m.fallbacks[static_cast<std::size_t>(code)].load(kRelaxed),
                                    "reason", ClassifyError(code)));
  }
  return family;
}

// A counter family with one series per value of `label`, in `values`' order.
template <std::size_t N>
prometheus::MetricFamily LabelledCounters(const char* name, const char* help, const char* label,
                                          const std::array<std::string_view, N>& values,
                                          const std::array<std::atomic<std::uint64_t>, N>& counts) {
  auto family = Family(name, help, MetricType::Counter);
  for (std::size_t i = 0; i < N; ++i) {
    family.metric.push_back(Counter(counts[i].load(kRelaxed), label, values[i]));
  }
  return family;
}

// A family of one unlabelled gauge.
template <typename T>
prometheus::MetricFamily Gauge(const char* name, const char* help, const std::atomic<T>& value) {
  auto family = Family(name, help, MetricType::Gauge);
  prometheus::ClientMetric metric;
  metric.gauge.value = static_cast<double>(value.load(kRelaxed));
  family.metric.push_back(std::move(metric));
  return family;
}

// The pairs an answer can rank below its label, each pre-created: {label, llm} with llm < label.
prometheus::MetricFamily Disagreements(const ClientMetrics& m) {
  auto family = Family("llm_client_severity_disagreements_total",
                       "LLM answers that ranked an alert below its own severity label, by the "
                       "label and the LLM's severity (whatever Config::severity_floor says).",
                       MetricType::Counter);
  for (std::size_t label = 0; label < kSeverities.size(); ++label) {
    for (std::size_t llm = 0; llm < label; ++llm) {
      prometheus::ClientMetric metric =
          Counter(m.disagreements[label][llm].load(kRelaxed), "label", ToString(kSeverities[label]));
      metric.label.push_back({"llm", std::string(ToString(kSeverities[llm]))});
      family.metric.push_back(std::move(metric));
    }
  }
  return family;
}

class ClientCollector final : public prometheus::Collectable {
 public:
  ClientCollector(std::shared_ptr<const ClientMetrics> metrics,
                  std::shared_ptr<prometheus::Collectable> breaker, bool enabled)
      : metrics_(std::move(metrics)), breaker_(std::move(breaker)), enabled_(enabled) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    if (!enabled_) return {};
    const ClientMetrics& m = *metrics_;
    std::vector<prometheus::MetricFamily> families = breaker_->Collect();
    families.push_back(Requests(m));
    families.push_back(SingleCounter("llm_client_attempts_total",
                                     "HTTP requests sent to the LLM endpoint.", m.attempts));
    families.push_back(SingleCounter("llm_client_retries_total",
                                     "HTTP requests that retried a failed attempt.", m.retries));
    families.push_back(SingleCounter("llm_client_retry_budget_denials_total",
                                     "Retries refused because the retry budget was exhausted.",
                                     m.budget_denials));
    families.push_back(AttemptDuration(m));
    families.push_back(Classifications(m));
    families.push_back(Fallbacks(m));
    families.push_back(LabelledCounters(
        "llm_client_cache_lookups_total",
        "Calls by what sharing found: a kept answer (hit), none (miss: the call asked the LLM) "
        "or a request in flight it waited for (shared).",
        "result", kCacheLookups, m.cache_lookups));
    families.push_back(
        Gauge("llm_client_cache_entries", "LLM answers kept for reuse.", m.cache_entries));
    families.push_back(Gauge("llm_client_concurrency_limit",
                             "Requests the limiter lets into flight at once now.",
                             m.concurrency_limit));
    families.push_back(
        Gauge("llm_client_in_flight", "Requests in flight to the LLM endpoint.", m.in_flight));
    families.push_back(Gauge("llm_client_queued", "Calls waiting for a slot.", m.queued));
    families.push_back(LabelledCounters(
        "llm_client_limited_total",
        "Limiter events: a 429's Retry-After that paused all sending (retry_after), calls ended "
        "because the queue was full (queue_full) or their deadline passed while they waited "
        "(deadline).",
        "reason", kLimitReasons, m.limited));
    families.push_back(LabelledCounters(
        "llm_client_redactions_total",
        "Values or parts of values redacted from alerts before they left the process, by rule.",
        "rule", kRedactionRules, m.redactions));
    families.push_back(Disagreements(m));
    families.push_back(LabelledCounters("llm_client_tokens_total",
                                        "Tokens the LLM reported using, by type (input, output, "
                                        "cached_input: the part of input served from its cache).",
                                        "type", kTokenTypes, m.tokens));
    families.push_back(m.gen_ai.TokenUsageFamily());
    families.push_back(m.gen_ai.OperationDurationFamily());
    return families;
  }

 private:
  std::shared_ptr<const ClientMetrics> metrics_;
  std::shared_ptr<prometheus::Collectable> breaker_;
  bool enabled_;
};

}  // namespace

void ClientMetrics::Request(const Result<Classification>& result) noexcept {
  const std::size_t index =
      result.has_value() ? 0 : 1 + static_cast<std::size_t>(result.error().code);
  if (index < requests.size()) requests[index].fetch_add(1, kRelaxed);
}

void ClientMetrics::Fallback(ErrorCode reason) noexcept {
  const auto index = static_cast<std::size_t>(reason);
  if (index < fallbacks.size()) fallbacks[index].fetch_add(1, kRelaxed);
}

void ClientMetrics::Classified(const Classification& answer) noexcept {
  const auto severity = static_cast<std::size_t>(static_cast<int>(answer.severity) - 1);
  for (std::size_t source = 0; source < kSources.size(); ++source) {
    if (answer.source == kSources[source] && severity < kSeverities.size()) {
      classifications[source][severity].fetch_add(1, kRelaxed);
    }
  }
}

void ClientMetrics::SeverityDisagreement(Severity label, Severity llm) noexcept {
  const auto l = static_cast<std::size_t>(static_cast<int>(label) - 1);
  const auto a = static_cast<std::size_t>(static_cast<int>(llm) - 1);
  if (l < kSeverities.size() && a < l) disagreements[l][a].fetch_add(1, kRelaxed);
}

void ClientMetrics::Tokens(const TokenUsage& usage) noexcept {
  const std::int64_t counts[] = {usage.prompt_tokens, usage.completion_tokens,
                                 usage.cached_tokens};
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (counts[i] > 0) tokens[i].fetch_add(static_cast<std::uint64_t>(counts[i]), kRelaxed);
  }
}

void ClientMetrics::Attempt(std::chrono::nanoseconds duration) noexcept {
  attempts.fetch_add(1, kRelaxed);
  const std::int64_t ns = std::max<std::int64_t>(duration.count(), 0);
  const double secs = static_cast<double>(ns) * 1e-9;
  std::size_t bucket = kBounds.size();
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    if (secs <= kBounds[i]) {
      bucket = i;
      break;
    }
  }
  attempt_buckets[bucket].fetch_add(1, kRelaxed);
  attempt_sum_ns.fetch_add(static_cast<std::uint64_t>(ns), kRelaxed);
  attempt_count.fetch_add(1, kRelaxed);
}

void ClientMetrics::Operation(std::chrono::nanoseconds duration, const Classification* answer,
                              const Error& error) noexcept {
  gen_ai.Operation(duration, answer != nullptr ? std::nullopt : std::optional(error.code));
  if (answer != nullptr && answer->usage) {
    Tokens(*answer->usage);
    gen_ai.Tokens(*answer->usage);
  }
}

std::shared_ptr<prometheus::Collectable> MakeClientCollector(
    std::shared_ptr<const ClientMetrics> metrics, std::shared_ptr<prometheus::Collectable> breaker,
    bool enabled) {
  return std::make_shared<ClientCollector>(std::move(metrics), std::move(breaker), enabled);
}

}  // namespace alertllm::internal
