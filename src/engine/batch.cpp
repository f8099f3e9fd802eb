// SPDX-License-Identifier: Apache-2.0
#include "engine/batch.hpp"

#include "engine/client_impl.hpp"
#include "util/fan_out.hpp"

#include <string>
#include <unordered_map>

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

}  // namespace alertllm::internal

namespace alertllm {

// Each distinct alert is asked once, at most max_in_flight at a time; every other alert of its
// key then gets that ask's answer, as a follower of the shared request would (counted as
// "shared"), and every alert is finished on its own: its fallback, its counts.
std::vector<Result<Classification>> HttpLlmClient::ClassifyAlerts(std::span<const Alert> alerts,
                                                                  const CallOptions& options) {
  internal::ClientState& impl = *impl_;
  std::vector<Result<Classification>> results(
      alerts.size(),
      Error{ErrorCode::kUnknown, "the batch ended before this alert was classified"});
  const Result<void> ran = internal::NeverThrows<void>(impl, [&]() -> Result<void> {
    const std::vector<std::size_t> first = internal::FirstOfEachKey(alerts, *impl.share);
    std::vector<std::size_t> asked;
    for (std::size_t i = 0; i < alerts.size(); ++i) {
      if (first[i] == i) asked.push_back(i);
    }
    // Each slot is written by one thread; the asks' raw answers are kept for the followers.
    std::vector<Result<Classification>> raw(alerts.size(), Error{ErrorCode::kUnknown, "unset"});
    internal::ForEachIndex(asked.size(), impl.config.concurrency.max_in_flight, [&](std::size_t k) {
      const std::size_t i = asked[k];
      results[i] = internal::NeverThrows<Classification>(impl, [&]() -> Result<Classification> {
        raw[i] = impl.Ask(alerts[i], options);
        return impl.Finish(alerts[i], raw[i]);
      });
    });
    for (std::size_t i = 0; i < alerts.size(); ++i) {
      if (first[i] == i) continue;
      if (impl.counters)
        impl.counters->CacheLookup(internal::CacheLookup::kShared, impl.share->cached());
      results[i] = impl.Finish(alerts[i], internal::AsShared(raw[first[i]]));
    }
    return {};
  });
  // Only an allocation or a thread failing to start ends up here: the alerts not reached keep
  // their error, now naming the cause.
  if (!ran) {
    for (auto& result : results) {
      if (!result && result.error().code == ErrorCode::kUnknown) result = ran.error();
    }
  }
  return results;
}

}  // namespace alertllm
