// SPDX-License-Identifier: Apache-2.0
// The LLM_REDACT* variables of ConfigFromEnv: defaults, parsing, the patterns file, and the
// errors that name the variable (and the file, line and pattern) at fault.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alertllm/config.hpp"
#include "alertllm/env.hpp"
#include "support/env_vars.hpp"

namespace alertllm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using test::ErrorOf;
using test::FromVars;
using test::Vars;

// A file of `text` in the temporary directory, removed when the test ends.
class PatternsFile {
 public:
  explicit PatternsFile(const std::string& text)
      : path_(std::filesystem::temp_directory_path() /
              ("alertllm_redact_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~PatternsFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(RedactionEnvTest, DefaultsAreOnWithTheBuiltinRulesAndNothingElse) {
  const Result<Config> config = FromVars({});
  ASSERT_TRUE(config.has_value());
  EXPECT_TRUE(config->redaction.enabled);
  EXPECT_TRUE(config->redaction.builtin_rules);
  EXPECT_TRUE(config->redaction.keys.empty());
  EXPECT_TRUE(config->redaction.patterns.empty());
}

TEST(RedactionEnvTest, SwitchesTurnRedactionAndTheBuiltinRulesOff) {
  const Result<Config> config =
      FromVars({{"LLM_REDACTION_ENABLED", "false"}, {"LLM_REDACT_BUILTIN_RULES", "0"}});
  ASSERT_TRUE(config.has_value());
  EXPECT_FALSE(config->redaction.enabled);
  EXPECT_FALSE(config->redaction.builtin_rules);
}

TEST(RedactionEnvTest, ABadSwitchNamesItsVariable) {
  EXPECT_THAT(ErrorOf({{"LLM_REDACTION_ENABLED", "maybe"}}),
              HasSubstr("LLM_REDACTION_ENABLED: 'maybe' is not a boolean"));
}

TEST(RedactionEnvTest, KeysAreCommaSeparatedAndTrimmed) {
  const Result<Config> config = FromVars({{"LLM_REDACT_KEYS", " db_dsn, password_hash ,x"}});
  ASSERT_TRUE(config.has_value());
  EXPECT_THAT(config->redaction.keys, ElementsAre("db_dsn", "password_hash", "x"));
}

TEST(RedactionEnvTest, AnEmptyKeyIsAnError) {
  EXPECT_THAT(ErrorOf({{"LLM_REDACT_KEYS", "a,,b"}}),
              HasSubstr("LLM_REDACT_KEYS: 'a,,b' has an empty name"));
}

TEST(RedactionEnvTest, PatternsAreOnePerLine) {
  const Result<Config> config =
      FromVars({{"LLM_REDACT_PATTERNS", "cust-[0-9]{6}\r\n\n  \n(?i)internal-only\n"}});
  ASSERT_TRUE(config.has_value());
  EXPECT_THAT(config->redaction.patterns, ElementsAre("cust-[0-9]{6}", "(?i)internal-only"));
}

TEST(RedactionEnvTest, AnInvalidPatternNamesTheVariableLineAndPattern) {
  const std::string error = ErrorOf({{"LLM_REDACT_PATTERNS", "ok\nab(c"}});
  EXPECT_THAT(error, HasSubstr("LLM_REDACT_PATTERNS: "));
  EXPECT_THAT(error, HasSubstr("line 2: 'ab(c' is not a valid RE2 pattern (missing )"));
}

TEST(RedactionEnvTest, TheFileSkipsCommentsAndBlankLinesAndAddsToTheVariable) {
  const PatternsFile file("# customer ids\ncust-[0-9]{6}\n\n   # indented comment\nbadge-\\d+\n");
  const Result<Config> config =
      FromVars({{"LLM_REDACT_PATTERNS", "first"}, {"LLM_REDACT_PATTERNS_FILE", file.path()}});
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_THAT(config->redaction.patterns, ElementsAre("first", "cust-[0-9]{6}", "badge-\\d+"));
}

TEST(RedactionEnvTest, AnUnreadableFileNamesTheVariableAndPath) {
  const std::string path = "/nonexistent/alertllm/patterns.txt";
  const std::string error = ErrorOf({{"LLM_REDACT_PATTERNS_FILE", path}});
  EXPECT_THAT(error, HasSubstr("LLM_REDACT_PATTERNS_FILE: '" + path + "' cannot be read"));
}

TEST(RedactionEnvTest, AnInvalidPatternInTheFileNamesTheFileAndLine) {
  const PatternsFile file("# ok\nfine\n[z-a]\n");
  const std::string error = ErrorOf({{"LLM_REDACT_PATTERNS_FILE", file.path()}});
  EXPECT_THAT(error, HasSubstr("LLM_REDACT_PATTERNS_FILE: '"));
  EXPECT_THAT(error, HasSubstr("line 3: '[z-a]' is not a valid RE2 pattern"));
}

TEST(RedactionEnvTest, EnvVariablesListsTheRedactionVariables) {
  const std::vector<EnvVariable> vars = EnvVariables();
  ASSERT_GE(vars.size(), 5u);
  std::vector<std::string_view> names;
  for (const EnvVariable& var : vars) names.push_back(var.name);
  const std::set<std::string_view> all(names.begin(), names.end());
  for (const char* name : {"LLM_REDACTION_ENABLED", "LLM_REDACT_BUILTIN_RULES", "LLM_REDACT_KEYS",
                           "LLM_REDACT_PATTERNS", "LLM_REDACT_PATTERNS_FILE"}) {
    EXPECT_EQ(all.count(name), 1u) << name;
  }
}

}  // namespace
}  // namespace alertllm
