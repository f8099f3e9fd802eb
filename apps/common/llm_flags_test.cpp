// SPDX-License-Identifier: Apache-2.0
#include "llm_flags.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string_view>
#include <vector>

namespace alertllm::apps {
namespace {

TEST(LlmFlagsTest, GivenFlagsOverrideTheConfigAndTheOthersLeaveIt) {
  LlmFlags llm;
  FlagSet flags;
  llm.Register(flags);
  const std::vector<std::string_view> args = {"--protocol", "openai", "--timeout=1.5s",
                                              "--fallback", "rules"};
  ASSERT_TRUE(flags.Parse(args).has_value());
  Config config;
  config.base_url = "http://127.0.0.1:9";
  config.model = "from-env";
  llm.ApplyTo(config);
  EXPECT_EQ(config.protocol, Protocol::kOpenAI);
  EXPECT_EQ(config.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(config.fallback, FallbackMode::kRules);
  EXPECT_EQ(config.base_url, "http://127.0.0.1:9");
  EXPECT_EQ(config.model, "from-env");
}

TEST(LlmFlagsTest, ValuesAreParsedAsTheirVariablesAre) {
  LlmFlags llm;
  FlagSet flags;
  llm.Register(flags);
  const Result<std::vector<std::string>> bad =
      flags.Parse(std::vector<std::string_view>{"--fallback", "maybe"});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "--fallback: 'maybe' must be none or rules");
  const Result<std::vector<std::string>> sub_ms =
      flags.Parse(std::vector<std::string_view>{"--timeout", "1500us"});
  EXPECT_FALSE(sub_ms.has_value());
}

}  // namespace
}  // namespace alertllm::apps
