// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alertllm/result.hpp"

// The value parsers of ConfigFromEnv (env.cpp) and of the public ParseConfig* functions.

namespace alertllm::internal {

/// Value setters: each parses `text` into one field, or returns what is wrong with it as the
/// words that follow the quoted value ("is not an integer"). A secret's problem never contains
/// the value.
using Problem = std::optional<std::string>;

Problem SetString(std::string_view text, std::string& field);
/// The content of the file at `path`, read once, without surrounding white space (the newline
/// a secret mount or `echo` leaves). A file that cannot be read (missing, a directory, no
/// permission), is empty (or only white space) or is over 64 KiB is a problem, which names
/// the reason, never the content.
Problem SetSecretFromFile(std::string_view path, std::string& field);
/// A decimal int, an optional '+'.
Problem SetInt(std::string_view text, int& field);
/// A finite decimal number, an optional '+'.
Problem SetNumber(std::string_view text, double& field);
/// true/false (ASCII case-insensitive) or 1/0.
Problem SetBool(std::string_view text, bool& field);
/// A Go duration, not negative, in whole milliseconds: a finer value is refused ("has
/// sub-millisecond precision"), never rounded, so that "1500us" does not silently become 1ms
/// or 2ms.
Problem SetDuration(std::string_view text, std::chrono::milliseconds& field);
/// A Go duration, not negative, in whole seconds ("15m", "90s"); a finer value is refused.
Problem SetSeconds(std::string_view text, std::chrono::seconds& field);
/// A count: a decimal integer >= 0, an optional '+'.
Problem SetCount(std::string_view text, std::size_t& field);
/// Bytes as a plain integer ("1048576") or an integer with a binary (KiB, MiB, GiB: 1024^n) or
/// decimal (KB, MB, GB: 1000^n) suffix, case-sensitive, no space, no fraction.
Problem SetByteSize(std::string_view text, std::size_t& field);
/// "Name=Value,Name2=Value2" (see env_parsers.cpp); never quotes a header.
Problem SetExtraHeaders(std::string_view text,
                        std::vector<std::pair<std::string, std::string>>& field);

/// Sets `field` from one of the ToString() names of its enum, through the public parser.
template <typename Enum>
Problem SetEnum(Result<Enum> (*parse)(std::string_view), std::string_view text, Enum& field) {
  Result<Enum> parsed = parse(text);
  if (!parsed) return std::move(parsed.error().message);
  field = *parsed;
  return std::nullopt;
}

}  // namespace alertllm::internal
