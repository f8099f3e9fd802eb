// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alertllm/detail/strings.hpp"
#include "alertllm/result.hpp"

namespace alertllm {

/// When the circuit breaker records an outcome.
enum class RecordMode {
  kPerCall,     ///< One outcome per ClassifyAlert call, after its retries (the seed's behaviour).
  kPerAttempt,  ///< One outcome per HTTP attempt.
};

/// "per_call" or "per_attempt" (the LLM_CIRCUIT_BREAKER_RECORD values).
constexpr std::string_view ToString(RecordMode mode) noexcept {
  return mode == RecordMode::kPerAttempt ? "per_attempt" : "per_call";
}

/// The wire protocol spoken to the LLM endpoint (DESIGN.md §5).
enum class Protocol {
  kProxy,   ///< The seed's LLM proxy: POST {base_url}/classify, GET {base_url}/health.
  kOpenAI,  ///< OpenAI-compatible: POST {base_url}/v1/chat/completions, GET {base_url}/v1/models.
};

/// "proxy" or "openai" (the LLM_PROTOCOL values).
constexpr std::string_view ToString(Protocol protocol) noexcept {
  return protocol == Protocol::kOpenAI ? "openai" : "proxy";
}

/// What ClassifyAlert answers when the LLM cannot (DESIGN.md §2 step 6).
enum class FallbackMode {
  kNone,   ///< Return the error (the default).
  kRules,  ///< Answer with RuleBasedClassifier (fallback.hpp), marked `source = "fallback"`.
};

/// "none" or "rules" (the LLM_FALLBACK values).
constexpr std::string_view ToString(FallbackMode mode) noexcept {
  return mode == FallbackMode::kRules ? "rules" : "none";
}

/// Whether the alert's own `severity` label bounds the answer from below (DESIGN.md, Security).
enum class SeverityFloor {
  kNone,   ///< The answer's severity stands (the default); disagreements are still counted.
  kLabel,  ///< Never below the alert's `severity` label; Classification::severity_adjusted says so.
};

/// "none" or "label" (the LLM_SEVERITY_FLOOR values).
constexpr std::string_view ToString(SeverityFloor floor) noexcept {
  return floor == SeverityFloor::kLabel ? "label" : "none";
}

namespace detail {

// The enumerator whose ToString() is `text` exactly, or kInvalidConfig "must be a or b": the
// one parser behind ParseRecordMode, ParseProtocol and ParseFallbackMode.
template <typename Enum>
Result<Enum> ParseEnum(std::string_view text, Enum first, Enum second) {
  if (text == ToString(first)) return first;
  if (text == ToString(second)) return second;
  std::string message = "must be ";
  message.append(ToString(first));
  message += " or ";
  message.append(ToString(second));
  return Error{ErrorCode::kInvalidConfig, std::move(message)};
}

}  // namespace detail

/// Parses "per_call" or "per_attempt" (exactly). Error: kInvalidConfig "must be per_call or
/// per_attempt", which quotes nothing, so callers prefix the variable or flag and its value.
inline Result<RecordMode> ParseRecordMode(std::string_view text) {
  return detail::ParseEnum(text, RecordMode::kPerCall, RecordMode::kPerAttempt);
}

/// Parses "proxy" or "openai" (exactly). Error: kInvalidConfig "must be proxy or openai".
inline Result<Protocol> ParseProtocol(std::string_view text) {
  return detail::ParseEnum(text, Protocol::kProxy, Protocol::kOpenAI);
}

/// Parses "none" or "rules" (exactly). Error: kInvalidConfig "must be none or rules".
inline Result<FallbackMode> ParseFallbackMode(std::string_view text) {
  return detail::ParseEnum(text, FallbackMode::kNone, FallbackMode::kRules);
}

/// Parses "none" or "label" (exactly). Error: kInvalidConfig "must be none or label".
inline Result<SeverityFloor> ParseSeverityFloor(std::string_view text) {
  return detail::ParseEnum(text, SeverityFloor::kNone, SeverityFloor::kLabel);
}

/// What is taken out of an alert before it leaves the process (README, Security): values of
/// the labels and annotations named in `keys` whole, and every match of the built-in rules
/// and of `patterns` in any label or annotation value, generator URL or alert name. Each
/// becomes `[REDACTED:<rule>]`. The fingerprint (and so the cache key) is computed before.
struct RedactionConfig {
  bool enabled = true;
  /// Label or annotation names whose values are replaced whole (rule "key"); exact match.
  std::vector<std::string> keys;
  /// The built-in rules (credentials in URLs, password=/token=/… values, bearer tokens, AWS
  /// access key ids, JWTs, GitHub and Slack tokens, PEM private keys).
  bool builtin_rules = true;
  /// More value patterns (RE2 syntax, linear time; rule "custom"). Validate() names an invalid
  /// one.
  std::vector<std::string> patterns;
};

/// Circuit breaker settings: the seed's fields and defaults, plus the additions of DESIGN.md §3.
struct CircuitBreakerConfig {
  /// Open after this many consecutive failures.
  int max_failures = 5;
  /// How long the breaker stays open before it lets a probe through.
  std::chrono::milliseconds reset_timeout = std::chrono::seconds(30);
  /// Or open when the failure rate in `time_window` reaches this fraction (0 < x ≤ 1)…
  double failure_threshold = 0.5;
  /// …measured over this sliding window…
  std::chrono::milliseconds time_window = std::chrono::seconds(60);
  /// A call at least this slow counts as a failure (and as slow).
  std::chrono::milliseconds slow_call_duration = std::chrono::seconds(3);
  /// Probes admitted while half-open; all must succeed to close.
  int half_open_max_calls = 1;
  /// false: the breaker admits everything and records nothing.
  bool enabled = true;
  /// …once the window holds at least this many calls. 0 (the default) means "as many as
  /// `max_failures`", the seed's implicit rule, whatever max_failures is set to and whether the
  /// Config comes from code or from ConfigFromEnv (LLM_CIRCUIT_BREAKER_MINIMUM_CALLS unset);
  /// see EffectiveMinimumCalls().
  int minimum_calls = 0;
  /// Each reopen without an intervening close multiplies the open duration by this (≥ 1)…
  double reset_timeout_multiplier = 1.0;
  /// …up to this.
  std::chrono::milliseconds max_reset_timeout = std::chrono::minutes(5);
  /// Record one outcome per call (seed) or per HTTP attempt.
  RecordMode record = RecordMode::kPerCall;
};

/// The minimum_calls a breaker built from `config` uses: `minimum_calls`, or `max_failures`
/// when minimum_calls is 0. Thread-safe; pure.
constexpr int EffectiveMinimumCalls(const CircuitBreakerConfig& config) noexcept {
  return config.minimum_calls > 0 ? config.minimum_calls : config.max_failures;
}

/// Retry throttling as in gRPC: a retry is allowed only while the bucket holds more than half
/// of `max_tokens`; a retryable failure costs one token, a success earns `token_ratio`.
struct RetryBudgetConfig {
  bool enabled = true;
  int max_tokens = 10;
  double token_ratio = 0.1;
};

/// Sharing and caching of LLM answers (DESIGN.md §8): calls for the same alert (fingerprint and
/// status) share one request while it is in flight, and a successful LLM answer is reused for
/// `ttl`. Errors and fallback answers are never kept.
struct CacheConfig {
  bool enabled = true;
  /// How long a successful LLM answer is reused (whole seconds, > 0).
  std::chrono::seconds ttl = std::chrono::minutes(15);
  /// Most answers kept; the least recently used goes first. Bounds the cache's memory.
  std::size_t max_entries = 10000;
};

/// How many LLM requests one client keeps in flight (DESIGN.md §8).
struct ConcurrencyConfig {
  /// The most requests in flight at once (1..1024).
  int max_in_flight = 16;
  /// Halve the limit on a timeout (at most once per round trip); on a 429 while the limit is in
  /// use, drop it to the requests the server is still serving (else halve); grow it back by
  /// about one per round trip of successes (not while a Retry-After holds it), between 1 and
  /// max_in_flight.
  bool adaptive = true;
  /// The most calls waiting for a slot; one more, or one whose deadline passes while it waits,
  /// ends as kRateLimited. 0: no call waits.
  std::size_t max_queued = 10000;
};

/// Everything HttpLlmClient needs. Seed fields keep the seed's names and defaults; the rest are
/// the additions of DESIGN.md §4. `DefaultConfig()` returns this as default-constructed.
struct Config {
  /// Where the LLM proxy (or OpenAI-compatible server) listens; http:// or https://. A query
  /// ("?api-version=…") follows the request path. User-info and query values are secrets:
  /// logged masked ("https://***:***@host/v1?key=***"), never in an error.
  std::string base_url = "http://127.0.0.1:8080";
  /// Sent as `Authorization: Bearer …` when non-empty; never logged, never in an error.
  std::string api_key;
  std::string model = "openai/gpt-4o";
  /// Per HTTP attempt.
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
  /// Retries after the first attempt, 429s not counted (a 429 goes back to the limiter's queue
  /// for as long as the deadline allows): at most max_retries + 1 requests that are not 429s.
  int max_retries = 3;
  /// Delay before the first retry…
  std::chrono::milliseconds retry_delay = std::chrono::seconds(1);
  /// …multiplied by this for each further retry…
  double retry_backoff = 2.0;
  /// …capped at this, before jitter.
  std::chrono::milliseconds max_retry_delay = std::chrono::seconds(10);
  /// Fraction of each delay taken off at random (0: none, 1: full jitter).
  double jitter = 0.25;
  /// A server's Retry-After above this ends the retries instead of waiting (on a 429 too: it
  /// then pauses nothing).
  std::chrono::milliseconds max_retry_after = std::chrono::seconds(60);
  /// Bound on a whole call: every attempt and every sleep.
  std::chrono::milliseconds call_timeout = std::chrono::seconds(60);
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  RetryBudgetConfig retry_budget;
  Protocol protocol = Protocol::kProxy;
  bool enable_metrics = true;
  /// Larger response bodies are cut off and the attempt fails as kInvalidResponse.
  std::size_t max_response_bytes = 1024 * 1024;
  /// Largest request body sent: an alert whose encoded request would be larger (a runaway
  /// annotation) fails as kInvalidRequest before any request, instead of being sent.
  std::size_t max_request_bytes = 1024 * 1024;
  /// Verify the server's TLS certificate and host name. false: the client logs one warning at
  /// construction.
  bool tls_verify = true;
  /// CA bundle for TLS verification; empty: the system's.
  std::string ca_file;
  /// Sent with every request, after the standard headers. The values are secrets, as api_key.
  std::vector<std::pair<std::string, std::string>> extra_headers;
  /// The classification instructions; empty: the built-in prompt.
  std::string prompt;
  /// kRules: when the LLM cannot answer (breaker open, retries exhausted, invalid answer),
  /// ClassifyAlert answers with the rule-based classifier instead of the error.
  FallbackMode fallback = FallbackMode::kNone;
  /// kLabel: an answer never ranks below the alert's own `severity` label.
  SeverityFloor severity_floor = SeverityFloor::kNone;
  RedactionConfig redaction;
  CircuitBreakerConfig circuit_breaker;
  CacheConfig cache;
  ConcurrencyConfig concurrency;
};

/// The defaults of the seed's `DefaultConfig()` (with a loopback base_url).
inline Config DefaultConfig() { return Config{}; }

}  // namespace alertllm

// Validate() and CheckConfig(): every Config user has them.
#include "alertllm/validate.hpp"  // IWYU pragma: export
