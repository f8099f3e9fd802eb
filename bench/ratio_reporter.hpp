// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace alertllm::bench {

/// Console output as usual, then every benchmark's CPU time per iteration as a ratio to the
/// named baseline benchmark of the same run, so that targets ("≤ 2× the baseline") are read off
/// one run on one machine rather than compared with figures from elsewhere.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  /// `baselines`: benchmark name prefix → the baseline benchmark's full name.
  explicit RatioReporter(std::map<std::string, std::string> baselines)
      : baselines_(std::move(baselines)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.iterations == 0) continue;
      cpu_ns_[run.benchmark_name()] =
          run.GetAdjustedCPUTime() / benchmark::GetTimeUnitMultiplier(run.time_unit) * 1e9;
      order_.push_back(run.benchmark_name());
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\nratio to baseline (CPU time per iteration, same run):\n");
    for (const std::string& name : order_) {
      for (const auto& [prefix, baseline] : baselines_) {
        if (name.rfind(prefix, 0) != 0 || name == baseline) continue;
        const auto it = cpu_ns_.find(baseline);
        if (it == cpu_ns_.end() || it->second <= 0) continue;
        std::printf("  %-60s %8.2fx  %s\n", name.c_str(), cpu_ns_[name] / it->second,
                    baseline.c_str());
      }
    }
  }

 private:
  std::map<std::string, std::string> baselines_;
  std::map<std::string, double> cpu_ns_;
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
