// SPDX-License-Identifier: Apache-2.0
// alertllm-classify's run loop: the alerts classified chunk by chunk on a worker thread, one
// ClassifyAlerts() call each, the results handed back in input order as each chunk is done.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

#include "classify_cli.hpp"

namespace alertllm::cli {

namespace {

// One result per alert of `chunk`, in order; a client that throws, or answers with the wrong
// count, fails the alerts it left unanswered.
std::vector<Result<Classification>> ClassifyChunk(LlmClient& client, std::span<const Alert> chunk,
                                                  const CallOptions& options) {
  std::vector<Result<Classification>> results;
  try {
    results = client.ClassifyAlerts(chunk, options);
  } catch (const std::exception& e) {
    results.assign(chunk.size(), Error{ErrorCode::kUnknown, e.what()});
  } catch (...) {
    results.assign(chunk.size(), Error{ErrorCode::kUnknown, "unknown exception"});
  }
  results.resize(chunk.size(), Error{ErrorCode::kUnknown, "the client gave no result"});
  return results;
}

// The state ClassifyInOrder() shares between its worker (Classify) and its caller (Deliver).
// Thread-safe: what changes (results, counts) is guarded by mutex_; the rest is set once.
class InOrderRun {
 public:
  InOrderRun(LlmClient& client, const std::vector<Alert>& alerts, std::size_t chunk_size)
      : client_(client),
        alerts_(alerts),
        chunk_(std::max<std::size_t>(chunk_size, 1)),
        results_(alerts.size()) {}

  // Classifies chunk after chunk, until every alert has a result or `stop` is requested.
  void Classify(std::stop_token stop) {
    CallOptions options;
    options.stop_token = stop;
    const std::size_t total = alerts_.size();
    const std::span<const Alert> all(alerts_);
    for (std::size_t begin = 0; begin < total; begin += chunk_) {
      {
        // At most one chunk ahead of the output: when on_result stops the run, the chunk in
        // flight is cancelled through `stop` and no further chunk is sent.
        std::unique_lock lock(mutex_);
        delivered_.wait(lock, stop, [&] { return emitted_ + chunk_ >= begin; });
        if (stop.stop_requested()) return;
      }
      const std::size_t n = std::min(chunk_, total - begin);
      std::vector<Result<Classification>> got =
          ClassifyChunk(client_, all.subspan(begin, n), options);
      {
        const std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < n; ++i) results_[begin + i] = std::move(got[i]);
        done_ += n;
      }
      ready_.notify_one();
    }
  }

  // Hands the results to `on_result` in input order as they come; false if it stopped the run.
  bool Deliver(const ResultCallback& on_result, const ProgressCallback& on_progress,
               std::chrono::milliseconds progress_interval) {
    const std::size_t total = alerts_.size();
    auto next_progress = std::chrono::steady_clock::now();
    std::size_t emitted = 0;
    std::vector<Result<Classification>> batch;
    while (emitted < total) {
      std::size_t done_now = 0;
      batch.clear();
      {
        std::unique_lock lock(mutex_);
        ready_.wait_until(lock, next_progress, [&] { return results_[emitted].has_value(); });
        for (std::size_t i = emitted; i < total && results_[i].has_value(); ++i) {
          batch.push_back(std::move(*results_[i]));
          results_[i].reset();
        }
        done_now = done_;
      }
      // The callbacks run unlocked, so slow output never holds up the worker.
      for (const Result<Classification>& result : batch) {
        if (!on_result(emitted, result)) return false;
        ++emitted;
      }
      Delivered(emitted);
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_progress) {
        if (on_progress) on_progress(done_now, total);
        next_progress = now + progress_interval;
      }
    }
    if (on_progress) on_progress(total, total);
    return true;
  }

 private:
  void Delivered(std::size_t emitted) {
    {
      const std::lock_guard lock(mutex_);
      emitted_ = emitted;
    }
    delivered_.notify_one();
  }

  LlmClient& client_;
  const std::vector<Alert>& alerts_;
  const std::size_t chunk_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable_any delivered_;  // waits with the worker's stop token
  std::vector<std::optional<Result<Classification>>> results_;
  std::size_t done_ = 0;
  std::size_t emitted_ = 0;
};

}  // namespace

void AddTokens(TokenUsage& tokens, const Result<Classification>& result) noexcept {
  if (!result || result->source != "llm" || !result->usage) return;
  tokens.prompt_tokens += result->usage->prompt_tokens;
  tokens.completion_tokens += result->usage->completion_tokens;
  tokens.cached_tokens += result->usage->cached_tokens;
}

std::size_t ChunkSize(const Config& config) noexcept {
  return 4 * static_cast<std::size_t>(std::max(config.concurrency.max_in_flight, 1));
}

bool ClassifyInOrder(LlmClient& client, const std::vector<Alert>& alerts, std::size_t chunk_size,
                     const ResultCallback& on_result, const ProgressCallback& on_progress,
                     std::chrono::milliseconds progress_interval) {
  InOrderRun run(client, alerts, chunk_size);
  // The worker runs beside this thread, which stays free to write results and progress. Its
  // destructor, on every return, requests stop (cancelling a chunk in flight) and joins.
  const std::jthread worker([&run](std::stop_token stop) { run.Classify(std::move(stop)); });
  return run.Deliver(on_result, on_progress, progress_interval);
}

}  // namespace alertllm::cli
