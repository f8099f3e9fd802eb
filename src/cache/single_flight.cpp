// SPDX-License-Identifier: Apache-2.0
#include "cache/single_flight.hpp"

#include <utility>

namespace alertllm::internal {

std::optional<SingleFlight::Answer> SingleFlight::Flight::Wait(std::chrono::nanoseconds timeout,
                                                               const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  waiting_.fetch_add(1, std::memory_order_relaxed);
  // condition_variable_any wakes on a stop request too, so a cancelled follower returns at
  // once instead of when the leader finishes.
  done_.wait_for(lock, stop, timeout, [this] { return answer_.has_value(); });
  waiting_.fetch_sub(1, std::memory_order_relaxed);
  return answer_;
}

void SingleFlight::Flight::Publish(const Answer& answer) {
  {
    std::lock_guard lock(mutex_);
    answer_ = answer;
  }
  done_.notify_all();
}

SingleFlight::Ticket SingleFlight::Join(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = flights_.try_emplace(key);
  if (inserted) it->second = std::make_shared<Flight>();
  return Ticket{it->second, inserted};
}

void SingleFlight::Finish(const std::string& key, const Ticket& ticket, const Answer& answer) {
  {
    std::lock_guard lock(mutex_);
    // Forget the key before publishing: a caller arriving now leads a fresh flight rather than
    // joining one whose answer is already given out.
    const auto it = flights_.find(key);
    if (it != flights_.end() && it->second == ticket.flight) flights_.erase(it);
  }
  ticket.flight->Publish(answer);
}

std::size_t SingleFlight::size() const {
  std::lock_guard lock(mutex_);
  return flights_.size();
}

std::size_t SingleFlight::waiting() const {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& [key, flight] : flights_) total += flight->waiting();
  return total;
}

}  // namespace alertllm::internal
