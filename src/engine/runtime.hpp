// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <unordered_map>

#include "alertllm/client.hpp"
#include "alertllm/transport.hpp"
#include "engine/executor.hpp"
#include "transport/io_loop.hpp"
#include "transport/loop_transport.hpp"

namespace alertllm::internal {

/// Where a client's calls run (DESIGN.md §2): one IoLoop, whose thread moves every call from
/// stage to stage, sends its requests and times its waits. A libcurl transport
/// (LoopTransport) sends on the loop itself, as many requests at a time as the limiter lets
/// through, with no thread per request; any other Transport's blocking Send() runs on a worker
/// thread (at most `max_threads`) and its answer comes back to the loop.
///
/// Waits come in two kinds. A wait the call decides on (a backoff, a Retry-After pause) passes
/// on the client's clock: with the real clock it is a loop timer; with another clock (a test's
/// fake) it is that clock's SleepFor() on a worker thread, so a fake clock passes it at once.
/// A bound on waiting for others (the deadline in the queue or behind a shared request) is a
/// loop timer in real time whatever the clock, so a clock that stands still cannot make it
/// endless and a fake one is not moved by it.
///
/// Thread-safety: Post() from any thread; everything else on the loop thread only. Every
/// callback runs on the loop thread, never inside the member that registered it; one that was
/// cancelled (CancelWait, Abort) never runs.
class Runtime {
 public:
  using Task = std::function<void()>;
  using Done = std::function<void(Result<HttpResponse>)>;
  using Id = std::uint64_t;

  /// `real_clock`: `clock` is the system clock (MakeSystemClientClock()).
  Runtime(std::shared_ptr<Transport> transport, std::shared_ptr<ClientClock> clock,
          bool real_clock, std::size_t max_threads);
  /// Stops the workers (a blocking Send() in progress is asked to stop), then the loop.
  ~Runtime();

  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  void Post(Task task) { loop_.Post(std::move(task)); }
  /// Posts `task` and waits for it to have run; not from the loop thread.
  void Run(Task task) { loop_.Run(std::move(task)); }
  /// IoLoop::PostAndDrive(): the caller drives the loop until `finished()` if nobody does.
  bool PostAndDrive(Task task, const std::function<bool()>& finished) {
    return loop_.PostAndDrive(std::move(task), finished);
  }
  bool InLoopThread() const { return loop_.InLoopThread(); }

  /// Sends `request` (valid until `done` runs); `done` runs once unless Abort()ed.
  Id Send(const HttpRequest& request, Done done);
  /// Ends send `id`: `done` never runs; a transfer is closed at once, a blocking Send() is
  /// asked to stop.
  void Abort(Id id);

  /// Runs `task` once `delay` has passed on the client's clock (see above).
  Id Sleep(std::chrono::nanoseconds delay, Task task);
  /// Runs `task` once `delay` has passed in real time.
  Id Timeout(std::chrono::nanoseconds delay, Task task);
  /// `task` of Sleep() or Timeout() `id` never runs.
  void CancelWait(Id id);

 private:
  struct Pending {
    IoLoop::TimerId timer = 0;           // a loop timer, or
    IoLoop::TransferId transfer = 0;     // a transfer, or
    std::shared_ptr<std::stop_source> stop;  // a worker's task
  };
  Id Track(Pending pending);
  // Runs `work` on a worker; its result's continuation runs on the loop if `id` is still live.
  void OnWorker(Id id, std::function<Task(std::stop_token)> work);
  bool Untrack(Id id) { return pending_.erase(id) > 0; }

  const std::shared_ptr<Transport> transport_;
  LoopTransport* const on_loop_;  // transport_ when it sends on the loop, else null
  const std::shared_ptr<ClientClock> clock_;
  const bool real_clock_;
  Id next_id_ = 0;
  std::unordered_map<Id, Pending> pending_;  // loop thread only
  // Declared after everything the loop's and the workers' tasks use, so destroyed first.
  IoLoop loop_;
  Executor workers_;
};

}  // namespace alertllm::internal
