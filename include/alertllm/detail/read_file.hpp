// SPDX-License-Identifier: Apache-2.0
#pragma once

// The one reader of small configuration files (a key, a token, redaction patterns): read once,
// at most a given size, and why not when it cannot be. Not documented API.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace alertllm::detail {

/// The whole content of the file at `path` into `content`, or why it cannot be had: "cannot be
/// read: <reason>" (missing, no permission, a directory: "Is a directory") or "is larger than
/// <max_name>". The reason never quotes the content.
inline std::optional<std::string> ReadSmallFile(std::string_view path, std::size_t max_bytes,
                                                std::string_view max_name, std::string& content) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(
      std::fopen(std::string(path).c_str(), "rb"), &std::fclose);
  if (!file) return std::string("cannot be read: ") + std::strerror(errno);
  content.clear();
  char chunk[4096];
  std::size_t got = 0;
  while (content.size() <= max_bytes &&
         (got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) {
    content.append(chunk, got);
  }
  // A directory opens on Linux; reading it is what fails (EISDIR).
  if (std::ferror(file.get()) != 0) return std::string("cannot be read: ") + std::strerror(errno);
  if (content.size() > max_bytes) return "is larger than " + std::string(max_name);
  return std::nullopt;
}

}  // namespace alertllm::detail
