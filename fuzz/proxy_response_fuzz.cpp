// SPDX-License-Identifier: Apache-2.0
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "classification_invariants.hpp"
#include "codec/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using alertllm::Protocol;
  using alertllm::internal::DecodeClassifyResponse;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  alertllm::fuzz::CheckDecoded(
      DecodeClassifyResponse(Protocol::kProxy, input, alertllm::fuzz::kMaxBodyBytes));

  // The same bytes as the classification object reach the field validation far more often
  // than whole mutated envelopes do.
  const std::string wrapped = R"({"request_id":"r","classification":)" + std::string(input) + "}";
  alertllm::fuzz::CheckDecoded(
      DecodeClassifyResponse(Protocol::kProxy, wrapped, alertllm::fuzz::kMaxBodyBytes));

  alertllm::fuzz::CheckProcessingTime(input);
  return 0;
}
