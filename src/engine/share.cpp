// SPDX-License-Identifier: Apache-2.0
#include "engine/share.hpp"

#include <cstdio>
#include <functional>
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

Result<Classification> Share::Answer(const Alert& alert, const ClientClock& clock,
                                     SteadyTime deadline, const std::stop_token& stop,
                                     ClientMetrics* counters, const Ask& ask) {
  if (!enabled_) return ask();
  const std::string key = KeyOf(alert);
  if (std::optional<Classification> kept = cache_.Get(key, clock.SteadyNow())) {
    Count(counters, CacheLookup::kHit, cache_.size());
    return SharedAnswer(*std::move(kept));
  }
  for (;;) {
    const SingleFlight::Ticket ticket = flights_.Join(key);
    if (ticket.leader) {
      // Another leader may have kept its answer and left between the lookup above and Join().
      if (std::optional<Classification> kept = cache_.Get(key, clock.SteadyNow())) {
        flights_.Finish(key, ticket, *kept);
        Count(counters, CacheLookup::kHit, cache_.size());
        return SharedAnswer(*std::move(kept));
      }
      return Lead(key, ticket, clock, counters, ask);
    }
    std::optional<SingleFlight::Answer> answer =
        ticket.flight->Wait(deadline - clock.SteadyNow(), stop);
    if (stop.stop_requested()) return Error{ErrorCode::kCancelled, "call cancelled"};
    if (!answer) {
      return Error{ErrorCode::kTimeout, "call deadline exceeded waiting for a shared request"};
    }
    // The leader's caller gave up; its request says nothing about this call, which asks again.
    if (!*answer && answer->error().code == ErrorCode::kCancelled) continue;
    Count(counters, CacheLookup::kShared, cache_.size());
    if (!*answer) return std::move(answer)->error();
    return SharedAnswer(**std::move(answer));
  }
}

Result<Classification> Share::Lead(const std::string& key, const SingleFlight::Ticket& ticket,
                                   const ClientClock& clock, ClientMetrics* counters,
                                   const Ask& ask) {
  // Followers wait on this flight: it must be finished whatever `ask` does, throwing included.
  struct Finisher {
    SingleFlight& flights;
    const std::string& key;
    const SingleFlight::Ticket& ticket;
    Result<Classification> answer{Error{ErrorCode::kUnknown, "the shared request failed"}};
    ~Finisher() { flights.Finish(key, ticket, answer); }
  } finisher{flights_, key, ticket};
  finisher.answer = ask();
  // The answer is as fresh as the moment it arrived, not as the call's start.
  if (finisher.answer) cache_.Put(key, *finisher.answer, clock.SteadyNow());
  Count(counters, CacheLookup::kMiss, cache_.size());
  return finisher.answer;
}

}  // namespace alertllm::internal
