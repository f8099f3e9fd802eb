// SPDX-License-Identifier: Apache-2.0
#include "util/text.hpp"

#include <algorithm>

namespace alertllm::internal {

std::string ShortJsonReason(std::string_view what) {
  if (const auto bracket = what.find("] "); bracket != std::string_view::npos) {
    what.remove_prefix(bracket + 2);
  }
  if (what.substr(0, 11) == "parse error") {
    if (const auto colon = what.find(": "); colon != std::string_view::npos) {
      what.remove_prefix(colon + 2);
    }
  }
  if (const auto last_read = what.find("; last read"); last_read != std::string_view::npos) {
    what = what.substr(0, last_read);
  }
  return Clip(what, 128);
}

std::optional<std::string> CheckJsonStructure(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\0') return "malformed JSON at byte " + std::to_string(i + 1) + ": NUL byte";
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return "JSON nested deeper than " + std::to_string(max_depth) + " levels at byte " +
               std::to_string(i + 1);
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

}  // namespace alertllm::internal
