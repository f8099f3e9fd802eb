// SPDX-License-Identifier: Apache-2.0
#include "http_server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "alertllm/detail/quote.hpp"
#include "alertllm/errors.hpp"
#include "http_connection.hpp"
#include "http_server_state.hpp"

namespace alertllm::webhook {

using Clock = std::chrono::steady_clock;

namespace detail {

namespace {

std::string FormatResponse(const HttpResponse& response) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    std::string(http::obsolete_reason(static_cast<http::status>(response.status))) +
                    "\r\nContent-Type: " + response.content_type +
                    "\r\nContent-Length: " + std::to_string(response.body.size()) +
                    "\r\nConnection: close\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  return out + "\r\n" + response.body;
}

}  // namespace

}  // namespace detail

using detail::Connection;
using detail::HttpReplyState;
using detail::ServerState;

void HttpReply::Send(HttpResponse response) const {
  if (!state_ || !state_->Claim()) return;
  auto connection = state_->connection.lock();
  auto server = state_->server.lock();
  if (!connection || !server) return;
  // Under the lock: the io_context cannot be destroyed while the response is posted to it.
  std::lock_guard lock(server->mu);
  if (server->io_alive) connection->PostResponse(std::move(response));
}

std::stop_token HttpReply::stop_token() const {
  return state_ ? state_->stop.get_token() : std::stop_token{};
}

bool HttpReply::answered() const { return state_ && state_->answered; }

struct Listener {
  Listener(asio::io_context& io, std::string path)
      : acceptor(asio::make_strand(io)),
        retry(acceptor.get_executor()),
        only_path(std::move(path)) {}

  tcp::acceptor acceptor;
  asio::steady_timer retry;
  std::string only_path;
};

struct HttpServer::Impl {
  Impl(HttpServerLimits limits, HttpHandlers handlers, std::shared_ptr<spdlog::logger> logger)
      : server(std::make_shared<ServerState>(limits, std::move(handlers), std::move(logger))),
        io(std::make_unique<asio::io_context>(std::max(1, limits.threads))) {}

  ~Impl() {
    {
      std::lock_guard lock(server->mu);
      server->io_alive = false;
    }
    listeners.clear();
    io.reset();
  }

  void Accept(Listener& listener) {
    listener.acceptor.async_accept(
        asio::make_strand(*io), [this, &listener](beast::error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted || !listener.acceptor.is_open()) return;
          if (ec) {
            // EMFILE and the like: pause instead of spinning on a failing accept.
            server->Warn("http: accept failed: {}", ec.message());
            listener.retry.expires_after(milliseconds(100));
            listener.retry.async_wait([this, &listener](beast::error_code wait_ec) {
              if (!wait_ec && listener.acceptor.is_open()) Accept(listener);
            });
            return;
          }
          Admit(std::move(socket), listener.only_path);
          Accept(listener);
        });
  }

  void Admit(tcp::socket socket, const std::string& only_path) {
    beast::error_code ec;
    const tcp::endpoint peer = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    // An answer goes out as soon as it is written, not after the client's delayed ACK of the
    // previous segment (Nagle's algorithm would hold a short response for up to 40 ms).
    socket.set_option(tcp::no_delay(true), ec);
    const std::string client = peer.address().to_string();
    const std::string refusal = server->shutting_down ? "shutting down" : server->TryOpen(client);
    if (!refusal.empty()) return Refuse(std::move(socket), client, refusal);
    auto connection = std::make_shared<Connection>(std::move(socket), server, client, only_path);
    {
      std::lock_guard lock(server->mu);
      server->connections.emplace(connection.get(), connection);
    }
    connection->PostStart();
  }

  // Over a connection limit: one non-blocking write of a ready 503 and a close, so a flood of
  // connections costs no more than the accept itself. The answer fits the empty send buffer of
  // a new socket; if it does not go out, the connection is closed without it.
  void Refuse(tcp::socket socket, const std::string& client, const std::string& message) {
    server->Warn("http: refused a connection from {}: {}", client, message);
    HttpResponse response = detail::ErrorResponse(503, message);
    response.headers.emplace_back("Retry-After", "1");
    const std::string bytes = detail::FormatResponse(response);
    beast::error_code ec;
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(bytes), ec);
    if (!ec) server->Answered(503);
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }

  template <typename Function>
  void ForEachConnection(Function function) {
    std::vector<std::shared_ptr<Connection>> alive;
    {
      std::lock_guard lock(server->mu);
      for (auto& [raw, weak] : server->connections) {
        if (auto connection = weak.lock()) alive.push_back(std::move(connection));
      }
    }
    for (auto& connection : alive) function(*connection);
  }

  void CloseListeners(Clock::time_point give_up) {
    std::vector<std::future<void>> closed;
    for (auto& listener : listeners) {
      auto done = std::make_shared<std::promise<void>>();
      closed.push_back(done->get_future());
      asio::post(listener->acceptor.get_executor(), [&listener = *listener, done] {
        beast::error_code ignored;
        listener.acceptor.close(ignored);
        listener.retry.cancel();
        done->set_value();
      });
    }
    for (auto& future : closed) future.wait_until(give_up);
  }

  void EndGrace(const std::string& message) {
    std::vector<std::shared_ptr<HttpReplyState>> late;
    {
      std::lock_guard lock(server->mu);
      for (auto& [raw, state] : server->unanswered) late.push_back(state);
    }
    for (auto& state : late) {
      if (!state->Claim()) continue;
      state->stop.request_stop();
      auto connection = state->connection.lock();
      if (!connection) continue;
      HttpResponse response = detail::ErrorResponse(503, message);
      response.headers.emplace_back("Retry-After", "5");
      server->Warn("http: a request was still unanswered when the shutdown grace ended");
      connection->PostResponse(std::move(response));
    }
  }

  std::shared_ptr<ServerState> server;
  std::unique_ptr<asio::io_context> io;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::mutex lifecycle;
  bool started = false;
  bool stopped = false;
};

HttpServer::HttpServer(HttpServerLimits limits, HttpHandlers handlers,
                       std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>(limits, std::move(handlers), std::move(logger))) {}

HttpServer::~HttpServer() { Shutdown(milliseconds(0)); }

Result<int> HttpServer::Listen(const std::string& host, int port, std::string_view only_path) {
  const auto fail = [&](const std::string& reason) -> Result<int> {
    return Error{ErrorCode::kInvalidConfig,
                 "cannot listen on " + host + ":" + std::to_string(port) + ": " + reason};
  };
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->started || impl_->stopped) return fail("the server was already started");
  if (impl_->server->limits.backlog < 512) {
    return fail("backlog " + std::to_string(impl_->server->limits.backlog) + " is below 512");
  }
  if (port < 0 || port > 65535) return fail("the port is out of range");
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return fail("'" + alertllm::detail::Clip(host) + "' is not an IP address");
  auto listener = std::make_unique<Listener>(*impl_->io, std::string(only_path));
  tcp::acceptor& acceptor = listener->acceptor;
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(impl_->server->limits.backlog, ec);
  if (ec) return fail(ec.message());
  const int bound = acceptor.local_endpoint().port();
  impl_->listeners.push_back(std::move(listener));
  return bound;
}

Result<void> HttpServer::Start() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->started || impl_->stopped) {
    return Error{ErrorCode::kInvalidConfig, "the HTTP server was started or shut down before"};
  }
  if (impl_->listeners.empty()) {
    return Error{ErrorCode::kInvalidConfig, "the HTTP server has no listener: call Listen()"};
  }
  impl_->started = true;
  impl_->work.emplace(impl_->io->get_executor());
  for (auto& listener : impl_->listeners) impl_->Accept(*listener);
  for (int i = 0; i < std::max(1, impl_->server->limits.threads); ++i) {
    impl_->threads.emplace_back([io = impl_->io.get()] { io->run(); });
  }
  return {};
}

void HttpServer::Shutdown(milliseconds grace, std::string grace_message) {
  Impl& impl = *impl_;
  std::lock_guard lifecycle(impl.lifecycle);
  if (impl.stopped) return;
  impl.stopped = true;
  const auto began = Clock::now();
  const auto hard_stop = began + grace + std::chrono::seconds(1);
  ServerState& server = *impl.server;
  server.shutting_down = true;
  if (!impl.started) {
    impl.listeners.clear();
    return;
  }
  impl.CloseListeners(hard_stop);
  impl.ForEachConnection([](Connection& connection) { connection.PostShutdown(); });
  {
    std::unique_lock lock(server.mu);
    server.cv.wait_until(lock, began + grace, [&] { return server.unanswered.empty(); });
  }
  impl.EndGrace(grace_message);
  {
    std::unique_lock lock(server.mu);
    server.cv.wait_until(lock, hard_stop, [&] { return server.open == 0; });
  }
  impl.work.reset();
  impl.io->stop();
  for (auto& thread : impl.threads) thread.join();
  impl.threads.clear();
  // Whatever is left (a client that never read its answer) is closed by this thread now that
  // no I/O thread runs.
  impl.ForEachConnection([](Connection& connection) { connection.CloseNow(); });
  impl.listeners.clear();
}

std::size_t HttpServer::open_connections() const {
  std::lock_guard lock(impl_->server->mu);
  return impl_->server->open;
}

}  // namespace alertllm::webhook
