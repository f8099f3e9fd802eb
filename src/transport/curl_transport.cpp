// SPDX-License-Identifier: Apache-2.0
#include "alertllm/curl_transport.hpp"

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "transport/curl_easy.hpp"
#include "transport/curl_share.hpp"
#include "transport/curl_transfer.hpp"
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

using internal::AddHandleError;
using internal::Clip;
using internal::ConfigureError;
using internal::CurlShare;
using internal::CurrentExceptionError;
using internal::EasyPtr;
using internal::HeaderList;
using internal::IoLoop;
using internal::LoopTransport;
using internal::PooledHandle;
using internal::ResponseOf;
using internal::RunTransfer;
using internal::TransferEnd;
using internal::TransferState;

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
  CurlShare share_;
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
