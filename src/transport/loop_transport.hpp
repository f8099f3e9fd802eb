// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>

#include "alertllm/result.hpp"
#include "alertllm/transport.hpp"
#include "transport/io_loop.hpp"

namespace alertllm::internal {

/// A Transport that can also run its requests on an IoLoop, as many at a time as the loop
/// holds, with no thread per request (the libcurl transport of MakeCurlTransport() is one).
/// HttpLlmClient uses Start() when its transport is one; any other Transport's Send() runs on
/// a worker thread instead.
class LoopTransport {
 public:
  using Done = std::function<void(Result<HttpResponse>)>;

  virtual ~LoopTransport() = default;

  /// On `loop`'s thread: starts `request` (which must stay valid until `done` runs) as one
  /// transfer of the loop's multi handle. `done` runs exactly once on the loop thread, never
  /// inside Start(), with what Send() would have returned (Transport's error contract), or
  /// kCancelled after loop.Abort(id). Returns the transfer's id for IoLoop::Abort(), or 0 when
  /// the request failed before anything was sent (`done` then runs on the loop's next turn).
  virtual IoLoop::TransferId Start(IoLoop& loop, const HttpRequest& request, Done done) = 0;
};

}  // namespace alertllm::internal
