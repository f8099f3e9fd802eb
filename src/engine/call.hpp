// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "alertllm/client.hpp"
#include "cache/single_flight.hpp"
#include "engine/permit_guard.hpp"
#include "engine/runtime.hpp"
#include "limiter/slot_gate.hpp"

namespace alertllm::internal {

struct ClientState;

/// One classification moving through DESIGN.md §2 on the client's loop: share (1), queue and
/// limit (2, per attempt), breaker admission (3), encode (4), attempt (5), decide (6), record
/// (7). Each stage is a member that either moves the call on or ends it; the ones that wait
/// (a follower, a queued call, a request, a backoff) register a callback and return, so a
/// call in flight holds memory, not a thread. Step 8 (fallback, counts, logs) is the entry
/// point's: `done` gets the raw answer, which the leader has already handed to its followers
/// and, when a success, to the cache.
///
/// Ends exactly once: `done` runs once, on the loop thread, with the answer, an error, or
/// kCancelled (Cancel(), the caller's stop token, or the client's destruction).
///
/// Thread-safety: every member on the loop thread only; the caller's stop token may be
/// requested from any thread (its callback posts Cancel()).
class Call : public std::enable_shared_from_this<Call> {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using Done = std::function<void(Result<Classification>)>;

  /// `alert` must stay valid until `done` has run.
  Call(ClientState& client, const Alert& alert, CallOptions options, Done done);
  ~Call();

  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  /// Stage 4 ahead of time, on the caller's thread, so the loop's one thread does not spend
  /// its time encoding: only while the breaker is closed, so that a call the breaker would
  /// reject still costs no encoding. Before Start(); optional.
  void EncodeAhead();
  /// Stage 1. Loop thread; once.
  void Start();
  /// Ends the call now as kCancelled, whatever it waits for; after it ended, nothing.
  void Cancel();

 private:
  enum class Stage { kNew, kFollowing, kQueued, kSending, kWaiting, kEnded };

  // call.cpp: moving the call from stage to stage.
  void Join();
  void OnLeaderAnswer(const Result<Classification>& answer);
  void Admit();
  void Queue();
  void OnSlot(Result<SteadyTime> slot);
  void Attempt(SteadyTime sent_at);
  void OnSent(Result<HttpResponse> sent);
  void WaitThenQueue(std::chrono::milliseconds delay);
  void ArmDeadline();
  void OnDeadline();
  void End(Result<Classification> result);
  void Leave();

  // decide.cpp: what an attempt's answer means, and whether to go on (DESIGN.md §3, §4, §8).
  // Each that can end the call returns the Error it ends with; nullopt means "go on".
  std::optional<Classification> Interpret(const Result<HttpResponse>& sent);
  Classification Succeed(Classification answer, const HttpResponse& response, SteadyTime end);
  std::optional<std::chrono::milliseconds> PauseSending(const HttpResponse& response,
                                                        SteadyTime end);
  std::optional<Error> Requeue(const HttpResponse& response, SteadyTime end,
                               std::chrono::milliseconds& delay);
  std::optional<Error> Decide(const HttpResponse* response, SteadyTime end,
                              std::chrono::milliseconds& delay);
  std::optional<Error> StopIfBreakerOpen(SteadyTime end);
  std::optional<Error> NextPermit();
  Error DeadlinePassed(SteadyTime now);
  Error Refused(Error error);
  Error Cancelled(SteadyTime at);
  Error GiveUp(Error error, SteadyTime at);
  std::chrono::milliseconds AttemptTimeout(SteadyTime now) const;

  ClientState& client_;
  const Alert& alert_;
  const CallOptions options_;
  Done done_;
  const SteadyTime deadline_;
  const bool per_attempt_;
  PermitGuard guard_;
  Stage stage_ = Stage::kNew;
  std::string key_;       // the share key; empty when the call does not share
  bool leader_ = false;   // the call whose request followers wait for
  SingleFlight::Ticket ticket_ = 0;  // while following
  SlotGate::Id queued_id_ = 0;       // while queued
  std::optional<SteadyTime> slot_;   // while a slot is held: when it was granted
  Runtime::Id pending_ = 0;          // the send or the wait in progress
  Runtime::Id deadline_timer_ = 0;   // while following or queued
  std::optional<std::stop_callback<std::function<void()>>> on_stop_;
  HttpRequest request_;
  std::optional<Result<HttpRequest>> encoded_;  // EncodeAhead()'s, until Admit() takes it
  int attempts_ = 0;         // requests sent, 429s included
  int rate_limited_ = 0;     // of which 429s: they spend no retry (max_retries counts the rest)
  int consecutive_429_ = 0;  // the backoff exponent of a 429 without a hint
  std::optional<std::chrono::milliseconds> last_hint_;  // the last 429's Retry-After
  CallOutcome last_outcome_ = CallOutcome::kIgnored;
  std::chrono::nanoseconds last_duration_{0};
  SteadyTime attempt_start_{};
  Error last_error_;
};

}  // namespace alertllm::internal
