// SPDX-License-Identifier: Apache-2.0
#include "alertllm/curl_transport.hpp"

#include <array>
#include <chrono>
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

#include "transport/curl_easy.hpp"
#include "transport/io_loop.hpp"
#include "transport/loop_transport.hpp"
#include "util/text.hpp"

namespace alertllm {

namespace internal {

// libcurl's global state is set up once per process and never torn down: a library cannot know
// when the last user in the process is gone, and curl_global_cleanup() is optional.
CURLcode EnsureCurlGlobalInit() {
  static std::once_flag once;
  static CURLcode code = CURLE_FAILED_INIT;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return code;
}

}  // namespace internal

namespace {

using internal::Clip;
using internal::EasyPtr;
using internal::HeaderList;
using internal::IoLoop;
using internal::kMaxQuotedBytes;
using internal::LoopTransport;
using internal::PooledHandle;
using internal::TransferState;

// The transfer loop waits in curl_multi_poll for socket activity, libcurl's own timers or a
// curl_multi_wakeup() from the stop callback, whichever comes first. This is only a backstop in
// case a wakeup is ever lost; it does not bound the cancellation latency.
constexpr int kPollBackstopMs = 100;

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
    const bool ok =
        curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &LockShare) == CURLSHE_OK &&
        curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &UnlockShare) == CURLSHE_OK &&
        curl_share_setopt(share_, CURLSHOPT_USERDATA, this) == CURLSHE_OK &&
        curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK &&
        curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) == CURLSHE_OK;
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

// How one transfer ended: on a multi handle of its own (Send) or on an IoLoop (Start).
struct TransferEnd {
  bool cancelled = false;
  CURLMcode multi_code = CURLM_OK;
  bool done = false;  // libcurl reported the easy handle's result
  CURLcode result = CURLE_OK;
  std::chrono::steady_clock::duration elapsed{};
};

// Drives the configured easy handle, added to its multi handle at `start`, until it finishes or
// `stop` is requested. The handle is removed again whatever happened.
TransferEnd RunTransfer(PooledHandle& handle, std::chrono::steady_clock::time_point start,
                        const std::stop_token& stop) {
  CURL* easy = handle.easy.get();
  CURLM* multi = handle.multi.get();
  TransferEnd end;
  {
    // Wakes curl_multi_poll at once from the thread that requests the stop; the destructor
    // waits for a running callback, so no wakeup reaches this handle after it is released.
    const std::stop_callback wake(stop, [multi]() noexcept { curl_multi_wakeup(multi); });
    for (;;) {
      int running = 0;
      end.multi_code = curl_multi_perform(multi, &running);
      if (end.multi_code != CURLM_OK || running == 0) break;
      if (stop.stop_requested()) {
        end.cancelled = true;
        break;
      }
      end.multi_code = curl_multi_poll(multi, nullptr, 0, kPollBackstopMs, nullptr);
      if (end.multi_code != CURLM_OK) break;
    }
  }
  if (!end.cancelled && end.multi_code == CURLM_OK) {
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg == CURLMSG_DONE && message->easy_handle == easy) {
        end.result = message->data.result;
        end.done = true;
      }
    }
  }
  end.elapsed = std::chrono::steady_clock::now() - start;
  // Removing a handle mid-transfer closes its connection, so a cancelled request never
  // leaves a half-read response on a pooled connection.
  curl_multi_remove_handle(multi, easy);
  return end;
}

// The response of a finished transfer, or the error it ended with.
Result<HttpResponse> ResponseOf(const TransferEnd& end, CURL* easy, TransferState& state,
                                const char* error_buffer) {
  if (end.cancelled) return Error{ErrorCode::kCancelled, "cancelled"};
  if (end.multi_code != CURLM_OK) {
    return Error{ErrorCode::kUnknown,
                 std::string("libcurl multi error: ") + curl_multi_strerror(end.multi_code)};
  }
  if (!end.done) return Error{ErrorCode::kUnknown, "libcurl reported no result for the transfer"};

  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  if (end.result != CURLE_OK) {
    internal::Outcome outcome;
    outcome.code = end.result;
    outcome.state = &state;
    outcome.http_status = static_cast<int>(status);
    outcome.curl_message =
        error_buffer[0] != '\0' ? std::string_view(error_buffer) : curl_easy_strerror(end.result);
    return internal::MapCurlError(outcome);
  }
  if (status < 100 || status > 999) {
    return Error{ErrorCode::kInvalidResponse,
                 "not an HTTP response (status " + std::to_string(status) + ")"};
  }

  HttpResponse response;
  response.status = static_cast<int>(status);
  response.headers = std::move(state.headers);
  response.body = std::move(state.body);
  response.elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(end.elapsed);
  return response;
}

Error ConfigureError(CURLcode set) {
  return Error{ErrorCode::kUnknown,
               std::string("could not configure libcurl: ") + curl_easy_strerror(set)};
}

Error AddHandleError(CURLMcode added) {
  return Error{ErrorCode::kUnknown,
               std::string("curl_multi_add_handle: ") + curl_multi_strerror(added)};
}

// What a Send() or Start() that threw reports (the transport contract never throws). Only
// from inside a catch block.
Error CurrentExceptionError() {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return Error{ErrorCode::kUnknown, "out of memory"};
  } catch (const std::exception& e) {
    return Error{ErrorCode::kUnknown, "unexpected exception: " + Clip(e.what(), kMaxQuotedBytes)};
  } catch (...) {
    return Error{ErrorCode::kUnknown, "unexpected exception"};
  }
}

// One transfer on an IoLoop: what Start() sets up and its end reads. On the heap, owned by the
// loop's TransferDone, because Start() returns long before the transfer ends.
struct LoopTransfer {
  EasyPtr easy;
  HeaderList headers;
  TransferState state;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  std::chrono::steady_clock::time_point start;
  LoopTransport::Done done;
};

// Thread-safe: concurrent Send() calls each lease a handle of their own; only the idle pools
// are shared, under pool_mutex_, and the CURLSH is guarded by its lock callbacks. Start() runs
// on a loop thread and leaves the transfer to that loop; the transport must outlive the loop's
// transfers (their ends return handles to its pool).
class CurlTransport final : public Transport, public LoopTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options)
      : options_(std::move(options)), init_code_(internal::EnsureCurlGlobalInit()) {}

  Result<HttpResponse> Send(const HttpRequest& request, std::stop_token stop) override {
    try {
      return SendOrThrow(request, stop);
    } catch (...) {
      return CurrentExceptionError();
    }
  }

  IoLoop::TransferId Start(IoLoop& loop, const HttpRequest& request, Done done) override {
    // `done` stays here until the transfer is added, so that every failure reports through it.
    Result<IoLoop::TransferId> started = IoLoop::TransferId{0};
    try {
      started = StartOrThrow(loop, request, done);
    } catch (...) {
      started = CurrentExceptionError();
    }
    if (started) return *started;
    loop.Post([done = std::move(done), error = std::move(started).error()] { done(error); });
    return 0;
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

  // The most recently kept handle of `pool`, or nullptr. LIFO: the most recently used handle
  // is the one most likely to hold a live connection.
  template <typename Handle>
  Handle TakeIdle(std::vector<Handle>& pool) {
    const std::lock_guard lock(pool_mutex_);
    if (pool.empty()) return nullptr;
    Handle handle = std::move(pool.back());
    pool.pop_back();
    return handle;
  }

  // Keeps `handle`, already reset, in `pool` while it holds fewer than max_idle_handles.
  template <typename Handle>
  void KeepIdle(std::vector<Handle>& pool, Handle handle) noexcept {
    {
      const std::lock_guard lock(pool_mutex_);
      if (pool.size() < options_.max_idle_handles) {
        try {
          pool.push_back(std::move(handle));
          return;
        } catch (...) {
          // No room to remember it: close it below instead.
        }
      }
    }
    handle.reset();  // outside the lock: closing connections may take a moment
  }

  std::unique_ptr<PooledHandle> Acquire() {
    if (auto handle = TakeIdle(idle_)) return handle;
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
    KeepIdle(idle_, std::move(handle));
  }

  // Start()'s handles have no connections of their own (the loop's multi handle keeps them);
  // pooling them only saves setting up a handle per request.
  EasyPtr AcquireEasy() {
    if (auto easy = TakeIdle(idle_easy_)) return easy;
    return EasyPtr(curl_easy_init());
  }

  void ReleaseEasy(EasyPtr easy) noexcept {
    if (easy == nullptr) return;
    // Drops every pointer into the finished transfer (callback data, header list, body).
    curl_easy_reset(easy.get());
    KeepIdle(idle_easy_, std::move(easy));
  }

  // libcurl's URL parser costs microseconds a request, and a client sends to one URL: the last
  // one that passed is remembered.
  std::optional<Error> CheckUrlOnce(const std::string& url) const {
    {
      const std::lock_guard lock(checked_mutex_);
      if (url == checked_url_) return std::nullopt;
    }
    std::optional<Error> error = internal::CheckUrl(url);
    if (!error) {
      const std::lock_guard lock(checked_mutex_);
      checked_url_ = url;
    }
    return error;
  }

  // The checks of Send() and Start() before anything is sent, and the header list.
  Result<void> Prepare(const HttpRequest& request, HeaderList& headers,
                       const std::stop_token& stop) const {
    if (init_code_ != CURLE_OK) {
      return Error{ErrorCode::kUnknown,
                   std::string("curl_global_init failed: ") + curl_easy_strerror(init_code_)};
    }
    if (request.method != "POST" && request.method != "GET") {
      return Error{ErrorCode::kInvalidRequest,
                   "unsupported HTTP method '" + Clip(request.method, 16) + "' (GET or POST)"};
    }
    if (auto error = CheckUrlOnce(request.url)) return *std::move(error);
    if (request.timeout <= std::chrono::milliseconds::zero()) {
      // libcurl reads a zero timeout as "none"; a caller whose deadline has passed means the
      // opposite.
      return Error{ErrorCode::kTimeout, "no time left for the attempt"};
    }
    if (stop.stop_requested()) return Error{ErrorCode::kCancelled, "cancelled"};
    return internal::BuildHeaderList(request, headers);
  }

  Result<HttpResponse> SendOrThrow(const HttpRequest& request, const std::stop_token& stop) {
    HeaderList headers;
    if (Result<void> ready = Prepare(request, headers, stop); !ready) {
      return std::move(ready).error();
    }
    Lease lease(*this, Acquire());
    if (lease.get() == nullptr) {
      return Error{ErrorCode::kUnknown, "could not create a libcurl handle"};
    }
    return Perform(*lease.get(), request, headers, stop);
  }

  Result<HttpResponse> Perform(PooledHandle& handle, const HttpRequest& request,
                               const HeaderList& headers, const std::stop_token& stop) {
    CURL* easy = handle.easy.get();
    TransferState state;
    state.max_body_bytes = request.max_response_bytes;
    std::array<char, CURL_ERROR_SIZE> error_buffer{};
    const internal::EasySetup setup{&request,     &options_, &headers,
                                    share_.get(), &state,    error_buffer.data()};
    if (const CURLcode set = internal::ConfigureEasy(easy, setup); set != CURLE_OK) {
      return ConfigureError(set);
    }
    const auto start = std::chrono::steady_clock::now();
    if (const CURLMcode added = curl_multi_add_handle(handle.multi.get(), easy);
        added != CURLM_OK) {
      return AddHandleError(added);
    }
    const TransferEnd end = RunTransfer(handle, start, stop);
    return ResponseOf(end, easy, state, error_buffer.data());
  }

  // Moves `done` into the transfer only once the loop holds it; on every other way out it is
  // left to Start() to report through.
  Result<IoLoop::TransferId> StartOrThrow(IoLoop& loop, const HttpRequest& request, Done& done) {
    auto transfer = std::make_shared<LoopTransfer>();
    if (Result<void> ready = Prepare(request, transfer->headers, std::stop_token()); !ready) {
      return std::move(ready).error();
    }
    transfer->easy = AcquireEasy();
    if (transfer->easy == nullptr) {
      return Error{ErrorCode::kUnknown, "could not create a libcurl handle"};
    }
    transfer->state.max_body_bytes = request.max_response_bytes;
    const internal::EasySetup setup{&request,     &options_,        &transfer->headers,
                                    share_.get(), &transfer->state, transfer->error_buffer.data()};
    if (const CURLcode set = internal::ConfigureEasy(transfer->easy.get(), setup);
        set != CURLE_OK) {
      return ConfigureError(set);
    }
    transfer->start = std::chrono::steady_clock::now();
    transfer->done = std::move(done);
    IoLoop::TransferId id = 0;
    CURLMcode added = CURLM_OK;
    try {
      added = loop.AddTransfer(
          transfer->easy.get(),
          [this, transfer](CURLcode code, bool aborted) { Finish(*transfer, code, aborted); }, id);
    } catch (...) {
      done = std::move(transfer->done);
      throw;
    }
    if (added != CURLM_OK) {
      done = std::move(transfer->done);
      return AddHandleError(added);
    }
    return id;
  }

  // A Start()ed transfer's end, on the loop thread: its result, built as Send() builds it.
  void Finish(LoopTransfer& transfer, CURLcode code, bool aborted) {
    Result<HttpResponse> result = Error{ErrorCode::kUnknown};
    try {
      TransferEnd end;
      end.cancelled = aborted;
      end.done = true;
      end.result = code;
      end.elapsed = std::chrono::steady_clock::now() - transfer.start;
      result = ResponseOf(end, transfer.easy.get(), transfer.state, transfer.error_buffer.data());
    } catch (...) {
      result = CurrentExceptionError();
    }
    ReleaseEasy(std::move(transfer.easy));
    transfer.done(std::move(result));
  }

  const CurlTransportOptions options_;
  const CURLcode init_code_;
  // Declared before the pools so that it is destroyed after every handle that uses it.
  Share share_;
  mutable std::mutex checked_mutex_;
  mutable std::string checked_url_;  // guarded by checked_mutex_
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<PooledHandle>> idle_;  // guarded by pool_mutex_
  std::vector<EasyPtr> idle_easy_;                   // guarded by pool_mutex_
};

}  // namespace

std::unique_ptr<Transport> MakeCurlTransport(CurlTransportOptions options) {
  return std::make_unique<CurlTransport>(std::move(options));
}

}  // namespace alertllm
