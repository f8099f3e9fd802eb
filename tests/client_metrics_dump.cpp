// SPDX-License-Identifier: Apache-2.0
// Prints the Prometheus exposition of an HttpLlmClient (breaker and client families) after a
// call that failed, was retried and was answered by the fallback rules; ctest pipes it into
// `promtool check metrics`.
#include <alertllm/client.hpp>
#include <alertllm/metrics.hpp>

#include <chrono>
#include <iostream>

int main() {
  alertllm::Config config;
  config.base_url = "http://127.0.0.1:1";  // nothing listens there: refused at once
  config.max_retries = 1;
  config.retry_delay = std::chrono::milliseconds(1);
  config.timeout = std::chrono::seconds(2);
  config.fallback = alertllm::FallbackMode::kRules;
  alertllm::HttpLlmClient client(config);
  (void)client.ClassifyAlert(alertllm::Alert{});
  std::cout << alertllm::SerializeMetrics({client.GetCollectable()});
  return 0;
}
