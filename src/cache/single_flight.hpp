// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_map>

#include "alertllm/alert.hpp"
#include "alertllm/result.hpp"

namespace alertllm::internal {

/// Calls that ask for the same key while one of them is in flight share that one's answer
/// (DESIGN.md §8): the first caller of a key leads — it makes the request and must Finish() —
/// and every caller that joins before it finishes follows, waiting for the leader's answer
/// instead of sending a request of its own. The answer may be an error: each follower decides
/// what to make of it (a follower whose leader was cancelled asks again and may lead).
///
/// Thread-safe: every member may be called concurrently.
class SingleFlight {
 public:
  using Answer = Result<Classification>;

  /// One key's request in flight and the followers waiting for it.
  class Flight {
   public:
    /// The leader's answer, or nothing if `stop` is requested or `timeout` passes first.
    std::optional<Answer> Wait(std::chrono::nanoseconds timeout, const std::stop_token& stop);

    /// Followers waiting now.
    std::size_t waiting() const { return waiting_.load(std::memory_order_relaxed); }

   private:
    friend class SingleFlight;
    void Publish(const Answer& answer);

    std::atomic<std::size_t> waiting_{0};
    std::mutex mutex_;
    std::condition_variable_any done_;
    std::optional<Answer> answer_;  // guarded by mutex_
  };

  /// A caller's place in a flight: the leader makes the request, a follower waits.
  struct Ticket {
    std::shared_ptr<Flight> flight;
    bool leader = false;
  };

  /// Leads the flight of `key` if there is none, else follows it.
  Ticket Join(const std::string& key);

  /// The leader's answer for `key`: handed to every follower, and the key is free again (the
  /// next Join leads). Call exactly once per leading ticket.
  void Finish(const std::string& key, const Ticket& ticket, const Answer& answer);

  /// Keys with a flight in progress.
  std::size_t size() const;

  /// Followers waiting now, over every flight.
  std::size_t waiting() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;  // guarded by mutex_
};

}  // namespace alertllm::internal
