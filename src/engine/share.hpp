// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "alertllm/alert.hpp"
#include "alertllm/config.hpp"
#include "alertllm/result.hpp"
#include "cache/answer_cache.hpp"
#include "cache/single_flight.hpp"
#include "engine/client_metrics.hpp"

namespace alertllm::internal {

/// `answer` as a call gets it that did not make the request: `source` "cache", `attempts` 0.
Classification SharedAnswer(Classification answer);

/// DESIGN.md §2 step 1, sharing: calls for the same alert — key (fingerprint, status) and the
/// client's identity (model, protocol, prompt) — get one LLM answer. A fresh cached answer
/// returns at once; a call whose key is in flight follows that request; otherwise the call
/// leads: it makes the request and its answer (Finish) goes to everyone who followed, and is
/// kept for `cache.ttl` when it is a success. Errors are handed to the followers but never
/// kept. With `cache.enabled` false every call leads and nothing is shared.
///
/// Thread-safety: NOT thread-safe; the client's loop thread only (`cached()` aside: the cache
/// locks itself).
class Share {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  /// What Join() found.
  struct Joined {
    enum class Role { kHit, kLead, kFollow } role = Role::kLead;
    /// kHit: the cached answer, already SharedAnswer().
    std::optional<Classification> answer;
    /// kFollow: for Leave().
    SingleFlight::Ticket ticket = 0;
  };

  explicit Share(const Config& config);

  /// The call for `key` at `now`: a hit (counted), the leader, or a follower whose `follower`
  /// runs with the leader's answer.
  Joined Join(const std::string& key, SteadyTime now, ClientMetrics* counters,
              SingleFlight::Follower follower);
  /// A follower gives up.
  void Leave(const std::string& key, SingleFlight::Ticket ticket) { flights_.Leave(key, ticket); }
  /// The leader's answer, as it arrived at `now` (before any fallback): kept when a success,
  /// counted as a miss, and handed to the followers.
  void Finish(const std::string& key, const Result<Classification>& answer, SteadyTime now,
              ClientMetrics* counters);
  /// Counts a follower's answer (or a batch's repeat of an alert) as shared.
  void CountShared(ClientMetrics* counters) const;

  /// False when `cache.enabled` is: then every call asks.
  bool enabled() const { return enabled_; }

  /// The key calls share by: identity / fingerprint (computed from the labels when empty) /
  /// status.
  std::string KeyOf(const Alert& alert) const;

  /// Answers kept now.
  std::size_t cached() const { return cache_.size(); }

  /// Calls waiting for a request another call made.
  std::size_t waiting() const { return flights_.waiting(); }

 private:
  const bool enabled_;
  const std::string identity_;
  AnswerCache cache_;
  SingleFlight flights_;
};

}  // namespace alertllm::internal
