// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <curl/curl.h>

#include <array>
#include <cstddef>
#include <mutex>

namespace alertllm::internal {

// DNS cache and TLS sessions shared by every handle of one transport. libcurl calls the lock
// callbacks from whichever thread runs a transfer; one mutex per kind of data lets a DNS lookup
// and a TLS resumption proceed at the same time. Connections are not shared: each pooled
// handle keeps its own, which is what keep-alive needs, and avoids cross-thread use of one
// connection cache.
class CurlShare {
 public:
  /// get() is null when libcurl could not set the share up; handles then share nothing.
  CurlShare() noexcept;
  // Every easy handle that used the share must be gone by now (the pool is destroyed first).
  ~CurlShare();
  CurlShare(const CurlShare&) = delete;
  CurlShare& operator=(const CurlShare&) = delete;

  CURLSH* get() const noexcept { return share_; }

  std::mutex& MutexFor(curl_lock_data data) noexcept {
    const auto index = static_cast<std::size_t>(data);
    return mutexes_[index < mutexes_.size() ? index : 0];
  }

 private:
  CURLSH* share_;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes_;
};

}  // namespace alertllm::internal
