// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/env_parsers.hpp"

// The parsers of the LLM_REDACT_* variables (env.cpp), in env_parsers.hpp's shape: each returns
// the words that follow the quoted value, or nothing.
namespace alertllm::internal {

/// "a,b,c": names separated by commas, each trimmed of spaces; an empty one is a problem.
/// Replaces `field`.
Problem SetNameList(std::string_view text, std::vector<std::string>& field);

/// Patterns one per line (a trailing CR dropped, blank lines skipped), each checked with RE2;
/// appended to `field`. The problem names the line, the pattern and RE2's error.
Problem AddPatterns(std::string_view text, std::vector<std::string>& field);

/// As AddPatterns, from the file at `path`, where lines whose first non-blank character is '#'
/// are comments. The problem says why the file cannot be read.
Problem AddPatternsFile(std::string_view path, std::vector<std::string>& field);

}  // namespace alertllm::internal
