// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "alertllm/alert.hpp"
#include "alertllm/client.hpp"
#include "alertllm/result.hpp"
#include "engine/share.hpp"

namespace alertllm::internal {

struct ClientState;

/// For each alert of a batch, the index of the first alert with its share key: itself when it
/// is the first (or when sharing is off, every alert being its own request).
std::vector<std::size_t> FirstOfEachKey(std::span<const Alert> alerts, const Share& share);

/// What an alert whose key's first alert was asked gets from that ask (before the fallback):
/// the answer as a shared one (`source` "cache", `attempts` 0), or the same error.
Result<Classification> AsShared(const Result<Classification>& first);

/// The asks of one ClassifyAlerts() call, fed to the client's loop by the calling thread: at
/// most `window` in flight (so a batch of 100,000 alerts holds a window of calls, not 100,000,
/// and never fills the limiter's queue by itself). The caller prepares (and encodes) the next
/// half window while the loop sends, and sleeps between: the loop wakes it only when half the
/// window is free or the last ask has ended.
///
/// Thread-safety: Run() on the caller's thread; the answers arrive on the loop's.
class BatchRun : public std::enable_shared_from_this<BatchRun> {
 public:
  /// `alerts` must stay valid until Run() returns; `asked` are the indexes to ask.
  BatchRun(ClientState& client, std::span<const Alert> alerts, std::vector<std::size_t> asked,
           CallOptions options, std::size_t window);

  /// Asks every alert of `asked` and waits for them; the raw answers by alert index (unasked
  /// ones: kUnknown).
  std::vector<Result<Classification>> Run();

 private:
  void OnAnswer(std::size_t index, Result<Classification> raw);

  ClientState& client_;
  const std::span<const Alert> alerts_;
  const std::vector<std::size_t> asked_;
  const CallOptions options_;
  const std::size_t window_;
  std::mutex mutex_;
  std::condition_variable progress_;
  std::size_t in_flight_ = 0;                // guarded by mutex_
  std::size_t remaining_;                    // guarded by mutex_
  std::vector<Result<Classification>> raw_;  // an ask's slot is written once, by its answer
};

}  // namespace alertllm::internal
