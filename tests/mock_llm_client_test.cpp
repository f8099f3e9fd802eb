// SPDX-License-Identifier: Apache-2.0
// How a service tests its own code against LlmClient without a network: a small triage
// function, written as a service would, tested with MockLlmClient.
#include "alertllm/testing/mock_llm_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using alertllm::Alert;
using alertllm::Classification;
using alertllm::Error;
using alertllm::ErrorCode;
using alertllm::LlmClient;
using alertllm::Severity;
using alertllm::mocks::MockLlmClient;
using ::testing::_;
using ::testing::Field;
using ::testing::Return;

// Service code: page a human for critical alerts; when the LLM cannot answer, page to be safe.
bool ShouldPage(LlmClient& client, const Alert& alert) {
  const auto result = client.ClassifyAlert(alert);
  if (!result) return true;
  return result->severity == Severity::kCritical;
}

Alert NodeDown() {
  Alert alert;
  alert.alert_name = "NodeDown";
  alert.labels = {{"alertname", "NodeDown"}};
  return alert;
}

TEST(MockLlmClientTest, CriticalClassificationPages) {
  MockLlmClient client;
  Classification critical;
  critical.severity = Severity::kCritical;
  EXPECT_CALL(client, ClassifyAlert(Field(&Alert::alert_name, "NodeDown"), _))
      .WillOnce(Return(critical));
  EXPECT_TRUE(ShouldPage(client, NodeDown()));
}

TEST(MockLlmClientTest, NoiseDoesNotPage) {
  MockLlmClient client;
  Classification noise;
  noise.severity = Severity::kNoise;
  EXPECT_CALL(client, ClassifyAlert).WillOnce(Return(noise));
  EXPECT_FALSE(ShouldPage(client, NodeDown()));
}

TEST(MockLlmClientTest, OpenCircuitPagesToBeSafe) {
  MockLlmClient client;
  EXPECT_CALL(client, ClassifyAlert)
      .WillOnce(Return(Error{ErrorCode::kCircuitOpen, "circuit breaker is open"}));
  EXPECT_TRUE(ShouldPage(client, NodeDown()));
}

TEST(MockLlmClientTest, HealthCanBeMocked) {
  MockLlmClient client;
  EXPECT_CALL(client, Health).WillOnce(Return(alertllm::Result<void>()));
  EXPECT_TRUE(client.Health().has_value());
}

// Expectations on ClassifyAlert() alone cover code that classifies a batch or asynchronously.
TEST(MockLlmClientTest, BatchAndAsyncCallClassifyAlertByDefault) {
  MockLlmClient client;
  Classification critical;
  critical.severity = Severity::kCritical;
  EXPECT_CALL(client, ClassifyAlert).Times(3).WillRepeatedly(Return(critical));
  const std::vector<Alert> alerts = {NodeDown(), NodeDown()};
  const auto results = client.ClassifyAlerts(alerts);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1]->severity, Severity::kCritical);
  int answered = 0;
  client.ClassifyAlertAsync(NodeDown(), {}, [&](alertllm::Result<Classification> result) {
    EXPECT_TRUE(result.has_value());
    ++answered;
  });
  EXPECT_EQ(answered, 1);
}

TEST(MockLlmClientTest, BatchCanBeMockedItself) {
  MockLlmClient client;
  EXPECT_CALL(client, ClassifyAlert).Times(0);
  EXPECT_CALL(client, ClassifyAlerts)
      .WillOnce(Return(std::vector<alertllm::Result<Classification>>{Classification{}}));
  const std::vector<Alert> alerts = {NodeDown()};
  EXPECT_EQ(client.ClassifyAlerts(alerts).size(), 1u);
}

}  // namespace
