// SPDX-License-Identifier: Apache-2.0
// Prints the Config that the LLM_* environment variables produce, the secrets redacted — a
// quick way to check a deployment's settings:
//
//   LLM_TIMEOUT=10s LLM_CIRCUIT_BREAKER_MAX_FAILURES=3 config_from_env
//
// Exit status: 0 if the configuration is valid, 1 (with the error on stderr) if not.
#include <alertllm/detail/masked_url.hpp>
#include <alertllm/env.hpp>

#include <cstdio>
#include <iostream>
#include <string>

namespace {

std::string D(std::chrono::milliseconds d) { return alertllm::FormatDuration(d); }

void Row(const char* name, const std::string& value) {
  std::printf("%-42s %s\n", name, value.c_str());
}

}  // namespace

int main() {
  const alertllm::Result<alertllm::Config> config = alertllm::ConfigFromEnv();
  if (!config) {
    std::cerr << "invalid configuration: " << config.error().message << "\n";
    return 1;
  }
  const alertllm::Config& c = *config;
  const alertllm::CircuitBreakerConfig& cb = c.circuit_breaker;
  Row("base_url", alertllm::detail::MaskUrl(c.base_url));  // credentials, query values: ***
  Row("api_key", c.api_key.empty() ? "(none)" : "(set, redacted)");
  Row("model", c.model);
  Row("protocol", std::string(alertllm::ToString(c.protocol)));
  Row("fallback", std::string(alertllm::ToString(c.fallback)));
  Row("timeout", D(c.timeout));
  Row("call_timeout", D(c.call_timeout));
  Row("connect_timeout", D(c.connect_timeout));
  Row("max_retries", std::to_string(c.max_retries));
  Row("retry_delay", D(c.retry_delay));
  Row("retry_backoff", std::to_string(c.retry_backoff));
  Row("max_retry_delay", D(c.max_retry_delay));
  Row("jitter", std::to_string(c.jitter));
  Row("max_retry_after", D(c.max_retry_after));
  Row("retry_budget.enabled", c.retry_budget.enabled ? "true" : "false");
  Row("retry_budget.max_tokens", std::to_string(c.retry_budget.max_tokens));
  Row("retry_budget.token_ratio", std::to_string(c.retry_budget.token_ratio));
  Row("enable_metrics", c.enable_metrics ? "true" : "false");
  Row("max_response_bytes", std::to_string(c.max_response_bytes));
  Row("max_request_bytes", std::to_string(c.max_request_bytes));
  Row("tls_verify", c.tls_verify ? "true" : "false");
  Row("ca_file", c.ca_file.empty() ? "(system)" : c.ca_file);
  Row("extra_headers", std::to_string(c.extra_headers.size()) + " (values redacted)");
  Row("prompt", c.prompt.empty() ? "(built-in)" : std::to_string(c.prompt.size()) + " bytes");
  Row("circuit_breaker.enabled", cb.enabled ? "true" : "false");
  Row("circuit_breaker.max_failures", std::to_string(cb.max_failures));
  Row("circuit_breaker.reset_timeout", D(cb.reset_timeout));
  Row("circuit_breaker.failure_threshold", std::to_string(cb.failure_threshold));
  Row("circuit_breaker.time_window", D(cb.time_window));
  Row("circuit_breaker.slow_call_duration", D(cb.slow_call_duration));
  Row("circuit_breaker.half_open_max_calls", std::to_string(cb.half_open_max_calls));
  Row("circuit_breaker.minimum_calls", std::to_string(alertllm::EffectiveMinimumCalls(cb)));
  Row("circuit_breaker.reset_timeout_multiplier", std::to_string(cb.reset_timeout_multiplier));
  Row("circuit_breaker.max_reset_timeout", D(cb.max_reset_timeout));
  Row("circuit_breaker.record", std::string(alertllm::ToString(cb.record)));
  return 0;
}
