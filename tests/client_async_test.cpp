// SPDX-License-Identifier: Apache-2.0
// HttpLlmClient::ClassifyAlertAsync(): `done` exactly once per call, on the client's I/O
// thread, and every unfinished call ended as kCancelled when the client goes away.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "alertllm/client.hpp"
#include "alertllm/testing/fake_transport.hpp"
#include "support/fake_clock.hpp"

namespace alertllm {
namespace {

constexpr const char* kAnswer =
    R"({"classification":{"severity":3,"category":"infrastructure","summary":"CPU high",)"
    R"("confidence":0.9,"reasoning":"r","suggestions":["scale"]}})";

Alert OnNode(int node) {
  Alert alert;
  alert.alert_name = "HighCPUUsage";
  alert.labels = {{"alertname", "HighCPUUsage"}, {"instance", "node-" + std::to_string(node)}};
  return alert;
}

HttpResponse Ok() {
  HttpResponse ok;
  ok.status = 200;
  ok.body = kAnswer;
  return ok;
}

std::unique_ptr<HttpLlmClient> MakeClient(std::shared_ptr<Transport> transport,
                                          int max_in_flight = 16) {
  Config config;
  config.base_url = "http://llm.test:8080";
  config.concurrency.max_in_flight = max_in_flight;
  ClientDependencies deps;
  deps.transport = std::move(transport);
  deps.clock = std::make_shared<test::FakeClock>();
  return std::make_unique<HttpLlmClient>(std::move(config), std::move(deps));
}

TEST(ClientAsyncTest, DoneGetsTheResultOnAThreadOfTheClient) {
  auto transport = std::make_shared<mocks::FakeTransport>();
  transport->SetDefault({Ok(), {}, {}});
  auto client = MakeClient(transport);
  std::promise<std::pair<Result<Classification>, std::thread::id>> answered;
  client->ClassifyAlertAsync(OnNode(1), {}, [&](Result<Classification> result) {
    answered.set_value({std::move(result), std::this_thread::get_id()});
  });
  auto [result, thread] = answered.get_future().get();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->summary, "CPU high");
  EXPECT_EQ(result->source, "llm");
  EXPECT_NE(thread, std::this_thread::get_id());
}

// `done` runs on the client's I/O thread: a blocking call there would wait for that very
// thread, so it is refused with kUnknown instead of hanging; an async one is fine.
TEST(ClientAsyncTest, ABlockingCallInsideDoneIsRefusedNotDeadlocked) {
  auto transport = std::make_shared<mocks::FakeTransport>();
  transport->SetDefault({Ok(), {}, {}});
  auto client = MakeClient(transport);
  std::promise<std::pair<Result<Classification>, Result<Classification>>> answered;
  client->ClassifyAlertAsync(OnNode(1), {}, [&](Result<Classification>) {
    Result<Classification> blocking = client->ClassifyAlert(OnNode(2));
    client->ClassifyAlertAsync(OnNode(3), {}, [&, blocking](Result<Classification> nested) {
      answered.set_value({blocking, std::move(nested)});
    });
  });
  auto [blocking, nested] = answered.get_future().get();
  ASSERT_FALSE(blocking.has_value());
  EXPECT_EQ(blocking.error().code, ErrorCode::kUnknown);
  EXPECT_NE(blocking.error().message.find("use ClassifyAlertAsync there"), std::string::npos);
  EXPECT_TRUE(nested.has_value());
}

TEST(ClientAsyncTest, EveryCallGetsExactlyOneResult) {
  auto transport = std::make_shared<mocks::FakeTransport>();
  transport->SetDefault({Ok(), {}, {}});
  auto client = MakeClient(transport, 4);
  constexpr int kCalls = 200;
  std::vector<std::atomic<int>> calls(kCalls);
  std::atomic<int> ok{0};
  std::latch finished(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    client->ClassifyAlertAsync(OnNode(i % 50), {}, [&, i](Result<Classification> result) {
      calls[static_cast<std::size_t>(i)].fetch_add(1);
      if (result) ok.fetch_add(1);
      finished.count_down();
    });
  }
  finished.wait();
  client.reset();
  for (const auto& count : calls) EXPECT_EQ(count.load(), 1);
  EXPECT_EQ(ok.load(), kCalls);
  // 50 distinct alerts: the rest were shared or answered from the cache.
  EXPECT_LE(transport->Requests().size(), 50u);
}

TEST(ClientAsyncTest, ACallCancelledByItsCallerEndsCancelled) {
  auto transport = std::make_shared<mocks::FakeTransport>();
  transport->SetDefault({Ok(), {}, {}});
  auto client = MakeClient(transport);
  std::stop_source stop;
  stop.request_stop();
  CallOptions options;
  options.stop_token = stop.get_token();
  std::promise<Result<Classification>> answered;
  client->ClassifyAlertAsync(OnNode(1), options,
                             [&](Result<Classification> result) { answered.set_value(result); });
  const Result<Classification> result = answered.get_future().get();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
  EXPECT_TRUE(transport->Requests().empty());
}

// The first request hangs until its call is cancelled; the destructor cancels it and every call
// queued behind it.
class HangingTransport final : public Transport {
 public:
  Result<HttpResponse> Send(const HttpRequest&, std::stop_token stop) override {
    std::unique_lock lock(mutex_);
    ++requests_;
    in_flight_.notify_all();
    std::condition_variable_any().wait(lock, stop, [] { return false; });
    return Error{ErrorCode::kCancelled, "request cancelled"};
  }
  void AwaitRequest() {
    std::unique_lock lock(mutex_);
    in_flight_.wait(lock, [this] { return requests_ > 0; });
  }
  int requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable in_flight_;
  int requests_ = 0;
};

TEST(ClientAsyncTest, DestroyingTheClientEndsUnfinishedCallsCancelled) {
  auto transport = std::make_shared<HangingTransport>();
  auto client = MakeClient(transport, 1);
  constexpr int kCalls = 5;
  std::vector<std::atomic<int>> calls(kCalls);
  std::vector<ErrorCode> codes(kCalls, ErrorCode::kUnknown);
  for (int i = 0; i < kCalls; ++i) {
    client->ClassifyAlertAsync(OnNode(i), {}, [&, i](Result<Classification> result) {
      const auto at = static_cast<std::size_t>(i);
      calls[at].fetch_add(1);
      if (!result) codes[at] = result.error().code;
    });
  }
  transport->AwaitRequest();
  client.reset();
  for (int i = 0; i < kCalls; ++i) {
    const auto at = static_cast<std::size_t>(i);
    EXPECT_EQ(calls[at].load(), 1) << i;
    EXPECT_EQ(codes[at], ErrorCode::kCancelled) << i;
  }
  EXPECT_EQ(transport->requests(), 1);
}

TEST(ClientAsyncTest, AThrowingDoneDoesNotStopTheClient) {
  auto transport = std::make_shared<mocks::FakeTransport>();
  transport->SetDefault({Ok(), {}, {}});
  auto client = MakeClient(transport, 1);
  client->ClassifyAlertAsync(OnNode(1), {},
                             [](Result<Classification>) { throw std::runtime_error("bad done"); });
  std::promise<bool> second;
  client->ClassifyAlertAsync(
      OnNode(2), {}, [&](Result<Classification> result) { second.set_value(result.has_value()); });
  EXPECT_TRUE(second.get_future().get());
}

}  // namespace
}  // namespace alertllm
