// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>

namespace alertllm::internal {

/// Calls `fn(i)` once for every i in [0, n), on min(n, concurrency) threads — the calling
/// thread and up to concurrency - 1 more — each taking the next index as it becomes free.
/// Returns when every call has returned. concurrency below 1 counts as 1 (everything runs on
/// the calling thread, in order).
///
/// Thread-safety: `fn` is called concurrently from several threads; it must not throw.
void ForEachIndex(std::size_t n, int concurrency, const std::function<void(std::size_t)>& fn);

}  // namespace alertllm::internal
