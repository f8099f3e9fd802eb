// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §2 step 8, finish: what a call's answer becomes for its caller — counted, its error
// scrubbed and logged (rate-limited), replaced by the fallback's answer where that applies,
// held to the severity floor.
#include <spdlog/spdlog.h>

#include <string>
#include <utility>

#include "alertllm/errors.hpp"
#include "alertllm/fallback.hpp"
#include "engine/client_impl.hpp"
#include "engine/severity_floor.hpp"

namespace alertllm::internal {
namespace {

// DESIGN.md §2 step 8: the fallback answers when the LLM could not — the breaker rejected the
// call, the server failed or was unreachable until retries ran out, or its answer was unusable.
// It does not when the caller gave up (kCancelled), when the request itself is at fault
// (kInvalidRequest, or a 4xx the server sent back: kClientError other than 408/409/429), when
// the configuration is (kInvalidConfig), nor for kUnknown (a bug, or the process out of
// memory): a rule-based answer would hide those from the caller.
bool FallsBack(const Error& error) noexcept {
  if (error.code == ErrorCode::kCircuitOpen || error.code == ErrorCode::kInvalidResponse) {
    return true;
  }
  return IsRetryableError(error);
}

}  // namespace

Result<Classification> ClientState::Finish(const Alert& alert, Result<Classification> result) {
  if (counters) counters->Request(result);
  if (!result) {
    Error& error = result.error();
    error.message = scrubber.Scrub(error.message);
    const bool fall_back = config.fallback == FallbackMode::kRules && FallsBack(error);
    if (error.code != ErrorCode::kCircuitOpen && error.code != ErrorCode::kCancelled) {
      LogFailure(error, fall_back);
    }
    if (fall_back) {
      if (counters) counters->Fallback(error.code);
      Classification answer = RuleBasedClassifier{}.Classify(alert);
      answer.attempts = error.attempts;
      answer.fallback_reason = std::string(ClassifyError(error)) + ": " + error.message;
      result = Result<Classification>(std::move(answer));
    }
  }
  // After the fallback and for a cache hit too: the floor binds every answer a caller gets, and
  // the cache keeps the LLM's raw answer, so it is applied on the way out.
  if (result) ApplySeverityFloor(alert, config.severity_floor, *result, counters);
  if (result && counters) counters->Classified(*result);
  if (mirror) mirror->Sync();
  return result;
}

void ClientState::LogFailure(const Error& error, bool fell_back) {
  if (!logger) return;
  const std::int64_t now_ns = clock->SteadyNow().time_since_epoch().count();
  std::int64_t next = next_failure_log_ns.load(std::memory_order_relaxed);
  // At most one line per second per client: an outage must not flood the log.
  if (now_ns < next || !next_failure_log_ns.compare_exchange_strong(next, now_ns + 1'000'000'000,
                                                                    std::memory_order_relaxed)) {
    suppressed_failure_logs.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::uint64_t suppressed = suppressed_failure_logs.exchange(0, std::memory_order_relaxed);
  logger->warn("alertllm: classify failed: {} ({}) after {} attempt(s): {}{}{}",
               ClassifyError(error), error.http_status, error.attempts, error.message,
               fell_back ? "; answered by the fallback rules" : "",
               suppressed > 0 ? " (" + std::to_string(suppressed) + " similar lines suppressed)"
                              : std::string());
}

}  // namespace alertllm::internal
