// SPDX-License-Identifier: Apache-2.0
// What sharing costs a call (src/engine/share.cpp, src/cache/): the key, a hit, a miss that
// keeps its answer, and the memory of a full cache — against a plain unordered_map lookup of
// the same keys, measured in the same run.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "alertllm/alert.hpp"
#include "alertllm/config.hpp"
#include "cache/answer_cache.hpp"
#include "engine/share.hpp"
#include "ratio_reporter.hpp"

namespace {

using alertllm::Alert;
using alertllm::Classification;
using alertllm::internal::AnswerCache;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kEntries = 10000;  // Config::cache.max_entries' default

// An answer of the size a model gives: a sentence of summary, a paragraph of reasoning, three
// suggestions.
Classification TypicalAnswer() {
  Classification answer;
  answer.severity = alertllm::Severity::kWarning;
  answer.category = "infrastructure";
  answer.summary = std::string(100, 's');
  answer.reasoning = std::string(300, 'r');
  answer.suggestions = {std::string(60, 'a'), std::string(60, 'b'), std::string(60, 'c')};
  answer.confidence = 0.8;
  return answer;
}

std::vector<std::string> Keys(std::size_t n) {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < n; ++i) keys.push_back("0123456789abcdef/" + std::to_string(i));
  return keys;
}

void BM_Baseline_MapFind(benchmark::State& state) {
  const std::vector<std::string> keys = Keys(kEntries);
  std::unordered_map<std::string, Classification> map;
  for (const auto& key : keys) map.emplace(key, TypicalAnswer());
  std::size_t i = 0;
  for (auto _ : state) {
    Classification copy = map.find(keys[i++ % kEntries])->second;
    benchmark::DoNotOptimize(copy);
  }
}

void BM_CacheHit(benchmark::State& state) {
  const std::vector<std::string> keys = Keys(kEntries);
  AnswerCache cache(kEntries, std::chrono::minutes(15));
  const auto now = Clock::now();
  for (const auto& key : keys) cache.Put(key, TypicalAnswer(), now);
  std::size_t i = 0;
  for (auto _ : state) {
    auto hit = cache.Get(keys[i++ % kEntries], now);
    benchmark::DoNotOptimize(hit);
  }
}

// A full cache taking a new answer: the least recently used one goes.
void BM_CachePutEvicting(benchmark::State& state) {
  const std::vector<std::string> keys = Keys(2 * kEntries);
  AnswerCache cache(kEntries, std::chrono::minutes(15));
  const auto now = Clock::now();
  const Classification answer = TypicalAnswer();
  std::size_t i = 0;
  for (auto _ : state) cache.Put(keys[i++ % keys.size()], answer, now);
}

void BM_ShareKey(benchmark::State& state) {
  const alertllm::internal::Share share(alertllm::Config{});
  Alert alert;
  alert.labels = {{"alertname", "HighCPUUsage"},
                  {"instance", "web-01:9100"},
                  {"job", "node"},
                  {"severity", "warning"}};
  for (auto _ : state) {
    std::string key = share.KeyOf(alert);  // no fingerprint given: computed from the labels
    benchmark::DoNotOptimize(key);
  }
}

// Heap bytes per kept answer (typical size) when the cache is full: one iteration fills it.
void BM_FullCacheBytesPerEntry(benchmark::State& state) {
  const std::vector<std::string> keys = Keys(kEntries);
  for (auto _ : state) {
    const std::size_t before = mallinfo2().uordblks;
    auto cache = std::make_unique<AnswerCache>(kEntries, std::chrono::minutes(15));
    const auto now = Clock::now();
    for (const auto& key : keys) cache->Put(key, TypicalAnswer(), now);
    const std::size_t after = mallinfo2().uordblks;
    state.counters["bytes_per_entry"] =
        static_cast<double>(after - before) / static_cast<double>(kEntries);
    state.counters["MiB_at_max_entries"] = static_cast<double>(after - before) / (1 << 20);
  }
}

BENCHMARK(BM_Baseline_MapFind);
BENCHMARK(BM_CacheHit);
BENCHMARK(BM_CachePutEvicting);
BENCHMARK(BM_ShareKey);
BENCHMARK(BM_FullCacheBytesPerEntry)->Iterations(1);

}  // namespace

int main(int argc, char** argv) {
  const std::string baseline = "BM_Baseline_MapFind";
  return alertllm::bench::RunWithRatios(
      argc, argv,
      {{"BM_CacheHit", baseline}, {"BM_CachePutEvicting", baseline}, {"BM_ShareKey", baseline}});
}
