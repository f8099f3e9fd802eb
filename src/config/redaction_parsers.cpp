// SPDX-License-Identifier: Apache-2.0
#include "config/redaction_parsers.hpp"

#include <iterator>

#include "alertllm/detail/read_file.hpp"
#include "alertllm/detail/redaction_pattern.hpp"
#include "util/text.hpp"

namespace alertllm::internal {
namespace {

// A patterns file is a short list; anything this large is the wrong file.
constexpr std::size_t kMaxPatternsFileBytes = 1024 * 1024;

Problem AddLines(std::string_view text, bool comments, std::vector<std::string>& field) {
  std::vector<std::string> added;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    const std::string_view trimmed = Trim(line);
    if (trimmed.empty() || (comments && trimmed.front() == '#')) continue;
    if (std::string error = detail::RedactionPatternError(line); !error.empty()) {
      return "line " + std::to_string(line_number) + ": " + Quote(line) +
             " is not a valid RE2 pattern (" + Clip(error) + ")";
    }
    added.emplace_back(line);
  }
  field.insert(field.end(), std::make_move_iterator(added.begin()),
               std::make_move_iterator(added.end()));
  return std::nullopt;
}

}  // namespace

Problem SetNameList(std::string_view text, std::vector<std::string>& field) {
  std::vector<std::string> names;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view name = Trim(text.substr(0, comma));
    if (name.empty()) return "has an empty name (names are separated by commas)";
    names.emplace_back(name);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  field = std::move(names);
  return std::nullopt;
}

Problem AddPatterns(std::string_view text, std::vector<std::string>& field) {
  return AddLines(text, false, field);
}

Problem AddPatternsFile(std::string_view path, std::vector<std::string>& field) {
  std::string text;
  if (Problem unreadable = detail::ReadSmallFile(path, kMaxPatternsFileBytes, "1 MiB", text)) {
    return unreadable;
  }
  return AddLines(text, true, field);
}

}  // namespace alertllm::internal
