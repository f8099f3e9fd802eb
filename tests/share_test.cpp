// SPDX-License-Identifier: Apache-2.0
// The share stage (src/engine/share.cpp) and the single flight under it: one request per key
// however many callers ask at once, answers kept by (fingerprint, status), errors never kept.
// Both run on the client's loop thread; here the test is that thread.
#include "engine/share.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cache/single_flight.hpp"
#include "support/fake_clock.hpp"

namespace alertllm::internal {
namespace {

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

class ShareTest : public ::testing::Test {
 protected:
  // Joins as a caller that must lead, or fails the test.
  std::string Lead(Share& share, const Alert& alert) {
    const std::string key = share.KeyOf(alert);
    const Share::Joined joined = share.Join(key, clock_.SteadyNow(), &metrics_, Unexpected());
    EXPECT_EQ(joined.role, Share::Joined::Role::kLead);
    return key;
  }
  // One whole ask: the answer the call gets, leading with `answer` if nothing is kept.
  Result<Classification> Ask(Share& share, const Alert& alert, Result<Classification> answer) {
    const std::string key = share.KeyOf(alert);
    Share::Joined joined = share.Join(key, clock_.SteadyNow(), &metrics_, Unexpected());
    if (joined.role == Share::Joined::Role::kHit) return *std::move(joined.answer);
    EXPECT_EQ(joined.role, Share::Joined::Role::kLead);
    ++asks_;
    if (answer) answer->source = "llm";
    share.Finish(key, answer, clock_.SteadyNow(), &metrics_);
    return answer;
  }
  static SingleFlight::Follower Unexpected() {
    return [](const Result<Classification>&) { ADD_FAILURE() << "a follower was answered"; };
  }
  std::uint64_t Lookups(CacheLookup lookup) const {
    return metrics_.cache_lookups[static_cast<std::size_t>(lookup)].load();
  }

  Config config_;
  test::FakeClock clock_;
  ClientMetrics metrics_;
  int asks_ = 0;
};

TEST_F(ShareTest, AKeptAnswerIsReturnedAsCacheWithoutAsking) {
  Share share(config_);
  const Alert alert = MakeAlert("node-1");
  auto first = Ask(share, alert, Answer("hot"));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->source, "llm");
  EXPECT_EQ(first->attempts, 1);
  auto second = Ask(share, alert, Answer("other"));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->source, "cache");
  EXPECT_EQ(second->attempts, 0);
  EXPECT_EQ(second->summary, "hot");
  EXPECT_EQ(asks_, 1);
  EXPECT_EQ(Lookups(CacheLookup::kMiss), 1u);
  EXPECT_EQ(Lookups(CacheLookup::kHit), 1u);
  EXPECT_EQ(metrics_.cache_entries.load(), 1u);
}

TEST_F(ShareTest, TheKeyIsFingerprintAndStatus) {
  Share share(config_);
  ASSERT_TRUE(Ask(share, MakeAlert("node-1"), Answer("a")).has_value());
  ASSERT_TRUE(Ask(share, MakeAlert("node-2"), Answer("b")).has_value());
  ASSERT_TRUE(Ask(share, MakeAlert("node-1", AlertStatus::kResolved), Answer("c")).has_value());
  EXPECT_EQ(asks_, 3);
  // A given fingerprint wins over the labels' own.
  Alert named = MakeAlert("node-3");
  named.fingerprint = Fingerprint(MakeAlert("node-1").labels);
  auto kept = Ask(share, named, Answer("d"));
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->summary, "a");
  EXPECT_EQ(asks_, 3);
}

TEST_F(ShareTest, ErrorsAreNeverKept) {
  Share share(config_);
  const Alert alert = MakeAlert("node-1");
  auto failed = Ask(share, alert, Error{ErrorCode::kServerError, "HTTP 503"});
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kServerError);
  ASSERT_TRUE(Ask(share, alert, Answer("hot")).has_value());
  EXPECT_EQ(asks_, 2);
  EXPECT_EQ(share.cached(), 1u);
}

TEST_F(ShareTest, AnAnswerExpiresAfterTheTtl) {
  config_.cache.ttl = seconds(60);
  Share share(config_);
  const Alert alert = MakeAlert("node-1");
  ASSERT_TRUE(Ask(share, alert, Answer("a")).has_value());
  clock_.Advance(seconds(59));
  EXPECT_EQ(Ask(share, alert, Answer("b"))->summary, "a");
  clock_.Advance(seconds(1));
  EXPECT_EQ(Ask(share, alert, Answer("b"))->summary, "b");
  EXPECT_EQ(asks_, 2);
}

TEST_F(ShareTest, MemoryIsBoundedByMaxEntries) {
  config_.cache.max_entries = 3;
  Share share(config_);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Ask(share, MakeAlert("node-" + std::to_string(i)), Answer("x")));
  }
  EXPECT_EQ(share.cached(), 3u);
}

TEST_F(ShareTest, DisabledLeadsEveryTimeAndKeepsNothing) {
  config_.cache.enabled = false;
  Share share(config_);
  const Alert alert = MakeAlert("node-1");
  // Even while a call of the same key is in flight: nothing is shared.
  Lead(share, alert);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Ask(share, alert, Answer("a"))->source, "llm");
  EXPECT_EQ(asks_, 3);
  EXPECT_EQ(share.cached(), 0u);
  EXPECT_EQ(share.waiting(), 0u);
  EXPECT_EQ(Lookups(CacheLookup::kMiss), 0u);
}

// 100 callers of one key at once: one leads, 99 follow and get its answer.
TEST_F(ShareTest, HundredCallersOfOneKeyMakeOneRequest) {
  Share share(config_);
  const std::string key = Lead(share, MakeAlert("node-1"));
  constexpr std::size_t kFollowers = 99;
  std::vector<std::string> answers;
  for (std::size_t i = 0; i < kFollowers; ++i) {
    const Share::Joined joined =
        share.Join(key, clock_.SteadyNow(), &metrics_, [&](const Result<Classification>& a) {
          answers.push_back(a ? a->summary : "error");
        });
    ASSERT_EQ(joined.role, Share::Joined::Role::kFollow);
  }
  EXPECT_EQ(share.waiting(), kFollowers);
  share.Finish(key, Answer("shared"), clock_.SteadyNow(), &metrics_);
  EXPECT_EQ(answers, std::vector<std::string>(kFollowers, "shared"));
  EXPECT_EQ(share.waiting(), 0u);
  EXPECT_EQ(Lookups(CacheLookup::kMiss), 1u);
  // A newcomer now finds the answer kept.
  EXPECT_EQ(Ask(share, MakeAlert("node-1"), Answer("new"))->summary, "shared");
}

TEST_F(ShareTest, AFollowerGetsTheLeadersErrorAndNothingIsKept) {
  Share share(config_);
  const std::string key = Lead(share, MakeAlert("node-1"));
  std::optional<Result<Classification>> got;
  share.Join(key, clock_.SteadyNow(), &metrics_,
             [&](const Result<Classification>& a) { got = a; });
  share.Finish(key, Error{ErrorCode::kServerError, "HTTP 503"}, clock_.SteadyNow(), &metrics_);
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->has_value());
  EXPECT_EQ(got->error().code, ErrorCode::kServerError);
  EXPECT_EQ(share.cached(), 0u);
}

TEST_F(ShareTest, AFollowerThatLeavesIsNotAnswered) {
  Share share(config_);
  const std::string key = Lead(share, MakeAlert("node-1"));
  const Share::Joined joined = share.Join(key, clock_.SteadyNow(), &metrics_, Unexpected());
  ASSERT_EQ(joined.role, Share::Joined::Role::kFollow);
  share.Leave(key, joined.ticket);
  EXPECT_EQ(share.waiting(), 0u);
  share.Finish(key, Answer("late"), clock_.SteadyNow(), &metrics_);
}

// A follower told its leader was cancelled asks again: the key is free by then, so it leads.
TEST(SingleFlightTest, TheKeyIsFreeAgainWhenTheFollowersAreAnswered) {
  SingleFlight flights;
  EXPECT_EQ(flights.Join("k", nullptr), 0u);
  SingleFlight::Ticket again = 1;
  const SingleFlight::Ticket follower =
      flights.Join("k", [&](const Result<Classification>&) { again = flights.Join("k", nullptr); });
  EXPECT_NE(follower, 0u);
  EXPECT_EQ(flights.size(), 1u);
  flights.Finish("k", Error{ErrorCode::kCancelled, "call cancelled"});
  EXPECT_EQ(again, 0u);  // led
  EXPECT_EQ(flights.size(), 1u);
  flights.Finish("k", Classification{});
  EXPECT_EQ(flights.size(), 0u);
}

}  // namespace
}  // namespace alertllm::internal
