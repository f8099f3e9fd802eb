// SPDX-License-Identifier: Apache-2.0
#include "codec/protocol.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "alertllm/alert.hpp"
#include "alertllm/config.hpp"
#include "alertllm/webhook.hpp"
#include "support/captures.hpp"
#include "util/rfc3339.hpp"

namespace alertllm::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr std::size_t kMiB = 1024 * 1024;
using StringMap = std::map<std::string, std::string>;

Alert MakeAlert() {
  Alert alert;
  alert.alert_name = "HighCPUUsage";
  alert.status = AlertStatus::kFiring;
  alert.labels = {
      {"alertname", "HighCPUUsage"}, {"instance", "node-1:9100"}, {"severity", "warning"}};
  alert.annotations = {{"summary", "CPU above 90%"}, {"runbook", "https://runbooks/cpu"}};
  alert.starts_at = std::chrono::system_clock::time_point(1'795'000'000'123'000'000ns);
  return alert;
}

Config MakeConfig(Protocol protocol) {
  Config config;
  config.protocol = protocol;
  config.model = "test-model";
  return config;
}

std::string EncodeOk(const Alert& alert, const Config& config,
                     std::size_t max_bytes = kDefaultMaxRequestBytes) {
  auto body = EncodeClassifyRequest(alert, config, max_bytes);
  if (!body) {
    ADD_FAILURE() << body.error().message;
    return "{}";
  }
  return *std::move(body);
}

// The alert object inside a request body of either protocol.
Json SentAlert(Protocol protocol, const std::string& body) {
  Json root = Json::parse(body);
  if (protocol == Protocol::kProxy) return root.at("alert");
  // The openai user message is the alert's JSON between "<alert>\n" and "\n</alert>".
  const std::string content = root.at("messages").at(1).at("content").get<std::string>();
  return Json::parse(content.substr(8, content.size() - 8 - 9));
}

std::set<std::string> Keys(const Json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

bool IsValidUtf8WithoutControls(std::string_view text) {
  try {
    (void)Json(std::string(text)).dump();
  } catch (const Json::exception&) {
    return false;
  }
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

using test::CaptureFiles;
using test::ReadFile;

TEST(ProtocolPathTest, PathsPerProtocol) {
  EXPECT_EQ(ClassifyPath(Protocol::kProxy), "/classify");
  EXPECT_EQ(HealthPath(Protocol::kProxy), "/health");
  EXPECT_EQ(ClassifyPath(Protocol::kOpenAI), "/v1/chat/completions");
  EXPECT_EQ(HealthPath(Protocol::kOpenAI), "/v1/models");
}

TEST(ProtocolPathTest, JoinUrlIgnoresTrailingSlashes) {
  EXPECT_EQ(JoinUrl("http://127.0.0.1:8080", "/classify"), "http://127.0.0.1:8080/classify");
  EXPECT_EQ(JoinUrl("http://127.0.0.1:8080/", "/classify"), "http://127.0.0.1:8080/classify");
  EXPECT_EQ(JoinUrl("http://127.0.0.1:8080//", "/health"), "http://127.0.0.1:8080/health");
  EXPECT_EQ(JoinUrl("http://h/llm/", "/classify"), "http://h/llm/classify");
}

TEST(ProtocolPathTest, JoinUrlDoesNotDoubleV1) {
  EXPECT_EQ(JoinUrl("https://api.openai.com/v1", "/v1/chat/completions"),
            "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ(JoinUrl("https://api.openai.com/v1/", "/v1/models"),
            "https://api.openai.com/v1/models");
  EXPECT_EQ(JoinUrl("https://api.openai.com", "/v1/models"), "https://api.openai.com/v1/models");
  EXPECT_EQ(JoinUrl("http://h/v1beta", "/v1/models"), "http://h/v1beta/v1/models");
  EXPECT_EQ(JoinUrl("http://h/v1", "/classify"), "http://h/v1/classify");
}

TEST(ProtocolPromptTest, DefaultPromptNamesEveryFieldAndTheScale) {
  const std::string_view prompt = DefaultPrompt();
  for (const char* word : {"\"severity\"", "\"category\"", "\"summary\"", "\"confidence\"",
                           "\"reasoning\"", "\"suggestions\"", "ONLY", "JSON", "1 = noise",
                           "2 = info", "3 = warning", "4 = critical", "snake_case"}) {
    EXPECT_NE(prompt.find(word), std::string_view::npos) << word;
  }
  EXPECT_LT(prompt.size(), 2000u);
}

TEST(EncodeClassifyRequestTest, ProxyBodyHasTheSeedShape) {
  const Alert alert = MakeAlert();
  Json root = Json::parse(EncodeOk(alert, MakeConfig(Protocol::kProxy)));
  EXPECT_EQ(Keys(root), (std::set<std::string>{"alert", "model", "prompt"}));
  EXPECT_EQ(root["model"], "test-model");
  EXPECT_EQ(root["prompt"], std::string(DefaultPrompt()));
  Json& sent = root["alert"];
  EXPECT_EQ(Keys(sent), (std::set<std::string>{"alertname", "status", "labels", "annotations",
                                               "startsAt", "fingerprint"}));
  EXPECT_EQ(sent["alertname"], "HighCPUUsage");
  EXPECT_EQ(sent["status"], "firing");
  EXPECT_EQ(sent["labels"].get<StringMap>(), alert.labels);
  EXPECT_EQ(sent["annotations"].get<StringMap>(), alert.annotations);
  EXPECT_EQ(sent["startsAt"], "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(sent["fingerprint"], Fingerprint(alert.labels));
}

TEST(EncodeClassifyRequestTest, ProxyAlertMembersComeInDocumentedOrder) {
  Alert alert = MakeAlert();
  alert.ends_at = alert.starts_at + 5min;
  const std::string body = EncodeOk(alert, MakeConfig(Protocol::kProxy));
  std::vector<std::size_t> positions;
  for (const char* key :
       {"\"alert\":{\"alertname\":", "\"status\":", "\"labels\":", "\"annotations\":",
        "\"startsAt\":", "\"endsAt\":", "\"fingerprint\":", "\"model\":", "\"prompt\":"}) {
    positions.push_back(body.find(key));
    EXPECT_NE(positions.back(), std::string::npos) << key;
  }
  EXPECT_TRUE(std::is_sorted(positions.begin(), positions.end()));
  EXPECT_THAT(body, StartsWith("{\"alert\":{\"alertname\":\"HighCPUUsage\""));
}

TEST(EncodeClassifyRequestTest, EndsAtIsSentOnlyWhenKnown) {
  Alert alert = MakeAlert();
  alert.status = AlertStatus::kResolved;
  alert.ends_at = alert.starts_at + 90s;
  Json sent = SentAlert(Protocol::kProxy, EncodeOk(alert, MakeConfig(Protocol::kProxy)));
  EXPECT_EQ(sent["status"], "resolved");
  EXPECT_EQ(sent["endsAt"], "2026-11-18T11:08:10.123Z");
}

TEST(EncodeClassifyRequestTest, EmptyFingerprintIsComputedAndAGivenOneKept) {
  Alert alert = MakeAlert();
  EXPECT_EQ(
      SentAlert(Protocol::kProxy, EncodeOk(alert, MakeConfig(Protocol::kProxy)))["fingerprint"],
      Fingerprint(alert.labels));
  alert.fingerprint = "0123456789abcdef";
  EXPECT_EQ(
      SentAlert(Protocol::kOpenAI, EncodeOk(alert, MakeConfig(Protocol::kOpenAI)))["fingerprint"],
      "0123456789abcdef");
}

TEST(EncodeClassifyRequestTest, AlertNameFallsBackToTheLabel) {
  Alert alert = MakeAlert();
  alert.alert_name.clear();
  EXPECT_EQ(SentAlert(Protocol::kProxy, EncodeOk(alert, MakeConfig(Protocol::kProxy)))["alertname"],
            "HighCPUUsage");
}

TEST(EncodeClassifyRequestTest, ConfiguredPromptReplacesTheDefault) {
  Config config = MakeConfig(Protocol::kProxy);
  config.prompt = "Rate this alert.";
  EXPECT_EQ(Json::parse(EncodeOk(MakeAlert(), config))["prompt"], "Rate this alert.");
  config.protocol = Protocol::kOpenAI;
  EXPECT_EQ(Json::parse(EncodeOk(MakeAlert(), config))["messages"][0]["content"],
            "Rate this alert.");
}

TEST(EncodeClassifyRequestTest, OpenAIBodyHasTheChatCompletionsShape) {
  const Alert alert = MakeAlert();
  const std::string body = EncodeOk(alert, MakeConfig(Protocol::kOpenAI));
  Json root = Json::parse(body);
  EXPECT_EQ(Keys(root),
            (std::set<std::string>{"model", "messages", "temperature", "response_format"}));
  EXPECT_EQ(root["model"], "test-model");
  EXPECT_EQ(root["temperature"], 0);
  ASSERT_EQ(root["messages"].size(), 2u);
  EXPECT_EQ(root["messages"][0]["role"], "system");
  EXPECT_EQ(root["messages"][0]["content"], std::string(DefaultPrompt()));
  EXPECT_EQ(root["messages"][1]["role"], "user");
  auto alert_json = EncodeAlertJson(alert);
  ASSERT_TRUE(alert_json.has_value());
  EXPECT_EQ(root["messages"][1]["content"], "<alert>\n" + *alert_json + "\n</alert>");

  Json& format = root["response_format"];
  EXPECT_EQ(format["type"], "json_schema");
  EXPECT_EQ(format["json_schema"]["name"], "alert_classification");
  EXPECT_EQ(format["json_schema"]["strict"], true);
  Json& schema = format["json_schema"]["schema"];
  const std::set<std::string> fields{"severity",   "category",  "summary",
                                     "confidence", "reasoning", "suggestions"};
  EXPECT_EQ(schema["type"], "object");
  EXPECT_EQ(schema["additionalProperties"], false);
  EXPECT_EQ(Keys(schema["properties"]), fields);
  EXPECT_EQ(schema["required"].get<std::set<std::string>>(), fields);
  EXPECT_EQ(schema["properties"]["severity"]["type"], "integer");
  EXPECT_EQ(schema["properties"]["severity"]["enum"], Json::parse("[1,2,3,4]"));
  EXPECT_EQ(schema["properties"]["confidence"]["type"], "number");
  EXPECT_EQ(schema["properties"]["confidence"]["minimum"], 0);
  EXPECT_EQ(schema["properties"]["confidence"]["maximum"], 1);
  EXPECT_EQ(schema["properties"]["suggestions"]["type"], "array");
  EXPECT_EQ(schema["properties"]["suggestions"]["items"]["type"], "string");
  for (const char* field : {"category", "summary", "reasoning"}) {
    EXPECT_EQ(schema["properties"][field]["type"], "string") << field;
  }
}

TEST(EncodeClassifyRequestTest, ProxyAlertEqualsEncodeAlertJson) {
  const Alert alert = MakeAlert();
  auto alert_json = EncodeAlertJson(alert);
  ASSERT_TRUE(alert_json.has_value());
  EXPECT_NE(EncodeOk(alert, MakeConfig(Protocol::kProxy)).find(*alert_json), std::string::npos);
}

TEST(EncodeClassifyRequestTest, EveryCaptureSurvivesBothProtocols) {
  const auto files = CaptureFiles();
  ASSERT_GE(files.size(), 18u);
  int alerts_checked = 0;
  for (const auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    auto alerts = ParseAlertmanagerWebhook(ReadFile(path));
    ASSERT_TRUE(alerts.has_value()) << alerts.error().message;
    for (const Alert& alert : *alerts) {
      for (Protocol protocol : {Protocol::kProxy, Protocol::kOpenAI}) {
        SCOPED_TRACE(std::string(ToString(protocol)));
        Json sent = SentAlert(protocol, EncodeOk(alert, MakeConfig(protocol)));
        EXPECT_EQ(sent["alertname"], alert.alert_name);
        EXPECT_EQ(sent["status"], std::string(ToString(alert.status)));
        EXPECT_EQ(sent["labels"].get<StringMap>(), alert.labels);
        EXPECT_EQ(sent["annotations"].get<StringMap>(), alert.annotations);
        EXPECT_EQ(sent["fingerprint"], alert.fingerprint);
        auto starts = ParseRfc3339(sent["startsAt"].get<std::string>());
        ASSERT_TRUE(starts.has_value());
        EXPECT_EQ(*starts, OptionalTime(alert.starts_at));
        if (alert.ends_at) {
          auto ends = ParseRfc3339(sent["endsAt"].get<std::string>());
          ASSERT_TRUE(ends.has_value());
          EXPECT_EQ(*ends, alert.ends_at);
        } else {
          EXPECT_FALSE(sent.contains("endsAt"));
        }
        ++alerts_checked;
      }
    }
  }
  EXPECT_GE(alerts_checked, 2 * 18);
}

// The client encodes through a RequestFrame made once; it must send exactly what the
// config-taking overload documents, for every capture, both protocols and a custom prompt.
TEST(RequestFrameTest, FramedEncodingIsByteIdenticalToTheConfigOverload) {
  int bodies = 0;
  for (const auto& path : CaptureFiles()) {
    auto alerts = ParseAlertmanagerWebhook(ReadFile(path));
    ASSERT_TRUE(alerts.has_value());
    for (const Alert& alert : *alerts) {
      for (Protocol protocol : {Protocol::kProxy, Protocol::kOpenAI}) {
        for (const char* prompt : {"", "Classify.\n\"Quoted\" \x01 \xE6\x8E\xA8"}) {
          Config config = MakeConfig(protocol);
          config.prompt = prompt;
          auto frame = MakeRequestFrame(config);
          ASSERT_TRUE(frame.has_value()) << frame.error().message;
          auto framed = EncodeClassifyRequest(alert, *frame);
          ASSERT_TRUE(framed.has_value()) << framed.error().message;
          EXPECT_EQ(*framed, EncodeOk(alert, config));
          ++bodies;
        }
      }
    }
  }
  EXPECT_GE(bodies, 4 * 18);
}

TEST(RequestFrameTest, InvalidUtf8ModelOrPromptIsRejectedWhenTheFrameIsMade) {
  Config config = MakeConfig(Protocol::kOpenAI);
  config.model = "bad\xFF";
  auto frame = MakeRequestFrame(config);
  ASSERT_FALSE(frame.has_value());
  EXPECT_EQ(frame.error().code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(frame.error().message, StartsWith("model: not valid UTF-8 at byte 4"));
  config.model = "ok";
  config.prompt = "\xC0\x80";
  frame = MakeRequestFrame(config);
  ASSERT_FALSE(frame.has_value());
  EXPECT_THAT(frame.error().message, StartsWith("prompt: not valid UTF-8 at byte 1"));
}

TEST(RequestFrameTest, SizeLimitAndBadAlertGiveTheSameErrorsAsTheConfigOverload) {
  const Config config = MakeConfig(Protocol::kProxy);
  const RequestFrame frame = MakeRequestFrame(config).value();
  Alert big = MakeAlert();
  big.annotations["description"] = std::string(2 * kMiB, 'x');
  auto framed = EncodeClassifyRequest(big, frame);
  auto direct = EncodeClassifyRequest(big, config);
  ASSERT_FALSE(framed.has_value());
  ASSERT_FALSE(direct.has_value());
  EXPECT_EQ(framed.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(framed.error().message, direct.error().message);
  Alert bad = MakeAlert();
  bad.labels["job"] = "\xFF";
  framed = EncodeClassifyRequest(bad, frame);
  direct = EncodeClassifyRequest(bad, config);
  ASSERT_FALSE(framed.has_value());
  EXPECT_EQ(framed.error().message, direct.error().message);
}

TEST(EncodeClassifyRequestTest, UnicodeCaptureLabelsAreSentByteExact) {
  std::string body;
  for (const auto& path : CaptureFiles()) {
    if (path.filename().string().find("_05_") != std::string::npos) body = ReadFile(path);
  }
  auto alerts = ParseAlertmanagerWebhook(body);
  ASSERT_TRUE(alerts.has_value());
  const Alert& alert = alerts->front();
  ASSERT_EQ(alert.labels.at("namespace"), "ml-\xE6\x8E\xA8\xE8\xAB\x96");  // ml-推論
  const std::string encoded = EncodeOk(alert, MakeConfig(Protocol::kProxy));
  // UTF-8 is sent as is, not as \u escapes.
  EXPECT_NE(encoded.find("\"namespace\":\"ml-\xE6\x8E\xA8\xE8\xAB\x96\""), std::string::npos);
}

TEST(EncodeClassifyRequestTest, SameInputGivesIdenticalBytes) {
  for (Protocol protocol : {Protocol::kProxy, Protocol::kOpenAI}) {
    Alert first = MakeAlert();
    Alert second;
    // The same labels inserted in another order.
    second.labels["severity"] = "warning";
    second.labels["instance"] = "node-1:9100";
    second.labels["alertname"] = "HighCPUUsage";
    second.annotations["runbook"] = "https://runbooks/cpu";
    second.annotations["summary"] = "CPU above 90%";
    second.alert_name = first.alert_name;
    second.starts_at = first.starts_at;
    const Config config = MakeConfig(protocol);
    const std::string body = EncodeOk(first, config);
    EXPECT_EQ(EncodeOk(first, config), body);
    EXPECT_EQ(EncodeOk(second, config), body);
  }
}

TEST(EncodeClassifyRequestTest, QuotesControlCharactersAndNulRoundTrip) {
  std::string nasty = "quote\" backslash\\ slash/ del\x7f nul";
  nasty += '\0';
  for (char c = 1; c < 0x20; ++c) nasty += c;
  nasty += " \xE2\x80\xA8 \xF0\x9F\x9A\xA8 \"}]";
  Alert alert = MakeAlert();
  alert.labels["weird\"name\n"] = nasty;
  alert.annotations["description"] = nasty;
  for (Protocol protocol : {Protocol::kProxy, Protocol::kOpenAI}) {
    const std::string body = EncodeOk(alert, MakeConfig(protocol));
    EXPECT_TRUE(std::none_of(body.begin(), body.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
    Json sent = SentAlert(protocol, body);
    EXPECT_EQ(sent["labels"]["weird\"name\n"], nasty);
    EXPECT_EQ(sent["annotations"]["description"], nasty);
  }
}

TEST(EncodeClassifyRequestTest, InvalidUtf8LabelValueIsRejectedNamingTheField) {
  Alert alert = MakeAlert();
  alert.labels["pod"] = "web-\xff-1";
  for (Protocol protocol : {Protocol::kProxy, Protocol::kOpenAI}) {
    auto body = EncodeClassifyRequest(alert, MakeConfig(protocol));
    ASSERT_FALSE(body.has_value());
    EXPECT_EQ(body.error().code, ErrorCode::kInvalidRequest);
    EXPECT_THAT(body.error().message, HasSubstr("alert.labels.pod: not valid UTF-8 at byte 5"));
    EXPECT_TRUE(IsValidUtf8WithoutControls(body.error().message)) << body.error().message;
  }
}

TEST(EncodeClassifyRequestTest, InvalidUtf8NamesAndAnnotationsAreRejected) {
  Alert alert = MakeAlert();
  alert.labels["bad\xc3"] = "x";
  auto body = EncodeClassifyRequest(alert, MakeConfig(Protocol::kProxy));
  ASSERT_FALSE(body.has_value());
  EXPECT_EQ(body.error().code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(body.error().message, HasSubstr("alert.labels: name 'bad?' is not valid UTF-8"));

  alert = MakeAlert();
  alert.annotations["description"] = "ok \xed\xa0\x80 surrogate";
  body = EncodeClassifyRequest(alert, MakeConfig(Protocol::kOpenAI));
  ASSERT_FALSE(body.has_value());
  EXPECT_THAT(body.error().message, HasSubstr("alert.annotations.description: not valid UTF-8"));

  auto alone = EncodeAlertJson(alert);
  ASSERT_FALSE(alone.has_value());
  EXPECT_EQ(alone.error().code, ErrorCode::kInvalidRequest);
}

TEST(EncodeClassifyRequestTest, OverlongTruncatedAndOutOfRangeSequencesAreRejected) {
  for (const char* bad : {"\xc0\xaf", "\xe0\x80\xaf", "\xe2\x82", "\xf4\x90\x80\x80", "\xf8\x88",
                          "\x80", "end\xe2"}) {
    Alert alert = MakeAlert();
    alert.labels["x"] = bad;
    auto body = EncodeClassifyRequest(alert, MakeConfig(Protocol::kProxy));
    ASSERT_FALSE(body.has_value()) << bad;
    EXPECT_EQ(body.error().code, ErrorCode::kInvalidRequest);
  }
}

TEST(EncodeClassifyRequestTest, InvalidUtf8ModelOrPromptIsRejected) {
  Config config = MakeConfig(Protocol::kProxy);
  config.model = "gpt\xff";
  auto body = EncodeClassifyRequest(MakeAlert(), config);
  ASSERT_FALSE(body.has_value());
  EXPECT_THAT(body.error().message, StartsWith("model: not valid UTF-8"));
  config = MakeConfig(Protocol::kOpenAI);
  config.prompt = "classify \xc3\x28";
  body = EncodeClassifyRequest(MakeAlert(), config);
  ASSERT_FALSE(body.has_value());
  EXPECT_THAT(body.error().message, StartsWith("prompt: not valid UTF-8"));
}

TEST(EncodeClassifyRequestTest, OneMegabyteAnnotationIsEscapedAndSent) {
  Alert alert = MakeAlert();
  const std::string big(1'000'000, 'x');
  alert.annotations["description"] = big;
  for (Protocol protocol : {Protocol::kProxy, Protocol::kOpenAI}) {
    const std::string body = EncodeOk(alert, MakeConfig(protocol));
    EXPECT_LE(body.size(), kDefaultMaxRequestBytes);
    EXPECT_EQ(SentAlert(protocol, body)["annotations"]["description"], big);
  }
}

TEST(EncodeClassifyRequestTest, OneMegabyteOfQuotesIsOverTheDefaultLimit) {
  Alert alert = MakeAlert();
  alert.annotations["description"] = std::string(1'000'000, '"');
  auto body = EncodeClassifyRequest(alert, MakeConfig(Protocol::kProxy));
  ASSERT_FALSE(body.has_value());
  EXPECT_EQ(body.error().code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(body.error().message, StartsWith("request body is 200"));
  EXPECT_THAT(body.error().message, HasSubstr("bytes, over the limit of 1048576 bytes"));
}

TEST(EncodeClassifyRequestTest, ValueLargerThanTheLimitIsRejectedBeforeEscaping) {
  Alert alert = MakeAlert();
  alert.annotations["description"] = std::string(2 * kMiB, '\x01');
  auto body = EncodeClassifyRequest(alert, MakeConfig(Protocol::kOpenAI));
  ASSERT_FALSE(body.has_value());
  EXPECT_EQ(body.error().code, ErrorCode::kInvalidRequest);
  EXPECT_THAT(body.error().message, StartsWith("request body is at least 209"));
}

TEST(EncodeClassifyRequestTest, LimitIsConfigurable) {
  Alert alert = MakeAlert();
  alert.annotations["description"] = std::string(1'000'000, '"');
  EXPECT_TRUE(EncodeClassifyRequest(alert, MakeConfig(Protocol::kProxy), 4 * kMiB).has_value());
  // The openai user message escapes the alert JSON a second time: each '"' becomes 4 bytes.
  EXPECT_FALSE(EncodeClassifyRequest(alert, MakeConfig(Protocol::kOpenAI), 3 * kMiB).has_value());
  EXPECT_TRUE(EncodeClassifyRequest(alert, MakeConfig(Protocol::kOpenAI), 5 * kMiB).has_value());
  auto small = EncodeClassifyRequest(MakeAlert(), MakeConfig(Protocol::kProxy), 512);
  ASSERT_FALSE(small.has_value());
  EXPECT_THAT(small.error().message, HasSubstr("over the limit of 512 bytes"));
}

// ---- decoding ----

Json ValidClassification() {
  return Json::parse(R"({"severity":3,"category":"performance","summary":"CPU high on node-1",
    "confidence":0.85,"reasoning":"Sustained load above threshold.",
    "suggestions":["Check top processes","Scale out"]})");
}

std::string ProxyBody(const Json& classification) {
  Json root;
  root["classification"] = classification;
  root["request_id"] = "req-123";
  root["processing_time"] = "234ms";
  return root.dump();
}

std::string OpenAIBody(const std::string& content, const std::string& finish_reason = "stop") {
  Json root = Json::parse(R"({"id":"chatcmpl-abc","object":"chat.completion","created":1,
    "model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","refusal":null}}],
    "usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})");
  root["choices"][0]["message"]["content"] = content;
  root["choices"][0]["finish_reason"] = finish_reason;
  return root.dump();
}

Classification DecodeOk(Protocol protocol, std::string_view body) {
  auto result = DecodeClassifyResponse(protocol, body, kMiB);
  if (!result) {
    ADD_FAILURE() << result.error().message;
    return {};
  }
  return *std::move(result);
}

Error DecodeError(Protocol protocol, std::string_view body, std::size_t max_bytes = kMiB) {
  auto result = DecodeClassifyResponse(protocol, body, max_bytes);
  if (result) {
    ADD_FAILURE() << "decoded: " << body.substr(0, 200);
    return {};
  }
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidResponse);
  EXPECT_LE(result.error().message.size(), 400u);
  EXPECT_TRUE(IsValidUtf8WithoutControls(result.error().message)) << result.error().message;
  return result.error();
}

void ExpectValidClassification(const Classification& c) {
  EXPECT_EQ(c.severity, Severity::kWarning);
  EXPECT_EQ(c.category, "performance");
  EXPECT_EQ(c.summary, "CPU high on node-1");
  EXPECT_DOUBLE_EQ(c.confidence, 0.85);
  EXPECT_EQ(c.reasoning, "Sustained load above threshold.");
  EXPECT_EQ(c.suggestions, (std::vector<std::string>{"Check top processes", "Scale out"}));
  EXPECT_EQ(c.source, "llm");
  EXPECT_EQ(c.attempts, 0);
}

TEST(DecodeProxyResponseTest, ValidAnswerDecodes) {
  const Classification c = DecodeOk(Protocol::kProxy, ProxyBody(ValidClassification()));
  ExpectValidClassification(c);
  EXPECT_EQ(c.request_id, "req-123");
  EXPECT_EQ(c.processing_time, 234ms);
}

TEST(DecodeProxyResponseTest, MissingOrNullSuggestionsMeanNone) {
  Json classification = ValidClassification();
  classification.erase("suggestions");
  EXPECT_TRUE(DecodeOk(Protocol::kProxy, ProxyBody(classification)).suggestions.empty());
  classification["suggestions"] = nullptr;
  EXPECT_TRUE(DecodeOk(Protocol::kProxy, ProxyBody(classification)).suggestions.empty());
}

TEST(DecodeProxyResponseTest, UnknownMembersAndEmptyReasoningAreAccepted) {
  Json classification = ValidClassification();
  classification["labels"] = {{"x", 1}};
  classification["reasoning"] = "";
  Json root = Json::parse(ProxyBody(classification));
  root["model_used"] = "gpt-4o";
  root["error"] = "";
  const Classification c = DecodeOk(Protocol::kProxy, root.dump());
  EXPECT_EQ(c.reasoning, "");
  EXPECT_EQ(c.severity, Severity::kWarning);
}

TEST(DecodeProxyResponseTest, SeverityNamesAndIntegralNumbersAreAccepted) {
  const std::vector<std::pair<Json, Severity>> cases = {
      {1, Severity::kNoise},           {4, Severity::kCritical},
      {2.0, Severity::kInfo},          {"critical", Severity::kCritical},
      {"Warning", Severity::kWarning}, {"noise", Severity::kNoise},
      {"2", Severity::kInfo}};
  for (const auto& [value, expected] : cases) {
    Json classification = ValidClassification();
    classification["severity"] = value;
    EXPECT_EQ(DecodeOk(Protocol::kProxy, ProxyBody(classification)).severity, expected)
        << value.dump();
  }
}

TEST(DecodeProxyResponseTest, ConfidenceBoundsAreInclusive) {
  for (const Json& value : {Json(0), Json(1), Json(0.0), Json(1.0)}) {
    Json classification = ValidClassification();
    classification["confidence"] = value;
    EXPECT_EQ(DecodeOk(Protocol::kProxy, ProxyBody(classification)).confidence,
              value.get<double>());
  }
}

struct Violation {
  const char* member;
  Json value;  // discarded (null) marks "remove the member"
  bool remove;
  const char* message;
};

TEST(DecodeProxyResponseTest, EveryValidationFailureIsNamed) {
  const std::vector<Violation> violations = {
      {"severity", nullptr, true, "classification.severity: missing"},
      {"severity", nullptr, false, "classification.severity: missing"},
      {"severity", 0, false, "classification.severity: 0 is out of range 1..4"},
      {"severity", 5, false, "classification.severity: 5 is out of range 1..4"},
      {"severity", -1, false, "classification.severity: -1 is out of range 1..4"},
      {"severity", 18446744073709551615u, false,
       "classification.severity: 18446744073709551615 is out"},
      {"severity", 2.5, false, "classification.severity: 2.5 is not an integer in 1..4"},
      {"severity", "urgent", false, "classification.severity: 'urgent' is not one of"},
      {"severity", true, false, "classification.severity: must be an integer 1..4, got boolean"},
      {"severity", Json::array({3}), false, "must be an integer 1..4, got array"},
      {"confidence", nullptr, true, "classification.confidence: missing"},
      {"confidence", 1.5, false, "classification.confidence: 1.5 is out of range [0, 1]"},
      {"confidence", -0.1, false, "classification.confidence: -0.1 is out of range [0, 1]"},
      {"confidence", 85, false, "classification.confidence: 85 is out of range [0, 1]"},
      {"confidence", "0.9", false,
       "classification.confidence: must be a number in [0, 1], got '0.9'"},
      {"category", nullptr, true, "classification.category: missing"},
      {"category", "", false, "classification.category: must not be empty"},
      {"category", 7, false, "classification.category: must be a string, got number"},
      {"summary", nullptr, true, "classification.summary: missing"},
      {"summary", "", false, "classification.summary: must not be empty"},
      {"summary", Json::object(), false, "classification.summary: must be a string, got object"},
      {"reasoning", nullptr, true, "classification.reasoning: missing"},
      {"reasoning", 1, false, "classification.reasoning: must be a string, got number"},
      {"suggestions", "restart it", false,
       "classification.suggestions: must be an array of strings, got string"},
      {"suggestions", Json::parse(R"(["a", null])"), false,
       "classification.suggestions[1]: must be a string, got null"},
      {"suggestions", Json::parse(R"([{"step":"a"}])"), false,
       "classification.suggestions[0]: must be a string, got object"},
  };
  for (const Violation& v : violations) {
    Json classification = ValidClassification();
    if (v.remove) {
      classification.erase(v.member);
    } else {
      classification[v.member] = v.value;
    }
    SCOPED_TRACE(classification.dump());
    EXPECT_THAT(DecodeError(Protocol::kProxy, ProxyBody(classification)).message,
                HasSubstr(v.message));
  }
}

TEST(DecodeProxyResponseTest, ClassificationOfTheWrongShapeFails) {
  EXPECT_EQ(DecodeError(Protocol::kProxy, R"({"request_id":"r"})").message,
            "classification: missing");
  EXPECT_EQ(DecodeError(Protocol::kProxy, R"({"classification":null})").message,
            "classification: missing");
  EXPECT_EQ(DecodeError(Protocol::kProxy, R"({"classification":[1]})").message,
            "classification: must be a JSON object, got array");
  EXPECT_EQ(DecodeError(Protocol::kProxy, "[]").message,
            "response body: must be a JSON object, got array");
  EXPECT_EQ(DecodeError(Protocol::kProxy, "42").message,
            "response body: must be a JSON object, got number");
}

TEST(DecodeProxyResponseTest, ServerErrorFailsWithItsText) {
  Json root = Json::parse(ProxyBody(ValidClassification()));
  root["error"] = "model overloaded";
  EXPECT_EQ(DecodeError(Protocol::kProxy, root.dump()).message, "server error: 'model overloaded'");
  root["error"] = {{"message", "quota exceeded"}, {"code", 429}};
  EXPECT_EQ(DecodeError(Protocol::kProxy, root.dump()).message, "server error: 'quota exceeded'");
  root["error"] = 17;
  EXPECT_EQ(DecodeError(Protocol::kProxy, root.dump()).message, "server error: 17");
  root["error"] = nullptr;
  EXPECT_EQ(DecodeOk(Protocol::kProxy, root.dump()).severity, Severity::kWarning);
}

TEST(DecodeProxyResponseTest, LongServerErrorIsClippedAndSanitized) {
  Json root;
  std::string text = "line1\nline2\r\x1b[31m";
  text += std::string(10'000, 'e');
  root["error"] = text;
  const Error error = DecodeError(Protocol::kProxy, root.dump());
  EXPECT_THAT(error.message, StartsWith("server error: 'line1?line2??[31meee"));
  EXPECT_THAT(error.message, HasSubstr("...'"));
  EXPECT_LE(error.message.size(), 16u + 64u + 4u);
}

TEST(DecodeProxyResponseTest, ErrorExcerptCutsOnACharacterBoundary) {
  Json classification = ValidClassification();
  std::string value = "x";
  for (int i = 0; i < 40; ++i) value += "\xE6\x8E\xA8";  // 推
  classification["severity"] = value;
  const Error error = DecodeError(Protocol::kProxy, ProxyBody(classification));
  EXPECT_THAT(error.message, HasSubstr("...' is not one of"));
}

TEST(DecodeProxyResponseTest, MalformedJsonReportsOffsetAndExcerpt) {
  const Error error =
      DecodeError(Protocol::kProxy, R"({"classification": {"severity": 3,, "category": "x"}})");
  EXPECT_THAT(error.message, StartsWith("response body: malformed JSON at byte 35: "));
  EXPECT_THAT(error.message, HasSubstr("near '"));
}

TEST(DecodeProxyResponseTest, EveryTruncationOfAValidBodyFails) {
  const std::string body = ProxyBody(ValidClassification());
  for (std::size_t length = 0; length < body.size(); ++length) {
    auto result = DecodeClassifyResponse(Protocol::kProxy, body.substr(0, length), kMiB);
    ASSERT_FALSE(result.has_value()) << length;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidResponse);
  }
}

TEST(DecodeProxyResponseTest, EmptyBodyFails) {
  EXPECT_EQ(DecodeError(Protocol::kProxy, "").message, "response body is empty");
}

TEST(DecodeProxyResponseTest, OversizedBodyFailsBeforeParsing) {
  std::string body = ProxyBody(ValidClassification());
  const std::size_t limit = body.size();
  EXPECT_EQ(DecodeClassifyResponse(Protocol::kProxy, body, limit).has_value(), true);
  body += ' ';
  EXPECT_EQ(DecodeError(Protocol::kProxy, body, limit).message,
            "response body is " + std::to_string(limit + 1) + " bytes, over the limit of " +
                std::to_string(limit) + " bytes");
  EXPECT_THAT(DecodeError(Protocol::kOpenAI, std::string(kMiB + 1, '{'), kMiB).message,
              StartsWith("response body is 1048577 bytes, over the limit"));
}

TEST(DecodeProxyResponseTest, DeepNestingFailsWithoutRecursion) {
  Json classification = ValidClassification();
  std::string deep = std::string(62, '[') + std::string(62, ']');
  classification["extra"] = Json::parse(deep);
  EXPECT_EQ(DecodeOk(Protocol::kProxy, ProxyBody(classification)).severity, Severity::kWarning);

  const std::string too_deep =
      R"({"classification":)" + std::string(100'000, '[') + std::string(100'000, ']') + "}";
  EXPECT_THAT(DecodeError(Protocol::kProxy, too_deep).message,
              HasSubstr("response body: JSON nested deeper than 64 levels at byte 82"));
}

TEST(DecodeProxyResponseTest, NulByteAndInvalidUtf8Fail) {
  std::string body = ProxyBody(ValidClassification());
  std::string with_nul = body;
  with_nul.insert(1, 1, '\0');
  EXPECT_THAT(DecodeError(Protocol::kProxy, with_nul).message, HasSubstr("NUL byte"));
  std::string bad_utf8 = body;
  bad_utf8.replace(bad_utf8.find("CPU high"), 3, "\xff\xfe\xfd");
  EXPECT_THAT(DecodeError(Protocol::kProxy, bad_utf8).message, HasSubstr("malformed JSON"));
}

TEST(DecodeProxyResponseTest, NumberTooLargeForADoubleFails) {
  EXPECT_THAT(
      DecodeError(Protocol::kProxy, R"({"classification":{"severity":1e999,"category":"a"}})")
          .message,
      HasSubstr("malformed JSON"));
}

TEST(DecodeProxyResponseTest, ProcessingTimeVariants) {
  const std::vector<std::pair<Json, std::chrono::microseconds>> cases = {
      {"234ms", 234ms}, {"1.5s", 1500ms}, {"0.234", 234ms}, {"250us", 250us},     {"250µs", 250us},
      {0.25, 250ms},    {2, 2s},          {"1m30s", 90s},   {"garbage", 0us},     {"-1s", 0us},
      {-1, 0us},        {1e300, 0us},     {nullptr, 0us},   {Json::object(), 0us}};
  for (const auto& [value, expected] : cases) {
    Json root = Json::parse(ProxyBody(ValidClassification()));
    root["processing_time"] = value;
    const Classification c = DecodeOk(Protocol::kProxy, root.dump());
    EXPECT_EQ(c.processing_time, expected) << value.dump();
    EXPECT_EQ(c.severity, Severity::kWarning);
  }
}

TEST(DecodeProxyResponseTest, RequestIdComesFromTheBodyAndAWrongTypeIsIgnored) {
  Json root = Json::parse(ProxyBody(ValidClassification()));
  root["request_id"] = "abc-\xE6\x8E\xA8";
  EXPECT_EQ(DecodeOk(Protocol::kProxy, root.dump()).request_id, "abc-\xE6\x8E\xA8");
  root["request_id"] = 42;
  EXPECT_EQ(DecodeOk(Protocol::kProxy, root.dump()).request_id, "");
  root.erase("request_id");
  EXPECT_EQ(DecodeOk(Protocol::kProxy, root.dump()).request_id, "");
}

TEST(DecodeOpenAIResponseTest, ValidAnswerDecodes) {
  const Classification c = DecodeOk(Protocol::kOpenAI, OpenAIBody(ValidClassification().dump()));
  ExpectValidClassification(c);
  EXPECT_EQ(c.request_id, "chatcmpl-abc");
  EXPECT_EQ(c.processing_time, 0us);
}

TEST(DecodeOpenAIResponseTest, ContentInACodeFenceIsAccepted) {
  const std::string json = ValidClassification().dump(2);
  for (const std::string& content : {"```json\n" + json + "\n```", "```\n" + json + "\n```",
                                     "\n  ```JSON\r\n" + json + "```\n", "  " + json + "\n"}) {
    ExpectValidClassification(DecodeOk(Protocol::kOpenAI, OpenAIBody(content)));
  }
  EXPECT_THAT(DecodeError(Protocol::kOpenAI, OpenAIBody("```json\n" + json)).message,
              StartsWith("choices[0].message.content: malformed JSON"));
  EXPECT_THAT(DecodeError(Protocol::kOpenAI, OpenAIBody("Here you go: " + json)).message,
              StartsWith("choices[0].message.content: malformed JSON"));
}

TEST(DecodeOpenAIResponseTest, RefusalFails) {
  Json root = Json::parse(OpenAIBody(""));
  root["choices"][0]["message"]["content"] = nullptr;
  root["choices"][0]["message"]["refusal"] = "I can't help with that.";
  EXPECT_EQ(DecodeError(Protocol::kOpenAI, root.dump()).message,
            "model refused: 'I can't help with that.'");
  root["choices"][0]["message"]["refusal"] = "";
  root["choices"][0]["message"]["content"] = ValidClassification().dump();
  ExpectValidClassification(DecodeOk(Protocol::kOpenAI, root.dump()));
  root["choices"][0]["message"]["refusal"] = Json::object();
  EXPECT_EQ(DecodeError(Protocol::kOpenAI, root.dump()).message, "model refused: object");
}

TEST(DecodeOpenAIResponseTest, FinishReasonLengthFailsAsTruncated) {
  const std::string content = ValidClassification().dump();
  EXPECT_EQ(DecodeError(Protocol::kOpenAI, OpenAIBody(content.substr(0, 40), "length")).message,
            "response truncated (finish_reason=length)");
  EXPECT_EQ(DecodeError(Protocol::kOpenAI, OpenAIBody(content, "length")).message,
            "response truncated (finish_reason=length)");
}

TEST(DecodeOpenAIResponseTest, FinishReasonContentFilterFails) {
  EXPECT_THAT(DecodeError(Protocol::kOpenAI, OpenAIBody("", "content_filter")).message,
              HasSubstr("(finish_reason=content_filter)"));
}

TEST(DecodeOpenAIResponseTest, OtherFinishReasonsAreAccepted) {
  Json root = Json::parse(OpenAIBody(ValidClassification().dump()));
  root["choices"][0]["finish_reason"] = nullptr;
  ExpectValidClassification(DecodeOk(Protocol::kOpenAI, root.dump()));
  root["choices"][0]["finish_reason"] = "eos";
  ExpectValidClassification(DecodeOk(Protocol::kOpenAI, root.dump()));
}

TEST(DecodeOpenAIResponseTest, ContentThatIsNotJsonFails) {
  const Error error =
      DecodeError(Protocol::kOpenAI, OpenAIBody("The alert looks critical to me.\n\x01"));
  EXPECT_THAT(error.message, StartsWith("choices[0].message.content: malformed JSON at byte 1"));
  EXPECT_THAT(error.message, HasSubstr("near 'The alert looks"));
  EXPECT_EQ(DecodeError(Protocol::kOpenAI, OpenAIBody("   ")).message,
            "choices[0].message.content is empty");
}

TEST(DecodeOpenAIResponseTest, ContentOfTheWrongShapeFails) {
  EXPECT_EQ(DecodeError(Protocol::kOpenAI, OpenAIBody("[1,2]")).message,
            "choices[0].message.content: must be a JSON object, got array");
  Json classification = ValidClassification();
  classification["severity"] = 9;
  EXPECT_EQ(DecodeError(Protocol::kOpenAI, OpenAIBody(classification.dump())).message,
            "choices[0].message.content.severity: 9 is out of range 1..4");
  classification = ValidClassification();
  classification.erase("summary");
  EXPECT_EQ(DecodeError(Protocol::kOpenAI, OpenAIBody(classification.dump())).message,
            "choices[0].message.content.summary: missing");
  const std::string deep = std::string(70, '[') + std::string(70, ']');
  EXPECT_THAT(DecodeError(Protocol::kOpenAI, OpenAIBody(deep)).message,
              StartsWith("choices[0].message.content: JSON nested deeper than 64 levels"));
}

TEST(DecodeOpenAIResponseTest, EnvelopeOfTheWrongShapeFails) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"({"id":"x"})", "choices: missing"},
      {R"({"choices":{}})", "choices: must be an array, got object"},
      {R"({"choices":[]})", "choices: empty"},
      {R"({"choices":[3]})", "choices[0]: must be an object, got number"},
      {R"({"choices":[{"finish_reason":"stop"}]})", "choices[0].message: missing"},
      {R"({"choices":[{"message":"hi"}]})", "choices[0].message: must be an object, got string"},
      {R"({"choices":[{"message":{"role":"assistant"}}]})", "choices[0].message.content: missing"},
      {R"({"choices":[{"message":{"content":null}}]})", "choices[0].message.content: missing"},
      {R"({"choices":[{"message":{"content":{"severity":3}}}]})",
       "choices[0].message.content: must be a string, got object"},
      {R"({"error":{"message":"Rate limit reached","type":"requests"}})",
       "server error: 'Rate limit reached'"},
  };
  for (const auto& [body, message] : cases) {
    EXPECT_EQ(DecodeError(Protocol::kOpenAI, body).message, message) << body;
  }
}

TEST(DecodeOpenAIResponseTest, ProxyAnswerIsNotAnOpenAIAnswer) {
  EXPECT_EQ(DecodeError(Protocol::kOpenAI, ProxyBody(ValidClassification())).message,
            "choices: missing");
  EXPECT_EQ(DecodeError(Protocol::kProxy, OpenAIBody(ValidClassification().dump())).message,
            "classification: missing");
}

TEST(DecodeOpenAIResponseTest, EveryTruncationOfAValidBodyFails) {
  const std::string body = OpenAIBody(ValidClassification().dump());
  for (std::size_t length = 0; length < body.size(); ++length) {
    auto result = DecodeClassifyResponse(Protocol::kOpenAI, body.substr(0, length), kMiB);
    ASSERT_FALSE(result.has_value()) << length;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidResponse);
  }
}

TEST(DecodeOpenAIResponseTest, HugeContentErrorStaysShort) {
  Json classification = ValidClassification();
  classification["confidence"] = std::string(200'000, '\n');
  const Error error = DecodeError(Protocol::kOpenAI, OpenAIBody(classification.dump()));
  EXPECT_THAT(error.message, StartsWith("choices[0].message.content.confidence: must be a number"));
  EXPECT_LE(error.message.size(), 150u);
}

// The fuzzers' committed seeds: the valid_* answers decode, the others fail cleanly.
TEST(DecodeClassifyResponseTest, FuzzSeedCorporaDecodeAsNamed) {
  const std::filesystem::path corpus =
      std::filesystem::path(ALERTLLM_SOURCE_DIR) / "fuzz" / "corpus";
  int seeds = 0;
  for (const auto& [directory, protocol] :
       {std::pair{"proxy", Protocol::kProxy}, std::pair{"openai", Protocol::kOpenAI}}) {
    for (const auto& entry : std::filesystem::directory_iterator(corpus / directory)) {
      SCOPED_TRACE(entry.path().string());
      const auto result = DecodeClassifyResponse(protocol, ReadFile(entry.path()), kMiB);
      if (entry.path().filename().string().starts_with("valid")) {
        EXPECT_TRUE(result.has_value()) << result.error().message;
      } else {
        ASSERT_FALSE(result.has_value());
        EXPECT_EQ(result.error().code, ErrorCode::kInvalidResponse);
      }
      ++seeds;
    }
  }
  EXPECT_GE(seeds, 6);
}

TEST(ParseProcessingTimeTest, AcceptsGoDurationsAndBareSeconds) {
  const std::vector<std::pair<const char*, std::chrono::microseconds>> cases = {
      {"234ms", 234ms},
      {"1.5s", 1500ms},
      {"0.234", 234ms},
      {"250us", 250us},
      {"250\xC2\xB5s", 250us},
      {"250\xCE\xBCs", 250us},
      {"1m30s", 90s},
      {"2h", 2h},
      {"800ns", 0us},
      {"1500ns", 1us},
      {"0", 0us},
      {"3", 3s},
      {"1.000001s", 1'000'001us},
      {"0.0000015", 1us},
      {".5s", 500ms},
      {"5.s", 5s},
      {"1h2m3.5s", 3723500ms},
      {"234.567ms", 234567us},
      {"2562047h", 2562047h}};
  for (const auto& [text, expected] : cases) {
    auto parsed = ParseProcessingTime(text);
    ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, expected) << text;
  }
}

TEST(ParseProcessingTimeTest, RejectsSignsGarbageAndOverflow) {
  for (const char* text :
       {"",         "-1s", "+1s", "-0.5", "abc",    "1x",    "s",
        ".",        "1e3", " 1s", "1s ",  "1.5.5s", "1s500", "99999999999999999999s",
        "2562048h", "NaN", "inf", "1 s",  "1S",     "1sec",  "1\xC2s"}) {
    auto parsed = ParseProcessingTime(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidResponse);
    EXPECT_THAT(parsed.error().message, StartsWith("processing_time: '"));
    EXPECT_TRUE(IsValidUtf8WithoutControls(parsed.error().message));
  }
}

// ---- token usage ----

// An OpenAI answer whose top-level `usage` is `usage` (any JSON text).
std::string OpenAIBodyWithUsage(std::string_view usage) {
  Json root = Json::parse(OpenAIBody(ValidClassification().dump()));
  root["usage"] = Json::parse(usage);
  return root.dump();
}

std::optional<TokenUsage> UsageOf(Protocol protocol, const std::string& body) {
  return DecodeOk(protocol, body).usage;
}

TEST(DecodeUsageTest, OpenAIUsageIsRead) {
  const auto usage = UsageOf(Protocol::kOpenAI, OpenAIBodyWithUsage(
                                                    R"({"prompt_tokens":412,"completion_tokens":96,
                                                        "total_tokens":508})"));
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(*usage, (TokenUsage{412, 96, 0}));
}

TEST(DecodeUsageTest, CachedTokensAreReadFromPromptTokensDetails) {
  const auto usage = UsageOf(
      Protocol::kOpenAI,
      OpenAIBodyWithUsage(R"({"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,
          "prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},
          "completion_tokens_details":{"reasoning_tokens":0}})"));
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(*usage, (TokenUsage{2006, 300, 1920}));
}

TEST(DecodeUsageTest, NullOrEmptyDetailsMeanNoCachedTokens) {
  for (const char* details : {"null", "{}", R"({"cached_tokens":null})"}) {
    SCOPED_TRACE(details);
    const auto usage = UsageOf(
        Protocol::kOpenAI,
        OpenAIBodyWithUsage(R"({"prompt_tokens":5,"completion_tokens":6,"prompt_tokens_details":)" +
                            std::string(details) + "}"));
    ASSERT_TRUE(usage.has_value());
    EXPECT_EQ(*usage, (TokenUsage{5, 6, 0}));
  }
}

TEST(DecodeUsageTest, AnswerWithoutUsageHasNone) {
  Json root = Json::parse(OpenAIBody(ValidClassification().dump()));
  root.erase("usage");
  EXPECT_FALSE(UsageOf(Protocol::kOpenAI, root.dump()).has_value());
  root["usage"] = nullptr;
  EXPECT_FALSE(UsageOf(Protocol::kOpenAI, root.dump()).has_value());
}

// A malformed usage is ignored whole, and the classification still decodes (DecodeOk fails the
// test otherwise).
TEST(DecodeUsageTest, MalformedUsageIsIgnoredAndTheAnswerStands) {
  for (
      const char* usage :
      {"[]", "7", R"("412")", "{}", R"({"prompt_tokens":1})", R"({"completion_tokens":1})",
       R"({"prompt_tokens":-1,"completion_tokens":1})",
       R"({"prompt_tokens":1,"completion_tokens":-5})",
       R"({"prompt_tokens":1.5,"completion_tokens":1})",
       R"({"prompt_tokens":10.0,"completion_tokens":1})",
       R"({"prompt_tokens":"10","completion_tokens":1})",
       R"({"prompt_tokens":true,"completion_tokens":1})",
       R"({"prompt_tokens":1e300,"completion_tokens":1})",
       R"({"prompt_tokens":null,"completion_tokens":1})",
       R"({"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":[]})",
       R"({"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":-1}})",
       R"({"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":11}})",
       R"({"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":"1"}})"}) {
    SCOPED_TRACE(usage);
    const Classification c = DecodeOk(Protocol::kOpenAI, OpenAIBodyWithUsage(usage));
    EXPECT_FALSE(c.usage.has_value());
    EXPECT_EQ(c.summary, "CPU high on node-1");
  }
}

TEST(DecodeUsageTest, HugeCountsAreCappedAt2To32) {
  constexpr std::int64_t kCap = std::int64_t{1} << 32;
  const auto usage =
      UsageOf(Protocol::kOpenAI, OpenAIBodyWithUsage(R"({"prompt_tokens":18446744073709551615,
          "completion_tokens":9223372036854775807,
          "prompt_tokens_details":{"cached_tokens":4294967297}})"));
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(*usage, (TokenUsage{kCap, kCap, kCap}));
}

TEST(DecodeUsageTest, ProxyAnswerWithoutUsageHasNone) {
  EXPECT_FALSE(UsageOf(Protocol::kProxy, ProxyBody(ValidClassification())).has_value());
}

TEST(DecodeUsageTest, ProxyAnswerCarryingTheOpenAIUsageObjectIsRead) {
  Json root = Json::parse(ProxyBody(ValidClassification()));
  root["usage"] = Json::parse(
      R"({"prompt_tokens":30,"completion_tokens":7,"prompt_tokens_details":{"cached_tokens":3}})");
  const auto usage = UsageOf(Protocol::kProxy, root.dump());
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(*usage, (TokenUsage{30, 7, 3}));
}

TEST(DecodeUsageTest, UsageOnAFailedAnswerDoesNotMakeItSucceed) {
  Json root = Json::parse(OpenAIBody(ValidClassification().dump(), "length"));
  EXPECT_THAT(DecodeError(Protocol::kOpenAI, root.dump()).message, HasSubstr("finish_reason"));
}

}  // namespace
}  // namespace alertllm::internal
