// SPDX-License-Identifier: Apache-2.0
// ClassifyInOrder (classify_run.cpp): chunks, order, streaming and progress.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "classify_cli.hpp"

namespace alertllm::cli {
namespace {

using namespace std::chrono_literals;

// Answers every alert with its fingerprint as the summary and records the size of each
// ClassifyAlerts() call. When `hold_later_chunks`, every call after the first waits (at most
// 10s) until the test has seen the first result, and records whether it did.
class ChunkClient final : public LlmClient {
 public:
  explicit ChunkClient(bool hold_later_chunks = false) : hold_(hold_later_chunks) {}

  Result<Classification> ClassifyAlert(const Alert& alert, const CallOptions&) override {
    Classification c;
    c.summary = alert.fingerprint;
    return c;
  }
  std::vector<Result<Classification>> ClassifyAlerts(std::span<const Alert> alerts,
                                                     const CallOptions& options) override {
    {
      std::unique_lock lock(mutex_);
      if (hold_ && !chunks_.empty()) {
        // Bounded, so a loop that waits for every chunk fails the test instead of hanging it.
        first_seen_before_later_ = cv_.wait_for(lock, 10s, [this] { return first_seen_; });
      }
      chunks_.push_back(alerts.size());
    }
    return LlmClient::ClassifyAlerts(alerts, options);
  }
  Result<void> Health(const CallOptions&) override { return {}; }

  void SawFirstResult() {
    const std::lock_guard lock(mutex_);
    first_seen_ = true;
    cv_.notify_all();
  }
  std::vector<std::size_t> chunks() {
    const std::lock_guard lock(mutex_);
    return chunks_;
  }
  bool first_seen_before_later() {
    const std::lock_guard lock(mutex_);
    return first_seen_before_later_;
  }

 private:
  bool hold_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::size_t> chunks_;
  bool first_seen_ = false;
  bool first_seen_before_later_ = false;
};

// Throws from ClassifyAlerts.
class ThrowingClient final : public LlmClient {
 public:
  Result<Classification> ClassifyAlert(const Alert&, const CallOptions&) override {
    throw std::runtime_error("boom");
  }
  Result<void> Health(const CallOptions&) override { return {}; }
};

// Answers the first ClassifyAlerts() call; every later one waits (at most 10s) for its stop
// token and records whether stop was requested.
class StopWatchingClient final : public LlmClient {
 public:
  Result<Classification> ClassifyAlert(const Alert&, const CallOptions&) override {
    return Classification{};
  }
  std::vector<Result<Classification>> ClassifyAlerts(std::span<const Alert> alerts,
                                                     const CallOptions& options) override {
    std::unique_lock lock(mutex_);
    if (calls_++ > 0) {
      cv_.notify_all();
      cv_.wait_for(lock, options.stop_token, 10s, [] { return false; });
      saw_stop_ = options.stop_token.stop_requested();
      return std::vector<Result<Classification>>(alerts.size(),
                                                 Error{ErrorCode::kCancelled, "cancelled"});
    }
    return std::vector<Result<Classification>>(alerts.size(), Classification{});
  }
  Result<void> Health(const CallOptions&) override { return {}; }

  // Waits (at most 10s) until a second call has begun.
  void WaitForSecondCall() {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, 10s, [this] { return calls_ > 1; });
  }
  bool saw_stop() {
    const std::lock_guard lock(mutex_);
    return saw_stop_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any cv_;
  int calls_ = 0;
  bool saw_stop_ = false;
};

std::vector<Alert> NumberedAlerts(std::size_t n) {
  std::vector<Alert> alerts(n);
  for (std::size_t i = 0; i < n; ++i) alerts[i].fingerprint = std::to_string(i);
  return alerts;
}

TEST(ClassifyInOrderTest, ResultsComeInInputOrderOneCallPerChunk) {
  const std::vector<Alert> alerts = NumberedAlerts(10);
  ChunkClient client;
  std::vector<std::string> seen;
  ClassifyInOrder(client, alerts, 4, [&](std::size_t index, const Result<Classification>& r) {
    EXPECT_TRUE(r.has_value());
    if (r) {
      EXPECT_EQ(r->summary, alerts[index].fingerprint);
    }
    seen.push_back(r ? r->summary : "");
    return true;
  });
  std::vector<std::string> want;
  for (const Alert& a : alerts) want.push_back(a.fingerprint);
  EXPECT_EQ(seen, want);
  EXPECT_EQ(client.chunks(), (std::vector<std::size_t>{4, 4, 2}));
}

TEST(ClassifyInOrderTest, FirstChunkIsWrittenBeforeTheNextIsClassified) {
  const std::vector<Alert> alerts = NumberedAlerts(6);
  ChunkClient client(/*hold_later_chunks=*/true);
  std::size_t results = 0;
  ClassifyInOrder(client, alerts, 2, [&](std::size_t index, const Result<Classification>&) {
    if (index == 0) client.SawFirstResult();
    ++results;
    return true;
  });
  EXPECT_EQ(results, 6u);
  EXPECT_TRUE(client.first_seen_before_later());
  EXPECT_EQ(client.chunks(), (std::vector<std::size_t>{2, 2, 2}));
}

TEST(ClassifyInOrderTest, ZeroChunkSizeCountsAsOne) {
  const std::vector<Alert> alerts = NumberedAlerts(3);
  ChunkClient client;
  ClassifyInOrder(client, alerts, 0,
                  [](std::size_t, const Result<Classification>&) { return true; });
  EXPECT_EQ(client.chunks(), (std::vector<std::size_t>{1, 1, 1}));
}

TEST(ClassifyInOrderTest, ThrowingClientFailsItsAlerts) {
  const std::vector<Alert> alerts = NumberedAlerts(3);
  ThrowingClient client;
  std::vector<std::string> errors;
  ClassifyInOrder(client, alerts, 2, [&](std::size_t, const Result<Classification>& r) {
    EXPECT_FALSE(r.has_value());
    errors.push_back(r ? "" : r.error().message);
    return true;
  });
  EXPECT_EQ(errors, (std::vector<std::string>{"boom", "boom", "boom"}));
}

TEST(ClassifyInOrderTest, ProgressEndsWithEverythingDone) {
  const std::vector<Alert> alerts = NumberedAlerts(3);
  ChunkClient client;
  std::vector<std::pair<std::size_t, std::size_t>> progress;
  ClassifyInOrder(
      client, alerts, 2, [](std::size_t, const Result<Classification>&) { return true; },
      [&](std::size_t done, std::size_t total) { progress.emplace_back(done, total); });
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), (std::pair<std::size_t, std::size_t>{3, 3}));
}

TEST(ClassifyInOrderTest, NoAlertsCallsNothingButTheFinalProgress) {
  ChunkClient client;
  int results = 0;
  int progress = 0;
  ClassifyInOrder(
      client, {}, 4,
      [&](std::size_t, const Result<Classification>&) {
        ++results;
        return true;
      },
      [&](std::size_t, std::size_t) { ++progress; });
  EXPECT_EQ(results, 0);
  EXPECT_EQ(progress, 1);
  EXPECT_TRUE(client.chunks().empty());
}

TEST(ClassifyInOrderTest, EveryResultDeliveredReturnsTrue) {
  const std::vector<Alert> alerts = NumberedAlerts(5);
  ChunkClient client;
  EXPECT_TRUE(ClassifyInOrder(client, alerts, 2,
                              [](std::size_t, const Result<Classification>&) { return true; }));
}

TEST(ClassifyInOrderTest, FalseFromOnResultSendsNoChunkBeyondTheOneInFlight) {
  const std::vector<Alert> alerts = NumberedAlerts(20);
  ChunkClient client;
  std::size_t results = 0;
  int progress_after_stop = 0;
  const bool finished = ClassifyInOrder(
      client, alerts, 2,
      [&](std::size_t, const Result<Classification>&) {
        ++results;
        return false;
      },
      [&](std::size_t, std::size_t) { progress_after_stop += results > 0 ? 1 : 0; }, 0ms);
  EXPECT_FALSE(finished);
  EXPECT_EQ(results, 1u);
  // Chunk 0 gave the result that failed; chunk 1 may have been under way beside it.
  EXPECT_LE(client.chunks().size(), 2u);
  EXPECT_EQ(progress_after_stop, 0);
}

TEST(ClassifyInOrderTest, FalseFromOnResultCancelsTheChunkInFlight) {
  const std::vector<Alert> alerts = NumberedAlerts(4);
  StopWatchingClient client;
  const bool finished =
      ClassifyInOrder(client, alerts, 2, [&](std::size_t, const Result<Classification>&) {
        client.WaitForSecondCall();
        return false;
      });
  EXPECT_FALSE(finished);
  EXPECT_TRUE(client.saw_stop());
}

}  // namespace
}  // namespace alertllm::cli
