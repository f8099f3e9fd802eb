// SPDX-License-Identifier: Apache-2.0
#include "notification_run.hpp"

#include <exception>
#include <utility>

#include "alertllm/errors.hpp"

namespace alertllm::webhook {

namespace {

Error NotStarted() {
  return Error{ErrorCode::kCancelled,
               "call cancelled: the notification was abandoned before this alert was asked"};
}

}  // namespace

NotificationRun::NotificationRun(std::shared_ptr<LlmClient> client,
                                 std::shared_ptr<const std::vector<Alert>> alerts,
                                 std::size_t window, std::stop_token stop, Done done)
    : client_(std::move(client)),
      alerts_(std::move(alerts)),
      window_(window < 1 ? 1 : window),
      call_{std::nullopt, std::move(stop)},
      done_(std::move(done)),
      results_(alerts_->size(), Error{ErrorCode::kUnknown, "the run ended before this alert"}) {}

void NotificationRun::Start(std::shared_ptr<LlmClient> client,
                            std::shared_ptr<const std::vector<Alert>> alerts, std::size_t window,
                            std::stop_token stop, Done done) {
  if (alerts->empty()) {
    done({});
    return;
  }
  auto run = std::make_shared<NotificationRun>(std::move(client), std::move(alerts), window,
                                               std::move(stop), std::move(done));
  run->Pump();
}

void NotificationRun::Pump() {
  std::unique_lock lock(mutex_);
  if (pumping_) return;
  pumping_ = true;
  while (next_ < alerts_->size() && in_flight_ < window_) {
    const std::size_t index = next_++;
    ++in_flight_;
    lock.unlock();
    if (call_.stop_token.stop_requested()) {
      OnResult(index, NotStarted());
    } else {
      client_->ClassifyAlertAsync((*alerts_)[index], call_,
                                  [self = shared_from_this(), index](Result<Classification> r) {
                                    self->OnResult(index, std::move(r));
                                  });
    }
    lock.lock();
  }
  // Every alert is started: the run, which lives on in the client's callbacks, lets the client
  // go, so that it is never what keeps the client alive (the client would then be destroyed
  // on its own thread when its last callback is).
  if (next_ == alerts_->size()) client_.reset();
  pumping_ = false;
}

void NotificationRun::OnResult(std::size_t index, Result<Classification> result) {
  bool last = false;
  {
    std::lock_guard lock(mutex_);
    results_[index] = std::move(result);
    --in_flight_;
    last = ++ended_ == alerts_->size();
  }
  if (!last) {
    Pump();
    return;
  }
  // The last result: nothing else touches results_ now.
  try {
    done_(std::move(results_));
  } catch (const std::exception&) {
    // `done` answers an HTTP request; its failure is its own to report.
  }
  done_ = nullptr;
}

}  // namespace alertllm::webhook
