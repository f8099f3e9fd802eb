// SPDX-License-Identifier: Apache-2.0
// The tokens `--stats` reports: AddTokens (classify_run.cpp) and the "tokens" object of
// FormatStatsJson (classify_output.cpp).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "classify_cli.hpp"

namespace alertllm::cli {
namespace {

Classification Answered(std::string source, TokenUsage usage) {
  Classification c;
  c.source = std::move(source);
  c.usage = usage;
  return c;
}

TEST(AddTokensTest, SumsTheUsageOfEveryLlmAnswer) {
  TokenUsage tokens;
  AddTokens(tokens, Answered("llm", TokenUsage{412, 96, 256}));
  AddTokens(tokens, Answered("llm", TokenUsage{100, 4, 0}));
  EXPECT_EQ(tokens, (TokenUsage{512, 100, 256}));
}

// A cache hit or a repeat carries the usage of the request that answered first: counting it
// again would report tokens nobody spent.
TEST(AddTokensTest, CacheAnswersAddNothing) {
  TokenUsage tokens;
  AddTokens(tokens, Answered("llm", TokenUsage{412, 96, 0}));
  AddTokens(tokens, Answered("cache", TokenUsage{412, 96, 0}));
  EXPECT_EQ(tokens, (TokenUsage{412, 96, 0}));
}

TEST(AddTokensTest, FailuresFallbacksAndAnswersWithoutUsageAddNothing) {
  TokenUsage tokens;
  AddTokens(tokens, Error{ErrorCode::kTimeout, "deadline"});
  Classification fallback;
  fallback.source = "fallback";
  AddTokens(tokens, fallback);
  AddTokens(tokens, Classification{});  // source "llm", no usage: the proxy protocol
  EXPECT_EQ(tokens, TokenUsage{});
}

TEST(FormatStatsJsonTest, EndsWithTheTokensUsed) {
  const std::string json = FormatStatsJson(CircuitBreakerStats{}, TokenUsage{1200, 340, 1024},
                                           std::chrono::steady_clock::now());
  const std::string tail = R"(,"tokens":{"input":1200,"output":340,"cached_input":1024}})";
  ASSERT_GE(json.size(), tail.size());
  EXPECT_EQ(json.substr(json.size() - tail.size()), tail) << json;
}

}  // namespace
}  // namespace alertllm::cli
