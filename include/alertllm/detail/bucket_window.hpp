// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace alertllm::detail {

/// Calls, failures and slow calls: one time bucket, or the sum of several.
struct WindowTotals {
  std::uint64_t calls = 0;
  std::uint64_t failures = 0;
  std::uint64_t slow = 0;

  void Add(const WindowTotals& other) noexcept {
    calls += other.calls;
    failures += other.failures;
    slow += other.slow;
  }
  void Subtract(const WindowTotals& other) noexcept {
    calls -= other.calls;
    failures -= other.failures;
    slow -= other.slow;
  }
};

/// The circuit breaker's sliding window (DESIGN.md §3): `window_ns` split into N equal buckets
/// of width w, N the largest divisor of window_ns not above 60. Bucket b covers [b·w, (b+1)·w)
/// of time since the clock's epoch; an outcome recorded in bucket b counts at `now` while
/// b·w > now − window_ns. Running totals are kept by subtracting buckets as they expire: O(1)
/// amortised per Add(), at most N steps for any Add() or At(), fixed memory.
///
/// The newest bucket's counts live in `current_` until time moves past it; `buckets_` holds
/// the older ones (the newest bucket's slot is kept zero) and `past_` their sum. So an Add() in
/// the newest bucket, or earlier (time going backwards: counted in the newest), is a comparison
/// and up to three increments; moving on flushes `current_` and subtracts what expired.
///
/// Not thread-safe: the breaker calls it under its lock. Never allocates.
class BucketWindow {
 public:
  static constexpr std::size_t kMaxBuckets = 60;

  /// A window of `window_ns` > 0 nanoseconds.
  explicit BucketWindow(std::int64_t window_ns) noexcept
      : bucket_count_(BucketCount(window_ns)),
        bucket_ns_(window_ns / static_cast<std::int64_t>(bucket_count_)) {}

  /// Counts one call at `now_ns`.
  void Add(std::int64_t now_ns, bool failure, bool slow) noexcept {
    if (now_ns >= newest_end_ns_) MoveTo(FloorDiv(now_ns, bucket_ns_));
    ++current_.calls;
    if (failure) ++current_.failures;
    if (slow) ++current_.slow;
  }

  /// Calls in the window as of the latest Add().
  std::uint64_t Calls() const noexcept { return past_.calls + current_.calls; }
  /// Failures in the window as of the latest Add().
  std::uint64_t Failures() const noexcept { return past_.failures + current_.failures; }

  /// The totals as of `now_ns`, without moving the window.
  WindowTotals At(std::int64_t now_ns) const noexcept {
    const std::int64_t bucket = FloorDiv(now_ns, bucket_ns_);
    if (newest_bucket_ == kNoBucket || bucket - newest_bucket_ >= Count()) return WindowTotals{};
    WindowTotals totals = past_;
    totals.Add(current_);
    std::size_t slot = newest_slot_;
    for (std::int64_t b = newest_bucket_; b < bucket; ++b) {
      slot = NextSlot(slot);
      totals.Subtract(buckets_[slot]);
    }
    return totals;
  }

  /// Empties the window.
  void Clear() noexcept {
    buckets_.fill(WindowTotals{});
    current_ = WindowTotals{};
    past_ = WindowTotals{};
    newest_bucket_ = kNoBucket;
    newest_end_ns_ = std::numeric_limits<std::int64_t>::min();
  }

 private:
  static constexpr std::int64_t kNoBucket = std::numeric_limits<std::int64_t>::min();

  static std::size_t BucketCount(std::int64_t window_ns) noexcept {
    std::size_t n = kMaxBuckets;
    while (n > 1 && window_ns % static_cast<std::int64_t>(n) != 0) --n;
    return n;
  }

  static std::int64_t FloorDiv(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
  }

  std::int64_t Count() const noexcept { return static_cast<std::int64_t>(bucket_count_); }

  std::size_t NextSlot(std::size_t slot) const noexcept {
    return slot + 1 == bucket_count_ ? 0 : slot + 1;
  }

#if defined(__GNUC__) || defined(__clang__)
  __attribute__((cold, noinline))
#endif
  void MoveTo(std::int64_t bucket) noexcept {
    if (newest_bucket_ == kNoBucket || bucket - newest_bucket_ >= Count()) {
      buckets_.fill(WindowTotals{});
      current_ = WindowTotals{};
      past_ = WindowTotals{};
    } else if (bucket > newest_bucket_) {
      buckets_[newest_slot_] = current_;
      past_.Add(current_);
      current_ = WindowTotals{};
      for (std::int64_t b = newest_bucket_; b < bucket; ++b) {
        newest_slot_ = NextSlot(newest_slot_);
        past_.Subtract(buckets_[newest_slot_]);
        buckets_[newest_slot_] = WindowTotals{};
      }
    } else {
      return;
    }
    newest_bucket_ = bucket;
    const std::int64_t start = bucket * bucket_ns_;
    newest_end_ns_ = start > std::numeric_limits<std::int64_t>::max() - bucket_ns_
                         ? std::numeric_limits<std::int64_t>::max()
                         : start + bucket_ns_;
  }

  // What an Add() in the newest bucket touches comes first.
  WindowTotals current_{};
  std::int64_t newest_end_ns_ = std::numeric_limits<std::int64_t>::min();
  WindowTotals past_{};
  std::int64_t newest_bucket_ = kNoBucket;
  std::size_t newest_slot_ = 0;
  const std::size_t bucket_count_;
  const std::int64_t bucket_ns_;
  std::array<WindowTotals, kMaxBuckets> buckets_{};
};

}  // namespace alertllm::detail
