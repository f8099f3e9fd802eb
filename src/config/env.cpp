// SPDX-License-Identifier: Apache-2.0
#include "alertllm/env.hpp"

#include <array>
#include <cstddef>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alertllm/detail/masked_url.hpp"
#include "config/env_parsers.hpp"
#include "config/redaction_parsers.hpp"
#include "util/duration.hpp"
#include "util/text.hpp"

namespace alertllm {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

using internal::DurationParse;
using internal::ParseGoDuration;
using internal::Problem;
using internal::Quote;
using internal::SetBool;
using internal::SetByteSize;
using internal::SetCount;
using internal::SetDuration;
using internal::SetEnum;
using internal::SetExtraHeaders;
using internal::SetInt;
using internal::SetNumber;
using internal::SetSeconds;
using internal::SetSecretFromFile;
using internal::SetString;

using Setter = Problem (*)(std::string_view text, Config& config);

// One row per variable: the single source for parsing, for error messages and for
// EnvVariables() (the README's table is checked against it by env_test.cpp).
struct EnvVar {
  std::string_view name;
  std::string_view default_text;  // as a README shows it
  std::string_view meaning;
  std::string_view field;  // the field name Validate() reports
  bool secret;             // never quoted in an error
  Setter set;
};

// clang-format off
constexpr EnvVar kEnvVars[] = {
    {"LLM_BASE_URL", "http://127.0.0.1:8080", "URL of the LLM proxy or OpenAI-compatible server",
     "base_url", false, [](std::string_view t, Config& c) { return SetString(t, c.base_url); }},
    {"LLM_API_KEY", "(none)", "Bearer token sent in the Authorization header",
     "api_key", true, [](std::string_view t, Config& c) { return SetString(t, c.api_key); }},
    // The path is not secret (an error quotes it); the file's content is (an error never shows
    // it). Read once, here: a key rotated in the file needs a restart.
    {"LLM_API_KEY_FILE", "(none)",
     "File holding the API key (Kubernetes or Docker secret), read at start; not with LLM_API_KEY",
     "api_key", false,
     [](std::string_view t, Config& c) -> Problem {
       // LLM_API_KEY comes first in this table: a key already set came from it.
       if (!c.api_key.empty()) return "conflicts with LLM_API_KEY: set one of them";
       return SetSecretFromFile(t, c.api_key);
     }},
    {"LLM_MODEL", "openai/gpt-4o", "Model name sent with each request",
     "model", false, [](std::string_view t, Config& c) { return SetString(t, c.model); }},
    {"LLM_TIMEOUT", "30s", "Timeout of one HTTP attempt",
     "timeout", false, [](std::string_view t, Config& c) { return SetDuration(t, c.timeout); }},
    {"LLM_MAX_RETRIES", "3", "Retries after the first attempt (429s not counted)",
     "max_retries", false, [](std::string_view t, Config& c) { return SetInt(t, c.max_retries); }},
    {"LLM_RETRY_DELAY", "1s", "Delay before the first retry",
     "retry_delay", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.retry_delay); }},
    {"LLM_RETRY_BACKOFF", "2.0", "Multiplier of the delay for each further retry",
     "retry_backoff", false,
     [](std::string_view t, Config& c) { return SetNumber(t, c.retry_backoff); }},
    {"LLM_MAX_RETRY_DELAY", "10s", "Cap on the delay between retries, before jitter",
     "max_retry_delay", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.max_retry_delay); }},
    {"LLM_JITTER", "0.25", "Fraction of each delay taken off at random (0 to 1)",
     "jitter", false, [](std::string_view t, Config& c) { return SetNumber(t, c.jitter); }},
    {"LLM_MAX_RETRY_AFTER", "60s", "Longest server Retry-After that is waited for",
     "max_retry_after", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.max_retry_after); }},
    {"LLM_CALL_TIMEOUT", "60s", "Bound on a whole call: all attempts and delays",
     "call_timeout", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.call_timeout); }},
    {"LLM_CONNECT_TIMEOUT", "5s", "Timeout of connection setup (TCP and TLS)",
     "connect_timeout", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.connect_timeout); }},
    {"LLM_RETRY_BUDGET_ENABLED", "true", "Throttle retries with a token bucket",
     "retry_budget.enabled", false,
     [](std::string_view t, Config& c) { return SetBool(t, c.retry_budget.enabled); }},
    {"LLM_RETRY_BUDGET_MAX_TOKENS", "10", "Tokens in the retry budget",
     "retry_budget.max_tokens", false,
     [](std::string_view t, Config& c) { return SetInt(t, c.retry_budget.max_tokens); }},
    {"LLM_RETRY_BUDGET_TOKEN_RATIO", "0.1", "Tokens earned back per success",
     "retry_budget.token_ratio", false,
     [](std::string_view t, Config& c) { return SetNumber(t, c.retry_budget.token_ratio); }},
    {"LLM_PROTOCOL", "proxy", "Wire protocol: proxy or openai",
     "protocol", false,
     [](std::string_view t, Config& c) { return SetEnum(ParseProtocol, t, c.protocol); }},
    {"LLM_ENABLE_METRICS", "true", "Record Prometheus metrics",
     "enable_metrics", false,
     [](std::string_view t, Config& c) { return SetBool(t, c.enable_metrics); }},
    {"LLM_MAX_RESPONSE_BYTES", "1MiB",
     "Largest response body accepted; bytes, or with KiB/MiB/GiB or KB/MB/GB",
     "max_response_bytes", false,
     [](std::string_view t, Config& c) { return SetByteSize(t, c.max_response_bytes); }},
    {"LLM_MAX_REQUEST_BYTES", "1MiB",
     "Largest request body sent (larger alerts fail as invalid_request); same units",
     "max_request_bytes", false,
     [](std::string_view t, Config& c) { return SetByteSize(t, c.max_request_bytes); }},
    {"LLM_TLS_VERIFY", "true", "Verify the server's TLS certificate and host name",
     "tls_verify", false, [](std::string_view t, Config& c) { return SetBool(t, c.tls_verify); }},
    {"LLM_CA_FILE", "(system CA bundle)", "CA bundle for TLS verification",
     "ca_file", false, [](std::string_view t, Config& c) { return SetString(t, c.ca_file); }},
    {"LLM_EXTRA_HEADERS", "(none)", "Extra request headers: Name=Value,Name2=Value2",
     "extra_headers", true,
     [](std::string_view t, Config& c) { return SetExtraHeaders(t, c.extra_headers); }},
    {"LLM_PROMPT", "(built-in prompt)", "Classification instructions",
     "prompt", false, [](std::string_view t, Config& c) { return SetString(t, c.prompt); }},
    {"LLM_FALLBACK", "none",
     "When the LLM cannot answer: none (return the error) or rules (rule-based classification)",
     "fallback", false,
     [](std::string_view t, Config& c) { return SetEnum(ParseFallbackMode, t, c.fallback); }},
    {"LLM_SEVERITY_FLOOR", "none",
     "none (the answer stands) or label (an answer never ranks below the alert's own severity "
     "label: critical > warning > info > noise)",
     "severity_floor", false,
     [](std::string_view t, Config& c) {
       return SetEnum(ParseSeverityFloor, t, c.severity_floor);
     }},
    {"LLM_CIRCUIT_BREAKER_ENABLED", "true", "Enable the circuit breaker",
     "circuit_breaker.enabled", false,
     [](std::string_view t, Config& c) { return SetBool(t, c.circuit_breaker.enabled); }},
    {"LLM_CIRCUIT_BREAKER_MAX_FAILURES", "5", "Open after this many consecutive failures",
     "circuit_breaker.max_failures", false,
     [](std::string_view t, Config& c) { return SetInt(t, c.circuit_breaker.max_failures); }},
    {"LLM_CIRCUIT_BREAKER_RESET_TIMEOUT", "30s", "How long the breaker stays open",
     "circuit_breaker.reset_timeout", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.circuit_breaker.reset_timeout); }},
    {"LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "0.5",
     "Or open when the failure rate in the window reaches this (0 < x <= 1)",
     "circuit_breaker.failure_threshold", false,
     [](std::string_view t, Config& c) {
       return SetNumber(t, c.circuit_breaker.failure_threshold);
     }},
    {"LLM_CIRCUIT_BREAKER_TIME_WINDOW", "60s", "Sliding window of the failure rate",
     "circuit_breaker.time_window", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.circuit_breaker.time_window); }},
    {"LLM_CIRCUIT_BREAKER_SLOW_CALL_DURATION", "3s", "A call at least this slow is a failure",
     "circuit_breaker.slow_call_duration", false,
     [](std::string_view t, Config& c) {
       return SetDuration(t, c.circuit_breaker.slow_call_duration);
     }},
    {"LLM_CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS", "1", "Probes admitted while half-open",
     "circuit_breaker.half_open_max_calls", false,
     [](std::string_view t, Config& c) {
       return SetInt(t, c.circuit_breaker.half_open_max_calls);
     }},
    {"LLM_CIRCUIT_BREAKER_MINIMUM_CALLS", "(LLM_CIRCUIT_BREAKER_MAX_FAILURES)",
     "Calls the window must hold before the failure rate counts; 0: as many as max failures",
     "circuit_breaker.minimum_calls", false,
     [](std::string_view t, Config& c) { return SetInt(t, c.circuit_breaker.minimum_calls); }},
    {"LLM_CIRCUIT_BREAKER_RESET_TIMEOUT_MULTIPLIER", "1.0",
     "Open duration multiplier for each reopen without a close (>= 1)",
     "circuit_breaker.reset_timeout_multiplier", false,
     [](std::string_view t, Config& c) {
       return SetNumber(t, c.circuit_breaker.reset_timeout_multiplier);
     }},
    {"LLM_CIRCUIT_BREAKER_MAX_RESET_TIMEOUT", "5m",
     "Cap on the multiplied open duration (raised to the reset timeout when unset)",
     "circuit_breaker.max_reset_timeout", false,
     [](std::string_view t, Config& c) {
       return SetDuration(t, c.circuit_breaker.max_reset_timeout);
     }},
    {"LLM_CIRCUIT_BREAKER_RECORD", "per_call",
     "Record one breaker outcome per call or per HTTP attempt: per_call or per_attempt",
     "circuit_breaker.record", false,
     [](std::string_view t, Config& c) { return SetEnum(ParseRecordMode, t, c.circuit_breaker.record); }},
    {"LLM_CACHE_ENABLED", "true",
     "Share one LLM request among calls for the same alert and reuse its answer",
     "cache.enabled", false,
     [](std::string_view t, Config& c) { return SetBool(t, c.cache.enabled); }},
    {"LLM_CACHE_TTL", "15m", "How long a successful LLM answer is reused (whole seconds)",
     "cache.ttl", false, [](std::string_view t, Config& c) { return SetSeconds(t, c.cache.ttl); }},
    {"LLM_CACHE_MAX_ENTRIES", "10000", "Most answers kept; the least recently used goes first",
     "cache.max_entries", false,
     [](std::string_view t, Config& c) { return SetCount(t, c.cache.max_entries); }},
    {"LLM_MAX_IN_FLIGHT", "16", "Most LLM requests in flight per client (1..1024)",
     "concurrency.max_in_flight", false,
     [](std::string_view t, Config& c) { return SetInt(t, c.concurrency.max_in_flight); }},
    {"LLM_ADAPTIVE_CONCURRENCY", "true",
     "Shrink the in-flight limit on a 429 or timeout, grow it back on successes",
     "concurrency.adaptive", false,
     [](std::string_view t, Config& c) { return SetBool(t, c.concurrency.adaptive); }},
    {"LLM_MAX_QUEUED", "10000",
     "Most calls waiting for a slot; one more, or one past its deadline, fails as rate_limit",
     "concurrency.max_queued", false,
     [](std::string_view t, Config& c) { return SetCount(t, c.concurrency.max_queued); }},
    {"LLM_REDACTION_ENABLED", "true",
     "Redact alert values before they leave the process (keys, built-in rules, patterns)",
     "redaction.enabled", false,
     [](std::string_view t, Config& c) { return SetBool(t, c.redaction.enabled); }},
    {"LLM_REDACT_BUILTIN_RULES", "true",
     "Apply the built-in rules: URL credentials, password=/token=, bearer, AWS, JWT, GitHub, "
     "Slack, private keys",
     "redaction.builtin_rules", false,
     [](std::string_view t, Config& c) { return SetBool(t, c.redaction.builtin_rules); }},
    {"LLM_REDACT_KEYS", "(none)",
     "Label and annotation names whose values are replaced whole: name,name2",
     "redaction.keys", false,
     [](std::string_view t, Config& c) { return internal::SetNameList(t, c.redaction.keys); }},
    {"LLM_REDACT_PATTERNS", "(none)", "More value patterns (RE2 syntax), one per line",
     "redaction.patterns", false,
     [](std::string_view t, Config& c) { return internal::AddPatterns(t, c.redaction.patterns); }},
    {"LLM_REDACT_PATTERNS_FILE", "(none)",
     "File of more patterns, one per line; blank lines and lines starting with # skipped",
     "redaction.patterns", false,
     [](std::string_view t, Config& c) {
       return internal::AddPatternsFile(t, c.redaction.patterns);
     }},
};
// clang-format on

constexpr std::size_t kEnvVarCount = std::size(kEnvVars);

constexpr std::size_t IndexOf(std::string_view name) {
  for (std::size_t i = 0; i < kEnvVarCount; ++i) {
    if (kEnvVars[i].name == name) return i;
  }
  return kEnvVarCount;
}

constexpr std::size_t kResetTimeout = IndexOf("LLM_CIRCUIT_BREAKER_RESET_TIMEOUT");
constexpr std::size_t kMaxResetTimeout = IndexOf("LLM_CIRCUIT_BREAKER_MAX_RESET_TIMEOUT");
static_assert(kResetTimeout < kEnvVarCount && kMaxResetTimeout < kEnvVarCount);

using RawValues = std::array<std::optional<std::string>, kEnvVarCount>;

// A value as an error quotes it; base_url's user-info and query values may be credentials.
std::string Shown(const EnvVar& var, std::string_view value) {
  return Quote(var.field == "base_url" ? detail::MaskUrl(value) : std::string(value));
}

void AppendPart(std::string& message, std::string_view part) {
  if (!message.empty()) message += "; ";
  message.append(part);
}

// CheckConfig() names struct fields, but the user wrote variables: each problem reads
// "LLM_VAR: 'raw text' rule" — the raw text in place of the parsed value (`got`: 1.5, not
// what was typed). A variable left unset (the field kept its default, or a cross-field rule
// failed) reads "LLM_VAR (not set, defaults to X): rule, got value". A secret never gets its
// value quoted. A problem whose field has no variable is kept as Validate() words it.
std::string DescribeProblem(const ConfigProblem& problem, const RawValues& raw) {
  std::string rule = problem.message;
  if (!problem.got.empty()) rule += ", got " + problem.got;
  // "extra_headers[2]" belongs to the variable of "extra_headers"; of two variables for one
  // field (api_key), the one that was set.
  const std::string_view field = problem.field;
  const std::string_view base_field = field.substr(0, field.find('['));
  std::size_t index = kEnvVarCount;
  for (std::size_t i = 0; i < kEnvVarCount; ++i) {
    if (kEnvVars[i].field == base_field && (index == kEnvVarCount || raw[i])) index = i;
  }
  if (index == kEnvVarCount) return problem.field + ": " + rule;
  const EnvVar& var = kEnvVars[index];
  std::string text(var.name);
  if (base_field != field) text += ": " + problem.field;
  if (var.secret) return text + ": " + rule;
  if (raw[index]) return text + ": " + Shown(var, *raw[index]) + " " + problem.message;
  return text + " (not set, defaults to " + std::string(var.default_text) + "): " + rule;
}

std::string DescribeProblems(const std::vector<ConfigProblem>& problems, const RawValues& raw) {
  std::string out;
  for (const ConfigProblem& problem : problems) AppendPart(out, DescribeProblem(problem, raw));
  return out;
}

}  // namespace

Result<Config> ConfigFromEnv() {
  return ConfigFromEnv([](std::string_view name) -> std::optional<std::string> {
    // The names come from kEnvVars, all string literals, so data() is NUL-terminated.
    const char* value = std::getenv(name.data());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

std::vector<EnvVariable> EnvVariables() {
  std::vector<EnvVariable> out;
  out.reserve(kEnvVarCount);
  for (const EnvVar& var : kEnvVars) out.push_back({var.name, var.default_text, var.meaning});
  return out;
}

Result<Config> ConfigFromEnv(const EnvLookup& lookup) {
  if (!lookup) return Error{ErrorCode::kInvalidConfig, "ConfigFromEnv: the lookup is empty"};
  Config config = DefaultConfig();
  RawValues raw;
  std::string problems;
  for (std::size_t i = 0; i < kEnvVarCount; ++i) {
    const EnvVar& var = kEnvVars[i];
    std::optional<std::string> value = lookup(var.name);
    if (!value || value->empty()) continue;
    if (Problem problem = var.set(*value, config)) {
      std::string text(var.name);
      text += ": ";
      if (!var.secret) text += Shown(var, *value) + " ";
      text += *problem;
      AppendPart(problems, text);
    }
    raw[i] = std::move(value);
  }
  // Validate() would judge the defaults left in place of bad values, so range errors wait until
  // every value parses.
  if (!problems.empty()) return Error{ErrorCode::kInvalidConfig, std::move(problems)};

  // An unset cap never contradicts a longer reset timeout: it rises to meet it.
  if (raw[kResetTimeout] && !raw[kMaxResetTimeout] &&
      config.circuit_breaker.max_reset_timeout < config.circuit_breaker.reset_timeout) {
    config.circuit_breaker.max_reset_timeout = config.circuit_breaker.reset_timeout;
  }
  if (const std::vector<ConfigProblem> found = CheckConfig(config); !found.empty()) {
    return Error{ErrorCode::kInvalidConfig, DescribeProblems(found, raw)};
  }
  return config;
}

namespace {

// The public face of one Set* parser: the value, or the rule it broke as kInvalidConfig.
template <typename T, typename Setter>
Result<T> ParseWith(Setter set, std::string_view text) {
  T value{};
  if (Problem problem = set(text, value)) return Error{ErrorCode::kInvalidConfig, *problem};
  return value;
}

}  // namespace

Result<milliseconds> ParseConfigDuration(std::string_view text) {
  return ParseWith<milliseconds>(SetDuration, text);
}

Result<int> ParseConfigInt(std::string_view text) { return ParseWith<int>(SetInt, text); }

Result<bool> ParseConfigBool(std::string_view text) { return ParseWith<bool>(SetBool, text); }

Result<nanoseconds> ParseDuration(std::string_view text) {
  const DurationParse parsed = ParseGoDuration(text);
  if (!parsed.problem.empty()) {
    return Error{ErrorCode::kInvalidConfig,
                 Quote(text) + " is not a duration (" + std::string(parsed.problem) + ")"};
  }
  return nanoseconds(parsed.nanos);
}

std::string FormatDuration(nanoseconds d) { return internal::FormatGoDuration(d); }

}  // namespace alertllm
