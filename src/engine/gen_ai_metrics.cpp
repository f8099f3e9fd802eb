// SPDX-License-Identifier: Apache-2.0
#include "engine/gen_ai_metrics.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

#include "util/text.hpp"

namespace alertllm::internal {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// The bounds as integers in the unit observed, so that a value exactly on a bound lands in its
// bucket (`le` is inclusive) without a floating-point comparison deciding it.
constexpr std::array<std::uint64_t, 14> Exact(const std::array<double, 14>& bounds, double scale) {
  std::array<std::uint64_t, 14> out{};
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    out[i] = static_cast<std::uint64_t>(bounds[i] * scale + 0.5);
  }
  return out;
}
constexpr std::array<std::uint64_t, 14> kTokenBoundsInt = Exact(GenAiMetrics::kTokenBounds, 1.0);
constexpr std::array<std::uint64_t, 14> kDurationBoundsNs =
    Exact(GenAiMetrics::kDurationBoundsSeconds, 1e9);
static_assert(kTokenBoundsInt[13] == 67'108'864);
static_assert(kDurationBoundsNs[0] == 10'000'000 && kDurationBoundsNs[13] == 81'920'000'000);

std::size_t BucketOf(const std::array<std::uint64_t, 14>& bounds, std::uint64_t value) noexcept {
  return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) -
                                  bounds.begin());
}

prometheus::MetricFamily Family(const char* name, const char* help) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = prometheus::MetricType::Histogram;
  return family;
}

}  // namespace

GenAiMetrics::GenAiMetrics() : GenAiMetrics(Config{}) {}

GenAiMetrics::GenAiMetrics(const Config& config)
    : provider_(ProviderName(config)), model_(Clip(config.model, kMaxModelBytes)) {}

std::string GenAiMetrics::ProviderName(const Config& config) {
  if (config.protocol == Protocol::kOpenAI) return "openai";
  // A proxy in front of several providers names the model as LiteLLM and OpenRouter do.
  const std::string_view model = config.model;
  const std::size_t slash = model.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == model.size()) {
    return "alertllm_proxy";
  }
  return Clip(model.substr(0, slash), kMaxModelBytes);
}

void GenAiMetrics::Histogram::Observe(std::size_t bucket, std::uint64_t value) noexcept {
  buckets[bucket].fetch_add(1, kRelaxed);
  sum.fetch_add(value, kRelaxed);
}

prometheus::ClientMetric GenAiMetrics::Histogram::Read(const std::array<double, 14>& bounds,
                                                       double sum_scale) const {
  prometheus::ClientMetric metric;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    cumulative += buckets[i].load(kRelaxed);
    metric.histogram.bucket.push_back({cumulative, bounds[i]});
  }
  // The serializer writes +Inf from sample_count, so the count must cover every bucket.
  metric.histogram.sample_count = cumulative + buckets[bounds.size()].load(kRelaxed);
  metric.histogram.sample_sum = static_cast<double>(sum.load(kRelaxed)) * sum_scale;
  return metric;
}

void GenAiMetrics::Operation(std::chrono::nanoseconds duration,
                             std::optional<ErrorCode> error) noexcept {
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(duration.count(), 0));
  const std::size_t index = error ? 1 + static_cast<std::size_t>(*error) : 0;
  if (index < durations_.size()) durations_[index].Observe(BucketOf(kDurationBoundsNs, ns), ns);
}

void GenAiMetrics::Tokens(const TokenUsage& usage) noexcept {
  const auto input = static_cast<std::uint64_t>(std::max<std::int64_t>(usage.prompt_tokens, 0));
  const auto output =
      static_cast<std::uint64_t>(std::max<std::int64_t>(usage.completion_tokens, 0));
  input_tokens_.Observe(BucketOf(kTokenBoundsInt, input), input);
  output_tokens_.Observe(BucketOf(kTokenBoundsInt, output), output);
}

prometheus::ClientMetric GenAiMetrics::Labelled(prometheus::ClientMetric metric) const {
  metric.label.push_back({"gen_ai_operation_name", "chat"});
  metric.label.push_back({"gen_ai_provider_name", provider_});
  metric.label.push_back({"gen_ai_request_model", model_});
  return metric;
}

prometheus::MetricFamily GenAiMetrics::TokenUsageFamily() const {
  auto family = Family("gen_ai_client_token_usage",
                       "Number of input and output tokens used, per LLM request that reported "
                       "them (OpenTelemetry gen_ai.client.token.usage).");
  for (const auto& [type, histogram] :
       {std::pair<const char*, const Histogram*>{"input", &input_tokens_},
        {"output", &output_tokens_}}) {
    prometheus::ClientMetric metric = Labelled(histogram->Read(kTokenBounds, 1.0));
    metric.label.push_back({"gen_ai_token_type", type});
    family.metric.push_back(std::move(metric));
  }
  return family;
}

prometheus::MetricFamily GenAiMetrics::OperationDurationFamily() const {
  auto family = Family("gen_ai_client_operation_duration_seconds",
                       "Duration of each LLM request, with error_type on failures (OpenTelemetry "
                       "gen_ai.client.operation.duration).");
  family.metric.push_back(Labelled(durations_[0].Read(kDurationBoundsSeconds, 1e-9)));
  for (std::size_t i = 1; i < durations_.size(); ++i) {
    prometheus::ClientMetric metric = durations_[i].Read(kDurationBoundsSeconds, 1e-9);
    if (metric.histogram.sample_count == 0) continue;
    // First: labels in name order, as a prometheus::Registry mirroring this family keeps them.
    metric.label.push_back(
        {"error_type", std::string(ClassifyError(static_cast<ErrorCode>(i - 1)))});
    family.metric.push_back(Labelled(std::move(metric)));
  }
  return family;
}

}  // namespace alertllm::internal
