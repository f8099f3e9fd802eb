// SPDX-License-Identifier: Apache-2.0
// Prints the Prometheus exposition of a circuit breaker that has seen a trip, probes, blocked
// and slow calls, with and without constant labels; ctest pipes it into `promtool check
// metrics`.
#include <alertllm/metrics.hpp>

#include <chrono>
#include <iostream>
#include <memory>

int main() {
  using namespace std::chrono_literals;
  auto now = std::chrono::steady_clock::time_point(1000h);
  alertllm::CircuitBreakerConfig config;
  auto breaker = std::make_shared<alertllm::CircuitBreaker>(config);
  auto call = [&](alertllm::CallOutcome outcome, std::chrono::milliseconds d) {
    const alertllm::Permit p = breaker->Allow(now);
    if (p.admitted) breaker->Record(p, outcome, d, now);
  };
  for (int i = 0; i < 20; ++i) call(alertllm::CallOutcome::kSuccess, 150ms);
  call(alertllm::CallOutcome::kSuccess, 4s);
  for (int i = 0; i < 5; ++i) call(alertllm::CallOutcome::kFailure, 40ms);
  call(alertllm::CallOutcome::kSuccess, 10ms);
  now += 30s;
  call(alertllm::CallOutcome::kSuccess, 300ms);

  alertllm::CircuitBreakerMetricsOptions plain;
  plain.clock = [&] { return now; };
  alertllm::CircuitBreakerMetricsOptions labelled = plain;
  labelled.prefix = "classify_breaker_";
  labelled.const_labels = {{"breaker", "classify"}, {"service", "alert-history"}};
  std::cout << alertllm::SerializeMetrics(
      {std::make_shared<alertllm::CircuitBreakerCollector>(breaker, plain),
       std::make_shared<alertllm::CircuitBreakerCollector>(breaker, labelled)});
  return 0;
}
