// SPDX-License-Identifier: Apache-2.0
// ParseAlertmanagerWebhook against its floor: nlohmann::json::parse of the same body, which
// any JSON-based parser must pay. Target: ≤ 2× the baseline (the rest is validation, RFC 3339
// parsing and copying into Alert). Fingerprint() is reported per label set.
#include <alertllm/alert.hpp>
#include <alertllm/webhook.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "ratio_reporter.hpp"

namespace {

std::string ReadCapture(const char* name) {
  std::ifstream in(std::string(ALERTLLM_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const char* const kGrouped = "alertmanager_webhook_06_HighCPUUsage_grouped_2_firing.json";
const char* const kUnicodeLong = "alertmanager_webhook_05_KubePodCrashLooping_unicode_long.json";

void BM_Baseline_NlohmannParse(benchmark::State& state, const char* file) {
  const std::string body = ReadCapture(file);
  for (auto _ : state) {
    auto json = nlohmann::json::parse(body);
    benchmark::DoNotOptimize(json);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

void BM_ParseAlertmanagerWebhook(benchmark::State& state, const char* file) {
  const std::string body = ReadCapture(file);
  for (auto _ : state) {
    auto alerts = alertllm::ParseAlertmanagerWebhook(body);
    if (!alerts) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(alerts);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

void BM_Fingerprint(benchmark::State& state) {
  const std::map<std::string, std::string> labels = {
      {"alertname", "HighCPUUsage"}, {"instance", "web-01:9100"}, {"job", "node-exporter"},
      {"namespace", "production"},   {"severity", "warning"}};
  for (auto _ : state) {
    auto fp = alertllm::Fingerprint(labels);
    benchmark::DoNotOptimize(fp);
  }
}

BENCHMARK_CAPTURE(BM_Baseline_NlohmannParse, grouped, kGrouped);
BENCHMARK_CAPTURE(BM_ParseAlertmanagerWebhook, grouped, kGrouped);
BENCHMARK_CAPTURE(BM_Baseline_NlohmannParse, unicode_long, kUnicodeLong);
BENCHMARK_CAPTURE(BM_ParseAlertmanagerWebhook, unicode_long, kUnicodeLong);
BENCHMARK(BM_Fingerprint);

}  // namespace

int main(int argc, char** argv) {
  return alertllm::bench::RunWithRatios(
      argc, argv,
      {{"BM_ParseAlertmanagerWebhook/grouped", "BM_Baseline_NlohmannParse/grouped"},
       {"BM_ParseAlertmanagerWebhook/unicode_long", "BM_Baseline_NlohmannParse/unicode_long"}});
}
