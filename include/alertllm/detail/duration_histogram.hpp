// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "alertllm/circuit_breaker_stats.hpp"

namespace alertllm::detail {

/// Adds `by` to a counter that only one thread writes at a time (its owner's lock held) and
/// others read lock-free: a load and a store, no read-modify-write instruction.
inline void BumpLocked(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

/// Call durations in the buckets of CallDurationHistogram, kept as integer nanoseconds (exact;
/// 584 years of summed call time fit).
///
/// Thread-safety: Add() by one thread at a time (the breaker's lock); Read() from any thread,
/// lock-free, each field read atomically on its own.
class DurationHistogram {
 public:
  /// The upper bounds of CallDurationHistogram::kBucketBoundsSeconds, in nanoseconds.
  static constexpr std::array<std::int64_t, 9> kBoundsNs = {
      100'000'000,   250'000'000,   500'000'000,    1'000'000'000, 2'000'000'000,
      3'000'000'000, 5'000'000'000, 10'000'000'000, 30'000'000'000};

  /// The bucket of a duration: the first bound it does not exceed, or 9 above them all.
  static std::size_t BucketOf(std::int64_t duration_ns) noexcept {
    std::size_t i = 0;
    while (i < kBoundsNs.size() && duration_ns > kBoundsNs[i]) ++i;
    return i;
  }

  /// Counts one duration (`duration_ns` ≥ 0) in `bucket` (BucketOf(duration_ns)).
  void Add(std::size_t bucket, std::uint64_t duration_ns) noexcept {
    BumpLocked(counts_[bucket]);
    BumpLocked(sum_ns_, duration_ns);
  }

  /// Copies the counts into `out`; `out.count` is their sum.
  void Read(CallDurationHistogram& out) const noexcept {
    out.count = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      out.bucket_counts[i] = counts_[i].load(std::memory_order_relaxed);
      out.count += out.bucket_counts[i];
    }
    out.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-9;
  }

 private:
  // The sum first: a closed-state success writes it and counts_[0] (calls under 100 ms), so
  // both sit on the cache line the breaker's lock starts.
  std::atomic<std::uint64_t> sum_ns_{0};
  std::array<std::atomic<std::uint64_t>, 10> counts_{};
};

constexpr bool DurationBoundsMatch() noexcept {
  for (std::size_t i = 0; i < DurationHistogram::kBoundsNs.size(); ++i) {
    const double ns = CallDurationHistogram::kBucketBoundsSeconds[i] * 1e9;
    if (static_cast<std::int64_t>(ns) != DurationHistogram::kBoundsNs[i]) return false;
  }
  return true;
}
static_assert(DurationBoundsMatch(), "kBoundsNs must be CallDurationHistogram's bounds in ns");

}  // namespace alertllm::detail
