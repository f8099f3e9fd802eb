// SPDX-License-Identifier: Apache-2.0
// WebhookService on a hostile network and through a shutdown (issue 12's red-team cases that
// involve the LLM): /healthz answers while notifications wait on a slow LLM; SIGTERM's grace
// period answers an unfinished notification 503 (so Alertmanager sends it again) rather than
// 200 with cancelled alerts; a client that goes away cancels its classifications; a
// notification of too many alerts, or a compressed one, costs no LLM call.
//
// Network deadlines cannot take an injected clock: these tests wait on real time, with bounds
// generous enough for the sanitizers on two busy cores.
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "support/wait_until.hpp"
#include "webhook_test_fixture.hpp"

namespace alertllm::webhook {
namespace {

using fixture::Json;
using fixture::Names;
using fixture::NotificationBody;
using fixture::WebhookServiceTest;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::WaitUntil;

// One answered POST /alerts, on a connection of its own.
struct Answer {
  int status = 0;
  std::string retry_after;
  std::string body;
};

std::future<Answer> PostAsync(int port, std::string body) {
  return std::async(std::launch::async, [port, body = std::move(body)] {
    httplib::Client http("127.0.0.1", port);
    http.set_read_timeout(30, 0);
    auto res = http.Post("/alerts", body, "application/json");
    if (!res) return Answer{};
    return Answer{res->status, res->get_header_value("Retry-After"), res->body};
  });
}

// The value of the sample `series` (its whole text up to the value) in a metrics exposition.
double Sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}


std::string RawPost(const std::string& body) {
  return "POST /alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_F(WebhookServiceTest, HealthzAnswersWhileNotificationsWaitOnASlowLlm) {
  llm_.set_delay(milliseconds(3000));
  StartService();
  // More notifications than the old server had workers (8), all waiting on the LLM.
  std::vector<std::future<Answer>> posts;
  for (int i = 0; i < 12; ++i) {
    posts.push_back(PostAsync(service_->port(), NotificationBody(Names("N" + std::to_string(i), 2))));
  }
  ASSERT_NO_FATAL_FAILURE(WaitUntil([&] { return llm_.calls() >= 16; }));
  for (int i = 0; i < 5; ++i) {
    httplib::Client probe("127.0.0.1", service_->port());
    probe.set_read_timeout(1, 0);
    auto res = probe.Get("/healthz");
    ASSERT_TRUE(res) << "probe " << i << " got no answer";
    EXPECT_EQ(res->status, 200);
  }
  // The probes were answered while every notification was still waiting.
  for (auto& post : posts) {
    EXPECT_EQ(post.wait_for(milliseconds(0)), std::future_status::timeout);
  }
  for (auto& post : posts) EXPECT_EQ(post.get().status, 200);
}

TEST_F(WebhookServiceTest, ShutdownAnswersAnUnfinishedNotification503AfterTheGrace) {
  llm_.set_delay(milliseconds(4000));
  StartService();
  auto post = PostAsync(service_->port(), NotificationBody(Names("S", 3)));
  ASSERT_NO_FATAL_FAILURE(WaitUntil([&] { return llm_.calls() >= 1; }));
  const auto begin = steady_clock::now();
  service_->Shutdown(milliseconds(300));
  const auto took = steady_clock::now() - begin;
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(1300));  // grace + 1 s
  const Answer answer = post.get();
  EXPECT_EQ(answer.status, 503);
  EXPECT_FALSE(answer.retry_after.empty());
  const std::string error = Json::parse(answer.body).at("error");
  EXPECT_NE(error.find("--shutdown-grace"), std::string::npos) << error;
}

TEST_F(WebhookServiceTest, ANotificationFinishingWithinTheGraceIsAnswered200) {
  llm_.set_delay(milliseconds(300));
  StartService();
  auto post = PostAsync(service_->port(), NotificationBody(Names("G", 2)));
  ASSERT_NO_FATAL_FAILURE(WaitUntil([&] { return llm_.calls() >= 1; }));
  service_->Shutdown(milliseconds(10000));
  const Answer answer = post.get();
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(Json::parse(answer.body).at("classifications").size(), 2u);
}

TEST_F(WebhookServiceTest, NoConnectionIsAcceptedAfterShutdown) {
  StartService();
  const int port = service_->port();
  service_->Shutdown(milliseconds(0));
  const int fd = fixture::ConnectTo(port);
  EXPECT_EQ(fd, -1);
  if (fd >= 0) close(fd);
}

TEST_F(WebhookServiceTest, AClientThatGoesAwayCancelsItsUnfinishedClassifications) {
  llm_.set_delay(milliseconds(5000));
  tune_options_ = [](WebhookServiceOptions& options) { options.notification_window = 4; };
  StartService();
  const int fd = fixture::ConnectTo(service_->port());
  ASSERT_GE(fd, 0);
  const std::string request = RawPost(NotificationBody(Names("D", 20)));
  ASSERT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  ASSERT_NO_FATAL_FAILURE(WaitUntil([&] { return llm_.calls() >= 4; }));
  close(fd);  // as Alertmanager does when its timeout passes
  // Every alert ends (4 cancelled in flight, 16 never asked) long before the LLM would have
  // answered the first four.
  const std::string errors = "alertllm_webhook_classifications_total{outcome=\"error\"}";
  ASSERT_NO_FATAL_FAILURE(
      WaitUntil([&] { return Sample(service_->MetricsText(), errors) == 20; }));
  EXPECT_EQ(llm_.calls(), 4);
}

TEST_F(WebhookServiceTest, TooManyAlertsIs413NamingTheFlagAndTheCount) {
  tune_options_ = [](WebhookServiceOptions& options) { options.max_alerts_per_notification = 5; };
  StartService();
  auto res = Post(NotificationBody(Names("M", 6)));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  const std::string error = Json::parse(res->body).at("error");
  EXPECT_NE(error.find("--max-alerts-per-notification (5)"), std::string::npos) << error;
  EXPECT_NE(error.find("holds 6 alerts"), std::string::npos) << error;
  EXPECT_EQ(llm_.calls(), 0);
  auto five = Post(NotificationBody(Names("M", 5)));
  ASSERT_TRUE(five);
  EXPECT_EQ(five->status, 200);
}

TEST_F(WebhookServiceTest, ACompressedBodyIs415AndNeverInflated) {
  StartService();
  // The first bytes of a gzip stream; the server must not even look at them.
  const std::string gzip("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  auto res = http_->Post("/alerts", {{"Content-Encoding", "gzip"}}, gzip, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  const std::string error = Json::parse(res->body).at("error");
  EXPECT_NE(error.find("gzip"), std::string::npos) << error;
  EXPECT_EQ(llm_.calls(), 0);
}

TEST_F(WebhookServiceTest, EveryErrorBodySaysWhatWasWrong) {
  StartService();
  auto not_found = http_->Get("/nope");
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->status, 404);
  EXPECT_NE(Json::parse(not_found->body).at("error").get<std::string>().find("/nope"),
            std::string::npos);
  auto wrong_method = http_->Put("/alerts", "{}", "application/json");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_NE(Json::parse(wrong_method->body).at("error").get<std::string>().find("PUT"),
            std::string::npos);
  // A target longer than the header limit.
  auto long_target = http_->Get("/" + std::string(20000, 'a'));
  ASSERT_TRUE(long_target);
  EXPECT_GE(long_target->status, 400);
  const std::string error = Json::parse(long_target->body).at("error");
  EXPECT_NE(error, "error");
  EXPECT_GT(error.size(), 10u);
}

}  // namespace
}  // namespace alertllm::webhook
