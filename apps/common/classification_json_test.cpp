// SPDX-License-Identifier: Apache-2.0
#include "classification_json.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace alertllm::apps {
namespace {

Alert SampleAlert() {
  Alert alert;
  alert.fingerprint = "6a2aef0e79b75718";
  alert.alert_name = "HighCPUUsage";
  alert.status = AlertStatus::kFiring;
  return alert;
}

Classification SampleClassification() {
  Classification c;
  c.severity = Severity::kWarning;
  c.category = "performance";
  c.summary = "CPU hot";
  c.confidence = 0.5;
  c.source = "llm";
  c.attempts = 1;
  return c;
}

Error SampleError() {
  Error error{ErrorCode::kServerError, "HTTP 503"};
  error.attempts = 2;
  return error;
}

TEST(ResultJsonLineTest, SuccessKeepsTheDocumentedKeyOrder) {
  EXPECT_EQ(ResultJsonLine(SampleAlert(), SampleClassification()),
            R"({"fingerprint":"6a2aef0e79b75718","alertname":"HighCPUUsage","ok":true,)"
            R"("source":"llm","severity":"warning","severity_adjusted":false,"confidence":0.5,)"
            R"("category":"performance","summary":"CPU hot","attempts":1})");
}

TEST(ResultJsonLineTest, FailureHasNullsAndTheError) {
  EXPECT_EQ(ResultJsonLine(SampleAlert(), SampleError()),
            R"({"fingerprint":"6a2aef0e79b75718","alertname":"HighCPUUsage","ok":false,)"
            R"("source":null,"severity":null,"severity_adjusted":null,"confidence":null,)"
            R"("category":null,"summary":null,"attempts":2,)"
            R"("error":{"category":"server_error","message":"HTTP 503"}})");
}

TEST(ResultJsonLineTest, InvalidUtf8IsReplaced) {
  Alert alert = SampleAlert();
  alert.alert_name = "bad\xff";
  EXPECT_NE(ResultJsonLine(alert, SampleError()).find("bad\xEF\xBF\xBD"), std::string::npos);
}

TEST(ClassificationsBodyTest, OneSortedObjectPerAlertWithItsStatus) {
  Classification fallback = SampleClassification();
  fallback.source = "fallback";
  fallback.fallback_reason = "timeout: slow";
  fallback.severity_adjusted = true;
  EXPECT_EQ(ClassificationsBody({SampleAlert(), SampleAlert()}, {fallback, SampleError()}),
            R"({"classifications":[{"alertname":"HighCPUUsage","attempts":1,)"
            R"("category":"performance","confidence":0.5,"fallback_reason":"timeout: slow",)"
            R"("fingerprint":"6a2aef0e79b75718","ok":true,"severity":"warning",)"
            R"("severity_adjusted":true,"source":"fallback","status":"firing",)"
            R"("summary":"CPU hot"},)"
            R"({"alertname":"HighCPUUsage","attempts":2,"category":null,"confidence":null,)"
            R"("error":{"category":"server_error","message":"HTTP 503"},)"
            R"("fingerprint":"6a2aef0e79b75718","ok":false,"severity":null,)"
            R"("severity_adjusted":null,"source":null,"status":"firing","summary":null}]})");
}

TEST(ErrorBodyTest, IsOneErrorMember) {
  EXPECT_EQ(ErrorBody("not found"), R"({"error":"not found"})");
}

}  // namespace
}  // namespace alertllm::apps
