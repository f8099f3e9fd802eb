// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "alertllm/alert.hpp"
#include "alertllm/result.hpp"
#include "engine/share.hpp"

namespace alertllm::internal {

/// For each alert of a batch, the index of the first alert with its share key: itself when it
/// is the first (or when sharing is off, every alert being its own request).
std::vector<std::size_t> FirstOfEachKey(std::span<const Alert> alerts, const Share& share);

/// What an alert whose key's first alert was asked gets from that ask (before the fallback):
/// the answer as a shared one (`source` "cache", `attempts` 0), or the same error.
Result<Classification> AsShared(const Result<Classification>& first);

}  // namespace alertllm::internal
