// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

namespace alertllm::test {

/// A cpp-httplib server on 127.0.0.1, on a port the kernel picks, served by a thread of its
/// own: add routes to server() (and set its options), then Start(). Stopped and joined by
/// Stop() or the destructor. Pass an httplib::SSLServer to serve HTTPS.
class LocalHttpServer {
 public:
  explicit LocalHttpServer(
      std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>())
      : server_(std::move(server)) {}
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;
  ~LocalHttpServer() { Stop(); }

  httplib::Server& server() { return *server_; }

  /// Binds 127.0.0.1:0 and starts serving. Returns once the server accepts connections, or
  /// false if it could not bind or was not running within 5 s.
  [[nodiscard]] bool Start() {
    if (!server_->is_valid()) return false;  // an SSLServer whose certificate did not load
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return false;
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // cpp-httplib 0.11 has no wait_until_ready(): poll the flag its listener thread sets.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!server_->is_running() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return server_->is_running();
  }

  void Stop() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace alertllm::test
