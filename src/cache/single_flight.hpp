// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "alertllm/alert.hpp"
#include "alertllm/result.hpp"

namespace alertllm::internal {

/// Calls that ask for the same key while one of them is in flight share that one's answer
/// (DESIGN.md §8): the first caller of a key leads — it makes the request and must Finish() —
/// and every caller that joins before it finishes follows: its callback gets the leader's
/// answer instead of a request of its own. The answer may be an error: each follower decides
/// what to make of it (a follower whose leader was cancelled asks again and may lead).
///
/// Thread-safety: NOT thread-safe; one thread (the client's loop) drives it. Finish() calls
/// the followers' callbacks in the order they joined; a callback may Join() again.
class SingleFlight {
 public:
  using Answer = Result<Classification>;
  using Follower = std::function<void(const Answer&)>;
  /// Names a follower for Leave(); 0 is the leader's ticket.
  using Ticket = std::uint64_t;

  /// Leads the flight of `key` (returns 0, `follower` unused) if there is none, else follows
  /// it (returns the follower's ticket; `follower` runs at Finish()).
  Ticket Join(const std::string& key, Follower follower);

  /// A follower gives up: its callback never runs.
  void Leave(const std::string& key, Ticket ticket);

  /// The leader's answer for `key`: the key is free again (the next Join leads), then every
  /// follower's callback runs with `answer`. Call exactly once per leading Join.
  void Finish(const std::string& key, const Answer& answer);

  /// Keys with a flight in progress.
  std::size_t size() const { return flights_.size(); }

  /// Followers waiting now, over every flight.
  std::size_t waiting() const;

 private:
  std::unordered_map<std::string, std::vector<std::pair<Ticket, Follower>>> flights_;
  Ticket next_ticket_ = 0;
};

}  // namespace alertllm::internal
