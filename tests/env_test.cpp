// SPDX-License-Identifier: Apache-2.0
#include "alertllm/env.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alertllm/config.hpp"
#include "alertllm/result.hpp"
#include "support/env_vars.hpp"

namespace alertllm {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

using test::ErrorOf;
using test::FromVars;
using test::Vars;

void ExpectSameConfig(const Config& expected, const Config& actual) {
  EXPECT_EQ(expected.base_url, actual.base_url);
  EXPECT_EQ(expected.api_key, actual.api_key);
  EXPECT_EQ(expected.model, actual.model);
  EXPECT_EQ(expected.timeout.count(), actual.timeout.count());
  EXPECT_EQ(expected.max_retries, actual.max_retries);
  EXPECT_EQ(expected.retry_delay.count(), actual.retry_delay.count());
  EXPECT_EQ(expected.retry_backoff, actual.retry_backoff);
  EXPECT_EQ(expected.max_retry_delay.count(), actual.max_retry_delay.count());
  EXPECT_EQ(expected.jitter, actual.jitter);
  EXPECT_EQ(expected.max_retry_after.count(), actual.max_retry_after.count());
  EXPECT_EQ(expected.call_timeout.count(), actual.call_timeout.count());
  EXPECT_EQ(expected.connect_timeout.count(), actual.connect_timeout.count());
  EXPECT_EQ(expected.retry_budget.enabled, actual.retry_budget.enabled);
  EXPECT_EQ(expected.retry_budget.max_tokens, actual.retry_budget.max_tokens);
  EXPECT_EQ(expected.retry_budget.token_ratio, actual.retry_budget.token_ratio);
  EXPECT_EQ(expected.protocol, actual.protocol);
  EXPECT_EQ(expected.enable_metrics, actual.enable_metrics);
  EXPECT_EQ(expected.max_response_bytes, actual.max_response_bytes);
  EXPECT_EQ(expected.max_request_bytes, actual.max_request_bytes);
  EXPECT_EQ(expected.tls_verify, actual.tls_verify);
  EXPECT_EQ(expected.ca_file, actual.ca_file);
  EXPECT_EQ(expected.extra_headers, actual.extra_headers);
  EXPECT_EQ(expected.prompt, actual.prompt);
  EXPECT_EQ(expected.cache.enabled, actual.cache.enabled);
  EXPECT_EQ(expected.cache.ttl.count(), actual.cache.ttl.count());
  EXPECT_EQ(expected.cache.max_entries, actual.cache.max_entries);
  EXPECT_EQ(expected.concurrency.max_in_flight, actual.concurrency.max_in_flight);
  EXPECT_EQ(expected.concurrency.adaptive, actual.concurrency.adaptive);
  EXPECT_EQ(expected.concurrency.max_queued, actual.concurrency.max_queued);
  EXPECT_EQ(expected.fallback, actual.fallback);
  const CircuitBreakerConfig& e = expected.circuit_breaker;
  const CircuitBreakerConfig& a = actual.circuit_breaker;
  EXPECT_EQ(e.max_failures, a.max_failures);
  EXPECT_EQ(e.reset_timeout.count(), a.reset_timeout.count());
  EXPECT_EQ(e.failure_threshold, a.failure_threshold);
  EXPECT_EQ(e.time_window.count(), a.time_window.count());
  EXPECT_EQ(e.slow_call_duration.count(), a.slow_call_duration.count());
  EXPECT_EQ(e.half_open_max_calls, a.half_open_max_calls);
  EXPECT_EQ(e.enabled, a.enabled);
  EXPECT_EQ(e.minimum_calls, a.minimum_calls);
  EXPECT_EQ(e.reset_timeout_multiplier, a.reset_timeout_multiplier);
  EXPECT_EQ(e.max_reset_timeout.count(), a.max_reset_timeout.count());
  EXPECT_EQ(e.record, a.record);
}

// One variable set to one value, and what that does to DefaultConfig().
struct VariableCase {
  std::string label;
  std::string name;
  std::string value;
  std::function<void(Config&)> apply;
};

std::string LabelOf(const testing::TestParamInfo<VariableCase>& info) { return info.param.label; }

// Short names in test output (and ctest's list) instead of a hex dump of the struct.
void PrintTo(const VariableCase& c, std::ostream* os) { *os << c.name << "=" << c.value; }

const std::vector<VariableCase>& SeedCases() {
  static const std::vector<VariableCase> cases = {
      {"BaseUrl", "LLM_BASE_URL", "https://llm-proxy.example.com",
       [](Config& c) { c.base_url = "https://llm-proxy.example.com"; }},
      {"ApiKey", "LLM_API_KEY", "your-api-key", [](Config& c) { c.api_key = "your-api-key"; }},
      {"Model", "LLM_MODEL", "anthropic/claude", [](Config& c) { c.model = "anthropic/claude"; }},
      {"Timeout", "LLM_TIMEOUT", "45s", [](Config& c) { c.timeout = seconds(45); }},
      {"MaxRetries", "LLM_MAX_RETRIES", "7", [](Config& c) { c.max_retries = 7; }},
      {"RetryDelay", "LLM_RETRY_DELAY", "250ms",
       [](Config& c) { c.retry_delay = milliseconds(250); }},
      {"RetryBackoff", "LLM_RETRY_BACKOFF", "1.5", [](Config& c) { c.retry_backoff = 1.5; }},
      {"CircuitBreakerEnabled", "LLM_CIRCUIT_BREAKER_ENABLED", "false",
       [](Config& c) { c.circuit_breaker.enabled = false; }},
      {"CircuitBreakerMaxFailures", "LLM_CIRCUIT_BREAKER_MAX_FAILURES", "9",
       [](Config& c) { c.circuit_breaker.max_failures = 9; }},
      {"CircuitBreakerResetTimeout", "LLM_CIRCUIT_BREAKER_RESET_TIMEOUT", "1m30s",
       [](Config& c) { c.circuit_breaker.reset_timeout = seconds(90); }},
      {"CircuitBreakerFailureThreshold", "LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "0.75",
       [](Config& c) { c.circuit_breaker.failure_threshold = 0.75; }},
      {"CircuitBreakerTimeWindow", "LLM_CIRCUIT_BREAKER_TIME_WINDOW", "2m",
       [](Config& c) { c.circuit_breaker.time_window = minutes(2); }},
      {"CircuitBreakerSlowCallDuration", "LLM_CIRCUIT_BREAKER_SLOW_CALL_DURATION", "1.5s",
       [](Config& c) { c.circuit_breaker.slow_call_duration = milliseconds(1500); }},
      {"CircuitBreakerHalfOpenMaxCalls", "LLM_CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS", "3",
       [](Config& c) { c.circuit_breaker.half_open_max_calls = 3; }},
  };
  return cases;
}

const std::vector<VariableCase>& AdditionCases() {
  static const std::vector<VariableCase> cases = {
      {"MaxRetryDelay", "LLM_MAX_RETRY_DELAY", "20s",
       [](Config& c) { c.max_retry_delay = seconds(20); }},
      {"Jitter", "LLM_JITTER", "0", [](Config& c) { c.jitter = 0.0; }},
      {"MaxRetryAfter", "LLM_MAX_RETRY_AFTER", "2m",
       [](Config& c) { c.max_retry_after = minutes(2); }},
      {"CallTimeout", "LLM_CALL_TIMEOUT", "90s", [](Config& c) { c.call_timeout = seconds(90); }},
      {"ConnectTimeout", "LLM_CONNECT_TIMEOUT", "750ms",
       [](Config& c) { c.connect_timeout = milliseconds(750); }},
      {"Protocol", "LLM_PROTOCOL", "openai", [](Config& c) { c.protocol = Protocol::kOpenAI; }},
      {"EnableMetrics", "LLM_ENABLE_METRICS", "0", [](Config& c) { c.enable_metrics = false; }},
      {"MaxResponseBytesPlain", "LLM_MAX_RESPONSE_BYTES", "65536",
       [](Config& c) { c.max_response_bytes = 65536; }},
      {"MaxResponseBytesKiB", "LLM_MAX_RESPONSE_BYTES", "512KiB",
       [](Config& c) { c.max_response_bytes = 512 * 1024; }},
      {"MaxResponseBytesMiB", "LLM_MAX_RESPONSE_BYTES", "4MiB",
       [](Config& c) { c.max_response_bytes = 4 * 1024 * 1024; }},
      {"MaxResponseBytesGiB", "LLM_MAX_RESPONSE_BYTES", "1GiB",
       [](Config& c) { c.max_response_bytes = std::size_t{1} << 30; }},
      {"MaxResponseBytesKB", "LLM_MAX_RESPONSE_BYTES", "100KB",
       [](Config& c) { c.max_response_bytes = 100'000; }},
      {"MaxResponseBytesMB", "LLM_MAX_RESPONSE_BYTES", "2MB",
       [](Config& c) { c.max_response_bytes = 2'000'000; }},
      {"MaxResponseBytesGB", "LLM_MAX_RESPONSE_BYTES", "1GB",
       [](Config& c) { c.max_response_bytes = 1'000'000'000; }},
      {"TlsVerify", "LLM_TLS_VERIFY", "false", [](Config& c) { c.tls_verify = false; }},
      {"CaFile", "LLM_CA_FILE", "/etc/ssl/ca.pem",
       [](Config& c) { c.ca_file = "/etc/ssl/ca.pem"; }},
      {"ExtraHeaders", "LLM_EXTRA_HEADERS", "X-Team=sre",
       [](Config& c) {
         c.extra_headers = {{"X-Team", "sre"}};
       }},
      {"Prompt", "LLM_PROMPT", "Classify this alert.",
       [](Config& c) { c.prompt = "Classify this alert."; }},
      {"FallbackRules", "LLM_FALLBACK", "rules",
       [](Config& c) { c.fallback = FallbackMode::kRules; }},
      {"RetryBudgetEnabled", "LLM_RETRY_BUDGET_ENABLED", "false",
       [](Config& c) { c.retry_budget.enabled = false; }},
      {"RetryBudgetMaxTokens", "LLM_RETRY_BUDGET_MAX_TOKENS", "20",
       [](Config& c) { c.retry_budget.max_tokens = 20; }},
      {"RetryBudgetTokenRatio", "LLM_RETRY_BUDGET_TOKEN_RATIO", "0.5",
       [](Config& c) { c.retry_budget.token_ratio = 0.5; }},
      {"CircuitBreakerMinimumCalls", "LLM_CIRCUIT_BREAKER_MINIMUM_CALLS", "12",
       [](Config& c) { c.circuit_breaker.minimum_calls = 12; }},
      {"CircuitBreakerResetTimeoutMultiplier", "LLM_CIRCUIT_BREAKER_RESET_TIMEOUT_MULTIPLIER", "2",
       [](Config& c) { c.circuit_breaker.reset_timeout_multiplier = 2.0; }},
      {"CircuitBreakerMaxResetTimeout", "LLM_CIRCUIT_BREAKER_MAX_RESET_TIMEOUT", "10m",
       [](Config& c) { c.circuit_breaker.max_reset_timeout = minutes(10); }},
      {"CircuitBreakerRecord", "LLM_CIRCUIT_BREAKER_RECORD", "per_attempt",
       [](Config& c) { c.circuit_breaker.record = RecordMode::kPerAttempt; }},
      {"CacheEnabled", "LLM_CACHE_ENABLED", "false", [](Config& c) { c.cache.enabled = false; }},
      {"CacheTtl", "LLM_CACHE_TTL", "1h30m", [](Config& c) { c.cache.ttl = minutes(90); }},
      {"CacheMaxEntries", "LLM_CACHE_MAX_ENTRIES", "+500",
       [](Config& c) { c.cache.max_entries = 500; }},
      {"MaxInFlight", "LLM_MAX_IN_FLIGHT", "64",
       [](Config& c) { c.concurrency.max_in_flight = 64; }},
      {"AdaptiveConcurrency", "LLM_ADAPTIVE_CONCURRENCY", "0",
       [](Config& c) { c.concurrency.adaptive = false; }},
      {"MaxQueued", "LLM_MAX_QUEUED", "0", [](Config& c) { c.concurrency.max_queued = 0; }},
  };
  return cases;
}

class EnvVariableTest : public testing::TestWithParam<VariableCase> {};

TEST_P(EnvVariableTest, SetsItsFieldAndNothingElse) {
  const VariableCase& c = GetParam();
  const Result<Config> result = FromVars({{c.name, c.value}});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  Config expected = DefaultConfig();
  c.apply(expected);
  ExpectSameConfig(expected, *result);
}

INSTANTIATE_TEST_SUITE_P(EnvSeed, EnvVariableTest, testing::ValuesIn(SeedCases()), LabelOf);
INSTANTIATE_TEST_SUITE_P(EnvAdditions, EnvVariableTest, testing::ValuesIn(AdditionCases()),
                         LabelOf);

TEST(EnvTest, NoVariablesGiveDefaultConfig) {
  const Result<Config> result = FromVars({});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ExpectSameConfig(DefaultConfig(), *result);
}

TEST(EnvTest, SeedReadmeValuesGiveSeedDefaults) {
  const Result<Config> result = FromVars({
      {"LLM_MODEL", "openai/gpt-4o"},
      {"LLM_TIMEOUT", "30s"},
      {"LLM_MAX_RETRIES", "3"},
      {"LLM_RETRY_DELAY", "1s"},
      {"LLM_RETRY_BACKOFF", "2.0"},
      {"LLM_CIRCUIT_BREAKER_ENABLED", "true"},
      {"LLM_CIRCUIT_BREAKER_MAX_FAILURES", "5"},
      {"LLM_CIRCUIT_BREAKER_RESET_TIMEOUT", "30s"},
      {"LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "0.5"},
      {"LLM_CIRCUIT_BREAKER_TIME_WINDOW", "60s"},
      {"LLM_CIRCUIT_BREAKER_SLOW_CALL_DURATION", "3s"},
      {"LLM_CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS", "1"},
  });
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ExpectSameConfig(DefaultConfig(), *result);
}

TEST(EnvTest, EmptyValueCountsAsUnset) {
  Vars vars;
  for (const auto* cases : {&SeedCases(), &AdditionCases()}) {
    for (const VariableCase& c : *cases) vars[c.name] = "";
  }
  const Result<Config> result = FromVars(vars);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ExpectSameConfig(DefaultConfig(), *result);
}

TEST(EnvTest, EmptyLookupIsAnErrorNotAThrow) {
  const Result<Config> result = ConfigFromEnv(EnvLookup{});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidConfig);
}

TEST(EnvTest, BooleanAcceptsTrueFalseOneZeroInAnyCase) {
  const std::pair<const char*, bool> cases[] = {
      {"true", true},   {"TRUE", true},   {"True", true},   {"1", true},
      {"false", false}, {"FALSE", false}, {"False", false}, {"0", false},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    const Result<Config> result = FromVars({{"LLM_TLS_VERIFY", text}});
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->tls_verify, expected);
  }
}

TEST(EnvTest, IntegerAcceptsLeadingPlus) {
  const Result<Config> result = FromVars({{"LLM_MAX_RETRIES", "+4"}});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->max_retries, 4);
}

TEST(EnvTest, NumberAcceptsLeadingPlusAndExponent) {
  const Result<Config> result = FromVars({{"LLM_RETRY_BACKOFF", "+1.5"}, {"LLM_JITTER", "5e-1"}});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->retry_backoff, 1.5);
  EXPECT_EQ(result->jitter, 0.5);
}

// A bad value of one variable, and words the error must contain besides the variable's name
// and the quoted value.
struct BadCase {
  std::string label;
  std::string name;
  std::string value;
  std::string says;
};

std::string BadLabelOf(const testing::TestParamInfo<BadCase>& info) { return info.param.label; }

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name << "=" << c.value; }

class EnvBadValueTest : public testing::TestWithParam<BadCase> {};

TEST_P(EnvBadValueTest, IsRejectedNamingVariableAndValue) {
  const BadCase& c = GetParam();
  const std::string message = ErrorOf({{c.name, c.value}});
  EXPECT_NE(message.find(c.name + ": '" + c.value + "' " + c.says), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    EnvUnparsable, EnvBadValueTest,
    testing::Values(
        BadCase{"DurationWord", "LLM_TIMEOUT", "abc", "is not a duration"},
        BadCase{"DurationWithoutUnit", "LLM_TIMEOUT", "30", "is not a duration (missing unit)"},
        BadCase{"DurationUnknownUnit", "LLM_TIMEOUT", "1d", "is not a duration (unknown unit"},
        BadCase{"DurationOverflow", "LLM_TIMEOUT", "9999999999h",
                "is not a duration (out of range)"},
        BadCase{"DurationWithSpace", "LLM_TIMEOUT", "30 s", "is not a duration"},
        BadCase{"DurationSubMillisecond", "LLM_RETRY_DELAY", "1500us",
                "has sub-millisecond precision"},
        BadCase{"DurationSubMillisecondFraction", "LLM_CALL_TIMEOUT", "1.0005s",
                "has sub-millisecond precision"},
        BadCase{"IntegerTrailingJunk", "LLM_MAX_RETRIES", "3x", "is not an integer"},
        BadCase{"IntegerFraction", "LLM_MAX_RETRIES", "3.0", "is not an integer"},
        BadCase{"IntegerOverflow", "LLM_MAX_RETRIES", "2147483648", "is not an integer"},
        BadCase{"IntegerPlusMinus", "LLM_MAX_RETRIES", "+-3", "is not an integer"},
        BadCase{"IntegerLeadingSpace", "LLM_CIRCUIT_BREAKER_MAX_FAILURES", " 3",
                "is not an integer"},
        BadCase{"NumberWord", "LLM_RETRY_BACKOFF", "two", "is not a number"},
        BadCase{"NumberNaN", "LLM_RETRY_BACKOFF", "nan", "is not a number"},
        BadCase{"NumberInfinity", "LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "inf",
                "is not a number"},
        BadCase{"NumberTrailingJunk", "LLM_JITTER", "0.5x", "is not a number"},
        BadCase{"NumberHex", "LLM_JITTER", "0x1", "is not a number"},
        BadCase{"NumberOutOfRange", "LLM_RETRY_BACKOFF", "1e999", "is not a number"},
        BadCase{"BooleanYes", "LLM_CIRCUIT_BREAKER_ENABLED", "yes",
                "is not a boolean (true/false/1/0)"},
        BadCase{"BooleanTwo", "LLM_ENABLE_METRICS", "2", "is not a boolean (true/false/1/0)"},
        BadCase{"ProtocolUnknown", "LLM_PROTOCOL", "grpc", "must be proxy or openai"},
        BadCase{"ProtocolIsCaseSensitive", "LLM_PROTOCOL", "OpenAI", "must be proxy or openai"},
        BadCase{"FallbackUnknown", "LLM_FALLBACK", "llm", "must be none or rules"},
        BadCase{"FallbackIsCaseSensitive", "LLM_FALLBACK", "Rules", "must be none or rules"},
        BadCase{"FallbackBoolean", "LLM_FALLBACK", "true", "must be none or rules"},
        BadCase{"RecordUnknown", "LLM_CIRCUIT_BREAKER_RECORD", "each",
                "must be per_call or per_attempt"},
        BadCase{"ByteSizeUnknownSuffix", "LLM_MAX_RESPONSE_BYTES", "1TB", "is not a byte size"},
        BadCase{"ByteSizeFraction", "LLM_MAX_RESPONSE_BYTES", "1.5MiB", "is not a byte size"},
        BadCase{"ByteSizeNegative", "LLM_MAX_RESPONSE_BYTES", "-1", "is not a byte size"},
        BadCase{"ByteSizeOverflow", "LLM_MAX_RESPONSE_BYTES", "99999999999999999999",
                "is not a byte size (too large)"},
        BadCase{"ByteSizeSuffixOverflow", "LLM_MAX_RESPONSE_BYTES", "17179869184GiB",
                "is not a byte size (too large)"},
        BadCase{"SecondsSubSecond", "LLM_CACHE_TTL", "1500ms", "has sub-second precision"},
        BadCase{"SecondsWithoutUnit", "LLM_CACHE_TTL", "900", "is not a duration (missing unit)"},
        BadCase{"CountNegative", "LLM_MAX_QUEUED", "-1", "is not a count (an integer >= 0)"},
        BadCase{"CountWord", "LLM_CACHE_MAX_ENTRIES", "many", "is not a count (an integer >= 0)"},
        BadCase{"CountOverflow", "LLM_MAX_QUEUED", "99999999999999999999",
                "is not a count (out of range)"}),
    BadLabelOf);

INSTANTIATE_TEST_SUITE_P(
    EnvOutOfRange, EnvBadValueTest,
    testing::Values(
        BadCase{"FailureThreshold", "LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "1.5",
                "must be in (0, 1]"},
        BadCase{"MaxRetriesNegative", "LLM_MAX_RETRIES", "-1", "must be in 0..100"},
        BadCase{"TimeoutZero", "LLM_TIMEOUT", "0s", "must be > 0"},
        BadCase{"BaseUrlScheme", "LLM_BASE_URL", "ftp://example.com",
                "must start with http:// or https://"},
        BadCase{"Jitter", "LLM_JITTER", "1.5", "must be in [0, 1]"},
        BadCase{"MaxResponseBytes", "LLM_MAX_RESPONSE_BYTES", "2GiB", "must be in 64..1073741824"},
        BadCase{"ResetTimeoutMultiplier", "LLM_CIRCUIT_BREAKER_RESET_TIMEOUT_MULTIPLIER", "0.5",
                "must be in [1, 1000]"},
        BadCase{"RetryBudgetMaxTokens", "LLM_RETRY_BUDGET_MAX_TOKENS", "0", "must be >= 1"},
        BadCase{"HalfOpenMaxCalls", "LLM_CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS", "0",
                "must be >= 1"},
        BadCase{"CacheTtlZero", "LLM_CACHE_TTL", "0s", "must be > 0"},
        BadCase{"CacheMaxEntriesZero", "LLM_CACHE_MAX_ENTRIES", "0", "must be in 1..10000000"},
        BadCase{"MaxInFlightZero", "LLM_MAX_IN_FLIGHT", "0", "must be in 1..1024"},
        BadCase{"MaxInFlightTooMany", "LLM_MAX_IN_FLIGHT", "1025", "must be in 1..1024"},
        BadCase{"MaxQueuedTooMany", "LLM_MAX_QUEUED", "10000001", "must be in 0..10000000"}),
    BadLabelOf);

class EnvNegativeDurationTest : public testing::TestWithParam<std::string> {};

TEST_P(EnvNegativeDurationTest, IsRejectedNamingVariable) {
  const std::string message = ErrorOf({{GetParam(), "-5s"}});
  EXPECT_NE(message.find(GetParam() + ": '-5s' must not be negative"), std::string::npos)
      << message;
}

INSTANTIATE_TEST_SUITE_P(EnvEveryDuration, EnvNegativeDurationTest,
                         testing::Values("LLM_TIMEOUT", "LLM_RETRY_DELAY", "LLM_MAX_RETRY_DELAY",
                                         "LLM_MAX_RETRY_AFTER", "LLM_CALL_TIMEOUT",
                                         "LLM_CONNECT_TIMEOUT", "LLM_CIRCUIT_BREAKER_RESET_TIMEOUT",
                                         "LLM_CIRCUIT_BREAKER_TIME_WINDOW",
                                         "LLM_CIRCUIT_BREAKER_SLOW_CALL_DURATION",
                                         "LLM_CIRCUIT_BREAKER_MAX_RESET_TIMEOUT"));

TEST(EnvTest, RangeErrorQuotesTheValueAsTyped) {
  const std::string message = ErrorOf({{"LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "1.5"}});
  EXPECT_EQ(message, "LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD: '1.5' must be in (0, 1]");
}

TEST(EnvTest, ResetTimeoutAboveTheDefaultCapRaisesAnUnsetCap) {
  const Result<Config> config = FromVars({{"LLM_CIRCUIT_BREAKER_RESET_TIMEOUT", "10m"}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->circuit_breaker.reset_timeout, std::chrono::minutes(10));
  EXPECT_EQ(config->circuit_breaker.max_reset_timeout, std::chrono::minutes(10));
}

TEST(EnvTest, ExplicitCapBelowResetTimeoutIsAnError) {
  const std::string message = ErrorOf({{"LLM_CIRCUIT_BREAKER_RESET_TIMEOUT", "10m"},
                                       {"LLM_CIRCUIT_BREAKER_MAX_RESET_TIMEOUT", "5m"}});
  EXPECT_NE(message.find("LLM_CIRCUIT_BREAKER_MAX_RESET_TIMEOUT: '5m' must be >= reset_timeout"),
            std::string::npos)
      << message;
}

TEST(EnvTest, ZeroMaxFailuresIsReportedOnce) {
  const std::string message = ErrorOf({{"LLM_CIRCUIT_BREAKER_MAX_FAILURES", "0"}});
  EXPECT_NE(message.find("LLM_CIRCUIT_BREAKER_MAX_FAILURES: '0' must be >= 1"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("MINIMUM_CALLS"), std::string::npos) << message;
}

TEST(EnvTest, EveryBadVariableIsReported) {
  const std::string message = ErrorOf({
      {"LLM_TIMEOUT", "soon"},
      {"LLM_MAX_RETRIES", "many"},
      {"LLM_CIRCUIT_BREAKER_ENABLED", "maybe"},
  });
  EXPECT_EQ(message,
            "LLM_TIMEOUT: 'soon' is not a duration (expected a number followed by a unit); "
            "LLM_MAX_RETRIES: 'many' is not an integer; "
            "LLM_CIRCUIT_BREAKER_ENABLED: 'maybe' is not a boolean (true/false/1/0)");
}

TEST(EnvTest, EveryOutOfRangeVariableIsReported) {
  const std::string message = ErrorOf({
      {"LLM_MAX_RETRIES", "-1"},
      {"LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "1.5"},
  });
  EXPECT_NE(message.find("LLM_MAX_RETRIES: '-1'"), std::string::npos) << message;
  EXPECT_NE(message.find("LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD: '1.5'"), std::string::npos)
      << message;
}

TEST(EnvTest, QuotedValueIsCutAt64Bytes) {
  const std::string message = ErrorOf({{"LLM_TIMEOUT", std::string(100, '7') + "x"}});
  EXPECT_NE(message.find("'" + std::string(64, '7') + "...'"), std::string::npos) << message;
  EXPECT_EQ(message.find(std::string(65, '7')), std::string::npos) << message;
}

TEST(EnvTest, QuotedValueIsNotCutInsideAUtf8Character) {
  // 63 ASCII bytes, then a 2-byte "é": the cut falls before the "é", not through it.
  const std::string message = ErrorOf({{"LLM_TIMEOUT", std::string(63, 'a') + "\xc3\xa9"}});
  EXPECT_NE(message.find("'" + std::string(63, 'a') + "...'"), std::string::npos) << message;
}

TEST(EnvTest, ControlCharactersInQuotedValueAreReplaced) {
  const std::string message = ErrorOf({{"LLM_TIMEOUT", "5s\nLLM_FAKE: ok"}});
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_NE(message.find("'5s?LLM_FAKE: ok'"), std::string::npos) << message;
}

TEST(EnvTest, ApiKeyWithControlCharacterIsRejectedWithoutEchoingIt) {
  const std::string message = ErrorOf({{"LLM_API_KEY", "sk-key\x01with-ctl"}});
  EXPECT_NE(message.find("LLM_API_KEY"), std::string::npos) << message;
  EXPECT_EQ(message.find("sk-key"), std::string::npos) << message;
}

TEST(EnvTest, ApiKeyNeverAppearsInAnErrorBesideAnUnparsableVariable) {
  const std::string message =
      ErrorOf({{"LLM_API_KEY", "sk-DISTINCTIVE-7f3a"}, {"LLM_TIMEOUT", "sk-DISTINCTIVE-7f3a"}});
  // The same text in a non-secret variable is quoted there, once; the key itself is not.
  EXPECT_EQ(message,
            "LLM_TIMEOUT: 'sk-DISTINCTIVE-7f3a' is not a duration "
            "(expected a number followed by a unit)");
}

TEST(EnvTest, ApiKeyNeverAppearsInAnErrorBesideAnOutOfRangeVariable) {
  const std::string message = ErrorOf(
      {{"LLM_API_KEY", "sk-DISTINCTIVE-7f3a"}, {"LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "1.5"}});
  EXPECT_EQ(message.find("DISTINCTIVE"), std::string::npos) << message;
}

TEST(EnvTest, ExtraHeadersAreTrimmedAndBlankItemsSkipped) {
  const Result<Config> result =
      FromVars({{"LLM_EXTRA_HEADERS", " X-Team = sre ,, X-Token=a=b==,\t,X-Empty="}});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"X-Team", "sre"}, {"X-Token", "a=b=="}, {"X-Empty", ""}};
  EXPECT_EQ(result->extra_headers, expected);
}

TEST(EnvTest, ExtraHeaderItemWithoutEqualsIsNamedByIndexNotText) {
  const std::string message = ErrorOf({{"LLM_EXTRA_HEADERS", "X-A=1,Bearer hunter2,X-B=2"}});
  EXPECT_EQ(message, "LLM_EXTRA_HEADERS: item 2 has no '=' (expected Name=Value)");
}

TEST(EnvTest, ExtraHeaderWithInvalidNameIsRejectedWithoutEchoingIt) {
  const std::string message = ErrorOf({{"LLM_EXTRA_HEADERS", "X Secret=hunter2"}});
  EXPECT_EQ(message,
            "LLM_EXTRA_HEADERS: item 1 has an invalid header name (must be a non-empty RFC 9110 "
            "token)");
}

TEST(EnvTest, ExtraHeaderWithControlCharacterInValueIsRejectedWithoutEchoingIt) {
  const std::string message = ErrorOf({{"LLM_EXTRA_HEADERS", "X-Token=hunter2\r\nX-Evil: 1"}});
  EXPECT_EQ(message, "LLM_EXTRA_HEADERS: item 1 has a control character in its value");
}

TEST(EnvTest, EveryBadExtraHeaderItemIsReported) {
  const std::string message = ErrorOf({{"LLM_EXTRA_HEADERS", "nope,X-A=1,=v"}});
  EXPECT_EQ(message,
            "LLM_EXTRA_HEADERS: item 1 has no '=' (expected Name=Value), item 3 has an invalid "
            "header name (must be a non-empty RFC 9110 token)");
}

TEST(EnvTest, MinimumCallsFollowsMaxFailuresWhenUnset) {
  const Result<Config> result = FromVars({{"LLM_CIRCUIT_BREAKER_MAX_FAILURES", "8"}});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(EffectiveMinimumCalls(result->circuit_breaker), 8);
}

// The same default whether the Config is written in code or read from the environment.
TEST(EnvTest, MinimumCallsDefaultsAsInCode) {
  const Result<Config> empty = FromVars({});
  ASSERT_TRUE(empty.has_value()) << empty.error().message;
  EXPECT_EQ(empty->circuit_breaker.minimum_calls, Config{}.circuit_breaker.minimum_calls);
  EXPECT_EQ(EffectiveMinimumCalls(empty->circuit_breaker),
            EffectiveMinimumCalls(Config{}.circuit_breaker));

  const Result<Config> from_env = FromVars({{"LLM_CIRCUIT_BREAKER_MAX_FAILURES", "8"}});
  ASSERT_TRUE(from_env.has_value()) << from_env.error().message;
  Config in_code;
  in_code.circuit_breaker.max_failures = 8;
  EXPECT_EQ(EffectiveMinimumCalls(from_env->circuit_breaker),
            EffectiveMinimumCalls(in_code.circuit_breaker));
}

TEST(EnvTest, MinimumCallsSetExplicitlyIgnoresMaxFailures) {
  const Result<Config> result = FromVars(
      {{"LLM_CIRCUIT_BREAKER_MAX_FAILURES", "8"}, {"LLM_CIRCUIT_BREAKER_MINIMUM_CALLS", "3"}});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->circuit_breaker.max_failures, 8);
  EXPECT_EQ(result->circuit_breaker.minimum_calls, 3);
}

TEST(EnvTest, MinimumCallsAloneLeavesMaxFailuresAtDefault) {
  const Result<Config> result = FromVars({{"LLM_CIRCUIT_BREAKER_MINIMUM_CALLS", "20"}});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->circuit_breaker.max_failures, DefaultConfig().circuit_breaker.max_failures);
  EXPECT_EQ(result->circuit_breaker.minimum_calls, 20);
}

TEST(EnvTest, GetenvOverloadReadsTheProcessEnvironment) {
  constexpr const char* kName = "LLM_MODEL";
  const char* old = std::getenv(kName);
  const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ASSERT_EQ(setenv(kName, "env-test/model", 1), 0);
  const Result<Config> result = ConfigFromEnv();
  if (saved) {
    setenv(kName, saved->c_str(), 1);
  } else {
    unsetenv(kName);
  }
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->model, "env-test/model");
}

struct DurationCase {
  std::string text;
  nanoseconds expected;
};

// Go's own table (src/time/time_test.go, parseDurationTests).
TEST(ParseDurationTest, AcceptsGoExamples) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  const DurationCase cases[] = {
      {"0", nanoseconds(0)},
      {"5s", seconds(5)},
      {"30s", seconds(30)},
      {"1478s", seconds(1478)},
      {"-5s", seconds(-5)},
      {"+5s", seconds(5)},
      {"-0", nanoseconds(0)},
      {"+0", nanoseconds(0)},
      {"5.0s", seconds(5)},
      {"5.6s", seconds(5) + milliseconds(600)},
      {"5.s", seconds(5)},
      {".5s", milliseconds(500)},
      {"1.0s", seconds(1)},
      {"1.00s", seconds(1)},
      {"1.004s", seconds(1) + milliseconds(4)},
      {"1.0040s", seconds(1) + milliseconds(4)},
      {"100.00100s", seconds(100) + milliseconds(1)},
      {"10ns", nanoseconds(10)},
      {"11us", microseconds(11)},
      {"12\xc2\xb5s", microseconds(12)},  // U+00B5 MICRO SIGN
      {"12\xce\xbcs", microseconds(12)},  // U+03BC GREEK SMALL LETTER MU
      {"13ms", milliseconds(13)},
      {"14s", seconds(14)},
      {"15m", minutes(15)},
      {"16h", hours(16)},
      {"3h30m", hours(3) + minutes(30)},
      {"10.5s4m", minutes(4) + seconds(10) + milliseconds(500)},
      {"-2m3.4s", -(minutes(2) + seconds(3) + milliseconds(400))},
      {"1h2m3s4ms5us6ns",
       hours(1) + minutes(2) + seconds(3) + milliseconds(4) + microseconds(5) + nanoseconds(6)},
      {"39h9m14.425s", hours(39) + minutes(9) + seconds(14) + milliseconds(425)},
      {"52763797000ns", nanoseconds(52763797000)},
      {"0.3333333333333333333h", minutes(20)},
      {"9007199254740993ns", nanoseconds((std::int64_t{1} << 53) + 1)},
      {"9223372036854775807ns", nanoseconds(kMax)},
      {"9223372036854775.807us", nanoseconds(kMax)},
      {"9223372036s854ms775us807ns", nanoseconds(kMax)},
      {"-9223372036854775808ns", nanoseconds(kMin)},
      {"-9223372036854775.808us", nanoseconds(kMin)},
      {"-9223372036s854ms775us808ns", nanoseconds(kMin)},
      {"-2562047h47m16.854775808s", nanoseconds(kMin)},
      {"0.100000000000000000000h", minutes(6)},
      {"0.830103483285477580700h", minutes(49) + seconds(48) + nanoseconds(372539827)},
  };
  for (const DurationCase& c : cases) {
    SCOPED_TRACE(c.text);
    const Result<nanoseconds> result = ParseDuration(c.text);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->count(), c.expected.count());
  }
}

// Go's own table (parseDurationErrorTests).
TEST(ParseDurationTest, RejectsGoErrorExamples) {
  const char* const cases[] = {
      "",
      "3",
      "-",
      "s",
      ".",
      "-.",
      ".s",
      "+.s",
      "1d",
      "\x85\x85",
      "\xff\x66\x66",  // Go's "\xffff": 0xff, then "ff"
      "hello \xff\x66\x66 world",
      "\xef\xbf\xbd",
      "\xef\xbf\xbd hello \xef\xbf\xbd world",
      "9223372036854775810ns",
      "9223372036854775808ns",
      "-9223372036854775809ns",
      "9223372036854776us",
      "3000000h",
      "9223372036854775.808us",
      "9223372036854ms775us808ns",
  };
  for (const char* text : cases) {
    SCOPED_TRACE(text);
    const Result<nanoseconds> result = ParseDuration(text);
    ASSERT_FALSE(result.has_value()) << result->count();
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidConfig);
  }
}

TEST(ParseDurationTest, RejectsSpacesAndDoubleSigns) {
  for (const char* text : {" 5s", "5s ", "5 s", "--5s", "+-5s", "5s-"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(ParseDuration(text).has_value());
  }
}

TEST(ParseDurationTest, ErrorQuotesAtMost64Bytes) {
  const Result<nanoseconds> result = ParseDuration(std::string(100, 'x'));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "'" + std::string(64, 'x') + "...' is not a duration " +
                                        "(expected a number followed by a unit)");
}

// Go's own table (durationTests), plus the shapes the README shows.
TEST(FormatDurationTest, MatchesGoString) {
  const std::pair<nanoseconds, const char*> cases[] = {
      {nanoseconds(0), "0s"},
      {nanoseconds(1), "1ns"},
      {nanoseconds(1100), "1.1\xc2\xb5s"},
      {microseconds(2200), "2.2ms"},
      {milliseconds(3300), "3.3s"},
      {minutes(4) + seconds(5), "4m5s"},
      {minutes(4) + milliseconds(5001), "4m5.001s"},
      {hours(5) + minutes(6) + milliseconds(7001), "5h6m7.001s"},
      {minutes(8) + nanoseconds(1), "8m0.000000001s"},
      {nanoseconds(std::numeric_limits<std::int64_t>::max()), "2562047h47m16.854775807s"},
      {nanoseconds(std::numeric_limits<std::int64_t>::min()), "-2562047h47m16.854775808s"},
      {milliseconds(1500), "1.5s"},
      {milliseconds(500), "500ms"},
      {seconds(90), "1m30s"},
      {hours(1), "1h0m0s"},
      {hours(1) + minutes(2) + milliseconds(3500), "1h2m3.5s"},
      {nanoseconds(1500), "1.5\xc2\xb5s"},
      {-milliseconds(1500), "-1.5s"},
      {-nanoseconds(1), "-1ns"},
  };
  for (const auto& [d, expected] : cases) {
    EXPECT_EQ(FormatDuration(d), expected);
  }
}

TEST(FormatDurationTest, OutputParsesBackToTheSameDuration) {
  const nanoseconds cases[] = {
      nanoseconds(0),
      nanoseconds(1),
      nanoseconds(999'999'999),
      hours(39) + minutes(9) + milliseconds(14425),
      -(minutes(2) + milliseconds(3400)),
      nanoseconds(std::numeric_limits<std::int64_t>::max()),
      nanoseconds(std::numeric_limits<std::int64_t>::min()),
  };
  for (const nanoseconds d : cases) {
    const std::string text = FormatDuration(d);
    SCOPED_TRACE(text);
    const Result<nanoseconds> parsed = ParseDuration(text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->count(), d.count());
  }
}

// The parsers the apps' flags share with ConfigFromEnv: the same rule, no value in the error.
TEST(EnvTest, ConfigDurationIsWholeMillisecondsNeverRounded) {
  EXPECT_EQ(ParseConfigDuration("1m30s").value(), std::chrono::seconds(90));
  EXPECT_EQ(ParseConfigDuration("1.5s").value(), std::chrono::milliseconds(1500));
  EXPECT_EQ(ParseConfigDuration("1500us").error().message, "has sub-millisecond precision");
  EXPECT_EQ(ParseConfigDuration("-1s").error().message, "must not be negative");
  const auto bad = ParseConfigDuration("abc");
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidConfig);
  EXPECT_EQ(bad.error().message.find("abc"), std::string::npos);
}

TEST(EnvTest, ConfigIntAndBoolParseAsTheVariablesDo) {
  EXPECT_EQ(ParseConfigInt("+3").value(), 3);
  EXPECT_EQ(ParseConfigInt("-1").value(), -1);
  EXPECT_EQ(ParseConfigInt("3x").error().message, "is not an integer");
  EXPECT_TRUE(ParseConfigBool("TRUE").value());
  EXPECT_FALSE(ParseConfigBool("0").value());
  EXPECT_EQ(ParseConfigBool("yes").error().code, ErrorCode::kInvalidConfig);
}

}  // namespace
}  // namespace alertllm

namespace alertllm {
namespace {

std::string ReadmeText() {
  std::ifstream in(std::string(ALERTLLM_SOURCE_DIR) + "/README.md", std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The README's row for a variable: "| `NAME` | `default` | meaning |", with a default that
// starts with '(' written without backticks.
std::string ReadmeRow(const EnvVariable& var) {
  std::string row = "| `" + std::string(var.name) + "` | ";
  if (!var.default_value.empty() && var.default_value[0] == '(') {
    row += std::string(var.default_value);
  } else {
    row += "`" + std::string(var.default_value) + "`";
  }
  return row + " | " + std::string(var.meaning) + " |";
}

TEST(EnvVariablesTest, ReadmeTableHasExactlyOneRowPerVariable) {
  const std::string readme = ReadmeText();
  ASSERT_FALSE(readme.empty());
  const std::vector<EnvVariable> vars = EnvVariables();
  for (const EnvVariable& var : vars) {
    EXPECT_NE(readme.find(ReadmeRow(var) + "\n"), std::string::npos) << ReadmeRow(var);
  }
  std::size_t rows = 0;
  for (std::size_t at = readme.find("\n| `LLM_"); at != std::string::npos;
       at = readme.find("\n| `LLM_", at + 1)) {
    ++rows;
  }
  EXPECT_EQ(rows, vars.size());
}

TEST(EnvVariablesTest, CoversTheSeedVariables) {
  std::set<std::string_view> names;
  for (const EnvVariable& var : EnvVariables()) names.insert(var.name);
  for (const char* seed :
       {"LLM_BASE_URL", "LLM_API_KEY", "LLM_MODEL", "LLM_TIMEOUT", "LLM_MAX_RETRIES",
        "LLM_RETRY_DELAY", "LLM_RETRY_BACKOFF", "LLM_CIRCUIT_BREAKER_ENABLED",
        "LLM_CIRCUIT_BREAKER_MAX_FAILURES", "LLM_CIRCUIT_BREAKER_RESET_TIMEOUT",
        "LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "LLM_CIRCUIT_BREAKER_TIME_WINDOW",
        "LLM_CIRCUIT_BREAKER_SLOW_CALL_DURATION", "LLM_CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS"}) {
    EXPECT_EQ(names.count(seed), 1u) << seed;
  }
}

TEST(EnvVariablesTest, EveryDocumentedDefaultParsesToTheDefaultConfig) {
  for (const EnvVariable& var : EnvVariables()) {
    const std::string_view d = var.default_value;
    if (d.empty() || d[0] == '(' || d.rfind("LLM_", 0) == 0) continue;
    const Result<Config> config = FromVars({{std::string(var.name), std::string(d)}});
    ASSERT_TRUE(config) << var.name << ": " << config.error().message;
    SCOPED_TRACE(std::string(var.name));
    ExpectSameConfig(DefaultConfig(), *config);
  }
}

}  // namespace
}  // namespace alertllm

namespace alertllm {
namespace {

// deploy/alertllm.env, the example EnvironmentFile: its active lines form a valid config, and
// each commented "# LLM_X=value" line shows the default, so uncommenting it changes nothing.
TEST(EnvDeployExampleTest, ActiveLinesAreValidAndCommentedLinesShowTheDefaults) {
  std::ifstream in(std::string(ALERTLLM_SOURCE_DIR) + "/deploy/alertllm.env");
  ASSERT_TRUE(in) << "deploy/alertllm.env";
  Vars active;
  std::vector<std::pair<std::string, std::string>> shown;
  for (std::string line; std::getline(in, line);) {
    const bool commented = line.starts_with("# LLM_");
    if (commented) line.erase(0, 2);
    const std::size_t eq = line.find('=');
    if (!line.starts_with("LLM_") || eq == std::string::npos) continue;
    std::string name = line.substr(0, eq);
    std::string value = line.substr(eq + 1);
    if (!commented) {
      active[name] = value;
    } else if (!value.empty()) {
      shown.emplace_back(std::move(name), std::move(value));
    }
  }
  ASSERT_FALSE(active.empty());
  ASSERT_GE(shown.size(), 10u);
  const Result<Config> base = FromVars(active);
  ASSERT_TRUE(base.has_value()) << base.error().message;
  for (const auto& [name, value] : shown) {
    SCOPED_TRACE(name + "=" + value);
    Vars with = active;
    with[name] = value;
    const Result<Config> config = FromVars(with);
    ASSERT_TRUE(config.has_value()) << name << ": " << config.error().message;
    ExpectSameConfig(*base, *config);
  }
}

}  // namespace
}  // namespace alertllm
