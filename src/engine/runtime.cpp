// SPDX-License-Identifier: Apache-2.0
#include "engine/runtime.hpp"

#include <utility>

namespace alertllm::internal {

Runtime::Runtime(std::shared_ptr<Transport> transport, std::shared_ptr<ClientClock> clock,
                 bool real_clock, std::size_t max_threads)
    : transport_(std::move(transport)),
      on_loop_(dynamic_cast<LoopTransport*>(transport_.get())),
      clock_(std::move(clock)),
      real_clock_(real_clock),
      workers_(max_threads) {}

Runtime::~Runtime() = default;

Runtime::Id Runtime::Track(Pending pending) {
  const Id id = ++next_id_;
  pending_.emplace(id, std::move(pending));
  return id;
}

Runtime::Id Runtime::Send(const HttpRequest& request, Done done) {
  if (on_loop_ != nullptr) {
    const Id id = Track({});
    const IoLoop::TransferId transfer =
        on_loop_->Start(loop_, request, [this, id, done = std::move(done)](
                                            Result<HttpResponse> sent) mutable {
          if (Untrack(id)) done(std::move(sent));
        });
    pending_[id].transfer = transfer;
    return id;
  }
  const Id id = Track({});
  OnWorker(id, [this, &request, done = std::move(done)](std::stop_token stop) mutable -> Task {
    auto sent = std::make_shared<Result<HttpResponse>>(transport_->Send(request, stop));
    return [sent, done = std::move(done)]() mutable { done(std::move(*sent)); };
  });
  return id;
}

void Runtime::Abort(Id id) {
  const auto found = pending_.find(id);
  if (found == pending_.end()) return;
  const Pending pending = std::move(found->second);
  pending_.erase(found);
  if (pending.transfer != 0) loop_.Abort(pending.transfer);
  if (pending.stop) pending.stop->request_stop();
}

Runtime::Id Runtime::Sleep(std::chrono::nanoseconds delay, Task task) {
  if (real_clock_) return Timeout(delay, std::move(task));
  const Id id = Track({});
  OnWorker(id, [this, delay, task = std::move(task)](std::stop_token stop) mutable -> Task {
    (void)clock_->SleepFor(delay, stop);  // a cancelled sleep's task is dropped by OnWorker
    return std::move(task);
  });
  return id;
}

Runtime::Id Runtime::Timeout(std::chrono::nanoseconds delay, Task task) {
  const Id id = Track({});
  const auto when = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay);
  pending_[id].timer = loop_.At(when, [this, id, task = std::move(task)] {
    if (Untrack(id)) task();
  });
  return id;
}

void Runtime::CancelWait(Id id) {
  const auto found = pending_.find(id);
  if (found == pending_.end()) return;
  if (found->second.timer != 0) loop_.Cancel(found->second.timer);
  if (found->second.stop) found->second.stop->request_stop();
  pending_.erase(found);
}

// The worker's stop is requested by Abort()/CancelWait() or by the workers' shutdown; what
// `work` returns runs back on the loop, unless `id` was given up meanwhile.
void Runtime::OnWorker(Id id, std::function<Task(std::stop_token)> work) {
  auto stop = std::make_shared<std::stop_source>();
  pending_[id].stop = stop;
  workers_.Submit([this, id, stop, work = std::move(work)](std::stop_token shutdown) mutable {
    const std::stop_callback by_shutdown(shutdown, [&stop] { stop->request_stop(); });
    Task next = work(stop->get_token());
    loop_.Post([this, id, next = std::move(next)]() mutable {
      if (Untrack(id)) next();
    });
  });
}

}  // namespace alertllm::internal
