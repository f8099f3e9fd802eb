// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace alertllm {

/// Why a call failed. The categories follow the seed's error classification; `ClassifyError()`
/// (errors.hpp) turns a code into the seed's category string.
enum class ErrorCode {
  kCircuitOpen,      ///< The circuit breaker rejected the call; no request was sent.
  kInvalidRequest,   ///< The input (an alert, a webhook body) cannot be sent or parsed.
  kInvalidResponse,  ///< The server answered something that is not a valid classification.
  kRateLimited,      ///< HTTP 429.
  kServerError,      ///< HTTP 5xx.
  kClientError,      ///< HTTP 4xx other than 408 and 429.
  kTimeout,          ///< An attempt, the whole call or the server (HTTP 408) timed out.
  kNetworkError,     ///< Connection refused or reset, DNS failure, TLS failure, unreachable.
  kCancelled,        ///< The caller cancelled the call.
  kInvalidConfig,    ///< A Config field or an LLM_* variable is invalid.
  kUnknown,          ///< Anything else.
};

/// The error half of a `Result`: public fields, built as `Error{ErrorCode::kTimeout, "msg"}`
/// (the trailing fields are optional).
///
/// `message` is for people: short, never a secret, never a whole response body. Constructing an
/// Error with an empty message does not allocate.
struct Error {
  Error() noexcept = default;
  Error(ErrorCode error_code, std::string error_message = {}, int status = 0,  // NOLINT: implicit
        std::optional<std::chrono::milliseconds> retry = std::nullopt, int attempt_count = 0) noexcept
      : code(error_code),
        message(std::move(error_message)),
        http_status(status),
        retry_after(retry),
        attempts(attempt_count) {}

  ErrorCode code = ErrorCode::kUnknown;
  std::string message;
  /// The HTTP status of the last response, 0 if there was none.
  int http_status = 0;
  /// When the caller may try again: a server's Retry-After hint, or the time left until the
  /// circuit breaker lets a probe through.
  std::optional<std::chrono::milliseconds> retry_after;
  /// How many HTTP requests the call sent before it failed (0 if none was sent).
  int attempts = 0;
};

/// Thrown by `Result<T>::value()` when the Result holds an error, as `std::expected::value()`
/// throws `bad_expected_access`. Nothing else in alertllm throws on the call path.
class BadResultAccess : public std::exception {
 public:
  explicit BadResultAccess(Error error) : error_(std::move(error)) {}
  const char* what() const noexcept override { return "alertllm: value() called on an error Result"; }
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

/// Wraps an Error for construction of a Result, as `std::unexpected` does for `std::expected`:
/// `return Unexpected(Error{ErrorCode::kTimeout, "deadline exceeded"});`.
struct Unexpected {
  explicit Unexpected(Error e) : error(std::move(e)) {}
  Error error;
};

/// Either a value of type T or an Error; shaped like `std::expected<T, Error>` (same member
/// names and meanings) so it can become an alias once every supported compiler has it.
///
/// Thread-safety: like any value type, const members may be called concurrently.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  using value_type = T;
  using error_type = Error;

  /// A Result holding a value-initialized T.
  Result() requires std::is_default_constructible_v<T> : storage_(std::in_place_index<0>) {}
  /// A Result holding a T built from `value`; implicit where U converts implicitly to T.
  template <typename U = T>
    requires(std::is_constructible_v<T, U &&> &&
             !std::is_same_v<std::remove_cvref_t<U>, Result> &&
             !std::is_same_v<std::remove_cvref_t<U>, Error> &&
             !std::is_same_v<std::remove_cvref_t<U>, Unexpected> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::in_place_t>)
  explicit(!std::is_convertible_v<U&&, T>) Result(U&& value)  // NOLINT: implicit
      : storage_(std::in_place_index<0>, std::forward<U>(value)) {}
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit
  Result(Unexpected unexpected)  // NOLINT: implicit, as std::expected from std::unexpected
      : storage_(std::in_place_index<1>, std::move(unexpected.error)) {}
  template <typename... Args>
  explicit Result(std::in_place_t, Args&&... args)
      : storage_(std::in_place_index<0>, std::forward<Args>(args)...) {}

  bool has_value() const noexcept { return storage_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws BadResultAccess if this holds an error.
  T& value() & {
    if (!has_value()) throw BadResultAccess(std::get<1>(storage_));
    return std::get<0>(storage_);
  }
  const T& value() const& {
    if (!has_value()) throw BadResultAccess(std::get<1>(storage_));
    return std::get<0>(storage_);
  }
  T&& value() && {
    if (!has_value()) throw BadResultAccess(std::get<1>(storage_));
    return std::get<0>(std::move(storage_));
  }

  /// The error. Precondition: `!has_value()` (violating it aborts: never undefined behaviour).
  Error& error() & noexcept { return *Checked(std::get_if<1>(&storage_)); }
  const Error& error() const& noexcept { return *Checked(std::get_if<1>(&storage_)); }
  Error&& error() && noexcept { return std::move(*Checked(std::get_if<1>(&storage_))); }

  /// The value. Precondition: `has_value()` (violating it aborts: never undefined behaviour).
  T& operator*() & noexcept { return *Checked(std::get_if<0>(&storage_)); }
  const T& operator*() const& noexcept { return *Checked(std::get_if<0>(&storage_)); }
  T&& operator*() && noexcept { return std::move(*Checked(std::get_if<0>(&storage_))); }
  T* operator->() noexcept { return Checked(std::get_if<0>(&storage_)); }
  const T* operator->() const noexcept { return Checked(std::get_if<0>(&storage_)); }

  /// The value, or `fallback` converted to T if this holds an error.
  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  T value_or(U&& fallback) && {
    return has_value() ? std::move(**this) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  template <typename P>
  static P* Checked(P* p) noexcept {
    if (p == nullptr) std::abort();
    return p;
  }

  std::variant<T, Error> storage_;
};

/// Success with no value, or an Error; shaped like `std::expected<void, Error>`.
template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  using error_type = Error;

  /// Success.
  Result() noexcept = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit
  Result(Unexpected unexpected) : error_(std::move(unexpected.error)) {}  // NOLINT: implicit

  bool has_value() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }

  /// Does nothing on success; throws BadResultAccess if this holds an error.
  void value() const {
    if (error_) throw BadResultAccess(*error_);
  }
  void operator*() const noexcept {}

  /// The error. Precondition: `!has_value()` (violating it aborts: never undefined behaviour).
  Error& error() & noexcept {
    if (!error_) std::abort();
    return *error_;
  }
  const Error& error() const& noexcept {
    if (!error_) std::abort();
    return *error_;
  }
  Error&& error() && noexcept { return std::move(error()); }

 private:
  std::optional<Error> error_;
};

}  // namespace alertllm
