// SPDX-License-Identifier: Apache-2.0
// WebhookService (apps/webhook) over real HTTP: the service on 127.0.0.1 port 0, its
// HttpLlmClient pointed at a cpp-httplib fake LLM proxy on another port 0.
#include <httplib.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "alertllm/client.hpp"
#include "alertllm/webhook.hpp"
#include "support/captures.hpp"
#include "webhook_service.hpp"
#include "webhook_test_fixture.hpp"

namespace alertllm::webhook {
namespace {

using fixture::CapturesDir;
using fixture::Json;
using fixture::Payloads;
using fixture::WebhookServiceTest;
using test::ReadFile;

TEST_F(WebhookServiceTest, BadBodiesAre400WithTheParseError) {
  StartService();
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  const std::string invalid_utf8 =
      R"({"version":"4","alerts":[{"status":"firing","labels":{"alertname":"X)"
      "\xff\xfe"
      R"("},"annotations":{},"startsAt":"2026-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]})";
  for (const std::string& body :
       {std::string(), std::string("garbage"), std::string("{}"), std::string("\xff\xff\xff"),
        invalid_utf8, deep, std::string(R"({"alerts":[42]})")}) {
    SCOPED_TRACE(body.substr(0, 40));
    auto res = Post(body);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    const Json answer = Json::parse(res->body);
    ASSERT_TRUE(answer.at("error").is_string());
    EXPECT_FALSE(answer.at("error").get<std::string>().empty());
  }
  EXPECT_EQ(llm_.calls(), 0);
}

TEST_F(WebhookServiceTest, OversizedBodyIs413) {
  StartService();
  auto res = Post(std::string(kDefaultMaxWebhookBytes + 1, ' '));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_TRUE(Json::parse(res->body).at("error").is_string());
  EXPECT_EQ(llm_.calls(), 0);
}

// What `curl --data-binary @file` sends: the body is read as raw bytes whatever the
// Content-Type, so a form Content-Type above cpp-httplib's 8 KiB form limit is still classified.
TEST_F(WebhookServiceTest, FormContentTypeAbove8KiBIsReadAsRawBytes) {
  StartService();
  std::string body = ReadFile(Payloads().front());
  auto alerts = ParseAlertmanagerWebhook(body);
  ASSERT_TRUE(alerts.has_value());
  body.insert(body.find('{') + 1, "\"padding\": \"" + std::string(20 * 1024, 'x') + "\",");
  ASSERT_GT(body.size(), 20u * 1024);
  auto res = http_->Post("/alerts", body, "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(Json::parse(res->body).at("classifications").size(), alerts->size());
}

TEST_F(WebhookServiceTest, MultipartIs415NamingTheContentType) {
  StartService();
  httplib::MultipartFormDataItems items = {{"file", "{}", "alerts.json", "application/json"}};
  auto res = http_->Post("/alerts", items);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  const std::string error = Json::parse(res->body).at("error").get<std::string>();
  EXPECT_NE(error.find("multipart/form-data"), std::string::npos) << error;
  EXPECT_EQ(llm_.calls(), 0);
}

TEST_F(WebhookServiceTest, OversizedBodyWithoutContentLengthIs413) {
  StartService();
  const std::string body(kDefaultMaxWebhookBytes + 1, ' ');
  std::size_t sent = 0;
  auto res = http_->Post(
      "/alerts",
      [&](std::size_t, httplib::DataSink& sink) {
        const std::size_t n = std::min<std::size_t>(64 * 1024, body.size() - sent);
        sink.write(body.data() + sent, n);
        sent += n;
        if (sent == body.size()) sink.done();
        return true;
      },
      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(Json::parse(res->body).at("error").get<std::string>(),
            "body exceeds " + std::to_string(kDefaultMaxWebhookBytes) + " bytes");
  EXPECT_EQ(llm_.calls(), 0);
}

TEST_F(WebhookServiceTest, UnknownPathIs404AndWrongMethodIs405) {
  StartService();
  auto not_found = http_->Get("/nope");
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->status, 404);
  auto get_alerts = http_->Get("/alerts");
  ASSERT_TRUE(get_alerts);
  EXPECT_EQ(get_alerts->status, 405);
  EXPECT_EQ(get_alerts->get_header_value("Allow"), "POST");
  auto post_health = http_->Post("/healthz", "{}", "application/json");
  ASSERT_TRUE(post_health);
  EXPECT_EQ(post_health->status, 405);
  auto delete_metrics = http_->Delete("/metrics");
  ASSERT_TRUE(delete_metrics);
  EXPECT_EQ(delete_metrics->status, 405);
}

TEST_F(WebhookServiceTest, FailedClassificationsAre200AndCarryTheirError) {
  StartService();
  llm_.set_failing(true);
  auto res =
      Post(ReadFile(CapturesDir() / "alertmanager_webhook_06_HighCPUUsage_grouped_2_firing.json"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const Json list = Json::parse(res->body).at("classifications");
  ASSERT_EQ(list.size(), 2u);
  for (const Json& c : list) {
    EXPECT_EQ(c.at("ok"), false);
    EXPECT_TRUE(c.at("severity").is_null());
    EXPECT_EQ(c.at("attempts"), 1);
    EXPECT_EQ(c.at("error").at("category"), "server_error");
    EXPECT_TRUE(c.at("error").at("message").is_string());
  }
}

TEST_F(WebhookServiceTest, FallbackAnswersCarryTheirReason) {
  StartService(FallbackMode::kRules);
  llm_.set_failing(true);
  auto res = Post(ReadFile(CapturesDir() / "alertmanager_webhook_02_NodeDown_firing.json"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const Json c = Json::parse(res->body).at("classifications").at(0);
  EXPECT_EQ(c.at("ok"), true);
  EXPECT_EQ(c.at("source"), "fallback");
  EXPECT_EQ(c.at("fallback_reason").get<std::string>().rfind("server_error: ", 0), 0u);
}

TEST_F(WebhookServiceTest, HealthzHasTheSeedShapeWhileClosed) {
  StartService();
  const Json health = Health();
  EXPECT_EQ(health.at("status"), "healthy");
  const Json& llm = health.at("llm");
  EXPECT_EQ(llm.size(), 5u);
  EXPECT_EQ(llm.at("circuit_breaker_state"), "closed");
  EXPECT_EQ(llm.at("failure_count"), 0);
  EXPECT_EQ(llm.at("success_count"), 0);
  EXPECT_TRUE(llm.at("last_failure").is_null());
  EXPECT_TRUE(llm.at("next_retry_at").is_null());
}

TEST_F(WebhookServiceTest, HealthzIs200WhileTheBreakerIsOpen) {
  StartService();
  llm_.set_failing(true);
  auto res =
      Post(ReadFile(CapturesDir() / "alertmanager_webhook_06_HighCPUUsage_grouped_2_firing.json"));
  ASSERT_TRUE(res);
  ASSERT_EQ(client_->GetCircuitBreakerState(), CircuitState::kOpen);
  const Json health = Health();
  EXPECT_EQ(health.at("status"), "healthy");
  const Json& llm = health.at("llm");
  EXPECT_EQ(llm.at("circuit_breaker_state"), "open");
  EXPECT_EQ(llm.at("failure_count"), 2);
  EXPECT_EQ(llm.at("success_count"), 0);
  ASSERT_TRUE(llm.at("last_failure").is_string());
  ASSERT_TRUE(llm.at("next_retry_at").is_string());
  // RFC 3339 UTC with milliseconds; the retry is reset_timeout (5 min) after the last failure.
  const std::string last = llm.at("last_failure");
  const std::string next = llm.at("next_retry_at");
  EXPECT_EQ(last.size(), 24u);
  EXPECT_EQ(last.back(), 'Z');
  EXPECT_EQ(last[10], 'T');
  EXPECT_GT(next, last);

  // Rejected by the open breaker: still 200, each with its error.
  auto rejected = Post(ReadFile(CapturesDir() / "alertmanager_webhook_02_NodeDown_firing.json"));
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 200);
  EXPECT_EQ(Json::parse(rejected->body)["classifications"][0]["error"]["category"],
            "circuit_breaker_open");
}

TEST(WebhookHealthStateName, SpellsTheSeedStates) {
  EXPECT_EQ(HealthStateName(CircuitState::kClosed), "closed");
  EXPECT_EQ(HealthStateName(CircuitState::kOpen), "open");
  EXPECT_EQ(HealthStateName(CircuitState::kHalfOpen), "half-open");
}

TEST_F(WebhookServiceTest, MetricsServeTheClientAndServiceFamilies) {
  StartService();
  ASSERT_TRUE(Post(ReadFile(CapturesDir() / "alertmanager_webhook_02_NodeDown_firing.json")));
  ASSERT_TRUE(Post("garbage"));
  auto missing = http_->Get("/nope");
  ASSERT_TRUE(missing);
  ASSERT_EQ(missing->status, 404);
  // Each request is counted before its answer is sent, so a scrape right after sees it.
  auto res = http_->Get("/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  const std::string& text = res->body;
  EXPECT_NE(text.find("llm_circuit_breaker_state 0"), std::string::npos);
  EXPECT_NE(text.find("llm_client_requests_total{category=\"success\"} 1"), std::string::npos);
  EXPECT_NE(text.find("alertllm_webhook_requests_total{code=\"200\"} 1"), std::string::npos);
  EXPECT_NE(text.find("alertllm_webhook_requests_total{code=\"400\"} 1"), std::string::npos);
  EXPECT_NE(text.find("alertllm_webhook_requests_total{code=\"404\"} 1"), std::string::npos);
  EXPECT_NE(text.find("alertllm_webhook_alerts_total 1"), std::string::npos);
  EXPECT_NE(text.find("alertllm_webhook_classifications_total{outcome=\"ok\"} 1"),
            std::string::npos);
}

TEST_F(WebhookServiceTest, MetricsPortServesMetricsOnlyThere) {
  StartService(FallbackMode::kNone, 0);
  ASSERT_GT(service_->metrics_port(), 0);
  ASSERT_NE(service_->metrics_port(), service_->port());
  auto main_metrics = http_->Get("/metrics");
  ASSERT_TRUE(main_metrics);
  EXPECT_EQ(main_metrics->status, 404);
  httplib::Client metrics("127.0.0.1", service_->metrics_port());
  auto res = metrics.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("alertllm_webhook_requests_total"), std::string::npos);
  auto alerts = metrics.Post("/alerts", "{}", "application/json");
  ASSERT_TRUE(alerts);
  EXPECT_EQ(alerts->status, 404);
}

TEST_F(WebhookServiceTest, StartTwiceIsAnError) {
  StartService();
  EXPECT_FALSE(service_->Start().has_value());
}

TEST(WebhookServiceBind, PortInUseIsAnError) {
  httplib::Server holder;
  const int port = holder.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  Config config;
  WebhookServiceOptions options;
  options.port = port;
  WebhookService service(std::make_shared<HttpLlmClient>(config), std::move(options));
  auto started = service.Start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().message.find(std::to_string(port)), std::string::npos);
}

}  // namespace
}  // namespace alertllm::webhook
