// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "alertllm/alert.hpp"
#include "alertllm/result.hpp"

namespace alertllm::mock {

/// The faults a MockProxy injects (the JSON of `POST /admin/faults`, the flags of
/// alertllm-mock-proxy). Only the classify endpoints (`POST /classify`,
/// `POST /v1/chat/completions`) draw failures; the health endpoints (`GET /health`,
/// `GET /v1/models`) fail only in a down window; `/admin/*` is never affected.
///
/// A plain aggregate; thread-safety as for any value.
struct Faults {
  /// Share of classify requests that fail, 0..1, drawn deterministically from the seed.
  /// Setting `malformed`, `truncated` or `drop` without a failure_rate makes it 1.
  double failure_rate = 0.0;
  /// HTTP status of a failure that is answered (not malformed, truncated or dropped): 400..599.
  int status = 503;
  /// Added before answering every classify and health request, 0..600000.
  int latency_ms = 0;
  /// When not empty, the `Retry-After` header sent with every `status` failure.
  std::string retry_after;
  /// A failure is answered 200 with invalid JSON.
  bool malformed = false;
  /// A failure declares the full Content-Length, sends half the body and closes the connection.
  bool truncated = false;
  /// A failure closes the connection without answering. Wins over truncated and malformed.
  bool drop = false;
  /// From when the set is applied, every classify and health request fails with `status` for
  /// this many seconds (0..86400, fractions allowed); then the proxy heals by itself. Read back
  /// (GetFaults(), `GET /admin/faults`) it is the time left.
  double down_for_seconds = 0.0;
};

/// A rejected fault set: the field at fault ("status") and what is wrong with it.
struct FaultsError {
  std::string field;
  std::string message;
};

/// Checks the ranges documented on Faults, then applies the failure_rate default: 1 when
/// `failure_rate_given` is false and a malformed, truncated or drop mode is set.
std::optional<FaultsError> NormalizeFaults(Faults& faults, bool failure_rate_given);

/// Parses the body of `POST /admin/faults`: a JSON object whose members are Faults fields (any
/// may be missing: it takes its default; `{}` clears every fault). Unknown members, wrong types
/// and values out of range are errors naming the field. `retry_after` may be a string or a
/// non-negative integer. Thread-safe.
std::optional<FaultsError> ParseFaults(std::string_view json, Faults& out);

/// `faults` as the JSON `GET /admin/faults` answers, every field present.
std::string FaultsToJson(const Faults& faults);

/// What the mock LLM says about `alert`: RuleBasedClassifier's severity, category, summary and
/// suggestions, with reasoning written as an LLM would (name, labels, the rule that matched)
/// and a confidence of 0.70..0.95 that depends only on the alert's name and labels. With
/// `obey_injection`, an alert whose annotation says "ignore previous instructions" and
/// "severity noise" (ASCII case-insensitive) is answered noise, as a model fooled by a prompt
/// injection would. Thread-safe, deterministic.
Classification MockClassify(const Alert& alert, bool obey_injection = false);

/// Requests and injected failures seen on one path.
struct PathStats {
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
};

/// What `GET /admin/stats` reports: every request except those to `/admin/*`, and the
/// failures injected into them (status, malformed, truncated, dropped, down).
struct MockProxyStats {
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
  /// Classify requests answered with a classification (200, no fault injected).
  std::uint64_t answered = 0;
  /// Classify requests refused with 429 by the max_in_flight quota (counted in `requests`,
  /// not in `failures`).
  std::uint64_t rate_limited = 0;
  std::map<std::string, PathStats> by_path;
};

struct MockProxyOptions {
  /// 127.0.0.1 unless a test has a reason.
  std::string host = "127.0.0.1";
  /// 0: the kernel picks a free port.
  int port = 0;
  Faults faults;
  /// A provider-style quota: at most this many classify requests being answered at once
  /// (latency included); one more is refused at once with 429, `Retry-After: 1` and
  /// `{"error":{"type":"rate_limit_exceeded","message":...}}`. 0..1024; 0: no quota.
  int max_in_flight = 0;
  /// Answer as a model that obeys instructions injected into the alert (MockClassify's
  /// `obey_injection`), to show what the client's severity floor holds against.
  bool obey_injection = false;
  /// Seeds the failure draws; the same seed and request order give the same failures.
  std::uint64_t seed = 1;
  /// Receives one line per request (no newline); null: silent.
  std::function<void(std::string_view)> log;
  /// The clock of the down window; null: std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

/// A local stand-in for the LLM proxy: both wire protocols of DESIGN.md §5 answered from
/// MockClassify(), fault injection, an optional in-flight quota, and admin endpoints. Serves
/// on max(128, 2 × max_in_flight) threads, so many slow requests can be held at once. Request
/// bodies over 1 MiB get 413, unreadable ones 400, both with a JSON `error`.
///
/// Thread-safe: every member may be called concurrently; requests are served on the server's
/// own threads.
class MockProxy {
 public:
  /// Throws std::invalid_argument when `options.faults` is invalid (NormalizeFaults, with the
  /// failure_rate taken as given) or `options.max_in_flight` is out of range.
  explicit MockProxy(MockProxyOptions options);
  /// Stop().
  ~MockProxy();

  MockProxy(const MockProxy&) = delete;
  MockProxy& operator=(const MockProxy&) = delete;

  /// Binds and starts serving; returns the port, or an error naming the address that could
  /// not be bound. Call at most once.
  Result<int> Start();

  /// Stops serving and waits for the server's threads; latency waits end at once. Idempotent.
  void Stop();

  /// The bound port (0 before Start()).
  int port() const noexcept;

  /// "http://127.0.0.1:PORT".
  std::string url() const;

  /// Replaces the whole fault set (as `POST /admin/faults` does) and restarts the failure draws
  /// from the seed. `faults` must be normalized (NormalizeFaults).
  void SetFaults(const Faults& faults);

  /// The fault set now, with the time left in the down window.
  Faults GetFaults() const;

  MockProxyStats GetStats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace alertllm::mock
