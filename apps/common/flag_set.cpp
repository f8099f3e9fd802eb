// SPDX-License-Identifier: Apache-2.0
#include "flag_set.hpp"

#include <alertllm/env.hpp>
#include <alertllm/errors.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>
#include <utility>

namespace alertllm::apps {
namespace {

using Problem = std::optional<std::string>;

Error Invalid(std::string message) { return Error{ErrorCode::kInvalidConfig, std::move(message)}; }

std::string Range(int min, int max) {
  return "is not in " + std::to_string(min) + ".." + std::to_string(max);
}

std::string Shown(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// The library's integer rule, then the flag's range.
Problem ParseIntIn(std::string_view text, int min, int max, int& out) {
  const Result<int> value = ParseConfigInt(text);
  if (!value) return value.error().message;
  if (*value < min || *value > max) return Range(min, max);
  out = *value;
  return std::nullopt;
}

// A whole decimal `T` (from_chars rules), or the problem.
template <typename T>
Problem ParseNumber(std::string_view text, T& out, const char* what) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return std::string(what) + " (out of range)";
  if (ec != std::errc() || end != text.data() + text.size()) return std::string(what);
  out = value;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ParsePort(std::string_view text, int* out) {
  return ParseIntIn(text, 0, 65535, *out);
}

void FlagSet::Value(std::string name, ValueParser parse) {
  flags_[std::move(name)] = Flag{std::move(parse), nullptr};
}

void FlagSet::Switch(std::string name, bool* out) { flags_[std::move(name)] = Flag{{}, out}; }

void FlagSet::String(std::string name, std::string* out) {
  Value(std::move(name), [out](std::string_view value) -> Problem {
    *out = std::string(value);
    return std::nullopt;
  });
}

void FlagSet::String(std::string name, std::optional<std::string>* out) {
  Value(std::move(name), [out](std::string_view value) -> Problem {
    *out = std::string(value);
    return std::nullopt;
  });
}

void FlagSet::Int(std::string name, int* out, int min, int max) {
  Value(std::move(name),
        [out, min, max](std::string_view value) { return ParseIntIn(value, min, max, *out); });
}

void FlagSet::Int(std::string name, std::optional<int>* out, int min, int max) {
  Value(std::move(name), [out, min, max](std::string_view value) -> Problem {
    int parsed = 0;
    if (Problem problem = ParseIntIn(value, min, max, parsed)) return problem;
    *out = parsed;
    return std::nullopt;
  });
}

void FlagSet::Double(std::string name, double* out, double min, double max) {
  Value(std::move(name), [out, min, max](std::string_view value) -> Problem {
    double parsed = 0;
    if (Problem problem = ParseNumber(value, parsed, "is not a number")) return problem;
    if (!std::isfinite(parsed)) return "is not a number";
    if (parsed < min || parsed > max) {
      return "is not in " + Shown(min) + ".." + Shown(max);
    }
    *out = parsed;
    return std::nullopt;
  });
}

void FlagSet::Uint64(std::string name, std::uint64_t* out) {
  Value(std::move(name), [out](std::string_view value) {
    return ParseNumber(value, *out, "is not an unsigned integer");
  });
}

void FlagSet::Duration(std::string name, std::optional<std::chrono::milliseconds>* out) {
  Value(std::move(name), [out](std::string_view value) -> Problem {
    const Result<std::chrono::milliseconds> parsed = ParseConfigDuration(value);
    if (!parsed) return parsed.error().message;
    *out = *parsed;
    return std::nullopt;
  });
}

void FlagSet::ProtocolFlag(std::string name, std::optional<Protocol>* out) {
  Value(std::move(name), [out](std::string_view value) -> Problem {
    const Result<Protocol> parsed = ParseProtocol(value);
    if (!parsed) return parsed.error().message;
    *out = *parsed;
    return std::nullopt;
  });
}

void FlagSet::FallbackFlag(std::string name, std::optional<FallbackMode>* out) {
  Value(std::move(name), [out](std::string_view value) -> Problem {
    const Result<FallbackMode> parsed = ParseFallbackMode(value);
    if (!parsed) return parsed.error().message;
    *out = *parsed;
    return std::nullopt;
  });
}

Result<std::vector<std::string>> FlagSet::Parse(const std::vector<std::string_view>& args,
                                                bool positional_allowed) const {
  std::vector<std::string> positional;
  bool flags_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (!flags_done && arg == "--") {
      flags_done = true;
      continue;
    }
    if (flags_done || arg == "-" || !arg.starts_with("-")) {
      if (!positional_allowed) return Invalid("unexpected argument '" + std::string(arg) + "'");
      positional.emplace_back(arg);
      continue;
    }
    const std::size_t equals = arg.starts_with("--") ? arg.find('=') : std::string_view::npos;
    const std::string_view name = arg.substr(0, equals);
    const auto flag = flags_.find(name);
    if (flag == flags_.end()) return Invalid("unknown option " + std::string(name));
    const std::string shown(name);
    if (!flag->second.parse) {
      if (equals != std::string_view::npos) return Invalid(shown + ": takes no value");
      *flag->second.on = true;
      continue;
    }
    std::string_view value;
    if (equals != std::string_view::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Invalid(shown + ": missing value");
    }
    if (std::optional<std::string> problem = flag->second.parse(value)) {
      return Invalid(shown + ": '" + std::string(value) + "' " + *problem);
    }
  }
  return positional;
}

}  // namespace alertllm::apps
