// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "alertllm/alert.hpp"

namespace alertllm::internal {

/// Successful LLM answers, each kept for `ttl` after it was stored, in an LRU bounded by
/// `max_entries`: memory stays bounded whatever the traffic, because a Put that would exceed the
/// bound evicts the least recently used entry. Expired entries are dropped lazily, when a Get
/// finds them (or when the LRU evicts them); they still count towards `max_entries`.
///
/// Time is always passed in: the class never reads a clock, so tests need no sleeping. An entry
/// stored at `t` is fresh while `now < t + ttl` and expired from `t + ttl` on.
///
/// Get and Put are O(1) on average.
///
/// Thread-safe: every member may be called concurrently; one mutex guards all state. Get copies
/// the answer out under the lock, so callers never hold references into the cache.
class AnswerCache {
 public:
  /// Preconditions (the caller validated them): max_entries >= 1, ttl > 0.
  AnswerCache(std::size_t max_entries, std::chrono::nanoseconds ttl);

  AnswerCache(const AnswerCache&) = delete;
  AnswerCache& operator=(const AnswerCache&) = delete;

  /// The answer stored under `key` if it has not expired at `now`; it then becomes the most
  /// recently used. An expired entry is erased and nullopt returned.
  std::optional<Classification> Get(std::string_view key,
                                    std::chrono::steady_clock::time_point now);

  /// Stores `value` under `key` at `now`, replacing any entry there (which refreshes both its
  /// stored time and its recency). Evicts the least recently used entry when the cache would
  /// otherwise exceed max_entries.
  void Put(std::string key, Classification value, std::chrono::steady_clock::time_point now);

  /// Entries held now, expired ones not yet dropped included; never more than max_entries.
  std::size_t size() const;

  /// Entries evicted to keep within max_entries since construction (expiries not counted).
  std::size_t evictions() const;

 private:
  struct Entry {
    // Never reassigned once in the list: index_ keys are views into it.
    std::string key;
    Classification value;
    std::chrono::steady_clock::time_point stored_at;
  };
  using EntryList = std::list<Entry>;

  // Both expect mutex_ held.
  void EraseLocked(EntryList::iterator it);
  bool ExpiredLocked(const Entry& entry, std::chrono::steady_clock::time_point now) const;

  const std::size_t max_entries_;
  const std::chrono::nanoseconds ttl_;

  mutable std::mutex mutex_;
  // Most recently used first. List nodes never move in memory, so index_ can key on
  // string_views into them: each key is stored once and Get looks up a string_view without
  // building a std::string.
  EntryList entries_;
  std::unordered_map<std::string_view, EntryList::iterator> index_;
  std::size_t evictions_ = 0;
};

}  // namespace alertllm::internal
