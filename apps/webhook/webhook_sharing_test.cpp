// SPDX-License-Identifier: Apache-2.0
// WebhookService and the client's sharing: one LLM request per distinct alert, within a
// notification, across notifications and across notifications in flight at once.
#include <httplib.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "alertllm/webhook.hpp"
#include "webhook_test_fixture.hpp"

namespace alertllm::webhook {
namespace {

using fixture::Json;
using fixture::Payloads;
using fixture::WebhookServiceTest;
using test::ReadFile;

// Alertmanager re-sends alerts: the captures hold 20 alerts of fewer distinct (fingerprint,
// status) pairs, and the client asks the LLM once per pair — a repeat is answered from its
// cache ("cache", no request of its own).
TEST_F(WebhookServiceTest, EverySharedPayloadGetsOneClassificationPerAlertInOrder) {
  StartService();
  const auto payloads = Payloads();
  ASSERT_EQ(payloads.size(), 18u);
  std::set<std::string> asked;
  for (const auto& path : payloads) {
    SCOPED_TRACE(path.filename().string());
    const std::string body = ReadFile(path);
    auto expected = ParseAlertmanagerWebhook(body);
    ASSERT_TRUE(expected.has_value());
    auto res = Post(body);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    const Json answer = Json::parse(res->body);
    const Json& list = answer.at("classifications");
    ASSERT_EQ(list.size(), expected->size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      const Json& c = list[i];
      EXPECT_EQ(c.at("fingerprint"), (*expected)[i].fingerprint);
      EXPECT_EQ(c.at("alertname"), (*expected)[i].alert_name);
      EXPECT_EQ(c.at("status"), std::string(ToString((*expected)[i].status)));
      EXPECT_EQ(c.at("ok"), true);
      const bool first = asked
                             .insert((*expected)[i].fingerprint + "/" +
                                     std::string(ToString((*expected)[i].status)))
                             .second;
      EXPECT_EQ(c.at("source"), first ? "llm" : "cache");
      EXPECT_EQ(c.at("attempts"), first ? 1 : 0);
      EXPECT_EQ(c.at("severity"), "warning");
      EXPECT_EQ(c.at("category"), "performance");
      EXPECT_EQ(c.at("summary"), "cpu hot");
      EXPECT_DOUBLE_EQ(c.at("confidence").get<double>(), 0.8);
      EXPECT_FALSE(c.contains("error"));
      EXPECT_FALSE(c.contains("fallback_reason"));
    }
  }
  EXPECT_LT(asked.size(), 20u);
  EXPECT_EQ(llm_.calls(), static_cast<int>(asked.size()));
}

TEST_F(WebhookServiceTest, ManyAlertsAreAnsweredInInputOrder) {
  StartService();
  auto res = Post(fixture::NotificationBody(fixture::Names("A", 40)));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const Json list = Json::parse(res->body).at("classifications");
  ASSERT_EQ(list.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(list[static_cast<std::size_t>(i)].at("alertname"), "A" + std::to_string(i));
    EXPECT_EQ(list[static_cast<std::size_t>(i)].at("fingerprint"),
              Fingerprint({{"alertname", "A" + std::to_string(i)}}));
  }
  EXPECT_EQ(llm_.calls(), 40);
}

// A notification of `copies` rounds of the alerts R0..R<distinct - 1>, in that order.
std::string RepeatedAlertsBody(int distinct, int copies) {
  std::vector<std::string> names;
  for (int copy = 0; copy < copies; ++copy) {
    for (const std::string& name : fixture::Names("R", distinct)) names.push_back(name);
  }
  return fixture::NotificationBody(names);
}

TEST_F(WebhookServiceTest, RepeatedAlertsOfANotificationCostOneRequestEach) {
  StartService();
  auto res = Post(RepeatedAlertsBody(3, 4));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const Json list = Json::parse(res->body).at("classifications");
  ASSERT_EQ(list.size(), 12u);
  for (std::size_t i = 0; i < list.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(list[i].at("alertname"), "R" + std::to_string(i % 3));
    EXPECT_EQ(list[i].at("ok"), true);
    EXPECT_EQ(list[i].at("source"), i < 3 ? "llm" : "cache");
    EXPECT_EQ(list[i].at("attempts"), i < 3 ? 1 : 0);
  }
  EXPECT_EQ(llm_.calls(), 3);
}

// Two notifications in flight at once (each answer takes 200 ms) share the client's requests.
TEST_F(WebhookServiceTest, ConcurrentNotificationsShareTheirRequests) {
  StartService();
  llm_.set_delay(std::chrono::milliseconds(200));
  const std::string body = RepeatedAlertsBody(4, 2);
  std::vector<int> statuses(2, 0);
  std::vector<std::size_t> counts(2, 0);
  {
    std::vector<std::jthread> posters;
    for (std::size_t k = 0; k < 2; ++k) {
      posters.emplace_back([&, k] {
        httplib::Client http("127.0.0.1", service_->port());
        http.set_read_timeout(30, 0);
        auto res = http.Post("/alerts", body, "application/json");
        if (!res) return;
        statuses[k] = res->status;
        const Json answer = Json::parse(res->body);
        for (const Json& c : answer.at("classifications")) {
          if (c.at("ok") == true) ++counts[k];
        }
      });
    }
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 200}));
  EXPECT_EQ(counts, (std::vector<std::size_t>{8, 8}));
  EXPECT_EQ(llm_.calls(), 4);
}

}  // namespace
}  // namespace alertllm::webhook
