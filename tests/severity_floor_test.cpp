// SPDX-License-Identifier: Apache-2.0
// The severity guard (Config::severity_floor): with `label` no answer a caller gets — from the
// LLM, the cache, a shared request or the fallback — ranks below the alert's own severity label;
// whatever the setting, the LLM's answers that do are counted as disagreements.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "alertllm/client.hpp"
#include "alertllm/metrics.hpp"
#include "alertllm/testing/fake_transport.hpp"
#include "engine/severity_floor.hpp"
#include "support/fake_clock.hpp"

namespace alertllm {
namespace {

using ::testing::HasSubstr;

constexpr Severity kAll[] = {Severity::kNoise, Severity::kInfo, Severity::kWarning,
                             Severity::kCritical};

std::string AnswerWithSeverity(Severity severity) {
  return R"({"classification":{"severity":)" + std::to_string(static_cast<int>(severity)) +
         R"(,"category":"infrastructure","summary":"s","confidence":0.9,"reasoning":"r",)"
         R"("suggestions":[]}})";
}

Alert Labelled(std::string severity, std::string instance = "node-1") {
  Alert alert;
  alert.alert_name = "HighCPUUsage";
  alert.labels = {{"alertname", "HighCPUUsage"}, {"instance", std::move(instance)}};
  if (!severity.empty()) alert.labels["severity"] = std::move(severity);
  return alert;
}

std::string DisagreementLine(std::string_view label, std::string_view llm, int count) {
  return "llm_client_severity_disagreements_total{label=\"" + std::string(label) + "\",llm=\"" +
         std::string(llm) + "\"} " + std::to_string(count) + "\n";
}

class SeverityFloorTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpLlmClient> MakeClient(SeverityFloor floor, Config config = {}) {
    config.base_url = "http://llm.test:8080";
    config.severity_floor = floor;
    config.max_retries = 0;
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

TEST(LabelSeverityTest, ReadsTheFourNamesInAnyCase) {
  EXPECT_EQ(internal::LabelSeverity(Labelled("critical")), Severity::kCritical);
  EXPECT_EQ(internal::LabelSeverity(Labelled("Warning")), Severity::kWarning);
  EXPECT_EQ(internal::LabelSeverity(Labelled("INFO")), Severity::kInfo);
  EXPECT_EQ(internal::LabelSeverity(Labelled("noise")), Severity::kNoise);
}

TEST(LabelSeverityTest, IgnoresAnythingElse) {
  for (const char* other : {"", "page", "high", "4", "critical ", "crit", "none"}) {
    EXPECT_EQ(internal::LabelSeverity(Labelled(other)), std::nullopt) << "'" << other << "'";
  }
}

// Every (label, answer) pair, each with a client of its own so the counters start at zero.
TEST_F(SeverityFloorTest, WithTheLabelFloorNoAnswerRanksBelowItsLabel) {
  for (Severity label : kAll) {
    for (Severity llm : kAll) {
      SCOPED_TRACE(std::string(ToString(label)) + " labelled, LLM says " +
                   std::string(ToString(llm)));
      auto client = MakeClient(SeverityFloor::kLabel);
      transport_->Respond(200, AnswerWithSeverity(llm));
      const auto answer = client->ClassifyAlert(Labelled(std::string(ToString(label))));
      ASSERT_TRUE(answer.has_value());
      const bool below = static_cast<int>(llm) < static_cast<int>(label);
      EXPECT_EQ(answer->severity, below ? label : llm);
      EXPECT_EQ(answer->severity_adjusted, below);
      EXPECT_EQ(answer->source, "llm");
      if (below) {
        EXPECT_THAT(Metrics(*client),
                    HasSubstr(DisagreementLine(ToString(label), ToString(llm), 1)));
      }
    }
  }
}

TEST_F(SeverityFloorTest, WithoutTheFloorTheAnswerStandsAndDisagreementsAreStillCounted) {
  for (Severity label : kAll) {
    for (Severity llm : kAll) {
      SCOPED_TRACE(std::string(ToString(label)) + " labelled, LLM says " +
                   std::string(ToString(llm)));
      auto client = MakeClient(SeverityFloor::kNone);
      transport_->Respond(200, AnswerWithSeverity(llm));
      const auto answer = client->ClassifyAlert(Labelled(std::string(ToString(label))));
      ASSERT_TRUE(answer.has_value());
      EXPECT_EQ(answer->severity, llm);
      EXPECT_FALSE(answer->severity_adjusted);
      const bool below = static_cast<int>(llm) < static_cast<int>(label);
      const std::string text = Metrics(*client);
      for (Severity l : kAll) {
        for (Severity a : kAll) {
          if (static_cast<int>(a) >= static_cast<int>(l)) continue;
          const int expected = below && l == label && a == llm ? 1 : 0;
          EXPECT_THAT(text, HasSubstr(DisagreementLine(ToString(l), ToString(a), expected)));
        }
      }
    }
  }
}

TEST_F(SeverityFloorTest, AnUnknownOrMissingLabelLeavesTheAnswerAlone) {
  auto client = MakeClient(SeverityFloor::kLabel);
  for (const char* label : {"", "page", "P1", "4"}) {
    transport_->Respond(200, AnswerWithSeverity(Severity::kNoise));
    const auto answer = client->ClassifyAlert(Labelled(label, std::string("node-") + label));
    ASSERT_TRUE(answer.has_value()) << label;
    EXPECT_EQ(answer->severity, Severity::kNoise) << label;
    EXPECT_FALSE(answer->severity_adjusted) << label;
  }
  EXPECT_THAT(Metrics(*client), HasSubstr(DisagreementLine("critical", "noise", 0)));
}

TEST_F(SeverityFloorTest, TheLabelIsReadInAnyCase) {
  auto client = MakeClient(SeverityFloor::kLabel);
  transport_->Respond(200, AnswerWithSeverity(Severity::kInfo));
  const auto answer = client->ClassifyAlert(Labelled("CRITICAL"));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->severity, Severity::kCritical);
  EXPECT_TRUE(answer->severity_adjusted);
}

// The cache keeps the LLM's own answer: a hit is raised again on the way out, and counted as
// the LLM's disagreement once more.
TEST_F(SeverityFloorTest, ACacheHitIsHeldToTheFloorAndCounted) {
  auto client = MakeClient(SeverityFloor::kLabel);
  transport_->Respond(200, AnswerWithSeverity(Severity::kNoise));
  ASSERT_TRUE(client->ClassifyAlert(Labelled("warning")).has_value());
  const auto hit = client->ClassifyAlert(Labelled("warning"));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->source, "cache");
  EXPECT_EQ(hit->severity, Severity::kWarning);
  EXPECT_TRUE(hit->severity_adjusted);
  EXPECT_EQ(transport_->Requests().size(), 1u);
  EXPECT_THAT(Metrics(*client), HasSubstr(DisagreementLine("warning", "noise", 2)));
}

// The fallback answers a resolved alert as info whatever its label; the floor still binds it,
// but the rules' answer is not the LLM's, so it is not a disagreement.
TEST_F(SeverityFloorTest, AFallbackAnswerIsHeldToTheFloorButNotCounted) {
  Config config;
  config.fallback = FallbackMode::kRules;
  auto client = MakeClient(SeverityFloor::kLabel, config);
  transport_->Respond(503);
  Alert resolved = Labelled("critical");
  resolved.status = AlertStatus::kResolved;
  const auto answer = client->ClassifyAlert(resolved);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->source, "fallback");
  EXPECT_EQ(answer->severity, Severity::kCritical);
  EXPECT_TRUE(answer->severity_adjusted);
  EXPECT_THAT(Metrics(*client), HasSubstr(DisagreementLine("critical", "info", 0)));
}

TEST_F(SeverityFloorTest, AFallbackAnswerStandsWithoutTheFloor) {
  Config config;
  config.fallback = FallbackMode::kRules;
  auto client = MakeClient(SeverityFloor::kNone, config);
  transport_->Respond(503);
  Alert resolved = Labelled("critical");
  resolved.status = AlertStatus::kResolved;
  const auto answer = client->ClassifyAlert(resolved);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->severity, Severity::kInfo);
  EXPECT_FALSE(answer->severity_adjusted);
}

// A batch asks once per distinct alert; the repeats share that answer and each is raised.
TEST_F(SeverityFloorTest, SharedAnswersInABatchAreEachHeldToTheFloor) {
  auto client = MakeClient(SeverityFloor::kLabel);
  transport_->Respond(200, AnswerWithSeverity(Severity::kInfo));
  const std::vector<Alert> alerts(3, Labelled("critical"));
  const auto results = client->ClassifyAlerts(alerts);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->severity, Severity::kCritical);
    EXPECT_TRUE(result->severity_adjusted);
  }
  EXPECT_EQ(results[0]->source, "llm");
  EXPECT_EQ(results[1]->source, "cache");
  EXPECT_EQ(transport_->Requests().size(), 1u);
  EXPECT_THAT(Metrics(*client), HasSubstr(DisagreementLine("critical", "info", 3)));
}

TEST_F(SeverityFloorTest, AnAsyncAnswerIsHeldToTheFloor) {
  auto client = MakeClient(SeverityFloor::kLabel);
  transport_->Respond(200, AnswerWithSeverity(Severity::kNoise));
  std::promise<Result<Classification>> answered;
  client->ClassifyAlertAsync(Labelled("info"), {},
                             [&](Result<Classification> r) { answered.set_value(std::move(r)); });
  const Result<Classification> answer = answered.get_future().get();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->severity, Severity::kInfo);
  EXPECT_TRUE(answer->severity_adjusted);
}

// The floor changes what is returned, so the classifications counter shows the raised value.
TEST_F(SeverityFloorTest, TheClassificationsCounterCountsTheRaisedSeverity) {
  auto client = MakeClient(SeverityFloor::kLabel);
  transport_->Respond(200, AnswerWithSeverity(Severity::kNoise));
  ASSERT_TRUE(client->ClassifyAlert(Labelled("critical")).has_value());
  const std::string text = Metrics(*client);
  EXPECT_THAT(
      text,
      HasSubstr("llm_client_classifications_total{severity=\"critical\",source=\"llm\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("llm_client_classifications_total{severity=\"noise\",source=\"llm\"} 0\n"));
}

}  // namespace
}  // namespace alertllm
