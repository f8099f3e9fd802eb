// SPDX-License-Identifier: Apache-2.0
// HttpLlmClient under the limiter (DESIGN.md §3, §4, §8): 429s go back to the queue instead of
// failing the breaker or spending retries, Retry-After pauses all sending, and the queue's
// bounds end calls as kRateLimited. A scripted transport and a fake clock whose sleeps pass at
// once; only the waits for a slot take real time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "alertllm/client.hpp"
#include "alertllm/metrics.hpp"
#include "alertllm/testing/fake_transport.hpp"
#include "support/fake_clock.hpp"
#include "support/wait_until.hpp"

namespace alertllm {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using FakeTransport = mocks::FakeTransport;
using Step = FakeTransport::Step;

constexpr const char* kValidBody =
    R"({"classification":{"severity":3,"category":"infrastructure","summary":"CPU high",)"
    R"("confidence":0.9,"reasoning":"r","suggestions":["scale"]},"processing_time":"10ms"})";

// As client_test.cpp's: no jitter, no sharing (every call makes its own request).
Config TestConfig() {
  Config config;
  config.base_url = "http://llm.test:8080";
  config.jitter = 0.0;
  config.cache.enabled = false;
  return config;
}

Alert TestAlert() {
  Alert alert;
  alert.alert_name = "HighCPUUsage";
  alert.labels = {{"alertname", "HighCPUUsage"}, {"instance", "node-1"}};
  alert.starts_at = std::chrono::sys_days(std::chrono::year(2026) / 1 / 1);
  return alert;
}

using test::WaitUntil;

class ClientRateLimitTest : public ::testing::Test {
 protected:
  ClientRateLimitTest() {
    test::Attach(*transport_, clock_);
    transport_->SetLatency(milliseconds(10));
  }

  std::unique_ptr<HttpLlmClient> MakeClient(Config config) {
    ClientDependencies deps;
    deps.transport = transport_;
    deps.clock = clock_;
    deps.random = [] { return 0.0; };
    return std::make_unique<HttpLlmClient>(std::move(config), std::move(deps));
  }

  std::string Metrics(const HttpLlmClient& client) const {
    return SerializeMetrics({client.GetCollectable()});
  }

  // A step that holds its slot until `release` is set; `entered` is set once it is in flight.
  void PushBlockingSuccess(std::shared_future<void> release, std::promise<void>& entered) {
    HttpResponse ok;
    ok.status = 200;
    ok.body = kValidBody;
    transport_->Push(Step{ok, milliseconds(10), [release, &entered] {
                            entered.set_value();
                            release.wait();
                          }});
  }

  // A call on another thread holding a slot (with max_in_flight 1, the only one) until
  // Release(), which returns its result.
  class SlotHolder {
   public:
    SlotHolder(ClientRateLimitTest& test, HttpLlmClient& client) {
      test.PushBlockingSuccess(release_.get_future().share(), entered_);
      call_ =
          std::async(std::launch::async, [&client] { return client.ClassifyAlert(TestAlert()); });
      entered_.get_future().wait();
    }
    // A test that stops early (a failed ASSERT) still lets the call end rather than hang.
    ~SlotHolder() {
      if (!released_) release_.set_value();
    }
    Result<Classification> Release() {
      released_ = true;
      release_.set_value();
      return call_.get();
    }

   private:
    bool released_ = false;
    std::promise<void> release_;
    std::promise<void> entered_;
    std::future<Result<Classification>> call_;
  };

  std::shared_ptr<test::FakeClock> clock_ = std::make_shared<test::FakeClock>();
  std::shared_ptr<FakeTransport> transport_ = std::make_shared<FakeTransport>();
};

TEST_F(ClientRateLimitTest, A429WithoutHintIsRetriedAfterBackoffAndLeavesTheBreakerAlone) {
  Config config = TestConfig();
  config.max_retries = 0;  // a 429 spends no retry
  auto client = MakeClient(config);
  transport_->Respond(429, "slow down");
  transport_->Respond(200, kValidBody);
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->attempts, 2);
  EXPECT_THAT(clock_->Sleeps(), ElementsAre(nanoseconds(seconds(1))));  // retry_delay
  const CircuitBreakerStats stats = client->GetCircuitBreakerStats();
  EXPECT_EQ(stats.failure_count, 0u);
  EXPECT_EQ(stats.consecutive_failures, 0u);
  EXPECT_EQ(stats.success_count, 1u);
}

TEST_F(ClientRateLimitTest, TenRateLimitsInARowNeitherOpenTheBreakerNorSpendTheBudget) {
  Config config = TestConfig();
  config.circuit_breaker.max_failures = 1;
  config.retry_delay = milliseconds(10);
  config.max_retry_delay = milliseconds(100);
  auto client = MakeClient(config);
  for (int i = 0; i < 10; ++i) transport_->Respond(429);
  transport_->Respond(200, kValidBody);
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->attempts, 11);
  EXPECT_EQ(client->GetCircuitBreakerState(), CircuitState::kClosed);
  EXPECT_EQ(client->GetCircuitBreakerStats().failure_count, 0u);
  // The backoff grows with the consecutive 429s, capped at max_retry_delay.
  const std::vector<nanoseconds> sleeps = clock_->Sleeps();
  ASSERT_EQ(sleeps.size(), 10u);
  EXPECT_EQ(sleeps[0], milliseconds(10));
  EXPECT_EQ(sleeps[3], milliseconds(80));
  EXPECT_EQ(sleeps[9], milliseconds(100));
  // A full budget still allows the next call all three retries (10 tokens spent would not).
  for (int i = 0; i < 4; ++i) transport_->Respond(503);
  EXPECT_EQ(client->ClassifyAlert(TestAlert()).error().attempts, 4);
}

TEST_F(ClientRateLimitTest, RateLimitsDoNotCountAgainstMaxRetries) {
  Config config = TestConfig();
  config.max_retries = 1;
  auto client = MakeClient(config);
  transport_->Respond(503);
  transport_->Respond(429);
  transport_->Respond(503);
  transport_->Respond(200, kValidBody);
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kServerError);
  EXPECT_EQ(result.error().attempts, 3);  // requests sent, the 429 included
  EXPECT_EQ(transport_->Requests().size(), 3u);
}

TEST_F(ClientRateLimitTest, RetryAfterOn429PausesSendingThenTheCallGoesOn) {
  auto client = MakeClient(TestConfig());
  transport_->Respond(429, "", {{"Retry-After", "2"}});
  transport_->Respond(200, kValidBody);
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->attempts, 2);
  const auto requests = transport_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_GE(requests[1].at - requests[0].at, seconds(2) + milliseconds(10));
  EXPECT_THAT(Metrics(*client), HasSubstr(R"(llm_client_limited_total{reason="retry_after"} 1)"));
  EXPECT_EQ(client->GetCircuitBreakerStats().failure_count, 0u);
}

// "Retry-After: 0" pauses nothing; the call backs off as without a hint rather than sending again
// at once (a server answering every request so would otherwise get them back to back).
TEST_F(ClientRateLimitTest, RetryAfterZeroOn429BacksOffAsWithoutAHint) {
  auto client = MakeClient(TestConfig());
  transport_->Respond(429, "", {{"Retry-After", "0"}});
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  EXPECT_THAT(clock_->Sleeps(), ElementsAre(nanoseconds(seconds(1))));
  EXPECT_THAT(Metrics(*client), HasSubstr(R"(llm_client_limited_total{reason="retry_after"} 0)"));
}

// The pause holds every call, not only the one that met the 429: this one could not wait that
// long and ends, and the next call's request still goes out after the pause.
TEST_F(ClientRateLimitTest, RetryAfterOn429PausesTheNextCallToo) {
  auto client = MakeClient(TestConfig());
  transport_->Respond(429, "", {{"Retry-After", "2"}});
  CallOptions short_deadline;
  short_deadline.deadline = clock_->SteadyNow() + seconds(1);
  const auto first = client->ClassifyAlert(TestAlert(), short_deadline);
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(first.error().retry_after, std::optional<milliseconds>(seconds(2)));
  EXPECT_THAT(first.error().message, HasSubstr("past the call deadline"));

  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  const auto requests = transport_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_GE(requests[1].at - requests[0].at, seconds(2) + milliseconds(10));
}

TEST_F(ClientRateLimitTest, HintAboveMaxRetryAfterEndsRateLimitedWithoutPausing) {
  Config config = TestConfig();
  config.max_retry_after = seconds(60);
  auto client = MakeClient(config);
  transport_->Respond(429, "", {{"Retry-After", "120"}});
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(result.error().attempts, 1);
  EXPECT_EQ(result.error().retry_after, std::optional<milliseconds>(seconds(120)));
  EXPECT_THAT(result.error().message, HasSubstr("above max_retry_after"));
  EXPECT_THAT(Metrics(*client), HasSubstr(R"(llm_client_limited_total{reason="retry_after"} 0)"));
  EXPECT_EQ(client->GetCircuitBreakerStats().failure_count, 0u);
}

TEST_F(ClientRateLimitTest, InsufficientQuotaIsABreakerFailureAndNotRetried) {
  Config config = TestConfig();
  config.circuit_breaker.max_failures = 1;
  auto client = MakeClient(config);
  transport_->Respond(429, R"({"error":{"type":"insufficient_quota","message":"no credit"}})",
                      {{"Retry-After", "1"}});
  transport_->Respond(200, kValidBody);
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(result.error().attempts, 1);
  EXPECT_THAT(result.error().message, HasSubstr("insufficient_quota"));
  EXPECT_EQ(transport_->Requests().size(), 1u);
  EXPECT_EQ(client->GetCircuitBreakerStats().failure_count, 1u);
  EXPECT_EQ(client->GetCircuitBreakerState(), CircuitState::kOpen);
  EXPECT_TRUE(clock_->Sleeps().empty());
}

TEST_F(ClientRateLimitTest, FullQueueEndsTheCallRateLimitedWithoutARequest) {
  Config config = TestConfig();
  config.concurrency.max_in_flight = 1;
  config.concurrency.max_queued = 0;
  auto client = MakeClient(config);
  SlotHolder holder(*this, *client);
  const std::string during = Metrics(*client);
  EXPECT_THAT(during, HasSubstr("llm_client_in_flight 1\n"));
  EXPECT_THAT(during, HasSubstr("llm_client_concurrency_limit 1\n"));

  const auto refused = client->ClassifyAlert(TestAlert());
  ASSERT_TRUE(holder.Release().has_value());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(refused.error().attempts, 0);
  EXPECT_THAT(refused.error().message, HasSubstr("queue full"));
  EXPECT_EQ(transport_->Requests().size(), 1u);
  const CircuitBreakerStats stats = client->GetCircuitBreakerStats();
  EXPECT_EQ(stats.failure_count, 0u);
  EXPECT_EQ(stats.success_count, 1u);
  const std::string after = Metrics(*client);
  EXPECT_THAT(after, HasSubstr(R"(llm_client_limited_total{reason="queue_full"} 1)"));
  EXPECT_THAT(after, HasSubstr(R"(llm_client_requests_total{category="rate_limit"} 1)"));
  EXPECT_THAT(after, HasSubstr("llm_client_in_flight 0\n"));
}

TEST_F(ClientRateLimitTest, DeadlinePassingInTheQueueEndsRateLimited) {
  Config config = TestConfig();
  config.concurrency.max_in_flight = 1;
  auto client = MakeClient(config);
  SlotHolder holder(*this, *client);

  CallOptions options;
  options.deadline = clock_->SteadyNow() + milliseconds(30);  // waited in real time
  const auto refused = client->ClassifyAlert(TestAlert(), options);
  ASSERT_TRUE(holder.Release().has_value());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_THAT(refused.error().message, HasSubstr("deadline passed while waiting for a slot"));
  EXPECT_EQ(transport_->Requests().size(), 1u);
  const std::string after = Metrics(*client);
  EXPECT_THAT(after, HasSubstr(R"(llm_client_limited_total{reason="deadline"} 1)"));
  EXPECT_THAT(after, HasSubstr("llm_client_queued 0\n"));
}

TEST_F(ClientRateLimitTest, CancelWhileQueuedEndsCancelledAndTheQueueEmpties) {
  Config config = TestConfig();
  config.concurrency.max_in_flight = 1;
  auto client = MakeClient(config);
  SlotHolder holder(*this, *client);

  std::stop_source stop;
  CallOptions options;
  options.stop_token = stop.get_token();
  std::future<Result<Classification>> queued =
      std::async(std::launch::async, [&] { return client->ClassifyAlert(TestAlert(), options); });
  WaitUntil([&] { return Metrics(*client).find("llm_client_queued 1\n") != std::string::npos; });
  stop.request_stop();
  const auto cancelled = queued.get();
  ASSERT_TRUE(holder.Release().has_value());
  ASSERT_FALSE(cancelled.has_value());
  EXPECT_EQ(cancelled.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(transport_->Requests().size(), 1u);
  EXPECT_THAT(Metrics(*client), HasSubstr("llm_client_queued 0\n"));
}

TEST_F(ClientRateLimitTest, A429HalvesTheAdaptiveLimit) {
  auto client = MakeClient(TestConfig());  // max_in_flight 16, adaptive
  EXPECT_THAT(Metrics(*client), HasSubstr("llm_client_concurrency_limit 16\n"));
  transport_->Respond(429);
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  EXPECT_THAT(Metrics(*client), HasSubstr("llm_client_concurrency_limit 8\n"));
}

TEST_F(ClientRateLimitTest, PerAttemptModeRecordsA429AsIgnored) {
  Config config = TestConfig();
  config.circuit_breaker.record = RecordMode::kPerAttempt;
  config.circuit_breaker.max_failures = 1;
  auto client = MakeClient(config);
  transport_->Respond(429);
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  const CircuitBreakerStats stats = client->GetCircuitBreakerStats();
  EXPECT_EQ(stats.failure_count, 0u);
  EXPECT_EQ(stats.ignored_count, 1u);
  EXPECT_EQ(stats.success_count, 1u);
}

}  // namespace
}  // namespace alertllm
