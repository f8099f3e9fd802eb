// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <vector>

#include "alertllm/alert.hpp"
#include "alertllm/client.hpp"
#include "alertllm/result.hpp"

namespace alertllm::webhook {

/// The classification of one notification's alerts without a thread waiting for it: each alert
/// goes to LlmClient::ClassifyAlertAsync(), at most `window` at a time (a notification of a
/// thousand alerts does not fill the client's queue ahead of every other notification), and
/// `done` gets one result per alert, in input order, exactly once.
///
/// Requesting `stop` ends every unfinished call with kCancelled and starts no more (the alerts
/// not yet started end with kCancelled at once). Shared in-flight requests that other callers
/// wait for go on: the client asks again for them.
///
/// Thread-safety: the run owns itself until `done` has been called; `done` runs on whichever
/// thread ends the last call (the client's I/O thread for HttpLlmClient).
class NotificationRun : public std::enable_shared_from_this<NotificationRun> {
 public:
  using Done = std::function<void(std::vector<Result<Classification>>)>;

  /// Starts the run and returns; an empty `alerts` calls `done` with no results before
  /// returning. `window` 0 counts as 1.
  static void Start(std::shared_ptr<LlmClient> client,
                    std::shared_ptr<const std::vector<Alert>> alerts, std::size_t window,
                    std::stop_token stop, Done done);

  NotificationRun(std::shared_ptr<LlmClient> client,
                  std::shared_ptr<const std::vector<Alert>> alerts, std::size_t window,
                  std::stop_token stop, Done done);

 private:
  // Starts calls while the window has room; one thread at a time does it, the others leave
  // the room they made to it (so a client that answers inline does not recurse).
  void Pump();
  void OnResult(std::size_t index, Result<Classification> result);

  std::shared_ptr<LlmClient> client_;
  const std::shared_ptr<const std::vector<Alert>> alerts_;
  const std::size_t window_;
  const CallOptions call_;
  Done done_;
  std::vector<Result<Classification>> results_;

  std::mutex mutex_;
  std::size_t next_ = 0;       // the next alert to start
  std::size_t in_flight_ = 0;  // started, not ended
  std::size_t ended_ = 0;
  bool pumping_ = false;
};

}  // namespace alertllm::webhook
