// SPDX-License-Identifier: Apache-2.0
// alertllm-classify's run loop: every alert classified on the worker threads, the results
// handed back in input order as soon as each and all before it are done.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "classify_cli.hpp"
#include "fan_out.hpp"

namespace alertllm::cli {

void ClassifyInOrder(LlmClient& client, const std::vector<Alert>& alerts, int concurrency,
                     const ResultCallback& on_result, const ProgressCallback& on_progress,
                     std::chrono::milliseconds progress_interval) {
  const std::size_t total = alerts.size();
  std::vector<std::optional<Result<Classification>>> results(total);
  std::mutex mutex;
  std::condition_variable ready;
  std::size_t done = 0;
  // The workers run beside this thread, which stays free to write results and progress.
  std::jthread workers([&] {
    apps::ForEachIndex(total, concurrency, [&](std::size_t index) {
      Result<Classification> result = client.ClassifyAlert(alerts[index]);
      {
        const std::lock_guard lock(mutex);
        results[index] = std::move(result);
        ++done;
      }
      ready.notify_one();
    });
  });

  auto next_progress = std::chrono::steady_clock::now();
  std::size_t emitted = 0;
  std::vector<Result<Classification>> batch;
  while (emitted < total) {
    std::size_t done_now = 0;
    batch.clear();
    {
      std::unique_lock lock(mutex);
      ready.wait_until(lock, next_progress, [&] { return results[emitted].has_value(); });
      for (std::size_t i = emitted; i < total && results[i].has_value(); ++i) {
        batch.push_back(std::move(*results[i]));
        results[i].reset();
      }
      done_now = done;
    }
    // The callbacks run unlocked, so slow output never holds up the workers.
    for (const Result<Classification>& result : batch) on_result(emitted++, result);
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_progress) {
      if (on_progress) on_progress(done_now, total);
      next_progress = now + progress_interval;
    }
  }
  if (on_progress) on_progress(total, total);
}

}  // namespace alertllm::cli
