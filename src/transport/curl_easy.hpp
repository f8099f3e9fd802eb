// SPDX-License-Identifier: Apache-2.0
#pragma once

// The libcurl pieces of CurlTransport (curl_transport.cpp): RAII handles, what one transfer's
// callbacks write into, the easy-handle set-up (curl_easy_setup.cpp) and the mapping of a
// failed transfer to an Error (curl_error_map.cpp).
#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alertllm/curl_transport.hpp"
#include "alertllm/result.hpp"

namespace alertllm::internal {

// Longest piece of curl's error text (or of anything else untrusted) quoted in a message.
inline constexpr std::size_t kMaxQuotedBytes = 160;
// Response headers of one attempt, all blocks together. libcurl 7.88 bounds a single header
// line (100 KiB) but not their number; this bounds the total.
inline constexpr std::size_t kMaxHeaderBytes = 256 * 1024;

/// curl_global_init() once per process, on first call; its code on every call. libcurl's global
/// state is never torn down. Thread-safe.
CURLcode EnsureCurlGlobalInit();

struct EasyDeleter {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
struct MultiDeleter {
  void operator()(CURLM* handle) const noexcept { curl_multi_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

/// A curl_slist built by appending; an allocation failure is remembered, not thrown.
class HeaderList {
 public:
  bool Append(const std::string& line) noexcept {
    curl_slist* next = curl_slist_append(list_.get(), line.c_str());
    if (next == nullptr) return false;
    if (list_ == nullptr) list_.reset(next);
    return true;
  }
  curl_slist* get() const noexcept { return list_.get(); }

 private:
  SlistPtr list_;
};

/// The multi handle owns the connection cache that makes keep-alive work (the easy handle only
/// borrows it while it is added), so the two are pooled together. Members are destroyed in
/// reverse order: the easy handle before the multi handle that it was used with.
struct PooledHandle {
  MultiPtr multi;
  EasyPtr easy;
};

/// What the callbacks of one transfer write into; lives on Send()'s stack, or in the transfer
/// object of a LoopTransport::Start().
struct TransferState {
  std::size_t max_body_bytes = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t header_bytes = 0;
  // The final response's Content-Length, 0 if none: the body is allocated once when it is known.
  std::uint64_t declared_length = 0;
  bool body_over_cap = false;
  bool headers_over_cap = false;
  bool out_of_memory = false;
};

/// Where a finished transfer's CURLcode lands. Kept separate from the mapping so the mapping is
/// one table in one place.
struct Outcome {
  CURLcode code = CURLE_OK;
  bool cancelled = false;
  const TransferState* state = nullptr;
  std::string_view curl_message;  // curl's error buffer, or curl_easy_strerror()
  int http_status = 0;
};

/// Maps every CURLcode that can end a transfer to the ErrorCode the Transport contract names.
Error MapCurlError(const Outcome& outcome);

/// Checks the URL with libcurl's own parser before anything is sent, so that a bad URL is told
/// apart from a server that answers something other than HTTP.
std::optional<Error> CheckUrl(const std::string& url);

/// The request's headers as libcurl takes them, plus the ones that turn libcurl's own off.
/// kInvalidRequest for a header with a line break or colon in its name.
Result<void> BuildHeaderList(const HttpRequest& request, HeaderList& headers);

/// Everything one transfer sets on a reset easy handle; the pointers must outlive the transfer.
struct EasySetup {
  const HttpRequest* request = nullptr;
  const CurlTransportOptions* options = nullptr;
  const HeaderList* headers = nullptr;
  CURLSH* share = nullptr;  // may be null
  TransferState* state = nullptr;
  char* error_buffer = nullptr;  // CURL_ERROR_SIZE bytes
};

/// Sets the options of one transfer on `easy`; the first failing curl_easy_setopt's code.
CURLcode ConfigureEasy(CURL* easy, const EasySetup& setup);

}  // namespace alertllm::internal
