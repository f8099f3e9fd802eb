// SPDX-License-Identifier: Apache-2.0
#include "classify_cli.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/captures.hpp"

namespace alertllm::cli {
namespace {

using namespace std::chrono_literals;

// A capture in testdata/alertmanager by its file name.
std::string ReadCapture(const std::string& name) {
  return test::ReadFile(test::TestdataDir() / "alertmanager" / name);
}

constexpr const char* kAlertLine =
    R"({"status":"firing","labels":{"alertname":"DiskFull","instance":"s3:9100"},)"
    R"("startsAt":"2026-11-26T06:02:11Z","fingerprint":"1a2b3c4d5e6f7081"})";
constexpr const char* kWebhookLine =
    R"({"version":"4","alerts":[{"status":"resolved","labels":{"alertname":"NodeDown"},)"
    R"("startsAt":"2026-11-26T05:40:00Z","endsAt":"2026-11-26T06:07:30Z",)"
    R"("fingerprint":"3c4d5e6f708192a3"}]})";

Alert SampleAlert() {
  Alert alert;
  alert.fingerprint = "6a2aef0e79b75718";
  alert.alert_name = "HighCPUUsage";
  return alert;
}

Classification SampleClassification() {
  Classification c;
  c.severity = Severity::kWarning;
  c.category = "performance";
  c.summary = "CPU above 90% on web-01";
  c.confidence = 0.85;
  c.attempts = 1;
  return c;
}

// --- input detection and parsing

TEST(DetectInputFormatTest, OpeningBracketIsAnArray) {
  EXPECT_EQ(DetectInputFormat("  \n[{}]"), InputFormat::kArray);
}

TEST(DetectInputFormatTest, PrettyPrintedObjectIsOneObject) {
  EXPECT_EQ(DetectInputFormat("{\n  \"alerts\": []\n}\n"), InputFormat::kObject);
}

TEST(DetectInputFormatTest, OneLineObjectIsOneObject) {
  EXPECT_EQ(DetectInputFormat(std::string(kWebhookLine) + "\n\n"), InputFormat::kObject);
}

TEST(DetectInputFormatTest, WholeObjectsOnSeveralLinesAreNdjson) {
  EXPECT_EQ(DetectInputFormat(std::string(kAlertLine) + "\n" + kWebhookLine + "\n"),
            InputFormat::kNdjson);
}

TEST(DetectInputFormatTest, BlankIsEmptyAndOtherTextUnknown) {
  EXPECT_EQ(DetectInputFormat(" \r\n\t"), InputFormat::kEmpty);
  EXPECT_EQ(DetectInputFormat("alerts: []"), InputFormat::kUnknown);
}

TEST(DetectInputFormatTest, SkipsAByteOrderMark) {
  EXPECT_EQ(DetectInputFormat("\xEF\xBB\xBF[]"), InputFormat::kArray);
}

TEST(ParseInputTest, WebhookCaptureGivesItsAlertsInOrder) {
  const auto alerts = ParseInput(
      "06.json", ReadCapture("alertmanager_webhook_06_HighCPUUsage_grouped_2_firing.json"));
  ASSERT_TRUE(alerts.has_value()) << alerts.error().message;
  ASSERT_EQ(alerts->size(), 2u);
  EXPECT_EQ((*alerts)[0].fingerprint, "6a2aef0e79b75718");
  EXPECT_EQ((*alerts)[1].fingerprint, "d9e054c1a71d5381");
}

TEST(ParseInputTest, ArrayOfAlerts) {
  const auto alerts =
      ParseInput("a.json", "[\n" + std::string(kAlertLine) + ",\n" + kAlertLine + "\n]\n");
  ASSERT_TRUE(alerts.has_value()) << alerts.error().message;
  ASSERT_EQ(alerts->size(), 2u);
  EXPECT_EQ((*alerts)[1].alert_name, "DiskFull");
}

TEST(ParseInputTest, SingleAlertObjectWithoutFingerprintGetsItComputed) {
  const auto alerts = ParseInput("one.json",
                                 "{\n\"status\":\"firing\",\"labels\":{\"alertname\":\"X\"},"
                                 "\"startsAt\":\"2026-01-01T00:00:00Z\"}");
  ASSERT_TRUE(alerts.has_value()) << alerts.error().message;
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].fingerprint, Fingerprint({{"alertname", "X"}}));
}

TEST(ParseInputTest, NdjsonMixesAlertsAndWebhookBodiesAndSkipsBlankLines) {
  const auto alerts =
      ParseInput("in.ndjson", std::string(kAlertLine) + "\r\n\n" + kWebhookLine + "\n");
  ASSERT_TRUE(alerts.has_value()) << alerts.error().message;
  ASSERT_EQ(alerts->size(), 2u);
  EXPECT_EQ((*alerts)[0].fingerprint, "1a2b3c4d5e6f7081");
  EXPECT_EQ((*alerts)[1].fingerprint, "3c4d5e6f708192a3");
  EXPECT_EQ((*alerts)[1].status, AlertStatus::kResolved);
}

TEST(ParseInputTest, NdjsonErrorNamesFileAndLine) {
  const auto alerts = ParseInput(
      "in.ndjson", std::string(kAlertLine) + "\n\n" + R"({"labels":{"alertname":"X"}})" + "\n");
  ASSERT_FALSE(alerts.has_value());
  EXPECT_EQ(alerts.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(alerts.error().message, "in.ndjson:3: status: missing");
}

TEST(ParseInputTest, NdjsonMalformedLineNamesLineAndColumn) {
  // The lexer gives up on "nope" at its second byte, column 13.
  const auto alerts = ParseInput("in.ndjson", std::string(kAlertLine) + "\n{\"status\": nope}\n");
  ASSERT_FALSE(alerts.has_value());
  EXPECT_TRUE(alerts.error().message.starts_with("in.ndjson:2:13: malformed JSON: "))
      << alerts.error().message;
}

TEST(ParseInputTest, MalformedDocumentNamesLineAndColumn) {
  const auto alerts = ParseInput("x.json", "{\n  \"alerts\": [\n    garbage\n  ]\n}\n");
  ASSERT_FALSE(alerts.has_value());
  EXPECT_TRUE(alerts.error().message.starts_with("x.json:3:5: malformed JSON: syntax error"))
      << alerts.error().message;
}

TEST(ParseInputTest, ArrayElementErrorNamesItsIndex) {
  const auto alerts = ParseInput("a.json", "[" + std::string(kAlertLine) + ", {\"labels\":{}}]");
  ASSERT_FALSE(alerts.has_value());
  EXPECT_EQ(alerts.error().message, "a.json: [1].status: missing");
}

TEST(ParseInputTest, WebhookErrorKeepsTheLibrarysPath) {
  const auto alerts = ParseInput("w.json", R"({"version":"4","alerts":[{"status":"firing"}]})");
  ASSERT_FALSE(alerts.has_value());
  EXPECT_EQ(alerts.error().message, "w.json: alerts[0].labels: missing");
}

TEST(ParseInputTest, StdinIsNamedAndEmptyInputRejected) {
  const auto alerts = ParseInput("-", "\n  \n");
  ASSERT_FALSE(alerts.has_value());
  EXPECT_EQ(alerts.error().message, "<stdin>: empty input");
}

TEST(ParseInputTest, TextThatIsNotJsonIsRejectedWithItsPosition) {
  const auto alerts = ParseInput("LICENSE", "\n   Apache License\n");
  ASSERT_FALSE(alerts.has_value());
  EXPECT_TRUE(alerts.error().message.starts_with("LICENSE:2:4: not JSON"))
      << alerts.error().message;
}

TEST(ParseInputTest, EmptyWebhookGivesNoAlerts) {
  const auto alerts = ParseInput("w.json", R"({"version":"4","alerts":[]})");
  ASSERT_TRUE(alerts.has_value()) << alerts.error().message;
  EXPECT_TRUE(alerts->empty());
}

// --- flags and configuration

TEST(ParseArgsTest, DefaultsReadStdinAsJudgedByTheTerminal) {
  const auto options = ParseArgs({});
  ASSERT_TRUE(options.has_value());
  EXPECT_TRUE(options->inputs.empty());
  EXPECT_FALSE(options->format.has_value());
  EXPECT_FALSE(options->max_in_flight.has_value());
  EXPECT_FALSE(options->no_cache);
  EXPECT_FALSE(options->stats);
}

TEST(ParseArgsTest, ReadsEveryFlagInBothForms) {
  const auto options = ParseArgs({"--format", "jsonl", "--concurrency=1024", "--no-cache",
                                  "--stats", "--metrics-out", "m.prom", "--base-url=http://h:1",
                                  "--protocol", "openai", "--model", "m", "--fallback=rules",
                                  "--timeout", "1m30s", "--max-retries", "0", "a.json", "-"});
  ASSERT_TRUE(options.has_value()) << options.error().message;
  EXPECT_EQ(options->format, OutputFormat::kJsonl);
  EXPECT_EQ(options->max_in_flight, 1024);
  EXPECT_TRUE(options->no_cache);
  EXPECT_TRUE(options->stats);
  EXPECT_EQ(options->metrics_out, "m.prom");
  EXPECT_EQ(options->llm.base_url, "http://h:1");
  EXPECT_EQ(options->llm.protocol, Protocol::kOpenAI);
  EXPECT_EQ(options->llm.model, "m");
  EXPECT_EQ(options->llm.fallback, FallbackMode::kRules);
  EXPECT_EQ(options->llm.timeout, std::chrono::milliseconds(90000));
  EXPECT_EQ(options->max_retries, 0);
  EXPECT_EQ(options->inputs, (std::vector<std::string>{"a.json", "-"}));
}

TEST(ParseArgsTest, DoubleDashEndsTheFlags) {
  const auto options = ParseArgs({"--", "--stats"});
  ASSERT_TRUE(options.has_value());
  EXPECT_FALSE(options->stats);
  EXPECT_EQ(options->inputs, (std::vector<std::string>{"--stats"}));
}

TEST(ParseArgsTest, RejectsBadValuesNamingTheFlag) {
  const std::vector<std::vector<std::string_view>> bad = {
      {"--format", "xml"},     {"--concurrency", "0"},
      {"--concurrency", "x"},  {"--concurrency", "1025"},
      {"--protocol", "grpc"},  {"--no-cache=yes"},
      {"--fallback", "yes"},   {"--timeout", "abc"},
      {"--max-retries", "-1"}, {"--model"},
      {"--metrics-out="}};
  for (const auto& args : bad) {
    const auto options = ParseArgs(args);
    ASSERT_FALSE(options.has_value()) << args[0];
    const std::string_view flag = args[0].substr(0, args[0].find('='));
    EXPECT_TRUE(options.error().message.starts_with(std::string(flag) + ": "))
        << options.error().message;
  }
}

TEST(ParseArgsTest, RejectsUnknownOptions) {
  const auto options = ParseArgs({"--api-key-env", "X"});
  ASSERT_FALSE(options.has_value());
  EXPECT_EQ(options.error().message, "unknown option --api-key-env");
}

TEST(ApplyOptionsTest, FlagsOverrideTheEnvironment) {
  Options options;
  options.llm.base_url = "http://127.0.0.1:9";
  options.llm.protocol = Protocol::kOpenAI;
  options.llm.fallback = FallbackMode::kRules;
  options.llm.timeout = 2s;
  options.max_retries = 0;
  const auto config = ApplyOptions(DefaultConfig(), options);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->base_url, "http://127.0.0.1:9");
  EXPECT_EQ(config->protocol, Protocol::kOpenAI);
  EXPECT_EQ(config->fallback, FallbackMode::kRules);
  EXPECT_EQ(config->timeout, 2s);
  EXPECT_EQ(config->max_retries, 0);
}

TEST(ApplyOptionsTest, ConcurrencyAndNoCacheOverrideOnlyWhenGiven) {
  Config base = DefaultConfig();
  base.concurrency.max_in_flight = 7;
  const auto untouched = ApplyOptions(base, Options{});
  ASSERT_TRUE(untouched.has_value()) << untouched.error().message;
  EXPECT_EQ(untouched->concurrency.max_in_flight, 7);
  EXPECT_TRUE(untouched->cache.enabled);

  Options options;
  options.max_in_flight = 3;
  options.no_cache = true;
  const auto config = ApplyOptions(base, options);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->concurrency.max_in_flight, 3);
  EXPECT_FALSE(config->cache.enabled);
}

TEST(ChunkSizeTest, IsFourTimesMaxInFlight) {
  Config config = DefaultConfig();
  EXPECT_EQ(ChunkSize(config), 64u);
  config.concurrency.max_in_flight = 1;
  EXPECT_EQ(ChunkSize(config), 4u);
}

TEST(ApplyOptionsTest, InvalidResultGivesValidatesMessage) {
  Options options;
  options.llm.base_url = "ftp://example.com";
  const auto config = ApplyOptions(DefaultConfig(), options);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message, "base_url: must start with http:// or https://");
}

// --- output

TEST(FormatJsonLineTest, SuccessHasTheDocumentedKeysInOrder) {
  EXPECT_EQ(FormatJsonLine(SampleAlert(), SampleClassification()),
            R"({"fingerprint":"6a2aef0e79b75718","alertname":"HighCPUUsage","ok":true,)"
            R"("source":"llm","severity":"warning","severity_adjusted":false,"confidence":0.85,)"
            R"("category":"performance","summary":"CPU above 90% on web-01","attempts":1})");
}

TEST(FormatJsonLineTest, FallbackAnswerCarriesItsReason) {
  Classification c = SampleClassification();
  c.source = "fallback";
  c.attempts = 0;
  c.fallback_reason = "circuit_breaker_open: circuit open";
  const std::string line = FormatJsonLine(SampleAlert(), c);
  EXPECT_TRUE(
      line.ends_with(R"("attempts":0,"fallback_reason":"circuit_breaker_open: circuit open"})"))
      << line;
}

TEST(FormatJsonLineTest, FailureHasNullsAndTheErrorCategory) {
  const Result<Classification> failed =
      Error{ErrorCode::kNetworkError, "connection refused", 0, std::nullopt, 1};
  EXPECT_EQ(FormatJsonLine(SampleAlert(), failed),
            R"({"fingerprint":"6a2aef0e79b75718","alertname":"HighCPUUsage","ok":false,)"
            R"("source":null,"severity":null,"severity_adjusted":null,"confidence":null,)"
            R"("category":null,"summary":null,"attempts":1,)"
            R"("error":{"category":"network_error","message":"connection refused"}})");
}

TEST(FormatJsonLineTest, InvalidUtf8IsReplacedNotThrown) {
  Classification c = SampleClassification();
  c.summary = "bad \xff byte";
  EXPECT_NE(FormatJsonLine(SampleAlert(), c).find("bad \xEF\xBF\xBD byte"), std::string::npos);
}

TEST(ClipToWidthTest, ShortTextIsKept) { EXPECT_EQ(ClipToWidth("abc", 3), "abc"); }

TEST(ClipToWidthTest, LongTextIsCutWithAnEllipsisInTheWidth) {
  EXPECT_EQ(ClipToWidth("abcdef", 4), "abc\u2026");
  EXPECT_EQ(DisplayWidth(ClipToWidth("abcdef", 4)), 4u);
}

TEST(ClipToWidthTest, CutsOnCharacterBoundaries) {
  // "ÄÖÜ€" is four characters in nine bytes.
  EXPECT_EQ(ClipToWidth("\xC3\x84\xC3\x96\xC3\x9C\xE2\x82\xAC", 3), "\xC3\x84\xC3\x96\u2026");
  EXPECT_EQ(ClipToWidth("\xC3\x84\xC3\x96\xC3\x9C\xE2\x82\xAC", 4),
            "\xC3\x84\xC3\x96\xC3\x9C\xE2\x82\xAC");
}

TEST(ClipToWidthTest, ControlCharactersAndInvalidBytesAreReplaced) {
  EXPECT_EQ(ClipToWidth("a\nb\xff\xC3", 10), "a b??");
}

TEST(TableTest, HeaderNamesTheColumns) {
  const TableLayout layout = LayoutTable({SampleAlert()}, std::nullopt);
  EXPECT_EQ(FormatTableHeader(layout),
            "FINGERPRINT       ALERTNAME     SEVERITY  CONF  SOURCE    SUMMARY");
}

TEST(TableTest, RowAlignsUnderTheHeader) {
  const TableLayout layout = LayoutTable({SampleAlert()}, std::nullopt);
  EXPECT_EQ(FormatTableRow(layout, SampleAlert(), SampleClassification()),
            "6a2aef0e79b75718  HighCPUUsage  warning   0.85  llm       CPU above 90% on web-01");
}

TEST(TableTest, FailureShowsErrorAndCategory) {
  const TableLayout layout = LayoutTable({SampleAlert()}, std::nullopt);
  const Result<Classification> failed = Error{ErrorCode::kTimeout, "deadline passed"};
  EXPECT_EQ(FormatTableRow(layout, SampleAlert(), failed),
            "6a2aef0e79b75718  HighCPUUsage  ERROR     -     -         "
            "ERROR timeout: deadline passed");
}

TEST(TableTest, SummaryTakes60ColumnsWithoutATerminal) {
  EXPECT_EQ(LayoutTable({SampleAlert()}, std::nullopt).summary, 60u);
}

TEST(TableTest, SummaryFillsTheTerminal) {
  // 16 + 12 + 8 + 4 + 8 columns and five gaps of two: 58.
  EXPECT_EQ(LayoutTable({SampleAlert()}, 120).summary, 62u);
  EXPECT_EQ(LayoutTable({SampleAlert()}, 40).summary, 20u);
}

TEST(TableTest, LongSummaryIsClippedToItsColumn) {
  const TableLayout layout = LayoutTable({SampleAlert()}, std::nullopt);
  Classification c = SampleClassification();
  c.summary = std::string(100, 'x');
  const std::string row = FormatTableRow(layout, SampleAlert(), c);
  EXPECT_EQ(DisplayWidth(row), 58u + 60u);
}

TEST(FormatStatsJsonTest, FreshBreakerIsClosedWithNoTimes) {
  EXPECT_EQ(FormatStatsJson(CircuitBreakerStats{}, TokenUsage{}, std::chrono::steady_clock::now()),
            R"({"state":"closed","failure_count":0,"success_count":0,"consecutive_failures":0,)"
            R"("consecutive_successes":0,"total_calls":0,"failure_rate":0.0,)"
            R"("slow_call_rate":0.0,"blocked_count":0,"ignored_count":0,)"
            R"("last_failure_seconds_ago":null,"last_success_seconds_ago":null,)"
            R"("last_state_change_seconds_ago":null,"next_retry_in_seconds":null,)"
            R"("tokens":{"input":0,"output":0,"cached_input":0}})");
}

TEST(FormatStatsJsonTest, OpenBreakerReportsWhenItRetries) {
  const auto now = std::chrono::steady_clock::time_point(100s);
  CircuitBreakerStats stats;
  stats.state = CircuitState::kOpen;
  stats.last_failure = now - 2s;
  stats.next_retry_at = now + 28s;
  const std::string json = FormatStatsJson(stats, TokenUsage{}, now);
  EXPECT_NE(json.find(R"("state":"open")"), std::string::npos);
  EXPECT_NE(json.find(R"("last_failure_seconds_ago":2.0)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("next_retry_in_seconds":28.0)"), std::string::npos) << json;
}

TEST(FormatProgressTest, ShowsBarCountsAndPercent) {
  EXPECT_EQ(FormatProgress(3, 12, 2 + 10 + 11), "[##--------]  3/12  25%");
}

// The classification loop: classify_run_test.cpp.

}  // namespace
}  // namespace alertllm::cli
