// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace alertllm {

/// One rule a Config breaks: the field ("timeout", "circuit_breaker.failure_threshold",
/// "extra_headers[2]"), the rule ("must be > 0") and the value it saw ("0ms"; empty where the
/// rule quotes none: secrets and header text are never quoted). Validate() joins them as
/// "field: message, got value"; ConfigFromEnv() maps `field` to its LLM_* variable.
struct ConfigProblem {
  std::string field;
  std::string message;
  std::string got;
};

}  // namespace alertllm
