// SPDX-License-Identifier: Apache-2.0
// A project that consumes an installed alertllm through find_package(alertllm CONFIG).
#include <alertllm/alert.hpp>
#include <alertllm/client.hpp>
#include <alertllm/config.hpp>
#include <alertllm/env.hpp>
#include <alertllm/errors.hpp>
#include <alertllm/metrics.hpp>
#include <alertllm/version.hpp>
#include <alertllm/webhook.hpp>

#include <cstdio>
#include <memory>
#include <string>

int main() {
  auto config = alertllm::ConfigFromEnv([](std::string_view) { return std::optional<std::string>(); });
  if (!config || !alertllm::Validate(*config)) return 1;
  auto alerts = alertllm::ParseAlertmanagerWebhook(
      R"({"version":"4","alerts":[{"status":"firing","labels":{"alertname":"Up"},)"
      R"("startsAt":"2026-11-26T05:14:26.134Z","endsAt":"0001-01-01T00:00:00Z"}]})");
  if (!alerts || alerts->size() != 1) return 2;
  if ((*alerts)[0].fingerprint != alertllm::Fingerprint({{"alertname", "Up"}})) return 3;
  auto breaker = std::make_shared<alertllm::CircuitBreaker>(config->circuit_breaker);
  const std::string text =
      alertllm::SerializeMetrics({std::make_shared<alertllm::CircuitBreakerCollector>(breaker)});
  if (text.find("llm_circuit_breaker_state 0") == std::string::npos) return 4;
  // The compiled client (libcurl and spdlog behind it) links from the installed package.
  alertllm::HttpLlmClient client(*config);
  if (client.GetCircuitBreakerState() != alertllm::CircuitState::kClosed) return 5;
  if (alertllm::SerializeMetrics({client.GetCollectable()}).find("llm_client_attempts_total 0") ==
      std::string::npos) {
    return 6;
  }
  std::printf("alertllm %s: %s\n", ALERTLLM_VERSION, (*alerts)[0].fingerprint.c_str());
  return 0;
}
