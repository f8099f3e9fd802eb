// SPDX-License-Identifier: Apache-2.0
#pragma once

// ConfigFromEnv() over a map instead of the process environment, for the env tests.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "alertllm/env.hpp"

namespace alertllm::test {

/// Variable name -> value; an absent name is unset.
using Vars = std::map<std::string, std::string, std::less<>>;

/// ConfigFromEnv() reading `vars`.
inline Result<Config> FromVars(Vars vars) {
  return ConfigFromEnv(
      [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
      });
}

/// The error message of a lookup that must fail (kInvalidConfig), or a test failure.
inline std::string ErrorOf(Vars vars) {
  const Result<Config> result = FromVars(std::move(vars));
  if (result.has_value()) {
    ADD_FAILURE() << "expected an error";
    return {};
  }
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidConfig);
  return result.error().message;
}

}  // namespace alertllm::test
