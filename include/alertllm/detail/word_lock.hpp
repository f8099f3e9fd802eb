// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstdint>

namespace alertllm::detail {

/// A 4-byte mutex (0 free, 1 held, 2 held with waiters; the three-state futex mutex of Drepper's
/// "Futexes Are Tricky") on C++20 atomic wait/notify. std::mutex is 40 bytes, so the counters
/// CircuitBreaker::Record writes could not share its cache line and two threads recording
/// handed over two lines per call; with this lock they hand over one. Blocks (no spinning)
/// when contended.
///
/// Thread-safe; satisfies Lockable's lock()/unlock().
class WordLock {
 public:
  void lock() noexcept {
    std::uint32_t c = 0;
    if (state_.compare_exchange_strong(c, 1, std::memory_order_acquire)) return;
    if (c != 2) c = state_.exchange(2, std::memory_order_acquire);
    while (c != 0) {
      state_.wait(2, std::memory_order_relaxed);
      c = state_.exchange(2, std::memory_order_acquire);
    }
  }
  void unlock() noexcept {
    if (state_.exchange(0, std::memory_order_release) == 2) state_.notify_one();
  }

 private:
  std::atomic<std::uint32_t> state_{0};
};

}  // namespace alertllm::detail
