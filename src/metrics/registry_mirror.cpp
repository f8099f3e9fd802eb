// SPDX-License-Identifier: Apache-2.0
#include "metrics/registry_mirror.hpp"

#include <stdexcept>
#include <utility>

namespace alertllm::internal {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

std::string SeriesKey(const MetricFamily& family, const ClientMetric& metric) {
  std::string key = family.name;
  for (const auto& label : metric.label) {
    key += '\x1f';
    key += label.name;
    key += '=';
    key += label.value;
  }
  return key;
}

prometheus::Labels LabelsOf(const ClientMetric& metric) {
  prometheus::Labels labels;
  for (const auto& label : metric.label) labels.emplace(label.name, label.value);
  return labels;
}

}  // namespace

RegistryMirror::RegistryMirror(std::shared_ptr<prometheus::Collectable> source,
                               std::shared_ptr<prometheus::Registry> registry)
    : source_(std::move(source)), registry_(std::move(registry)) {
  if (!source_ || !registry_) throw std::invalid_argument("registry: must not be null");
  const std::lock_guard lock(mutex_);
  Update(source_->Collect());
}

void RegistryMirror::Sync() noexcept {
  pending_.fetch_add(1);
  // A caller that finds the lock taken leaves its increment in pending_; the holder checks
  // pending_ after unlocking and syncs again, so no caller's changes are left behind.
  while (pending_.load() > 0) {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    pending_.store(0);
    try {
      Update(source_->Collect());
    } catch (...) {
      return;  // out of memory: the next Sync catches up
    }
  }
}

RegistryMirror::Series& RegistryMirror::Find(const MetricFamily& family,
                                             const ClientMetric& metric) {
  const std::string key = SeriesKey(family, metric);
  if (auto it = series_.find(key); it != series_.end()) return it->second;
  Series series;
  void*& slot = families_[family.name];
  switch (family.type) {
    case MetricType::Counter: {
      if (slot == nullptr) {
        slot = &prometheus::BuildCounter().Name(family.name).Help(family.help).Register(*registry_);
      }
      series.counter = &static_cast<prometheus::Family<prometheus::Counter>*>(slot)->Add(
          LabelsOf(metric));
      break;
    }
    case MetricType::Gauge: {
      if (slot == nullptr) {
        slot = &prometheus::BuildGauge().Name(family.name).Help(family.help).Register(*registry_);
      }
      series.gauge =
          &static_cast<prometheus::Family<prometheus::Gauge>*>(slot)->Add(LabelsOf(metric));
      break;
    }
    case MetricType::Histogram: {
      if (slot == nullptr) {
        slot =
            &prometheus::BuildHistogram().Name(family.name).Help(family.help).Register(*registry_);
      }
      prometheus::Histogram::BucketBoundaries bounds;
      for (const auto& bucket : metric.histogram.bucket) {
        if (bucket.upper_bound != std::numeric_limits<double>::infinity()) {
          bounds.push_back(bucket.upper_bound);
        }
      }
      series.histogram = &static_cast<prometheus::Family<prometheus::Histogram>*>(slot)->Add(
          LabelsOf(metric), bounds);
      break;
    }
    default:
      break;  // The client exposes no summaries or untyped metrics.
  }
  return series_.emplace(key, series).first->second;
}

void RegistryMirror::Update(const std::vector<MetricFamily>& snapshot) {
  bool same_layout = layout_families_.size() == snapshot.size();
  for (std::size_t f = 0; same_layout && f < snapshot.size(); ++f) {
    same_layout = layout_families_[f].first == snapshot[f].name &&
                  layout_families_[f].second == snapshot[f].metric.size();
  }
  if (!same_layout) {
    layout_.clear();
    layout_families_.clear();
    for (const MetricFamily& family : snapshot) {
      layout_families_.emplace_back(family.name, family.metric.size());
      for (const ClientMetric& metric : family.metric) layout_.push_back(&Find(family, metric));
    }
  }
  std::size_t index = 0;
  for (const MetricFamily& family : snapshot) {
    for (const ClientMetric& metric : family.metric) {
      Series& series = *layout_[index++];
      if (series.counter != nullptr) {
        const double gained = metric.counter.value - series.counter->Value();
        if (gained > 0) series.counter->Increment(gained);
      } else if (series.gauge != nullptr) {
        series.gauge->Set(metric.gauge.value);
      } else if (series.histogram != nullptr) {
        // Cumulative counts on both sides; ObserveMultiple wants per-bucket increments, +Inf
        // last. Our source lists the finite buckets and carries +Inf as sample_count.
        const ClientMetric mirrored = series.histogram->Collect();
        const auto& have = mirrored.histogram.bucket;  // finite buckets, then +Inf
        const auto& want = metric.histogram.bucket;
        std::vector<double> increments(have.size(), 0.0);
        std::uint64_t have_below = 0;
        std::uint64_t want_below = 0;
        bool any = false;
        for (std::size_t i = 0; i < have.size(); ++i) {
          const std::uint64_t want_cumulative =
              i < want.size() && want[i].upper_bound != std::numeric_limits<double>::infinity()
                  ? want[i].cumulative_count
                  : metric.histogram.sample_count;
          const std::uint64_t want_here = want_cumulative - want_below;
          const std::uint64_t have_here = have[i].cumulative_count - have_below;
          if (want_here > have_here) {
            increments[i] = static_cast<double>(want_here - have_here);
            any = true;
          }
          want_below = want_cumulative;
          have_below = have[i].cumulative_count;
        }
        const double sum_gained = metric.histogram.sample_sum - mirrored.histogram.sample_sum;
        if (any) series.histogram->ObserveMultiple(increments, sum_gained > 0 ? sum_gained : 0.0);
      }
    }
  }
}

}  // namespace alertllm::internal
