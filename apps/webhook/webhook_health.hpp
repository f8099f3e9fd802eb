// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "alertllm/circuit_breaker.hpp"

// The body of alertllm-webhook's GET /healthz, apart from the HTTP service.
namespace alertllm::webhook {

/// `{"status":"healthy","llm":{…}}`: the breaker's state (HealthStateName()), its failure and
/// success counts, last_failure and (when open) next_retry_at as UTC wall time with
/// milliseconds, or null. Keys sorted by name.
///
/// Thread-safe; reads the clocks.
std::string HealthBody(const CircuitBreakerStats& stats);

}  // namespace alertllm::webhook
