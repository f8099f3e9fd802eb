// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string_view>

namespace alertllm::detail {

// The project's one set of ASCII string helpers (std-only, so the header-only core can use
// them). Pure; thread-safe.

constexpr bool IsDigit(char c) noexcept { return c >= '0' && c <= '9'; }

/// True if `s` is non-empty and every byte is an ASCII digit.
constexpr bool AllDigits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

constexpr char ToLowerAscii(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ASCII case-insensitive equality (header names, flag and env values).
constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) return false;
  }
  return true;
}

/// `s` without leading and trailing spaces and tabs (RFC 9110 optional white space).
constexpr std::string_view TrimOws(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// `s` without leading and trailing spaces, tabs, CRs and LFs.
constexpr std::string_view TrimSpace(std::string_view s) noexcept {
  constexpr std::string_view kSpace = " \t\r\n";
  while (!s.empty() && kSpace.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  while (!s.empty() && kSpace.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return s;
}

/// RFC 9110 token characters, the only ones allowed in a header name.
constexpr bool IsTokenChar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// True if `s` is a non-empty RFC 9110 token.
constexpr bool IsToken(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

/// True if `s` holds an ASCII control character other than tab (or DEL).
constexpr bool HasControlChar(std::string_view s) noexcept {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

}  // namespace alertllm::detail
