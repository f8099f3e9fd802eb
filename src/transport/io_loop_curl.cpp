// SPDX-License-Identifier: Apache-2.0
// libcurl's side of the I/O loop: transfers added and aborted, the sockets libcurl asks the
// loop to watch, libcurl's timer, and the wait that tells libcurl which sockets are ready.
// The loop's own side (posting, driving, timers) is io_loop.cpp.
#include <sys/epoll.h>

#include <array>
#include <cerrno>
#include <cstdint>

#include "transport/io_loop.hpp"

namespace alertllm::internal {

namespace {

// The longest epoll_wait() waits. Every wakeup source (socket, libcurl timer, Post(), the next
// timer) ends it earlier; this only bounds the wait if one is ever lost.
constexpr int kMaxPollMs = 1000;

}  // namespace

CURLMcode IoLoop::AddTransfer(CURL* easy, TransferDone done, TransferId& id) {
  id = 0;
  const TransferId next = next_transfer_ + 1;
  transfers_.emplace(next, Running{easy, std::move(done)});
  try {
    by_handle_.emplace(easy, next);
  } catch (...) {
    transfers_.erase(next);
    throw;
  }
  if (const CURLMcode added = curl_multi_add_handle(multi_, easy); added != CURLM_OK) {
    // Nothing was added, so `done` must never run: it goes with the entry.
    by_handle_.erase(easy);
    transfers_.erase(next);
    return added;
  }
  next_transfer_ = next;
  id = next;
  return CURLM_OK;
}

void IoLoop::Abort(TransferId id) {
  const auto found = transfers_.find(id);
  if (found == transfers_.end()) return;
  Running transfer = std::move(found->second);
  transfers_.erase(found);
  by_handle_.erase(transfer.easy);
  // Removing a handle mid-transfer closes its connection, so no half-read response is left on
  // a cached connection.
  curl_multi_remove_handle(multi_, transfer.easy);
  Post([done = std::move(transfer.done)] { done(CURLE_ABORTED_BY_CALLBACK, true); });
}

// libcurl's timer first (a transfer just added starts there), then a wait for whatever comes
// next, and libcurl told about each socket that is ready, and only those.
void IoLoop::WaitAndAct(const std::function<bool()>* finished) {
  int running = 0;
  if (curl_due_ && *curl_due_ <= std::chrono::steady_clock::now()) {
    curl_due_.reset();
    curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
    FinishDoneTransfers();
    // A request on a kept-alive connection can be sent and answered right here: then waiting
    // would only hold up the caller driving the loop for that answer.
    if (transfers_.empty() || Finished(finished)) return;
  }
  std::array<epoll_event, 64> events{};
  const int ready = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                                 PollTimeoutMs());
  for (int i = 0; i < ready; ++i) {
    const epoll_event& event = events[static_cast<std::size_t>(i)];
    if (event.data.fd == wake_fd_) {
      std::uint64_t count = 0;
      [[maybe_unused]] const ssize_t got = ::read(wake_fd_, &count, sizeof count);
      continue;
    }
    if (idle_sockets_.count(event.data.fd) > 0) {
      // An idle connection the server closed or wrote to: libcurl finds out when it next uses
      // it; until then the loop stops hearing about it.
      Watch(event.data.fd, 0);
      continue;
    }
    int mask = 0;
    if ((event.events & EPOLLIN) != 0) mask |= CURL_CSELECT_IN;
    if ((event.events & EPOLLOUT) != 0) mask |= CURL_CSELECT_OUT;
    if ((event.events & (EPOLLERR | EPOLLHUP)) != 0) mask |= CURL_CSELECT_ERR;
    curl_multi_socket_action(multi_, event.data.fd, mask, &running);
  }
  FinishDoneTransfers();
}

// libcurl says which sockets to watch and for what; the loop's epoll set follows. A socket
// libcurl stops watching (a keep-alive connection between requests) stays in the set, idle,
// so that the next request on it costs one epoll_ctl rather than three (add, modify, delete);
// the kernel drops it from the set by itself when libcurl closes it.
int IoLoop::OnSocket(CURL*, curl_socket_t socket, int what, void* loop, void* assigned) {
  auto* self = static_cast<IoLoop*>(loop);
  if (what == CURL_POLL_REMOVE) {
    curl_multi_assign(self->multi_, socket, nullptr);
    self->idle_sockets_.insert(socket);
    return 0;
  }
  self->idle_sockets_.erase(socket);
  std::uint32_t events = 0;
  if ((what & CURL_POLL_IN) != 0) events |= EPOLLIN;
  if ((what & CURL_POLL_OUT) != 0) events |= EPOLLOUT;
  self->Watch(socket, events);
  // Any non-null pointer marks the socket as one libcurl watches.
  if (assigned == nullptr) curl_multi_assign(self->multi_, socket, self);
  return 0;
}

void IoLoop::Watch(curl_socket_t socket, std::uint32_t events) {
  epoll_event event{};
  event.events = events;
  event.data.fd = socket;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, socket, &event);
  }
}

int IoLoop::OnCurlTimer(CURLM*, long timeout_ms, void* loop) {
  auto* self = static_cast<IoLoop*>(loop);
  if (timeout_ms < 0) {
    self->curl_due_.reset();
  } else {
    self->curl_due_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

void IoLoop::FinishDoneTransfers() {
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    const CURLcode code = message->data.result;
    const auto handle = by_handle_.find(easy);
    if (handle == by_handle_.end()) continue;
    const auto found = transfers_.find(handle->second);
    by_handle_.erase(handle);
    if (found == transfers_.end()) continue;
    Running transfer = std::move(found->second);
    transfers_.erase(found);
    curl_multi_remove_handle(multi_, easy);
    RunGuarded([&transfer, code] { transfer.done(code, false); });
  }
}

int IoLoop::PollTimeoutMs() {
  {
    const std::lock_guard lock(mutex_);
    if (!posted_.empty() || stopping_) return 0;
  }
  std::optional<TimePoint> next = curl_due_;
  if (!timers_.empty() && (!next || timers_.begin()->first.first < *next)) {
    next = timers_.begin()->first.first;
  }
  if (!next) return kMaxPollMs;
  const auto left = *next - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  // Rounded up: rounded down, a timer less than 1 ms away would make the loop poll with a zero
  // timeout, spinning until it is due.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms >= kMaxPollMs ? kMaxPollMs : static_cast<int>(ms);
}

}  // namespace alertllm::internal
