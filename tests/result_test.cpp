// SPDX-License-Identifier: Apache-2.0
#include "alertllm/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace alertllm {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Error{ErrorCode::kInvalidRequest, "odd"};
  return x / 2;
}

Result<std::string> Name(bool ok) {
  if (!ok) return Unexpected(Error{ErrorCode::kTimeout, "late", 0, std::chrono::milliseconds(5)});
  return "alertllm";  // const char* converts to the value type, as with std::expected
}

TEST(ResultTest, HoldsValue) {
  const Result<int> r = Half(8);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 4);
  EXPECT_EQ(*r, 4);
}

TEST(ResultTest, HoldsError) {
  const Result<int> r = Half(3);
  ASSERT_FALSE(r.has_value());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(r.error().message, "odd");
}

TEST(ResultTest, ValueOnErrorThrowsBadResultAccessCarryingTheError) {
  const Result<int> r = Half(3);
  try {
    (void)r.value();
    FAIL() << "value() did not throw";
  } catch (const BadResultAccess& e) {
    EXPECT_EQ(e.error().code, ErrorCode::kInvalidRequest);
    EXPECT_STRNE(e.what(), "");
  }
}

TEST(ResultTest, UnexpectedBuildsAnErrorResult) {
  const Result<std::string> r = Name(false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(r.error().retry_after, std::chrono::milliseconds(5));
}

TEST(ResultTest, ConvertsValueLikeExpected) {
  const Result<std::string> r = Name(true);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "alertllm");
  EXPECT_EQ(r->size(), 8u);
}

TEST(ResultTest, ValueOrReturnsValueOrFallback) {
  EXPECT_EQ(Half(8).value_or(-1), 4);
  EXPECT_EQ(Half(7).value_or(-1), -1);
  EXPECT_EQ(Name(false).value_or("none"), "none");
}

TEST(ResultTest, MovesOutMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
}

TEST(ResultTest, InPlaceConstructsTheValue) {
  const Result<std::vector<int>> r(std::in_place, 3, 9);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[2], 9);
}

TEST(ResultTest, DefaultConstructedHoldsValueInitializedValue) {
  const Result<int> r;
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 0);
}

TEST(ResultTest, ErrorCanBeModifiedInPlace) {
  Result<int> r = Half(1);
  r.error().attempts = 3;
  EXPECT_EQ(r.error().attempts, 3);
}

TEST(ResultVoidTest, DefaultIsSuccess) {
  const Result<void> r;
  EXPECT_TRUE(r.has_value());
  EXPECT_NO_THROW(r.value());
}

TEST(ResultVoidTest, HoldsErrorAndValueThrows) {
  const Result<void> r = Error{ErrorCode::kInvalidConfig, "bad"};
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "bad");
  EXPECT_THROW(r.value(), BadResultAccess);
}

TEST(ResultVoidTest, FromUnexpected) {
  const Result<void> r = Unexpected(Error{ErrorCode::kCancelled});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kCancelled);
}

TEST(ErrorTest, DefaultsAreEmpty) {
  const Error e{ErrorCode::kNetworkError};
  EXPECT_EQ(e.code, ErrorCode::kNetworkError);
  EXPECT_TRUE(e.message.empty());
  EXPECT_EQ(e.http_status, 0);
  EXPECT_FALSE(e.retry_after.has_value());
  EXPECT_EQ(e.attempts, 0);
}

TEST(ResultDeathTest, ErrorOfAValueAborts) {
  const Result<int> r = 1;
  EXPECT_DEATH((void)r.error(), "");
}

TEST(ResultDeathTest, DereferencingAnErrorAborts) {
  const Result<int> r = Error{ErrorCode::kTimeout};
  EXPECT_DEATH((void)*r, "");
}

TEST(ResultDeathTest, ErrorOfASuccessfulVoidResultAborts) {
  const Result<void> r;
  EXPECT_DEATH((void)r.error(), "");
}

TEST(ResultTest, IsNodiscardShaped) {
  // Compile-time shape checks mirroring std::expected's members.
  static_assert(std::is_same_v<Result<int>::value_type, int>);
  static_assert(std::is_same_v<Result<int>::error_type, Error>);
  static_assert(std::is_same_v<decltype(std::declval<Result<int>&>().value()), int&>);
  static_assert(std::is_same_v<decltype(std::declval<const Result<int>&>().error()), const Error&>);
  static_assert(!std::is_convertible_v<Result<int>, bool>, "operator bool must be explicit");
  SUCCEED();
}

}  // namespace
}  // namespace alertllm
