// SPDX-License-Identifier: Apache-2.0
// HttpLlmClient with sharing on (the default): a repeated alert costs no request, a resolved one
// is classified afresh, and only the LLM's own answers are kept — never an error or a fallback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "alertllm/client.hpp"
#include "alertllm/metrics.hpp"
#include "alertllm/testing/fake_transport.hpp"
#include "support/fake_clock.hpp"

namespace alertllm {
namespace {

using ::testing::HasSubstr;

constexpr const char* kAnswer =
    R"({"classification":{"severity":3,"category":"infrastructure","summary":"CPU high",)"
    R"("confidence":0.9,"reasoning":"r","suggestions":["scale"]}})";

Alert MakeAlert(AlertStatus status = AlertStatus::kFiring, std::string instance = "node-1") {
  Alert alert;
  alert.alert_name = "HighCPUUsage";
  alert.status = status;
  alert.labels = {{"alertname", "HighCPUUsage"}, {"instance", std::move(instance)}};
  return alert;
}

Alert OnNode(std::string instance) { return MakeAlert(AlertStatus::kFiring, std::move(instance)); }

class ClientShareTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpLlmClient> MakeClient(Config config = {}) {
    config.base_url = "http://llm.test:8080";
    ClientDependencies deps;
    deps.transport = transport_;
    deps.clock = clock_;
    deps.random = [] { return 0.0; };
    return std::make_unique<HttpLlmClient>(std::move(config), std::move(deps));
  }
  // Every request, however many, gets the one answer; `during` runs while each is in flight.
  void AnswerEveryRequest(std::function<void()> during = {}) {
    HttpResponse ok;
    ok.status = 200;
    ok.body = kAnswer;
    transport_->SetDefault({ok, {}, std::move(during)});
  }
  std::string Metrics(const HttpLlmClient& client) {
    return SerializeMetrics({client.GetCollectable()});
  }

  std::shared_ptr<mocks::FakeTransport> transport_ = std::make_shared<mocks::FakeTransport>();
  std::shared_ptr<test::FakeClock> clock_ = std::make_shared<test::FakeClock>();
};

TEST_F(ClientShareTest, MetricsStartAtZero) {
  auto client = MakeClient();
  const std::string text = Metrics(*client);
  for (const char* result : {"hit", "miss", "shared"}) {
    EXPECT_THAT(text, HasSubstr("llm_client_cache_lookups_total{result=\"" + std::string(result) +
                                "\"} 0\n"));
  }
  EXPECT_THAT(text, HasSubstr("llm_client_cache_entries 0\n"));
}

TEST_F(ClientShareTest, ARepeatedAlertIsAnsweredFromTheCacheWithoutARequest) {
  auto client = MakeClient();
  transport_->Respond(200, kAnswer);
  auto first = client->ClassifyAlert(MakeAlert());
  auto second = client->ClassifyAlert(MakeAlert());
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->source, "llm");
  EXPECT_EQ(first->attempts, 1);
  EXPECT_EQ(second->source, "cache");
  EXPECT_EQ(second->attempts, 0);
  EXPECT_EQ(second->summary, "CPU high");
  EXPECT_EQ(transport_->Requests().size(), 1u);
  const std::string text = Metrics(*client);
  EXPECT_THAT(text, HasSubstr("llm_client_cache_lookups_total{result=\"hit\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("llm_client_cache_lookups_total{result=\"miss\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("llm_client_cache_entries 1\n"));
  EXPECT_THAT(
      text,
      HasSubstr("llm_client_classifications_total{severity=\"warning\",source=\"cache\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("llm_client_requests_total{category=\"success\"} 2\n"));
}

TEST_F(ClientShareTest, AResolvedAlertIsClassifiedAfresh) {
  auto client = MakeClient();
  transport_->Respond(200, kAnswer);
  transport_->Respond(200, kAnswer);
  ASSERT_TRUE(client->ClassifyAlert(MakeAlert()).has_value());
  auto resolved = client->ClassifyAlert(MakeAlert(AlertStatus::kResolved));
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->source, "llm");
  EXPECT_EQ(transport_->Requests().size(), 2u);
}

TEST_F(ClientShareTest, FallbackAnswersAreNeverKept) {
  Config config;
  config.fallback = FallbackMode::kRules;
  config.max_retries = 0;
  auto client = MakeClient(config);
  transport_->Respond(503);
  transport_->Respond(200, kAnswer);
  auto fallback = client->ClassifyAlert(MakeAlert());
  ASSERT_TRUE(fallback.has_value());
  EXPECT_EQ(fallback->source, "fallback");
  auto answered = client->ClassifyAlert(MakeAlert());
  ASSERT_TRUE(answered.has_value());
  EXPECT_EQ(answered->source, "llm");
  EXPECT_EQ(transport_->Requests().size(), 2u);
}

TEST_F(ClientShareTest, AnInvalidAnswerIsNotKept) {
  Config config;
  config.max_retries = 0;
  auto client = MakeClient(config);
  transport_->Respond(200, R"({"classification":{"severity":"urgent"}})");
  transport_->Respond(200, kAnswer);
  auto invalid = client->ClassifyAlert(MakeAlert());
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidResponse);
  auto answered = client->ClassifyAlert(MakeAlert());
  ASSERT_TRUE(answered.has_value());
  EXPECT_EQ(answered->source, "llm");
}

TEST_F(ClientShareTest, TheAnswerIsAskedAgainAfterTheTtl) {
  Config config;
  config.cache.ttl = std::chrono::seconds(30);
  auto client = MakeClient(config);
  transport_->Respond(200, kAnswer);
  transport_->Respond(200, kAnswer);
  ASSERT_TRUE(client->ClassifyAlert(MakeAlert()).has_value());
  clock_->Advance(std::chrono::seconds(29));
  EXPECT_EQ(client->ClassifyAlert(MakeAlert())->source, "cache");
  clock_->Advance(std::chrono::seconds(1));
  EXPECT_EQ(client->ClassifyAlert(MakeAlert())->source, "llm");
  EXPECT_EQ(transport_->Requests().size(), 2u);
}

TEST_F(ClientShareTest, WithTheCacheOffEveryCallSendsARequest) {
  Config config;
  config.cache.enabled = false;
  auto client = MakeClient(config);
  AnswerEveryRequest();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client->ClassifyAlert(MakeAlert())->source, "llm");
  EXPECT_EQ(transport_->Requests().size(), 3u);
}

TEST_F(ClientShareTest, AnEmptyBatchGivesNoResult) {
  auto client = MakeClient();
  EXPECT_TRUE(client->ClassifyAlerts({}).empty());
  EXPECT_TRUE(transport_->Requests().empty());
}

// A storm in miniature: five alerts, three distinct (fingerprint, status) pairs, three requests,
// every alert answered in input order.
TEST_F(ClientShareTest, ABatchSendsOneRequestPerDistinctAlertAndAnswersInOrder) {
  auto client = MakeClient();
  AnswerEveryRequest();
  const std::vector<Alert> alerts = {OnNode("a"), OnNode("b"), OnNode("a"),
                                     MakeAlert(AlertStatus::kResolved, "a"), OnNode("b")};
  const auto results = client->ClassifyAlerts(alerts);
  ASSERT_EQ(results.size(), alerts.size());
  const char* sources[] = {"llm", "llm", "cache", "llm", "cache"};
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].has_value()) << i;
    EXPECT_EQ(results[i]->source, sources[i]) << i;
    EXPECT_EQ(results[i]->attempts, std::string(sources[i]) == "llm" ? 1 : 0) << i;
  }
  EXPECT_EQ(transport_->Requests().size(), 3u);
  const std::string text = Metrics(*client);
  EXPECT_THAT(text, HasSubstr("llm_client_requests_total{category=\"success\"} 5\n"));
  EXPECT_THAT(text, HasSubstr("llm_client_cache_lookups_total{result=\"shared\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("llm_client_cache_lookups_total{result=\"miss\"} 3\n"));
}

TEST_F(ClientShareTest, ABatchWithTheCacheOffSendsARequestPerAlert) {
  Config config;
  config.cache.enabled = false;
  auto client = MakeClient(config);
  AnswerEveryRequest();
  const std::vector<Alert> alerts(4, OnNode("a"));
  for (const auto& result : client->ClassifyAlerts(alerts)) EXPECT_EQ(result->source, "llm");
  EXPECT_EQ(transport_->Requests().size(), 4u);
}

// The first alert's request failed: its repeats get the same error without a request of their
// own, and each is then answered by the fallback on its own account.
TEST_F(ClientShareTest, ABatchSharesAnErrorAndEachAlertFallsBack) {
  Config config;
  config.max_retries = 0;
  auto plain = MakeClient(config);
  transport_->Respond(400, "bad");
  const std::vector<Alert> alerts(3, OnNode("a"));
  for (const auto& result : plain->ClassifyAlerts(alerts)) {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::kClientError);
  }
  EXPECT_EQ(transport_->Requests().size(), 1u);

  config.fallback = FallbackMode::kRules;
  auto with_fallback = MakeClient(config);
  transport_->Respond(503);
  for (const auto& result : with_fallback->ClassifyAlerts(alerts)) {
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->source, "fallback");
  }
  EXPECT_EQ(transport_->Requests().size(), 2u);
  EXPECT_THAT(Metrics(*with_fallback),
              HasSubstr("llm_client_fallbacks_total{reason=\"server_error\"} 3\n"));
}

TEST_F(ClientShareTest, ACancelledBatchEndsEveryCallCancelled) {
  auto client = MakeClient();
  std::stop_source stop;
  stop.request_stop();
  CallOptions options;
  options.stop_token = stop.get_token();
  const std::vector<Alert> alerts = {OnNode("a"), OnNode("b"), OnNode("a")};
  const auto results = client->ClassifyAlerts(alerts, options);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& result : results) {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
  }
  EXPECT_TRUE(transport_->Requests().empty());
}

TEST_F(ClientShareTest, ABatchRunsAtMostMaxInFlightAtOnce) {
  Config config;
  config.concurrency.max_in_flight = 3;
  auto client = MakeClient(config);
  std::atomic<int> in_flight{0};
  std::atomic<int> most{0};
  AnswerEveryRequest([&] {
    const int now = in_flight.fetch_add(1) + 1;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::yield();
    in_flight.fetch_sub(1);
  });
  std::vector<Alert> alerts;
  for (int i = 0; i < 30; ++i) alerts.push_back(OnNode("n" + std::to_string(i)));
  const auto results = client->ClassifyAlerts(alerts);
  for (const auto& result : results) EXPECT_TRUE(result.has_value());
  EXPECT_EQ(transport_->Requests().size(), 30u);
  EXPECT_LE(most.load(), 3);
}

// Bad input in a storm: every alert still gets exactly one result; the bad ones fail as
// kInvalidRequest without a request, the good ones are unaffected.
TEST_F(ClientShareTest, ABatchMixingBadAndGoodAlertsAnswersEachOnce) {
  Config config;
  config.max_request_bytes = 4096;
  auto client = MakeClient(config);
  AnswerEveryRequest();
  Alert not_utf8 = OnNode("bad");
  not_utf8.annotations["summary"] = "\xff\xfe";
  Alert too_big = OnNode("big");
  too_big.annotations["description"] = std::string(8192, 'x');
  const std::vector<Alert> alerts = {OnNode("a"), not_utf8, too_big,
                                     OnNode("a"), not_utf8, OnNode("b")};
  const auto results = client->ClassifyAlerts(alerts);
  ASSERT_EQ(results.size(), alerts.size());
  for (std::size_t i : {1u, 2u, 4u}) {
    ASSERT_FALSE(results[i].has_value()) << i;
    EXPECT_EQ(results[i].error().code, ErrorCode::kInvalidRequest) << i;
  }
  for (std::size_t i : {0u, 3u, 5u}) EXPECT_TRUE(results[i].has_value()) << i;
  EXPECT_EQ(transport_->Requests().size(), 2u);  // "a" and "b"
}

}  // namespace
}  // namespace alertllm
