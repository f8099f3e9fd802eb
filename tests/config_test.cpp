// SPDX-License-Identifier: Apache-2.0
#include "alertllm/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace alertllm {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ValidationMessage(const Config& config) {
  const Result<void> r = Validate(config);
  if (r) return "";
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidConfig);
  return r.error().message;
}

TEST(DefaultConfigTest, HasTheSeedDefaults) {
  const Config c = DefaultConfig();
  EXPECT_EQ(c.model, "openai/gpt-4o");
  EXPECT_EQ(c.timeout, seconds(30));
  EXPECT_EQ(c.max_retries, 3);
  EXPECT_EQ(c.retry_delay, seconds(1));
  EXPECT_EQ(c.retry_backoff, 2.0);
  EXPECT_TRUE(c.enable_metrics);
  EXPECT_TRUE(c.api_key.empty());
}

TEST(DefaultConfigTest, HasTheSeedCircuitBreakerDefaults) {
  const CircuitBreakerConfig cb = DefaultConfig().circuit_breaker;
  EXPECT_EQ(cb.max_failures, 5);
  EXPECT_EQ(cb.reset_timeout, seconds(30));
  EXPECT_EQ(cb.failure_threshold, 0.5);
  EXPECT_EQ(cb.time_window, seconds(60));
  EXPECT_EQ(cb.slow_call_duration, seconds(3));
  EXPECT_EQ(cb.half_open_max_calls, 1);
  EXPECT_TRUE(cb.enabled);
}

TEST(DefaultConfigTest, HasTheDesignAdditions) {
  const Config c = DefaultConfig();
  EXPECT_EQ(c.max_retry_delay, seconds(10));
  EXPECT_EQ(c.jitter, 0.25);
  EXPECT_EQ(c.max_retry_after, seconds(60));
  EXPECT_EQ(c.call_timeout, seconds(60));
  EXPECT_EQ(c.connect_timeout, seconds(5));
  EXPECT_TRUE(c.retry_budget.enabled);
  EXPECT_EQ(c.retry_budget.max_tokens, 10);
  EXPECT_EQ(c.retry_budget.token_ratio, 0.1);
  EXPECT_EQ(c.protocol, Protocol::kProxy);
  EXPECT_EQ(c.max_response_bytes, 1024u * 1024u);
  EXPECT_EQ(c.max_request_bytes, 1024u * 1024u);
  EXPECT_TRUE(c.tls_verify);
  EXPECT_TRUE(c.ca_file.empty());
  EXPECT_TRUE(c.extra_headers.empty());
  EXPECT_TRUE(c.prompt.empty());
  EXPECT_EQ(c.circuit_breaker.minimum_calls, 0);
  EXPECT_EQ(EffectiveMinimumCalls(c.circuit_breaker), c.circuit_breaker.max_failures);
  EXPECT_EQ(c.circuit_breaker.reset_timeout_multiplier, 1.0);
  EXPECT_EQ(c.circuit_breaker.max_reset_timeout, minutes(5));
  EXPECT_EQ(c.circuit_breaker.record, RecordMode::kPerCall);
  EXPECT_EQ(c.fallback, FallbackMode::kNone);
}

TEST(DefaultConfigTest, BaseUrlIsLoopback) {
  EXPECT_EQ(DefaultConfig().base_url, "http://127.0.0.1:8080");
}

TEST(DefaultConfigTest, IsValid) { EXPECT_EQ(ValidationMessage(DefaultConfig()), ""); }

TEST(EnumToStringTest, NamesProtocolsAndRecordModes) {
  EXPECT_EQ(ToString(Protocol::kProxy), "proxy");
  EXPECT_EQ(ToString(Protocol::kOpenAI), "openai");
  EXPECT_EQ(ToString(RecordMode::kPerCall), "per_call");
  EXPECT_EQ(ToString(RecordMode::kPerAttempt), "per_attempt");
  EXPECT_EQ(ToString(FallbackMode::kNone), "none");
  EXPECT_EQ(ToString(FallbackMode::kRules), "rules");
}

TEST(ValidateTest, RejectsBaseUrlWithoutScheme) {
  Config c;
  c.base_url = "127.0.0.1:8080";
  EXPECT_THAT(ValidationMessage(c), HasSubstr("base_url: must start with http:// or https://"));
}

TEST(ValidateTest, RejectsBaseUrlWithoutHost) {
  Config c;
  c.base_url = "https://";
  EXPECT_THAT(ValidationMessage(c), HasSubstr("base_url: has no host"));
}

TEST(ValidateTest, RejectsBaseUrlWithControlCharacters) {
  Config c;
  c.base_url = "http://127.0.0.1/\r\nX: y";
  EXPECT_THAT(ValidationMessage(c), HasSubstr("base_url"));
}

TEST(ValidateTest, RejectsBaseUrlWithPortOutOfRange) {
  Config c;
  c.base_url = "http://127.0.0.1:99999";
  EXPECT_THAT(ValidationMessage(c),
              HasSubstr("base_url: has a port that is not a number in 1..65535, got "
                        "'http://127.0.0.1:99999'"));
}

TEST(ValidateTest, RejectsBaseUrlWithPortZero) {
  Config c;
  c.base_url = "http://127.0.0.1:0/v1";
  EXPECT_THAT(ValidationMessage(c), HasSubstr("base_url: has a port that is not a number"));
}

TEST(ValidateTest, RejectsBaseUrlWithNonNumericPort) {
  Config c;
  c.base_url = "http://127.0.0.1:abc";
  EXPECT_THAT(ValidationMessage(c),
              HasSubstr("base_url: has a port that is not a number in 1..65535, got "
                        "'http://127.0.0.1:abc'"));
}

TEST(ValidateTest, RejectsBaseUrlWithEmptyPort) {
  Config c;
  c.base_url = "http://127.0.0.1:/v1";
  EXPECT_THAT(ValidationMessage(c), HasSubstr("base_url: has a port that is not a number"));
}

TEST(ValidateTest, RejectsBaseUrlWithUnclosedIpv6Bracket) {
  Config c;
  c.base_url = "http://[::1";
  EXPECT_THAT(ValidationMessage(c),
              HasSubstr("base_url: has an IPv6 host without its closing ']', got 'http://[::1'"));
}

TEST(ValidateTest, RejectsBaseUrlWithEmptyHostBeforePort) {
  Config c;
  c.base_url = "http://:80/";
  EXPECT_THAT(ValidationMessage(c), HasSubstr("base_url: has no host, got 'http://:80/'"));
}

TEST(ValidateTest, RejectsBaseUrlWithInvalidHostCharacters) {
  Config c;
  c.base_url = "http://llm<proxy>:8080";
  EXPECT_THAT(ValidationMessage(c), HasSubstr("base_url: has a host that is not a name"));
}

TEST(ValidateTest, BaseUrlErrorMasksCredentials) {
  Config c;
  c.base_url = "https://user:PASSWORD1@llm.example:99999/v1?key=QUERYKEY1";
  const std::string message = ValidationMessage(c);
  EXPECT_THAT(message, HasSubstr("got 'https://***:***@llm.example:99999/v1?key=***'"));
  EXPECT_THAT(message, Not(HasSubstr("PASSWORD1")));
  EXPECT_THAT(message, Not(HasSubstr("QUERYKEY1")));
}

TEST(ValidateTest, AcceptsBaseUrlsWithPortsAndIpv6Hosts) {
  Config c;
  for (const char* url : {"http://127.0.0.1:1", "http://127.0.0.1:65535/v1", "http://[::1]:8080/x",
                          "http://[::1]", "https://user:pw@llm.example:8443/v1?key=k",
                          "http://h?key=k", "http://llm_proxy.internal/"}) {
    c.base_url = url;
    EXPECT_EQ(ValidationMessage(c), "") << url;
  }
}

TEST(ValidateTest, AcceptsHttpsBaseUrl) {
  Config c;
  c.base_url = "https://llm-proxy.example.com";
  EXPECT_EQ(ValidationMessage(c), "");
}

TEST(ValidateTest, RejectsNonPositiveTimeout) {
  Config c;
  c.timeout = milliseconds(0);
  EXPECT_THAT(ValidationMessage(c), HasSubstr("timeout: must be > 0, got 0ms"));
}

TEST(ValidateTest, RejectsNegativeMaxRetries) {
  Config c;
  c.max_retries = -1;
  EXPECT_THAT(ValidationMessage(c), HasSubstr("max_retries: must be in 0..100, got -1"));
}

TEST(ValidateTest, RejectsBackoffBelowOne) {
  Config c;
  c.retry_backoff = 0.5;
  EXPECT_THAT(ValidationMessage(c), HasSubstr("retry_backoff: must be in [1, 100]"));
}

TEST(ValidateTest, RejectsNanValues) {
  Config c;
  c.jitter = std::numeric_limits<double>::quiet_NaN();
  c.circuit_breaker.failure_threshold = std::numeric_limits<double>::quiet_NaN();
  const std::string m = ValidationMessage(c);
  EXPECT_THAT(m, HasSubstr("jitter"));
  EXPECT_THAT(m, HasSubstr("circuit_breaker.failure_threshold"));
}

TEST(ValidateTest, RejectsJitterAboveOne) {
  Config c;
  c.jitter = 1.5;
  EXPECT_THAT(ValidationMessage(c), HasSubstr("jitter: must be in [0, 1], got 1.5"));
}

TEST(ValidateTest, AcceptsFullJitterAndNoRetries) {
  Config c;
  c.jitter = 1.0;
  c.max_retries = 0;
  c.retry_delay = milliseconds(0);
  EXPECT_EQ(ValidationMessage(c), "");
}

TEST(ValidateTest, RejectsNegativeDelays) {
  Config c;
  c.retry_delay = milliseconds(-1);
  c.max_retry_delay = milliseconds(-1);
  c.max_retry_after = milliseconds(-1);
  const std::string m = ValidationMessage(c);
  EXPECT_THAT(m, HasSubstr("retry_delay: must be >= 0, got -1ms"));
  EXPECT_THAT(m, HasSubstr("max_retry_delay: must be >= 0"));
  EXPECT_THAT(m, HasSubstr("max_retry_after: must be >= 0"));
}

TEST(ValidateTest, RejectsNonPositiveCallAndConnectTimeouts) {
  Config c;
  c.call_timeout = milliseconds(0);
  c.connect_timeout = milliseconds(-5);
  const std::string m = ValidationMessage(c);
  EXPECT_THAT(m, HasSubstr("call_timeout: must be > 0"));
  EXPECT_THAT(m, HasSubstr("connect_timeout: must be > 0, got -5ms"));
}

TEST(ValidateTest, RejectsBadRetryBudget) {
  Config c;
  c.retry_budget.max_tokens = 0;
  c.retry_budget.token_ratio = 0.0;
  const std::string m = ValidationMessage(c);
  EXPECT_THAT(m, HasSubstr("retry_budget.max_tokens: must be >= 1, got 0"));
  EXPECT_THAT(m, HasSubstr("retry_budget.token_ratio"));
}

TEST(ValidateTest, RejectsTinyAndHugeResponseLimits) {
  Config c;
  c.max_response_bytes = 0;
  EXPECT_THAT(ValidationMessage(c), HasSubstr("max_response_bytes"));
  c.max_response_bytes = std::size_t{2} << 30;
  EXPECT_THAT(ValidationMessage(c), HasSubstr("max_response_bytes"));
  c = DefaultConfig();
  c.max_request_bytes = 1023;
  EXPECT_THAT(ValidationMessage(c), HasSubstr("max_request_bytes: must be in 1024..1073741824"));
}

TEST(ValidateTest, RejectsEmptyModel) {
  Config c;
  c.model.clear();
  EXPECT_THAT(ValidationMessage(c), HasSubstr("model: must not be empty"));
}

TEST(ValidateTest, RejectsApiKeyWithControlCharacterWithoutQuotingIt) {
  Config c;
  c.api_key = "sk-secret-value\n";
  const std::string m = ValidationMessage(c);
  EXPECT_THAT(m, HasSubstr("api_key: must not contain control characters"));
  EXPECT_THAT(m, Not(HasSubstr("sk-secret")));
}

TEST(ValidateTest, RejectsBadExtraHeadersWithoutQuotingValues) {
  Config c;
  c.extra_headers = {
      {"X-Good", "ok"}, {"Bad Name", "v"}, {"X-Token", "secret-token\r\nInjected: 1"}};
  const std::string m = ValidationMessage(c);
  EXPECT_THAT(m, HasSubstr("extra_headers[1]: header name must be a non-empty RFC 9110 token"));
  EXPECT_THAT(m, HasSubstr("extra_headers[2]: header value must not contain control characters"));
  EXPECT_THAT(m, Not(HasSubstr("extra_headers[0]")));
  EXPECT_THAT(m, Not(HasSubstr("secret-token")));
}

TEST(ValidateTest, RejectsReservedExtraHeaders) {
  Config c;
  c.extra_headers = {{"content-length", "5"}, {"Host", "evil"}, {"X-Tenant", "a"}};
  const std::string m = ValidationMessage(c);
  EXPECT_THAT(m, HasSubstr("extra_headers[0]: header content-length is set by alertllm"));
  EXPECT_THAT(m, HasSubstr("extra_headers[1]: header Host is set by alertllm"));
  EXPECT_THAT(m, Not(HasSubstr("extra_headers[2]")));
}

TEST(ValidateTest, RejectsAuthorizationHeaderOnlyWhenApiKeyIsSet) {
  Config c;
  c.extra_headers = {{"Authorization", "Basic abc"}};
  EXPECT_EQ(ValidationMessage(c), "");
  c.api_key = "sk-1";
  EXPECT_THAT(ValidationMessage(c),
              HasSubstr("extra_headers[0]: header Authorization conflicts with api_key"));
}

TEST(ValidateTest, PrintsNumbersInShortestForm) {
  Config c;
  c.retry_budget.token_ratio = 1e-9 * -1;
  c.retry_backoff = 0.25;
  const std::string m = ValidationMessage(c);
  EXPECT_THAT(m, HasSubstr("got -1e-09"));
  EXPECT_THAT(m, HasSubstr("retry_backoff: must be in [1, 100], got 0.25"));
}

TEST(ValidateTest, ReportsEveryProblemAtOnce) {
  Config c;
  c.timeout = milliseconds(0);
  c.max_retries = -3;
  c.circuit_breaker.max_failures = 0;
  const std::string m = ValidationMessage(c);
  EXPECT_THAT(m, HasSubstr("timeout:"));
  EXPECT_THAT(m, HasSubstr("; max_retries:"));
  EXPECT_THAT(m, HasSubstr("; circuit_breaker.max_failures: must be >= 1, got 0"));
}

TEST(ValidateTest, RejectsFailureThresholdOutsideZeroToOne) {
  for (double bad : {0.0, -0.1, 1.5}) {
    Config c;
    c.circuit_breaker.failure_threshold = bad;
    EXPECT_THAT(ValidationMessage(c),
                HasSubstr("circuit_breaker.failure_threshold: must be in (0, 1]"))
        << bad;
  }
  Config c;
  c.circuit_breaker.failure_threshold = 1.0;
  EXPECT_EQ(ValidationMessage(c), "");
}

TEST(ValidateTest, RejectsNonPositiveBreakerDurations) {
  Config c;
  c.circuit_breaker.reset_timeout = milliseconds(0);
  c.circuit_breaker.time_window = milliseconds(0);
  c.circuit_breaker.slow_call_duration = milliseconds(0);
  const std::string m = ValidationMessage(c);
  EXPECT_THAT(m, HasSubstr("circuit_breaker.reset_timeout: must be > 0"));
  EXPECT_THAT(m, HasSubstr("circuit_breaker.time_window: must be > 0"));
  EXPECT_THAT(m, HasSubstr("circuit_breaker.slow_call_duration: must be > 0"));
}

TEST(ValidateTest, RejectsZeroProbesAndNegativeMinimumCalls) {
  Config c;
  c.circuit_breaker.half_open_max_calls = 0;
  c.circuit_breaker.minimum_calls = -1;
  const std::string m = ValidationMessage(c);
  EXPECT_THAT(m, HasSubstr("circuit_breaker.half_open_max_calls: must be >= 1, got 0"));
  EXPECT_THAT(m, HasSubstr("circuit_breaker.minimum_calls: must be >= 0, got -1"));
}

TEST(ValidateTest, AcceptsZeroMinimumCallsMeaningMaxFailures) {
  Config c;
  c.circuit_breaker.max_failures = 7;
  c.circuit_breaker.minimum_calls = 0;
  EXPECT_TRUE(Validate(c).has_value());
  EXPECT_EQ(EffectiveMinimumCalls(c.circuit_breaker), 7);
}

TEST(ValidateTest, RejectsMultiplierBelowOne) {
  Config c;
  c.circuit_breaker.reset_timeout_multiplier = 0.9;
  EXPECT_THAT(ValidationMessage(c), HasSubstr("circuit_breaker.reset_timeout_multiplier"));
}

TEST(ValidateTest, RejectsMaxResetTimeoutBelowResetTimeout) {
  Config c;
  c.circuit_breaker.reset_timeout = seconds(60);
  c.circuit_breaker.max_reset_timeout = seconds(30);
  EXPECT_THAT(ValidationMessage(c),
              HasSubstr("circuit_breaker.max_reset_timeout: must be >= reset_timeout (60s), "
                        "got 30s"));
}

TEST(ValidateCircuitBreakerTest, NamesFieldsWithoutPrefix) {
  CircuitBreakerConfig cb;
  EXPECT_TRUE(Validate(cb));
  cb.half_open_max_calls = 0;
  const Result<void> r = Validate(cb);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidConfig);
  EXPECT_EQ(r.error().message, "half_open_max_calls: must be >= 1, got 0");
}

// The problems behind Validate()'s message, one by one: field, rule and the value seen, so
// callers (ConfigFromEnv) map fields without reading message text.
TEST(CheckConfigTest, ReturnsEachProblemWithFieldRuleAndValue) {
  Config config = DefaultConfig();
  EXPECT_TRUE(CheckConfig(config).empty());
  config.timeout = milliseconds(0);
  config.api_key = "sec\nret";
  config.circuit_breaker.failure_threshold = 1.5;
  const std::vector<ConfigProblem> problems = CheckConfig(config);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].field, "api_key");
  EXPECT_EQ(problems[0].message, "must not contain control characters");
  EXPECT_EQ(problems[0].got, "");  // a secret is never quoted
  EXPECT_EQ(problems[1].field, "timeout");
  EXPECT_EQ(problems[1].message, "must be > 0");
  EXPECT_EQ(problems[1].got, "0ms");
  EXPECT_EQ(problems[2].field, "circuit_breaker.failure_threshold");
  EXPECT_EQ(problems[2].message, "must be in (0, 1]");
  EXPECT_EQ(problems[2].got, "1.5");
  EXPECT_EQ(ValidationMessage(config),
            "api_key: must not contain control characters; timeout: must be > 0, got 0ms; "
            "circuit_breaker.failure_threshold: must be in (0, 1], got 1.5");
}

}  // namespace
}  // namespace alertllm
