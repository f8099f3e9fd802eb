// SPDX-License-Identifier: Apache-2.0
// Built against alertllm::core alone: the header-only part must need nothing but the standard
// library (no libcurl, no nlohmann/json, no compiled alertllm symbol).
#include "alertllm/alert.hpp"
#include "alertllm/config.hpp"
#include "alertllm/errors.hpp"
#include "alertllm/fallback.hpp"
#include "alertllm/result.hpp"
#include "alertllm/retry.hpp"
#include "alertllm/version.hpp"

int main() {
  const alertllm::Config config = alertllm::DefaultConfig();
  if (!alertllm::Validate(config)) return 1;
  if (alertllm::Fingerprint({}) != "cbf29ce484222325") return 2;
  if (alertllm::BackoffDelay(2, config, 0.0) != std::chrono::seconds(2)) return 4;
  alertllm::Alert alert;
  alert.alert_name = "NodeDown";
  if (alertllm::RuleBasedClassifier{}.Classify(alert).source != "fallback") return 5;
  const alertllm::Error error{alertllm::ErrorCode::kRateLimited};
  return alertllm::IsRetryableError(error) && alertllm::ClassifyError(error) == "rate_limit" ? 0 : 3;
}
