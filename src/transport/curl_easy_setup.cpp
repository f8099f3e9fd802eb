// SPDX-License-Identifier: Apache-2.0
// One transfer's easy-handle set-up: the request's options, the header list, and the callbacks
// that read the response into a TransferState.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "alertllm/detail/strings.hpp"
#include "transport/curl_easy.hpp"
#include "util/text.hpp"

namespace alertllm::internal {

namespace {

using detail::EqualsIgnoreCase;

struct UrlDeleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;

char Lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Reserves room for `extra` more bytes without ever giving the body a capacity above the cap.
// libstdc++ and libc++ round a reserve() between the old capacity and twice it up to twice it,
// so a plain append, or a reserve(cap) from above cap/2, could allocate up to twice the cap.
// Capacities therefore stay at most cap/2 until they jump straight to the cap.
void GrowBody(TransferState& state, std::size_t extra) {
  std::string& body = state.body;
  const std::size_t needed = body.size() + extra;
  if (needed <= body.capacity()) return;
  std::size_t target = std::max(needed, body.capacity() * 2);
  if (state.declared_length > needed && state.declared_length <= state.max_body_bytes) {
    target = std::max(target, static_cast<std::size_t>(state.declared_length));
  }
  if (target > state.max_body_bytes / 2) target = state.max_body_bytes;
  body.reserve(target);
}

std::size_t WriteBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto& state = *static_cast<TransferState*>(user);
  const std::size_t bytes = size * count;
  if (bytes > state.max_body_bytes - state.body.size()) {
    state.body_over_cap = true;
    return CURL_WRITEFUNC_ERROR;
  }
  try {
    GrowBody(state, bytes);
    state.body.append(data, bytes);
  } catch (...) {
    state.out_of_memory = true;
    return CURL_WRITEFUNC_ERROR;
  }
  return bytes;
}

// The declared length of a body, if `value` is a plain decimal Content-Length.
std::optional<std::uint64_t> ParseContentLength(std::string_view value) noexcept {
  std::uint64_t length = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
  if (error != std::errc() || end != value.data() + value.size()) return std::nullopt;
  return length;
}

// Called once per header line, status lines and the empty line ending each block included.
std::size_t WriteHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto& state = *static_cast<TransferState*>(user);
  const std::size_t bytes = size * count;
  state.header_bytes += bytes;
  if (state.header_bytes > kMaxHeaderBytes) {
    state.headers_over_cap = true;
    return CURL_WRITEFUNC_ERROR;
  }
  try {
    const std::string_view line(data, bytes);
    if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
      // A new status line: 100-continue or another interim response came before; only the
      // headers of the last block describe the response.
      state.headers.clear();
      state.declared_length = 0;
      return bytes;
    }
    if (line.empty() || line.front() == ' ' || line.front() == '\t') {
      // obs-fold continuation (RFC 9112 §5.2): part of the previous value.
      const std::string_view more = Trim(line);
      if (!more.empty() && !state.headers.empty()) {
        std::string& value = state.headers.back().second;
        if (!value.empty()) value += ' ';
        value.append(more);
      }
      return bytes;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return bytes;  // the empty line ending the block
    std::string name(Trim(line.substr(0, colon)));
    for (char& c : name) c = Lower(c);
    const std::string_view value = Trim(line.substr(colon + 1));
    if (name == "content-length") {
      // Refuse a body announced too large before any of it is read.
      const auto length = ParseContentLength(value);
      if (length && *length > state.max_body_bytes) {
        state.body_over_cap = true;
        return CURL_WRITEFUNC_ERROR;
      }
      state.declared_length = length.value_or(0);
    }
    state.headers.emplace_back(std::move(name), std::string(value));
  } catch (...) {
    state.out_of_memory = true;
    return CURL_WRITEFUNC_ERROR;
  }
  return bytes;
}

bool HasLineBreak(std::string_view text) noexcept {
  return text.find_first_of("\r\n") != std::string_view::npos || text.find('\0') != text.npos;
}

}  // namespace

// Checks the URL with libcurl's own parser before anything is sent, so that a bad URL is told
// apart from a server that answers something other than HTTP.
std::optional<Error> CheckUrl(const std::string& url) {
  UrlPtr parsed(curl_url());
  if (parsed == nullptr) return Error{ErrorCode::kUnknown, "libcurl out of memory"};
  if (const CURLUcode code = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0);
      code != CURLUE_OK) {
    // The URL itself stays out of the message: it may carry credentials or an API key.
    return Error{ErrorCode::kInvalidRequest,
                 std::string("invalid URL: ") + curl_url_strerror(code)};
  }
  char* scheme = nullptr;
  if (curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK || scheme == nullptr) {
    return Error{ErrorCode::kInvalidRequest, "invalid URL: no scheme"};
  }
  const std::string_view view(scheme);
  const bool http = view == "http" || view == "https";
  std::string message;
  if (!http) message = "unsupported URL scheme '" + Clip(view, 16) + "' (only http and https)";
  curl_free(scheme);
  if (!http) return Error{ErrorCode::kInvalidRequest, std::move(message)};
  return std::nullopt;
}

Result<void> BuildHeaderList(const HttpRequest& request, HeaderList& headers) {
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
        name.find(':') != std::string::npos) {
      return Error{ErrorCode::kInvalidRequest,
                   "invalid request header name or value (header '" + Clip(name, 32) + "')"};
    }
    has_content_type = has_content_type || EqualsIgnoreCase(name, "content-type");
    // "Name:" would tell libcurl to remove the header; "Name;" sends it with no value.
    if (!headers.Append(value.empty() ? name + ";" : name + ": " + value)) {
      return Error{ErrorCode::kUnknown, "libcurl out of memory"};
    }
  }
  // No 1 s wait for "100 Continue" before a large body, and no invented form content type.
  if (!headers.Append("Expect:") || (!has_content_type && !headers.Append("Content-Type:"))) {
    return Error{ErrorCode::kUnknown, "libcurl out of memory"};
  }
  return {};
}

CURLcode ConfigureEasy(CURL* easy, const EasySetup& setup) {
  const HttpRequest& request = *setup.request;
  const CurlTransportOptions& options = *setup.options;
  const long timeout_ms = static_cast<long>(request.timeout.count());
  const long connect_timeout_ms =
      request.connect_timeout > std::chrono::milliseconds::zero()
          ? static_cast<long>(std::min(request.connect_timeout, request.timeout).count())
          : 0L;  // 0: no separate connect bound; the attempt timeout still covers it

  CURLcode set = CURLE_OK;
  const auto setopt = [&](CURLoption option, auto value) {
    if (set == CURLE_OK) set = curl_easy_setopt(easy, option, value);
  };
  setopt(CURLOPT_ERRORBUFFER, setup.error_buffer);
  setopt(CURLOPT_URL, request.url.c_str());
  setopt(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0 deprecates the bitmask form
  setopt(CURLOPT_PROTOCOLS_STR, "http,https");
#else
  setopt(CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  setopt(CURLOPT_FOLLOWLOCATION, 0L);
  setopt(CURLOPT_TIMEOUT_MS, timeout_ms);
  setopt(CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
  setopt(CURLOPT_SSL_VERIFYPEER, options.tls_verify ? 1L : 0L);
  setopt(CURLOPT_SSL_VERIFYHOST, options.tls_verify ? 2L : 0L);
  if (!options.ca_file.empty()) setopt(CURLOPT_CAINFO, options.ca_file.c_str());
  if (!options.user_agent.empty()) setopt(CURLOPT_USERAGENT, options.user_agent.c_str());
  if (setup.share != nullptr) setopt(CURLOPT_SHARE, setup.share);
  setopt(CURLOPT_HTTPHEADER, setup.headers->get());
  if (request.method == "POST") {
    setopt(CURLOPT_POST, 1L);
    // Not COPYPOSTFIELDS: the request outlives the transfer, so libcurl reads our bytes as
    // they are, NULs included, with the size given.
    setopt(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    setopt(CURLOPT_POSTFIELDS, request.body.data());
  } else {
    setopt(CURLOPT_HTTPGET, 1L);
  }
  setopt(CURLOPT_WRITEFUNCTION, &WriteBody);
  setopt(CURLOPT_WRITEDATA, static_cast<void*>(setup.state));
  setopt(CURLOPT_HEADERFUNCTION, &WriteHeader);
  setopt(CURLOPT_HEADERDATA, static_cast<void*>(setup.state));
  return set;
}

}  // namespace alertllm::internal
