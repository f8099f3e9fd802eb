// SPDX-License-Identifier: Apache-2.0
#include "engine/executor.hpp"

#include <utility>

namespace alertllm::internal {

Executor::Executor(std::size_t max_threads) : max_threads_(max_threads < 1 ? 1 : max_threads) {}

Executor::~Executor() {
  shutdown_.request_stop();
  std::vector<std::jthread> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(threads_);
  }
  ready_.notify_all();
  threads.clear();  // joins: the workers drain the queue before they leave
  // A task queued after the last worker left (none can be: Submit is not called during
  // destruction) would be run here; run any left anyway, so none is dropped.
  while (!tasks_.empty()) {
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    task(shutdown_.get_token());
  }
}

void Executor::Submit(Task task) {
  std::lock_guard lock(mutex_);
  if (idle_ == 0 && threads_.size() < max_threads_) {
    threads_.emplace_back([this] { Work(shutdown_.get_token()); });
  }
  tasks_.push_back(std::move(task));
  ready_.notify_one();
}

void Executor::Work(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    // Wakes for a task, or for the shutdown; after the shutdown the queue is drained first.
    ready_.wait(lock, [&] { return !tasks_.empty() || stop.stop_requested(); });
    --idle_;
    if (tasks_.empty()) return;
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task(stop);
    lock.lock();
  }
}

}  // namespace alertllm::internal
