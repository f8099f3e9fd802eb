// SPDX-License-Identifier: Apache-2.0
#pragma once

// The client's own counters (the llm_client_* and gen_ai_* families of
// HttpLlmClient::GetCollectable()) and the collectable that exports them after the breaker's
// families.
#include <prometheus/collectable.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "alertllm/alert.hpp"
#include "alertllm/circuit_breaker.hpp"
#include "alertllm/config.hpp"
#include "alertllm/errors.hpp"
#include "alertllm/result.hpp"
#include "engine/gen_ai_metrics.hpp"
#include "redact/redaction_rules.hpp"

namespace alertllm::internal {

inline constexpr std::array<ErrorCode, 11> kErrorCodes = {
    ErrorCode::kCircuitOpen,   ErrorCode::kInvalidRequest, ErrorCode::kInvalidResponse,
    ErrorCode::kRateLimited,   ErrorCode::kServerError,    ErrorCode::kClientError,
    ErrorCode::kTimeout,       ErrorCode::kNetworkError,   ErrorCode::kCancelled,
    ErrorCode::kInvalidConfig, ErrorCode::kUnknown};
// Index 0 is "success"; 1 + the ErrorCode's value for the rest.
inline constexpr std::size_t kCategories = kErrorCodes.size() + 1;
inline constexpr std::array<Severity, 4> kSeverities = {Severity::kNoise, Severity::kInfo,
                                                        Severity::kWarning, Severity::kCritical};
// The values of Classification::source.
inline constexpr std::array<std::string_view, 3> kSources = {"llm", "cache", "fallback"};
// What a cache lookup found: an answer kept, nothing (the call asked the LLM), or a request in
// flight that the call then shared. The `result` label values, in this order.
enum class CacheLookup { kHit, kMiss, kShared };
inline constexpr std::array<std::string_view, 3> kCacheLookups = {"hit", "miss", "shared"};
// Why the limiter held a call back: a 429's hint paused all sending, or it ended a call whose
// queue was full or whose deadline passed while it waited. The `reason` label values.
enum class LimitReason { kRetryAfter, kQueueFull, kDeadline };
inline constexpr std::array<std::string_view, 3> kLimitReasons = {"retry_after", "queue_full",
                                                                  "deadline"};

// The token types of llm_client_tokens_total, in TokenUsage's order.
inline constexpr std::array<std::string_view, 3> kTokenTypes = {"input", "output", "cached_input"};

/// The client's counters: written with relaxed atomics on the call path, read at scrape time.
///
/// Thread-safe: every member may be called concurrently; none allocates or locks.
struct ClientMetrics {
  /// The gen_ai_* labels of a default Config (for tests of other stages).
  ClientMetrics() = default;
  /// The gen_ai_* labels of `config` (provider, model).
  explicit ClientMetrics(const Config& config) : gen_ai(config) {}

  std::array<std::atomic<std::uint64_t>, kCategories> requests{};
  std::atomic<std::uint64_t> attempts{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> budget_denials{0};
  std::array<std::atomic<std::uint64_t>, CallDurationHistogram::kBucketBoundsSeconds.size() + 1>
      attempt_buckets{};
  std::atomic<std::uint64_t> attempt_count{0};
  std::atomic<std::uint64_t> attempt_sum_ns{0};
  // [source][severity], in kSources and kSeverities order.
  std::array<std::array<std::atomic<std::uint64_t>, kSeverities.size()>, kSources.size()>
      classifications{};
  // By ErrorCode value: the error the fallback answered in place of.
  std::array<std::atomic<std::uint64_t>, kErrorCodes.size()> fallbacks{};
  // By CacheLookup value.
  std::array<std::atomic<std::uint64_t>, kCacheLookups.size()> cache_lookups{};
  // Answers kept, as of the last lookup.
  std::atomic<std::uint64_t> cache_entries{0};
  // The limiter's state after its last change.
  std::atomic<std::int64_t> concurrency_limit{0};
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> queued{0};
  // By LimitReason value.
  std::array<std::atomic<std::uint64_t>, kLimitReasons.size()> limited{};
  // By kRedactionRules index: values (or parts of values) replaced.
  std::array<std::atomic<std::uint64_t>, kRedactionRules.size()> redactions{};
  // [label severity - 1][llm severity - 1]: answers that ranked an alert below its own label.
  std::array<std::array<std::atomic<std::uint64_t>, kSeverities.size()>, kSeverities.size()>
      disagreements{};
  // By kTokenTypes index.
  std::array<std::atomic<std::uint64_t>, kTokenTypes.size()> tokens{};
  // The OpenTelemetry GenAI client histograms, per HTTP request.
  GenAiMetrics gen_ai;

  /// The call's real outcome, whether or not the fallback then answers.
  void Request(const Result<Classification>& result) noexcept;
  void Fallback(ErrorCode reason) noexcept;
  void Classified(const Classification& answer) noexcept;
  /// One HTTP request sent, and how long it took.
  void Attempt(std::chrono::nanoseconds duration) noexcept;
  /// What that request brought back, for the gen_ai_* families and the token counts: `answer`
  /// when it decoded (null otherwise), else `error`. The only place an answer's usage is
  /// counted: a cache hit or a shared answer made no request and costs nothing again.
  void Operation(std::chrono::nanoseconds duration, const Classification* answer,
                 const Error& error) noexcept;
  void Retry() noexcept { retries.fetch_add(1, std::memory_order_relaxed); }
  void BudgetDenial() noexcept { budget_denials.fetch_add(1, std::memory_order_relaxed); }
  /// One lookup of the share stage, and the answers kept after it.
  void CacheLookup(CacheLookup lookup, std::size_t entries) noexcept {
    cache_lookups[static_cast<std::size_t>(lookup)].fetch_add(1, std::memory_order_relaxed);
    cache_entries.store(entries, std::memory_order_relaxed);
  }
  /// The limiter's limit, slots held and calls waiting.
  void Limiter(int limit, int held, std::size_t waiting) noexcept {
    concurrency_limit.store(limit, std::memory_order_relaxed);
    in_flight.store(held, std::memory_order_relaxed);
    queued.store(static_cast<std::int64_t>(waiting), std::memory_order_relaxed);
  }
  /// `count` replacements by the rule at `rule` (an index into kRedactionRules).
  void Redacted(std::size_t rule, std::uint64_t count = 1) noexcept {
    if (rule < redactions.size()) redactions[rule].fetch_add(count, std::memory_order_relaxed);
  }
  /// The LLM ranked an alert labelled `label` as `llm`; counted only when llm < label.
  void SeverityDisagreement(Severity label, Severity llm) noexcept;
  /// The tokens an LLM answer cost.
  void Tokens(const TokenUsage& usage) noexcept;
  void Limited(LimitReason reason) noexcept {
    limited[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
};

/// The breaker's families (from `breaker`) followed by the client's (from `metrics`), the
/// gen_ai_* ones last. With `enabled` false, Collect() returns no family at all:
/// Config::enable_metrics is off.
std::shared_ptr<prometheus::Collectable> MakeClientCollector(
    std::shared_ptr<const ClientMetrics> metrics, std::shared_ptr<prometheus::Collectable> breaker,
    bool enabled);

}  // namespace alertllm::internal
