// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <alertllm/config.hpp>
#include <alertllm/result.hpp>

namespace alertllm::apps {

/// The command-line flags of one program. A flag that takes a value reads it as the next
/// argument or after '=' (`--format jsonl`, `--format=jsonl`); a switch takes none. Values are
/// parsed by the library's own parsers (ParseConfigDuration, ParseConfigInt, ParseProtocol,
/// ParseFallbackMode), so a value means the same on a command line as in an LLM_* variable.
///
/// Errors are kInvalidConfig, naming the flag and quoting the value:
/// "--timeout: 'abc' is not a duration (…)", "--concurrency: '0' is not in 1..256",
/// "--model: missing value", "--stats: takes no value", "unknown option --nope".
///
/// Thread-safety: build and Parse() from one thread; the bound variables are written by Parse().
class FlagSet {
 public:
  /// Parses one value into its destination; the error is what is wrong with it (the words that
  /// follow the quoted value: "is not an integer"), or no value when it is accepted.
  using ValueParser = std::function<std::optional<std::string>(std::string_view value)>;

  /// A flag that takes a value, handed to `parse`. Registering a name twice replaces it.
  void Value(std::string name, ValueParser parse);
  /// A flag that takes no value and sets `*out` to true.
  void Switch(std::string name, bool* out);

  /// The value as is.
  void String(std::string name, std::string* out);
  void String(std::string name, std::optional<std::string>* out);
  /// A decimal int in min..max (ParseConfigInt).
  void Int(std::string name, int* out, int min, int max);
  void Int(std::string name, std::optional<int>* out, int min, int max);
  /// A decimal number, finite, in min..max.
  void Double(std::string name, double* out, double min, double max);
  /// A decimal unsigned 64-bit integer.
  void Uint64(std::string name, std::uint64_t* out);
  /// Go syntax, whole milliseconds, not negative (ParseConfigDuration).
  void Duration(std::string name, std::optional<std::chrono::milliseconds>* out);
  /// "proxy" or "openai" (ParseProtocol).
  void ProtocolFlag(std::string name, std::optional<Protocol>* out);
  /// "none" or "rules" (ParseFallbackMode).
  void FallbackFlag(std::string name, std::optional<FallbackMode>* out);

  /// Parses `args` (without the program name), in order. Arguments that do not start with '-',
  /// a lone "-", and everything after "--" are positional: returned in order, or an error
  /// ("unexpected argument 'x'") when `positional_allowed` is false.
  Result<std::vector<std::string>> Parse(const std::vector<std::string_view>& args,
                                         bool positional_allowed = false) const;

 private:
  struct Flag {
    ValueParser parse;  // empty for a switch
    bool* on = nullptr;
  };
  std::map<std::string, Flag, std::less<>> flags_;
};

/// A port number 0..65535 as a flag value; the error as FlagSet::ValueParser returns it.
std::optional<std::string> ParsePort(std::string_view text, int* out);

}  // namespace alertllm::apps
