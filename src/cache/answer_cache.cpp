// SPDX-License-Identifier: Apache-2.0
#include "cache/answer_cache.hpp"

#include <chrono>
#include <cstddef>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "alertllm/alert.hpp"

namespace alertllm::internal {

AnswerCache::AnswerCache(std::size_t max_entries, std::chrono::nanoseconds ttl)
    : max_entries_(max_entries), ttl_(ttl) {}

std::optional<Classification> AnswerCache::Get(std::string_view key,
                                               std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto found = index_.find(key);
  if (found == index_.end()) return std::nullopt;
  auto it = found->second;
  if (ExpiredLocked(*it, now)) {
    EraseLocked(it);
    return std::nullopt;
  }
  entries_.splice(entries_.begin(), entries_, it);
  return it->value;
}

void AnswerCache::Put(std::string key, Classification value,
                      std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (auto found = index_.find(key); found != index_.end()) {
    // Keep the node (and so the key index_ views) and refresh the rest.
    auto it = found->second;
    it->value = std::move(value);
    it->stored_at = now;
    entries_.splice(entries_.begin(), entries_, it);
    return;
  }
  // Insert first, evict second: if an allocation throws, the cache is left as it was rather
  // than one entry short.
  entries_.push_front(Entry{std::move(key), std::move(value), now});
  try {
    index_.emplace(std::string_view(entries_.front().key), entries_.begin());
  } catch (...) {
    entries_.pop_front();
    throw;
  }
  if (entries_.size() > max_entries_) {
    EraseLocked(std::prev(entries_.end()));
    ++evictions_;
  }
}

std::size_t AnswerCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::size_t AnswerCache::evictions() const {
  std::lock_guard lock(mutex_);
  return evictions_;
}

void AnswerCache::EraseLocked(EntryList::iterator it) {
  // The index entry goes first: its key is a view into the node about to be freed.
  index_.erase(std::string_view(it->key));
  entries_.erase(it);
}

bool AnswerCache::ExpiredLocked(const Entry& entry,
                                std::chrono::steady_clock::time_point now) const {
  // Compared as an elapsed time rather than `now >= stored_at + ttl_`, so a huge ttl cannot
  // overflow the time point. A `now` before stored_at (a caller that read its clock before
  // another thread's Put) counts as fresh.
  return now - entry.stored_at >= ttl_;
}

}  // namespace alertllm::internal
