// SPDX-License-Identifier: Apache-2.0
// Token usage (Classification::usage, llm_client_tokens_total) and the OpenTelemetry GenAI
// client histograms (gen_ai_client_token_usage, gen_ai_client_operation_duration_seconds):
// what one HTTP request records, and what a cache hit or a repeat does not record again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "alertllm/client.hpp"
#include "alertllm/metrics.hpp"
#include "alertllm/testing/fake_transport.hpp"
#include "engine/gen_ai_metrics.hpp"
#include "support/fake_clock.hpp"

namespace alertllm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

// 412 prompt tokens (256 of them from the provider's cache), 96 completion tokens.
constexpr const char* kOpenAIAnswer =
    R"({"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,)"
    R"("finish_reason":"stop","message":{"role":"assistant","refusal":null,"content":)"
    R"("{\"severity\":3,\"category\":\"performance\",\"summary\":\"CPU high\",)"
    R"(\"confidence\":0.9,\"reasoning\":\"r\",\"suggestions\":[]}"}}],)"
    R"("usage":{"prompt_tokens":412,"completion_tokens":96,"total_tokens":508,)"
    R"("prompt_tokens_details":{"cached_tokens":256}}})";

constexpr const char* kProxyAnswer =
    R"({"classification":{"severity":3,"category":"performance","summary":"CPU high",)"
    R"("confidence":0.9,"reasoning":"r","suggestions":[]},"request_id":"req-1"})";

// The labels every gen_ai_* series of an OpenAI client for model gpt-4o-mini starts with.
constexpr const char* kOpenAILabels =
    R"(gen_ai_operation_name="chat",gen_ai_provider_name="openai",)"
    R"(gen_ai_request_model="gpt-4o-mini")";

Alert MakeAlert(std::string instance = "node-1") {
  Alert alert;
  alert.alert_name = "HighCPUUsage";
  alert.labels = {{"alertname", "HighCPUUsage"}, {"instance", std::move(instance)}};
  return alert;
}

Config OpenAIConfig() {
  Config config;
  config.protocol = Protocol::kOpenAI;
  config.model = "gpt-4o-mini";
  return config;
}

// "<name>{<labels>} " as the text exposition starts a sample line.
std::string Sample(const std::string& name, const std::string& labels) {
  return name + "{" + labels + "} ";
}

class TokenUsageTest : public ::testing::Test {
 protected:
  TokenUsageTest() { test::Attach(*transport_, clock_); }

  std::unique_ptr<HttpLlmClient> MakeClient(Config config) {
    config.base_url = "http://llm.test:8080";
    config.retry_delay = 10ms;
    ClientDependencies deps;
    deps.transport = transport_;
    deps.clock = clock_;
    deps.random = [] { return 0.0; };
    return std::make_unique<HttpLlmClient>(std::move(config), std::move(deps));
  }
  static std::string Metrics(const HttpLlmClient& client) {
    return SerializeMetrics({client.GetCollectable()});
  }

  std::shared_ptr<mocks::FakeTransport> transport_ = std::make_shared<mocks::FakeTransport>();
  std::shared_ptr<test::FakeClock> clock_ = std::make_shared<test::FakeClock>();
};

TEST_F(TokenUsageTest, AnOpenAIAnswerCarriesItsUsage) {
  auto client = MakeClient(OpenAIConfig());
  transport_->Respond(200, kOpenAIAnswer);
  const auto result = client->ClassifyAlert(MakeAlert());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_TRUE(result->usage.has_value());
  EXPECT_EQ(*result->usage, (TokenUsage{412, 96, 256}));
}

TEST_F(TokenUsageTest, TokensTotalCountsInputOutputAndCachedInput) {
  auto client = MakeClient(OpenAIConfig());
  transport_->Respond(200, kOpenAIAnswer);
  ASSERT_TRUE(client->ClassifyAlert(MakeAlert()).has_value());
  const std::string text = Metrics(*client);
  EXPECT_THAT(text, HasSubstr("llm_client_tokens_total{type=\"input\"} 412\n"));
  EXPECT_THAT(text, HasSubstr("llm_client_tokens_total{type=\"output\"} 96\n"));
  EXPECT_THAT(text, HasSubstr("llm_client_tokens_total{type=\"cached_input\"} 256\n"));
}

TEST_F(TokenUsageTest, TokenUsageHistogramObservesInputAndOutputWithTheExactLabels) {
  auto client = MakeClient(OpenAIConfig());
  transport_->Respond(200, kOpenAIAnswer);
  ASSERT_TRUE(client->ClassifyAlert(MakeAlert()).has_value());
  const std::string text = Metrics(*client);
  const std::string input = std::string(kOpenAILabels) + ",gen_ai_token_type=\"input\"";
  const std::string output = std::string(kOpenAILabels) + ",gen_ai_token_type=\"output\"";
  EXPECT_THAT(text, HasSubstr("# TYPE gen_ai_client_token_usage histogram\n"));
  // 412 lies in (256, 1024], 96 in (64, 256].
  EXPECT_THAT(text,
              HasSubstr(Sample("gen_ai_client_token_usage_bucket", input + ",le=\"256\"") + "0\n"));
  EXPECT_THAT(
      text, HasSubstr(Sample("gen_ai_client_token_usage_bucket", input + ",le=\"1024\"") + "1\n"));
  EXPECT_THAT(text, HasSubstr(Sample("gen_ai_client_token_usage_sum", input) + "412\n"));
  EXPECT_THAT(text, HasSubstr(Sample("gen_ai_client_token_usage_count", input) + "1\n"));
  EXPECT_THAT(text,
              HasSubstr(Sample("gen_ai_client_token_usage_bucket", output + ",le=\"64\"") + "0\n"));
  EXPECT_THAT(
      text, HasSubstr(Sample("gen_ai_client_token_usage_bucket", output + ",le=\"256\"") + "1\n"));
  EXPECT_THAT(text, HasSubstr(Sample("gen_ai_client_token_usage_sum", output) + "96\n"));
  EXPECT_THAT(text, HasSubstr(Sample("gen_ai_client_token_usage_count", output) + "1\n"));
}

TEST_F(TokenUsageTest, TokenAndSuccessSeriesStartAtZeroAndNoErrorSeriesExists) {
  auto client = MakeClient(OpenAIConfig());
  const std::string text = Metrics(*client);
  for (const char* type : {"input", "output"}) {
    EXPECT_THAT(
        text, HasSubstr(Sample("gen_ai_client_token_usage_count",
                               std::string(kOpenAILabels) + ",gen_ai_token_type=\"" + type + "\"") +
                        "0\n"));
  }
  EXPECT_THAT(text, HasSubstr("# TYPE gen_ai_client_operation_duration_seconds histogram\n"));
  EXPECT_THAT(
      text,
      HasSubstr(Sample("gen_ai_client_operation_duration_seconds_count", kOpenAILabels) + "0\n"));
  EXPECT_THAT(text, Not(HasSubstr("error_type=")));
}

TEST_F(TokenUsageTest, EachAttemptIsTimedOnceAndAFailureCarriesItsErrorType) {
  Config config = OpenAIConfig();
  config.max_retries = 1;
  auto client = MakeClient(config);
  transport_->Respond(503, "busy", {}, 30ms);
  transport_->Respond(200, kOpenAIAnswer, {}, 150ms);
  ASSERT_TRUE(client->ClassifyAlert(MakeAlert()).has_value());
  const std::string text = Metrics(*client);
  const std::string ok = kOpenAILabels;
  const std::string failed = "error_type=\"server_error\"," + ok;
  const std::string name = "gen_ai_client_operation_duration_seconds";
  EXPECT_THAT(text, HasSubstr(Sample(name + "_count", ok) + "1\n"));
  EXPECT_THAT(text, HasSubstr(Sample(name + "_sum", ok) + "0.15\n"));
  EXPECT_THAT(text, HasSubstr(Sample(name + "_bucket", ok + ",le=\"0.08\"") + "0\n"));
  EXPECT_THAT(text, HasSubstr(Sample(name + "_bucket", ok + ",le=\"0.16\"") + "1\n"));
  EXPECT_THAT(text, HasSubstr(Sample(name + "_count", failed) + "1\n"));
  EXPECT_THAT(text, HasSubstr(Sample(name + "_sum", failed) + "0.03\n"));
  EXPECT_THAT(text, HasSubstr(Sample(name + "_bucket", failed + ",le=\"0.02\"") + "0\n"));
  EXPECT_THAT(text, HasSubstr(Sample(name + "_bucket", failed + ",le=\"0.04\"") + "1\n"));
  EXPECT_THAT(text, HasSubstr("llm_client_attempts_total 2\n"));
}

TEST_F(TokenUsageTest, TimeoutsAndRateLimitsAreTheirOwnErrorTypes) {
  Config config = OpenAIConfig();
  config.max_retries = 1;
  auto client = MakeClient(config);
  transport_->Fail(Error{ErrorCode::kTimeout, "attempt timed out"}, 2s);
  transport_->Respond(429, "slow down");
  transport_->Respond(200, kOpenAIAnswer);
  ASSERT_TRUE(client->ClassifyAlert(MakeAlert()).has_value());
  const std::string text = Metrics(*client);
  const std::string name = "gen_ai_client_operation_duration_seconds_count";
  const std::string labels = kOpenAILabels;
  EXPECT_THAT(text, HasSubstr(Sample(name, "error_type=\"timeout\"," + labels) + "1\n"));
  EXPECT_THAT(text, HasSubstr(Sample(name, "error_type=\"rate_limit\"," + labels) + "1\n"));
  EXPECT_THAT(text, HasSubstr(Sample(name, labels) + "1\n"));
}

TEST_F(TokenUsageTest, AnAnswerThatFailsToDecodeCountsNoTokens) {
  auto client = MakeClient(OpenAIConfig());
  std::string truncated = kOpenAIAnswer;
  truncated.replace(truncated.find("\"stop\""), 6, "\"length\"");
  transport_->Respond(200, truncated);
  ASSERT_FALSE(client->ClassifyAlert(MakeAlert()).has_value());
  const std::string text = Metrics(*client);
  EXPECT_THAT(text, HasSubstr("llm_client_tokens_total{type=\"input\"} 0\n"));
  EXPECT_THAT(text,
              HasSubstr(Sample("gen_ai_client_operation_duration_seconds_count",
                               "error_type=\"invalid_response\"," + std::string(kOpenAILabels)) +
                        "1\n"));
}

TEST_F(TokenUsageTest, AProxyAnswerWithoutUsageHasNoneAndCountsNoTokens) {
  auto client = MakeClient(Config{});
  transport_->Respond(200, kProxyAnswer);
  const auto result = client->ClassifyAlert(MakeAlert());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_FALSE(result->usage.has_value());
  const std::string text = Metrics(*client);
  EXPECT_THAT(text, HasSubstr("llm_client_tokens_total{type=\"input\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("llm_client_tokens_total{type=\"output\"} 0\n"));
  // The default model "openai/gpt-4o" names its provider.
  const std::string labels = R"(gen_ai_operation_name="chat",gen_ai_provider_name="openai",)"
                             R"(gen_ai_request_model="openai/gpt-4o")";
  EXPECT_THAT(text, HasSubstr(Sample("gen_ai_client_token_usage_count",
                                     labels + ",gen_ai_token_type=\"input\"") +
                              "0\n"));
  EXPECT_THAT(text,
              HasSubstr(Sample("gen_ai_client_operation_duration_seconds_count", labels) + "1\n"));
}

TEST_F(TokenUsageTest, ACacheHitCarriesTheUsageButCountsNothingAgain) {
  auto client = MakeClient(OpenAIConfig());
  transport_->Respond(200, kOpenAIAnswer);
  ASSERT_TRUE(client->ClassifyAlert(MakeAlert()).has_value());
  const auto hit = client->ClassifyAlert(MakeAlert());
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->source, "cache");
  ASSERT_TRUE(hit->usage.has_value());
  EXPECT_EQ(*hit->usage, (TokenUsage{412, 96, 256}));
  const std::string text = Metrics(*client);
  EXPECT_THAT(text, HasSubstr("llm_client_tokens_total{type=\"input\"} 412\n"));
  EXPECT_THAT(text, HasSubstr(Sample("gen_ai_client_token_usage_count",
                                     std::string(kOpenAILabels) + ",gen_ai_token_type=\"input\"") +
                              "1\n"));
  EXPECT_THAT(
      text,
      HasSubstr(Sample("gen_ai_client_operation_duration_seconds_count", kOpenAILabels) + "1\n"));
}

TEST_F(TokenUsageTest, ARepeatInABatchCountsTheTokensOnce) {
  auto client = MakeClient(OpenAIConfig());
  transport_->Respond(200, kOpenAIAnswer);
  const std::vector<Alert> alerts = {MakeAlert(), MakeAlert()};
  const auto results = client->ClassifyAlerts(alerts);
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[1].has_value());
  EXPECT_EQ(transport_->Requests().size(), 1u);
  EXPECT_THAT(Metrics(*client), HasSubstr("llm_client_tokens_total{type=\"output\"} 96\n"));
}

TEST_F(TokenUsageTest, LabelValuesFromConfigAreEscapedInTheExposition) {
  Config config = OpenAIConfig();
  config.model = R"(my "best" \model)";
  auto client = MakeClient(config);
  EXPECT_THAT(Metrics(*client), HasSubstr(R"(gen_ai_request_model="my \"best\" \\model")"));
}

}  // namespace

namespace internal {
namespace {

Config ProxyWithModel(std::string model) {
  Config config;
  config.model = std::move(model);
  return config;
}

std::string LabelOf(const prometheus::ClientMetric& metric, const std::string& name) {
  for (const auto& label : metric.label) {
    if (label.name == name) return label.value;
  }
  ADD_FAILURE() << "no label " << name;
  return {};
}

TEST(GenAiMetricsTest, ProviderIsOpenAIForTheOpenAIProtocol) {
  Config config = OpenAIConfig();
  config.model = "anthropic/claude";
  EXPECT_EQ(GenAiMetrics::ProviderName(config), "openai");
}

TEST(GenAiMetricsTest, ProxyProviderIsTheModelsPrefixOrAlertllmProxy) {
  EXPECT_EQ(GenAiMetrics::ProviderName(ProxyWithModel("openai/gpt-4o")), "openai");
  EXPECT_EQ(GenAiMetrics::ProviderName(ProxyWithModel("anthropic/claude-3/x")), "anthropic");
  for (const char* model : {"llama3", "/gpt-4o", "openai/", ""}) {
    EXPECT_EQ(GenAiMetrics::ProviderName(ProxyWithModel(model)), "alertllm_proxy") << model;
  }
}

TEST(GenAiMetricsTest, ModelLabelIsClippedTo128Bytes) {
  const GenAiMetrics metrics(ProxyWithModel(std::string(300, 'm')));
  const prometheus::MetricFamily family = metrics.OperationDurationFamily();
  ASSERT_EQ(family.metric.size(), 1u);
  EXPECT_EQ(LabelOf(family.metric[0], "gen_ai_request_model"), std::string(128, 'm') + "...");
}

TEST(GenAiMetricsTest, ValuesOnABoundLandInThatBucket) {
  GenAiMetrics metrics;
  metrics.Tokens(TokenUsage{64, 65, 0});
  metrics.Operation(10ms, std::nullopt);
  metrics.Operation(100s, std::nullopt);
  const prometheus::MetricFamily tokens = metrics.TokenUsageFamily();
  ASSERT_EQ(tokens.metric.size(), 2u);
  const auto& input = tokens.metric[0].histogram;
  const auto& output = tokens.metric[1].histogram;
  ASSERT_EQ(input.bucket.size(), GenAiMetrics::kTokenBounds.size());
  EXPECT_EQ(input.bucket[3].upper_bound, 64.0);
  EXPECT_EQ(input.bucket[3].cumulative_count, 1u);
  EXPECT_EQ(output.bucket[3].cumulative_count, 0u);
  EXPECT_EQ(output.bucket[4].cumulative_count, 1u);
  const prometheus::MetricFamily operations = metrics.OperationDurationFamily();
  ASSERT_EQ(operations.metric.size(), 1u);
  const auto& durations = operations.metric[0].histogram;
  EXPECT_EQ(durations.bucket[0].upper_bound, 0.01);
  EXPECT_EQ(durations.bucket[0].cumulative_count, 1u);
  // 100 s is above the last bound (81.92 s): only +Inf, from sample_count, holds it.
  EXPECT_EQ(durations.bucket.back().cumulative_count, 1u);
  EXPECT_EQ(durations.sample_count, 2u);
  EXPECT_DOUBLE_EQ(durations.sample_sum, 100.01);
}

}  // namespace
}  // namespace internal
}  // namespace alertllm
