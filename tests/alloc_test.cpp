// SPDX-License-Identifier: Apache-2.0
// Allocation checks: this binary replaces the global operator new to count allocations made
// by the current thread.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "alertllm/errors.hpp"
#include "alertllm/result.hpp"

namespace {
thread_local long g_allocations = 0;
}  // namespace

// gcc 12 at -O1 and above inlines this pair into gtest and then warns that malloc'd memory is
// released by a sized delete; the pair is matched (malloc/free) on purpose.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace alertllm {
namespace {

long AllocationsDuring(void (*f)()) {
  const long before = g_allocations;
  f();
  return g_allocations - before;
}

TEST(ErrorAllocationTest, EmptyMessageErrorDoesNotAllocate) {
  EXPECT_EQ(AllocationsDuring([] {
              const Error e{ErrorCode::kCircuitOpen};
              ::testing::StaticAssertTypeEq<decltype(e.code), ErrorCode>();
              if (e.code != ErrorCode::kCircuitOpen) std::abort();
            }),
            0);
}

TEST(ErrorAllocationTest, ErrorResultWithEmptyMessageDoesNotAllocate) {
  EXPECT_EQ(AllocationsDuring([] {
              const Result<int> r = Error{ErrorCode::kCircuitOpen, {}, 0,
                                          std::chrono::milliseconds(1500)};
              if (r.has_value() || ClassifyError(r.error()) != "circuit_breaker_open") std::abort();
              if (IsRetryableError(r.error())) std::abort();
            }),
            0);
}

TEST(ErrorAllocationTest, CountingOperatorNewSeesAllocations) {
  // Guards the two tests above against a counter that never counts.
  EXPECT_GT(AllocationsDuring([] {
              const Error e{ErrorCode::kTimeout, std::string(100, 'x')};
              if (e.message.size() != 100) std::abort();
            }),
            0);
}

}  // namespace
}  // namespace alertllm
