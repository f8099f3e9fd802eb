// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "alertllm/result.hpp"
#include "alertllm/transport.hpp"

namespace alertllm::mocks {

/// A Transport that answers from a script, for tests of a service built on HttpLlmClient
/// without a network (pass it as ClientDependencies::transport):
///
///     auto transport = std::make_shared<alertllm::mocks::FakeTransport>();
///     transport->Respond(503);
///     transport->Respond(200, R"({"classification":{...}})");
///     alertllm::ClientDependencies deps;
///     deps.transport = transport;
///     alertllm::HttpLlmClient client(config, std::move(deps));
///     ... client.ClassifyAlert(alert) retries once and succeeds ...
///     EXPECT_EQ(transport->Requests().size(), 2u);
///
/// Send() returns the scripted steps in the order they were added, then the default step
/// (SetDefault()), or kUnknown "fake transport: no scripted answer" when there is none. It
/// records every request it receives. It does not look at `stop` itself: a step's `during`
/// action can request a stop and the step return kCancelled, as a real transport would.
/// With SetClock(), a fake ClientClock moves with the script: each request is stamped with the
/// clock's time and each step's latency passes on it before Send() returns.
///
/// Header-only; needs nothing but the standard library and alertllm/transport.hpp. The
/// namespace is `mocks`, as MockLlmClient's, so `testing::` keeps meaning GoogleTest's.
///
/// Thread-safe: every member may be called concurrently; a step's `during` action and the
/// clock hooks run outside the transport's lock.
class FakeTransport final : public Transport {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  using TimePoint = std::chrono::steady_clock::time_point;

  /// One scripted answer.
  struct Step {
    Result<HttpResponse> result;
    /// How long the request takes: handed to the clock's `advance` hook (SetClock()).
    std::chrono::nanoseconds latency{0};
    /// Runs while the request is in flight (recorded, not yet answered); may be empty.
    std::function<void()> during;
  };

  /// One request Send() received.
  struct SentRequest {
    HttpRequest request;
    /// The clock's time when it arrived; the epoch without SetClock().
    TimePoint at;
  };

  /// `now` stamps each request; `advance` is called with each step's latency. Either may be
  /// empty.
  void SetClock(std::function<TimePoint()> now,
                std::function<void(std::chrono::nanoseconds)> advance) {
    std::lock_guard lock(mutex_);
    now_ = std::move(now);
    advance_ = std::move(advance);
  }

  /// The latency of the steps Respond() and Fail() add without one of their own (initially 0).
  void SetLatency(std::chrono::nanoseconds latency) {
    std::lock_guard lock(mutex_);
    latency_ = latency;
  }

  void Push(Step step) {
    std::lock_guard lock(mutex_);
    steps_.push_back(std::move(step));
  }

  /// Adds a response of `status` (any status: deciding what it means is the client's job).
  void Respond(int status, std::string body = {}, Headers headers = {},
               std::optional<std::chrono::nanoseconds> latency = std::nullopt) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    std::lock_guard lock(mutex_);
    steps_.push_back(Step{std::move(response), latency.value_or(latency_), {}});
  }

  /// Adds a failed request (kNetworkError, kTimeout, ...: see Transport::Send()).
  void Fail(Error error, std::optional<std::chrono::nanoseconds> latency = std::nullopt) {
    std::lock_guard lock(mutex_);
    steps_.push_back(Step{std::move(error), latency.value_or(latency_), {}});
  }

  /// What Send() answers, every time, once the script has run out.
  void SetDefault(Step step) {
    std::lock_guard lock(mutex_);
    default_ = std::move(step);
  }

  Result<HttpResponse> Send(const HttpRequest& request, std::stop_token /*stop*/) override {
    Step step{Error{ErrorCode::kUnknown, "fake transport: no scripted answer"}, {}, {}};
    std::function<void(std::chrono::nanoseconds)> advance;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(SentRequest{request, now_ ? now_() : TimePoint{}});
      if (!steps_.empty()) {
        step = std::move(steps_.front());
        steps_.pop_front();
      } else if (default_) {
        step = *default_;
      }
      advance = advance_;
    }
    if (step.during) step.during();
    if (advance) advance(step.latency);
    return std::move(step.result);
  }

  /// Every request received so far, in order.
  std::vector<SentRequest> Requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  /// Scripted steps not used yet (the default step not counted).
  std::size_t Remaining() const {
    std::lock_guard lock(mutex_);
    return steps_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::deque<Step> steps_;
  std::optional<Step> default_;
  std::vector<SentRequest> requests_;
  std::function<TimePoint()> now_;
  std::function<void(std::chrono::nanoseconds)> advance_;
  std::chrono::nanoseconds latency_{0};
};

}  // namespace alertllm::mocks
