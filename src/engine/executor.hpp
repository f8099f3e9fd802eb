// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

namespace alertllm::internal {

/// The worker threads of a client's Runtime, for what cannot run on its loop: a blocking
/// Transport's Send() and a custom clock's SleepFor(). Tasks run in submission order on at
/// most `max_threads` threads, started as the queue needs them and kept until destruction.
/// Each task gets the executor's stop token, requested when the executor is destroyed; the
/// destructor then runs every task still queued (with that token requested, so each ends at
/// once) and joins the threads. No task is dropped.
///
/// Thread-safe: Submit() may be called concurrently; not from a task during destruction.
class Executor {
 public:
  using Task = std::function<void(std::stop_token)>;

  explicit Executor(std::size_t max_threads);
  ~Executor();

  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Queues `task`. Throws what starting a thread throws (std::system_error); the task is then
  /// not queued.
  void Submit(Task task);

 private:
  void Work(std::stop_token stop);

  const std::size_t max_threads_;
  std::stop_source shutdown_;
  std::mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<Task> tasks_;             // guarded by mutex_
  std::size_t idle_ = 0;               // guarded by mutex_
  std::vector<std::jthread> threads_;  // guarded by mutex_
};

}  // namespace alertllm::internal
