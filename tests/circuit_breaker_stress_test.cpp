// SPDX-License-Identifier: Apache-2.0
// Concurrency invariants of CircuitBreaker: 8 threads × 100k Allow/Record (30 % failures, a few
// ignored and slow calls) on a shared fake clock that the threads advance, while a monitor
// thread reads State/Stats/Counters. Built to run under ThreadSanitizer.
//
// ALERTLLM_STRESS_ITERATIONS overrides the per-thread iteration count (default 100000).
#include "alertllm/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace alertllm {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using TimePoint = std::chrono::steady_clock::time_point;

constexpr int kThreads = 8;
constexpr std::int64_t kStartNs = 1'000'000'000'000'000;  // about 11.6 days after the epoch

int Iterations() {
  if (const char* s = std::getenv("ALERTLLM_STRESS_ITERATIONS")) {
    const int n = std::atoi(s);
    if (n > 0) return n;
  }
  return 100'000;
}

std::size_t Index(CircuitState s) { return static_cast<std::size_t>(s); }

bool AllowedEdge(CircuitState from, CircuitState to) {
  return (from == CircuitState::kClosed && to == CircuitState::kOpen) ||
         (from == CircuitState::kOpen && to == CircuitState::kHalfOpen) ||
         (from == CircuitState::kHalfOpen && to == CircuitState::kClosed) ||
         (from == CircuitState::kHalfOpen && to == CircuitState::kOpen);
}

void AtomicMax(std::atomic<int>& target, int value) {
  int seen = target.load(std::memory_order_relaxed);
  while (value > seen && !target.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

// What each worker saw and did; compared with the breaker's counters at the end.
struct Tally {
  std::uint64_t admitted = 0;
  std::uint64_t blocked = 0;
  std::uint64_t probes = 0;
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
  std::uint64_t slow = 0;
  std::uint64_t ignored = 0;
};

// All test bookkeeping shared between threads uses relaxed atomics: they create no
// happens-before edges, so they cannot hide a data race in the breaker from TSan.
struct Shared {
  std::atomic<std::int64_t> clock_ns{kStartNs};
  std::array<std::array<std::atomic<std::uint64_t>, 3>, 3> heard{};
  std::atomic<bool> bad_edge{false};
  std::atomic<int> probes_in_flight{0};
  std::atomic<int> max_probes_in_flight{0};
  // Probe slots taken per half-open period (generation mod table size): probes admitted minus
  // ignored ones (an ignored probe gives its slot back; the others hold theirs until the
  // period ends). Unlike probes in flight, this catches an extra probe however short-lived.
  std::vector<std::atomic<int>> slots_by_generation = std::vector<std::atomic<int>>(1 << 16);
  std::atomic<int> max_slots_of_one_generation{0};
  std::atomic<bool> done{false};
};

CircuitBreakerConfig StressConfig(int probes) {
  CircuitBreakerConfig c;
  c.max_failures = 8;
  c.minimum_calls = 20;
  c.failure_threshold = 0.5;
  c.time_window = milliseconds(50);
  c.slow_call_duration = milliseconds(2);
  c.reset_timeout = milliseconds(1);
  c.reset_timeout_multiplier = 2.0;
  c.max_reset_timeout = milliseconds(4);
  c.half_open_max_calls = probes;
  return c;
}

void Worker(CircuitBreaker& cb, Shared& shared, unsigned seed, int iterations, Tally& tally) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> step(0, 10'000);  // 5 µs on average
  std::uniform_int_distribution<int> percent(0, 99);
  std::uniform_int_distribution<std::int64_t> duration(0, 2'200'000);  // ~9 % ≥ 2 ms: slow
  const auto slow = std::chrono::duration_cast<nanoseconds>(cb.config().slow_call_duration);
  for (int i = 0; i < iterations; ++i) {
    const TimePoint now{
        nanoseconds(shared.clock_ns.fetch_add(step(rng), std::memory_order_relaxed))};
    const Permit p = cb.Allow(now);
    if (!p.admitted) {
      ++tally.blocked;
      std::this_thread::yield();  // backs off, as a rejected caller would: lets probes finish
      continue;
    }
    ++tally.admitted;
    std::atomic<int>& slots =
        shared.slots_by_generation[p.generation % shared.slots_by_generation.size()];
    if (p.probe) {
      ++tally.probes;
      AtomicMax(shared.max_probes_in_flight,
                shared.probes_in_flight.fetch_add(1, std::memory_order_relaxed) + 1);
      AtomicMax(shared.max_slots_of_one_generation,
                slots.fetch_add(1, std::memory_order_relaxed) + 1);
    }
    const int roll = percent(rng);
    const CallOutcome outcome = roll < 30   ? CallOutcome::kFailure
                                : roll < 35 ? CallOutcome::kIgnored
                                            : CallOutcome::kSuccess;
    const nanoseconds took(duration(rng));
    if (outcome == CallOutcome::kIgnored) {
      ++tally.ignored;
    } else {
      const bool is_slow = took >= slow;
      if (is_slow) ++tally.slow;
      if (outcome == CallOutcome::kFailure || is_slow) {
        ++tally.failures;
      } else {
        ++tally.successes;
      }
    }
    // The probe leaves flight (and an ignored one its slot) before its outcome can start a
    // new half-open period or free the slot in the breaker.
    if (p.probe) {
      std::this_thread::yield();  // keeps probes in flight while other threads ask for more
      shared.probes_in_flight.fetch_sub(1, std::memory_order_relaxed);
      if (outcome == CallOutcome::kIgnored) slots.fetch_sub(1, std::memory_order_relaxed);
    }
    const TimePoint later{nanoseconds(shared.clock_ns.load(std::memory_order_relaxed))};
    cb.Record(p, outcome, took, later);
  }
}

// Reads everything a scrape or a health check would, while the workers run: counters never
// go down (so never below zero) and every Stats snapshot is consistent in itself.
void Monitor(const CircuitBreaker& cb, Shared& shared, std::uint64_t max_calls, int& bad_snapshots,
             int& snapshots) {
  CircuitBreakerCounters last = cb.Counters();
  do {
    const TimePoint now{nanoseconds(shared.clock_ns.load(std::memory_order_relaxed))};
    const CircuitBreakerCounters c = cb.Counters();
    bool ok = c.successes >= last.successes && c.failures >= last.failures &&
              c.slow_calls >= last.slow_calls && c.blocked >= last.blocked &&
              c.ignored >= last.ignored && c.half_open_requests >= last.half_open_requests;
    for (std::size_t f = 0; f < 3; ++f) {
      for (std::size_t t = 0; t < 3; ++t)
        ok = ok && c.state_changes[f][t] >= last.state_changes[f][t];
    }
    const CircuitBreakerStats s = cb.Stats(now);
    // Unsigned window totals that went below zero would show up as huge values.
    ok = ok && s.total_calls <= max_calls && s.consecutive_failures <= max_calls &&
         s.consecutive_successes <= max_calls;
    ok = ok && s.failure_count + s.success_count == s.total_calls && s.failure_rate >= 0.0 &&
         s.failure_rate <= 1.0 && s.slow_call_rate >= 0.0 && s.slow_call_rate <= 1.0;
    const CircuitState state = cb.State(now);
    ok = ok && Index(state) < 3;
    if (!ok) ++bad_snapshots;
    ++snapshots;
    last = c;
    std::this_thread::yield();
  } while (!shared.done.load(std::memory_order_relaxed));
}

void RunStress(int probes) {
  CircuitBreaker cb(StressConfig(probes));
  Shared shared;
  cb.AddListener([&shared](const StateTransition& t) {
    if (!AllowedEdge(t.from, t.to)) shared.bad_edge.store(true, std::memory_order_relaxed);
    shared.heard[Index(t.from)][Index(t.to)].fetch_add(1, std::memory_order_relaxed);
  });

  const int iterations = Iterations();
  std::vector<Tally> tallies(kThreads);
  int bad_snapshots = 0;
  int snapshots = 0;
  const std::uint64_t max_calls =
      static_cast<std::uint64_t>(kThreads) * static_cast<std::uint64_t>(iterations);
  std::thread monitor(Monitor, std::cref(cb), std::ref(shared), max_calls, std::ref(bad_snapshots),
                      std::ref(snapshots));
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back(Worker, std::ref(cb), std::ref(shared), 1234u + static_cast<unsigned>(t),
                         iterations, std::ref(tallies[static_cast<std::size_t>(t)]));
  }
  for (std::thread& w : workers) w.join();
  shared.done.store(true, std::memory_order_relaxed);
  monitor.join();

  Tally sum;
  for (const Tally& t : tallies) {
    sum.admitted += t.admitted;
    sum.blocked += t.blocked;
    sum.probes += t.probes;
    sum.successes += t.successes;
    sum.failures += t.failures;
    sum.slow += t.slow;
    sum.ignored += t.ignored;
  }
  const CircuitBreakerCounters c = cb.Counters();

  EXPECT_EQ(sum.admitted + sum.blocked, max_calls);
  EXPECT_EQ(sum.admitted, c.successes + c.failures + c.ignored);
  EXPECT_EQ(c.successes, sum.successes);
  EXPECT_EQ(c.failures, sum.failures);
  EXPECT_EQ(c.slow_calls, sum.slow);
  EXPECT_EQ(c.ignored, sum.ignored);
  EXPECT_EQ(c.blocked, sum.blocked);
  EXPECT_EQ(c.half_open_requests, sum.probes);

  // Listeners heard exactly the transitions the counters hold, and only legal ones.
  EXPECT_FALSE(shared.bad_edge.load());
  for (std::size_t f = 0; f < 3; ++f) {
    for (std::size_t t = 0; t < 3; ++t) {
      EXPECT_EQ(shared.heard[f][t].load(), c.state_changes[f][t]) << "from " << f << " to " << t;
    }
  }

  // Every state is entered once per exit (a trip opens exactly once): replaying the counted
  // transitions from closed leaves exactly one state current.
  const auto& n = c.state_changes;
  const std::int64_t closed =
      1 + static_cast<std::int64_t>(n[2][0]) - static_cast<std::int64_t>(n[0][1]);
  const std::int64_t open =
      static_cast<std::int64_t>(n[0][1] + n[2][1]) - static_cast<std::int64_t>(n[1][2]);
  const std::int64_t half_open =
      static_cast<std::int64_t>(n[1][2]) - static_cast<std::int64_t>(n[2][0] + n[2][1]);
  EXPECT_TRUE(closed >= 0 && open >= 0 && half_open >= 0 && closed + open + half_open == 1)
      << closed << " " << open << " " << half_open;

  EXPECT_LE(shared.max_slots_of_one_generation.load(), probes);
  if (probes == 1) {
    EXPECT_LE(shared.max_probes_in_flight.load(), 1);
  }
  EXPECT_EQ(bad_snapshots, 0) << "of " << snapshots;

  // The run must have exercised what it checks.
  EXPECT_GT(n[0][1], 0u);
  EXPECT_GT(n[2][0], 0u);
  EXPECT_GT(n[2][1], 0u);
  EXPECT_GT(sum.blocked, 0u);
  EXPECT_GT(sum.probes, 0u);
  EXPECT_GT(snapshots, 0);
  std::printf(
      "[ stats    ] %d probe(s): admitted %llu, blocked %llu, opens %llu, closes %llu, "
      "max probe slots taken in one half-open period %d, snapshots %d\n",
      probes, static_cast<unsigned long long>(sum.admitted),
      static_cast<unsigned long long>(sum.blocked),
      static_cast<unsigned long long>(n[0][1] + n[2][1]), static_cast<unsigned long long>(n[2][0]),
      shared.max_slots_of_one_generation.load(), snapshots);
}

TEST(CircuitBreakerStressTest, EightThreadsKeepEveryInvariantWithOneProbe) { RunStress(1); }

TEST(CircuitBreakerStressTest, EightThreadsKeepEveryInvariantWithThreeProbes) { RunStress(3); }

}  // namespace
}  // namespace alertllm
