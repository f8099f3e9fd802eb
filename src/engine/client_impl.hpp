// SPDX-License-Identifier: Apache-2.0
#pragma once

// The state behind HttpLlmClient's pimpl, shared by the units of src/engine/: client.cpp (the
// public shell, construction, Health), call.cpp and decide.cpp (one call's stages), batch.cpp,
// finish.cpp and client_metrics.cpp (the llm_client_* families).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "alertllm/client.hpp"
#include "codec/protocol.hpp"
#include "engine/call.hpp"
#include "engine/client_metrics.hpp"
#include "engine/runtime.hpp"
#include "engine/secret_scrubber.hpp"
#include "engine/share.hpp"
#include "limiter/slot_gate.hpp"
#include "metrics/registry_mirror.hpp"
#include "redact/redactor.hpp"
#include "util/text.hpp"

namespace alertllm {

namespace internal {

/// "HTTP <status> from <what>: <quoted, clipped body>" for an answer that is not a 2xx, the
/// body scrubbed before it is clipped: a server that echoes the request's headers or URL into
/// its error page does not get the key into the message, not even a piece of it.
std::string HttpErrorMessage(int status, std::string_view what, std::string_view body,
                             const SecretScrubber& scrubber);

/// Everything an HttpLlmClient holds. A type of its own (HttpLlmClient::Impl is private) so the
/// units of src/engine/ can name it.
///
/// Thread-safety: as HttpLlmClient's; the members are set in the constructor and then only
/// read, apart from the atomics, what the breaker, budget and metrics guard themselves, and
/// what only the loop thread touches (share, gate, live_calls).
struct ClientState {
  using SteadyTime = std::chrono::steady_clock::time_point;
  using Done = std::function<void(Result<Classification>)>;

  ClientState(Config config, ClientDependencies dependencies);
  /// Ends every call in flight as kCancelled, then stops the loop.
  ~ClientState();

  /// A call (call.hpp) for `alert`, encoded ahead on this thread; `done` will get its raw
  /// answer (before the fallback) on the loop thread. `alert` must stay valid until then.
  /// Thread-safe; post the call's Start() to the loop.
  std::shared_ptr<Call> Prepare(const Alert& alert, CallOptions options, Done done);
  /// Prepare() and start on the loop. Thread-safe.
  void Start(const Alert& alert, CallOptions options, Done done);
  /// A call plus a wait: the raw answer, on the calling thread (not the loop's).
  Result<Classification> Ask(const Alert& alert, const CallOptions& options);
  /// kUnknown on the loop thread, where waiting for a call would wait forever (a blocking
  /// entry point called from a ClassifyAlertAsync callback).
  Result<void> NotOnLoop() const;
  /// DESIGN.md §2 step 4 (encode.cpp): the POST of `alert` (its fingerprint computed if
  /// empty, then redacted), every attempt's bytes; kInvalidRequest if it cannot be encoded.
  Result<HttpRequest> EncodeRequest(const Alert& alert) const;
  /// Adds what `redactor` replaced in a request to llm_client_redactions_total.
  void CountRedactions(const RedactionCounts& counts) const;
  /// DESIGN.md §2 step 8 (finish.cpp): counts `result`, scrubs and logs its error, puts the
  /// fallback's answer in its place where that applies, and holds any answer to the severity
  /// floor (severity_floor.hpp).
  Result<Classification> Finish(const Alert& alert, Result<Classification> result);
  SteadyTime Deadline(const CallOptions& options) const;
  void LogFailure(const Error& error, bool fell_back);

  Config config;
  /// Applied to every error message before it leaves the client or reaches a log.
  SecretScrubber scrubber{config};
  std::shared_ptr<Transport> transport;
  std::shared_ptr<ClientClock> clock;
  std::function<double()> random;
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<CircuitBreaker> breaker;
  std::unique_ptr<RetryBudget> budget;
  std::shared_ptr<ClientMetrics> metrics;
  /// What the call path counts into: `metrics`, or null when config.enable_metrics is false.
  ClientMetrics* counters = nullptr;
  std::shared_ptr<prometheus::Collectable> collector;
  std::shared_ptr<RegistryMirror> mirror;  // null unless a registry was given and metrics are on
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<const RequestFrame> frame;  // the request bytes around the alert
  std::unique_ptr<const Redactor> redactor;   // config.redaction, compiled once
  /// Where every call runs; destroyed first of all (in ~ClientState), after the calls ended.
  std::unique_ptr<Runtime> runtime;
  /// DESIGN.md §2 step 1, on the loop.
  std::unique_ptr<Share> share;
  /// DESIGN.md §2 step 2: the slots every HTTP attempt waits for, on the loop.
  std::unique_ptr<SlotGate> gate;
  /// The calls started and not yet ended, for the destructor; loop thread only.
  std::unordered_map<const Call*, std::weak_ptr<Call>> live_calls;
  /// Set by the destructor: calls that start from now on end at once as kCancelled.
  std::atomic<bool> closing{false};
  std::string classify_url;
  std::string health_url;
  std::atomic<std::int64_t> next_failure_log_ns{0};
  std::atomic<std::uint64_t> suppressed_failure_logs{0};
};

// The public entry points never throw: anything that escapes `body` becomes kUnknown.
template <typename T, typename Body>
Result<T> NeverThrows(const ClientState& impl, Body&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Error{ErrorCode::kUnknown, "out of memory"};
  } catch (const std::exception& e) {
    return Error{ErrorCode::kUnknown,
                 impl.scrubber.Scrub("unexpected exception: " + Clip(e.what()))};
  } catch (...) {
    return Error{ErrorCode::kUnknown, "unexpected exception"};
  }
}

}  // namespace internal

struct HttpLlmClient::Impl final : internal::ClientState {
  using ClientState::ClientState;
};

}  // namespace alertllm
