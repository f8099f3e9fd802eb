// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the units of MockProxy share: mock_answers.cpp (faults, request bodies, the mock's
// verdict and the answers built from it), mock_handlers.cpp (one request's fault decision and
// answer) and mock_proxy.cpp (routes and server lifetime).
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "alertllm/config.hpp"
#include "mock_proxy.hpp"

namespace alertllm::mock {

namespace internal {

using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024;
inline constexpr std::string_view kModelId = "alertllm-mock";

// A bad request body: the message answered with 400.
struct BadBody {
  std::string message;
};

// Worker threads of the server: enough to hold many slow requests (httplib's default pool is 8
// on this VM) and the idle keep-alive connections of a client with a wide fan-out, each of which
// pins a thread; and twice the quota, so a request over it is refused at once rather than
// queued behind the admitted ones.
inline std::size_t ServerThreads(int max_in_flight) {
  return std::max<std::size_t>(128, 2 * static_cast<std::size_t>(max_in_flight));
}

// Raises the listen backlog of the socket listening on `port`: httplib listens with 5, which
// drops connections when a storm opens dozens at once. Linux takes a second listen() as a new
// backlog. httplib does not hand out its socket, so it is found among the process's.
void WidenBacklog(int port, int backlog);

// The OpenAI-style error object every 400/404/413 carries.
std::string ErrorJson(std::string_view message);

// "123ms".
std::string Milliseconds(SteadyClock::duration d);

// The alert of a `POST /classify` body. Throws BadBody.
Alert ReadProxyRequest(const std::string& body);

// The alert of a `POST /v1/chat/completions` body; sets `model` when the body names one.
// Throws BadBody.
Alert ReadOpenAIRequest(const std::string& body, std::string& model);

// The `POST /classify` answer carrying `verdict`, timed from `start`.
std::string ProxyAnswer(const Classification& verdict, const std::string& id,
                        SteadyClock::time_point start);

// The `POST /v1/chat/completions` answer carrying `verdict`; `request_bytes` sizes the usage
// block.
std::string OpenAIAnswer(const Classification& verdict, const std::string& id,
                         const std::string& model, std::size_t request_bytes);

}  // namespace internal

// Everything a MockProxy holds. Its handlers live in mock_handlers.cpp, the routes that call
// them and the server's lifetime in mock_proxy.cpp.
struct MockProxy::Impl {
  using SteadyClock = internal::SteadyClock;

  explicit Impl(MockProxyOptions o) : options(std::move(o)) {
    if (!options.clock) options.clock = [] { return SteadyClock::now(); };
  }

  // The fault decision for one request, taken under the lock.
  struct Decision {
    Faults faults;
    bool down = false;
    bool fail = false;
  };

  // How a request ended, for the stats.
  enum class Outcome { kOther, kAnswered, kFailed, kRateLimited };

  Decision Decide(bool classify);
  void Record(const std::string& path, Outcome outcome);
  // Takes a slot of the max_in_flight quota; false (nothing taken) when none is free.
  bool Admit();
  // The quota's 429: Retry-After 1 and an OpenAI-style rate_limit_exceeded error.
  void RateLimit(const httplib::Request& req, httplib::Response& res);
  void Log(const httplib::Request& req, int status, SteadyClock::time_point start,
           std::string_view note);
  // Waits `ms`, or less if the proxy stops meanwhile.
  void Wait(int ms);
  void AnswerFailure(const Faults& f, httplib::Response& res, std::string_view why);
  bool InjectFault(const Decision& d, const httplib::Request& req, httplib::Response& res,
                   const std::string& answer, std::string& note);
  void Classify(const httplib::Request& req, httplib::Response& res, Protocol protocol);
  void Health(const httplib::Request& req, httplib::Response& res, Protocol protocol);
  void PostFaults(const httplib::Request& req, httplib::Response& res);
  void Apply(const Faults& f);
  Faults Current() const;
  std::string StatsJson() const;

  // Routes every endpoint to its handler; once, from the constructor.
  void Install();

  MockProxyOptions options;
  httplib::Server server;
  std::thread thread;
  std::atomic<int> port{0};
  std::atomic<std::uint64_t> answers{0};
  std::atomic<int> in_flight{0};  // classify requests holding a quota slot

  mutable std::mutex mutex;
  Faults faults;                       // guarded by mutex
  SteadyClock::time_point down_until;  // guarded by mutex
  std::uint64_t draws = 0;             // guarded by mutex
  MockProxyStats stats;                // guarded by mutex

  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stopping = false;  // guarded by stop_mutex
  bool started = false;   // guarded by stop_mutex
};

}  // namespace alertllm::mock
