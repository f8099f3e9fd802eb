// SPDX-License-Identifier: Apache-2.0
// The share stage (src/engine/share.cpp) and the single flight under it: one request per key
// however many callers ask at once, answers kept by (fingerprint, status), errors never kept.
#include "engine/share.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cache/single_flight.hpp"
#include "support/fake_clock.hpp"
#include "support/wait_until.hpp"

namespace alertllm::internal {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

Alert MakeAlert(std::string instance, AlertStatus status = AlertStatus::kFiring) {
  Alert alert;
  alert.alert_name = "HighCPUUsage";
  alert.status = status;
  alert.labels = {{"alertname", "HighCPUUsage"}, {"instance", std::move(instance)}};
  return alert;
}

Classification Answer(std::string summary) {
  Classification answer;
  answer.severity = Severity::kWarning;
  answer.summary = std::move(summary);
  answer.attempts = 1;
  return answer;
}

using test::WaitUntil;

class ShareTest : public ::testing::Test {
 protected:
  Result<Classification> Ask(Share& share, const Alert& alert, Share::Ask ask,
                             std::stop_token stop = {}) {
    return share.Answer(alert, clock_, clock_.SteadyNow() + minutes(1), stop, &metrics_,
                        std::move(ask));
  }
  Share::Ask Counting(Result<Classification> answer) {
    return [this, answer] {
      asks_.fetch_add(1);
      return answer;
    };
  }
  std::uint64_t Lookups(CacheLookup lookup) const {
    return metrics_.cache_lookups[static_cast<std::size_t>(lookup)].load();
  }

  Config config_;
  test::FakeClock clock_;
  ClientMetrics metrics_;
  std::atomic<int> asks_{0};
};

TEST_F(ShareTest, AKeptAnswerIsReturnedAsCacheWithoutAsking) {
  Share share(config_);
  const Alert alert = MakeAlert("node-1");
  auto first = Ask(share, alert, Counting(Answer("hot")));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->source, "llm");
  EXPECT_EQ(first->attempts, 1);
  auto second = Ask(share, alert, Counting(Answer("other")));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->source, "cache");
  EXPECT_EQ(second->attempts, 0);
  EXPECT_EQ(second->summary, "hot");
  EXPECT_EQ(asks_.load(), 1);
  EXPECT_EQ(Lookups(CacheLookup::kMiss), 1u);
  EXPECT_EQ(Lookups(CacheLookup::kHit), 1u);
  EXPECT_EQ(metrics_.cache_entries.load(), 1u);
}

TEST_F(ShareTest, TheKeyIsFingerprintAndStatus) {
  Share share(config_);
  ASSERT_TRUE(Ask(share, MakeAlert("node-1"), Counting(Answer("a"))).has_value());
  ASSERT_TRUE(Ask(share, MakeAlert("node-2"), Counting(Answer("b"))).has_value());
  ASSERT_TRUE(
      Ask(share, MakeAlert("node-1", AlertStatus::kResolved), Counting(Answer("c"))).has_value());
  EXPECT_EQ(asks_.load(), 3);
  // A given fingerprint wins over the labels' own.
  Alert named = MakeAlert("node-3");
  named.fingerprint = Fingerprint(MakeAlert("node-1").labels);
  auto kept = Ask(share, named, Counting(Answer("d")));
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->summary, "a");
  EXPECT_EQ(asks_.load(), 3);
}

TEST_F(ShareTest, ErrorsAreNeverKept) {
  Share share(config_);
  const Alert alert = MakeAlert("node-1");
  auto failed = Ask(share, alert, Counting(Error{ErrorCode::kServerError, "HTTP 503"}));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kServerError);
  ASSERT_TRUE(Ask(share, alert, Counting(Answer("hot"))).has_value());
  EXPECT_EQ(asks_.load(), 2);
  EXPECT_EQ(share.cached(), 1u);
}

TEST_F(ShareTest, AnAnswerExpiresAfterTheTtl) {
  config_.cache.ttl = seconds(60);
  Share share(config_);
  const Alert alert = MakeAlert("node-1");
  ASSERT_TRUE(Ask(share, alert, Counting(Answer("a"))).has_value());
  clock_.Advance(seconds(59));
  EXPECT_EQ(Ask(share, alert, Counting(Answer("b")))->summary, "a");
  clock_.Advance(seconds(1));
  EXPECT_EQ(Ask(share, alert, Counting(Answer("b")))->summary, "b");
  EXPECT_EQ(asks_.load(), 2);
}

TEST_F(ShareTest, MemoryIsBoundedByMaxEntries) {
  config_.cache.max_entries = 3;
  Share share(config_);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Ask(share, MakeAlert("node-" + std::to_string(i)), Counting(Answer("x"))));
  }
  EXPECT_EQ(share.cached(), 3u);
}

TEST_F(ShareTest, DisabledAsksEveryTimeAndKeepsNothing) {
  config_.cache.enabled = false;
  Share share(config_);
  const Alert alert = MakeAlert("node-1");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Ask(share, alert, Counting(Answer("a")))->source, "llm");
  EXPECT_EQ(asks_.load(), 3);
  EXPECT_EQ(share.cached(), 0u);
  EXPECT_EQ(Lookups(CacheLookup::kMiss), 0u);
}

// 100 callers of one key at once: one asks, 99 wait for it and get its answer as "cache".
TEST_F(ShareTest, HundredConcurrentCallersOfOneKeyMakeOneRequest) {
  Share share(config_);
  const Alert alert = MakeAlert("node-1");
  constexpr std::size_t kCallers = 100;
  std::vector<Result<Classification>> results(kCallers, Error{ErrorCode::kUnknown, "unset"});
  const Share::Ask ask = [&] {
    asks_.fetch_add(1);
    WaitUntil([&] { return share.waiting() == kCallers - 1; });
    return Result<Classification>(Answer("shared"));
  };
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] { results[i] = Ask(share, alert, ask); });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(asks_.load(), 1);
  int from_llm = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->summary, "shared");
    if (result->source == "llm") ++from_llm;
  }
  EXPECT_EQ(from_llm, 1);
  EXPECT_EQ(Lookups(CacheLookup::kShared), kCallers - 1);
  EXPECT_EQ(share.waiting(), 0u);
}

// Runs a leader of `alert`'s key on a thread of its own and, once its request is in flight,
// one follower asking with `follower_ask`; the leader's request answers `answer()` once
// `release` holds (by default: once the follower waits). Returns {leader's, follower's}.
std::pair<Result<Classification>, Result<Classification>> LeaderAndFollower(
    Share& share, const Alert& alert, const std::function<Result<Classification>()>& answer,
    const Share::Ask& follower_ask, const test::FakeClock& clock, std::stop_token follower_stop,
    std::function<bool()> release = nullptr) {
  if (!release) release = [&share] { return share.waiting() == 1; };
  std::atomic<bool> started{false};
  Result<Classification> leader = Error{ErrorCode::kUnknown, "unset"};
  Result<Classification> follower = Error{ErrorCode::kUnknown, "unset"};
  const auto deadline = clock.SteadyNow() + minutes(1);
  std::thread first([&] {
    leader = share.Answer(alert, clock, deadline, {}, nullptr, [&] {
      started = true;
      WaitUntil(release);
      return answer();
    });
  });
  WaitUntil([&] { return started.load(); });
  std::thread second([&] {
    follower = share.Answer(alert, clock, deadline, follower_stop, nullptr, follower_ask);
  });
  second.join();
  first.join();
  return {std::move(leader), std::move(follower)};
}

TEST_F(ShareTest, AFollowerGetsTheLeadersError) {
  Share share(config_);
  auto [leader, follower] = LeaderAndFollower(share, MakeAlert("node-1"),
                                              [] {
                                                return Error{ErrorCode::kServerError, "HTTP 503"};
                                              },
                                              Counting(Answer("own")), clock_, {});
  EXPECT_EQ(leader.error().code, ErrorCode::kServerError);
  ASSERT_FALSE(follower.has_value());
  EXPECT_EQ(follower.error().code, ErrorCode::kServerError);
  EXPECT_EQ(asks_.load(), 0);
}

// The leader's caller gave up: that says nothing about the follower, which asks for itself.
TEST_F(ShareTest, AFollowerAsksAgainWhenTheLeaderIsCancelled) {
  Share share(config_);
  auto [leader, follower] =
      LeaderAndFollower(share, MakeAlert("node-1"),
                        [] {
                          return Error{ErrorCode::kCancelled, "call cancelled"};
                        },
                        Counting(Answer("own")), clock_, {});
  EXPECT_EQ(leader.error().code, ErrorCode::kCancelled);
  ASSERT_TRUE(follower.has_value());
  EXPECT_EQ(follower->summary, "own");
  EXPECT_EQ(follower->source, "llm");
  EXPECT_EQ(asks_.load(), 1);
}

// A follower whose caller gives up ends at once, without waiting for the leader.
TEST_F(ShareTest, ACancelledFollowerEndsAtOnce) {
  Share share(config_);
  std::stop_source stop;
  std::thread canceller([&] {
    WaitUntil([&] { return share.waiting() == 1; });
    stop.request_stop();
  });
  // The leader answers only once the cancelled follower has stopped waiting.
  auto [leader, follower] = LeaderAndFollower(
      share, MakeAlert("node-1"), [] { return Result<Classification>(Answer("late")); },
      Counting(Answer("own")), clock_, stop.get_token(),
      [&] { return stop.stop_requested() && share.waiting() == 0; });
  canceller.join();
  ASSERT_FALSE(follower.has_value());
  EXPECT_EQ(follower.error().code, ErrorCode::kCancelled);
  EXPECT_TRUE(leader.has_value());
  EXPECT_EQ(asks_.load(), 0);
}

TEST(SingleFlightTest, TheKeyIsFreeAgainOnceFinished) {
  SingleFlight flights;
  const SingleFlight::Ticket first = flights.Join("k");
  EXPECT_TRUE(first.leader);
  const SingleFlight::Ticket second = flights.Join("k");
  EXPECT_FALSE(second.leader);
  EXPECT_EQ(flights.size(), 1u);
  flights.Finish("k", first, Classification{});
  EXPECT_EQ(flights.size(), 0u);
  auto answer = second.flight->Wait(seconds(1), {});
  ASSERT_TRUE(answer.has_value());
  EXPECT_TRUE(answer->has_value());
  EXPECT_TRUE(flights.Join("k").leader);
}

}  // namespace
}  // namespace alertllm::internal
