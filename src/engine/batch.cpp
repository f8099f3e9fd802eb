// SPDX-License-Identifier: Apache-2.0
#include "engine/batch.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "engine/client_impl.hpp"

namespace alertllm::internal {

std::vector<std::size_t> FirstOfEachKey(std::span<const Alert> alerts, const Share& share) {
  std::vector<std::size_t> first(alerts.size());
  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    first[i] = share.enabled() ? seen.try_emplace(share.KeyOf(alerts[i]), i).first->second : i;
  }
  return first;
}

Result<Classification> AsShared(const Result<Classification>& first) {
  if (!first) return first;
  return SharedAnswer(*first);
}

BatchRun::BatchRun(ClientState& client, std::span<const Alert> alerts,
                   std::vector<std::size_t> asked, CallOptions options, std::size_t window)
    : client_(client),
      alerts_(alerts),
      asked_(std::move(asked)),
      options_(std::move(options)),
      window_(window < 1 ? 1 : window),
      remaining_(asked_.size()),
      raw_(alerts.size(), Error{ErrorCode::kUnknown, "the batch ended before this alert was asked"}) {}

std::vector<Result<Classification>> BatchRun::Run() {
  std::size_t next = 0;
  std::unique_lock lock(mutex_);
  while (next < asked_.size()) {
    const std::size_t room = window_ - in_flight_;
    in_flight_ += std::min(room, asked_.size() - next);
    lock.unlock();
    std::vector<std::shared_ptr<Call>> calls;
    for (std::size_t taken = 0; taken < room && next < asked_.size(); ++taken, ++next) {
      const std::size_t index = asked_[next];
      try {
        calls.push_back(client_.Prepare(
            alerts_[index], options_, [self = shared_from_this(), index](Result<Classification> raw) {
              self->OnAnswer(index, std::move(raw));
            }));
      } catch (const std::exception&) {
        // Out of memory: this alert ends with an error of its own rather than never.
        OnAnswer(index, Error{ErrorCode::kUnknown, "could not start the call (out of memory)"});
      }
    }
    client_.runtime->Post([calls = std::move(calls)] {
      for (const auto& call : calls) call->Start();
    });
    lock.lock();
    progress_.wait(lock, [this] { return in_flight_ <= window_ / 2; });
  }
  progress_.wait(lock, [this] { return remaining_ == 0; });
  return std::move(raw_);
}

void BatchRun::OnAnswer(std::size_t index, Result<Classification> raw) {
  raw_[index] = std::move(raw);
  std::lock_guard lock(mutex_);
  --remaining_;
  // Only the two moments the caller waits for wake it: half the window free, the last answer.
  if (--in_flight_ == window_ / 2 || remaining_ == 0) progress_.notify_one();
}

}  // namespace alertllm::internal

namespace alertllm {

// Each distinct alert is asked once, a window of max_in_flight at a time, on the client's
// loop; every other alert of its key then gets that ask's answer, as a follower of the shared
// request would (counted as "shared"), and every alert is finished on its own, on this thread:
// its fallback, its counts.
std::vector<Result<Classification>> HttpLlmClient::ClassifyAlerts(std::span<const Alert> alerts,
                                                                  const CallOptions& options) {
  internal::ClientState& impl = *impl_;
  std::vector<Result<Classification>> results(
      alerts.size(),
      Error{ErrorCode::kUnknown, "the batch ended before this alert was classified"});
  const Result<void> ran = internal::NeverThrows<void>(impl, [&]() -> Result<void> {
    if (alerts.empty()) return {};
    if (Result<void> off = impl.NotOnLoop(); !off) return off;
    const std::vector<std::size_t> first = internal::FirstOfEachKey(alerts, *impl.share);
    std::vector<std::size_t> asked;
    for (std::size_t i = 0; i < alerts.size(); ++i) {
      if (first[i] == i) asked.push_back(i);
    }
    auto run = std::make_shared<internal::BatchRun>(
        impl, alerts, std::move(asked), options,
        static_cast<std::size_t>(impl.config.concurrency.max_in_flight));
    const std::vector<Result<Classification>> raw = run->Run();
    for (std::size_t i = 0; i < alerts.size(); ++i) {
      if (first[i] != i) impl.share->CountShared(impl.counters);
      results[i] = impl.Finish(alerts[i], first[i] == i ? raw[i] : internal::AsShared(raw[first[i]]));
    }
    return {};
  });
  // Only running out of memory ends up here: the alerts not reached keep their error, now
  // naming the cause.
  if (!ran) {
    for (auto& result : results) {
      if (!result && result.error().code == ErrorCode::kUnknown) result = ran.error();
    }
  }
  return results;
}

}  // namespace alertllm
