// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace alertllm::bench {

/// Console output as usual, then every benchmark's CPU time per iteration as a ratio to the
/// named baseline benchmark of the same run, so that targets ("≤ 2× the baseline") are read off
/// one run on one machine rather than compared with figures from elsewhere. A benchmark that
/// reports a `client_cpu_ns` counter (CPU per request of work spread over threads the
/// benchmark's own CPU clock does not see) is compared by that instead; one that reports a
/// `req/s` counter also gets its throughput as a ratio to the baseline's.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  /// `baselines`: benchmark name prefix → the baseline benchmark's full name.
  explicit RatioReporter(const std::map<std::string, std::string>& baselines)
      : baselines_(baselines.begin(), baselines.end()) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.iterations == 0) continue;
      const std::string name = run.benchmark_name();
      const auto client_cpu = run.counters.find("client_cpu_ns");
      cpu_ns_[name] = client_cpu != run.counters.end()
                          ? client_cpu->second.value
                          : run.GetAdjustedCPUTime() /
                                benchmark::GetTimeUnitMultiplier(run.time_unit) * 1e9;
      if (const auto rate = run.counters.find("req/s"); rate != run.counters.end()) {
        rate_[name] = rate->second.value;
      }
      order_.push_back(name);
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\nratio to baseline (CPU time per iteration, same run):\n");
    PrintRatios(cpu_ns_);
    if (!rate_.empty()) {
      std::printf("\nthroughput ratio to baseline (req/s, same run):\n");
      PrintRatios(rate_);
    }
  }

 private:
  void PrintRatios(const std::map<std::string, double>& values) const {
    for (const std::string& name : order_) {
      for (const auto& [prefix, baseline] : baselines_) {
        if (name.rfind(prefix, 0) != 0 || name == baseline) continue;
        const auto it = values.find(baseline);
        const auto own = values.find(name);
        if (it == values.end() || it->second <= 0 || own == values.end()) continue;
        std::printf("  %-60s %8.2fx  %s\n", name.c_str(), own->second / it->second,
                    baseline.c_str());
        break;  // the first (longest-named) prefix that matches is the benchmark's baseline
      }
    }
  }

  // Longest prefix first, so that "BM_ClassifyAlerts" is matched before "BM_ClassifyAlert".
  std::map<std::string, std::string, std::greater<>> baselines_;
  std::map<std::string, double> cpu_ns_;
  std::map<std::string, double> rate_;
  std::vector<std::string> order_;
};

/// Runs the registered benchmarks with a RatioReporter; returns main()'s exit status.
inline int RunWithRatios(int argc, char** argv, std::map<std::string, std::string> baselines) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter(std::move(baselines));
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace alertllm::bench
