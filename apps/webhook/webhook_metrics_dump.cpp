// SPDX-License-Identifier: Apache-2.0
// Prints GET /metrics of a WebhookService after some traffic (a notification answered by the
// fallback rules, a body that does not parse, an unknown path); ctest pipes it into
// `promtool check metrics`.
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "alertllm/client.hpp"
#include "webhook_service.hpp"

int main() {
  alertllm::Config config;
  config.base_url = "http://127.0.0.1:1";  // nothing listens there: refused at once
  config.max_retries = 0;
  config.fallback = alertllm::FallbackMode::kRules;
  auto client = std::make_shared<alertllm::HttpLlmClient>(config);
  alertllm::webhook::WebhookServiceOptions options;
  options.port = 0;
  alertllm::webhook::WebhookService service(client, std::move(options));
  if (auto started = service.Start(); !started) {
    std::cerr << started.error().message << "\n";
    return 1;
  }
  std::ifstream in(ALERTLLM_TEST_DATA_DIR
                   "/alertmanager_webhook_06_HighCPUUsage_grouped_2_firing.json",
                   std::ios::binary);
  std::ostringstream payload;
  payload << in.rdbuf();
  httplib::Client http("127.0.0.1", service.port());
  auto ok = http.Post("/alerts", payload.str(), "application/json");
  auto bad = http.Post("/alerts", "garbage", "application/json");
  auto missing = http.Get("/nope");
  auto metrics = http.Get("/metrics");
  if (!ok || ok->status != 200 || !bad || bad->status != 400 || !missing || !metrics ||
      metrics->status != 200) {
    std::cerr << "unexpected answers from the service\n";
    return 1;
  }
  std::cout << metrics->body;
  return 0;
}
