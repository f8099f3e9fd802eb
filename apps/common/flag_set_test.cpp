// SPDX-License-Identifier: Apache-2.0
#include "flag_set.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace alertllm::apps {
namespace {

using namespace std::chrono_literals;

struct Parsed {
  std::optional<std::string> model;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<Protocol> protocol;
  std::optional<FallbackMode> fallback;
  int concurrency = 1;
  double rate = 0;
  bool stats = false;
};

FlagSet Flags(Parsed& p) {
  FlagSet flags;
  flags.String("--model", &p.model);
  flags.Duration("--timeout", &p.timeout);
  flags.ProtocolFlag("--protocol", &p.protocol);
  flags.FallbackFlag("--fallback", &p.fallback);
  flags.Int("--concurrency", &p.concurrency, 1, 256);
  flags.Double("--rate", &p.rate, 0, 1);
  flags.Switch("--stats", &p.stats);
  return flags;
}

std::string ErrorOf(const std::vector<std::string_view>& args) {
  Parsed p;
  const auto parsed = Flags(p).Parse(args, true);
  return parsed ? std::string("(accepted)") : parsed.error().message;
}

TEST(FlagSetTest, ReadsValuesInBothForms) {
  Parsed p;
  const auto parsed = Flags(p).Parse({"--model", "m", "--timeout=1m30s", "--protocol", "openai",
                                      "--fallback=rules", "--concurrency", "+8", "--rate=0.5",
                                      "--stats"});
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(p.model, "m");
  EXPECT_EQ(p.timeout, 90s);
  EXPECT_EQ(p.protocol, Protocol::kOpenAI);
  EXPECT_EQ(p.fallback, FallbackMode::kRules);
  EXPECT_EQ(p.concurrency, 8);
  EXPECT_DOUBLE_EQ(p.rate, 0.5);
  EXPECT_TRUE(p.stats);
}

TEST(FlagSetTest, CollectsPositionalArgumentsWhenAllowed) {
  Parsed p;
  const auto parsed = Flags(p).Parse({"a.json", "-", "--stats", "--", "--model"}, true);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, (std::vector<std::string>{"a.json", "-", "--model"}));
  EXPECT_FALSE(p.model.has_value());
}

TEST(FlagSetTest, RefusesPositionalArgumentsOtherwise) {
  Parsed p;
  const auto parsed = Flags(p).Parse({"extra"});
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().message, "unexpected argument 'extra'");
}

TEST(FlagSetTest, UnknownFlagIsNamed) {
  EXPECT_EQ(ErrorOf({"--nope=1"}), "unknown option --nope");
  EXPECT_EQ(ErrorOf({"-x"}), "unknown option -x");
}

TEST(FlagSetTest, MissingValueAndValueOnASwitchAreErrors) {
  EXPECT_EQ(ErrorOf({"--model"}), "--model: missing value");
  EXPECT_EQ(ErrorOf({"--stats=yes"}), "--stats: takes no value");
}

TEST(FlagSetTest, DurationsFollowTheEnvironmentRule) {
  EXPECT_EQ(ErrorOf({"--timeout", "1500us"}), "--timeout: '1500us' has sub-millisecond precision");
  EXPECT_EQ(ErrorOf({"--timeout", "-1s"}), "--timeout: '-1s' must not be negative");
  EXPECT_EQ(ErrorOf({"--timeout", "abc"}).rfind("--timeout: 'abc' is not a duration", 0), 0u);
}

TEST(FlagSetTest, BadValuesNameTheFlagAndTheRule) {
  EXPECT_EQ(ErrorOf({"--concurrency", "0"}), "--concurrency: '0' is not in 1..256");
  EXPECT_EQ(ErrorOf({"--concurrency", "x"}), "--concurrency: 'x' is not an integer");
  EXPECT_EQ(ErrorOf({"--protocol", "grpc"}), "--protocol: 'grpc' must be proxy or openai");
  EXPECT_EQ(ErrorOf({"--fallback=maybe"}), "--fallback: 'maybe' must be none or rules");
  EXPECT_EQ(ErrorOf({"--rate", "2"}), "--rate: '2' is not in 0..1");
  EXPECT_EQ(ErrorOf({"--rate", "nan"}), "--rate: 'nan' is not a number");
}

TEST(FlagSetTest, CustomValueParserReportsItsProblem) {
  FlagSet flags;
  std::string seen;
  flags.Value("--format", [&](std::string_view value) -> std::optional<std::string> {
    if (value != "table") return "is not table";
    seen = value;
    return std::nullopt;
  });
  EXPECT_TRUE(flags.Parse({"--format=table"}).has_value());
  EXPECT_EQ(seen, "table");
  EXPECT_EQ(flags.Parse({"--format", "xml"}).error().message, "--format: 'xml' is not table");
}

TEST(FlagSetTest, ParsePortAcceptsZeroTo65535) {
  int port = -1;
  EXPECT_FALSE(ParsePort("0", &port).has_value());
  EXPECT_EQ(port, 0);
  EXPECT_FALSE(ParsePort("65535", &port).has_value());
  EXPECT_EQ(port, 65535);
  EXPECT_EQ(ParsePort("65536", &port), "is not in 0..65535");
  EXPECT_EQ(ParsePort("http", &port), "is not an integer");
}

}  // namespace
}  // namespace alertllm::apps
