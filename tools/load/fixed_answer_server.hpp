// SPDX-License-Identifier: Apache-2.0
#pragma once

// A deliberately cheap HTTP/1.1 server on 127.0.0.1 that answers every request with a fixed
// classification, so that client benchmarks measure the client rather than the server: one
// epoll thread, keep-alive, no allocation per request once a connection's buffer has grown.
// Optionally it plays a slow provider with a quota (FixedAnswerOptions): classify answers held
// latency_ms on a timer queue of the same thread, and 429s over max_in_flight held answers.
// Benchmark and load-test use only; it trusts its peer (no limits beyond a 1 MiB request).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <alertllm/config.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

namespace alertllm::bench {

/// The proxy protocol's answer (DESIGN.md §5): ~400 bytes with headers, as in the issue.
inline constexpr std::string_view kProxyAnswer =
    R"({"classification":{"severity":3,"category":"performance","summary":"CPU usage above 90% )"
    R"(on node-1 for 10 minutes","confidence":0.85,"reasoning":"Sustained high CPU on a single )"
    R"(node degrades latency but the service is still up.","suggestions":["Check the top )"
    R"(processes on node-1","Scale out the deployment"]},"request_id":"req-7f3a9c",)"
    R"("processing_time":"234ms"})";

/// The OpenAI chat-completions answer with the same classification as JSON content.
inline constexpr std::string_view kOpenAiAnswer =
    R"({"id":"chatcmpl-9xQ","object":"chat.completion","created":1795000000,"model":"bench",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"{\"severity\":3,)"
    R"(\"category\":\"performance\",\"summary\":\"CPU usage above 90% on node-1 for 10 )"
    R"(minutes\",\"confidence\":0.85,\"reasoning\":\"Sustained high CPU on a single node )"
    R"(degrades latency but the service is still up.\",\"suggestions\":[\"Check the top )"
    R"(processes on node-1\",\"Scale out the deployment\"]}","refusal":null},)"
    R"("finish_reason":"stop"}],"usage":{"prompt_tokens":412,"completion_tokens":96,)"
    R"("total_tokens":508}})";

/// How slow and how strict the server is; the defaults answer at once, without a quota.
struct FixedAnswerOptions {
  /// Every classify answer (POST /classify, POST /v1/chat/completions) is held this long.
  int latency_ms = 0;
  /// At most this many classify answers held at once; a classify request beyond that is
  /// answered at once with 429, `Retry-After: 1` and an OpenAI-style rate_limit_exceeded
  /// error. 0: no quota. Only bites with latency_ms > 0 (otherwise nothing is ever held).
  int max_in_flight = 0;
};

/// Thread-safety: construction and destruction from one thread; the accessors from any.
class FixedAnswerServer {
 public:
  /// Listens on 127.0.0.1:`port` (0: a free port) and serves until destroyed.
  explicit FixedAnswerServer(std::uint16_t port = 0, FixedAnswerOptions options = {})
      : options_(options) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd_ < 0) Fail("socket");
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      Fail("bind");
    }
    if (::listen(listen_fd_, 1024) != 0) Fail("listen");
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);

    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || stop_fd_ < 0) Fail("epoll/eventfd");
    Watch(listen_fd_);
    Watch(stop_fd_);
    thread_ = std::thread([this] { Run(); });
  }

  ~FixedAnswerServer() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(stop_fd_, &one, sizeof one);
    thread_.join();
    for (auto& [fd, connection] : connections_) ::close(fd);
    ::close(stop_fd_);
    ::close(epoll_fd_);
    ::close(listen_fd_);
  }

  FixedAnswerServer(const FixedAnswerServer&) = delete;
  FixedAnswerServer& operator=(const FixedAnswerServer&) = delete;

  std::uint16_t Port() const { return port_; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// The CPU time the server's thread has used so far, so that an in-process benchmark can
  /// leave it out of the process's.
  std::chrono::nanoseconds ThreadCpu() {
    clockid_t clock{};
    timespec used{};
    if (pthread_getcpuclockid(thread_.native_handle(), &clock) != 0 ||
        clock_gettime(clock, &used) != 0) {
      return std::chrono::nanoseconds::zero();
    }
    return std::chrono::seconds(used.tv_sec) + std::chrono::nanoseconds(used.tv_nsec);
  }
  /// Requests answered so far, the 429s of the quota included.
  std::uint64_t Requests() const { return requests_.load(std::memory_order_relaxed); }
  /// Classify requests answered 429 by the max_in_flight quota so far.
  std::uint64_t RateLimited() const { return rate_limited_.load(std::memory_order_relaxed); }

 private:
  using Clock = std::chrono::steady_clock;

  struct Connection {
    std::string buffer;  // bytes received and not yet answered
    std::uint64_t serial = 0;
    bool held = false;  // a classify answer is on the timer queue; later requests wait
  };

  // A classify answer on the timer queue. The latency is fixed, so the queue is in due order.
  struct Held {
    Clock::time_point due;
    int fd;
    std::uint64_t serial;  // the connection's, so a reused fd is not answered
    const std::string* answer;
  };

  [[noreturn]] static void Fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
  }

  void Watch(int fd) const {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  }

  static std::string Response(std::string_view status, std::string_view body,
                              std::string_view extra_headers = {}) {
    std::string response = "HTTP/1.1 ";
    response.append(status);
    response += "\r\nContent-Type: application/json\r\n";
    response.append(extra_headers);
    response += "Content-Length: ";
    response += std::to_string(body.size());
    response += "\r\n\r\n";
    response.append(body);
    return response;
  }

  // The answer to the request whose head is `head`.
  const std::string& AnswerFor(std::string_view head) const {
    if (head.starts_with("POST /classify")) return proxy_;
    if (head.starts_with("POST /v1/chat/completions")) return openai_;
    if (head.starts_with("GET /health")) return health_;
    if (head.starts_with("GET /v1/models")) return models_;
    return not_found_;
  }

  // Content-Length of the request head (0 if absent).
  static std::size_t ContentLength(std::string_view head) {
    constexpr std::string_view kName = "content-length:";
    for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;
         at = head.find("\r\n", at + 2)) {
      if (alertllm::detail::EqualsIgnoreCase(head.substr(at + 2, kName.size()), kName)) {
        std::size_t value = 0;
        for (std::size_t i = at + 2 + kName.size(); i < head.size(); ++i) {
          const char c = head[i];
          if (c == ' ') continue;
          if (c < '0' || c > '9') break;
          value = value * 10 + static_cast<std::size_t>(c - '0');
        }
        return value;
      }
    }
    return 0;
  }

  // Sends `answer`, counted before it leaves so a client that has it never sees a stale count.
  bool Send(int fd, const std::string& answer) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t sent = 0; sent < answer.size();) {
      const ssize_t n = ::send(fd, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Answers every complete request in the connection's buffer, up to the first one held on the
  // timer queue; false when the peer must be dropped.
  bool Serve(int fd, Connection& connection) {
    std::string& buffer = connection.buffer;
    std::size_t consumed = 0;
    while (!connection.held) {
      const std::string_view rest = std::string_view(buffer).substr(consumed);
      const std::size_t head_end = rest.find("\r\n\r\n");
      if (head_end == std::string_view::npos) break;
      const std::string_view head = rest.substr(0, head_end);
      const std::size_t total = head_end + 4 + ContentLength(head);
      if (rest.size() < total) break;
      consumed += total;
      const std::string& answer = AnswerFor(head);
      const bool classify = &answer == &proxy_ || &answer == &openai_;
      if (classify && options_.latency_ms > 0) {
        if (options_.max_in_flight <= 0 ||
            held_.size() < static_cast<std::size_t>(options_.max_in_flight)) {
          held_.push_back({Clock::now() + std::chrono::milliseconds(options_.latency_ms), fd,
                           connection.serial, &answer});
          connection.held = true;
          continue;
        }
        rate_limited_.fetch_add(1, std::memory_order_relaxed);
        if (!Send(fd, rate_limited_answer_)) return false;
        continue;
      }
      if (!Send(fd, answer)) return false;
    }
    buffer.erase(0, consumed);
    return buffer.size() <= (1u << 20);
  }

  void Drop(int fd) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    connections_.erase(fd);
  }

  // Sends the held answers that are due; then the requests their connections had waiting.
  void AnswerDue() {
    const auto now = Clock::now();
    while (!held_.empty() && held_.front().due <= now) {
      const Held held = held_.front();
      held_.pop_front();
      const auto it = connections_.find(held.fd);
      if (it == connections_.end() || it->second.serial != held.serial) continue;
      it->second.held = false;
      if (!Send(held.fd, *held.answer) || !Serve(held.fd, it->second)) Drop(held.fd);
    }
  }

  // How long epoll may wait: until the first held answer is due, or for ever.
  int WaitMs() const {
    if (held_.empty()) return -1;
    const auto left = held_.front().due - Clock::now();
    if (left <= Clock::duration::zero()) return 0;
    return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
  }

  void Accept() {
    // Accepted sockets are blocking: reads happen only after epoll says there is data, and
    // the small answers always fit the socket buffer. The listening socket is level-triggered,
    // so one accept per wake-up loses nobody.
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    const int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connections_[client] = Connection{{}, ++serials_, false};
    Watch(client);
  }

  void Run() {
    epoll_event events[64];
    char chunk[16384];
    while (true) {
      const int ready = ::epoll_wait(epoll_fd_, events, 64, WaitMs());
      if (ready < 0 && errno == EINTR) continue;
      for (int i = 0; i < ready; ++i) {
        const int fd = events[i].data.fd;
        if (fd == stop_fd_) return;
        if (fd == listen_fd_) {
          Accept();
          continue;
        }
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        auto it = connections_.find(fd);
        if (n > 0 && it != connections_.end()) {
          it->second.buffer.append(chunk, static_cast<std::size_t>(n));
          if (Serve(fd, it->second)) continue;
        }
        Drop(fd);
      }
      AnswerDue();
    }
  }

  const FixedAnswerOptions options_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> rate_limited_{0};
  // Touched only by the server thread.
  std::map<int, Connection> connections_;
  std::deque<Held> held_;
  std::uint64_t serials_ = 0;
  const std::string proxy_ = Response("200 OK", kProxyAnswer);
  const std::string openai_ = Response("200 OK", kOpenAiAnswer);
  const std::string health_ = Response("200 OK", R"({"status":"ok"})");
  const std::string models_ = Response("200 OK", R"({"object":"list","data":[{"id":"bench"}]})");
  const std::string not_found_ = Response("404 Not Found", R"({"error":"not found"})");
  const std::string rate_limited_answer_ = Response(
      "429 Too Many Requests",
      R"({"error":{"type":"rate_limit_exceeded","message":"too many requests in flight"}})",
      "Retry-After: 1\r\n");
  std::thread thread_;
};

}  // namespace alertllm::bench
