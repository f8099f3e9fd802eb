// SPDX-License-Identifier: Apache-2.0
// The fixture of the WebhookService tests: the service on 127.0.0.1 port 0, its HttpLlmClient
// pointed at a cpp-httplib fake LLM proxy on another port 0.
#pragma once

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alertllm/client.hpp"
#include "support/captures.hpp"
#include "support/local_http_server.hpp"
#include "webhook_service.hpp"

namespace alertllm::webhook::fixture {

using Json = nlohmann::json;

inline std::filesystem::path CapturesDir() { return test::TestdataDir() / "alertmanager"; }

// The real Alertmanager captures (testdata/alertmanager).
inline std::vector<std::filesystem::path> Payloads() { return test::CaptureFiles(); }

// A raw TCP connection to 127.0.0.1:port (a client that misbehaves), or -1.
inline int ConnectTo(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A notification of one firing alert per name, in order; names may repeat.
inline std::string NotificationBody(const std::vector<std::string>& names) {
  Json body = {{"version", "4"}, {"status", "firing"}, {"alerts", Json::array()}};
  for (const std::string& name : names) {
    body["alerts"].push_back({{"status", "firing"},
                              {"labels", {{"alertname", name}}},
                              {"annotations", Json::object()},
                              {"startsAt", "2026-01-01T00:00:00Z"},
                              {"endsAt", "0001-01-01T00:00:00Z"},
                              {"generatorURL", ""},
                              {"fingerprint", ""}});
  }
  return body.dump();
}

// "<prefix>0" .. "<prefix><count - 1>".
inline std::vector<std::string> Names(const std::string& prefix, int count) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) names.push_back(prefix + std::to_string(i));
  return names;
}

// The fake LLM proxy: answers POST /classify with a fixed classification, or 503 while
// `failing` is set.
class FakeLlm {
 public:
  FakeLlm() {
    // A thread per connection the client may keep open (max_in_flight is 16), so no request
    // waits behind another connection's keep-alive.
    server_.new_task_queue = [] { return new httplib::ThreadPool(32); };
    server_.Post("/classify", [this](const httplib::Request&, httplib::Response& res) {
      calls_.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
      if (failing_.load()) {
        res.status = 503;
        return;
      }
      res.set_content(
          R"({"classification":{"severity":3,"category":"performance","summary":"cpu hot",)"
          R"("confidence":0.8,"reasoning":"load","suggestions":["scale"]},"request_id":"r1"})",
          "application/json");
    });
    if (!http_.Start()) ADD_FAILURE() << "the fake LLM did not start";
  }

  std::string url() const { return http_.url(); }
  void set_failing(bool failing) { failing_.store(failing); }
  // How long each answer takes.
  void set_delay(std::chrono::milliseconds delay) { delay_ms_.store(delay.count()); }
  int calls() const { return calls_.load(); }

 private:
  test::LocalHttpServer http_;
  httplib::Server& server_ = http_.server();
  std::atomic<bool> failing_{false};
  std::atomic<int> calls_{0};
  std::atomic<std::chrono::milliseconds::rep> delay_ms_{0};
};

class WebhookServiceTest : public ::testing::Test {
 protected:
  void StartService(FallbackMode fallback = FallbackMode::kNone,
                    std::optional<int> metrics_port = std::nullopt) {
    Config config;
    config.base_url = llm_.url();
    config.timeout = std::chrono::seconds(5);
    config.max_retries = 0;
    config.fallback = fallback;
    config.circuit_breaker.max_failures = 2;
    config.circuit_breaker.minimum_calls = 2;
    config.circuit_breaker.reset_timeout = std::chrono::minutes(5);
    config.circuit_breaker.max_reset_timeout = std::chrono::minutes(5);
    client_ = std::make_shared<HttpLlmClient>(config);
    WebhookServiceOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.metrics_port = metrics_port;
    if (tune_options_) tune_options_(options);
    service_ = std::make_unique<WebhookService>(client_, std::move(options));
    ASSERT_TRUE(service_->Start().has_value());
    ASSERT_GT(service_->port(), 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", service_->port());
    http_->set_read_timeout(30, 0);
  }

  // Before any member of a derived fixture (a log sink) is destroyed: the service's threads
  // are joined here, which is also what tells ThreadSanitizer that their last log line came
  // first (the answer that a test waited for travelled through a socket, which it cannot see).
  void TearDown() override {
    if (service_) service_->Stop();
  }

  httplib::Result Post(const std::string& body) {
    return http_->Post("/alerts", body, "application/json");
  }

  Json Health() {
    auto res = http_->Get("/healthz");
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    return Json::parse(res->body);
  }

  // Applied to the service's options by StartService(), when set.
  std::function<void(WebhookServiceOptions&)> tune_options_;
  FakeLlm llm_;
  std::shared_ptr<HttpLlmClient> client_;
  std::unique_ptr<WebhookService> service_;
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace alertllm::webhook::fixture
