// SPDX-License-Identifier: Apache-2.0
// Quick start: classify one alert with HttpLlmClient and print what the LLM says.
//
//   alertllm-mock-proxy --port 8080 &            # or any LLM proxy / OpenAI-compatible server
//   LLM_BASE_URL=http://127.0.0.1:8080 quick_start
//
// The configuration comes from the LLM_* environment variables (README: Configuration).
// Exit status: 0 when the alert was classified, 1 when the configuration or the call failed.
#include <alertllm/client.hpp>
#include <alertllm/env.hpp>
#include <alertllm/errors.hpp>

#include <iostream>

int main() {
  alertllm::Result<alertllm::Config> config = alertllm::ConfigFromEnv();
  if (!config) {
    std::cerr << "invalid configuration: " << config.error().message << "\n";
    return 1;
  }
  // One client per process: it pools connections and owns the circuit breaker.
  alertllm::HttpLlmClient client(*config);

  alertllm::Alert alert;
  alert.alert_name = "HighCPUUsage";
  alert.labels = {
      {"alertname", "HighCPUUsage"}, {"instance", "web-1:9100"}, {"severity", "warning"}};
  alert.annotations = {{"summary", "CPU usage above 90% for 10 minutes"}};
  alert.starts_at = std::chrono::system_clock::now();

  const alertllm::Result<alertllm::Classification> result = client.ClassifyAlert(alert);
  if (!result) {
    // ClassifyError() is the category the seed's metrics and alert rules use.
    std::cerr << "classification failed (" << alertllm::ClassifyError(result.error())
              << "): " << result.error().message << "\n";
    return 1;
  }
  std::cout << "severity:   " << alertllm::ToString(result->severity) << "\n"
            << "category:   " << result->category << "\n"
            << "summary:    " << result->summary << "\n"
            << "confidence: " << result->confidence << "\n"
            << "source:     " << result->source << "\n";
  return 0;
}
