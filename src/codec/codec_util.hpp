// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the codec units (request_encoding.cpp, response_decoding.cpp, processing_time.cpp)
// share: their error builders and the exception guard of their entry points.
#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "alertllm/result.hpp"

namespace alertllm::internal::codec {

inline Error BadRequest(std::string message) {
  return Error{ErrorCode::kInvalidRequest, std::move(message)};
}

inline Error BadResponse(std::string message) {
  return Error{ErrorCode::kInvalidResponse, std::move(message)};
}

/// "path.field", as error messages name a member.
inline std::string Join(std::string_view path, std::string_view field) {
  std::string out(path);
  out += '.';
  out.append(field);
  return out;
}

inline std::string OverLimit(std::string_view what, std::size_t size, std::size_t limit) {
  return std::string(what) + " is " + std::to_string(size) + " bytes, over the limit of " +
         std::to_string(limit) + " bytes";
}

/// Runs `body`; an exception escaping it becomes kUnknown ("out of memory" is short enough for
/// the small-string buffer, so building that error cannot throw again).
template <typename Body>
auto Guarded(Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Error{ErrorCode::kUnknown, "out of memory"};
  } catch (...) {
    return Error{ErrorCode::kUnknown, "internal error"};
  }
}

}  // namespace alertllm::internal::codec
