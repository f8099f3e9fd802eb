// SPDX-License-Identifier: Apache-2.0
// IoLoop's tasks and timers, and the libcurl transport's Start() on it against a real
// cpp-httplib server on 127.0.0.1, port chosen by the kernel.
#include "transport/io_loop.hpp"

#include <httplib.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "alertllm/curl_transport.hpp"
#include "alertllm/errors.hpp"
#include "alertllm/transport.hpp"
#include "support/local_http_server.hpp"
#include "support/wait_until.hpp"
#include "transport/loop_transport.hpp"

namespace alertllm {
namespace {

using internal::IoLoop;
using internal::LoopTransport;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Collects what callbacks on the loop thread report, for the test thread to wait on.
template <typename T>
class Inbox {
 public:
  void Put(T item) {
    const std::lock_guard lock(mutex_);
    items_.push_back(std::move(item));
    cv_.notify_all();
  }
  // The first `count` items, once there are that many; fails the test after `limit`.
  std::vector<T> Wait(std::size_t count, std::chrono::seconds limit = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    const bool arrived = cv_.wait_for(lock, limit, [&] { return items_.size() >= count; });
    EXPECT_TRUE(arrived) << "got " << items_.size() << " of " << count;
    return items_;
  }
  void Clear() {
    const std::lock_guard lock(mutex_);
    items_.clear();
  }
  std::size_t size() {
    const std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<T> items_;
};

TEST(IoLoopTest, PostedTasksRunInPostingOrderOnTheLoopThread) {
  IoLoop loop;
  std::vector<int> order;  // touched on the loop thread only
  bool all_on_loop = true;
  for (int i = 0; i < 100; ++i) {
    loop.Post([&, i] {
      order.push_back(i);
      all_on_loop = all_on_loop && loop.InLoopThread();
    });
  }
  std::vector<int> seen;
  loop.Run([&] { seen = order; });
  std::vector<int> expected(100);
  for (int i = 0; i < 100; ++i) expected[static_cast<std::size_t>(i)] = i;
  EXPECT_EQ(seen, expected);
  EXPECT_TRUE(all_on_loop);
  EXPECT_FALSE(loop.InLoopThread());
}

TEST(IoLoopTest, RunReturnsOnlyAfterTheTaskHasRun) {
  IoLoop loop;
  bool ran = false;
  const auto start = Clock::now();
  loop.Run([&] {
    std::this_thread::sleep_for(milliseconds(20));
    ran = true;
  });
  EXPECT_TRUE(ran);
  EXPECT_GE(Clock::now() - start, milliseconds(20));
}

TEST(IoLoopTest, ThrowingTaskDoesNotStopTheLoop) {
  IoLoop loop;
  loop.Post([] { throw std::runtime_error("dropped"); });
  bool ran = false;
  loop.Run([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(IoLoopTest, TimersFireInTimeOrderAndNeverEarly) {
  struct Fired {
    int label;
    Clock::time_point due;
    Clock::time_point at;
  };
  Inbox<Fired> fired;
  IoLoop loop;
  loop.Run([&] {
    const auto now = Clock::now();
    // Set out of order; 3 and 4 are due at the same time and must keep the order they were set.
    for (const auto& [label, offset] :
         std::vector<std::pair<int, int>>{{5, 20}, {1, 5}, {2, 10}, {3, 15}, {4, 15}}) {
      const auto due = now + milliseconds(offset);
      loop.At(due, [&fired, label = label, due] { fired.Put({label, due, Clock::now()}); });
    }
  });
  const auto all = fired.Wait(5);
  ASSERT_EQ(all.size(), 5U);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].label, static_cast<int>(i) + 1);
    EXPECT_GE(all[i].at, all[i].due) << "timer " << all[i].label << " fired early";
  }
}

TEST(IoLoopTest, TimerForAPastTimeRunsOnALaterTurnNotInsideAt) {
  Inbox<bool> fired;
  bool ran = false;  // touched on the loop thread only
  bool ran_inside_at = false;
  IoLoop loop;
  loop.Run([&] {
    loop.At(Clock::now() - std::chrono::seconds(1), [&fired, &ran] {
      ran = true;
      fired.Put(true);
    });
    ran_inside_at = ran;
  });
  EXPECT_EQ(fired.Wait(1).size(), 1U);
  EXPECT_FALSE(ran_inside_at);
}

TEST(IoLoopTest, CancelledTimerNeverRuns) {
  Inbox<int> fired;
  IoLoop::TimerId same_turn = 0;  // touched on the loop thread only
  IoLoop loop;
  loop.Run([&] {
    const auto now = Clock::now();
    const IoLoop::TimerId early = loop.At(now + milliseconds(5), [&] { fired.Put(1); });
    loop.At(now + milliseconds(30), [&] { fired.Put(3); });
    loop.Cancel(early);
    // Due in the same turn as the one that cancels it: it must still not run.
    loop.At(now + milliseconds(10), [&] {
      loop.Cancel(same_turn);
      fired.Put(2);
    });
    same_turn = loop.At(now + milliseconds(10), [&] { fired.Put(99); });
  });
  const auto all = fired.Wait(2);
  // The 30 ms timer ran last, after anything the cancelled ones could have done.
  EXPECT_EQ(all, (std::vector<int>{2, 3}));
}

// A server with one slow route whose requests the test can hold and release, and a fast one.
class LoopServer {
 public:
  explicit LoopServer(milliseconds slow_for = milliseconds(200)) {
    // Enough threads for every request of the concurrency test to be inside the handler at once.
    server_.server().new_task_queue = [] { return new httplib::ThreadPool(256); };
    // Connections opened early in a slow burst of connects must still be open at its end.
    server_.server().set_keep_alive_timeout(60);
    server_.server().Get("/hello", [this](const httplib::Request& req, httplib::Response& res) {
      RecordPort(req.remote_port);
      res.set_content("hello from the server", "text/plain");
    });
    server_.server().Get("/slow",
                         [this, slow_for](const httplib::Request&, httplib::Response& res) {
                           const int now = ++in_handler_;
                           int seen = max_in_handler_.load();
                           while (now > seen && !max_in_handler_.compare_exchange_weak(seen, now)) {
                           }
                           std::this_thread::sleep_for(slow_for);
                           --in_handler_;
                           res.set_content("slow", "text/plain");
                         });
    server_.server().Get("/held", [this](const httplib::Request&, httplib::Response& res) {
      ++held_;
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::seconds(5), [this] { return released_; });
      res.set_content("held", "text/plain");
    });
  }
  ~LoopServer() {
    Release();
    server_.Stop();
  }

  [[nodiscard]] bool Start() { return server_.Start(); }
  std::string url(const std::string& path) const { return server_.url() + path; }
  void Release() {
    const std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }
  int held() const { return held_.load(); }
  int max_in_handler() const { return max_in_handler_.load(); }
  std::vector<int> ports() {
    const std::lock_guard lock(mutex_);
    return ports_;
  }

 private:
  void RecordPort(int port) {
    const std::lock_guard lock(mutex_);
    ports_.push_back(port);
  }

  test::LocalHttpServer server_;
  std::atomic<int> in_handler_{0};
  std::atomic<int> max_in_handler_{0};
  std::atomic<int> held_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool released_ = false;   // guarded by mutex_
  std::vector<int> ports_;  // guarded by mutex_
};

HttpRequest Get(const std::string& url) {
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.timeout = std::chrono::seconds(20);
  return request;
}

class IoLoopTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    loop_transport_ = dynamic_cast<LoopTransport*>(transport_.get());
    ASSERT_NE(loop_transport_, nullptr) << "MakeCurlTransport() is not a LoopTransport";
  }

  // Starts `request` from the loop thread; its result lands in `results`.
  IoLoop::TransferId StartOnLoop(IoLoop& loop, const HttpRequest& request,
                                 Inbox<Result<HttpResponse>>& results) {
    IoLoop::TransferId id = 0;
    loop.Run([&] {
      id = loop_transport_->Start(
          loop, request, [&results](Result<HttpResponse> r) { results.Put(std::move(r)); });
    });
    return id;
  }

  LoopServer server_;
  std::unique_ptr<Transport> transport_ = MakeCurlTransport();
  LoopTransport* loop_transport_ = nullptr;
};

TEST_F(IoLoopTransportTest, StartGetsTheServersResponse) {
  const HttpRequest request = Get(server_.url("/hello"));
  Inbox<Result<HttpResponse>> results;
  IoLoop loop;
  EXPECT_NE(StartOnLoop(loop, request, results), 0U);
  const auto all = results.Wait(1);
  ASSERT_EQ(all.size(), 1U);
  ASSERT_TRUE(all[0].has_value()) << all[0].error().message;
  EXPECT_EQ(all[0]->status, 200);
  EXPECT_EQ(all[0]->body, "hello from the server");
}

TEST_F(IoLoopTransportTest, TwoHundredSlowRequestsRunAtOnceOnOneThread) {
  constexpr std::size_t kRequests = 200;
  const HttpRequest warm_up = Get(server_.url("/hello"));
  const HttpRequest request = Get(server_.url("/slow"));
  Inbox<Result<HttpResponse>> results;
  std::atomic<int> done_off_loop{0};
  IoLoop loop;
  const auto start_all = [&](const HttpRequest& each) {
    loop.Run([&] {
      for (std::size_t i = 0; i < kRequests; ++i) {
        const auto id = loop_transport_->Start(loop, each, [&](Result<HttpResponse> r) {
          if (!loop.InLoopThread()) ++done_off_loop;
          results.Put(std::move(r));
        });
        EXPECT_NE(id, 0U);
      }
    });
  };
  // The server's listen backlog is 5: of 200 simultaneous connects some are dropped and retried
  // by the kernel 1, 3, 7 … s later. The connections are opened first, untimed, so the timed
  // batch measures the loop, reusing them, and not the server's accept queue.
  start_all(warm_up);
  ASSERT_EQ(results.Wait(kRequests, std::chrono::seconds(60)).size(), kRequests);
  results.Clear();

  const auto start = Clock::now();
  start_all(request);
  const auto all = results.Wait(kRequests);
  const auto took = Clock::now() - start;
  ASSERT_EQ(all.size(), kRequests);
  for (const auto& result : all) {
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->status, 200);
  }
  EXPECT_EQ(done_off_loop.load(), 0);
  // One at a time would take 200 × 200 ms = 40 s.
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_GT(server_.max_in_handler(), 50);
}

TEST_F(IoLoopTransportTest, AbortEndsARunningTransferWithCancelledPromptly) {
  const HttpRequest request = Get(server_.url("/held"));
  Inbox<Result<HttpResponse>> results;
  IoLoop loop;
  const IoLoop::TransferId id = StartOnLoop(loop, request, results);
  ASSERT_NE(id, 0U);
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return server_.held() == 1; }));
  const auto aborted_at = Clock::now();
  loop.Post([&loop, id] { loop.Abort(id); });
  const auto all = results.Wait(1);
  // The server holds the response for 5 s; a cancel that waited for it would take that long.
  EXPECT_LT(Clock::now() - aborted_at, std::chrono::seconds(2));
  ASSERT_EQ(all.size(), 1U);
  ASSERT_FALSE(all[0].has_value());
  EXPECT_EQ(all[0].error().code, ErrorCode::kCancelled);
  std::size_t running = 1;
  loop.Run([&] { running = loop.transfers(); });
  EXPECT_EQ(running, 0U);
}

TEST_F(IoLoopTransportTest, DestroyingTheLoopCancelsARunningTransfer) {
  const HttpRequest request = Get(server_.url("/held"));
  Inbox<Result<HttpResponse>> results;
  std::thread::id done_thread;
  auto loop = std::make_unique<IoLoop>();
  loop->Run([&] {
    loop_transport_->Start(*loop, request, [&](Result<HttpResponse> r) {
      done_thread = std::this_thread::get_id();
      results.Put(std::move(r));
    });
  });
  ASSERT_NO_FATAL_FAILURE(test::WaitUntil([&] { return server_.held() == 1; }));
  loop.reset();
  // Called inside the destructor, so it is there already.
  ASSERT_EQ(results.size(), 1U);
  const auto all = results.Wait(1);
  ASSERT_FALSE(all[0].has_value());
  EXPECT_EQ(all[0].error().code, ErrorCode::kCancelled);
  EXPECT_EQ(done_thread, std::this_thread::get_id());
}

TEST_F(IoLoopTransportTest, InvalidUrlIsReportedThroughALaterDone) {
  const HttpRequest request = Get("not a url at all");
  Inbox<Result<HttpResponse>> results;
  IoLoop loop;
  IoLoop::TransferId id = 99;
  std::size_t inside_start = 99;
  loop.Run([&] {
    id = loop_transport_->Start(loop, request,
                                [&](Result<HttpResponse> r) { results.Put(std::move(r)); });
    inside_start = results.size();
  });
  EXPECT_EQ(id, 0U);
  EXPECT_EQ(inside_start, 0U) << "done ran inside Start()";
  const auto all = results.Wait(1);
  ASSERT_EQ(all.size(), 1U);
  ASSERT_FALSE(all[0].has_value());
  EXPECT_EQ(all[0].error().code, ErrorCode::kInvalidRequest);
}

TEST_F(IoLoopTransportTest, SequentialRequestsReuseOneConnection) {
  const HttpRequest request = Get(server_.url("/hello"));
  Inbox<Result<HttpResponse>> results;
  IoLoop loop;
  for (std::size_t i = 1; i <= 2; ++i) {
    ASSERT_NE(StartOnLoop(loop, request, results), 0U);
    const auto all = results.Wait(i);
    ASSERT_EQ(all.size(), i);
    ASSERT_TRUE(all.back().has_value()) << all.back().error().message;
  }
  const std::vector<int> ports = server_.ports();
  ASSERT_EQ(ports.size(), 2U);
  EXPECT_EQ(ports[0], ports[1]) << "the second request opened a new connection";
}

}  // namespace
}  // namespace alertllm
