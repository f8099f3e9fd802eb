// SPDX-License-Identifier: Apache-2.0
// WebhookService's log line per classification quotes the alert name as the LLM saw it: what
// the client's redaction took out of the request stays out of the log.
#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <sstream>
#include <string>

#include "alertllm/client.hpp"
#include "webhook_test_fixture.hpp"

namespace alertllm::webhook {
namespace {

using fixture::FakeLlm;
using fixture::Json;

// One notification of one alert named `name`, from a real capture.
std::string NotificationNamed(const std::string& name) {
  Json payload = Json::parse(test::ReadFile(fixture::Payloads().front()));
  Json alert = payload["alerts"][0];
  alert["labels"]["alertname"] = name;
  payload["alerts"] = Json::array({alert});
  payload["commonLabels"] = Json::object();
  payload["groupLabels"] = Json::object();
  return payload.dump();
}

// The log of a service whose client redacts with `redaction`, after one notification of an
// alert named `name`.
std::string LogAfterOneAlert(const RedactionConfig& redaction, const std::string& name) {
  FakeLlm llm;
  Config config;
  config.base_url = llm.url();
  config.max_retries = 0;
  config.redaction = redaction;
  auto client = std::make_shared<HttpLlmClient>(config);
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>(
      "webhook_redaction_test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  WebhookServiceOptions options;
  options.port = 0;
  options.logger = logger;
  WebhookService service(client, std::move(options));
  EXPECT_TRUE(service.Start().has_value());
  httplib::Client http("127.0.0.1", service.port());
  const auto res = http.Post("/alerts", NotificationNamed(name), "application/json");
  EXPECT_TRUE(res && res->status == 200);
  service.Stop();
  return log.str();
}

TEST(WebhookRedactionTest, TheLogQuotesTheRedactedAlertName) {
  const std::string log = LogAfterOneAlert(RedactionConfig{}, "Leak token=abc123");
  EXPECT_NE(log.find("alertname=Leak?token=[REDACTED:secret_param]"), std::string::npos) << log;
  EXPECT_EQ(log.find("abc123"), std::string::npos) << log;
}

TEST(WebhookRedactionTest, AKeyNamingAlertnameHidesItFromTheLog) {
  RedactionConfig redaction;
  redaction.keys = {"alertname"};
  const std::string log = LogAfterOneAlert(redaction, "CustomerAcmeDown");
  EXPECT_NE(log.find("alertname=[REDACTED:key]"), std::string::npos) << log;
  EXPECT_EQ(log.find("CustomerAcme"), std::string::npos) << log;
}

TEST(WebhookRedactionTest, WithRedactionOffTheNameIsLoggedAsItIs) {
  RedactionConfig redaction;
  redaction.enabled = false;
  const std::string log = LogAfterOneAlert(redaction, "Leak token=abc123");
  EXPECT_NE(log.find("alertname=Leak?token=abc123"), std::string::npos) << log;
}

}  // namespace
}  // namespace alertllm::webhook
