// SPDX-License-Identifier: Apache-2.0
// MockProxy's latency and max_in_flight quota under concurrent requests: cpp-httplib clients
// on their own threads, so the server sees them at once.
#include <httplib.h>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mock_proxy.hpp"

namespace alertllm::mock {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kBody =
    R"({"alert":{"alert_name":"NodeDown","status":"firing","labels":{"alertname":"NodeDown",)"
    R"("instance":"node-7"},"annotations":{},"starts_at":"2026-01-01T00:00:00Z"}})";

struct Answer {
  int status = 0;
  std::string retry_after;
  std::string body;
  SteadyClock::duration took{};
};

// `n` POST /classify requests sent at once, one connection each.
std::vector<Answer> PostConcurrently(int port, int n) {
  std::vector<Answer> answers(static_cast<std::size_t>(n));
  std::vector<std::thread> threads;
  for (auto& answer : answers) {
    threads.emplace_back([port, &answer] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(10, 0);
      const auto start = SteadyClock::now();
      const auto res = client.Post("/classify", kBody, "application/json");
      answer.took = SteadyClock::now() - start;
      if (!res) return;
      answer.status = res->status;
      answer.retry_after = res->get_header_value("Retry-After");
      answer.body = res->body;
    });
  }
  for (std::thread& thread : threads) thread.join();
  return answers;
}

TEST(MockProxyQuotaTest, LatencyDelaysEveryConcurrentAnswer) {
  MockProxyOptions options;
  // 2 s each: 24 answers side by side take 2 s and some, one pool of 8 at a time would take
  // 6 s; the bound between them leaves room for a loaded machine under ThreadSanitizer.
  options.faults.latency_ms = 2000;
  MockProxy proxy(options);
  const auto port = proxy.Start();
  ASSERT_TRUE(port.has_value()) << port.error().message;
  const auto start = SteadyClock::now();
  // More than httplib's default pool of 8 threads: all wait their latency side by side.
  const std::vector<Answer> answers = PostConcurrently(*port, 24);
  for (const Answer& answer : answers) {
    EXPECT_EQ(answer.status, 200) << answer.body;
    EXPECT_GE(answer.took, milliseconds(2000));
  }
  EXPECT_LT(SteadyClock::now() - start, milliseconds(5000));
  EXPECT_EQ(proxy.GetStats().answered, 24u);
}

TEST(MockProxyQuotaTest, OverMaxInFlightIs429WithRetryAfterOne) {
  // A 429 is answered at once, an answer after the latency: long enough that a loaded machine
  // under ThreadSanitizer (0.8 s to start six clients, seen in CI) cannot blur the two.
  MockProxyOptions options;
  options.faults.latency_ms = 2000;
  options.max_in_flight = 2;
  MockProxy proxy(options);
  const auto port = proxy.Start();
  ASSERT_TRUE(port.has_value()) << port.error().message;
  const std::vector<Answer> answers = PostConcurrently(*port, 6);
  int ok = 0;
  int limited = 0;
  for (const Answer& answer : answers) {
    if (answer.status == 200) {
      ++ok;
      EXPECT_GE(answer.took, milliseconds(2000));
    } else {
      ASSERT_EQ(answer.status, 429) << answer.body;
      ++limited;
      EXPECT_EQ(answer.retry_after, "1");
      EXPECT_NE(answer.body.find(R"({"error":{"message":)"), std::string::npos) << answer.body;
      EXPECT_NE(answer.body.find(R"("type":"rate_limit_exceeded")"), std::string::npos);
      EXPECT_LT(answer.took, milliseconds(2000));
    }
  }
  EXPECT_GE(ok, 2);
  EXPECT_GE(limited, 1);
  const MockProxyStats stats = proxy.GetStats();
  EXPECT_EQ(stats.answered, static_cast<std::uint64_t>(ok));
  EXPECT_EQ(stats.rate_limited, static_cast<std::uint64_t>(limited));
  EXPECT_EQ(stats.failures, 0u);
  EXPECT_EQ(stats.requests, 6u);
  // Slots come back: once the first answers are out, a request is admitted again.
  EXPECT_EQ(PostConcurrently(*port, 1).front().status, 200);
}

TEST(MockProxyQuotaTest, MaxInFlightOutOfRangeThrows) {
  MockProxyOptions options;
  options.max_in_flight = 1025;
  EXPECT_THROW(MockProxy{options}, std::invalid_argument);
  options.max_in_flight = -1;
  EXPECT_THROW(MockProxy{options}, std::invalid_argument);
}

}  // namespace
}  // namespace alertllm::mock
