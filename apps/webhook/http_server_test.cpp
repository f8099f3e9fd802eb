// SPDX-License-Identifier: Apache-2.0
// HttpServer over real sockets on 127.0.0.1: each test is an attack or a lifecycle rule that a
// thread-per-connection server with per-recv timeouts (cpp-httplib) fails. Network deadlines
// cannot take an injected clock, so the limits are short and the bounds generous.
#include "http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/wait_until.hpp"

namespace alertllm::webhook {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

// A blocking TCP client on 127.0.0.1 that sends raw bytes and reads raw answers.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { Close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // The next final response (1xx interim answers skipped), "" when the connection ends or
  // `timeout` passes first.
  std::string ReadResponse(milliseconds timeout = 5s) {
    const auto give_up = Clock::now() + timeout;
    for (;;) {
      const std::size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        if (buffer_.compare(0, 10, "HTTP/1.1 1") == 0) {
          buffer_.erase(0, end + 4);
          continue;
        }
        const std::size_t length = ContentLength(buffer_.substr(0, end));
        if (buffer_.size() >= end + 4 + length) {
          std::string response = buffer_.substr(0, end + 4 + length);
          buffer_.erase(0, end + 4 + length);
          return response;
        }
      }
      if (!ReadSome(give_up)) return {};
    }
  }

  // Whatever arrives first within `timeout`, interim answers included; consumed.
  std::string ReadRaw(milliseconds timeout) {
    if (buffer_.empty()) ReadSome(Clock::now() + timeout);
    return std::exchange(buffer_, {});
  }

  // True when the server closes the connection (EOF or reset) within `timeout`.
  bool WaitClosed(milliseconds timeout = 5s) {
    const auto give_up = Clock::now() + timeout;
    while (ReadSome(give_up)) {
    }
    return closed_;
  }

  void HalfClose() { ::shutdown(fd_, SHUT_WR); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  static std::size_t ContentLength(const std::string& head) {
    const std::size_t at = head.find("Content-Length: ");
    return at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
  }

  // Appends what arrives; false on EOF, error or timeout.
  bool ReadSome(Clock::time_point give_up) {
    const auto left = std::chrono::duration_cast<milliseconds>(give_up - Clock::now()).count();
    pollfd p{fd_, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string buffer_;
};

int Status(const std::string& response) {
  return response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
}

std::string Body(const std::string& response) {
  const std::size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

std::string Get(std::string_view path) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n\r\n";
}

milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

HttpServerLimits ShortLimits() {
  HttpServerLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 1024;
  limits.read_timeout = 300ms;
  limits.idle_timeout = 2s;
  limits.write_timeout = 500ms;
  return limits;
}

// A server with test routes: /healthz answers inline, /never keeps its reply unanswered,
// /async answers from another thread after 200 ms, /echo answers the body, /big answers 32 MB.
class HttpServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Shutdown(0ms);
    for (auto& thread : helpers_) thread.join();
  }

  void StartServer(HttpServerLimits limits = ShortLimits(), std::string_view only_path = {}) {
    HttpHandlers handlers;
    handlers.on_request = [this](const HttpRequestHead& head, std::string body, HttpReply reply) {
      Route(head, std::move(body), std::move(reply));
    };
    handlers.on_answer = [this](int status) {
      std::lock_guard lock(mu_);
      ++answers_[status];
    };
    handlers.on_head = [this](const HttpRequestHead& head) -> std::optional<HttpResponse> {
      if (head.path != "/denied") return std::nullopt;
      ++on_head_refusals_;
      return HttpResponse{401, "application/json", R"({"error":"denied"})", {}, false};
    };
    server_ = std::make_unique<HttpServer>(limits, std::move(handlers), nullptr);
    auto port = server_->Listen("127.0.0.1", 0, only_path);
    ASSERT_TRUE(port.has_value()) << port.error().message;
    port_ = *port;
    ASSERT_TRUE(server_->Start().has_value());
  }

  void Route(const HttpRequestHead& head, std::string body, HttpReply reply) {
    ++requests_;
    if (head.path == "/never") {
      std::lock_guard lock(mu_);
      kept_.push_back(reply);
    } else if (head.path == "/async") {
      std::lock_guard lock(mu_);
      helpers_.emplace_back([reply] {
        std::this_thread::sleep_for(200ms);
        reply.Send({200, "application/json", R"({"async":true})", {}, false});
      });
    } else if (head.path == "/echo") {
      reply.Send({200, "text/plain", std::move(body), {}, false});
    } else if (head.path == "/big") {
      reply.Send({200, "text/plain", std::string(32 << 20, 'x'), {}, false});
    } else {
      reply.Send({200, "application/json", R"({"status":"ok"})", {}, false});
    }
  }

  std::vector<HttpReply> Kept() {
    std::lock_guard lock(mu_);
    return kept_;
  }

  std::map<int, int> Answers() {
    std::lock_guard lock(mu_);
    return answers_;
  }

  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<int> on_head_refusals_{0};
  std::mutex mu_;
  std::vector<HttpReply> kept_;
  std::map<int, int> answers_;
  std::vector<std::thread> helpers_;
};

TEST_F(HttpServerTest, SlowlorisDripsGet408WithinTheTotalDeadlineWhileHealthzAnswers) {
  StartServer();
  std::vector<std::unique_ptr<RawClient>> drips;
  for (int i = 0; i < 16; ++i) {
    drips.push_back(std::make_unique<RawClient>(port_));
    ASSERT_TRUE(drips.back()->Send("GET /healthz HTTP/1.1\r\nX-Drip: "));
  }
  const auto start = Clock::now();
  milliseconds slowest{0};
  // Dripping a byte every 50 ms resets any per-recv timeout; only a total deadline ends it.
  while (Since(start) < 700ms) {
    for (auto& drip : drips) drip->Send("a");
    const auto asked = Clock::now();
    RawClient health(port_);
    ASSERT_TRUE(health.Send(Get("/healthz")));
    ASSERT_EQ(Status(health.ReadResponse(2s)), 200);
    slowest = std::max(slowest, Since(asked));
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_LT(slowest, 1000ms);
  for (auto& drip : drips) {
    const std::string response = drip->ReadResponse(2s);
    EXPECT_EQ(Status(response), 408);
    EXPECT_NE(Body(response).find("not received within 300 ms"), std::string::npos) << response;
    EXPECT_TRUE(drip->WaitClosed(2s));
  }
}

TEST_F(HttpServerTest, GzipBodyIs415WithoutReadingTheBody) {
  StartServer();
  RawClient client(port_);
  // 10 MB announced and never sent: the answer can only come from the head.
  ASSERT_TRUE(
      client.Send("POST /alerts HTTP/1.1\r\nHost: t\r\nContent-Encoding: gzip\r\n"
                  "Content-Length: 10485760\r\n\r\n"));
  const std::string response = client.ReadResponse(2s);
  EXPECT_EQ(Status(response), 415);
  EXPECT_EQ(Body(response),
            R"({"error":"Content-Encoding 'gzip' is not supported: send the body uncompressed"})");
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  EXPECT_EQ(requests_, 0);
}

TEST_F(HttpServerTest, ContentLengthOverTheLimitIs413AtOnce) {
  HttpServerLimits limits = ShortLimits();
  limits.read_timeout = 5s;
  StartServer(limits);
  RawClient client(port_);
  const auto start = Clock::now();
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n"));
  const std::string response = client.ReadResponse(4s);
  EXPECT_EQ(Status(response), 413);
  EXPECT_EQ(Body(response), R"({"error":"body exceeds 1024 bytes"})");
  EXPECT_LT(Since(start), 1000ms);
}

TEST_F(HttpServerTest, ChunkedBodyCrossingTheLimitIs413) {
  HttpServerLimits limits = ShortLimits();
  limits.read_timeout = 5s;
  StartServer(limits);
  RawClient client(port_);
  const std::string chunk = "200\r\n" + std::string(512, 'a') + "\r\n";
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                          chunk + chunk + chunk));
  const std::string response = client.ReadResponse(4s);
  EXPECT_EQ(Status(response), 413);
  EXPECT_EQ(requests_, 0);
}

TEST_F(HttpServerTest, ChunkedBodyWithinTheLimitIsDecoded) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(
      client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  const std::string response = client.ReadResponse(2s);
  EXPECT_EQ(Status(response), 200);
  EXPECT_EQ(Body(response), "abcde");
}

TEST_F(HttpServerTest, ExpectContinueGets100BeforeTheBodyIsSent) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(client.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  // curl waits for the 100 (up to 1 s) before it sends a large body.
  EXPECT_EQ(client.ReadRaw(2s).rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0U);
  ASSERT_TRUE(client.Send("hello"));
  const std::string response = client.ReadResponse(2s);
  EXPECT_EQ(Status(response), 200);
  EXPECT_EQ(Body(response), "hello");
}

TEST_F(HttpServerTest, NegativeContentLengthIs400AtOnce) {
  HttpServerLimits limits = ShortLimits();
  limits.read_timeout = 5s;
  StartServer(limits);
  for (const char* length : {"-5", "abc", "5, 7"}) {
    RawClient client(port_);
    const auto start = Clock::now();
    ASSERT_TRUE(client.Send(std::string("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ") +
                            length + "\r\n\r\nhello"));
    const std::string response = client.ReadResponse(4s);
    EXPECT_EQ(Status(response), 400) << length;
    EXPECT_NE(Body(response).find("malformed HTTP request: bad Content-Length"), std::string::npos)
        << response;
    EXPECT_LT(Since(start), 1000ms);
  }
}

TEST_F(HttpServerTest, MalformedRequestLineIs400WithWhatWasWrong) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET\x01 / HTTP/1.1\r\n\r\n"));
  const std::string response = client.ReadResponse(2s);
  EXPECT_EQ(Status(response), 400);
  EXPECT_NE(Body(response).find(R"({"error":"malformed HTTP request: )"), std::string::npos)
      << response;
}

TEST_F(HttpServerTest, HeaderOverTheLimitIs431WithAClearBody) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(
      client.Send("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(2000, 'b') + "\r\n\r\n"));
  const std::string response = client.ReadResponse(2s);
  EXPECT_EQ(Status(response), 431);
  EXPECT_EQ(Body(response), R"({"error":"request line and headers exceed 1024 bytes"})");
}

TEST_F(HttpServerTest, ConnectionsOverThePerClientLimitAre503) {
  HttpServerLimits limits = ShortLimits();
  limits.max_connections_per_client = 3;
  StartServer(limits);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawClient>(port_));
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return server_->open_connections() == 3; }));
  RawClient extra(port_);
  const std::string response = extra.ReadResponse(2s);
  EXPECT_EQ(Status(response), 503);
  EXPECT_NE(Body(response).find("too many connections from this client"), std::string::npos);
  held.clear();
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return server_->open_connections() == 0; }));
  RawClient again(port_);
  ASSERT_TRUE(again.Send(Get("/healthz")));
  EXPECT_EQ(Status(again.ReadResponse(2s)), 200);
}

TEST_F(HttpServerTest, ConnectionsOverTheTotalLimitAre503) {
  HttpServerLimits limits = ShortLimits();
  limits.max_connections = 2;
  StartServer(limits);
  RawClient first(port_);
  RawClient second(port_);
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return server_->open_connections() == 2; }));
  RawClient extra(port_);
  // Sent at once, as clients do: the refusal must still be readable, not lost to a reset.
  extra.Send(Get("/healthz"));
  const std::string response = extra.ReadResponse(2s);
  EXPECT_EQ(Status(response), 503);
  EXPECT_NE(Body(response).find("too many connections: "), std::string::npos);
}

TEST_F(HttpServerTest, BurstOf600ConnectsIsAcceptedAndAnsweredWithoutSynRetries) {
  HttpServerLimits limits = ShortLimits();
  limits.read_timeout = 5s;
  limits.max_connections_per_client = 1000;
  StartServer(limits);
  const auto start = Clock::now();
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 600; ++i) {
    clients.push_back(std::make_unique<RawClient>(port_));
    ASSERT_TRUE(clients.back()->connected());
  }
  for (auto& client : clients) ASSERT_TRUE(client->Send(Get("/healthz")));
  int answered = 0;
  for (auto& client : clients) answered += Status(client->ReadResponse(3s)) == 200 ? 1 : 0;
  EXPECT_EQ(answered, 600);
  // A dropped SYN is retried after 1 s; all 600 within 2 s means none was dropped.
  EXPECT_LT(Since(start), 2000ms);
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(client.Send(Get("/healthz")));
  EXPECT_EQ(Status(client.ReadResponse(2s)), 200);
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi"));
  const std::string response = client.ReadResponse(2s);
  EXPECT_EQ(Status(response), 200);
  EXPECT_EQ(Body(response), "hi");
  EXPECT_EQ(server_->open_connections(), 1U);
}

TEST_F(HttpServerTest, Http10ConnectionIsClosedAfterItsAnswer) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET /healthz HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(Status(client.ReadResponse(2s)), 200);
  EXPECT_TRUE(client.WaitClosed(2s));
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  HttpServerLimits limits = ShortLimits();
  limits.idle_timeout = 200ms;
  StartServer(limits);
  RawClient client(port_);
  ASSERT_TRUE(client.Send(Get("/healthz")));
  EXPECT_EQ(Status(client.ReadResponse(2s)), 200);
  const auto start = Clock::now();
  EXPECT_TRUE(client.WaitClosed(3s));
  EXPECT_GE(Since(start), 150ms);
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return server_->open_connections() == 0; }));
}

TEST_F(HttpServerTest, HeadIsAnsweredLikeGetWithoutBody) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(client.Send("HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
  // Content-Length is that of the GET answer and no body follows: read the head only.
  ASSERT_TRUE(client.Send(Get("/healthz")));
  const std::string both = [&] {
    std::string all;
    const auto give_up = Clock::now() + 2s;
    while (all.find(R"({"status":"ok"})") == std::string::npos && Clock::now() < give_up) {
      all += client.ReadResponse(100ms);
    }
    return all;
  }();
  EXPECT_EQ(both.find("HTTP/1.1 200"), 0U);
  EXPECT_NE(both.find("Content-Length: 15\r\n"), std::string::npos);
}

TEST_F(HttpServerTest, OnHeadAnswerIsSentWithConnectionCloseAndTheBodyUnread) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(client.Send("POST /denied HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n"));
  const std::string response = client.ReadResponse(2s);
  EXPECT_EQ(Status(response), 401);
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  EXPECT_EQ(requests_, 0);
  EXPECT_TRUE(client.WaitClosed(2s));
}

TEST_F(HttpServerTest, OnePathListenerAnswers404ForOtherPaths) {
  StartServer(ShortLimits(), "/metrics");
  RawClient client(port_);
  ASSERT_TRUE(client.Send(Get("/healthz")));
  const std::string response = client.ReadResponse(2s);
  EXPECT_EQ(Status(response), 404);
  EXPECT_EQ(Body(response), R"({"error":"not found: this port serves only /metrics"})");
  RawClient metrics(port_);
  ASSERT_TRUE(metrics.Send(Get("/metrics?x=1")));
  EXPECT_EQ(Status(metrics.ReadResponse(2s)), 200);
}

TEST_F(HttpServerTest, AsyncSendFromAnotherThreadIsWritten) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(client.Send(Get("/async")));
  const std::string response = client.ReadResponse(3s);
  EXPECT_EQ(Status(response), 200);
  EXPECT_EQ(Body(response), R"({"async":true})");
}

TEST_F(HttpServerTest, ClientThatClosesWhileHandledGetsItsStopTokenRequested) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(client.Send(Get("/never")));
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return Kept().size() == 1; }));
  const HttpReply reply = Kept().front();
  const auto start = Clock::now();
  client.Close();
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return reply.stop_token().stop_requested(); }));
  EXPECT_LT(Since(start), 2000ms);
  EXPECT_FALSE(reply.answered());
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return server_->open_connections() == 0; }));
}

TEST_F(HttpServerTest, ClientThatHalfClosesStillGetsItsAnswer) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(client.Send(Get("/async")));
  client.HalfClose();
  const std::string response = client.ReadResponse(3s);
  EXPECT_EQ(Status(response), 200);
  EXPECT_EQ(Body(response), R"({"async":true})");
}

TEST_F(HttpServerTest, ShutdownAnswersAnUnansweredRequest503WithRetryAfterAfterGrace) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(client.Send(Get("/never")));
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return Kept().size() == 1; }));
  const auto start = Clock::now();
  server_->Shutdown(200ms, "grace over");
  EXPECT_GE(Since(start), 190ms);
  EXPECT_LT(Since(start), 1200ms);
  const std::string response = client.ReadResponse(2s);
  EXPECT_EQ(Status(response), 503);
  EXPECT_EQ(Body(response), R"({"error":"grace over"})");
  EXPECT_NE(response.find("Retry-After: "), std::string::npos);
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(Kept().front().stop_token().stop_requested());
  EXPECT_TRUE(Kept().front().answered());
}

TEST_F(HttpServerTest, RequestAnsweredDuringGraceGetsItsOwnAnswer) {
  StartServer();
  RawClient client(port_);
  ASSERT_TRUE(client.Send(Get("/never")));
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return Kept().size() == 1; }));
  std::thread answer([reply = Kept().front()] {
    std::this_thread::sleep_for(100ms);
    reply.Send({200, "application/json", R"({"late":true})", {}, false});
  });
  const auto start = Clock::now();
  server_->Shutdown(3s);
  answer.join();
  EXPECT_LT(Since(start), 2500ms);
  const std::string response = client.ReadResponse(2s);
  EXPECT_EQ(Status(response), 200);
  EXPECT_EQ(Body(response), R"({"late":true})");
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
}

TEST_F(HttpServerTest, ShutdownReturnsWithinGracePlusOneSecondWhenAClientNeverReads) {
  HttpServerLimits limits = ShortLimits();
  limits.write_timeout = 30s;
  StartServer(limits);
  RawClient client(port_);
  ASSERT_TRUE(client.Send(Get("/big")));
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return requests_ == 1; }));
  const auto start = Clock::now();
  server_->Shutdown(100ms);
  EXPECT_LT(Since(start), 1600ms);
  EXPECT_EQ(server_->open_connections(), 0U);
}

TEST_F(HttpServerTest, ShutdownClosesIdleConnectionsAndRefusesNewOnes) {
  StartServer();
  RawClient idle(port_);
  ASSERT_TRUE(idle.Send(Get("/healthz")));
  EXPECT_EQ(Status(idle.ReadResponse(2s)), 200);
  server_->Shutdown(1s);
  EXPECT_TRUE(idle.WaitClosed(1s));
  RawClient late(port_);
  EXPECT_FALSE(late.connected());
}

TEST_F(HttpServerTest, RequestBeingReadAtShutdownIsAnswered503) {
  HttpServerLimits limits = ShortLimits();
  limits.read_timeout = 5s;
  StartServer(limits);
  RawClient client(port_);
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab"));
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return server_->open_connections() == 1; }));
  std::this_thread::sleep_for(50ms);
  server_->Shutdown(1s);
  const std::string response = client.ReadResponse(2s);
  EXPECT_EQ(Status(response), 503);
  EXPECT_NE(Body(response).find("shutting down"), std::string::npos);
}

TEST_F(HttpServerTest, EveryResponseIsCountedOnceByOnAnswer) {
  StartServer();
  {
    RawClient client(port_);
    ASSERT_TRUE(client.Send(Get("/healthz")));
    ASSERT_EQ(Status(client.ReadResponse(2s)), 200);
    ASSERT_TRUE(client.Send(Get("/async")));
    ASSERT_EQ(Status(client.ReadResponse(2s)), 200);
  }
  {
    RawClient client(port_);
    ASSERT_TRUE(
        client.Send("POST /x HTTP/1.1\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\n"));
    ASSERT_EQ(Status(client.ReadResponse(2s)), 415);
  }
  {
    RawClient client(port_);
    ASSERT_TRUE(client.Send("GET /healthz HTTP/1.1\r\nX: "));
    ASSERT_EQ(Status(client.ReadResponse(2s)), 408);
  }
  EXPECT_EQ(Answers(), (std::map<int, int>{{200, 2}, {408, 1}, {415, 1}}));
}

TEST(HttpServerListenTest, UnusableAddressIsAnInvalidConfigError) {
  HttpServer server(HttpServerLimits{}, HttpHandlers{}, nullptr);
  const Result<int> port = server.Listen("not-an-address", 8080);
  ASSERT_FALSE(port.has_value());
  EXPECT_EQ(port.error().code, ErrorCode::kInvalidConfig);
  EXPECT_EQ(port.error().message.rfind("cannot listen on not-an-address:8080: ", 0), 0U)
      << port.error().message;
}

TEST(HttpServerListenTest, PortInUseIsAnInvalidConfigError) {
  HttpServer first(HttpServerLimits{}, HttpHandlers{}, nullptr);
  const Result<int> port = first.Listen("127.0.0.1", 0);
  ASSERT_TRUE(port.has_value());
  HttpServer second(HttpServerLimits{}, HttpHandlers{}, nullptr);
  const Result<int> again = second.Listen("127.0.0.1", *port);
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().message.find("cannot listen on 127.0.0.1:"), std::string::npos);
}

}  // namespace
}  // namespace alertllm::webhook
