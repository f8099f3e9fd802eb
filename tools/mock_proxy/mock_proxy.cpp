// SPDX-License-Identifier: Apache-2.0
// MockProxy's routes and the server's lifetime: construction, Start(), Stop() and the
// accessors. The handlers the routes call are in mock_handlers.cpp.
#include "mock_proxy.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "mock_proxy_internal.hpp"

namespace alertllm::mock {

using internal::ErrorJson;
using internal::kMaxBodyBytes;
using internal::SteadyClock;

void MockProxy::Impl::Install() {
  server.set_payload_max_length(kMaxBodyBytes);
  server.set_keep_alive_max_count(100000);
  // Stop() waits for each worker's idle keep-alive wait to end: this bounds how long a
  // connection a client keeps open can delay shutdown.
  server.set_keep_alive_timeout(2);
  server.set_tcp_nodelay(true);
  const std::size_t threads = internal::ServerThreads(options.max_in_flight);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.Post("/classify", [this](const httplib::Request& req, httplib::Response& res) {
    Classify(req, res, Protocol::kProxy);
  });
  server.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    Classify(req, res, Protocol::kOpenAI);
  });
  server.Get("/health", [this](const httplib::Request& req, httplib::Response& res) {
    Health(req, res, Protocol::kProxy);
  });
  server.Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) {
    Health(req, res, Protocol::kOpenAI);
  });
  server.Get("/admin/faults", [this](const httplib::Request& req, httplib::Response& res) {
    res.set_content(FaultsToJson(Current()), "application/json");
    Log(req, 200, SteadyClock::now(), {});
  });
  server.Post("/admin/faults", [this](const httplib::Request& req, httplib::Response& res) {
    PostFaults(req, res);
  });
  server.Get("/admin/stats", [this](const httplib::Request& req, httplib::Response& res) {
    res.set_content(StatsJson(), "application/json");
    Log(req, 200, SteadyClock::now(), {});
  });
  // What httplib answers itself (404, 413, 400 for an unreadable body) gets a JSON body too;
  // the handlers' own answers already have one.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        std::string message = "bad request";
        if (res.status == 404) message = "no such endpoint: " + req.method + " " + req.path;
        if (res.status == 413) {
          message = "request body over " + std::to_string(kMaxBodyBytes) + " bytes";
        }
        res.set_content(ErrorJson(message), "application/json");
        Record(req.path, Outcome::kOther);
        Log(req, res.status, SteadyClock::now(), {});
        return httplib::Server::HandlerResponse::Handled;
      }));
}

MockProxy::MockProxy(MockProxyOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  if (impl_->options.max_in_flight < 0 || impl_->options.max_in_flight > 1024) {
    throw std::invalid_argument("max_in_flight: must be in 0..1024");
  }
  Faults faults = impl_->options.faults;
  if (auto error = NormalizeFaults(faults, true)) {
    throw std::invalid_argument(error->field + ": " + error->message);
  }
  impl_->Apply(faults);
  impl_->Install();
}

MockProxy::~MockProxy() { Stop(); }

Result<int> MockProxy::Start() {
  {
    const std::lock_guard lock(impl_->stop_mutex);
    if (impl_->started) return Error{ErrorCode::kInvalidRequest, "already started"};
    impl_->started = true;
  }
  const std::string& host = impl_->options.host;
  int bound = -1;
  if (impl_->options.port == 0) {
    bound = impl_->server.bind_to_any_port(host);
  } else if (impl_->server.bind_to_port(host, impl_->options.port)) {
    bound = impl_->options.port;
  }
  if (bound <= 0) {
    return Error{ErrorCode::kNetworkError,
                 "cannot listen on " + host + ":" + std::to_string(impl_->options.port)};
  }
  impl_->port = bound;
  internal::WidenBacklog(bound, 1024);
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  const auto give_up = SteadyClock::now() + std::chrono::seconds(10);
  while (!impl_->server.is_running() && SteadyClock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!impl_->server.is_running()) {
    Stop();
    return Error{ErrorCode::kNetworkError, "server did not start"};
  }
  return bound;
}

void MockProxy::Stop() {
  {
    const std::lock_guard lock(impl_->stop_mutex);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int MockProxy::port() const noexcept { return impl_->port; }

std::string MockProxy::url() const {
  return "http://" + impl_->options.host + ":" + std::to_string(impl_->port);
}

void MockProxy::SetFaults(const Faults& faults) { impl_->Apply(faults); }

Faults MockProxy::GetFaults() const { return impl_->Current(); }

MockProxyStats MockProxy::GetStats() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

}  // namespace alertllm::mock
