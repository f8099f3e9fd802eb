// SPDX-License-Identifier: Apache-2.0
#include "transport/io_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>

#include "transport/curl_easy.hpp"

namespace alertllm::internal {

namespace {

// Keep-alive connections the multi handle keeps between transfers. libcurl's default grows
// with the handles added, but shrinks again as they are removed; a client with many calls in
// flight would otherwise close most of its connections after each burst.
constexpr long kMaxCachedConnections = 1024;

}  // namespace

IoLoop::IoLoop() {
  if (const CURLcode init = EnsureCurlGlobalInit(); init != CURLE_OK) {
    throw std::runtime_error(std::string("curl_global_init failed: ") + curl_easy_strerror(init));
  }
  multi_ = curl_multi_init();
  if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, kMaxCachedConnections);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &IoLoop::OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &IoLoop::OnCurlTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = wake_fd_;
  if (epoll_fd_ < 0 || wake_fd_ < 0 || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0) {
    CloseFds();
    curl_multi_cleanup(multi_);
    throw std::system_error(errno, std::generic_category(), "epoll/eventfd");
  }
  try {
    thread_ = std::thread(&IoLoop::Loop, this);
  } catch (...) {
    CloseFds();
    curl_multi_cleanup(multi_);
    throw;
  }
}

void IoLoop::CloseFds() noexcept {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  epoll_fd_ = wake_fd_ = -1;
}

void IoLoop::Wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof one);
}

IoLoop::~IoLoop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  parked_.notify_one();
  Wake();
  thread_.join();

  // The loop thread is gone: what it left is this thread's now.
  auto running = std::move(transfers_);
  transfers_.clear();
  by_handle_.clear();
  for (auto& [id, transfer] : running) {
    curl_multi_remove_handle(multi_, transfer.easy);
    RunGuarded([&transfer] { transfer.done(CURLE_ABORTED_BY_CALLBACK, true); });
  }
  running.clear();
  timers_.clear();
  timer_times_.clear();
  curl_multi_cleanup(multi_);  // may still tell OnSocket to forget sockets: before the fds go
  CloseFds();
}

void IoLoop::Post(Task task) {
  bool driven = false;
  {
    const std::lock_guard lock(mutex_);
    posted_.push_back(std::move(task));
    driven = driving_;
  }
  // The driver polls with a zero timeout while tasks wait: a task it posts itself needs no
  // wakeup, one from elsewhere needs the eventfd (it may be in epoll_wait), and with nobody
  // driving the loop's own thread is woken from its rest.
  if (!driven) {
    parked_.notify_one();
  } else if (!InLoopThread()) {
    Wake();
  }
}

bool IoLoop::PostAndDrive(Task task, const std::function<bool()>& finished) {
  {
    const std::lock_guard lock(mutex_);
    posted_.push_back(std::move(task));
    if (driving_ || stopping_) {
      // Someone drives already: it runs the task; wake it if it waits in epoll_wait.
      if (driving_) Wake();
      return false;
    }
    TakeWheel();
  }
  while (!finished()) {
    bool stop = false;
    // Nothing left that could finish it here (a worker will post it): the caller waits.
    if (!Turn(stop, &finished)) break;
  }
  ReleaseWheel();
  return finished();
}

void IoLoop::TakeWheel() {
  driving_ = true;
  driver_.store(std::this_thread::get_id(), std::memory_order_release);
}

void IoLoop::ReleaseWheel() {
  bool work = false;
  {
    const std::lock_guard lock(mutex_);
    driver_.store(std::thread::id(), std::memory_order_release);
    driving_ = false;
    work = stopping_ || !posted_.empty() || HasWork();
  }
  // What is left (other calls' transfers, timers) goes on on the loop's own thread.
  if (work) parked_.notify_one();
}

void IoLoop::Run(Task task) {
  struct Ran {
    std::mutex mutex;
    std::condition_variable cv;
    bool ran = false;
  } ran;
  Post([&ran, &task] {
    RunGuarded(task);
    // Notified under the lock: once Run() sees `ran` it returns and `ran` is gone.
    const std::lock_guard lock(ran.mutex);
    ran.ran = true;
    ran.cv.notify_one();
  });
  std::unique_lock lock(ran.mutex);
  ran.cv.wait(lock, [&ran] { return ran.ran; });
}

IoLoop::TimerId IoLoop::At(TimePoint when, Task task) {
  const TimerId id = ++next_timer_;
  timers_.emplace(std::make_pair(when, id), std::move(task));
  try {
    timer_times_.emplace(id, when);
  } catch (...) {
    timers_.erase({when, id});
    throw;
  }
  return id;
}

void IoLoop::Cancel(TimerId id) {
  const auto found = timer_times_.find(id);
  if (found == timer_times_.end()) return;
  timers_.erase({found->second, id});
  timer_times_.erase(found);
}

// The loop's own thread rests while nobody needs it, drives while there is work and no caller
// drives, and drains what is posted when the loop stops.
void IoLoop::Loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      parked_.wait(lock, [this] {
        return !driving_ && (stopping_ || !posted_.empty() || HasWork());
      });
      TakeWheel();
    }
    bool stop = false;
    while (Turn(stop)) {
    }
    if (stop) return;
    ReleaseWheel();
  }
}

// One turn of whoever drives: posted tasks, due timers, then a wait for sockets. False when
// there is nothing left to wait for (or the loop stops: then `stop`, after the posted tasks,
// and those they posted, have run: each was promised to run once).
bool IoLoop::Turn(bool& stop, const std::function<bool()>* finished) {
  std::vector<Task> tasks;
  {
    const std::lock_guard lock(mutex_);
    tasks.swap(posted_);
    stop = stopping_;
  }
  RunTasks(tasks);
  if (stop) {
    for (;;) {
      {
        const std::lock_guard lock(mutex_);
        tasks.swap(posted_);
      }
      if (tasks.empty()) return false;
      RunTasks(tasks);
    }
  }
  RunDueTimers();
  if (Finished(finished)) return true;  // the driving caller's answer is in: no wait
  {
    const std::lock_guard lock(mutex_);
    if (posted_.empty() && !HasWork()) return false;
  }
  WaitAndAct(finished);
  return true;
}

bool IoLoop::Finished(const std::function<bool()>* finished) {
  return finished != nullptr && (*finished)();
}

// Transfers running or timers set. A libcurl timer with no transfer (connection upkeep) waits
// for the next transfer rather than keeping a thread awake.
bool IoLoop::HasWork() const { return !transfers_.empty() || !timers_.empty(); }

void IoLoop::RunTasks(std::vector<Task>& tasks) {
  for (Task& task : tasks) RunGuarded(task);
  tasks.clear();
}

void IoLoop::RunDueTimers() {
  if (timers_.empty()) return;
  const TimePoint now = std::chrono::steady_clock::now();
  // Taken out first, so that a timer set by one of them for a time already past waits for the
  // next turn instead of running in this one, which could keep the loop here forever.
  std::vector<std::pair<TimerId, Task>> due;
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    auto entry = timers_.extract(timers_.begin());
    due.emplace_back(entry.key().second, std::move(entry.mapped()));
  }
  for (auto& [id, task] : due) {
    // An earlier timer of this turn may have cancelled this one.
    if (timer_times_.erase(id) == 0) continue;
    RunGuarded(task);
  }
}


}  // namespace alertllm::internal
