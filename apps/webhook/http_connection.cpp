// SPDX-License-Identifier: Apache-2.0
// The members of Connection (http_connection.hpp), and the helpers only they use.
#include "http_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <exception>
#include <limits>
#include <mutex>
#include <string_view>
#include <utility>

#include "alertllm/detail/quote.hpp"

namespace alertllm::webhook::detail {

namespace {

constexpr std::string_view kProcessing = "HTTP/1.1 102 Processing\r\n\r\n";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// How long a closing connection still reads (and drops) what the client sends, so that closing
// with unread bytes does not reset the connection before the client has read our answer.
constexpr milliseconds kLinger{500};
constexpr milliseconds kPeerPoll{100};

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

}  // namespace

Connection::Connection(tcp::socket socket, std::shared_ptr<ServerState> server, std::string client,
                       const std::string& only_path)
    : socket_(std::move(socket)),
      strand_(socket_.get_executor()),
      deadline_(strand_),
      peer_poll_(strand_),
      server_(std::move(server)),
      client_(std::move(client)),
      only_path_(only_path) {}

Connection::~Connection() {
  if (phase_ != Phase::kClosed) server_->Release(this, client_);
}

void Connection::PostStart() {
  asio::post(strand_, [self = shared_from_this()] { self->WaitForRequest(); });
}

void Connection::PostResponse(HttpResponse response) {
  asio::post(strand_, [self = shared_from_this(), r = std::move(response)]() mutable {
    self->OnResponse(std::move(r));
  });
}

void Connection::PostShutdown() {
  asio::post(strand_, [self = shared_from_this()] { self->OnShutdown(); });
}

void Connection::WaitForRequest() {
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

void Connection::ReadHead() {
  phase_ = Phase::kReading;
  ArmDeadline(limits().read_timeout);
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHead(ec); });
}

void Connection::OnHead(beast::error_code ec) {
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
std::optional<HttpResponse> Connection::Refuse(
    const http::request<http::string_body>& request) const {
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

std::optional<HttpResponse> Connection::CallOnHead() {
  if (!server_->handlers.on_head) return std::nullopt;
  try {
    return server_->handlers.on_head(head_);
  } catch (const std::exception& e) {
    return ErrorResponse(500, std::string("internal error: ") + e.what());
  }
}

void Connection::WriteContinue() {
  asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (self->phase_ != Phase::kReading) return;
                      if (ec) return self->OnReadError(ec);
                      self->ReadBody();
                    });
}

void Connection::ReadBody() {
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
void Connection::OnReadError(beast::error_code ec) {
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

std::string Connection::TooLarge() const {
  return "body exceeds " + std::to_string(limits().max_body_bytes) + " bytes";
}

void Connection::Fail(int status, const std::string& message) {
  server_->Warn("http: answered {} to {}: {}", status, client_, message);
  Respond(ErrorResponse(status, message));
}

HttpResponse Connection::ShuttingDown() const {
  return ErrorResponse(503, "shutting down: the server is not taking new requests");
}

void Connection::Dispatch() {
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
void Connection::WatchPeer() {
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
    if (!ec && self->phase_ == Phase::kHandling) self->OnPeerReadable();
  });
}

void Connection::OnPeerReadable() {
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

void Connection::PollPeer() {
  peer_poll_.expires_after(kPeerPoll);
  peer_poll_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->phase_ != Phase::kHandling) return;
    if (PeerReset(self->socket_.native_handle())) return self->PeerGone();
    self->PollPeer();
  });
}

void Connection::PeerGone() {
  if (reply_) {
    reply_->stop.request_stop();
    // Nobody is left to answer: Shutdown() need not wait for this request.
    server_->Forget(reply_.get());
  }
  Close();
}

void Connection::OnResponse(HttpResponse response) {
  if (phase_ != Phase::kHandling) return;
  if (interim_writing_) {
    pending_ = std::move(response);
    return;
  }
  Respond(std::move(response));
}

void Connection::Respond(HttpResponse response) {
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

std::unique_ptr<http::response<http::string_body>> Connection::BuildMessage(
    HttpResponse response) const {
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
void Connection::Linger() {
  phase_ = Phase::kClosing;
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  ArmDeadline(kLinger);
  drain_ = std::make_unique<std::array<char, 4096>>();
  Drain();
}

void Connection::Drain() {
  socket_.async_read_some(asio::buffer(*drain_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (self->phase_ != Phase::kClosing) return;
                            if (ec) return self->Close();
                            self->Drain();
                          });
}

void Connection::OnShutdown() {
  if (phase_ == Phase::kIdle) return Close();
  if (phase_ == Phase::kReading) {
    // A request still being read is answered 503 now rather than waited for.
    shutdown_abort_ = true;
    beast::error_code ignored;
    socket_.cancel(ignored);
  }
}

void Connection::ArmDeadline(milliseconds after) {
  const std::uint64_t generation = ++deadline_generation_;
  deadline_.expires_after(after);
  deadline_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
    if (ec || generation != self->deadline_generation_) return;
    self->OnDeadline();
  });
}

void Connection::DisarmDeadline() {
  ++deadline_generation_;
  deadline_.cancel();
}

void Connection::OnDeadline() {
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

void Connection::Close() {
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

}  // namespace alertllm::webhook::detail
