// SPDX-License-Identifier: Apache-2.0
// One call through DESIGN.md §2 on the client's loop: the members that move it from stage to
// stage. What an attempt's answer means, and whether to try again, is in decide.cpp.
#include "engine/call.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "engine/attempt_outcome.hpp"
#include "engine/client_impl.hpp"

namespace alertllm::internal {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

Call::Call(ClientState& client, const Alert& alert, CallOptions options, Done done)
    : client_(client),
      alert_(alert),
      options_(std::move(options)),
      done_(std::move(done)),
      deadline_(client.Deadline(options_)),
      per_attempt_(client.config.circuit_breaker.record == RecordMode::kPerAttempt),
      guard_(*client.breaker) {}

Call::~Call() = default;

void Call::EncodeAhead() {
  if (client_.breaker->State(client_.clock->SteadyNow()) != CircuitState::kClosed) return;
  encoded_ = client_.EncodeRequest(alert_);
}

void Call::Start() {
  if (options_.stop_token.stop_requested() || client_.closing) {
    End(Error{ErrorCode::kCancelled, "call cancelled"});
    return;
  }
  client_.live_calls.emplace(this, weak_from_this());
  // The caller's stop may come from any thread: it reaches the call as a task on the loop.
  std::weak_ptr<Call> weak = weak_from_this();
  Runtime* runtime = client_.runtime.get();
  on_stop_.emplace(options_.stop_token, std::function<void()>([weak, runtime] {
                     runtime->Post([weak] {
                       if (const std::shared_ptr<Call> call = weak.lock()) call->Cancel();
                     });
                   }));
  Join();
}

// Stage 1: a cached answer ends the call; a key in flight makes it a follower.
void Call::Join() {
  Share& share = *client_.share;
  if (!share.enabled()) {
    Admit();
    return;
  }
  if (key_.empty()) key_ = share.KeyOf(alert_);
  Share::Joined joined =
      share.Join(key_, client_.clock->SteadyNow(), client_.counters,
                 [self = shared_from_this()](const Result<Classification>& answer) {
                   self->OnLeaderAnswer(answer);
                 });
  switch (joined.role) {
    case Share::Joined::Role::kHit:
      End(*std::move(joined.answer));
      return;
    case Share::Joined::Role::kFollow:
      ticket_ = joined.ticket;
      stage_ = Stage::kFollowing;
      ArmDeadline();
      return;
    case Share::Joined::Role::kLead:
      leader_ = true;
      Admit();
      return;
  }
}

void Call::OnLeaderAnswer(const Result<Classification>& answer) {
  if (stage_ != Stage::kFollowing) return;
  ticket_ = 0;
  Leave();
  stage_ = Stage::kNew;
  // The leader's caller gave up; its request says nothing about this call, which asks again.
  if (!answer && answer.error().code == ErrorCode::kCancelled) {
    Join();
    return;
  }
  client_.share->CountShared(client_.counters);
  End(answer ? Result<Classification>(SharedAnswer(*answer)) : answer);
}

// Stages 3 and 4: the breaker's permit, and the bytes every attempt replays.
void Call::Admit() {
  const SteadyTime now = client_.clock->SteadyNow();
  if (!guard_.Acquire(now)) {
    // DESIGN.md §2: a rejection allocates nothing (the message fits the small-string buffer)
    // and logs nothing above debug.
    if (client_.logger) client_.logger->debug("alertllm: call rejected, circuit breaker open");
    End(Error{ErrorCode::kCircuitOpen, "circuit open", 0,
              std::chrono::ceil<milliseconds>(guard_.permit().retry_after), 0});
    return;
  }
  Result<HttpRequest> request =
      encoded_ ? *std::exchange(encoded_, std::nullopt) : client_.EncodeRequest(alert_);
  if (!request) {
    // A request we could not build is nobody's fault on the server's side.
    guard_.Record(CallOutcome::kIgnored, nanoseconds::zero(), now);
    End(std::move(request).error());
    return;
  }
  request_ = *std::move(request);
  Queue();
}

// Stage 2, per attempt: a slot is held only while a request is in flight, so a call waiting
// between attempts does not keep another from sending.
void Call::Queue() {
  const SteadyTime now = client_.clock->SteadyNow();
  if (AttemptTimeout(now) <= milliseconds::zero()) {
    End(DeadlinePassed(now));
    return;
  }
  SlotGate::Admission admission =
      client_.gate->Acquire(deadline_, [self = shared_from_this()](Result<SteadyTime> slot) {
        self->OnSlot(std::move(slot));
      });
  if (admission.refused) {
    End(Refused(*std::move(admission.refused)));
  } else if (admission.granted) {
    Attempt(admission.sent_at);
  } else {
    queued_id_ = admission.id;
    stage_ = Stage::kQueued;
    ArmDeadline();
  }
}

void Call::OnSlot(Result<SteadyTime> slot) {
  if (stage_ != Stage::kQueued) {
    // Handed a slot after the call ended: it goes straight back.
    if (slot) client_.gate->Release(SlotGate::Signal::kNeutral, *slot);
    return;
  }
  queued_id_ = 0;
  Leave();
  stage_ = Stage::kNew;
  if (!slot) {
    End(Refused(std::move(slot).error()));
    return;
  }
  Attempt(*slot);
}

// Stage 5: the request goes out on the loop with what remains of the deadline, from now.
void Call::Attempt(SteadyTime sent_at) {
  slot_ = sent_at;
  attempt_start_ = client_.clock->SteadyNow();
  request_.timeout = AttemptTimeout(attempt_start_);
  if (request_.timeout <= milliseconds::zero()) {
    client_.gate->Release(SlotGate::Signal::kNeutral, *std::exchange(slot_, std::nullopt));
    End(DeadlinePassed(attempt_start_));
    return;
  }
  stage_ = Stage::kSending;
  pending_ = client_.runtime->Send(request_, [self = shared_from_this()](Result<HttpResponse> sent) {
    self->OnSent(std::move(sent));
  });
}

// The attempt's answer: timed, counted, the slot given back with what it taught (a 429's
// Retry-After pauses all sending before the slot is back, so no waiter slips through), then
// stages 6 and 7.
void Call::OnSent(Result<HttpResponse> sent) {
  pending_ = 0;
  stage_ = Stage::kNew;
  const SteadyTime end = client_.clock->SteadyNow();
  last_hint_ = sent && sent->status == 429 && !OutOfQuota(&*sent) ? PauseSending(*sent, end)
                                                                  : std::nullopt;
  client_.gate->Release(SignalOf(sent), *std::exchange(slot_, std::nullopt));
  ++attempts_;
  last_duration_ = end - attempt_start_;
  const HttpResponse* response = sent ? &*sent : nullptr;
  std::optional<Classification> answer = Interpret(sent);
  if (ClientMetrics* counters = client_.counters) {
    counters->Attempt(last_duration_);
    if (attempts_ > 1) counters->Retry();
    counters->Operation(last_duration_, answer ? &*answer : nullptr, last_error_);
  }
  if (!answer && last_error_.code == ErrorCode::kCancelled) return End(Cancelled(end));

  const bool out_of_quota = OutOfQuota(response);
  last_outcome_ = answer ? CallOutcome::kSuccess : OutcomeOf(last_error_, out_of_quota);
  if (per_attempt_) guard_.Record(last_outcome_, last_duration_, end);
  if (answer) return End(Succeed(std::move(*answer), *sent, end));
  if (out_of_quota) {
    last_error_.message += " (insufficient_quota: not retried)";
    return End(GiveUp(last_error_, end));
  }
  milliseconds delay{0};
  std::optional<Error> ended = response != nullptr && response->status == 429
                                   ? Requeue(*response, end, delay)
                                   : Decide(response, end, delay);
  if (ended) return End(*std::move(ended));
  WaitThenQueue(delay);
}

// Stage 6's wait, a timer on the loop (none when a 429's pause is the wait: the queue holds
// the call), then per attempt a new permit, and the queue again.
void Call::WaitThenQueue(milliseconds delay) {
  auto next = [this] {
    stage_ = Stage::kNew;
    if (std::optional<Error> refused = NextPermit()) return End(*std::move(refused));
    Queue();
  };
  if (delay <= milliseconds::zero()) return next();
  stage_ = Stage::kWaiting;
  pending_ = client_.runtime->Sleep(delay, [self = shared_from_this(), next] {
    self->pending_ = 0;
    next();
  });
}

void Call::Cancel() {
  const SteadyTime now = client_.clock->SteadyNow();
  switch (stage_) {
    case Stage::kNew:
    case Stage::kEnded:
      return;
    case Stage::kFollowing:
      client_.share->Leave(key_, ticket_);
      Leave();
      return End(Error{ErrorCode::kCancelled, "call cancelled"});
    case Stage::kQueued:
      client_.gate->Leave(queued_id_);
      Leave();
      return End(Cancelled(now));
    case Stage::kSending:
      // As a transport's own kCancelled would: the attempt is counted, the slot freed.
      client_.runtime->Abort(pending_);
      return OnSent(Error{ErrorCode::kCancelled, "cancelled"});
    case Stage::kWaiting:
      client_.runtime->CancelWait(std::exchange(pending_, 0));
      return End(Cancelled(now));
  }
}

// A follower or a queued call waits for others no longer than its deadline, in real time.
void Call::ArmDeadline() {
  const nanoseconds left = deadline_ - client_.clock->SteadyNow();
  deadline_timer_ = client_.runtime->Timeout(left, [self = shared_from_this()] {
    self->deadline_timer_ = 0;
    self->OnDeadline();
  });
}

void Call::OnDeadline() {
  if (stage_ == Stage::kFollowing) {
    client_.share->Leave(key_, ticket_);
    End(Error{ErrorCode::kTimeout, "call deadline exceeded waiting for a shared request"});
  } else if (stage_ == Stage::kQueued) {
    client_.gate->Leave(queued_id_);
    End(Refused(client_.gate->DeadlineRefusal(client_.clock->SteadyNow())));
  }
}

// Leaving a wait for others: its deadline timer goes.
void Call::Leave() {
  if (deadline_timer_ != 0) client_.runtime->CancelWait(std::exchange(deadline_timer_, 0));
}

// Stage 8's part here: the leader's answer goes to its followers and the cache, then to
// `done`. Runs once.
void Call::End(Result<Classification> result) {
  if (stage_ == Stage::kEnded) return;
  stage_ = Stage::kEnded;
  on_stop_.reset();
  client_.live_calls.erase(this);
  if (leader_) {
    leader_ = false;
    client_.share->Finish(key_, result, client_.clock->SteadyNow(), client_.counters);
  }
  Done done = std::move(done_);
  done(std::move(result));
}

}  // namespace alertllm::internal
