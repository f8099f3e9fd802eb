// SPDX-License-Identifier: Apache-2.0
#include "transport/curl_share.hpp"

namespace alertllm::internal {

namespace {

void LockShare(CURL*, curl_lock_data data, curl_lock_access, void* user) {
  static_cast<CurlShare*>(user)->MutexFor(data).lock();
}

void UnlockShare(CURL*, curl_lock_data data, void* user) {
  static_cast<CurlShare*>(user)->MutexFor(data).unlock();
}

}  // namespace

CurlShare::CurlShare() noexcept : share_(curl_share_init()) {
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

CurlShare::~CurlShare() {
  if (share_ != nullptr) curl_share_cleanup(share_);
}

}  // namespace alertllm::internal
