// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace alertllm::detail {

/// The pieces of a URL that may hold secrets, as views into it: "https://user:pw@host/p?k=v#f"
/// has scheme "https://", userinfo "user:pw", rest "host/p", query "k=v", fragment "f". A
/// has_* flag tells an empty part ("https://@host") from a missing one.
///
/// Pure; thread-safe; the views live as long as the URL they were split from.
struct UrlSecretParts {
  std::string_view scheme;    // up to and including "://"; empty if the URL has none
  std::string_view userinfo;  // before the authority's last '@'
  std::string_view rest;      // host, port and path
  std::string_view query;     // after '?', up to '#'
  std::string_view fragment;  // after '#'
  bool has_userinfo = false;
  bool has_query = false;
  bool has_fragment = false;
};

inline UrlSecretParts SplitUrlSecrets(std::string_view url) {
  UrlSecretParts parts;
  const std::size_t hash = url.find('#');
  if (hash != std::string_view::npos) {
    parts.has_fragment = true;
    parts.fragment = url.substr(hash + 1);
    url = url.substr(0, hash);
  }
  const std::size_t question = url.find('?');
  if (question != std::string_view::npos) {
    parts.has_query = true;
    parts.query = url.substr(question + 1);
    url = url.substr(0, question);
  }
  const std::size_t scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    parts.scheme = url.substr(0, scheme_end + 3);
    url = url.substr(scheme_end + 3);
  }
  const std::size_t authority_end = url.find('/');
  const std::size_t at = url.substr(0, authority_end).rfind('@');
  if (at != std::string_view::npos) {
    parts.has_userinfo = true;
    parts.userinfo = url.substr(0, at);
    url = url.substr(at + 1);
  }
  parts.rest = url;
  return parts;
}

/// Calls `visit(name, value, has_eq)` for each '&'-separated parameter of `query` (the part
/// after '?'), empty ones included: "a=1&b" visits ("a", "1", true) and ("", "b", false).
template <typename Visit>
void ForEachQueryParam(std::string_view query, Visit&& visit) {
  constexpr std::size_t npos = std::string_view::npos;
  for (std::size_t start = 0;;) {
    const std::size_t amp = query.find('&', start);
    const std::string_view param = query.substr(start, amp == npos ? npos : amp - start);
    const std::size_t eq = param.find('=');
    if (eq == npos) {
      visit(std::string_view(), param, false);
    } else {
      visit(param.substr(0, eq), param.substr(eq + 1), true);
    }
    if (amp == npos) return;
    start = amp + 1;
  }
}

/// `url` as a log line may show it: the user-info, every query value and the fragment
/// replaced by "***", so "https://user:pw@host/v1?key=abc&x" reads
/// "https://***:***@host/v1?key=***&***". Host, port, path and query names stay readable.
///
/// Pure; thread-safe; allocates the result.
inline std::string MaskUrl(std::string_view url) {
  const UrlSecretParts parts = SplitUrlSecrets(url);
  std::string out(parts.scheme);
  if (parts.has_userinfo) {
    out += parts.userinfo.find(':') == std::string_view::npos ? "***@" : "***:***@";
  }
  out += parts.rest;
  if (parts.has_query) {
    out += '?';
    bool first = true;
    ForEachQueryParam(parts.query, [&](std::string_view name, std::string_view value, bool has_eq) {
      if (!first) out += '&';
      first = false;
      if (has_eq) {
        out.append(name) += "=***";
      } else if (!value.empty()) {
        out += "***";  // a bare value ("?SECRET") may be the credential itself
      }
    });
  }
  if (parts.has_fragment) out += "#***";
  return out;
}

}  // namespace alertllm::detail
