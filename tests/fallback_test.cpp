// SPDX-License-Identifier: Apache-2.0
// RuleBasedClassifier: every rule on a realistic alert, the status and label hints, bounds on
// what it quotes, and every real Alertmanager capture in tests/data.
#include "alertllm/fallback.hpp"
#include "alertllm/detail/quote.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "alertllm/webhook.hpp"

namespace alertllm {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Alert MakeAlert(std::string name, std::map<std::string, std::string> labels = {},
                AlertStatus status = AlertStatus::kFiring) {
  Alert alert;
  alert.alert_name = name;
  alert.status = status;
  alert.labels = std::move(labels);
  alert.labels["alertname"] = std::move(name);
  return alert;
}

// Written apart from the header's decoder so that the two cannot share a mistake: decodes each
// sequence to its code point and checks length, continuation bytes and range.
bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    int n = 0;
    unsigned cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b >> 5) == 0x6) {
      n = 1;
      cp = b & 0x1fu;
    } else if ((b >> 4) == 0xe) {
      n = 2;
      cp = b & 0x0fu;
    } else if ((b >> 3) == 0x1e) {
      n = 3;
      cp = b & 0x07u;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(n) >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((c >> 6) != 0x2) return false;
      cp = (cp << 6) | (c & 0x3fu);
    }
    static constexpr unsigned kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += static_cast<std::size_t>(n) + 1;
  }
  return true;
}

TEST(Utf8CheckerTest, AcceptsAndRejectsWhatItShould) {
  EXPECT_TRUE(IsValidUtf8("ascii ü 推 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xe6\x8e"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
}

struct RuleCase {
  std::string alert_name;
  std::string rule;
  Severity severity;
  std::string category;
};

void PrintTo(const RuleCase& c, std::ostream* os) { *os << c.alert_name; }

// Names as real rule sets spell them (kube-prometheus, node-mixin, blackbox, our own rules).
const std::vector<RuleCase>& RuleCases() {
  static const std::vector<RuleCase> cases = {
      {"LLMCircuitBreakerOpen", "llm_unavailable", Severity::kWarning, "llm"},
      {"LLMHighFailureRate", "llm_unavailable", Severity::kWarning, "llm"},
      {"AlertClassifierCircuitBreakerFlapping", "llm_unavailable", Severity::kWarning, "llm"},
      {"SSLCertificateExpired", "certificate_expired", Severity::kCritical, "security"},
      {"TLSCertExpiryCritical", "certificate_expired", Severity::kCritical, "security"},
      {"X509CertificateExpiringSoon", "certificate_expiry", Severity::kWarning, "security"},
      {"KubeContainerOOMKilled", "oom_killed", Severity::kCritical, "application"},
      {"OOMKilled", "oom_killed", Severity::kCritical, "application"},
      {"NodeOutOfMemory", "oom_killed", Severity::kCritical, "application"},
      {"KubePodCrashLooping", "crash_loop", Severity::kCritical, "application"},
      {"ContainerRestartingOften", "container_restarts", Severity::kWarning, "application"},
      {"DiskFull", "disk_full", Severity::kCritical, "storage"},
      {"NodeFilesystemAlmostOutOfSpace", "disk_full", Severity::kCritical, "storage"},
      {"NodeFilesystemSpaceFillingUp", "disk_space", Severity::kWarning, "storage"},
      {"KubePersistentVolumeFillingUp", "disk_space", Severity::kWarning, "storage"},
      {"NodeDown", "node_down", Severity::kCritical, "infrastructure"},
      {"InstanceDown", "node_down", Severity::kCritical, "infrastructure"},
      {"TargetDown", "node_down", Severity::kCritical, "infrastructure"},
      {"KubeNodeNotReady", "node_down", Severity::kCritical, "infrastructure"},
      {"PrometheusTargetMissing", "node_down", Severity::kCritical, "infrastructure"},
      {"BlackboxProbeUnreachable", "node_down", Severity::kCritical, "infrastructure"},
      {"BatchJobFailed", "job_failed", Severity::kWarning, "application"},
      {"KubeCronJobError", "job_failed", Severity::kWarning, "application"},
      {"HighCPUUsage", "high_cpu", Severity::kWarning, "performance"},
      {"CPUThrottlingHigh", "high_cpu", Severity::kWarning, "performance"},
      {"NodeHighLoadAverage", "high_cpu", Severity::kWarning, "performance"},
      {"HighMemoryUsage", "high_memory", Severity::kWarning, "performance"},
      {"NodeSwapUsageHigh", "high_memory", Severity::kWarning, "performance"},
      {"HighRequestLatency", "high_latency", Severity::kWarning, "performance"},
      {"APISlowResponses", "high_latency", Severity::kWarning, "performance"},
      {"HighErrorRate", "error_rate", Severity::kWarning, "application"},
      {"HTTP5xxRateHigh", "error_rate", Severity::kWarning, "application"},
      {"PrometheusConfigReloadFailed", "error_rate", Severity::kWarning, "application"},
      {"Watchdog", "default", Severity::kWarning, "general"},
      // Words that merely contain a keyword's letters do not trigger its rule.
      {"FullMoonParty", "default", Severity::kWarning, "general"},
      {"RoomTemperatureHigh", "default", Severity::kWarning, "general"},
      // Case and separators do not matter.
      {"node_down", "node_down", Severity::kCritical, "infrastructure"},
      {"DISK-FULL", "disk_full", Severity::kCritical, "storage"},
      {"highcpuusage", "high_cpu", Severity::kWarning, "performance"},
  };
  return cases;
}

class FallbackRuleTest : public testing::TestWithParam<RuleCase> {};

TEST_P(FallbackRuleTest, MatchesItsRule) {
  const RuleCase& c = GetParam();
  const Classification out =
      RuleBasedClassifier{}.Classify(MakeAlert(c.alert_name, {{"instance", "host-1:9100"}}));
  EXPECT_THAT(out.reasoning, HasSubstr("rule " + c.rule + ":"));
  EXPECT_EQ(out.severity, c.severity);
  EXPECT_EQ(out.category, c.category);
  EXPECT_THAT(out.summary, HasSubstr(c.alert_name));
  EXPECT_THAT(out.summary, HasSubstr("on host-1:9100"));
  EXPECT_FALSE(out.suggestions.empty());
  EXPECT_GT(out.confidence, 0.0);
  EXPECT_LE(out.confidence, 0.6);
}

std::string RuleLabelOf(const testing::TestParamInfo<RuleCase>& param) {
  std::string label;
  for (char ch : param.param.alert_name) {
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) {
      label += ch;
    }
  }
  return label + "_" + std::to_string(param.index);
}

INSTANTIATE_TEST_SUITE_P(Names, FallbackRuleTest, testing::ValuesIn(RuleCases()), RuleLabelOf);

TEST(FallbackTest, EveryRuleInTheTableHasACase) {
  std::set<std::string> covered;
  for (const RuleCase& c : RuleCases()) covered.insert(c.rule);
  for (const FallbackRule& rule : detail::kFallbackRules) {
    EXPECT_EQ(covered.count(std::string(rule.name)), 1u) << rule.name;
  }
  EXPECT_EQ(covered.count("default"), 1u);
}

TEST(FallbackTest, EveryRuleStaysAtOrBelowPointSixConfidence) {
  for (const FallbackRule& rule : detail::kFallbackRules) {
    EXPECT_GT(rule.confidence, 0.0) << rule.name;
    EXPECT_LE(rule.confidence, 0.6) << rule.name;
  }
  EXPECT_LE(detail::kDefaultFallbackRule.confidence, 0.6);
}

TEST(FallbackTest, FillsEveryField) {
  Alert alert = MakeAlert("NodeDown", {{"instance", "db-01:9100"}, {"namespace", "production"}});
  alert.annotations["summary"] = "Node db-01 is unreachable";
  const Classification out = RuleBasedClassifier{}.Classify(alert);
  EXPECT_EQ(out.severity, Severity::kCritical);
  EXPECT_EQ(out.category, "infrastructure");
  EXPECT_EQ(out.summary,
            "Node or scrape target down: NodeDown on db-01:9100 in production "
            "(Node db-01 is unreachable)");
  EXPECT_EQ(out.confidence, 0.6);
  EXPECT_EQ(out.reasoning,
            "Rule-based fallback, rule node_down: the alert name 'NodeDown' contains 'down'; "
            "severity critical from the rule. The LLM was not consulted.");
  ASSERT_EQ(out.suggestions.size(), 3u);
  EXPECT_EQ(out.suggestions[0],
            "Check whether db-01:9100 answers: ping it and curl its metrics endpoint");
  EXPECT_THAT(out.suggestions[1], HasSubstr("up{instance=\"db-01:9100\"}"));
  EXPECT_EQ(out.source, "fallback");
  EXPECT_EQ(out.attempts, 0);
  EXPECT_TRUE(out.fallback_reason.empty());
  EXPECT_TRUE(out.request_id.empty());
  EXPECT_EQ(out.processing_time.count(), 0);
}

TEST(FallbackTest, UnmatchedAlertGetsTheDefault) {
  const Classification out = RuleBasedClassifier{}.Classify(MakeAlert("Watchdog"));
  EXPECT_EQ(out.severity, Severity::kWarning);
  EXPECT_EQ(out.category, "general");
  EXPECT_EQ(out.confidence, 0.2);
  EXPECT_THAT(out.reasoning, HasSubstr("no rule matches the alert name 'Watchdog'"));
  EXPECT_THAT(out.suggestions.at(0), HasSubstr("the affected host"));
}

TEST(FallbackTest, AlertWithoutAnyNameGetsTheDefault) {
  const Classification out = RuleBasedClassifier{}.Classify(Alert{});
  EXPECT_EQ(out.category, "general");
  EXPECT_THAT(out.summary, HasSubstr("(unnamed)"));
}

TEST(FallbackTest, AlertnameLabelWinsOverTheField) {
  Alert alert = MakeAlert("DiskFull");
  alert.alert_name = "HighCPUUsage";
  EXPECT_EQ(RuleBasedClassifier{}.Classify(alert).category, "storage");
}

TEST(FallbackTest, FieldNameIsUsedWithoutAnAlertnameLabel) {
  Alert alert;
  alert.alert_name = "DiskFull";
  EXPECT_EQ(RuleBasedClassifier{}.Classify(alert).category, "storage");
}

TEST(FallbackTest, ResolvedAlertIsInfoWithAResolvedSummary) {
  const Classification out = RuleBasedClassifier{}.Classify(
      MakeAlert("NodeDown", {{"severity", "critical"}, {"instance", "db-01:9100"}},
                AlertStatus::kResolved));
  EXPECT_EQ(out.severity, Severity::kInfo);
  EXPECT_EQ(out.category, "infrastructure");
  EXPECT_THAT(out.summary, StartsWith("Resolved: Node or scrape target down: NodeDown"));
  EXPECT_THAT(out.reasoning, HasSubstr("severity info because the alert is resolved"));
  EXPECT_THAT(out.suggestions.at(0), HasSubstr("stays resolved"));
  EXPECT_LE(out.confidence, 0.6);
}

TEST(FallbackTest, SeverityLabelIsHonouredAsAHint) {
  const RuleBasedClassifier classifier;
  const Classification cpu =
      classifier.Classify(MakeAlert("HighCPUUsage", {{"severity", "critical"}}));
  EXPECT_EQ(cpu.severity, Severity::kCritical);
  EXPECT_THAT(cpu.reasoning, HasSubstr("severity critical from the label severity='critical'"));
  EXPECT_EQ(classifier.Classify(MakeAlert("NodeDown", {{"severity", "info"}})).severity,
            Severity::kInfo);
  EXPECT_EQ(classifier.Classify(MakeAlert("Watchdog", {{"severity", "none"}})).severity,
            Severity::kNoise);
}

TEST(FallbackTest, SeverityLabelSynonymsAndCaseAreUnderstood) {
  const RuleBasedClassifier classifier;
  EXPECT_EQ(classifier.Classify(MakeAlert("Watchdog", {{"severity", "PAGE"}})).severity,
            Severity::kCritical);
  EXPECT_EQ(classifier.Classify(MakeAlert("NodeDown", {{"severity", "Warn"}})).severity,
            Severity::kWarning);
  EXPECT_EQ(classifier.Classify(MakeAlert("NodeDown", {{"severity", "low"}})).severity,
            Severity::kInfo);
}

TEST(FallbackTest, UnknownSeverityLabelLeavesTheRuleSeverityAndSaysSo) {
  const Classification out =
      RuleBasedClassifier{}.Classify(MakeAlert("NodeDown", {{"severity", "sev2"}}));
  EXPECT_EQ(out.severity, Severity::kCritical);
  EXPECT_THAT(out.reasoning, HasSubstr("label severity='sev2' not recognised"));
}

TEST(FallbackTest, SuggestionsNameTheAlertsLabels) {
  const Classification out = RuleBasedClassifier{}.Classify(MakeAlert(
      "DiskFull", {{"instance", "storage-03:9100"}, {"mountpoint", "/var/lib/postgresql"}}));
  ASSERT_FALSE(out.suggestions.empty());
  EXPECT_EQ(out.suggestions[0],
            "Check disk usage with df -h /var/lib/postgresql and inodes with df -i on "
            "storage-03:9100");
}

TEST(FallbackTest, PodSuggestionsNameThePodAndNamespace) {
  const Classification out = RuleBasedClassifier{}.Classify(MakeAlert(
      "KubePodCrashLooping", {{"pod", "api-7d9f"}, {"namespace", "prod"}, {"container", "api"}}));
  ASSERT_FALSE(out.suggestions.empty());
  EXPECT_EQ(out.suggestions[0],
            "Read the crashed container's logs: kubectl logs api-7d9f -n prod -c api --previous");
}

TEST(FallbackTest, RunbookAnnotationBecomesASuggestion) {
  Alert alert = MakeAlert("HighCPUUsage");
  alert.annotations["runbook_url"] = "https://runbooks.example.com/HighCPUUsage";
  const Classification out = RuleBasedClassifier{}.Classify(alert);
  EXPECT_EQ(out.suggestions.back(),
            "Follow the runbook: https://runbooks.example.com/HighCPUUsage");
}

TEST(FallbackTest, IsDeterministic) {
  Alert alert = MakeAlert("KubePodCrashLooping", {{"pod", "p"}, {"severity", "warning"}});
  alert.annotations["summary"] = "crash";
  const Classification a = RuleBasedClassifier{}.Classify(alert);
  for (int i = 0; i < 3; ++i) {
    const Classification b = RuleBasedClassifier{}.Classify(alert);
    EXPECT_EQ(a.severity, b.severity);
    EXPECT_EQ(a.category, b.category);
    EXPECT_EQ(a.summary, b.summary);
    EXPECT_EQ(a.confidence, b.confidence);
    EXPECT_EQ(a.reasoning, b.reasoning);
    EXPECT_EQ(a.suggestions, b.suggestions);
  }
}

void ExpectBoundedValidText(const Classification& out) {
  EXPECT_LE(out.summary.size(), 1024u);
  EXPECT_TRUE(IsValidUtf8(out.summary));
  EXPECT_EQ(out.summary.find('\n'), std::string::npos);
  EXPECT_LE(out.reasoning.size(), 1024u);
  EXPECT_TRUE(IsValidUtf8(out.reasoning));
  for (const std::string& s : out.suggestions) {
    EXPECT_LE(s.size(), 1024u);
    EXPECT_TRUE(IsValidUtf8(s)) << s;
  }
}

TEST(FallbackTest, HugeMultibyteValuesAreClippedToValidUtf8) {
  std::string two_byte;
  for (int i = 0; i < 200'000; ++i) two_byte += "ü";
  std::string three_byte = "x";  // shifts the 3-byte characters off any 200-byte boundary
  for (int i = 0; i < 200'000; ++i) three_byte += "推";
  Alert alert = MakeAlert("DiskFull", {{"instance", two_byte},
                                       {"namespace", three_byte},
                                       {"mountpoint", three_byte},
                                       {"severity", three_byte}});
  alert.annotations["summary"] = two_byte + "\n" + three_byte;
  alert.annotations["runbook_url"] = three_byte;
  const Classification out = RuleBasedClassifier{}.Classify(alert);
  ExpectBoundedValidText(out);
  EXPECT_THAT(out.summary, HasSubstr("..."));
}

TEST(FallbackTest, InvalidBytesAndControlCharactersNeverReachTheText) {
  Alert alert = MakeAlert("NodeDown\xff\xfe", {{"instance", "a\xc0\xaf" "b\r\nc"},
                                               {"namespace", std::string("n\0s", 3)}});
  alert.annotations["summary"] = "\xed\xa0\x80 surrogate \xe6\x8e";
  const Classification out = RuleBasedClassifier{}.Classify(alert);
  ExpectBoundedValidText(out);
  EXPECT_EQ(out.category, "infrastructure");
  EXPECT_THAT(out.summary, HasSubstr("on a??b??c in n?s"));
}

TEST(FallbackTest, HugeAlertNameStillMatchesAndIsClipped) {
  const Classification out =
      RuleBasedClassifier{}.Classify(MakeAlert("NodeDown" + std::string(1'000'000, 'x')));
  EXPECT_EQ(out.category, "infrastructure");
  ExpectBoundedValidText(out);
}

TEST(ClipTest, KeepsTextThatFits) {
  const std::string text(200, 'a');
  EXPECT_EQ(detail::Clip(text, 200), text);
}

TEST(ClipTest, CutsLongTextAndMarksTheCut) {
  EXPECT_EQ(detail::Clip(std::string(201, 'a'), 200), std::string(200, 'a') + "...");
}

TEST(ClipTest, NeverSplitsACharacter) {
  // "x" + 3-byte characters: a cut at 200 bytes would fall inside the 67th character.
  std::string text = "x";
  for (int i = 0; i < 100; ++i) text += "推";
  const std::string out = detail::Clip(text, 200);
  EXPECT_EQ(out.size(), 1u + 66u * 3u + 3u);
  EXPECT_TRUE(IsValidUtf8(out));
}

TEST(ClipTest, ReplacesInvalidBytesAndControls) {
  EXPECT_EQ(detail::Clip("a\xff\tb\x7f"), "a??b?");
  EXPECT_EQ(detail::Clip("\xf4\x90\x80\x80"), "????");  // above U+10FFFF
}

TEST(QuoteTest, QuotesTheClippedText) {
  EXPECT_EQ(detail::Quote("5s\nLLM_FAKE"), "'5s?LLM_FAKE'");
  EXPECT_EQ(detail::Quote(std::string(65, 'a')), "'" + std::string(64, 'a') + "...'");
}

// Every real capture in tests/data: each alert gets a bounded, honest, fallback-marked answer.
TEST(FallbackTest, EveryRealCaptureGetsALowConfidenceFallbackAnswer) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(ALERTLLM_TEST_DATA_DIR)) {
    const std::string file = entry.path().filename().string();
    if (file.starts_with("alertmanager_webhook_") && file.ends_with(".json")) {
      files.push_back(entry.path());
    }
  }
  ASSERT_EQ(files.size(), 18u);
  std::size_t alerts_seen = 0;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    const auto alerts = ParseAlertmanagerWebhook(body.str());
    ASSERT_TRUE(alerts.has_value()) << path << ": " << alerts.error().message;
    for (const Alert& alert : *alerts) {
      SCOPED_TRACE(path.filename().string() + " " + alert.alert_name);
      ++alerts_seen;
      const Classification out = RuleBasedClassifier{}.Classify(alert);
      EXPECT_LE(out.confidence, 0.6);
      EXPECT_GT(out.confidence, 0.0);
      EXPECT_EQ(out.source, "fallback");
      EXPECT_NE(out.category, "general") << "a real capture fell through to the default rule";
      EXPECT_FALSE(out.suggestions.empty());
      ExpectBoundedValidText(out);
      if (alert.status == AlertStatus::kResolved) {
        EXPECT_EQ(out.severity, Severity::kInfo);
        EXPECT_THAT(out.summary, StartsWith("Resolved: "));
      } else {
        EXPECT_NE(out.severity, Severity::kNoise);
      }
    }
  }
  EXPECT_GE(alerts_seen, 18u);
}

TEST(FallbackTest, RealCapturesGetTheExpectedRules) {
  struct Expected {
    const char* prefix;
    Severity severity;
    const char* category;
  };
  const Expected expected[] = {
      {"alertmanager_webhook_02_", Severity::kCritical, "infrastructure"},
      {"alertmanager_webhook_03_", Severity::kCritical, "storage"},
      {"alertmanager_webhook_04_", Severity::kInfo, "application"},  // label severity=info
      {"alertmanager_webhook_05_", Severity::kWarning, "application"},  // label severity=warning
      {"alertmanager_webhook_09_", Severity::kWarning, "llm"},
      {"alertmanager_webhook_14_", Severity::kCritical, "llm"},  // label severity=critical
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.prefix);
    std::string body;
    for (const auto& entry : std::filesystem::directory_iterator(ALERTLLM_TEST_DATA_DIR)) {
      if (entry.path().filename().string().starts_with(e.prefix)) {
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        body = s.str();
      }
    }
    const auto alerts = ParseAlertmanagerWebhook(body);
    ASSERT_TRUE(alerts.has_value() && !alerts->empty());
    const Classification out = RuleBasedClassifier{}.Classify(alerts->front());
    EXPECT_EQ(out.severity, e.severity);
    EXPECT_EQ(out.category, e.category);
  }
}

}  // namespace
}  // namespace alertllm
