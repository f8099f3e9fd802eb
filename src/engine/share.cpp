// SPDX-License-Identifier: Apache-2.0
#include "engine/share.hpp"

#include <cstdio>
#include <functional>
#include <optional>
#include <utility>

namespace alertllm::internal {
namespace {

// The parts of the configuration that change what the LLM answers. The cache belongs to one
// client, whose configuration never changes, so this only matters once caches are shared; it
// is in the key so that they can be without serving an answer to another prompt.
std::string Identity(const Config& config) {
  const std::size_t hash = std::hash<std::string>{}(
      config.model + '\0' + std::string(ToString(config.protocol)) + '\0' + config.prompt);
  char text[17];
  std::snprintf(text, sizeof text, "%016zx", hash);
  return text;
}

void Count(ClientMetrics* counters, CacheLookup lookup, std::size_t entries) {
  if (counters) counters->CacheLookup(lookup, entries);
}

}  // namespace

Classification SharedAnswer(Classification answer) {
  answer.source = "cache";
  answer.attempts = 0;
  return answer;
}

Share::Share(const Config& config)
    : enabled_(config.cache.enabled),
      identity_(Identity(config)),
      cache_(config.cache.max_entries, config.cache.ttl) {}

std::string Share::KeyOf(const Alert& alert) const {
  std::string key = identity_;
  key += '/';
  key += alert.fingerprint.empty() ? Fingerprint(alert.labels) : alert.fingerprint;
  key += '/';
  key += ToString(alert.status);
  return key;
}

Share::Joined Share::Join(const std::string& key, SteadyTime now, ClientMetrics* counters,
                          SingleFlight::Follower follower) {
  Joined joined;
  if (!enabled_) return joined;
  if (std::optional<Classification> kept = cache_.Get(key, now)) {
    Count(counters, CacheLookup::kHit, cache_.size());
    joined.role = Joined::Role::kHit;
    joined.answer = SharedAnswer(*std::move(kept));
    return joined;
  }
  joined.ticket = flights_.Join(key, std::move(follower));
  if (joined.ticket != 0) joined.role = Joined::Role::kFollow;
  return joined;
}

void Share::Finish(const std::string& key, const Result<Classification>& answer, SteadyTime now,
                   ClientMetrics* counters) {
  if (!enabled_) return;
  // The answer is as fresh as the moment it arrived, not as the call's start.
  if (answer) cache_.Put(key, *answer, now);
  Count(counters, CacheLookup::kMiss, cache_.size());
  flights_.Finish(key, answer);
}

void Share::CountShared(ClientMetrics* counters) const {
  Count(counters, CacheLookup::kShared, cache_.size());
}

}  // namespace alertllm::internal
