// SPDX-License-Identifier: Apache-2.0
#include "transport/curl_transfer.hpp"

#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "util/text.hpp"

namespace alertllm::internal {

namespace {

// The transfer loop waits in curl_multi_poll for socket activity, libcurl's own timers or a
// curl_multi_wakeup() from the stop callback, whichever comes first. This is only a backstop in
// case a wakeup is ever lost; it does not bound the cancellation latency.
constexpr int kPollBackstopMs = 100;

}  // namespace

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
    Outcome outcome;
    outcome.code = end.result;
    outcome.state = &state;
    outcome.http_status = static_cast<int>(status);
    outcome.curl_message =
        error_buffer[0] != '\0' ? std::string_view(error_buffer) : curl_easy_strerror(end.result);
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

}  // namespace alertllm::internal
