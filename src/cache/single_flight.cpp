// SPDX-License-Identifier: Apache-2.0
#include "cache/single_flight.hpp"

#include <algorithm>
#include <utility>

namespace alertllm::internal {

SingleFlight::Ticket SingleFlight::Join(const std::string& key, Follower follower) {
  auto [it, inserted] = flights_.try_emplace(key);
  if (inserted) return 0;
  const Ticket ticket = ++next_ticket_;
  it->second.emplace_back(ticket, std::move(follower));
  return ticket;
}

void SingleFlight::Leave(const std::string& key, Ticket ticket) {
  const auto it = flights_.find(key);
  if (it == flights_.end()) return;
  auto& followers = it->second;
  followers.erase(std::remove_if(followers.begin(), followers.end(),
                                 [ticket](const auto& f) { return f.first == ticket; }),
                  followers.end());
}

void SingleFlight::Finish(const std::string& key, const Answer& answer) {
  const auto it = flights_.find(key);
  if (it == flights_.end()) return;
  // Forget the key before answering: a follower that asks again (its leader was cancelled)
  // leads a fresh flight rather than joining this finished one.
  std::vector<std::pair<Ticket, Follower>> followers = std::move(it->second);
  flights_.erase(it);
  for (auto& [ticket, follower] : followers) follower(answer);
}

std::size_t SingleFlight::waiting() const {
  std::size_t total = 0;
  for (const auto& [key, followers] : flights_) total += followers.size();
  return total;
}

}  // namespace alertllm::internal
