// SPDX-License-Identifier: Apache-2.0
// Internal to HttpServer (not installed): Connection, the state machine of one accepted
// connection (reads a request, dispatches it, watches the peer, writes, lingers and closes).
#pragma once

// First: Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http_server.hpp"
#include "http_server_state.hpp"

namespace alertllm::webhook {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

namespace detail {

// One accepted connection. Every member runs on the connection's strand (Post* may be called
// from any thread), so no member needs a lock.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<ServerState> server, std::string client,
             const std::string& only_path);

  ~Connection();

  void PostStart();
  void PostResponse(HttpResponse response);
  void PostShutdown();
  // Only once no I/O thread runs (the end of Shutdown).
  void CloseNow() { Close(); }

 private:
  enum class Phase { kIdle, kReading, kHandling, kWriting, kClosing, kClosed };

  const HttpServerLimits& limits() const { return server_->limits; }

  void WaitForRequest();
  void ReadHead();
  void OnHead(beast::error_code ec);
  std::optional<HttpResponse> Refuse(const http::request<http::string_body>& request) const;
  std::optional<HttpResponse> CallOnHead();
  void WriteContinue();
  void ReadBody();
  void OnReadError(beast::error_code ec);
  std::string TooLarge() const;
  void Fail(int status, const std::string& message);
  HttpResponse ShuttingDown() const;
  void Dispatch();
  void WatchPeer();
  void OnPeerReadable();
  bool request_is_http11() const { return parser_ && parser_->get().version() >= 11; }
  void PollPeer();
  void PeerGone();
  void OnResponse(HttpResponse response);
  void Respond(HttpResponse response);
  std::unique_ptr<http::response<http::string_body>> BuildMessage(HttpResponse response) const;
  void Linger();
  void Drain();
  void OnShutdown();
  void ArmDeadline(milliseconds after);
  void DisarmDeadline();
  void OnDeadline();
  void Close();

  tcp::socket socket_;
  asio::any_io_executor strand_;
  asio::steady_timer deadline_;
  asio::steady_timer peer_poll_;
  std::shared_ptr<ServerState> server_;
  const std::string client_;
  const std::string only_path_;

  Phase phase_ = Phase::kIdle;
  std::uint64_t deadline_generation_ = 0;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequestHead head_;
  bool is_head_ = false;
  bool keep_alive_ = false;
  bool timed_out_ = false;
  bool shutdown_abort_ = false;
  bool peer_eof_ = false;
  bool interim_writing_ = false;
  bool close_after_ = false;
  std::optional<HttpResponse> pending_;
  std::shared_ptr<HttpReplyState> reply_;
  std::unique_ptr<http::response<http::string_body>> message_;
  std::unique_ptr<std::array<char, 4096>> drain_;
};

}  // namespace detail
}  // namespace alertllm::webhook
