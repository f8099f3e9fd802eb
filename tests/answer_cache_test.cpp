// SPDX-License-Identifier: Apache-2.0
#include "cache/answer_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "alertllm/alert.hpp"

namespace alertllm::internal {
namespace {

using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

constexpr seconds kTtl{60};
// An arbitrary origin: the cache never reads a clock, so any time point will do.
const TimePoint kT0 = TimePoint{} + std::chrono::hours(1);

Classification Answer(std::string summary) {
  Classification c;
  c.summary = std::move(summary);
  return c;
}

std::optional<std::string> SummaryOf(AnswerCache& cache, std::string_view key, TimePoint now) {
  auto got = cache.Get(key, now);
  if (!got) return std::nullopt;
  return got->summary;
}

TEST(AnswerCacheTest, HitWithinTtl) {
  AnswerCache cache(4, kTtl);
  cache.Put("k", Answer("a"), kT0);
  EXPECT_EQ(SummaryOf(cache, "k", kT0), "a");
  EXPECT_EQ(SummaryOf(cache, "k", kT0 + kTtl - std::chrono::nanoseconds(1)), "a");
}

TEST(AnswerCacheTest, MissForUnknownKey) {
  AnswerCache cache(4, kTtl);
  cache.Put("k", Answer("a"), kT0);
  EXPECT_EQ(cache.Get("other", kT0), std::nullopt);
}

TEST(AnswerCacheTest, MissAtExactlyTtl) {
  AnswerCache cache(4, kTtl);
  cache.Put("k", Answer("a"), kT0);
  EXPECT_EQ(cache.Get("k", kT0 + kTtl), std::nullopt);
}

TEST(AnswerCacheTest, ExpiryErasesTheEntry) {
  AnswerCache cache(4, kTtl);
  cache.Put("k", Answer("a"), kT0);
  cache.Put("fresh", Answer("b"), kT0 + kTtl);
  ASSERT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Get("k", kT0 + kTtl + seconds(1)), std::nullopt);
  EXPECT_EQ(cache.size(), 1u);
  // Going back in time does not resurrect it, and expiry is not an eviction.
  EXPECT_EQ(cache.Get("k", kT0), std::nullopt);
  EXPECT_EQ(cache.evictions(), 0u);
  EXPECT_EQ(SummaryOf(cache, "fresh", kT0 + kTtl + seconds(1)), "b");
}

TEST(AnswerCacheTest, PutReplacesAndRefreshesStoredTime) {
  AnswerCache cache(4, kTtl);
  cache.Put("k", Answer("old"), kT0);
  cache.Put("k", Answer("new"), kT0 + seconds(30));
  EXPECT_EQ(cache.size(), 1u);
  // Past the first Put's ttl, within the second's.
  EXPECT_EQ(SummaryOf(cache, "k", kT0 + kTtl + seconds(10)), "new");
  EXPECT_EQ(cache.Get("k", kT0 + seconds(30) + kTtl), std::nullopt);
}

TEST(AnswerCacheTest, PutRefreshesRecency) {
  AnswerCache cache(2, kTtl);
  cache.Put("a", Answer("a1"), kT0);
  cache.Put("b", Answer("b"), kT0);
  cache.Put("a", Answer("a2"), kT0);  // "b" is now the least recently used.
  cache.Put("c", Answer("c"), kT0);
  EXPECT_EQ(cache.Get("b", kT0), std::nullopt);
  EXPECT_EQ(SummaryOf(cache, "a", kT0), "a2");
  EXPECT_EQ(SummaryOf(cache, "c", kT0), "c");
}

TEST(AnswerCacheTest, EvictsLeastRecentlyUsed) {
  AnswerCache cache(2, kTtl);
  cache.Put("a", Answer("a"), kT0);
  cache.Put("b", Answer("b"), kT0);
  cache.Put("c", Answer("c"), kT0);
  EXPECT_EQ(cache.Get("a", kT0), std::nullopt);
  EXPECT_EQ(SummaryOf(cache, "b", kT0), "b");
  EXPECT_EQ(SummaryOf(cache, "c", kT0), "c");
  EXPECT_EQ(cache.evictions(), 1u);
}

TEST(AnswerCacheTest, GetMakesAnEntryMostRecentlyUsed) {
  AnswerCache cache(2, kTtl);
  cache.Put("a", Answer("a"), kT0);
  cache.Put("b", Answer("b"), kT0);
  ASSERT_EQ(SummaryOf(cache, "a", kT0), "a");  // "b" is now the least recently used.
  cache.Put("c", Answer("c"), kT0);
  EXPECT_EQ(cache.Get("b", kT0), std::nullopt);
  EXPECT_EQ(SummaryOf(cache, "a", kT0), "a");
  EXPECT_EQ(SummaryOf(cache, "c", kT0), "c");
}

TEST(AnswerCacheTest, SizeNeverExceedsMaxEntries) {
  constexpr std::size_t kMax = 8;
  AnswerCache cache(kMax, kTtl);
  for (std::size_t i = 0; i < 10 * kMax; ++i) {
    cache.Put("key-" + std::to_string(i), Answer(std::to_string(i)), kT0);
    ASSERT_LE(cache.size(), kMax) << "after put " << i;
  }
  EXPECT_EQ(cache.size(), kMax);
  EXPECT_EQ(cache.evictions(), 9 * kMax);
  // The last kMax keys survive; the first were evicted.
  EXPECT_EQ(SummaryOf(cache, "key-" + std::to_string(10 * kMax - 1), kT0),
            std::to_string(10 * kMax - 1));
  EXPECT_EQ(cache.Get("key-0", kT0), std::nullopt);
}

TEST(AnswerCacheTest, ReplacingIsNotAnEviction) {
  AnswerCache cache(2, kTtl);
  for (int i = 0; i < 10; ++i) cache.Put("k", Answer(std::to_string(i)), kT0);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.evictions(), 0u);
}

TEST(AnswerCacheTest, MaxEntriesOne) {
  AnswerCache cache(1, kTtl);
  cache.Put("a", Answer("a"), kT0);
  EXPECT_EQ(SummaryOf(cache, "a", kT0), "a");
  cache.Put("b", Answer("b"), kT0);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_EQ(cache.Get("a", kT0), std::nullopt);
  EXPECT_EQ(SummaryOf(cache, "b", kT0), "b");
  cache.Put("b", Answer("b2"), kT0);
  EXPECT_EQ(SummaryOf(cache, "b", kT0), "b2");
  EXPECT_EQ(cache.evictions(), 1u);
}

TEST(AnswerCacheTest, ClassificationSurvivesRoundTrip) {
  Classification in;
  in.severity = Severity::kCritical;
  in.category = "database";
  in.summary = "primary is down";
  in.confidence = 0.87;
  in.reasoning = "replication lag and connection errors";
  in.suggestions = {"fail over", "page the DBA"};
  in.processing_time = std::chrono::microseconds(1234);
  in.request_id = "req-42";
  in.source = "llm";
  in.attempts = 2;
  in.fallback_reason = "";
  AnswerCache cache(4, kTtl);
  cache.Put("k", in, kT0);
  auto out = cache.Get("k", kT0);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->severity, in.severity);
  EXPECT_EQ(out->category, in.category);
  EXPECT_EQ(out->summary, in.summary);
  EXPECT_DOUBLE_EQ(out->confidence, in.confidence);
  EXPECT_EQ(out->reasoning, in.reasoning);
  EXPECT_EQ(out->suggestions, in.suggestions);
  EXPECT_EQ(out->processing_time, in.processing_time);
  EXPECT_EQ(out->request_id, in.request_id);
  EXPECT_EQ(out->source, in.source);
  EXPECT_EQ(out->attempts, in.attempts);
  EXPECT_EQ(out->fallback_reason, in.fallback_reason);
}

// Run under ThreadSanitizer by scripts/test.sh; here it checks the invariants hold.
TEST(AnswerCacheTest, ConcurrentGetAndPutOnOverlappingKeys) {
  constexpr std::size_t kMax = 16;
  constexpr int kThreads = 4;
  constexpr int kOps = 5000;
  constexpr int kKeys = 40;  // More keys than slots, shared by all threads: forces evictions.
  AnswerCache cache(kMax, kTtl);
  std::vector<std::thread> threads;
  std::vector<int> bad(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&cache, &bad, t] {
      for (int i = 0; i < kOps; ++i) {
        std::string key = "key-" + std::to_string((i * 7 + t) % kKeys);
        // Time moves forward and some entries expire mid-run.
        TimePoint now = kT0 + std::chrono::milliseconds(i * 20);
        if (i % 3 == 0) {
          cache.Put(key, Answer(key), now);
        } else if (auto got = cache.Get(key, now); got && got->summary != key) {
          ++bad[static_cast<std::size_t>(t)];
        }
        if (cache.size() > kMax) ++bad[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(bad[static_cast<std::size_t>(t)], 0) << t;
  EXPECT_LE(cache.size(), kMax);
  EXPECT_GT(cache.evictions(), 0u);
}

}  // namespace
}  // namespace alertllm::internal
