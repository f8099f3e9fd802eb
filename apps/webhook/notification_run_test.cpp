// SPDX-License-Identifier: Apache-2.0
// NotificationRun: one result per alert in input order, at most `window` calls at a time,
// exactly one `done`, and a stop that ends the unfinished calls and starts no more.
#include "notification_run.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace alertllm::webhook {
namespace {

Alert Named(const std::string& name) {
  Alert alert;
  alert.alert_name = name;
  alert.labels["alertname"] = name;
  return alert;
}

std::shared_ptr<const std::vector<Alert>> Alerts(std::size_t count) {
  auto alerts = std::make_shared<std::vector<Alert>>();
  for (std::size_t i = 0; i < count; ++i) alerts->push_back(Named("A" + std::to_string(i)));
  return alerts;
}

Classification Answer(const Alert& alert) {
  Classification c;
  c.summary = alert.alert_name;
  return c;
}

// Holds every call until the test ends it, as an LLM that answers later would; counts how
// many were open at once.
class HeldClient : public LlmClient {
 public:
  struct Pending {
    Alert alert;
    CallOptions options;
    std::function<void(Result<Classification>)> done;
  };

  Result<Classification> ClassifyAlert(const Alert& alert, const CallOptions&) override {
    return Answer(alert);
  }
  Result<void> Health(const CallOptions&) override { return {}; }
  void ClassifyAlertAsync(const Alert& alert, CallOptions options,
                          std::function<void(Result<Classification>)> done) override {
    pending.push_back({alert, std::move(options), std::move(done)});
    most_open = std::max(most_open, pending.size());
  }

  // Ends the oldest open call with its answer (or with `error`).
  void EndOldest(std::optional<Error> error = std::nullopt) {
    Pending call = std::move(pending.front());
    pending.erase(pending.begin());
    if (error) {
      call.done(*error);
    } else {
      call.done(Answer(call.alert));
    }
  }

  std::vector<Pending> pending;
  std::size_t most_open = 0;
};

// Answers inline, on the caller's thread: the base class's ClassifyAlertAsync.
class InlineClient : public LlmClient {
 public:
  Result<Classification> ClassifyAlert(const Alert& alert, const CallOptions&) override {
    ++calls;
    return Answer(alert);
  }
  Result<void> Health(const CallOptions&) override { return {}; }
  int calls = 0;
};

struct Outcome {
  int done_calls = 0;
  std::vector<Result<Classification>> results;
};

NotificationRun::Done Record(Outcome& outcome) {
  return [&outcome](std::vector<Result<Classification>> results) {
    ++outcome.done_calls;
    outcome.results = std::move(results);
  };
}

TEST(NotificationRunTest, ResultsComeInInputOrderWhateverOrderTheCallsEnd) {
  auto client = std::make_shared<HeldClient>();
  Outcome outcome;
  NotificationRun::Start(client, Alerts(3), 3, {}, Record(outcome));
  ASSERT_EQ(client->pending.size(), 3u);
  // The last first.
  std::swap(client->pending.front(), client->pending.back());
  client->EndOldest();
  client->EndOldest();
  EXPECT_EQ(outcome.done_calls, 0);
  client->EndOldest();
  ASSERT_EQ(outcome.done_calls, 1);
  ASSERT_EQ(outcome.results.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(outcome.results[i].has_value());
    EXPECT_EQ(outcome.results[i]->summary, "A" + std::to_string(i));
  }
}

TEST(NotificationRunTest, AtMostTheWindowIsOpenAtOnce) {
  auto client = std::make_shared<HeldClient>();
  Outcome outcome;
  NotificationRun::Start(client, Alerts(10), 4, {}, Record(outcome));
  EXPECT_EQ(client->pending.size(), 4u);
  while (!client->pending.empty()) client->EndOldest();
  EXPECT_EQ(client->most_open, 4u);
  EXPECT_EQ(outcome.done_calls, 1);
  EXPECT_EQ(outcome.results.size(), 10u);
}

TEST(NotificationRunTest, AnErrorIsThatAlertsResult) {
  auto client = std::make_shared<HeldClient>();
  Outcome outcome;
  NotificationRun::Start(client, Alerts(2), 2, {}, Record(outcome));
  client->EndOldest(Error{ErrorCode::kTimeout, "slow"});
  client->EndOldest();
  ASSERT_EQ(outcome.results.size(), 2u);
  ASSERT_FALSE(outcome.results[0].has_value());
  EXPECT_EQ(outcome.results[0].error().code, ErrorCode::kTimeout);
  EXPECT_TRUE(outcome.results[1].has_value());
}

TEST(NotificationRunTest, AClientAnsweringInlineNeitherRecursesNorLosesAnAlert) {
  auto client = std::make_shared<InlineClient>();
  Outcome outcome;
  NotificationRun::Start(client, Alerts(20000), 1, {}, Record(outcome));
  EXPECT_EQ(client->calls, 20000);
  EXPECT_EQ(outcome.done_calls, 1);
  EXPECT_EQ(outcome.results.size(), 20000u);
}

TEST(NotificationRunTest, NoAlertsIsDoneAtOnce) {
  auto client = std::make_shared<HeldClient>();
  Outcome outcome;
  NotificationRun::Start(client, Alerts(0), 4, {}, Record(outcome));
  EXPECT_EQ(outcome.done_calls, 1);
  EXPECT_TRUE(outcome.results.empty());
}

// The run lives in the client's callbacks: once every alert is started it must not hold the
// client, or the client's last owner could be its own callback, on its own thread.
TEST(NotificationRunTest, TheRunLetsTheClientGoOnceEveryAlertIsStarted) {
  auto client = std::make_shared<HeldClient>();
  Outcome outcome;
  NotificationRun::Start(client, Alerts(3), 2, {}, Record(outcome));
  EXPECT_EQ(client.use_count(), 2);  // one alert still to start
  client->EndOldest();
  EXPECT_EQ(client.use_count(), 1);
  while (!client->pending.empty()) client->EndOldest();
  EXPECT_EQ(outcome.done_calls, 1);
}

TEST(NotificationRunTest, AStopReachesTheCallsAndStartsNoMore) {
  auto client = std::make_shared<HeldClient>();
  std::stop_source stop;
  Outcome outcome;
  NotificationRun::Start(client, Alerts(5), 2, stop.get_token(), Record(outcome));
  ASSERT_EQ(client->pending.size(), 2u);
  EXPECT_TRUE(client->pending[0].options.stop_token.stop_possible());
  stop.request_stop();
  EXPECT_TRUE(client->pending[0].options.stop_token.stop_requested());
  // The client ends the open calls as cancelled; the three never started end so too.
  client->EndOldest(Error{ErrorCode::kCancelled, "call cancelled"});
  client->EndOldest(Error{ErrorCode::kCancelled, "call cancelled"});
  EXPECT_TRUE(client->pending.empty());
  ASSERT_EQ(outcome.done_calls, 1);
  ASSERT_EQ(outcome.results.size(), 5u);
  for (const auto& result : outcome.results) {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
  }
}

}  // namespace
}  // namespace alertllm::webhook
