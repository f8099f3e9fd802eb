// SPDX-License-Identifier: Apache-2.0
#include "alertllm/curl_transport.hpp"

#include "alertllm/config.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "util/text.hpp"

namespace alertllm {
namespace {

using detail::EqualsIgnoreCase;
using internal::Clip;
using internal::Trim;

// Longest piece of curl's error text (or of anything else untrusted) quoted in a message.
constexpr std::size_t kMaxQuotedBytes = 160;
// Response headers of one attempt, all blocks together. libcurl 7.88 bounds a single header
// line (100 KiB) but not their number; this bounds the total.
constexpr std::size_t kMaxHeaderBytes = 256 * 1024;
// The transfer loop waits in curl_multi_poll for socket activity, libcurl's own timers or a
// curl_multi_wakeup() from the stop callback, whichever comes first. This is only a backstop in
// case a wakeup is ever lost; it does not bound the cancellation latency.
constexpr int kPollBackstopMs = 100;

char Lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

struct CurlGlobal {
  CURLcode code = CURLE_FAILED_INIT;
};

// libcurl's global state is set up once per process and never torn down: a library cannot know
// when the last user in the process is gone, and curl_global_cleanup() is optional.
CURLcode EnsureCurlGlobalInit() {
  static std::once_flag once;
  static CurlGlobal global;
  std::call_once(once, [] { global.code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return global.code;
}

struct EasyDeleter {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
struct MultiDeleter {
  void operator()(CURLM* handle) const noexcept { curl_multi_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;

// A curl_slist built by appending; an allocation failure is remembered, not thrown.
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

// The multi handle owns the connection cache that makes keep-alive work (the easy handle only
// borrows it while it is added), so the two are pooled together. Members are destroyed in
// reverse order: the easy handle before the multi handle that it was used with.
struct PooledHandle {
  MultiPtr multi;
  EasyPtr easy;
};

// What the callbacks of one transfer write into; lives on Send()'s stack.
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

void LockShare(CURL* handle, curl_lock_data data, curl_lock_access access, void* user);
void UnlockShare(CURL* handle, curl_lock_data data, void* user);

// DNS cache and TLS sessions shared by every handle of one transport. libcurl calls the lock
// callbacks from whichever thread runs a transfer; one mutex per kind of data lets a DNS lookup
// and a TLS resumption proceed at the same time. Connections are not shared: each pooled
// handle keeps its own, which is what keep-alive needs, and avoids cross-thread use of one
// connection cache.
class Share {
 public:
  Share() noexcept : share_(curl_share_init()) {
    if (share_ == nullptr) return;
    const bool ok = curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &LockShare) == CURLSHE_OK &&
                    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &UnlockShare) == CURLSHE_OK &&
                    curl_share_setopt(share_, CURLSHOPT_USERDATA, this) == CURLSHE_OK &&
                    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK &&
                    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) ==
                        CURLSHE_OK;
    if (!ok) {
      curl_share_cleanup(share_);
      share_ = nullptr;
    }
  }
  // Every easy handle that used the share must be gone by now (the pool is destroyed first).
  ~Share() {
    if (share_ != nullptr) curl_share_cleanup(share_);
  }
  Share(const Share&) = delete;
  Share& operator=(const Share&) = delete;

  CURLSH* get() const noexcept { return share_; }

  std::mutex& MutexFor(curl_lock_data data) noexcept {
    const auto index = static_cast<std::size_t>(data);
    return mutexes_[index < mutexes_.size() ? index : 0];
  }

 private:
  CURLSH* share_;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes_;
};

void LockShare(CURL*, curl_lock_data data, curl_lock_access, void* user) {
  static_cast<Share*>(user)->MutexFor(data).lock();
}

void UnlockShare(CURL*, curl_lock_data data, void* user) {
  static_cast<Share*>(user)->MutexFor(data).unlock();
}

// Where a finished transfer's CURLcode lands. Kept separate from the mapping so the mapping is
// one table in one place.
struct Outcome {
  CURLcode code = CURLE_OK;
  bool cancelled = false;
  const TransferState* state = nullptr;
  std::string_view curl_message;  // curl's error buffer, or curl_easy_strerror()
  int http_status = 0;
};

// Maps every CURLcode that can end a transfer to the ErrorCode the Transport contract names.
// Codes a well-formed request cannot produce (API misuse, features we never enable) fall
// through to kUnknown; anything on the wire that is not listed is a kNetworkError.
Error MapCurlError(const Outcome& outcome) {
  const TransferState& state = *outcome.state;
  const std::string detail = Clip(outcome.curl_message, kMaxQuotedBytes);
  if (state.body_over_cap) {
    return Error{ErrorCode::kInvalidResponse,
                 "response body over " + std::to_string(state.max_body_bytes) + " bytes",
                 outcome.http_status};
  }
  if (state.headers_over_cap) {
    return Error{ErrorCode::kInvalidResponse,
                 "response headers over " + std::to_string(kMaxHeaderBytes) + " bytes",
                 outcome.http_status};
  }
  if (state.out_of_memory) return Error{ErrorCode::kUnknown, "out of memory reading the response"};
  switch (outcome.code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error{ErrorCode::kTimeout, "timed out: " + detail};

    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_INTERFACE_FAILED:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
    case CURLE_PROXY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
    case CURLE_AGAIN:
      return Error{ErrorCode::kNetworkError, "network error: " + detail};

    // The URL was parsed and its scheme checked before the transfer, so these can only come
    // from the server's answer (an HTTP/0.9 reply is reported as an unsupported protocol).
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_FILESIZE_EXCEEDED:
      return Error{ErrorCode::kInvalidResponse, "not a valid HTTP response: " + detail,
                   outcome.http_status};

    // No progress callback is installed (cancellation removes the handle from the multi
    // instead), so this is only reachable if that ever changes.
    case CURLE_ABORTED_BY_CALLBACK:
      if (outcome.cancelled) return Error{ErrorCode::kCancelled, "cancelled"};
      return Error{ErrorCode::kUnknown, "aborted: " + detail};

    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
      return Error{ErrorCode::kInvalidRequest, "invalid request: " + detail};

    case CURLE_OUT_OF_MEMORY:
      return Error{ErrorCode::kUnknown, "libcurl out of memory"};

    default:
      return Error{ErrorCode::kUnknown, "libcurl error " +
                                            std::to_string(static_cast<int>(outcome.code)) + ": " +
                                            detail};
  }
}

// Checks the URL with libcurl's own parser before anything is sent, so that a bad URL is told
// apart from a server that answers something other than HTTP.
std::optional<Error> CheckUrl(const std::string& url) {
  UrlPtr parsed(curl_url());
  if (parsed == nullptr) return Error{ErrorCode::kUnknown, "libcurl out of memory"};
  if (const CURLUcode code = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0);
      code != CURLUE_OK) {
    // The URL itself stays out of the message: it may carry credentials or an API key.
    return Error{ErrorCode::kInvalidRequest, std::string("invalid URL: ") + curl_url_strerror(code)};
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

bool HasLineBreak(std::string_view text) noexcept {
  return text.find_first_of("\r\n") != std::string_view::npos || text.find('\0') != text.npos;
}

// Thread-safe: concurrent Send() calls each lease a handle of their own; only the idle pool is
// shared, under pool_mutex_, and the CURLSH is guarded by its lock callbacks.
class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(CurlTransportOptions options)
      : options_(std::move(options)), init_code_(EnsureCurlGlobalInit()) {}

  Result<HttpResponse> Send(const HttpRequest& request, std::stop_token stop) override {
    try {
      return SendOrThrow(request, stop);
    } catch (const std::bad_alloc&) {
      return Error{ErrorCode::kUnknown, "out of memory"};
    } catch (const std::exception& e) {
      return Error{ErrorCode::kUnknown, "unexpected exception: " + Clip(e.what(), kMaxQuotedBytes)};
    } catch (...) {
      return Error{ErrorCode::kUnknown, "unexpected exception"};
    }
  }

 private:
  // Returns a handle to the pool when its Send() ends, whatever the path out.
  class Lease {
   public:
    Lease(CurlTransport& owner, std::unique_ptr<PooledHandle> handle) noexcept
        : owner_(owner), handle_(std::move(handle)) {}
    ~Lease() { owner_.Release(std::move(handle_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    PooledHandle* get() const noexcept { return handle_.get(); }

   private:
    CurlTransport& owner_;
    std::unique_ptr<PooledHandle> handle_;
  };

  std::unique_ptr<PooledHandle> Acquire() {
    {
      const std::lock_guard lock(pool_mutex_);
      if (!idle_.empty()) {
        // LIFO: the most recently used handle is the one most likely to hold a live connection.
        auto handle = std::move(idle_.back());
        idle_.pop_back();
        return handle;
      }
    }
    auto handle = std::make_unique<PooledHandle>();
    handle->multi.reset(curl_multi_init());
    handle->easy.reset(curl_easy_init());
    if (handle->multi == nullptr || handle->easy == nullptr) return nullptr;
    return handle;
  }

  void Release(std::unique_ptr<PooledHandle> handle) noexcept {
    if (handle == nullptr) return;
    // Drops every pointer into the finished Send()'s stack (callback data, header list, body)
    // but keeps the handle's caches.
    curl_easy_reset(handle->easy.get());
    {
      const std::lock_guard lock(pool_mutex_);
      if (idle_.size() < options_.max_idle_handles) {
        try {
          idle_.push_back(std::move(handle));
          return;
        } catch (...) {
          // No room to remember it: close it below instead.
        }
      }
    }
    handle.reset();  // outside the lock: closing connections may take a moment
  }

  Result<HttpResponse> SendOrThrow(const HttpRequest& request, const std::stop_token& stop) {
    if (init_code_ != CURLE_OK) {
      return Error{ErrorCode::kUnknown,
                   std::string("curl_global_init failed: ") + curl_easy_strerror(init_code_)};
    }
    const bool is_post = request.method == "POST";
    if (!is_post && request.method != "GET") {
      return Error{ErrorCode::kInvalidRequest,
                   "unsupported HTTP method '" + Clip(request.method, 16) + "' (GET or POST)"};
    }
    if (auto error = CheckUrl(request.url)) return *std::move(error);
    if (request.timeout <= std::chrono::milliseconds::zero()) {
      // libcurl reads a zero timeout as "none"; a caller whose deadline has passed means the
      // opposite.
      return Error{ErrorCode::kTimeout, "no time left for the attempt"};
    }
    if (stop.stop_requested()) return Error{ErrorCode::kCancelled, "cancelled"};

    HeaderList headers;
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

    Lease lease(*this, Acquire());
    if (lease.get() == nullptr) {
      return Error{ErrorCode::kUnknown, "could not create a libcurl handle"};
    }
    return Perform(*lease.get(), request, is_post, headers, stop);
  }

  Result<HttpResponse> Perform(PooledHandle& handle, const HttpRequest& request, bool is_post,
                               const HeaderList& headers, const std::stop_token& stop) {
    CURL* easy = handle.easy.get();
    TransferState state;
    state.max_body_bytes = request.max_response_bytes;
    std::array<char, CURL_ERROR_SIZE> error_buffer{};

    const long timeout_ms = static_cast<long>(request.timeout.count());
    const long connect_timeout_ms =
        request.connect_timeout > std::chrono::milliseconds::zero()
            ? static_cast<long>(std::min(request.connect_timeout, request.timeout).count())
            : 0L;  // 0: no separate connect bound; the attempt timeout still covers it

    CURLcode set = CURLE_OK;
    const auto setopt = [&](CURLoption option, auto value) {
      if (set == CURLE_OK) set = curl_easy_setopt(easy, option, value);
    };
    setopt(CURLOPT_ERRORBUFFER, error_buffer.data());
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
    setopt(CURLOPT_SSL_VERIFYPEER, options_.tls_verify ? 1L : 0L);
    setopt(CURLOPT_SSL_VERIFYHOST, options_.tls_verify ? 2L : 0L);
    if (!options_.ca_file.empty()) setopt(CURLOPT_CAINFO, options_.ca_file.c_str());
    if (!options_.user_agent.empty()) setopt(CURLOPT_USERAGENT, options_.user_agent.c_str());
    if (share_.get() != nullptr) setopt(CURLOPT_SHARE, share_.get());
    setopt(CURLOPT_HTTPHEADER, headers.get());
    if (is_post) {
      setopt(CURLOPT_POST, 1L);
      // Not COPYPOSTFIELDS: the request outlives the transfer, so libcurl reads our bytes as
      // they are, NULs included, with the size given.
      setopt(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      setopt(CURLOPT_POSTFIELDS, request.body.data());
    } else {
      setopt(CURLOPT_HTTPGET, 1L);
    }
    setopt(CURLOPT_WRITEFUNCTION, &WriteBody);
    setopt(CURLOPT_WRITEDATA, static_cast<void*>(&state));
    setopt(CURLOPT_HEADERFUNCTION, &WriteHeader);
    setopt(CURLOPT_HEADERDATA, static_cast<void*>(&state));
    if (set != CURLE_OK) {
      return Error{ErrorCode::kUnknown,
                   std::string("could not configure libcurl: ") + curl_easy_strerror(set)};
    }

    const auto start = std::chrono::steady_clock::now();
    CURLM* multi = handle.multi.get();
    if (const CURLMcode added = curl_multi_add_handle(multi, easy); added != CURLM_OK) {
      return Error{ErrorCode::kUnknown,
                   std::string("curl_multi_add_handle: ") + curl_multi_strerror(added)};
    }

    bool cancelled = false;
    CURLMcode multi_code = CURLM_OK;
    {
      // Wakes curl_multi_poll at once from the thread that requests the stop; the destructor
      // waits for a running callback, so no wakeup reaches this handle after it is released.
      const std::stop_callback wake(stop, [multi]() noexcept { curl_multi_wakeup(multi); });
      for (;;) {
        int running = 0;
        multi_code = curl_multi_perform(multi, &running);
        if (multi_code != CURLM_OK || running == 0) break;
        if (stop.stop_requested()) {
          cancelled = true;
          break;
        }
        multi_code = curl_multi_poll(multi, nullptr, 0, kPollBackstopMs, nullptr);
        if (multi_code != CURLM_OK) break;
      }
    }

    CURLcode result = CURLE_OK;
    bool done = false;
    if (!cancelled && multi_code == CURLM_OK) {
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
        if (message->msg == CURLMSG_DONE && message->easy_handle == easy) {
          result = message->data.result;
          done = true;
        }
      }
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    // Removing a handle mid-transfer closes its connection, so a cancelled request never
    // leaves a half-read response on a pooled connection.
    curl_multi_remove_handle(multi, easy);

    if (cancelled) return Error{ErrorCode::kCancelled, "cancelled"};
    if (multi_code != CURLM_OK) {
      return Error{ErrorCode::kUnknown, std::string("libcurl multi error: ") +
                                            curl_multi_strerror(multi_code)};
    }
    if (!done) return Error{ErrorCode::kUnknown, "libcurl reported no result for the transfer"};

    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (result != CURLE_OK) {
      Outcome outcome;
      outcome.code = result;
      outcome.state = &state;
      outcome.http_status = static_cast<int>(status);
      outcome.curl_message =
          error_buffer[0] != '\0' ? std::string_view(error_buffer.data()) : curl_easy_strerror(result);
      return MapCurlError(outcome);
    }
    if (status < 100 || status > 999) {
      return Error{ErrorCode::kInvalidResponse,
                   "not an HTTP response (status " + std::to_string(status) + ")"};
    }

    HttpResponse response;
    response.status = static_cast<int>(status);
    response.headers = std::move(state.headers);
    response.body = std::move(state.body);
    response.elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed);
    return response;
  }

  const CurlTransportOptions options_;
  const CURLcode init_code_;
  // Declared before the pool so that it is destroyed after every handle that uses it.
  Share share_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<PooledHandle>> idle_;  // guarded by pool_mutex_
};

}  // namespace

std::unique_ptr<Transport> MakeCurlTransport(CurlTransportOptions options) {
  return std::make_unique<CurlTransport>(std::move(options));
}

}  // namespace alertllm
