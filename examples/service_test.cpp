// SPDX-License-Identifier: Apache-2.0
// Unit-testing your own service with MockLlmClient: code that takes an `LlmClient&` runs in
// tests against the GoogleMock mock, with no network and no LLM. Link GTest::gmock.
#include <alertllm/client.hpp>
#include <alertllm/testing/mock_llm_client.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace {

// Your code: decides whether to page someone, asking the LLM when it can.
bool ShouldPage(alertllm::LlmClient& llm, const alertllm::Alert& alert) {
  const auto result = llm.ClassifyAlert(alert);
  if (!result) return true;  // when in doubt, page
  return result->severity == alertllm::Severity::kCritical;
}

using ::testing::_;
using ::testing::Return;

TEST(ShouldPageTest, PagesForCriticalAlerts) {
  alertllm::mocks::MockLlmClient llm;
  alertllm::Classification critical;
  critical.severity = alertllm::Severity::kCritical;
  EXPECT_CALL(llm, ClassifyAlert(_, _)).WillOnce(Return(critical));
  EXPECT_TRUE(ShouldPage(llm, alertllm::Alert{}));
}

TEST(ShouldPageTest, DoesNotPageForNoise) {
  alertllm::mocks::MockLlmClient llm;
  alertllm::Classification noise;
  noise.severity = alertllm::Severity::kNoise;
  EXPECT_CALL(llm, ClassifyAlert(_, _)).WillOnce(Return(noise));
  EXPECT_FALSE(ShouldPage(llm, alertllm::Alert{}));
}

TEST(ShouldPageTest, PagesWhenTheLlmFails) {
  alertllm::mocks::MockLlmClient llm;
  EXPECT_CALL(llm, ClassifyAlert(_, _))
      .WillOnce(Return(alertllm::Error{alertllm::ErrorCode::kCircuitOpen, "circuit open"}));
  EXPECT_TRUE(ShouldPage(llm, alertllm::Alert{}));
}

}  // namespace
