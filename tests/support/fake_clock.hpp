// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <vector>

#include "alertllm/client.hpp"
#include "alertllm/testing/fake_transport.hpp"

namespace alertllm::test {

/// A ClientClock where time stands still except when a test, a FakeTransport (through
/// Attach()) or a sleep moves it; a sleep returns at once, having advanced the clock.
///
/// Thread-safe.
class FakeClock final : public ClientClock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  std::chrono::steady_clock::time_point SteadyNow() const override {
    std::lock_guard lock(mutex_);
    return steady_;
  }
  std::chrono::system_clock::time_point SystemNow() const override {
    std::lock_guard lock(mutex_);
    return system_;
  }
  bool SleepFor(std::chrono::nanoseconds duration, const std::stop_token& stop) override {
    if (stop.stop_requested()) return false;
    std::lock_guard lock(mutex_);
    sleeps_.push_back(duration);
    duration += oversleep_;
    steady_ += duration;
    system_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(duration);
    return true;
  }
  /// Every sleep lasts this much longer than asked, as a loaded machine's may.
  void SetOversleep(std::chrono::nanoseconds extra) {
    std::lock_guard lock(mutex_);
    oversleep_ = extra;
  }
  void Advance(std::chrono::nanoseconds d) {
    std::lock_guard lock(mutex_);
    steady_ += d;
    system_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }
  /// The durations asked of SleepFor(), in order.
  std::vector<std::chrono::nanoseconds> Sleeps() const {
    std::lock_guard lock(mutex_);
    return sleeps_;
  }

 private:
  mutable std::mutex mutex_;
  SteadyTime steady_ = SteadyTime(std::chrono::hours(1000));
  // Thu, 01 Jan 2026 00:00:00 GMT.
  std::chrono::system_clock::time_point system_ =
      std::chrono::sys_days(std::chrono::year(2026) / 1 / 1);
  std::vector<std::chrono::nanoseconds> sleeps_;
  std::chrono::nanoseconds oversleep_{0};
};

/// Makes `transport` stamp its requests with `clock` and advance it by each step's latency.
/// The transport holds the clock weakly, so neither keeps the other alive.
inline void Attach(mocks::FakeTransport& transport, const std::shared_ptr<FakeClock>& clock) {
  std::weak_ptr<FakeClock> weak = clock;
  transport.SetClock(
      [weak] {
        const auto locked = weak.lock();
        return locked ? locked->SteadyNow() : std::chrono::steady_clock::time_point{};
      },
      [weak](std::chrono::nanoseconds d) {
        if (const auto locked = weak.lock()) locked->Advance(d);
      });
}

}  // namespace alertllm::test
