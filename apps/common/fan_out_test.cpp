// SPDX-License-Identifier: Apache-2.0
#include "fan_out.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace alertllm::apps {
namespace {

TEST(ForEachIndexTest, CallsEveryIndexExactlyOnce) {
  std::vector<std::atomic<int>> calls(100);
  ForEachIndex(calls.size(), 7, [&](std::size_t i) { calls[i].fetch_add(1); });
  for (const auto& count : calls) EXPECT_EQ(count.load(), 1);
}

TEST(ForEachIndexTest, ConcurrencyOneRunsInOrderOnTheCallingThread) {
  std::vector<std::size_t> order;
  const auto caller = std::this_thread::get_id();
  bool elsewhere = false;
  ForEachIndex(5, 1, [&](std::size_t i) {
    order.push_back(i);
    elsewhere = elsewhere || std::this_thread::get_id() != caller;
  });
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  EXPECT_FALSE(elsewhere);
}

TEST(ForEachIndexTest, UsesAtMostConcurrencyThreads) {
  std::mutex mutex;
  std::set<std::thread::id> threads;
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  ForEachIndex(64, 3, [&](std::size_t) {
    const int now = running.fetch_add(1) + 1;
    for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    {
      const std::lock_guard lock(mutex);
      threads.insert(std::this_thread::get_id());
    }
    std::this_thread::yield();
    running.fetch_sub(1);
  });
  EXPECT_LE(threads.size(), 3u);
  EXPECT_LE(most.load(), 3);
}

TEST(ForEachIndexTest, RunsInParallelWhenAllowed) {
  // Two calls that each wait for the other can only finish if they run at the same time.
  std::atomic<int> arrived{0};
  ForEachIndex(2, 2, [&](std::size_t) {
    arrived.fetch_add(1);
    while (arrived.load() < 2) std::this_thread::yield();
  });
  EXPECT_EQ(arrived.load(), 2);
}

TEST(ForEachIndexTest, NothingToDoCallsNothing) {
  int calls = 0;
  ForEachIndex(0, 4, [&](std::size_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace alertllm::apps
