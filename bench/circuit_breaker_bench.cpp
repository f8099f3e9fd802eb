// SPDX-License-Identifier: Apache-2.0
// CircuitBreaker against what it has to be compared with, measured in the same run: a
// std::mutex lock+unlock pair (uncontended and with 2 threads) and one steady_clock::now().
// Targets (issue 3): closed-state Allow+Record ≤ 2× the mutex pair; open-state rejection ≤ 1×;
// 2-thread closed-state CPU per call ≤ the contended mutex pair; 0 allocations per call
// (the allocs_per_op counter); the same cost with 0, 1k and 100k calls in the window (≤ 1.2×).
//
// Every breaker benchmark takes a Factory that builds the breaker under test, and is
// registered once per factory: `bare` is the breaker alone, `collected` has its Prometheus
// collector attached. Time is a fake clock advanced by
// each iteration, so the window moves (and its buckets expire) as it would in service.
#include <alertllm/circuit_breaker.hpp>
#include <alertllm/metrics.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#include "ratio_reporter.hpp"

namespace {
// Allocations made by the current thread, counted by the replacement operator new below.
thread_local std::uint64_t t_allocations = 0;
}  // namespace

// Not inlined: GCC would otherwise pair the inlined free() with the operator new call and warn
// (-Wmismatched-new-delete) about a mismatch that is not there.
[[gnu::noinline]] void* operator new(std::size_t size) {
  ++t_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// CircuitBreaker is over-aligned (alignas(64)): its own allocation goes through these.
[[gnu::noinline]] void* operator new(std::size_t size, std::align_val_t align) {
  ++t_allocations;
  const auto alignment = static_cast<std::size_t>(align);
  const std::size_t rounded =
      size == 0 ? alignment : (size + alignment - 1) / alignment * alignment;
  if (void* p = std::aligned_alloc(alignment, rounded)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

namespace {

using alertllm::CallOutcome;
using alertllm::CircuitBreaker;
using alertllm::CircuitBreakerConfig;
using alertllm::CircuitState;
using alertllm::Permit;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

// Far from the epoch, whole seconds. Each iteration advances the fake clock by kStep: 100 ns
// per call, i.e. 10 M calls/s, so a 1 s bucket expires every 10 M iterations.
const TimePoint kBase{seconds(1'000'000)};
constexpr nanoseconds kStep{100};
constexpr nanoseconds kCallDuration = milliseconds(50);

using Factory = std::shared_ptr<CircuitBreaker> (*)(const CircuitBreakerConfig&);

std::shared_ptr<CircuitBreaker> Bare(const CircuitBreakerConfig& config) {
  return std::make_shared<CircuitBreaker>(config);
}

// The breaker with its Prometheus collector attached (and scraped once), kept alive by the
// returned pointer. The collector reads counters at scrape time only, so the call path should
// cost what the bare breaker's does.
std::shared_ptr<CircuitBreaker> WithCollector(const CircuitBreakerConfig& config) {
  struct Attached {
    std::shared_ptr<CircuitBreaker> breaker;
    std::shared_ptr<alertllm::CircuitBreakerCollector> collector;
  };
  auto attached = std::make_shared<Attached>();
  attached->breaker = std::make_shared<CircuitBreaker>(config);
  attached->collector = std::make_shared<alertllm::CircuitBreakerCollector>(attached->breaker);
  benchmark::DoNotOptimize(attached->collector->Collect());
  CircuitBreaker* breaker = attached->breaker.get();
  return std::shared_ptr<CircuitBreaker>(std::move(attached), breaker);
}

// Sets allocs_per_op from the allocations the current thread made since construction.
class AllocationCounter {
 public:
  AllocationCounter() : start_(t_allocations) {}
  void Report(benchmark::State& state) const {
    const double per_op = static_cast<double>(t_allocations - start_) /
                          static_cast<double>(state.iterations() == 0 ? 1 : state.iterations());
    state.counters["allocs_per_op"] = benchmark::Counter(per_op, benchmark::Counter::kAvgThreads);
  }

 private:
  std::uint64_t start_;
};

// Records `calls` successes spread evenly over the 60 s before kBase: all inside the window.
void FillWindow(CircuitBreaker& cb, std::int64_t calls) {
  const nanoseconds span = seconds(59);
  for (std::int64_t i = 0; i < calls; ++i) {
    const TimePoint at = kBase - span + span * i / calls;
    cb.Record(cb.Allow(at), CallOutcome::kSuccess, kCallDuration, at);
  }
}

// Opens `cb` at kBase by consecutive failures.
void Trip(CircuitBreaker& cb) {
  for (int i = 0; i < cb.config().max_failures; ++i) {
    cb.Record(cb.Allow(kBase), CallOutcome::kFailure, kCallDuration, kBase);
  }
}

void BM_Baseline_MutexPair(benchmark::State& state) {
  std::mutex mu;
  for (auto _ : state) {
    mu.lock();
    mu.unlock();
  }
}

void BM_Baseline_MutexPairContended(benchmark::State& state) {
  static std::mutex mu;
  for (auto _ : state) {
    mu.lock();
    mu.unlock();
  }
}

void BM_Baseline_SteadyClockNow(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}

void BM_Closed_AllowRecord(benchmark::State& state, Factory factory, std::int64_t prefill) {
  const std::shared_ptr<CircuitBreaker> cb = factory(CircuitBreakerConfig{});
  FillWindow(*cb, prefill);
  TimePoint now = kBase;
  const AllocationCounter allocations;
  for (auto _ : state) {
    now += kStep;
    const Permit p = cb->Allow(now);
    cb->Record(p, CallOutcome::kSuccess, kCallDuration, now);
  }
  allocations.Report(state);
  if (cb->State(now) != CircuitState::kClosed) state.SkipWithError("breaker left closed");
}

void BM_Open_Reject(benchmark::State& state, Factory factory) {
  CircuitBreakerConfig config;
  config.reset_timeout = std::chrono::hours(1);
  config.max_reset_timeout = std::chrono::hours(1);
  const std::shared_ptr<CircuitBreaker> cb = factory(config);
  Trip(*cb);
  TimePoint now = kBase;
  const AllocationCounter allocations;
  for (auto _ : state) {
    now += kStep;
    benchmark::DoNotOptimize(cb->Allow(now));
  }
  allocations.Report(state);
  if (cb->State(now) != CircuitState::kOpen) state.SkipWithError("breaker left open");
}

void BM_HalfOpen_Reject(benchmark::State& state, Factory factory) {
  CircuitBreakerConfig config;
  config.reset_timeout = seconds(1);
  const std::shared_ptr<CircuitBreaker> cb = factory(config);
  Trip(*cb);
  TimePoint now = kBase + seconds(1);
  const Permit probe = cb->Allow(now);  // the one probe, kept in flight
  if (!probe.probe) state.SkipWithError("no probe admitted");
  const AllocationCounter allocations;
  for (auto _ : state) {
    now += kStep;
    benchmark::DoNotOptimize(cb->Allow(now));
  }
  allocations.Report(state);
  if (cb->State(now) != CircuitState::kHalfOpen) state.SkipWithError("breaker left half-open");
}

void BM_Stats(benchmark::State& state, Factory factory) {
  const std::shared_ptr<CircuitBreaker> cb = factory(CircuitBreakerConfig{});
  FillWindow(*cb, 1000);
  TimePoint now = kBase;
  const AllocationCounter allocations;
  for (auto _ : state) {
    now += kStep;
    benchmark::DoNotOptimize(cb->Stats(now));
  }
  allocations.Report(state);
}

void BM_State(benchmark::State& state, Factory factory) {
  const std::shared_ptr<CircuitBreaker> cb = factory(CircuitBreakerConfig{});
  TimePoint now = kBase;
  const AllocationCounter allocations;
  for (auto _ : state) {
    now += kStep;
    benchmark::DoNotOptimize(cb->State(now));
  }
  allocations.Report(state);
}

// Two threads on one breaker; each runs its own fake clock, so their times interleave a
// little out of order, as callers' clocks do.
void BM_Contended_AllowRecord(benchmark::State& state, Factory factory) {
  static std::shared_ptr<CircuitBreaker> shared;
  if (state.thread_index() == 0) shared = factory(CircuitBreakerConfig{});
  TimePoint now = kBase;
  const AllocationCounter allocations;
  for (auto _ : state) {  // starts once every thread is here, so `shared` is set
    now += kStep;
    const Permit p = shared->Allow(now);
    shared->Record(p, CallOutcome::kSuccess, kCallDuration, now);
  }
  allocations.Report(state);
  if (state.thread_index() == 0) {  // the loop's end waits for every thread
    if (shared->State(now) != CircuitState::kClosed) state.SkipWithError("breaker left closed");
    shared.reset();
  }
}

// One scrape of the eight families: Collect() and the text exposition, for scale (it runs once
// per scrape interval, not per call).
void BM_Scrape(benchmark::State& state) {
  const std::shared_ptr<CircuitBreaker> cb = WithCollector(CircuitBreakerConfig{});
  FillWindow(*cb, 1'000);
  const auto collector = std::make_shared<alertllm::CircuitBreakerCollector>(cb);
  for (auto _ : state) benchmark::DoNotOptimize(alertllm::SerializeMetrics({collector}));
}

BENCHMARK(BM_Baseline_MutexPair);
BENCHMARK(BM_Baseline_SteadyClockNow);
BENCHMARK(BM_Baseline_MutexPairContended)->Threads(2);
BENCHMARK_CAPTURE(BM_Closed_AllowRecord, bare_empty_window, &Bare, std::int64_t{0});
BENCHMARK_CAPTURE(BM_Closed_AllowRecord, bare_window_1k, &Bare, std::int64_t{1'000});
BENCHMARK_CAPTURE(BM_Closed_AllowRecord, bare_window_100k, &Bare, std::int64_t{100'000});
BENCHMARK_CAPTURE(BM_Open_Reject, bare, &Bare);
BENCHMARK_CAPTURE(BM_HalfOpen_Reject, bare, &Bare);
BENCHMARK_CAPTURE(BM_Stats, bare, &Bare);
BENCHMARK_CAPTURE(BM_State, bare, &Bare);
BENCHMARK_CAPTURE(BM_Contended_AllowRecord, bare, &Bare)->Threads(2);
BENCHMARK_CAPTURE(BM_Closed_AllowRecord, collected_empty_window, &WithCollector, std::int64_t{0});
BENCHMARK_CAPTURE(BM_Closed_AllowRecord, collected_window_100k, &WithCollector,
                  std::int64_t{100'000});
BENCHMARK_CAPTURE(BM_Open_Reject, collected, &WithCollector);
BENCHMARK_CAPTURE(BM_HalfOpen_Reject, collected, &WithCollector);
BENCHMARK_CAPTURE(BM_Stats, collected, &WithCollector);
BENCHMARK_CAPTURE(BM_Contended_AllowRecord, collected, &WithCollector)->Threads(2);
BENCHMARK(BM_Scrape);

}  // namespace

int main(int argc, char** argv) {
  // allocs_per_op is only as good as the counting operator new: check that it counts.
  const std::uint64_t before = t_allocations;
  {
    auto probe = std::make_unique<CircuitBreaker>(CircuitBreakerConfig{});
    benchmark::DoNotOptimize(probe.get());
  }
  if (t_allocations == before) {
    std::fprintf(stderr, "the counting operator new counted nothing\n");
    return 1;
  }
  const std::string mutex = "BM_Baseline_MutexPair";
  const std::string contended = "BM_Baseline_MutexPairContended/threads:2";
  const std::string empty_window = "BM_Closed_AllowRecord/bare_empty_window";
  return alertllm::bench::RunWithRatios(argc, argv,
                                        {{"BM_Closed_AllowRecord/", mutex},
                                         {"BM_Closed_AllowRecord/bare_window_1k", empty_window},
                                         {"BM_Closed_AllowRecord/bare_window_100k", empty_window},
                                         {"BM_Closed_AllowRecord/collected_empty_window",
                                          empty_window},
                                         {"BM_Closed_AllowRecord/collected_window_100k",
                                          "BM_Closed_AllowRecord/bare_window_100k"},
                                         {"BM_Open_Reject/", mutex},
                                         {"BM_HalfOpen_Reject/", mutex},
                                         {"BM_Stats/", mutex},
                                         {"BM_State/", mutex},
                                         {"BM_Contended_AllowRecord/", contended}});
}
