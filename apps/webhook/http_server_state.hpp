// SPDX-License-Identifier: Apache-2.0
// Internal to HttpServer (not installed): the state its listeners and connections share
// (ServerState), the state behind one HttpReply (HttpReplyState), and ErrorResponse.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <utility>

#include "http_server.hpp"

namespace alertllm::webhook::detail {

class Connection;
struct ServerState;

struct HttpReplyState {
  // Claims the one answer: true for the first caller only (Send, or the server's own 503).
  bool Claim();

  std::atomic<bool> answered{false};
  std::stop_source stop;
  std::weak_ptr<Connection> connection;
  std::weak_ptr<ServerState> server;
};

// What the listeners and every connection share. Outlives the io_context's handlers, so a
// connection destroyed with the io_context can still give back its counts.
struct ServerState {
  ServerState(HttpServerLimits l, HttpHandlers h, std::shared_ptr<spdlog::logger> log)
      : limits(l), handlers(std::move(h)), logger(std::move(log)) {}

  // An exception must not leave an I/O thread (it would end the process): a failing counter is
  // dropped.
  void Answered(int status) const {
    if (!handlers.on_answer) return;
    try {
      handlers.on_answer(status);
    } catch (const std::exception& e) {
      Warn("http: on_answer({}) threw: {}", status, e.what());
    }
  }

  template <typename... Args>
  void Warn(spdlog::format_string_t<Args...> format, Args&&... args) const {
    if (logger) logger->warn(format, std::forward<Args>(args)...);
  }

  // Counts a new connection from `client` in; returns the reason it is refused, "" if admitted.
  std::string TryOpen(const std::string& client) {
    std::lock_guard lock(mu);
    if (open >= limits.max_connections) {
      return "too many connections: the server's limit of " +
             std::to_string(limits.max_connections) + " open connections is reached";
    }
    std::size_t& mine = per_client[client];
    if (mine >= limits.max_connections_per_client) {
      return "too many connections from this client: the limit is " +
             std::to_string(limits.max_connections_per_client) + " open connections per address";
    }
    ++mine;
    ++open;
    return {};
  }

  void Release(Connection* connection, const std::string& client) {
    std::lock_guard lock(mu);
    --open;
    if (auto it = per_client.find(client); it != per_client.end() && --it->second == 0) {
      per_client.erase(it);
    }
    connections.erase(connection);
    cv.notify_all();
  }

  void Forget(HttpReplyState* reply) {
    std::lock_guard lock(mu);
    unanswered.erase(reply);
    cv.notify_all();
  }

  const HttpServerLimits limits;
  const HttpHandlers handlers;
  const std::shared_ptr<spdlog::logger> logger;
  std::atomic<bool> shutting_down{false};

  mutable std::mutex mu;
  std::condition_variable cv;
  bool io_alive = true;  // false once the io_context is being destroyed: nothing may be posted
  std::size_t open = 0;
  std::unordered_map<std::string, std::size_t> per_client;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
  std::unordered_map<HttpReplyState*, std::shared_ptr<HttpReplyState>> unanswered;
};

HttpResponse ErrorResponse(int status, const std::string& message);

}  // namespace alertllm::webhook::detail
