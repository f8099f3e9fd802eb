// SPDX-License-Identifier: Apache-2.0
// alertllm::mocks::FakeTransport, the scripted Transport users test their services with.
#include "alertllm/testing/fake_transport.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stop_token>
#include <thread>
#include <vector>

#include "alertllm/client.hpp"
#include "support/fake_clock.hpp"

namespace alertllm {
namespace {

using mocks::FakeTransport;
using std::chrono::milliseconds;
using std::chrono::seconds;

HttpRequest Get(std::string url) {
  HttpRequest request;
  request.method = "GET";
  request.url = std::move(url);
  return request;
}

TEST(FakeTransportTest, AnswersInScriptOrderThenTheDefault) {
  FakeTransport transport;
  transport.Respond(503, "busy", {{"retry-after", "1"}});
  transport.Fail(Error{ErrorCode::kNetworkError, "refused"});
  HttpResponse fallback;
  fallback.status = 204;
  transport.SetDefault(FakeTransport::Step{fallback, {}, {}});

  const auto first = transport.Send(Get("http://a/1"), {});
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 503);
  EXPECT_EQ(first->body, "busy");
  ASSERT_NE(first->Header("Retry-After"), nullptr);
  EXPECT_EQ(transport.Send(Get("http://a/2"), {}).error().code, ErrorCode::kNetworkError);
  EXPECT_EQ(transport.Remaining(), 0u);
  EXPECT_EQ(transport.Send(Get("http://a/3"), {})->status, 204);
  EXPECT_EQ(transport.Send(Get("http://a/4"), {})->status, 204);
}

TEST(FakeTransportTest, WithoutAnswerLeftSendFailsAsUnknown) {
  FakeTransport transport;
  const auto result = transport.Send(Get("http://a/"), {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kUnknown);
  EXPECT_EQ(transport.Requests().size(), 1u);
}

TEST(FakeTransportTest, RecordsRequestsAndMovesTheClockByEachLatency) {
  auto clock = std::make_shared<test::FakeClock>();
  FakeTransport transport;
  test::Attach(transport, clock);
  transport.SetLatency(milliseconds(10));
  transport.Respond(200);
  transport.Respond(200, "", {}, seconds(2));
  transport.Fail(Error{ErrorCode::kTimeout, "slow"});
  const auto start = clock->SteadyNow();
  for (const char* url : {"http://a/1", "http://a/2", "http://a/3"}) {
    (void)transport.Send(Get(url), {});
  }
  const auto requests = transport.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].request.url, "http://a/1");
  EXPECT_EQ(requests[2].request.url, "http://a/3");
  EXPECT_EQ(requests[0].at, start);
  EXPECT_EQ(requests[1].at, start + milliseconds(10));
  EXPECT_EQ(requests[2].at, start + milliseconds(10) + seconds(2));
  EXPECT_EQ(clock->SteadyNow(), start + milliseconds(20) + seconds(2));
}

TEST(FakeTransportTest, DuringRunsWhileTheRequestIsInFlight) {
  FakeTransport transport;
  std::stop_source source;
  std::size_t recorded_during = 0;
  transport.Push(FakeTransport::Step{Error{ErrorCode::kCancelled, "cancelled"}, {}, [&] {
                                       recorded_during = transport.Requests().size();
                                       source.request_stop();
                                     }});
  EXPECT_EQ(transport.Send(Get("http://a/"), source.get_token()).error().code,
            ErrorCode::kCancelled);
  EXPECT_EQ(recorded_during, 1u);
  EXPECT_TRUE(source.stop_requested());
}

TEST(FakeTransportTest, ConcurrentSendsTakeEachStepExactlyOnce) {
  constexpr int kThreads = 8;
  constexpr int kSends = 100;
  FakeTransport transport;
  for (int i = 0; i < kThreads * kSends; ++i) transport.Respond(1000 + i);
  std::vector<std::vector<int>> seen(kThreads);
  std::vector<std::thread> threads;
  for (std::vector<int>& statuses : seen) {
    threads.emplace_back([&transport, &statuses] {
      for (int i = 0; i < kSends; ++i) {
        statuses.push_back(transport.Send(Get("http://a/"), {})->status);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<int> all;
  for (const auto& statuses : seen) all.insert(all.end(), statuses.begin(), statuses.end());
  std::sort(all.begin(), all.end());
  std::vector<int> expected(static_cast<std::size_t>(kThreads * kSends));
  for (int i = 0; i < kThreads * kSends; ++i) expected[static_cast<std::size_t>(i)] = 1000 + i;
  EXPECT_EQ(all, expected);
  EXPECT_EQ(transport.Requests().size(), static_cast<std::size_t>(kThreads * kSends));
}

// What a user's service test looks like: the client retries the 503 and takes the answer.
TEST(FakeTransportTest, DrivesAnHttpLlmClient) {
  auto transport = std::make_shared<FakeTransport>();
  auto clock = std::make_shared<test::FakeClock>();
  test::Attach(*transport, clock);
  transport->Respond(503);
  transport->Respond(200,
                     R"({"classification":{"severity":4,"category":"availability",)"
                     R"("summary":"down","confidence":0.8,"reasoning":"r","suggestions":[]}})");
  Config config;
  config.base_url = "http://llm.test";
  ClientDependencies deps;
  deps.transport = transport;
  deps.clock = clock;
  HttpLlmClient client(config, std::move(deps));
  Alert alert;
  alert.labels = {{"alertname", "Down"}};
  const auto result = client.ClassifyAlert(alert);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->severity, Severity::kCritical);
  EXPECT_EQ(result->attempts, 2);
  ASSERT_EQ(transport->Requests().size(), 2u);
  EXPECT_EQ(transport->Requests()[1].request.url, "http://llm.test/classify");
  EXPECT_EQ(clock->Sleeps().size(), 1u);
}

}  // namespace
}  // namespace alertllm
