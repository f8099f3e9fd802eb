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

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A client that sends half a request's head and goes away.
void GiveUpHalfWay(int port) {
  const int fd = Connect(port);
  if (fd < 0) return;
  const std::string half = "POST /alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le";
  (void)!send(fd, half.data(), half.size(), MSG_NOSIGNAL);
  close(fd);
}

// A request declaring a 1 GB body and sending none: the status of the answer, -1 for none.
int DeclareAGigabyte(int port) {
  const int fd = Connect(port);
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

}  // namespace
}  // namespace alertllm::webhook
