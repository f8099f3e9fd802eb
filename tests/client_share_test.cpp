// SPDX-License-Identifier: Apache-2.0
// HttpLlmClient with sharing on (the default): a repeated alert costs no request, a resolved one
// is classified afresh, and only the LLM's own answers are kept — never an error or a fallback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

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

Alert MakeAlert(AlertStatus status = AlertStatus::kFiring) {
  Alert alert;
  alert.alert_name = "HighCPUUsage";
  alert.status = status;
  alert.labels = {{"alertname", "HighCPUUsage"}, {"instance", "node-1"}};
  return alert;
}

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
  HttpResponse ok;
  ok.status = 200;
  ok.body = kAnswer;
  transport_->SetDefault({ok, {}, {}});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client->ClassifyAlert(MakeAlert())->source, "llm");
  EXPECT_EQ(transport_->Requests().size(), 3u);
}

}  // namespace
}  // namespace alertllm
