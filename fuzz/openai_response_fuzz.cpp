// SPDX-License-Identifier: Apache-2.0
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "classification_invariants.hpp"
#include "codec/protocol.hpp"

namespace {

// `text` as a JSON string literal (bytes ≥ 0x20 copied as they are, so invalid UTF-8 stays
// invalid and exercises the envelope parser's rejection).
std::string JsonString(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using alertllm::Protocol;
  using alertllm::internal::DecodeClassifyResponse;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  alertllm::fuzz::CheckDecoded(
      DecodeClassifyResponse(Protocol::kOpenAI, input, alertllm::fuzz::kMaxBodyBytes));

  // The same bytes as message.content: the second parse (code fences, nesting, the
  // classification's fields) is reached on every input instead of rarely.
  const std::string wrapped = R"({"id":"chatcmpl-f","choices":[{"index":0,"finish_reason":"stop",)"
                              R"("message":{"role":"assistant","refusal":null,"content":)" +
                              JsonString(input) + "}}]}";
  alertllm::fuzz::CheckDecoded(
      DecodeClassifyResponse(Protocol::kOpenAI, wrapped, alertllm::fuzz::kMaxBodyBytes));
  return 0;
}
