// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "alertllm/alert.hpp"
#include "alertllm/client.hpp"
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
/// returns at once; a call whose key is in flight waits for that request; otherwise the call
/// makes the request (`ask`) and its answer is handed to everyone who waited, and kept for
/// `cache.ttl` when it is a success. Errors are shared with the callers already waiting but
/// never kept. An answer the call did not request itself has `source` "cache" and `attempts`
/// 0. With `cache.enabled` false every call asks.
///
/// Thread-safe: every member may be called concurrently.
class Share {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using Ask = std::function<Result<Classification>()>;

  explicit Share(const Config& config);

  /// The answer for `alert`, by `clock`'s time; a follower waits at most until `deadline`
  /// (kTimeout) and ends at once with kCancelled when `stop` is requested. Counts cache lookups
  /// into `counters` when it is not null.
  Result<Classification> Answer(const Alert& alert, const ClientClock& clock, SteadyTime deadline,
                                const std::stop_token& stop, ClientMetrics* counters,
                                const Ask& ask);

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
  Result<Classification> Lead(const std::string& key, const SingleFlight::Ticket& ticket,
                              const ClientClock& clock, ClientMetrics* counters, const Ask& ask);

  const bool enabled_;
  const std::string identity_;
  AnswerCache cache_;
  SingleFlight flights_;
};

}  // namespace alertllm::internal
