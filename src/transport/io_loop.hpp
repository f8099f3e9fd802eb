// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace alertllm::internal {

/// One thread driving one libcurl multi handle (DESIGN.md §2): the transfers of every call of a
/// client, the timers its calls wait on and the tasks other threads post to it all run on that
/// thread. It waits in epoll_wait() for the sockets libcurl asks it to watch, libcurl's own
/// timer, the next timer here, or a Post(), and hands libcurl only the socket that is ready
/// (curl_multi_socket_action), so the cost of a turn does not grow with the transfers in
/// flight as curl_multi_perform()'s does.
///
/// Every callback (task, timer, transfer end) runs on the loop thread, never inside the member
/// function that registered or cancelled it. Callbacks must not throw; one that does is
/// stopped at the loop (the exception is dropped) so the loop keeps running.
///
/// Thread-safety: Post() and Run() may be called from any thread; every other member only from
/// the loop thread (that is, from a callback).
// Runs a loop callback, which must not throw; one that does is stopped here so the loop keeps
// running.
template <typename F>
void RunGuarded(F&& callback) noexcept {
  try {
    callback();
  } catch (...) {
    // Dropped on purpose: there is nobody to report it to.
  }
}

class IoLoop {
 public:
  using Task = std::function<void()>;
  using TimePoint = std::chrono::steady_clock::time_point;
  /// Names a timer for Cancel(); 0 never names one.
  using TimerId = std::uint64_t;
  /// Names a transfer for Abort(); 0 never names one.
  using TransferId = std::uint64_t;
  /// How a transfer ended: libcurl's result, or `aborted` (Abort() or the loop's destruction)
  /// with `code` CURLE_ABORTED_BY_CALLBACK. The easy handle has been removed from the multi
  /// handle when this runs, so it may be reset, reused or cleaned up.
  using TransferDone = std::function<void(CURLcode code, bool aborted)>;

  /// Starts the thread. Throws std::runtime_error if libcurl's multi handle cannot be made,
  /// std::system_error if the thread cannot start.
  IoLoop();
  /// Runs the tasks already posted, then stops the thread; timers still pending are dropped
  /// without running, transfers still running are removed and their `done` called with
  /// aborted = true (on the destroying thread, after the loop thread has stopped). Must not be
  /// called from the loop thread.
  ~IoLoop();

  IoLoop(const IoLoop&) = delete;
  IoLoop& operator=(const IoLoop&) = delete;

  /// Runs `task` on the loop thread; tasks run in posting order. Thread-safe.
  void Post(Task task);
  /// Posts `task` and waits until it has run. Not from the loop thread.
  void Run(Task task);
  /// Posts `task` and, if nobody drives the loop, drives it on the calling thread until
  /// `finished()` (checked between turns) or until nothing is left that could finish it; then
  /// hands what is left to the loop's own thread. A caller that waits for the answer of a call
  /// it posted so saves two thread hops a call. False if someone else drives (or the loop
  /// stops), or when it stopped before `finished()`: the caller then waits as after Post().
  bool PostAndDrive(Task task, const std::function<bool()>& finished);

  /// Runs `task` at `when` (std::chrono::steady_clock), unless Cancel()ed first; a time already
  /// past runs it on the next turn of the loop. Timers due at the same time run in the order
  /// they were set.
  TimerId At(TimePoint when, Task task);
  /// Drops timer `id` without running it; an id that ran or is unknown is ignored.
  void Cancel(TimerId id);

  /// Adds `easy`, fully configured, to the multi handle; `done` runs once when it ends.
  /// The easy handle must stay valid until then. On failure (curl_multi_add_handle's code)
  /// nothing is added, `done` is never called and 0 is returned through `id`.
  CURLMcode AddTransfer(CURL* easy, TransferDone done, TransferId& id);
  /// Ends transfer `id` now (the handle is removed, which closes its connection) and runs its
  /// `done` with aborted = true on a later turn; an id that ended or is unknown is ignored.
  void Abort(TransferId id);

  /// The multi handle (its connection cache is what keep-alive reuses).
  CURLM* multi() const { return multi_; }
  /// True on the thread driving the loop now: its own thread, or a caller in PostAndDrive().
  bool InLoopThread() const {
    return std::this_thread::get_id() == driver_.load(std::memory_order_acquire);
  }
  /// Transfers running now.
  std::size_t transfers() const { return transfers_.size(); }

 private:
  // Private members are the implementation's.
  void Loop();
  // `finished`: the driving caller's predicate (null on the loop's own thread).
  bool Turn(bool& stop, const std::function<bool()>* finished = nullptr);
  static bool Finished(const std::function<bool()>* finished);
  bool HasWork() const;
  void TakeWheel();     // under mutex_
  void ReleaseWheel();  // not under mutex_
  // One turn's steps, in the order Loop() takes them; each runs on the loop thread only.
  void RunTasks(std::vector<Task>& tasks);
  void RunDueTimers();
  void FinishDoneTransfers();
  void WaitAndAct(const std::function<bool()>* finished = nullptr);
  void Wake() noexcept;
  void Watch(curl_socket_t socket, std::uint32_t events);
  void CloseFds() noexcept;
  int PollTimeoutMs();
  // libcurl's CURLMOPT_SOCKETFUNCTION and CURLMOPT_TIMERFUNCTION.
  static int OnSocket(CURL* easy, curl_socket_t socket, int what, void* loop, void* assigned);
  static int OnCurlTimer(CURLM* multi, long timeout_ms, void* loop);
  CURLM* multi_ = nullptr;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: Post() from another thread writes, the loop reads
  std::optional<TimePoint> curl_due_;
  std::unordered_set<curl_socket_t> idle_sockets_;  // in the epoll set, unwatched by libcurl  // when libcurl wants curl_multi_socket_action(TIMEOUT)
  std::atomic<std::thread::id> driver_{};  // the thread driving now, if any
  std::mutex mutex_;
  std::condition_variable parked_;  // the loop's own thread rests on it
  std::vector<Task> posted_;  // guarded by mutex_
  bool stopping_ = false;     // guarded by mutex_
  bool driving_ = false;      // guarded by mutex_
  std::map<std::pair<TimePoint, TimerId>, Task> timers_;
  std::unordered_map<TimerId, TimePoint> timer_times_;
  TimerId next_timer_ = 0;
  struct Running {
    CURL* easy;
    TransferDone done;
  };
  std::unordered_map<TransferId, Running> transfers_;
  std::unordered_map<CURL*, TransferId> by_handle_;
  TransferId next_transfer_ = 0;
  std::thread thread_;
};

}  // namespace alertllm::internal
