// SPDX-License-Identifier: Apache-2.0
#pragma once

// Copies a Collectable's samples onto families of a caller-owned prometheus::Registry.
//
// prometheus-cpp 1.0.1's Registry holds only its own Family<Counter|Gauge|Histogram|Summary>
// and has no hook to run code at scrape time, so metrics read at scrape time (the breaker's
// counters, the client's relaxed atomics) cannot live on it directly. The mirror creates the
// same families on the registry and, on each Update(), raises every counter and histogram by
// what the source gained since the last Update() and sets every gauge.
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace alertllm::internal {

/// Thread-safety: Sync() may be called from any number of threads at once.
class RegistryMirror {
 public:
  /// Registers every family of `source` on `registry` and mirrors its current samples. Throws
  /// std::invalid_argument (prometheus-cpp's own message) if the registry already holds one of
  /// the names with another type or other constant labels.
  RegistryMirror(std::shared_ptr<prometheus::Collectable> source,
                 std::shared_ptr<prometheus::Registry> registry);

  /// Brings the registry up to date with the source. Cheap for the callers that find another
  /// thread syncing: they leave a note and return at once, and that thread syncs again.
  void Sync() noexcept;

  const std::shared_ptr<prometheus::Registry>& registry() const noexcept { return registry_; }

 private:
  struct Series {
    prometheus::Counter* counter = nullptr;
    prometheus::Gauge* gauge = nullptr;
    prometheus::Histogram* histogram = nullptr;
  };

  void Update(const std::vector<prometheus::MetricFamily>& snapshot);
  Series& Find(const prometheus::MetricFamily& family, const prometheus::ClientMetric& metric);

  std::shared_ptr<prometheus::Collectable> source_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::mutex mutex_;  // guards families_ and series_, and orders Updates
  std::atomic<unsigned> pending_{0};
  std::map<std::string, void*> families_;  // name → Family<T>* of the family's type
  std::map<std::string, Series> series_;   // name + labels → the registry's metric
  // The series in the order the source lists them, with each family's name and size: the
  // source's layout does not change, so later Updates walk this instead of building keys.
  std::vector<Series*> layout_;
  std::vector<std::pair<std::string, std::size_t>> layout_families_;
};

}  // namespace alertllm::internal
