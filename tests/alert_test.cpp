// SPDX-License-Identifier: Apache-2.0
#include "alertllm/alert.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace alertllm {
namespace {

using Labels = std::map<std::string, std::string>;

// Every distinct label set in tests/data/alertmanager_webhook_*.json with the fingerprint that
// Alertmanager 0.25 computed for it (webhook_test.cpp checks the same through the parser).
const std::vector<std::pair<std::string, Labels>>& CapturedLabelSets() {
  static const auto* sets = new std::vector<std::pair<std::string, Labels>>{
      {"6a2aef0e79b75718", {{"alertname", "HighCPUUsage"}, {"instance", "web-01:9100"}, {"job", "node-exporter"}, {"namespace", "production"}, {"severity", "warning"}}},
      {"4bb1a30b9aef49c2", {{"alertname", "NodeDown"}, {"instance", "db-01:9100"}, {"job", "node-exporter"}, {"namespace", "production"}, {"severity", "critical"}}},
      {"62f3e93b6d13e589", {{"alertname", "DiskFull"}, {"device", "/dev/sda1"}, {"fstype", "ext4"}, {"instance", "storage-03:9100"}, {"job", "node-exporter"}, {"mountpoint", "/var/lib/postgresql"}, {"namespace", "storage"}, {"severity", "critical"}}},
      {"bb3ac37262d82cbf", {{"alertname", "BatchJobFailed"}, {"demo", "truncate"}, {"instance", "worker-1"}, {"job", "batch"}, {"namespace", "jobs"}, {"severity", "info"}}},
      {"b35e315442a768e2", {{"alertname", "KubePodCrashLooping"}, {"container", "classifier"}, {"instance", "10.0.3.17:8080"}, {"job", "kube-state-metrics"}, {"namespace", "ml-推論"}, {"pod", "classifier-7d9f8c6b5-üx42"}, {"severity", "warning"}}},
      {"d9e054c1a71d5381", {{"alertname", "HighCPUUsage"}, {"instance", "web-02:9100"}, {"job", "node-exporter"}, {"namespace", "production"}, {"severity", "warning"}}},
      {"da7072ade1356a95", {{"alertname", "LLMCircuitBreakerOpen"}, {"instance", "127.0.0.1:9464"}, {"job", "alert-classifier"}, {"severity", "warning"}}},
      {"44e2942eaa42286c", {{"alertname", "LLMHighFailureRate"}, {"instance", "127.0.0.1:9465"}, {"job", "alert-classifier-dynamic"}, {"severity", "critical"}}},
      {"473d7347676fb509", {{"alertname", "LLMCircuitBreakerFlapping"}, {"instance", "127.0.0.1:9465"}, {"job", "alert-classifier-dynamic"}, {"severity", "warning"}}},
  };
  return *sets;
}

TEST(FingerprintTest, MatchesAlertmanagerForEveryCapturedLabelSet) {
  for (const auto& [expected, labels] : CapturedLabelSets()) {
    EXPECT_EQ(Fingerprint(labels), expected) << labels.at("alertname");
  }
}

TEST(FingerprintTest, EmptyLabelSetIsTheFnvOffsetBasis) {
  EXPECT_EQ(Fingerprint({}), "cbf29ce484222325");
}

TEST(FingerprintTest, OrdersLabelNamesByBytes) {
  // 'A' (0x41) < 'z' (0x7a) < 'é' (0xc3 0xa9): byte order, as Go sorts strings. A signed-char
  // comparison would put 'é' first and change the hash.
  EXPECT_EQ(Fingerprint({{"é", "x"}, {"z", "y"}, {"A", "w"}}), "43d1f33fac036484");
}

TEST(FingerprintTest, HashesEmptyValuesAndEmbeddedNul) {
  EXPECT_EQ(Fingerprint({{"a", ""}}), "e57e2e1903df23e2");
  EXPECT_EQ(Fingerprint({{"a", std::string("b\0c", 3)}}), "928411ef15017aad");
}

TEST(FingerprintTest, SeparatorKeepsNameValueBoundaries) {
  EXPECT_NE(Fingerprint({{"ab", "c"}}), Fingerprint({{"a", "bc"}}));
}

TEST(FingerprintTest, IsSixteenLowercaseHexDigits) {
  const std::string fp = Fingerprint({{"alertname", "X"}});
  ASSERT_EQ(fp.size(), 16u);
  for (char c : fp) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << fp;
}

TEST(SeverityTest, ToStringNamesEveryLevel) {
  EXPECT_EQ(ToString(Severity::kNoise), "noise");
  EXPECT_EQ(ToString(Severity::kInfo), "info");
  EXPECT_EQ(ToString(Severity::kWarning), "warning");
  EXPECT_EQ(ToString(Severity::kCritical), "critical");
}

TEST(SeverityTest, WireValuesAreOneToFour) {
  EXPECT_EQ(static_cast<int>(Severity::kNoise), 1);
  EXPECT_EQ(static_cast<int>(Severity::kInfo), 2);
  EXPECT_EQ(static_cast<int>(Severity::kWarning), 3);
  EXPECT_EQ(static_cast<int>(Severity::kCritical), 4);
}

TEST(SeverityTest, ParsesNamesCaseInsensitively) {
  EXPECT_EQ(ParseSeverity("noise").value(), Severity::kNoise);
  EXPECT_EQ(ParseSeverity("INFO").value(), Severity::kInfo);
  EXPECT_EQ(ParseSeverity("Warning").value(), Severity::kWarning);
  EXPECT_EQ(ParseSeverity("critical").value(), Severity::kCritical);
}

TEST(SeverityTest, ParsesWireValues) {
  EXPECT_EQ(ParseSeverity("1").value(), Severity::kNoise);
  EXPECT_EQ(ParseSeverity("4").value(), Severity::kCritical);
  EXPECT_EQ(SeverityFromInt(3).value(), Severity::kWarning);
}

TEST(SeverityTest, RejectsUnknownNamesAndOutOfRangeValues) {
  for (const char* bad : {"", "0", "5", "crit", "warningx", "10", " info"}) {
    const Result<Severity> r = ParseSeverity(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidResponse);
    EXPECT_NE(r.error().message.find("noise, info, warning, critical"), std::string::npos);
  }
  EXPECT_FALSE(SeverityFromInt(0));
  EXPECT_FALSE(SeverityFromInt(5));
  EXPECT_FALSE(SeverityFromInt(-1));
}

TEST(SeverityTest, RoundTripsThroughToString) {
  for (Severity s : {Severity::kNoise, Severity::kInfo, Severity::kWarning, Severity::kCritical}) {
    EXPECT_EQ(ParseSeverity(ToString(s)).value(), s);
  }
}

TEST(AlertStatusTest, ToStringAndParseAgree) {
  EXPECT_EQ(ToString(AlertStatus::kFiring), "firing");
  EXPECT_EQ(ToString(AlertStatus::kResolved), "resolved");
  EXPECT_EQ(ParseAlertStatus("firing").value(), AlertStatus::kFiring);
  EXPECT_EQ(ParseAlertStatus("resolved").value(), AlertStatus::kResolved);
}

TEST(AlertStatusTest, RejectsOtherSpellings) {
  for (const char* bad : {"", "Firing", "active", "suppressed"}) {
    const Result<AlertStatus> r = ParseAlertStatus(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
  }
}

TEST(ClassificationTest, DefaultsDescribeAnLlmAnswerWithNoAttempts) {
  const Classification c;
  EXPECT_EQ(c.source, "llm");
  EXPECT_EQ(c.attempts, 0);
  EXPECT_EQ(c.confidence, 0.0);
  EXPECT_TRUE(c.suggestions.empty());
}

TEST(AlertTest, DefaultAlertIsFiringWithNoEnd) {
  const Alert a;
  EXPECT_EQ(a.status, AlertStatus::kFiring);
  EXPECT_FALSE(a.ends_at.has_value());
}

}  // namespace
}  // namespace alertllm
