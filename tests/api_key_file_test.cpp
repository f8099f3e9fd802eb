// SPDX-License-Identifier: Apache-2.0
// LLM_API_KEY_FILE (issue 11 item 4): the key read from a file once, at start, as Kubernetes
// and Docker mount secrets; every way the file can be wrong is a config error that names the
// variable and the path, and never the key.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "alertllm/env.hpp"
#include "support/env_vars.hpp"

namespace alertllm {
namespace {

namespace fs = std::filesystem;

using test::FromVars;
using test::Vars;

constexpr std::string_view kKey = "sk-FILESECRET-4242";

class ApiKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Short: an error quotes the path clipped to 64 bytes, and the tests look for all of it.
    static int next = 0;
    dir_ = fs::temp_directory_path() /
           ("alertllm_key_" + std::to_string(::getpid()) + "_" + std::to_string(next++));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A file in the test's directory holding exactly `content`; its path.
  std::string File(std::string_view content) const {
    const fs::path path = dir_ / "api_key";
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  // The error of a config that must fail, checked to name the variable and never the key.
  static std::string ErrorOf(Vars vars) {
    const Result<Config> result = FromVars(std::move(vars));
    if (result.has_value()) {
      ADD_FAILURE() << "expected a config error";
      return {};
    }
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidConfig);
    EXPECT_NE(result.error().message.find("LLM_API_KEY_FILE"), std::string::npos)
        << result.error().message;
    EXPECT_EQ(result.error().message.find(kKey.substr(0, 8)), std::string::npos)
        << result.error().message;
    return result.error().message;
  }

  fs::path dir_;
};

TEST_F(ApiKeyFileTest, KeyIsReadWithItsTrailingNewlineTrimmed) {
  const Result<Config> config = FromVars({{"LLM_API_KEY_FILE", File(std::string(kKey) + "\n")}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->api_key, kKey);
}

TEST_F(ApiKeyFileTest, CrLfAndTrailingWhiteSpaceAreTrimmed) {
  const Result<Config> config =
      FromVars({{"LLM_API_KEY_FILE", File(std::string(kKey) + " \t\r\n")}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->api_key, kKey);
}

TEST_F(ApiKeyFileTest, EmptyFileIsAnErrorNamingThePath) {
  const std::string path = File("");
  const std::string message = ErrorOf({{"LLM_API_KEY_FILE", path}});
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("is empty"), std::string::npos) << message;
}

TEST_F(ApiKeyFileTest, FileOfOnlyANewlineIsEmpty) {
  EXPECT_NE(ErrorOf({{"LLM_API_KEY_FILE", File("\r\n")}}).find("is empty"), std::string::npos);
}

TEST_F(ApiKeyFileTest, MissingFileIsAnErrorNamingThePathAndTheReason) {
  const std::string path = (dir_ / "no_such_file").string();
  const std::string message = ErrorOf({{"LLM_API_KEY_FILE", path}});
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("cannot be read: No such file or directory"), std::string::npos)
      << message;
}

TEST_F(ApiKeyFileTest, DirectoryIsAnError) {
  const std::string message = ErrorOf({{"LLM_API_KEY_FILE", dir_.string()}});
  EXPECT_NE(message.find("cannot be read: Is a directory"), std::string::npos) << message;
}

TEST_F(ApiKeyFileTest, BothVariablesSetIsAnError) {
  const std::string message =
      ErrorOf({{"LLM_API_KEY", std::string(kKey)}, {"LLM_API_KEY_FILE", File("other-key\n")}});
  EXPECT_NE(message.find("conflicts with LLM_API_KEY"), std::string::npos) << message;
}

TEST_F(ApiKeyFileTest, EmptyLlmApiKeyCountsAsUnset) {
  const Result<Config> config =
      FromVars({{"LLM_API_KEY", ""}, {"LLM_API_KEY_FILE", File(std::string(kKey))}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->api_key, kKey);
}

TEST_F(ApiKeyFileTest, KeyValidateRefusesIsReportedByThePathNotTheKey) {
  const std::string message =
      ErrorOf({{"LLM_API_KEY_FILE", File(std::string(kKey) + "\nsecond line\n")}});
  EXPECT_NE(message.find("must not contain control characters"), std::string::npos) << message;
}

TEST_F(ApiKeyFileTest, KeyNeverAppearsInAnotherVariablesError) {
  const std::string path = File(std::string(kKey) + "\n");
  const Result<Config> result =
      FromVars({{"LLM_API_KEY_FILE", path}, {"LLM_TIMEOUT", "abc"}, {"LLM_MAX_RETRIES", "-1"}});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message.find(kKey.substr(0, 8)), std::string::npos)
      << result.error().message;
}

TEST(ApiKeyFileVariableTest, ListedRightAfterLlmApiKey) {
  const std::vector<EnvVariable> vars = EnvVariables();
  std::size_t key = vars.size();
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (vars[i].name == "LLM_API_KEY") key = i;
  }
  ASSERT_LT(key + 1, vars.size());
  EXPECT_EQ(vars[key + 1].name, "LLM_API_KEY_FILE");
  EXPECT_EQ(vars[key + 1].default_value, "(none)");
}

}  // namespace
}  // namespace alertllm
