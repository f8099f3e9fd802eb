// SPDX-License-Identifier: Apache-2.0
#include "limiter/concurrency_limiter.hpp"

#include <algorithm>
#include <stdexcept>

namespace alertllm::internal {

ConcurrencyLimiter::ConcurrencyLimiter(int max_in_flight, bool adaptive, std::size_t max_queued)
    : max_in_flight_(max_in_flight),
      adaptive_(adaptive),
      max_queued_(max_queued),
      limit_(max_in_flight) {
  if (max_in_flight < 1) throw std::invalid_argument("max_in_flight: must be at least 1");
}

ConcurrencyLimiter::Admission ConcurrencyLimiter::Acquire(Id id, TimePoint deadline,
                                                          TimePoint now) {
  ForgetPastPause(now);
  // A free slot goes to the queue first (FIFO fairness): a newcomer sends only if nobody waits.
  if (!paused(now) && HasFreeSlot() && queue_.empty()) {
    ++in_flight_;
    return Admission::kSend;
  }
  if (queue_.size() >= max_queued_) return Admission::kQueueFull;
  queue_.push_back(Waiter{id, deadline});
  return Admission::kQueued;
}

void ConcurrencyLimiter::Release(Signal signal, TimePoint sent_at, TimePoint now) {
  if (in_flight_ == 0) throw std::logic_error("ConcurrencyLimiter::Release: no slot is held");
  --in_flight_;
  ForgetPastPause(now);
  if (!adaptive_) return;
  switch (signal) {
    case Signal::kOverload:
      OnOverload(sent_at, now);
      break;
    case Signal::kRejected:
      OnRejected(sent_at, now);
      break;
    case Signal::kSuccess:
      OnSuccess(sent_at, now);
      break;
    case Signal::kNeutral:
      break;
  }
}

void ConcurrencyLimiter::OnOverload(TimePoint sent_at, TimePoint now) {
  // A call sent before the last decrease saw the old, larger window: the decrease already
  // answered that overload. Without this, one burst of N rejected calls would halve N times
  // (limit 64 -> 1 from a single 429 storm) instead of once per round trip.
  if (sent_at < last_decrease_) return;
  limit_ = std::max(1, limit_ / 2);
  growth_credit_ = 0;
  last_decrease_ = now;
}

// A 429 says more than a timeout: the server refused this request and is serving the ones
// still in flight, so while the window is in use (this call and those in flight took half of
// it or more) the limit drops to exactly those, whatever the round trip. A quota of 32 that
// refuses 168 of 200 requests at once brings the limit to the 32 it kept as the 429s come
// back — halving once per round trip would need three rounds, each costing a Retry-After
// pause — and a probe one above the quota costs one slot, not half of them. A window barely
// used (one call now and then) is halved as for a timeout.
void ConcurrencyLimiter::OnRejected(TimePoint sent_at, TimePoint now) {
  if (2 * (in_flight_ + 1) < limit_) {
    OnOverload(sent_at, now);
    return;
  }
  if (in_flight_ >= limit_) return;
  limit_ = std::max(1, in_flight_);
  growth_credit_ = 0;
  last_decrease_ = now;
}

void ConcurrencyLimiter::OnSuccess(TimePoint sent_at, TimePoint now) {
  if (now < hold_growth_until_) return;
  // Same rule as OnOverload: a call of the old window says nothing about the new one, and
  // counting the successes of the survivors of a 429 storm would undo the decrease at once.
  if (sent_at < last_decrease_ || limit_ >= max_in_flight_) return;
  // Additive increase: +1 after limit_ successes, i.e. about one per round trip when the
  // window is full. An integer credit (not `limit += 1.0 / limit` in a double) makes the step
  // exact: no rounding leaves the limit a hair below the next integer.
  if (++growth_credit_ >= limit_) {
    ++limit_;
    growth_credit_ = 0;
  }
}

std::vector<ConcurrencyLimiter::Id> ConcurrencyLimiter::Dispatch(TimePoint now) {
  ForgetPastPause(now);
  std::vector<Id> dispatched;
  if (paused(now)) return dispatched;
  for (auto it = queue_.begin(); it != queue_.end() && HasFreeSlot();) {
    if (it->deadline <= now) {
      ++it;  // already late: TakeExpired ends it rather than sending it
      continue;
    }
    dispatched.push_back(it->id);
    ++in_flight_;
    it = queue_.erase(it);
  }
  return dispatched;
}

std::vector<ConcurrencyLimiter::Id> ConcurrencyLimiter::TakeExpired(TimePoint now) {
  ForgetPastPause(now);
  std::vector<Id> expired;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->deadline <= now) {
      expired.push_back(it->id);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

bool ConcurrencyLimiter::Remove(Id id) {
  const auto it =
      std::find_if(queue_.begin(), queue_.end(), [id](const Waiter& w) { return w.id == id; });
  if (it == queue_.end()) return false;
  queue_.erase(it);
  return true;
}

void ConcurrencyLimiter::PauseUntil(TimePoint until, TimePoint hold_growth_until) {
  pause_until_ = std::max(pause_until_, until);
  hold_growth_until_ = std::max(hold_growth_until_, hold_growth_until);
}

std::optional<ConcurrencyLimiter::TimePoint> ConcurrencyLimiter::NextWakeup() const {
  if (queue_.empty()) return std::nullopt;
  // Deadlines are not in queue order (each call brings its own), so the earliest is searched
  // for; the queue is bounded by max_queued and this runs once per loop turn.
  TimePoint earliest =
      std::min_element(queue_.begin(), queue_.end(), [](const Waiter& a, const Waiter& b) {
        return a.deadline < b.deadline;
      })->deadline;
  if (pause_until_ != kNever) earliest = std::min(earliest, pause_until_);
  return earliest;
}

void ConcurrencyLimiter::ForgetPastPause(TimePoint now) {
  // Once over, the pause is dropped so that NextWakeup does not keep reporting a past instant
  // (which would make the loop's timer fire again and again).
  if (pause_until_ != kNever && now >= pause_until_) pause_until_ = kNever;
}

}  // namespace alertllm::internal
