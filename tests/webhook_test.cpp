// SPDX-License-Identifier: Apache-2.0
#include "alertllm/webhook.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/captures.hpp"

namespace alertllm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using test::CaptureFiles;
using test::ReadFile;

// The capture whose name starts with alertmanager_webhook_<number>_.
std::string ReadCapture(std::string_view number) {
  const std::string prefix = "alertmanager_webhook_" + std::string(number) + "_";
  std::string body = test::ReadCapture(prefix);
  if (body.empty()) ADD_FAILURE() << "no capture " << prefix << "*";
  return body;
}

std::vector<Alert> ParseOk(std::string_view body) {
  auto alerts = ParseAlertmanagerWebhook(body);
  if (!alerts) {
    ADD_FAILURE() << alerts.error().message;
    return {};
  }
  return *std::move(alerts);
}

Error ParseFails(std::string_view body) {
  auto alerts = ParseAlertmanagerWebhook(body);
  if (alerts) {
    ADD_FAILURE() << "parsed " << alerts->size() << " alerts from " << body.substr(0, 200);
    return Error{};
  }
  return alerts.error();
}

// Every occurrence of `from` replaced with `to`; `from` must occur.
std::string Replace(std::string text, std::string_view from, std::string_view to) {
  std::size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  while (pos != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos = text.find(from, pos + to.size());
  }
  return text;
}

// Every `"<key>":"<string value>"` member removed, with the comma before it.
std::string RemoveStringMember(std::string text, std::string_view key) {
  const std::string needle = ",\"" + std::string(key) + "\":\"";
  std::size_t pos = text.find(needle);
  EXPECT_NE(pos, std::string::npos) << key;
  while (pos != std::string::npos) {
    const std::size_t end = text.find('"', pos + needle.size());
    text.erase(pos, end + 1 - pos);
    pos = text.find(needle, pos);
  }
  return text;
}

constexpr std::string_view kAlert =
    R"({"status":"firing","labels":{"alertname":"NodeDown","severity":"critical"},)"
    R"("annotations":{"summary":"Node is down"},"startsAt":"2026-11-26T05:19:51.134Z",)"
    R"("endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph",)"
    R"("fingerprint":"0123456789abcdef"})";

std::string Envelope(std::string_view alerts) {
  return R"({"receiver":"r","status":"firing","alerts":[)" + std::string(alerts) +
         R"(],"version":"4"})";
}

// The envelope around kAlert with `from` replaced by `to`.
std::string AlertWith(std::string_view from, std::string_view to) {
  return Envelope(Replace(std::string(kAlert), from, to));
}

std::string StartsAtError(std::string_view starts_at) {
  return ParseFails(AlertWith("2026-11-26T05:19:51.134Z", starts_at)).message;
}

std::int64_t EpochNanos(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

constexpr std::int64_t kNanosPerSecond = 1000000000;

TEST(WebhookTest, EveryCaptureParses) {
  const auto files = CaptureFiles();
  ASSERT_GE(files.size(), 18u);
  for (const auto& path : files) {
    auto alerts = ParseAlertmanagerWebhook(ReadFile(path));
    ASSERT_TRUE(alerts) << path.filename() << ": " << alerts.error().message;
    EXPECT_FALSE(alerts->empty()) << path.filename();
  }
}

struct CaptureExpectation {
  std::string_view number;
  std::vector<AlertStatus> statuses;
  std::vector<std::string_view> fingerprints;
};

const std::vector<CaptureExpectation>& Expectations() {
  constexpr auto kF = AlertStatus::kFiring;
  constexpr auto kR = AlertStatus::kResolved;
  static const std::vector<CaptureExpectation> expectations = {
      {"01", {kF}, {"6a2aef0e79b75718"}},
      {"02", {kF}, {"4bb1a30b9aef49c2"}},
      {"03", {kF}, {"62f3e93b6d13e589"}},
      {"04", {kF}, {"bb3ac37262d82cbf"}},
      {"05", {kF}, {"b35e315442a768e2"}},
      {"06", {kF, kF}, {"6a2aef0e79b75718", "d9e054c1a71d5381"}},
      {"07", {kR}, {"4bb1a30b9aef49c2"}},
      {"08", {kR, kF}, {"6a2aef0e79b75718", "d9e054c1a71d5381"}},
      {"09", {kF}, {"da7072ade1356a95"}},
      {"10", {kR}, {"62f3e93b6d13e589"}},
      {"11", {kR}, {"bb3ac37262d82cbf"}},
      {"12", {kR}, {"d9e054c1a71d5381"}},
      {"13", {kR}, {"b35e315442a768e2"}},
      {"14", {kF}, {"44e2942eaa42286c"}},
      {"15", {kF}, {"473d7347676fb509"}},
      {"16", {kR}, {"da7072ade1356a95"}},
      {"17", {kR}, {"44e2942eaa42286c"}},
      {"18", {kR}, {"473d7347676fb509"}},
  };
  return expectations;
}

TEST(WebhookTest, AlertCountPerCaptureMatches) {
  for (const auto& expected : Expectations()) {
    EXPECT_EQ(ParseOk(ReadCapture(expected.number)).size(), expected.statuses.size())
        << expected.number;
  }
}

TEST(WebhookTest, StatusesPerCaptureMatchIncludingMixedGroups) {
  for (const auto& expected : Expectations()) {
    std::vector<AlertStatus> statuses;
    for (const auto& alert : ParseOk(ReadCapture(expected.number)))
      statuses.push_back(alert.status);
    EXPECT_EQ(statuses, expected.statuses) << expected.number;
  }
}

TEST(WebhookTest, FingerprintIsTheOneAlertmanagerSent) {
  for (const auto& expected : Expectations()) {
    std::vector<std::string_view> fingerprints;
    const auto alerts = ParseOk(ReadCapture(expected.number));
    for (const auto& alert : alerts) fingerprints.push_back(alert.fingerprint);
    EXPECT_EQ(fingerprints, expected.fingerprints) << expected.number;
  }
}

TEST(WebhookTest, AlertmanagerFingerprintEqualsFingerprintOfLabels) {
  for (const auto& path : CaptureFiles()) {
    for (const auto& alert : ParseOk(ReadFile(path))) {
      EXPECT_EQ(alert.fingerprint, Fingerprint(alert.labels)) << path.filename();
    }
  }
}

TEST(WebhookTest, MissingFingerprintIsComputedFromLabels) {
  for (const auto& path : CaptureFiles()) {
    const std::string body = ReadFile(path);
    const auto sent = ParseOk(body);
    const auto computed = ParseOk(RemoveStringMember(body, "fingerprint"));
    ASSERT_EQ(computed.size(), sent.size()) << path.filename();
    for (std::size_t i = 0; i < sent.size(); ++i) {
      EXPECT_EQ(computed[i].fingerprint, sent[i].fingerprint) << path.filename() << " " << i;
    }
  }
}

TEST(WebhookTest, EmptyFingerprintIsComputedFromLabels) {
  const auto alerts = ParseOk(Replace(ReadCapture("01"), "6a2aef0e79b75718", ""));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].fingerprint, "6a2aef0e79b75718");
}

TEST(WebhookTest, AlertsKeepTheirOrder) {
  const auto alerts = ParseOk(ReadCapture("06"));
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].labels.at("instance"), "web-01:9100");
  EXPECT_EQ(alerts[1].labels.at("instance"), "web-02:9100");
}

TEST(WebhookTest, AlertNameComesFromTheAlertnameLabel) {
  const auto alerts = ParseOk(ReadCapture("09"));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].alert_name, "LLMCircuitBreakerOpen");
}

TEST(WebhookTest, AlertNameIsEmptyWithoutAlertnameLabel) {
  const auto alerts = ParseOk(AlertWith(R"("alertname":"NodeDown",)", ""));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].alert_name, "");
}

TEST(WebhookTest, ZeroEndsAtHasNoValue) {
  const auto alerts = ParseOk(ReadCapture("01"));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_FALSE(alerts[0].ends_at.has_value());
}

TEST(WebhookTest, MissingEndsAtHasNoValue) {
  const auto alerts = ParseOk(AlertWith(R"("endsAt":"0001-01-01T00:00:00Z",)", ""));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_FALSE(alerts[0].ends_at.has_value());
}

TEST(WebhookTest, StartsAtIsTheExactInstant) {
  const auto alerts = ParseOk(ReadCapture("07"));
  ASSERT_EQ(alerts.size(), 1u);
  // 2026-11-26T05:19:51.134Z; `date -u -d 2026-11-26T05:19:51Z +%s` is 1795670391.
  EXPECT_EQ(EpochNanos(alerts[0].starts_at), 1795670391 * kNanosPerSecond + 134000000);
}

TEST(WebhookTest, ResolvedEndsAtIsTheExactInstant) {
  const auto alerts = ParseOk(ReadCapture("07"));
  ASSERT_EQ(alerts.size(), 1u);
  ASSERT_TRUE(alerts[0].ends_at.has_value());
  // 2026-11-26T05:21:35.802Z; `date -u -d 2026-11-26T05:21:35Z +%s` is 1795670495.
  EXPECT_EQ(EpochNanos(*alerts[0].ends_at), 1795670495 * kNanosPerSecond + 802000000);
}

TEST(WebhookTest, NineDigitFractionIsPreserved) {
  const auto firing = ParseOk(ReadCapture("05"));
  const auto resolved = ParseOk(ReadCapture("13"));
  ASSERT_EQ(firing.size(), 1u);
  ASSERT_EQ(resolved.size(), 1u);
  ASSERT_TRUE(resolved[0].ends_at.has_value());
  // 2026-11-26T05:21:26.139525779Z and, five minutes later, 05:26:26.139525779Z.
  EXPECT_EQ(EpochNanos(firing[0].starts_at), 1795670486 * kNanosPerSecond + 139525779);
  EXPECT_EQ(EpochNanos(*resolved[0].ends_at), 1795670786 * kNanosPerSecond + 139525779);
}

TEST(WebhookTest, UnicodeLabelsArePreservedByteForByte) {
  const auto alerts = ParseOk(ReadCapture("05"));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels.at("namespace"), "ml-\xe6\x8e\xa8\xe8\xab\x96");
  EXPECT_EQ(alerts[0].labels.at("pod"),
            "classifier-7d9f8c6b5-\xc3\xbc"
            "x42");
}

TEST(WebhookTest, UnicodeAnnotationsArePreservedByteForByte) {
  const auto alerts = ParseOk(ReadCapture("05"));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].annotations.at("summary"),
            "Pod ml-\xe6\x8e\xa8\xe8\xab\x96/classifier-7d9f8c6b5-\xc3\xbc"
            "x42 is crash looping \xf0\x9f\x94\x81 \xe2\x80\x94 \xc3\x9c"
            "berpr\xc3\xbc"
            "fung n\xc3\xb6"
            "tig");
}

TEST(WebhookTest, EscapesInAnnotationsAreDecoded) {
  const auto alerts = ParseOk(ReadCapture("05"));
  ASSERT_EQ(alerts.size(), 1u);
  const std::string& description = alerts[0].annotations.at("description");
  EXPECT_EQ(description.size(), 5060u);
  EXPECT_THAT(description, StartsWith("Der Pod ml-\xe6\x8e\xa8\xe8\xab\x96/"));
  EXPECT_THAT(description, HasSubstr("<http://llm.internal:8080/v1/chat> returned 503 & retry"));
  EXPECT_THAT(description, HasSubstr("tab[\t] backslash[\\] line-separator[\xe2\x80\xa8]"));
  EXPECT_THAT(description, HasSubstr("paragraph-separator[\xe2\x80\xa9]"));
}

TEST(WebhookTest, EscapedAmpersandInGeneratorUrlIsDecoded) {
  const auto alerts = ParseOk(ReadCapture("01"));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].generator_url,
            "http://127.0.0.1:9090/graph?g0.expr=100%20-%20%28avg%20by%20%28instance%29%20%28"
            "rate%28node_cpu_seconds_total%7Bmode%3D%22idle%22%7D%5B5m%5D%29%29%20%2A%20100%29"
            "%20%3E%2090&g0.tab=1");
}

TEST(WebhookTest, EmptyAlertsArrayGivesNoAlerts) {
  EXPECT_TRUE(ParseOk(R"({"version":"4","alerts":[]})").empty());
}

TEST(WebhookTest, MissingVersionIsAccepted) { EXPECT_TRUE(ParseOk(R"({"alerts":[]})").empty()); }

TEST(WebhookTest, AnnotationsAreOptional) {
  const auto alerts = ParseOk(AlertWith(R"("annotations":{"summary":"Node is down"},)", ""));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_TRUE(alerts[0].annotations.empty());
}

TEST(WebhookTest, NullOptionalFieldsCountAsMissing) {
  const auto alerts = ParseOk(Envelope(
      R"({"status":"firing","labels":{},"annotations":null,"startsAt":"2026-11-26T05:19:51Z",)"
      R"("endsAt":null,"generatorURL":null,"fingerprint":null})"));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].fingerprint, "cbf29ce484222325");
}

TEST(WebhookTest, Version3IsRejected) {
  const Error error = ParseFails(R"({"version":"3","alerts":[]})");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message, "version: must be \"4\", got '3'");
}

TEST(WebhookTest, NumericVersionIsRejected) {
  const Error error = ParseFails(R"({"version":4,"alerts":[]})");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, StartsWith("version:"));
}

TEST(WebhookTest, MalformedJsonNamesTheByteOffset) {
  // Byte 16, counted from 1, is the ']' that ends the literal "tru".
  const Error error = ParseFails(R"({"alerts": [tru]})");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, StartsWith("malformed JSON at byte 16: "));
}

TEST(WebhookTest, MalformedJsonMessageOmitsTheRawInput) {
  const Error error = ParseFails("{\"alerts\": [\"\x01secret\"]}");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, StartsWith("malformed JSON at byte "));
  EXPECT_THAT(error.message, Not(HasSubstr("secret")));
}

TEST(WebhookTest, TrailingGarbageIsMalformed) {
  const Error error = ParseFails(R"({"alerts":[]} {})");
  EXPECT_THAT(error.message, StartsWith("malformed JSON at byte "));
}

TEST(WebhookTest, EmptyBodyIsRejected) {
  const Error error = ParseFails("");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, HasSubstr("empty"));
}

TEST(WebhookTest, WhitespaceOnlyBodyIsMalformed) {
  const Error error = ParseFails("  \n");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, StartsWith("malformed JSON at byte "));
}

TEST(WebhookTest, TopLevelArrayIsRejected) {
  const Error error = ParseFails(R"([{"alerts":[]}])");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, HasSubstr("must be a JSON object, got array"));
}

TEST(WebhookTest, MissingAlertsIsRejected) {
  const Error error = ParseFails(R"({"version":"4","status":"firing"})");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message, "alerts: missing");
}

TEST(WebhookTest, AlertsThatIsNotAnArrayIsRejected) {
  const Error error = ParseFails(R"({"alerts":{"status":"firing"}})");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, StartsWith("alerts: must be an array"));
}

TEST(WebhookTest, AlertThatIsNotAnObjectNamesItsIndex) {
  const Error error = ParseFails(Envelope(std::string(kAlert) + "," + std::string(kAlert) + "," +
                                          std::string(kAlert) + ",\"firing\""));
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message, "alerts[3]: must be an object, got string");
}

TEST(WebhookTest, MissingStatusIsRejected) {
  const Error error = ParseFails(AlertWith(R"("status":"firing",)", ""));
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message, "alerts[0].status: missing");
}

TEST(WebhookTest, UnknownStatusIsRejected) {
  const Error error = ParseFails(AlertWith(R"("status":"firing")", R"("status":"pending")"));
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message, "alerts[0].status: 'pending' is not \"firing\" or \"resolved\"");
}

TEST(WebhookTest, StatusIsCaseSensitive) {
  const Error error = ParseFails(AlertWith(R"("status":"firing")", R"("status":"Firing")"));
  EXPECT_THAT(error.message, StartsWith("alerts[0].status: 'Firing'"));
}

TEST(WebhookTest, NonStringStatusIsRejected) {
  const Error error = ParseFails(AlertWith(R"("status":"firing")", R"("status":1)"));
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message, "alerts[0].status: must be a string, got number");
}

TEST(WebhookTest, LongOffendingValueIsQuotedAtMost64Bytes) {
  const std::string status(1000, 's');
  const Error error =
      ParseFails(AlertWith(R"("status":"firing")", "\"status\":\"" + status + "\""));
  EXPECT_THAT(error.message, HasSubstr("'" + status.substr(0, 64) + "...'"));
  EXPECT_THAT(error.message, Not(HasSubstr(status.substr(0, 65))));
}

TEST(WebhookTest, MissingLabelsIsRejected) {
  const Error error =
      ParseFails(AlertWith(R"("labels":{"alertname":"NodeDown","severity":"critical"},)", ""));
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message, "alerts[0].labels: missing");
}

TEST(WebhookTest, LabelsThatAreNotAnObjectAreRejected) {
  const Error error =
      ParseFails(AlertWith(R"({"alertname":"NodeDown","severity":"critical"})", R"(["NodeDown"])"));
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message, "alerts[0].labels: must be an object, got array");
}

TEST(WebhookTest, NonStringLabelValueNamesTheLabel) {
  const Error error = ParseFails(AlertWith(R"("severity":"critical")", R"("severity":3)"));
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message, "alerts[0].labels.severity: must be a string, got number");
}

TEST(WebhookTest, ErrorNamesTheIndexOfALaterAlert) {
  const std::string bad =
      Replace(std::string(kAlert), R"("severity":"critical")", R"("severity":null)");
  const Error error = ParseFails(Envelope(std::string(kAlert) + "," + bad));
  EXPECT_EQ(error.message, "alerts[1].labels.severity: must be a string, got null");
}

TEST(WebhookTest, NumericAnnotationValueNamesTheAnnotation) {
  const Error error = ParseFails(AlertWith(R"("summary":"Node is down")", R"("summary":42)"));
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message, "alerts[0].annotations.summary: must be a string, got number");
}

TEST(WebhookTest, MissingStartsAtIsRejected) {
  const Error error = ParseFails(AlertWith(R"("startsAt":"2026-11-26T05:19:51.134Z",)", ""));
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(error.message, "alerts[0].startsAt: missing");
}

TEST(WebhookTest, StartsAtMonth13IsRejected) {
  EXPECT_EQ(StartsAtError("2026-13-01T00:00:00Z"),
            "alerts[0].startsAt: '2026-13-01T00:00:00Z' is not an RFC 3339 timestamp (month 13)");
}

TEST(WebhookTest, StartsAtFebruary30InACommonYearIsRejected) {
  EXPECT_THAT(StartsAtError("2026-02-30T00:00:00Z"), StartsWith("alerts[0].startsAt: "));
}

TEST(WebhookTest, StartsAtFebruary29InACommonYearIsRejected) {
  EXPECT_THAT(StartsAtError("2026-02-29T00:00:00Z"), StartsWith("alerts[0].startsAt: "));
}

TEST(WebhookTest, StartsAtFebruary29InALeapYearIsAccepted) {
  const auto alerts = ParseOk(AlertWith("2026-11-26T05:19:51.134Z", "2028-02-29T00:00:00Z"));
  ASSERT_EQ(alerts.size(), 1u);
  // `date -u -d 2028-02-29T00:00:00Z +%s`.
  EXPECT_EQ(EpochNanos(alerts[0].starts_at), 1835395200 * kNanosPerSecond);
}

TEST(WebhookTest, StartsAtHour24IsRejected) {
  EXPECT_THAT(StartsAtError("2026-11-26T24:00:00Z"), StartsWith("alerts[0].startsAt: "));
}

TEST(WebhookTest, StartsAtWithoutZoneIsRejected) {
  EXPECT_THAT(StartsAtError("2026-11-26T05:19:51.134"), StartsWith("alerts[0].startsAt: "));
}

TEST(WebhookTest, StartsAtGarbageIsRejected) {
  EXPECT_THAT(StartsAtError("soon"), StartsWith("alerts[0].startsAt: 'soon'"));
}

TEST(WebhookTest, NumericStartsAtIsRejected) {
  const Error error = ParseFails(AlertWith(R"("2026-11-26T05:19:51.134Z")", "1795670391"));
  EXPECT_EQ(error.message, "alerts[0].startsAt: must be a string, got number");
}

TEST(WebhookTest, ZeroStartsAtIsRejected) {
  EXPECT_THAT(StartsAtError("0001-01-01T00:00:00Z"), StartsWith("alerts[0].startsAt: "));
}

TEST(WebhookTest, BadEndsAtNamesEndsAt) {
  const Error error = ParseFails(AlertWith("0001-01-01T00:00:00Z", "2026-11-26T05:19:61Z"));
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, StartsWith("alerts[0].endsAt: '2026-11-26T05:19:61Z'"));
}

TEST(WebhookTest, NonStringGeneratorUrlIsRejected) {
  const Error error = ParseFails(AlertWith(R"("http://prometheus/graph")", R"({"url":"x"})"));
  EXPECT_EQ(error.message, "alerts[0].generatorURL: must be a string, got object");
}

TEST(WebhookTest, NonStringFingerprintIsRejected) {
  const Error error = ParseFails(AlertWith(R"("0123456789abcdef")", "true"));
  EXPECT_EQ(error.message, "alerts[0].fingerprint: must be a string, got boolean");
}

TEST(WebhookTest, TenMegabyteBodyIsRejectedBySize) {
  const std::string body = Envelope(kAlert) + std::string(10 * 1024 * 1024, ' ');
  const Error error = ParseFails(body);
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, HasSubstr(std::to_string(body.size())));
  EXPECT_THAT(error.message, HasSubstr(std::to_string(kDefaultMaxWebhookBytes)));
}

TEST(WebhookTest, SizeIsCheckedBeforeTheJson) {
  const Error error = ParseFails(std::string(kDefaultMaxWebhookBytes + 1, '['));
  EXPECT_THAT(error.message, HasSubstr("over the limit"));
}

TEST(WebhookTest, CustomLimitRejectsALargerBody) {
  const std::string body = ReadCapture("01");
  auto alerts = ParseAlertmanagerWebhook(body, body.size() - 1);
  ASSERT_FALSE(alerts);
  EXPECT_EQ(alerts.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(alerts.error().message, "webhook body is " + std::to_string(body.size()) +
                                        " bytes, over the limit of " +
                                        std::to_string(body.size() - 1));
}

TEST(WebhookTest, CustomLimitAcceptsABodyOfExactlyTheLimit) {
  const std::string body = ReadCapture("01");
  auto alerts = ParseAlertmanagerWebhook(body, body.size());
  ASSERT_TRUE(alerts) << alerts.error().message;
  EXPECT_EQ(alerts->size(), 1u);
}

TEST(WebhookTest, CustomLimitCanExceedTheDefault) {
  const std::string body = Envelope(kAlert) + std::string(kDefaultMaxWebhookBytes, ' ');
  auto alerts = ParseAlertmanagerWebhook(body, body.size());
  ASSERT_TRUE(alerts) << alerts.error().message;
  EXPECT_EQ(alerts->size(), 1u);
}

TEST(WebhookTest, HundredThousandDeepNestingIsRejected) {
  const std::string body =
      R"({"alerts":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const Error error = ParseFails(body);
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, HasSubstr("deeper than 64"));
}

TEST(WebhookTest, UnterminatedDeepNestingIsRejected) {
  const Error error = ParseFails(std::string(100000, '{'));
  EXPECT_THAT(error.message, HasSubstr("deeper than 64"));
}

// The envelope is level 1, so `arrays` nested arrays reach level 1 + arrays.
std::string NestedBody(std::size_t arrays) {
  return R"({"alerts":[],"extra":)" + std::string(arrays, '[') + std::string(arrays, ']') + "}";
}

TEST(WebhookTest, NestingOf64LevelsIsAccepted) { EXPECT_TRUE(ParseOk(NestedBody(63)).empty()); }

TEST(WebhookTest, NestingOf65LevelsIsRejected) {
  EXPECT_THAT(ParseFails(NestedBody(64)).message, HasSubstr("deeper than 64"));
}

TEST(WebhookTest, BracketsInsideStringsDoNotCountAsNesting) {
  const std::string brackets(200, '[');
  const auto alerts = ParseOk(AlertWith("Node is down", "\\\"" + brackets + "\\\\"));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].annotations.at("summary"), "\"" + brackets + "\\");
}

TEST(WebhookTest, EmbeddedNulInAStringIsRejected) {
  using std::string_literals::operator""s;
  const Error error = ParseFails(AlertWith("Node is down", "Node\0down"s));
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, HasSubstr("NUL"));
}

TEST(WebhookTest, NulAfterTheDocumentIsRejected) {
  using std::string_literals::operator""s;
  const Error error = ParseFails(R"({"alerts":[]})"s + "\0garbage"s);
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, HasSubstr("NUL"));
}

TEST(WebhookTest, EscapedNulIsKept) {
  const auto alerts = ParseOk(AlertWith("Node is down", "a\\u0000b"));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].annotations.at("summary"), std::string_view("a\0b", 3));
}

TEST(WebhookTest, InvalidUtf8IsRejected) {
  const Error error = ParseFails(AlertWith("NodeDown", "Node\xff\xfe"));
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, StartsWith("malformed JSON at byte "));
}

TEST(WebhookTest, NumberTooLargeForADoubleIsRejected) {
  const Error error = ParseFails(R"({"alerts":[],"truncatedAlerts":1e999})");
  EXPECT_EQ(error.code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(error.message, StartsWith("malformed JSON"));
}

TEST(WebhookTest, UnknownFieldsAreIgnored) {
  const auto alerts = ParseOk(AlertWith(R"("status":"firing",)", R"("status":"firing","x":[{}],)"));
  EXPECT_EQ(alerts.size(), 1u);
}

}  // namespace
}  // namespace alertllm
