// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace alertllm::test {

/// Waits until `done()` holds, for a state another thread reaches (a call queued, a follower
/// waiting): there is no clock to pass in, so it polls, yielding between looks. Fails the
/// test (fatal in the caller when wrapped in ASSERT_NO_FATAL_FAILURE) after 10 s instead of
/// hanging it.
template <typename Predicate>
void WaitUntil(Predicate done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "timed out waiting";
    std::this_thread::yield();
  }
}

}  // namespace alertllm::test
