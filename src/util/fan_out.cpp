// SPDX-License-Identifier: Apache-2.0
#include "util/fan_out.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace alertllm::internal {

void ForEachIndex(std::size_t n, int concurrency, const std::function<void(std::size_t)>& fn) {
  const std::size_t workers = std::min(n, static_cast<std::size_t>(std::max(concurrency, 1)));
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  };
  {
    std::vector<std::jthread> pool;
    pool.reserve(workers > 0 ? workers - 1 : 0);
    for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(work);
    work();
  }
}

}  // namespace alertllm::internal
