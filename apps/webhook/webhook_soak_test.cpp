// SPDX-License-Identifier: Apache-2.0
// The soak of issue 12: 20,000 mixed requests against the service in-process — notifications,
// probes, scrapes, bad bodies, unknown paths, compressed bodies, oversized declarations and
// clients that give up half-way — from 8 threads, then the process's resident memory and open
// file descriptors before and after. Labelled `soak` (ctest -L soak); prints its figures.
#include <httplib.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/wait_until.hpp"
#include "webhook_test_fixture.hpp"

namespace alertllm::webhook {
namespace {

using fixture::Names;
using fixture::NotificationBody;
using fixture::WebhookServiceTest;

constexpr int kThreads = 8;
constexpr int kRequests = 20000;

// A field of /proc/self/status in KiB ("VmRSS", "VmHWM").
long StatusKib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

int OpenFds() {
  int count = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr) ++count;
    closedir(dir);
  }
  return count - 3;  // ".", ".." and the directory's own descriptor
}


// A client that sends half a request's head and goes away.
void GiveUpHalfWay(int port) {
  const int fd = fixture::ConnectTo(port);
  if (fd < 0) return;
  const std::string half = "POST /alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le";
  (void)!send(fd, half.data(), half.size(), MSG_NOSIGNAL);
  close(fd);
}

// A request declaring a 1 GB body and sending none: the status of the answer, -1 for none.
int DeclareAGigabyte(int port) {
  const int fd = fixture::ConnectTo(port);
  if (fd < 0) return -1;
  const std::string head =
      "POST /alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000\r\n\r\n";
  (void)!send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  char answer[64] = {};
  const ssize_t got = recv(fd, answer, sizeof answer - 1, 0);
  close(fd);
  int status = -1;
  if (got > 12) std::sscanf(answer, "HTTP/1.1 %d", &status);
  return status;
}

// One request of kind `n % 20`; the status it got (0: none expected, -1: no answer).
int OneRequest(httplib::Client& http, int port, int n) {
  static const std::string kBad = "{not json";
  const int kind = n % 20;
  const auto status = [](const httplib::Result& res) { return res ? res->status : -1; };
  if (kind < 8) {
    return status(http.Post("/alerts",
                            NotificationBody(Names("Soak" + std::to_string(n % 50) + "-", 2)),
                            "application/json"));
  }
  if (kind < 11) return status(http.Get("/healthz"));
  if (kind < 13) return status(http.Get("/metrics"));
  if (kind < 15) return status(http.Post("/alerts", kBad, "application/json"));
  if (kind == 15) return status(http.Get("/nope"));
  if (kind == 16) {
    return status(
        http.Post("/alerts", {{"Content-Encoding", "gzip"}}, "\x1f\x8b", "application/json"));
  }
  if (kind == 17) return DeclareAGigabyte(port);
  GiveUpHalfWay(port);
  return 0;
}

TEST_F(WebhookServiceTest, TwentyThousandMixedRequestsLeaveMemoryAndDescriptorsFlat) {
  StartService();
  // Warm-up: the first notification builds the client's connections, caches and threads.
  ASSERT_EQ(Post(NotificationBody(Names("Warm", 2)))->status, 200);
  const long rss_before = StatusKib("VmRSS");
  const int fds_before = OpenFds();
  const auto begin = std::chrono::steady_clock::now();

  std::mutex mutex;
  std::map<int, int> by_status;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client http("127.0.0.1", service_->port());
      http.set_read_timeout(30, 0);
      http.set_keep_alive(true);  // 20,000 connections would run out of ports in TIME_WAIT
      http.set_tcp_nodelay(true);  // as Alertmanager's Go client: no 40 ms Nagle stalls
      std::map<int, int> mine;
      for (int n = t; n < kRequests; n += kThreads) ++mine[OneRequest(http, service_->port(), n)];
      std::lock_guard lock(mutex);
      for (const auto& [status, count] : mine) by_status[status] += count;
    });
  }
  for (auto& thread : threads) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  // The server closes what the clients left (the half-way ones) as their reads fail.
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return OpenFds() <= fds_before + 2; }));
  const long rss_after = StatusKib("VmRSS");
  const int fds_after = OpenFds();

  std::printf("soak: %d requests in %.1f s;", kRequests, seconds);
  for (const auto& [status, count] : by_status) std::printf(" %d:%d", status, count);
  std::printf("\nsoak: RSS %ld KiB before, %ld KiB after (peak %ld KiB); fds %d before, %d after\n",
              rss_before, rss_after, StatusKib("VmHWM"), fds_before, fds_after);
  EXPECT_EQ(by_status[-1], 0) << "requests that got no answer";
  EXPECT_EQ(by_status[200], kRequests / 20 * 13);
  EXPECT_EQ(by_status[400], kRequests / 20 * 2);
  EXPECT_EQ(by_status[404], kRequests / 20);
  EXPECT_EQ(by_status[413], kRequests / 20);
  EXPECT_EQ(by_status[415], kRequests / 20);
  EXPECT_LE(fds_after, fds_before + 2);
  EXPECT_LT(rss_after - rss_before, 64 * 1024) << "KiB grown";
}

// The latencies of `count` GET /healthz, each on a new connection as a kubelet probe makes it.
struct Latency {
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  int failed = 0;
};

Latency ProbeHealthz(int port, int count) {
  std::vector<double> ms;
  Latency latency;
  for (int i = 0; i < count; ++i) {
    httplib::Client probe("127.0.0.1", port);
    probe.set_tcp_nodelay(true);
    probe.set_read_timeout(5, 0);
    const auto begin = std::chrono::steady_clock::now();
    auto res = probe.Get("/healthz");
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin)
            .count());
    if (!res || res->status != 200) ++latency.failed;
  }
  std::sort(ms.begin(), ms.end());
  latency.p50_ms = ms[ms.size() / 2];
  latency.p99_ms = ms[ms.size() * 99 / 100];
  latency.max_ms = ms.back();
  return latency;
}

void Print(const char* what, const Latency& l) {
  std::printf("figures: /healthz %s: p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d failed\n", what,
              l.p50_ms, l.p99_ms, l.max_ms, l.failed);
}

// The figures of the closing note, printed (ctest -L soak -V, or run the binary of the
// release build): /healthz while 200 slowloris clients drip their heads and while 50
// notifications wait on a 2 s LLM, and the peak memory across four compressed bodies.
TEST_F(WebhookServiceTest, HostileFigures) {
  StartService();
  const int port = service_->port();
  Print("idle", ProbeHealthz(port, 200));

  // 200 clients each sending one byte of a request head every 100 ms.
  std::vector<int> drips;
  for (int i = 0; i < 200; ++i) drips.push_back(fixture::ConnectTo(port));
  std::atomic<bool> dripping{true};
  std::thread dripper([&] {
    const std::string head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    for (std::size_t at = 0; dripping.load(); ++at) {
      const char byte = at < head.size() ? head[at] : 'a';
      for (int fd : drips) (void)!send(fd, &byte, 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  const Latency slowloris = ProbeHealthz(port, 200);
  dripping.store(false);
  dripper.join();
  for (int fd : drips) close(fd);
  Print("with 200 slowloris clients", slowloris);
  EXPECT_EQ(slowloris.failed, 0);

  llm_.set_delay(std::chrono::milliseconds(2000));
  std::vector<std::thread> waiting;
  for (int i = 0; i < 50; ++i) {
    waiting.emplace_back([port, i] {
      httplib::Client http("127.0.0.1", port);
      http.set_read_timeout(30, 0);
      http.Post("/alerts", NotificationBody(Names("Slow" + std::to_string(i) + "-", 2)),
                "application/json");
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const Latency slow_llm = ProbeHealthz(port, 100);
  Print("with 50 notifications waiting on a 2 s LLM", slow_llm);
  EXPECT_EQ(slow_llm.failed, 0);
  for (auto& thread : waiting) thread.join();

  // Four 500 KB bodies declared gzip at once: refused from the head, never inflated.
  const long peak_before = StatusKib("VmHWM");
  std::vector<std::thread> bombs;
  for (int i = 0; i < 4; ++i) {
    bombs.emplace_back([port] {
      httplib::Client http("127.0.0.1", port);
      std::string body(500 * 1024, '\0');
      body[0] = '\x1f';
      body[1] = '\x8b';
      http.Post("/alerts", {{"Content-Encoding", "gzip"}}, body, "application/json");
    });
  }
  for (auto& thread : bombs) thread.join();
  std::printf("figures: peak RSS %ld KiB before four gzip bodies, %ld KiB after\n", peak_before,
              StatusKib("VmHWM"));
}

}  // namespace
}  // namespace alertllm::webhook
