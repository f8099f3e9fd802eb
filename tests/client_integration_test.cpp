// SPDX-License-Identifier: Apache-2.0
// HttpLlmClient end to end: real libcurl against a real cpp-httplib server on 127.0.0.1, port
// chosen by the kernel, speaking both wire protocols.
#include <httplib.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "alertllm/client.hpp"
#include "alertllm/errors.hpp"
#include "fixed_answer_server.hpp"
#include "support/local_http_server.hpp"

namespace alertllm {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kClassification =
    R"({"severity":4,"category":"availability","summary":"node down","confidence":0.95,)"
    R"("reasoning":"host unreachable","suggestions":["check power"]})";

std::string ProxyAnswer() {
  return std::string(R"({"classification":)") + kClassification +
         R"(,"request_id":"proxy-1","processing_time":"234ms"})";
}

std::string OpenAIAnswer() {
  std::string content;
  for (const char c : std::string(kClassification)) {
    if (c == '"') content += '\\';
    content += c;
  }
  return R"({"id":"chatcmpl-7","object":"chat.completion","choices":[{"index":0,"message":)"
         R"({"role":"assistant","content":")" +
         content + R"("},"finish_reason":"stop"}]})";
}

Alert NodeDown() {
  Alert alert;
  alert.alert_name = "NodeDown";
  alert.labels = {{"alertname", "NodeDown"}, {"instance", "node-7"}};
  alert.annotations = {{"description", std::string(10 * 1024, 'd')}};
  alert.starts_at = std::chrono::sys_days(std::chrono::year(2026) / 1 / 1);
  return alert;
}

class ClientIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.set_keep_alive_max_count(100000);
    server_.set_tcp_nodelay(true);
    server_.Post("/classify", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      if (fail_first_.fetch_sub(1) > 0) {
        res.status = 503;
        res.set_header("retry-after-ms", "20");
        return;
      }
      if (always_retry_after_) {
        res.status = 503;
        res.set_header("Retry-After", "5");
        return;
      }
      res.set_content(ProxyAnswer(), "application/json");
    });
    server_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_content(OpenAIAnswer(), "application/json");
    });
    server_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    server_.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
    });
    ASSERT_TRUE(http_.Start());
  }

  void TearDown() override {
    http_.Stop();
  }

  void Record(const httplib::Request& req) {
    const std::lock_guard lock(mutex_);
    bodies_.push_back(req.body);
    authorizations_.push_back(req.get_header_value("Authorization"));
  }

  Config MakeConfig(Protocol protocol) const {
    Config config;
    config.base_url = http_.url();
    config.api_key = "sk-integration";
    config.protocol = protocol;
    config.timeout = std::chrono::seconds(5);
    config.retry_delay = milliseconds(10);
    return config;
  }

  test::LocalHttpServer http_;
  httplib::Server& server_ = http_.server();
  std::atomic<int> fail_first_{0};
  std::atomic<bool> always_retry_after_{false};
  std::mutex mutex_;
  std::vector<std::string> bodies_;          // guarded by mutex_
  std::vector<std::string> authorizations_;  // guarded by mutex_
};

TEST_F(ClientIntegrationTest, ProxyProtocolEndToEnd) {
  HttpLlmClient client(MakeConfig(Protocol::kProxy));
  const auto result = client.ClassifyAlert(NodeDown());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->severity, Severity::kCritical);
  EXPECT_EQ(result->request_id, "proxy-1");
  EXPECT_EQ(result->processing_time, milliseconds(234));
  EXPECT_EQ(result->attempts, 1);
  const std::lock_guard lock(mutex_);
  ASSERT_EQ(authorizations_.size(), 1u);
  EXPECT_EQ(authorizations_[0], "Bearer sk-integration");
}

TEST_F(ClientIntegrationTest, OpenAIProtocolEndToEnd) {
  HttpLlmClient client(MakeConfig(Protocol::kOpenAI));
  const auto result = client.ClassifyAlert(NodeDown());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->severity, Severity::kCritical);
  EXPECT_EQ(result->category, "availability");
  EXPECT_EQ(result->request_id, "chatcmpl-7");
}

TEST_F(ClientIntegrationTest, RetryReplaysTheSameBodyBytes) {
  fail_first_ = 2;
  HttpLlmClient client(MakeConfig(Protocol::kProxy));
  const auto result = client.ClassifyAlert(NodeDown());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->attempts, 3);
  const std::lock_guard lock(mutex_);
  ASSERT_EQ(bodies_.size(), 3u);
  EXPECT_GT(bodies_[0].size(), 10u * 1024u);
  EXPECT_EQ(bodies_[1], bodies_[0]);
  EXPECT_EQ(bodies_[2], bodies_[0]);
}

TEST_F(ClientIntegrationTest, StopDuringBackoffEndsTheCallPromptly) {
  always_retry_after_ = true;
  HttpLlmClient client(MakeConfig(Protocol::kProxy));
  std::stop_source source;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(100));
    source.request_stop();
  });
  CallOptions options;
  options.stop_token = source.get_token();
  const auto start = Clock::now();
  const auto result = client.ClassifyAlert(NodeDown(), options);
  const auto elapsed = Clock::now() - start;
  stopper.join();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  EXPECT_EQ(client.GetCircuitBreakerStats().total_calls, 0u);
}

TEST_F(ClientIntegrationTest, ConnectionRefusedIsNetworkError) {
  Config config = MakeConfig(Protocol::kProxy);
  config.base_url = "http://127.0.0.1:1";
  config.max_retries = 1;
  HttpLlmClient client(config);
  const auto result = client.ClassifyAlert(NodeDown());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kNetworkError);
  EXPECT_EQ(result.error().attempts, 2);
}

TEST_F(ClientIntegrationTest, HealthOfBothProtocols) {
  HttpLlmClient proxy(MakeConfig(Protocol::kProxy));
  EXPECT_TRUE(proxy.Health().has_value());
  HttpLlmClient openai(MakeConfig(Protocol::kOpenAI));
  const auto result = openai.Health();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kServerError);
}

// A storm against a slow LLM: hundreds of requests in flight from one client, on its one I/O
// thread, every alert answered, one request per distinct alert. The server is the load tool's
// epoll server (tools/load): one thread, a listen backlog of 1,024, answers held `latency_ms`
// on timers, and a quota of requests held at once that it answers beyond with 429.
class ClientStormTest : public ::testing::Test {
 protected:
  static std::unique_ptr<bench::FixedAnswerServer> Server(int latency_ms, int quota = 0) {
    bench::FixedAnswerOptions options;
    options.latency_ms = latency_ms;
    options.max_in_flight = quota;
    return std::make_unique<bench::FixedAnswerServer>(0, options);
  }

  static Config MakeConfig(const bench::FixedAnswerServer& server, int max_in_flight) {
    Config config;
    config.base_url = server.Url();
    config.timeout = std::chrono::seconds(20);
    config.call_timeout = std::chrono::seconds(60);
    config.concurrency.max_in_flight = max_in_flight;
    return config;
  }

  static std::vector<Alert> Storm(int alerts, int distinct) {
    std::vector<Alert> storm;
    for (int i = 0; i < alerts; ++i) {
      Alert alert = NodeDown();
      alert.annotations.clear();
      alert.labels["instance"] = "node-" + std::to_string(i % distinct);
      storm.push_back(std::move(alert));
    }
    return storm;
  }

  // The threads of this process now (Linux: the Threads line of /proc/self/status).
  static int Threads() {
    std::FILE* status = std::fopen("/proc/self/status", "r");
    if (status == nullptr) return -1;
    char line[256];
    int threads = -1;
    while (std::fgets(line, sizeof line, status) != nullptr) {
      if (std::sscanf(line, "Threads: %d", &threads) == 1) break;
    }
    std::fclose(status);
    return threads;
  }

  // The client's llm_client_in_flight gauge.
  static double InFlight(const HttpLlmClient& client) {
    for (const auto& family : client.GetCollectable()->Collect()) {
      if (family.name == "llm_client_in_flight" && !family.metric.empty()) {
        return family.metric.front().gauge.value;
      }
    }
    return -1;
  }
};

// 250 distinct alerts at once against a server that holds each answer 200 ms and refuses (429)
// any request beyond 100 held: the 429s prove more than 100 were in flight together, and every
// alert is still answered (a 429 goes back to the queue), with one I/O thread.
TEST_F(ClientStormTest, HundredsOfRequestsInFlightOnOneIoThread) {
  constexpr int kAlerts = 250;
  const auto server = Server(200, 100);
  const std::vector<Alert> storm = Storm(kAlerts, kAlerts);
  std::atomic<bool> running{true};
  std::atomic<int> most_threads{0};
  std::thread sampler([&] {
    while (running) {
      most_threads = std::max(most_threads.load(), Threads());
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  const int before = Threads();  // the server's and the sampler's
  std::vector<Result<Classification>> results;
  {
    HttpLlmClient client(MakeConfig(*server, kAlerts));
    results = client.ClassifyAlerts(storm);
  }
  running = false;
  sampler.join();
  ASSERT_EQ(results.size(), storm.size());
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->source, "llm");
  }
  EXPECT_GE(server->RateLimited(), 1u);
  EXPECT_EQ(server->Requests() - server->RateLimited(), static_cast<std::uint64_t>(kAlerts));
  // A thread per call would have added 250; the client adds its one I/O thread.
  EXPECT_LE(most_threads.load() - before, 2);
}

TEST_F(ClientStormTest, AStormCostsOneRequestPerDistinctAlert) {
  const auto server = Server(200);
  const std::vector<Alert> storm = Storm(1000, 100);
  HttpLlmClient client(MakeConfig(*server, 64));
  const std::vector<Result<Classification>> results = client.ClassifyAlerts(storm);
  int from_llm = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value()) << result.error().message;
    if (result->source == "llm") ++from_llm;
  }
  EXPECT_EQ(from_llm, 100);
  EXPECT_EQ(server->Requests(), 100u);
}

// Destroying the client with hundreds of requests in flight ends each call once, as
// kCancelled, at once (not when the slow server answers), with nothing left running.
TEST_F(ClientStormTest, DestroyingTheClientCancelsEveryRequestInFlight) {
  constexpr int kAlerts = 200;
  const auto server = Server(30000);
  const std::vector<Alert> storm = Storm(kAlerts, kAlerts);
  std::atomic<int> cancelled{0};
  std::atomic<int> answered{0};
  auto client = std::make_unique<HttpLlmClient>(MakeConfig(*server, kAlerts));
  for (const Alert& alert : storm) {
    client->ClassifyAlertAsync(alert, {}, [&](Result<Classification> result) {
      ++answered;
      if (!result && result.error().code == ErrorCode::kCancelled) ++cancelled;
    });
  }
  const auto give_up = Clock::now() + std::chrono::seconds(20);
  while (InFlight(*client) < kAlerts / 2 && Clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_GE(InFlight(*client), kAlerts / 2);
  const auto start = Clock::now();
  client.reset();
  // Well before the server's first answer could have come.
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(answered.load(), kAlerts);
  EXPECT_EQ(cancelled.load(), kAlerts);
  EXPECT_EQ(server->Requests(), 0u);
}

}  // namespace
}  // namespace alertllm
