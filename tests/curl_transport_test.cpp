// SPDX-License-Identifier: Apache-2.0
// The libcurl transport against a real cpp-httplib server on 127.0.0.1, port chosen by the
// kernel. This binary replaces the global operator new to see the largest allocation the
// calling thread makes while a response is read.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "alertllm/curl_transport.hpp"
#include "alertllm/errors.hpp"
#include "alertllm/transport.hpp"
#include "support/local_http_server.hpp"

namespace {
thread_local bool g_track_allocations = false;
thread_local std::size_t g_largest_allocation = 0;
}  // namespace

// gcc 12 at -O1 and above inlines this pair into gtest and then warns that malloc'd memory is
// released by a sized delete; the pair is matched (malloc/free) on purpose.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
  if (g_track_allocations) g_largest_allocation = std::max(g_largest_allocation, size);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace alertllm {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMiB = 1024 * 1024;

// The body of the replay test: every byte value, NUL included, over 10 KiB.
std::string AllByteValues() {
  std::string body(10 * 1024, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i % 256);
  return body;
}

// A port on 127.0.0.1 that was bound and then closed, so nothing listens on it.
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

// A one-shot server that answers the first request with `reply`, byte for byte, for replies
// httplib cannot produce: interim responses, non-HTTP garbage, a reset in the middle of a body.
class RawServer {
 public:
  RawServer(std::string reply, bool reset) : reply_(std::move(reply)), reset_(reset) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listen_fd_ < 0 ||
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 1) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RawServer() {
    // Wakes a pending accept() if the client never came.
    if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  int port() const { return port_; }

 private:
  void Serve() {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      request.append(buffer, static_cast<std::size_t>(n));
    }
    std::size_t sent = 0;
    while (sent < reply_.size()) {
      const ssize_t n = ::send(fd, reply_.data() + sent, reply_.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    if (reset_) {
      // Closing with a zero linger time sends RST instead of FIN.
      const linger hard{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    } else {
      ::shutdown(fd, SHUT_WR);
      while (::recv(fd, buffer, sizeof buffer, 0) > 0) {
      }
    }
    ::close(fd);
  }

  std::string reply_;
  bool reset_;
  int listen_fd_ = -1;
  int port_ = -1;
  std::thread thread_;
};

class CurlTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // httplib closes a keep-alive connection after 5 requests by default.
    server_.set_keep_alive_max_count(100000);
    // Without it the server's header and body writes wait on the client's delayed ACK (40 ms).
    server_.set_tcp_nodelay(true);
    server_.new_task_queue = [] { return new httplib::ThreadPool(16); };

    server_.Get("/hello", [this](const httplib::Request& req, httplib::Response& res) {
      RecordPort(req.remote_port);
      res.set_header("X-Custom-Header", "  some value  ");
      res.set_content("hello", "text/plain");
    });
    server_.Post("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      RecordPort(req.remote_port);
      res.set_header("X-Saw-Expect", req.has_header("Expect") ? "yes" : "no");
      res.set_header("X-Saw-Token", req.get_header_value("X-Token"));
      res.set_header("X-Saw-User-Agent", req.get_header_value("User-Agent"));
      res.set_content(req.body, "application/octet-stream");
    });
    server_.Post("/compare", [this](const httplib::Request& req, httplib::Response& res) {
      const std::lock_guard lock(mutex_);
      received_bodies_.push_back(req.body);
      res.status = req.body == AllByteValues() ? 200 : 400;
    });
    server_.Get(R"(/status/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      res.status = std::stoi(req.matches[1]);
      res.set_header("Retry-After", "7");
      res.set_content("status body", "text/plain");
    });
    server_.Get("/redirect", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/target", 302);
    });
    server_.Get("/target", [this](const httplib::Request&, httplib::Response& res) {
      ++target_hits_;
      res.set_content("target", "text/plain");
    });
    server_.Get("/never", [this](const httplib::Request&, httplib::Response& res) {
      // Answers only when the fixture ends: the server's own wait, not the test's clock.
      const auto give_up = Clock::now() + std::chrono::seconds(10);
      while (!release_ && Clock::now() < give_up) std::this_thread::sleep_for(milliseconds(5));
      res.set_content("late", "text/plain");
    });
    server_.Get(R"(/sized/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::string(std::stoul(req.matches[1]), 'x'), "text/plain");
    });
    server_.Get("/big-chunked", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider(
          "text/plain", [](std::size_t offset, httplib::DataSink& sink) {
            if (offset >= 2 * kMiB) {
              sink.done();
              return true;
            }
            const std::string chunk(64 * 1024, 'y');
            return sink.write(chunk.data(), chunk.size());
          });
    });
    server_.Get("/truncated", [](const httplib::Request&, httplib::Response& res) {
      // Announces 100000 bytes, sends 1000, then fails the provider: httplib closes the socket.
      res.set_content_provider(100000, "text/plain",
                               [](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                 if (offset > 0) return false;
                                 const std::string part(1000, 'z');
                                 return sink.write(part.data(), part.size());
                               });
    });

    ASSERT_TRUE(http_.Start());
  }

  void TearDown() override {
    release_ = true;
    http_.Stop();
  }

  std::string Url(std::string_view path) const {
    return http_.url() + std::string(path);
  }

  HttpRequest Get(std::string_view path) const {
    HttpRequest request;
    request.method = "GET";
    request.url = Url(path);
    request.timeout = std::chrono::seconds(5);
    request.connect_timeout = std::chrono::seconds(2);
    return request;
  }

  HttpRequest Post(std::string_view path, std::string body) const {
    HttpRequest request = Get(path);
    request.method = "POST";
    request.body = std::move(body);
    request.headers = {{"Content-Type", "application/octet-stream"}};
    return request;
  }

  void RecordPort(int port) {
    const std::lock_guard lock(mutex_);
    remote_ports_.insert(port);
  }

  std::set<int> RemotePorts() {
    const std::lock_guard lock(mutex_);
    return remote_ports_;
  }

  test::LocalHttpServer http_;
  httplib::Server& server_ = http_.server();
  std::atomic<bool> release_{false};
  std::atomic<int> target_hits_{0};
  std::mutex mutex_;
  std::set<int> remote_ports_;              // guarded by mutex_
  std::vector<std::string> received_bodies_;  // guarded by mutex_
};

TEST_F(CurlTransportTest, GetRoundTripReturnsStatusBodyAndHeaders) {
  auto transport = MakeCurlTransport();
  const auto result = transport->Send(Get("/hello"), {});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "hello");
  ASSERT_NE(result->Header("content-type"), nullptr);
  EXPECT_EQ(*result->Header("content-type"), "text/plain");
  EXPECT_GT(result->elapsed.count(), 0);
}

TEST_F(CurlTransportTest, PostRoundTripSendsBodyAndHeadersWithoutExpect) {
  auto transport = MakeCurlTransport();
  // Large enough that libcurl would otherwise send "Expect: 100-continue".
  auto request = Post("/echo", std::string(2 * kMiB, 'p'));
  request.headers.emplace_back("X-Token", "abc");
  request.max_response_bytes = 4 * kMiB;
  const auto result = transport->Send(request, {});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, request.body);
  ASSERT_NE(result->Header("x-saw-expect"), nullptr);
  EXPECT_EQ(*result->Header("x-saw-expect"), "no");
  ASSERT_NE(result->Header("x-saw-token"), nullptr);
  EXPECT_EQ(*result->Header("x-saw-token"), "abc");
}

TEST_F(CurlTransportTest, ConfiguredUserAgentIsSent) {
  CurlTransportOptions options;
  options.user_agent = "alertllm-test/1.0";
  auto transport = MakeCurlTransport(options);
  const auto result = transport->Send(Post("/echo", "{}"), {});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_NE(result->Header("x-saw-user-agent"), nullptr);
  EXPECT_EQ(*result->Header("x-saw-user-agent"), "alertllm-test/1.0");
}

TEST_F(CurlTransportTest, ServerErrorAndRateLimitAreResponsesNotErrors) {
  auto transport = MakeCurlTransport();
  for (const int status : {503, 429}) {
    const auto result = transport->Send(Get("/status/" + std::to_string(status)), {});
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->status, status);
    EXPECT_EQ(result->body, "status body");
    ASSERT_NE(result->Header("Retry-After"), nullptr);
    EXPECT_EQ(*result->Header("Retry-After"), "7");
  }
}

TEST_F(CurlTransportTest, HundredSequentialSendsUseOneConnection) {
  auto transport = MakeCurlTransport();
  for (int i = 0; i < 100; ++i) {
    const auto result = transport->Send(Get("/hello"), {});
    ASSERT_TRUE(result.has_value()) << result.error().message;
    ASSERT_EQ(result->status, 200);
  }
  EXPECT_EQ(RemotePorts().size(), 1u);
}

TEST_F(CurlTransportTest, BodyIsReplayedByteIdentical) {
  auto transport = MakeCurlTransport();
  const auto request = Post("/compare", AllByteValues());
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto result = transport->Send(request, {});
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->status, 200) << "attempt " << attempt;
  }
  const std::lock_guard lock(mutex_);
  ASSERT_EQ(received_bodies_.size(), 2u);
  EXPECT_EQ(received_bodies_[0], AllByteValues());
  EXPECT_EQ(received_bodies_[1], received_bodies_[0]);
}

TEST_F(CurlTransportTest, AttemptTimeoutOnSilentServerIsTimeout) {
  auto transport = MakeCurlTransport();
  auto request = Get("/never");
  request.timeout = milliseconds(200);
  const auto start = Clock::now();
  const auto result = transport->Send(request, {});
  const auto took = Clock::now() - start;
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kTimeout) << result.error().message;
  EXPECT_GE(took, milliseconds(190));
  EXPECT_LE(took, milliseconds(600));
}

TEST_F(CurlTransportTest, NonPositiveTimeoutFailsWithoutSending) {
  auto transport = MakeCurlTransport();
  auto request = Get("/hello");
  request.timeout = milliseconds(0);
  const auto result = transport->Send(request, {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kTimeout);
  EXPECT_TRUE(RemotePorts().empty());
}

TEST_F(CurlTransportTest, ConnectionRefusedIsNetworkError) {
  const int port = ClosedPort();
  ASSERT_GT(port, 0);
  auto transport = MakeCurlTransport();
  auto request = Get("/");
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  const auto result = transport->Send(request, {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kNetworkError) << result.error().message;
}

TEST_F(CurlTransportTest, BodyAtTheCapIsAccepted) {
  auto transport = MakeCurlTransport();
  auto request = Get("/sized/1000");
  request.max_response_bytes = 1000;
  const auto result = transport->Send(request, {});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->body.size(), 1000u);
}

TEST_F(CurlTransportTest, BodyOverTheCapIsInvalidResponse) {
  auto transport = MakeCurlTransport();
  auto request = Get("/sized/1001");
  request.max_response_bytes = 1000;
  const auto result = transport->Send(request, {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidResponse);
  EXPECT_EQ(result.error().message, "response body over 1000 bytes");
}

TEST_F(CurlTransportTest, OversizedBodyWithLengthIsRefusedWithoutReadingIt) {
  auto transport = MakeCurlTransport();
  auto request = Get("/sized/" + std::to_string(2 * kMiB));
  request.max_response_bytes = kMiB;
  g_largest_allocation = 0;
  g_track_allocations = true;
  const auto result = transport->Send(request, {});
  g_track_allocations = false;
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidResponse);
  EXPECT_EQ(result.error().message, "response body over 1048576 bytes");
  EXPECT_EQ(result.error().http_status, 200);
  EXPECT_LT(g_largest_allocation, 64 * 1024u);
}

TEST_F(CurlTransportTest, OversizedChunkedBodyStopsAtTheCap) {
  auto transport = MakeCurlTransport();
  auto request = Get("/big-chunked");
  request.max_response_bytes = kMiB;
  g_largest_allocation = 0;
  g_track_allocations = true;
  const auto result = transport->Send(request, {});
  g_track_allocations = false;
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidResponse);
  EXPECT_EQ(result.error().message, "response body over 1048576 bytes");
  // The body buffer grew towards the cap but never past it.
  EXPECT_GT(g_largest_allocation, kMiB / 2);
  EXPECT_LE(g_largest_allocation, kMiB + 1);
}

TEST_F(CurlTransportTest, ServerClosingMidBodyIsNetworkError) {
  auto transport = MakeCurlTransport();
  const auto result = transport->Send(Get("/truncated"), {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kNetworkError) << result.error().message;
}

TEST_F(CurlTransportTest, StopRequestedMidRequestReturnsCancelledWithin50ms) {
  auto transport = MakeCurlTransport();
  std::stop_source stop;
  Clock::time_point stop_requested_at{};
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(100));
    stop_requested_at = Clock::now();
    stop.request_stop();
  });
  const auto result = transport->Send(Get("/never"), stop.get_token());
  const auto returned_at = Clock::now();
  stopper.join();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled) << result.error().message;
  EXPECT_LE(returned_at - stop_requested_at, milliseconds(50));
}

TEST_F(CurlTransportTest, StopRequestedBeforeSendSendsNothing) {
  auto transport = MakeCurlTransport();
  std::stop_source stop;
  stop.request_stop();
  const auto result = transport->Send(Get("/hello"), stop.get_token());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
  EXPECT_TRUE(RemotePorts().empty());
}

TEST_F(CurlTransportTest, HandleIsReusableAfterCancellation) {
  CurlTransportOptions options;
  options.max_idle_handles = 1;
  auto transport = MakeCurlTransport(options);
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(50));
    stop.request_stop();
  });
  const auto cancelled = transport->Send(Get("/never"), stop.get_token());
  stopper.join();
  ASSERT_FALSE(cancelled.has_value());
  const auto result = transport->Send(Get("/hello"), {});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->body, "hello");
}

TEST_F(CurlTransportTest, ConcurrentSendsFromFourThreadsAllSucceed) {
  auto transport = MakeCurlTransport();
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const auto result = transport->Send(Get("/hello"), {});
        if (result.has_value() && result->status == 200 && result->body == "hello") ++successes;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(successes.load(), 200);
  // Each thread's handle keeps its connection: far fewer connections than requests.
  EXPECT_LE(RemotePorts().size(), 8u);
}

TEST_F(CurlTransportTest, HeaderNamesAreLowerCasedAndValuesTrimmed) {
  auto transport = MakeCurlTransport();
  const auto result = transport->Send(Get("/hello"), {});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  bool found = false;
  for (const auto& [name, value] : result->headers) {
    EXPECT_EQ(name, [&] {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return lower;
    }());
    if (name == "x-custom-header") {
      found = true;
      EXPECT_EQ(value, "some value");
    }
  }
  EXPECT_TRUE(found);
  ASSERT_NE(result->Header("X-CUSTOM-Header"), nullptr);
  EXPECT_EQ(*result->Header("X-CUSTOM-Header"), "some value");
}

TEST_F(CurlTransportTest, RedirectIsReturnedNotFollowed) {
  auto transport = MakeCurlTransport();
  const auto result = transport->Send(Get("/redirect"), {});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->status, 302);
  ASSERT_NE(result->Header("location"), nullptr);
  EXPECT_EQ(*result->Header("location"), "/target");
  EXPECT_EQ(target_hits_.load(), 0);
}

TEST_F(CurlTransportTest, InvalidUrlIsInvalidRequest) {
  auto transport = MakeCurlTransport();
  for (const char* url : {"not a url", "http://", "ftp://127.0.0.1/file", "file:///etc/passwd",
                          ""}) {
    auto request = Get("/");
    request.url = url;
    const auto result = transport->Send(request, {});
    ASSERT_FALSE(result.has_value()) << url;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidRequest) << url << ": "
                                                               << result.error().message;
  }
}

TEST_F(CurlTransportTest, UnsupportedMethodIsInvalidRequest) {
  auto transport = MakeCurlTransport();
  auto request = Get("/hello");
  request.method = "DELETE";
  const auto result = transport->Send(request, {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidRequest);
  EXPECT_TRUE(RemotePorts().empty());
}

TEST_F(CurlTransportTest, HeaderWithLineBreakIsInvalidRequest) {
  auto transport = MakeCurlTransport();
  auto request = Get("/hello");
  request.headers.emplace_back("X-Evil", "a\r\nInjected: yes");
  const auto result = transport->Send(request, {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(result.error().message.find("Injected"), std::string::npos);
}


HttpRequest RawGet(const RawServer& server) {
  HttpRequest request;
  request.method = "GET";
  request.url = server.Url();
  request.timeout = std::chrono::seconds(5);
  return request;
}

TEST(CurlTransportRawTest, OnlyTheFinalResponsesHeadersRemain) {
  const RawServer server(
      "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
      "HTTP/1.1 200 OK\r\nX-Final:  2 \r\nX-Folded: a\r\n  b\r\nContent-Length: 2\r\n"
      "Connection: close\r\n\r\nok",
      false);
  ASSERT_GT(server.port(), 0);
  auto transport = MakeCurlTransport();
  const auto result = transport->Send(RawGet(server), {});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "ok");
  EXPECT_EQ(result->Header("x-interim"), nullptr);
  ASSERT_NE(result->Header("x-final"), nullptr);
  EXPECT_EQ(*result->Header("x-final"), "2");
  ASSERT_NE(result->Header("x-folded"), nullptr);
  EXPECT_EQ(*result->Header("x-folded"), "a b");
}

TEST(CurlTransportRawTest, NonHttpReplyIsInvalidResponse) {
  const RawServer server("this is not HTTP at all\r\n\r\n", false);
  ASSERT_GT(server.port(), 0);
  auto transport = MakeCurlTransport();
  const auto result = transport->Send(RawGet(server), {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidResponse) << result.error().message;
}

TEST(CurlTransportRawTest, ResetMidBodyIsNetworkError) {
  const RawServer server("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial", true);
  ASSERT_GT(server.port(), 0);
  auto transport = MakeCurlTransport();
  const auto result = transport->Send(RawGet(server), {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kNetworkError) << result.error().message;
}


// An HTTPS server with a self-signed certificate for 127.0.0.1 (testdata/tls, made with
// `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=127.0.0.1
// -addext subjectAltName=IP:127.0.0.1`; test-only key).
class CurlTransportTlsTest : public ::testing::Test {
 protected:
  static std::string CertFile() { return ALERTLLM_TLS_DIR "/localhost.crt"; }

  void SetUp() override {
    server_->set_keep_alive_max_count(100000);
    server_->set_tcp_nodelay(true);
    server_->Get("/hello", [this](const httplib::Request& req, httplib::Response& res) {
      const std::lock_guard lock(mutex_);
      remote_ports_.insert(req.remote_port);
      res.set_content("secure hello", "text/plain");
    });
    ASSERT_TRUE(https_.Start());
  }

  void TearDown() override {
    https_.Stop();
  }

  HttpRequest Get() const {
    HttpRequest request;
    request.method = "GET";
    request.url = "https://127.0.0.1:" + std::to_string(https_.port()) + "/hello";
    request.timeout = std::chrono::seconds(5);
    return request;
  }

  test::LocalHttpServer https_{std::make_unique<httplib::SSLServer>(
      CertFile().c_str(), ALERTLLM_TLS_DIR "/localhost.key")};
  httplib::Server* server_ = &https_.server();
  std::mutex mutex_;
  std::set<int> remote_ports_;  // guarded by mutex_
};

TEST_F(CurlTransportTlsTest, UntrustedCertificateIsNetworkError) {
  auto transport = MakeCurlTransport();
  const auto result = transport->Send(Get(), {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kNetworkError) << result.error().message;
  EXPECT_NE(result.error().message.find("certificate"), std::string::npos)
      << result.error().message;
}

TEST_F(CurlTransportTlsTest, CaFileMakesTheCertificateTrusted) {
  CurlTransportOptions options;
  options.ca_file = CertFile();
  auto transport = MakeCurlTransport(options);
  for (int i = 0; i < 20; ++i) {
    const auto result = transport->Send(Get(), {});
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->body, "secure hello");
  }
  const std::lock_guard lock(mutex_);
  EXPECT_EQ(remote_ports_.size(), 1u);
}

TEST_F(CurlTransportTlsTest, VerificationOffAcceptsAnyCertificate) {
  CurlTransportOptions options;
  options.tls_verify = false;
  auto transport = MakeCurlTransport(options);
  const auto result = transport->Send(Get(), {});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->status, 200);
}

}  // namespace
}  // namespace alertllm
