// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alertllm/result.hpp"

namespace alertllm::webhook {

/// What one HttpServer lets a client use. Every limit is enforced while reading, so that no
/// client can make the server hold more than these bytes, connections or time.
struct HttpServerLimits {
  /// Request line + headers; over it: 431.
  std::size_t max_header_bytes = 16 * 1024;
  /// Enforced while reading: a Content-Length above it is answered 413 at once, before the
  /// body is read; a chunked body growing above it is answered 413 when it crosses it.
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  /// TOTAL deadline for one request, from its first byte until its body is complete (not per
  /// recv): a client dripping bytes is answered 408 and closed when it passes.
  std::chrono::milliseconds read_timeout{10'000};
  /// Keep-alive: a connection waiting for the next request's first byte is closed after this.
  std::chrono::milliseconds idle_timeout{60'000};
  /// A response not written within this: the connection is closed.
  std::chrono::milliseconds write_timeout{10'000};
  /// Open connections, all listeners together; beyond: answered 503 and closed.
  std::size_t max_connections = 4096;
  /// Open connections per remote IP address; beyond: answered 503 and closed.
  std::size_t max_connections_per_client = 256;
  /// listen(2) backlog; Listen() refuses values below 512 (a burst of connects must not be
  /// dropped into the client's 1 s SYN retry).
  int backlog = 1024;
  /// I/O threads running the event loop.
  int threads = 2;
};

/// The head of one request, as the handlers see it.
struct HttpRequestHead {
  std::string method;         ///< "POST"
  std::string path;           ///< The target without its query string.
  std::string authorization;  ///< The Authorization header, "" when absent.
  std::string content_type;   ///< "" when absent.
  std::optional<std::uint64_t> content_length;
};

/// One answer. The server adds Content-Length, and Connection: close when it closes.
struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Extra headers (Allow, WWW-Authenticate, Retry-After).
  std::vector<std::pair<std::string, std::string>> headers;
  /// "Connection: close" and close after writing.
  bool close = false;
};

namespace detail {
struct HttpReplyState;
}  // namespace detail

/// The answer to one request. A cheap copyable handle, made by HttpServer.
///
/// Thread-safe: every member may be called from any thread, concurrently.
class HttpReply {
 public:
  /// A reply that answers nothing (Send() is ignored); for tests of handlers.
  HttpReply() = default;
  explicit HttpReply(std::shared_ptr<detail::HttpReplyState> state) : state_(std::move(state)) {}

  /// Sends `response`, exactly once: from any thread, now or later; later calls (and calls after
  /// the server answered by itself, or after the client went away) are ignored.
  void Send(HttpResponse response) const;
  /// Requested when the client has gone away (its connection closed or reset while the request
  /// was being handled) or when HttpServer::Shutdown()'s grace ended with this request
  /// unanswered.
  std::stop_token stop_token() const;
  /// True once a response was sent (by Send or by the server itself).
  bool answered() const;

 private:
  std::shared_ptr<detail::HttpReplyState> state_;
};

/// What the server calls. All three are called on I/O threads and must not block for long.
struct HttpHandlers {
  /// Called as soon as a request's head is complete, before its body is read. An answer here is
  /// sent without reading the body, with Connection: close (authentication failures, 404, 405,
  /// 415). nullopt: the body is read and on_request is called.
  std::function<std::optional<HttpResponse>(const HttpRequestHead&)> on_head;
  /// Called with the complete request; answer through `reply`, now or later from any thread.
  std::function<void(const HttpRequestHead&, std::string body, HttpReply reply)> on_request;
  /// Called once per response the server writes, its own error answers included (400, 404 of
  /// a one-path listener, 408, 413, 415, 431, 503), before the response is written. May be empty.
  std::function<void(int status)> on_answer;
};

/// An event-driven HTTP/1.1 server (Boost.Beast on Asio): a few I/O threads serve every
/// connection, so slow or hostile clients cost a socket and a few KiB each, never a thread.
/// One request at a time per connection (no pipelining); keep-alive for HTTP/1.1, HTTP/1.0
/// closes; HEAD is answered like GET without its body; Content-Encoding other than identity is
/// refused (415) and never inflated. Every error body the server makes is `{"error":"..."}`.
///
/// Thread-safe: Listen() and Start() are called by one thread before serving; Shutdown() and
/// open_connections() may be called from any thread that is not an I/O thread.
class HttpServer {
 public:
  /// `logger` may be null. Logs one warn line per timeout or limit hit; never a body or an
  /// Authorization value.
  HttpServer(HttpServerLimits limits, HttpHandlers handlers,
             std::shared_ptr<spdlog::logger> logger);
  /// Shutdown(0ms) if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds host:port (port 0: any free port) with SO_REUSEADDR (not SO_REUSEPORT: a second
  /// instance must fail to bind rather than take half the traffic) and listens with
  /// limits.backlog. Returns the bound port. May be called more than once before Start().
  /// `only_path` non-empty: this listener serves that one path and answers every other path
  /// 404 {"error":"not found: this port serves only <path>"} from the head (the webhook's
  /// separate /metrics port). Errors: kInvalidConfig "cannot listen on HOST:PORT: <reason>".
  Result<int> Listen(const std::string& host, int port, std::string_view only_path = {});
  /// Starts the I/O threads; returns at once, connections are accepted from now. Errors:
  /// kInvalidConfig when nothing listens, or when called twice or after Shutdown().
  Result<void> Start();
  /// Graceful stop: stops accepting at once (closes the listeners); closes idle keep-alive
  /// connections; a request still being read, or completing from now on, is answered 503
  /// {"error":"shutting down ..."} with Connection: close; requests handed to on_request but
  /// unanswered get until `grace`; then each still-unanswered one is answered 503 with
  /// `grace_message` as the error text, Connection: close and Retry-After, and its reply's
  /// stop_token is requested. Returns when every connection is closed, or at the latest
  /// grace + 1 s after the call whatever the clients do, with the I/O threads joined.
  /// Idempotent; call it from a thread that is not an I/O thread (a signal-waiting thread).
  void Shutdown(std::chrono::milliseconds grace,
                std::string grace_message =
                    "shutting down: the request did not finish within the shutdown grace period");
  /// Connections accepted and not yet closed (for tests).
  std::size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace alertllm::webhook
