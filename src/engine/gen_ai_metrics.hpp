// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "alertllm/alert.hpp"
#include "alertllm/config.hpp"
#include "alertllm/errors.hpp"

namespace alertllm::internal {

/// The OpenTelemetry GenAI client metrics (semantic conventions `gen_ai.client.token.usage`
/// and `gen_ai.client.operation.duration`) under the names an OTel Prometheus exporter gives
/// them, so dashboards built for OTel-instrumented LLM clients work unchanged:
///
///   gen_ai_client_token_usage{gen_ai_operation_name="chat", gen_ai_provider_name,
///       gen_ai_request_model, gen_ai_token_type="input"|"output"}       histogram, tokens
///   gen_ai_client_operation_duration_seconds{gen_ai_operation_name="chat",
///       gen_ai_provider_name, gen_ai_request_model[, error_type]}       histogram, seconds
///
/// with the buckets the conventions advise. One observation per HTTP request to the LLM: its
/// duration, with `error_type` = ClassifyError() of its failure; its tokens, when the answer
/// reported them. The series without `error_type` and both token series exist from the start
/// (at 0); a failed series appears once a request failed that way.
///
/// Thread-safe: Operation() and Tokens() may be called concurrently (relaxed atomics, no lock,
/// no allocation); the families are read at scrape time, each counter atomically on its own.
class GenAiMetrics {
 public:
  static constexpr std::array<double, 14> kTokenBounds = {
      1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
  static constexpr std::array<double, 14> kDurationBoundsSeconds = {
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
  static_assert(kTokenBounds.size() == kDurationBoundsSeconds.size());
  /// The longest model label: the model comes from configuration and may be anything.
  static constexpr std::size_t kMaxModelBytes = 128;

  /// Labels from a default Config.
  GenAiMetrics();
  /// Labels from `config`: ProviderName(config), and config.model as detail::Clip() shows it
  /// in at most kMaxModelBytes bytes (valid UTF-8, "..." when cut).
  explicit GenAiMetrics(const Config& config);

  GenAiMetrics(const GenAiMetrics&) = delete;
  GenAiMetrics& operator=(const GenAiMetrics&) = delete;

  /// `gen_ai_provider_name`: "openai" for Protocol::kOpenAI; for the proxy protocol the part
  /// of config.model before its first '/' when it looks like "provider/name" ("openai/gpt-4o"
  /// → "openai"), else "alertllm_proxy". Clipped as the model is.
  static std::string ProviderName(const Config& config);

  /// One HTTP request that took `duration` (negative counts as 0); `error` is the category of
  /// its failure, none when it returned a usable answer.
  void Operation(std::chrono::nanoseconds duration, std::optional<ErrorCode> error) noexcept;
  /// The tokens one answer reported: prompt_tokens as "input", completion_tokens as "output".
  void Tokens(const TokenUsage& usage) noexcept;

  prometheus::MetricFamily TokenUsageFamily() const;
  prometheus::MetricFamily OperationDurationFamily() const;

 private:
  // Per-bucket (not cumulative) counts, the last one above every bound, and the sum in the
  // unit Observe() is given: tokens, or nanoseconds.
  struct Histogram {
    std::array<std::atomic<std::uint64_t>, kTokenBounds.size() + 1> buckets{};
    std::atomic<std::uint64_t> sum{0};

    void Observe(std::size_t bucket, std::uint64_t value) noexcept;
    prometheus::ClientMetric Read(const std::array<double, 14>& bounds, double sum_scale) const;
  };

  prometheus::ClientMetric Labelled(prometheus::ClientMetric metric) const;

  const std::string provider_;
  const std::string model_;
  // Index 0 is success, 1 + the ErrorCode's value for the rest.
  std::array<Histogram, static_cast<std::size_t>(ErrorCode::kUnknown) + 2> durations_;
  Histogram input_tokens_;
  Histogram output_tokens_;
};

}  // namespace alertllm::internal
