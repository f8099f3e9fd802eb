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
#include <thread>
#include <utility>
#include <vector>

#include "classify_cli.hpp"

namespace alertllm::cli {

namespace {

// One result per alert of `chunk`, in order; a client that throws, or answers with the wrong
// count, fails the alerts it left unanswered.
std::vector<Result<Classification>> ClassifyChunk(LlmClient& client, std::span<const Alert> chunk) {
  std::vector<Result<Classification>> results;
  try {
    results = client.ClassifyAlerts(chunk);
  } catch (const std::exception& e) {
    results.assign(chunk.size(), Error{ErrorCode::kUnknown, e.what()});
  } catch (...) {
    results.assign(chunk.size(), Error{ErrorCode::kUnknown, "unknown exception"});
  }
  results.resize(chunk.size(), Error{ErrorCode::kUnknown, "the client gave no result"});
  return results;
}

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

void ClassifyInOrder(LlmClient& client, const std::vector<Alert>& alerts, std::size_t chunk_size,
                     const ResultCallback& on_result, const ProgressCallback& on_progress,
                     std::chrono::milliseconds progress_interval) {
  const std::size_t total = alerts.size();
  const std::size_t chunk = std::max<std::size_t>(chunk_size, 1);
  std::vector<std::optional<Result<Classification>>> results(total);
  std::mutex mutex;
  std::condition_variable ready;
  std::size_t done = 0;
  // The worker runs beside this thread, which stays free to write results and progress.
  std::jthread worker([&] {
    const std::span<const Alert> all(alerts);
    for (std::size_t begin = 0; begin < total; begin += chunk) {
      const std::size_t n = std::min(chunk, total - begin);
      std::vector<Result<Classification>> got = ClassifyChunk(client, all.subspan(begin, n));
      {
        const std::lock_guard lock(mutex);
        for (std::size_t i = 0; i < n; ++i) results[begin + i] = std::move(got[i]);
        done += n;
      }
      ready.notify_one();
    }
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
    // The callbacks run unlocked, so slow output never holds up the worker.
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
