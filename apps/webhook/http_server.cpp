// SPDX-License-Identifier: Apache-2.0
#include "http_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <condition_variable>
#include <exception>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "alertllm/detail/quote.hpp"
#include "alertllm/errors.hpp"
#include "classification_json.hpp"

namespace alertllm::webhook {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace detail {

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

bool HttpReplyState::Claim() {
  if (answered.exchange(true)) return false;
  if (auto state = server.lock()) state->Forget(this);
  return true;
}

namespace {

constexpr std::string_view kProcessing = "HTTP/1.1 102 Processing\r\n\r\n";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// How long a closing connection still reads (and drops) what the client sends, so that closing
// with unread bytes does not reset the connection before the client has read our answer.
constexpr milliseconds kLinger{500};
constexpr milliseconds kPeerPoll{100};

HttpResponse ErrorResponse(int status, const std::string& message) {
  HttpResponse response;
  response.status = status;
  response.body = apps::ErrorBody(message);
  response.close = true;
  return response;
}

HttpRequestHead MakeHead(const http::request<http::string_body>& request) {
  HttpRequestHead head;
  head.method = std::string(request.method_string());
  const beast::string_view target = request.target();
  head.path = std::string(target.substr(0, target.find('?')));
  head.authorization = std::string(request[http::field::authorization]);
  head.content_type = std::string(request[http::field::content_type]);
  return head;
}

// True when the kernel saw the peer reset the connection: after our 102 reached a peer that
// had fully closed, its RST left SO_ERROR set (ECONNRESET, or EPIPE in CLOSE_WAIT) and the
// socket in TCP_CLOSE. recv() cannot tell: it keeps returning 0 after the FIN.
bool PeerReset(int fd) {
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error != 0) return true;
  tcp_info info{};
  size = sizeof info;
  return ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) == 0 && info.tcpi_state == TCP_CLOSE;
}

std::string QuoteValue(beast::string_view value) {
  return alertllm::detail::Quote(std::string_view(value.data(), value.size()));
}

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

// One accepted connection. Every member runs on the connection's strand (Post* may be called
// from any thread), so no member needs a lock.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<ServerState> server, std::string client,
             const std::string& only_path)
      : socket_(std::move(socket)),
        strand_(socket_.get_executor()),
        deadline_(strand_),
        peer_poll_(strand_),
        server_(std::move(server)),
        client_(std::move(client)),
        only_path_(only_path) {}

  ~Connection() {
    if (phase_ != Phase::kClosed) server_->Release(this, client_);
  }

  void PostStart() {
    asio::post(strand_, [self = shared_from_this()] { self->WaitForRequest(); });
  }
  void PostResponse(HttpResponse response) {
    asio::post(strand_, [self = shared_from_this(), r = std::move(response)]() mutable {
      self->OnResponse(std::move(r));
    });
  }
  void PostShutdown() {
    asio::post(strand_, [self = shared_from_this()] { self->OnShutdown(); });
  }
  // Only once no I/O thread runs (the end of Shutdown).
  void CloseNow() { Close(); }

 private:
  enum class Phase { kIdle, kReading, kHandling, kWriting, kClosing, kClosed };

  const HttpServerLimits& limits() const { return server_->limits; }

  void WaitForRequest() {
    if (phase_ == Phase::kClosed) return;
    if (server_->shutting_down) return Close();
    phase_ = Phase::kIdle;
    timed_out_ = shutdown_abort_ = peer_eof_ = false;
    reply_.reset();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().max_header_bytes));
    // No body limit while the head is read: the server's own answers from the head (415, 404)
    // and on_head's come before a 413 (OnHead checks Content-Length, then sets the limit for a
    // chunked body). Not boost::none: Beast 1.74 compares the length with the optional, and
    // every length is greater than none.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (buffer_.size() > 0) return ReadHead();
    // The read deadline starts at the request's first byte; until then only the idle one runs.
    ArmDeadline(limits().idle_timeout);
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (self->phase_ != Phase::kIdle) return;
      if (ec) return self->Close();
      self->ReadHead();
    });
  }

  void ReadHead() {
    phase_ = Phase::kReading;
    ArmDeadline(limits().read_timeout);
    http::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHead(ec); });
  }

  void OnHead(beast::error_code ec) {
    if (phase_ != Phase::kReading) return;
    if (ec) return OnReadError(ec);
    const auto& request = parser_->get();
    head_ = MakeHead(request);
    if (const auto length = parser_->content_length()) head_.content_length = *length;
    is_head_ = request.method() == http::verb::head;
    // HTTP/1.0 closes even when it asks for keep-alive: one request per connection is enough.
    keep_alive_ = request.version() >= 11 && request.keep_alive();
    if (auto refusal = Refuse(request)) return Respond(std::move(*refusal));
    if (server_->shutting_down) return Respond(ShuttingDown());
    if (auto early = CallOnHead()) {
      early->close = true;  // the body was not read: the connection cannot carry another request
      return Respond(std::move(*early));
    }
    if (head_.content_length && *head_.content_length > limits().max_body_bytes) {
      return Fail(413, TooLarge());
    }
    parser_->body_limit(limits().max_body_bytes);
    if (parser_->is_done()) return Dispatch();
    if (beast::iequals(request[http::field::expect], "100-continue")) return WriteContinue();
    ReadBody();
  }

  // The server's own answers from the head: encodings it will not decode, and other paths of a
  // one-path listener.
  std::optional<HttpResponse> Refuse(const http::request<http::string_body>& request) const {
    const beast::string_view encoding = request[http::field::content_encoding];
    if (!encoding.empty() && !beast::iequals(encoding, "identity")) {
      // Never inflated: a 500 KB gzip body can expand to hundreds of MB.
      return ErrorResponse(415, "Content-Encoding " + QuoteValue(encoding) +
                                    " is not supported: send the body uncompressed");
    }
    const beast::string_view transfer = request[http::field::transfer_encoding];
    if (!transfer.empty() && !beast::iequals(transfer, "chunked")) {
      return ErrorResponse(415, "Transfer-Encoding " + QuoteValue(transfer) +
                                    " is not supported: send the body uncompressed");
    }
    if (!only_path_.empty() && head_.path != only_path_) {
      return ErrorResponse(404, "not found: this port serves only " + only_path_);
    }
    return std::nullopt;
  }

  std::optional<HttpResponse> CallOnHead() {
    if (!server_->handlers.on_head) return std::nullopt;
    try {
      return server_->handlers.on_head(head_);
    } catch (const std::exception& e) {
      return ErrorResponse(500, std::string("internal error: ") + e.what());
    }
  }

  void WriteContinue() {
    asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (self->phase_ != Phase::kReading) return;
                        if (ec) return self->OnReadError(ec);
                        self->ReadBody();
                      });
  }

  void ReadBody() {
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (self->phase_ != Phase::kReading) return;
                       if (ec) return self->OnReadError(ec);
                       if (self->server_->shutting_down) return self->Respond(self->ShuttingDown());
                       self->Dispatch();
                     });
  }

  // A request that could not be read: the server's answer, or a quiet close when the client
  // went away.
  void OnReadError(beast::error_code ec) {
    if (timed_out_) {
      return Fail(408, "request not received within " +
                           std::to_string(limits().read_timeout.count()) +
                           " ms of its first byte: closing the connection");
    }
    if (shutdown_abort_) return Respond(ShuttingDown());
    if (ec == http::error::header_limit) {
      return Fail(431, "request line and headers exceed " +
                           std::to_string(limits().max_header_bytes) + " bytes");
    }
    if (ec == http::error::body_limit) {
      return Fail(413, TooLarge());
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec.category() != make_error_code(http::error::end_of_stream).category()) {
      return Close();
    }
    return Fail(400, "malformed HTTP request: " + ec.message());
  }

  std::string TooLarge() const {
    return "body exceeds " + std::to_string(limits().max_body_bytes) + " bytes";
  }

  void Fail(int status, const std::string& message) {
    server_->Warn("http: answered {} to {}: {}", status, client_, message);
    Respond(ErrorResponse(status, message));
  }

  HttpResponse ShuttingDown() const {
    return ErrorResponse(503, "shutting down: the server is not taking new requests");
  }

  void Dispatch() {
    phase_ = Phase::kHandling;
    DisarmDeadline();
    auto state = std::make_shared<HttpReplyState>();
    state->connection = weak_from_this();
    state->server = server_;
    {
      std::lock_guard lock(server_->mu);
      server_->unanswered.emplace(state.get(), state);
    }
    reply_ = state;
    WatchPeer();
    HttpReply reply(state);
    if (!server_->handlers.on_request) {
      return reply.Send(ErrorResponse(500, "internal error: no request handler"));
    }
    try {
      server_->handlers.on_request(head_, std::move(parser_->get().body()), reply);
    } catch (const std::exception& e) {
      reply.Send(ErrorResponse(500, std::string("internal error: ") + e.what()));
    }
  }

  // Whether the client went away while its request is handled. A read of EOF is ambiguous: a
  // client that half-closed (shutdown(SHUT_WR) after its request, as some tools do) still
  // waits for the answer, and a full close sends the same FIN. So on EOF the connection is
  // kept and an interim "102 Processing" is written (HTTP/1.1 clients must accept 1xx): a peer
  // that fully closed answers it with RST, which the periodic check sees (PeerReset), and only
  // then is the reply's stop_token requested. A reset seen directly is a disconnect too. An
  // HTTP/1.0 client gets no 102, so its EOF is never taken for a disconnect.
  void WatchPeer() {
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (!ec && self->phase_ == Phase::kHandling) self->OnPeerReadable();
    });
  }

  void OnPeerReadable() {
    char byte = 0;
    const ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    // Bytes of a next request (pipelining) stay in the socket for the next read; the
    // connection is no longer watched.
    if (n > 0) return;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return WatchPeer();
    if (n < 0) return PeerGone();
    peer_eof_ = true;
    if (!request_is_http11()) return;
    interim_writing_ = true;
    asio::async_write(socket_, asio::buffer(kProcessing.data(), kProcessing.size()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->interim_writing_ = false;
                        if (self->phase_ != Phase::kHandling) return;
                        if (self->pending_)
                          return self->Respond(*std::exchange(self->pending_, {}));
                        if (ec) return self->PeerGone();
                        self->PollPeer();
                      });
  }

  bool request_is_http11() const { return parser_ && parser_->get().version() >= 11; }

  void PollPeer() {
    peer_poll_.expires_after(kPeerPoll);
    peer_poll_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->phase_ != Phase::kHandling) return;
      if (PeerReset(self->socket_.native_handle())) return self->PeerGone();
      self->PollPeer();
    });
  }

  void PeerGone() {
    if (reply_) {
      reply_->stop.request_stop();
      // Nobody is left to answer: Shutdown() need not wait for this request.
      server_->Forget(reply_.get());
    }
    Close();
  }

  void OnResponse(HttpResponse response) {
    if (phase_ != Phase::kHandling) return;
    if (interim_writing_) {
      pending_ = std::move(response);
      return;
    }
    Respond(std::move(response));
  }

  void Respond(HttpResponse response) {
    if (phase_ == Phase::kHandling) {
      peer_poll_.cancel();
      beast::error_code ignored;
      socket_.cancel(ignored);  // the peer watch
    }
    close_after_ = response.close || !keep_alive_ || peer_eof_ || server_->shutting_down ||
                   (phase_ == Phase::kReading && !parser_->is_done());
    message_ = BuildMessage(std::move(response));
    phase_ = Phase::kWriting;
    ArmDeadline(limits().write_timeout);
    server_->Answered(static_cast<int>(message_->result_int()));  // before the client has it
    http::async_write(socket_, *message_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (self->phase_ != Phase::kWriting) return;
                        self->message_.reset();
                        if (ec) return self->Close();
                        if (self->close_after_) return self->Linger();
                        self->WaitForRequest();
                      });
  }

  std::unique_ptr<http::response<http::string_body>> BuildMessage(HttpResponse response) const {
    auto message = std::make_unique<http::response<http::string_body>>();
    // Beast throws on a status outside 100-999; a handler's mistake answers 500 instead.
    const bool valid = response.status >= 200 && response.status <= 599;
    message->result(static_cast<unsigned>(valid ? response.status : 500));
    message->version(11);
    if (!response.content_type.empty())
      message->set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) message->set(name, value);
    message->keep_alive(!close_after_);
    message->body() = std::move(response.body);
    message->prepare_payload();
    if (is_head_) {
      // HEAD: the headers of the GET answer, its length included, without its body.
      const std::size_t size = message->body().size();
      message->body().clear();
      message->content_length(size);
    }
    return message;
  }

  // Half-closes, then reads and drops what the client still sends until it closes or kLinger
  // passes: closing with unread bytes would reset the connection and could destroy the answer
  // in the client's receive buffer.
  void Linger() {
    phase_ = Phase::kClosing;
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    ArmDeadline(kLinger);
    drain_ = std::make_unique<std::array<char, 4096>>();
    Drain();
  }

  void Drain() {
    socket_.async_read_some(asio::buffer(*drain_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (self->phase_ != Phase::kClosing) return;
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void OnShutdown() {
    if (phase_ == Phase::kIdle) return Close();
    if (phase_ == Phase::kReading) {
      // A request still being read is answered 503 now rather than waited for.
      shutdown_abort_ = true;
      beast::error_code ignored;
      socket_.cancel(ignored);
    }
  }

  void ArmDeadline(milliseconds after) {
    const std::uint64_t generation = ++deadline_generation_;
    deadline_.expires_after(after);
    deadline_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
      if (ec || generation != self->deadline_generation_) return;
      self->OnDeadline();
    });
  }

  void DisarmDeadline() {
    ++deadline_generation_;
    deadline_.cancel();
  }

  void OnDeadline() {
    switch (phase_) {
      case Phase::kReading: {
        timed_out_ = true;
        beast::error_code ignored;
        socket_.cancel(ignored);  // the read completes with an error; OnReadError answers 408
        return;
      }
      case Phase::kWriting:
        server_->Warn("http: response to {} not written within {} ms: closing the connection",
                      client_, limits().write_timeout.count());
        return Close();
      case Phase::kIdle:
      case Phase::kClosing:
        return Close();
      case Phase::kHandling:
      case Phase::kClosed:
        return;
    }
  }

  void Close() {
    if (phase_ == Phase::kClosed) return;
    if (phase_ == Phase::kHandling && reply_ && !reply_->answered) {
      reply_->stop.request_stop();
      server_->Forget(reply_.get());
    }
    phase_ = Phase::kClosed;
    beast::error_code ignored;
    socket_.close(ignored);
    deadline_.cancel();
    peer_poll_.cancel();
    server_->Release(this, client_);
  }

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
