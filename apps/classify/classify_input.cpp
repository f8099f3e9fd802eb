// SPDX-License-Identifier: Apache-2.0
// alertllm-classify's input: format detection and parsing of webhook bodies, alert arrays,
// single alerts and NDJSON, with errors that name the file, line and column.
#include <alertllm/errors.hpp>
#include <alertllm/webhook.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "classify_cli.hpp"

namespace alertllm::cli {

namespace {

std::string Shown(std::string_view name) {
  return name == "-" ? std::string("<stdin>") : std::string(name);
}

Error InputError(std::string message) {
  return Error{ErrorCode::kInvalidRequest, std::move(message)};
}

// Closes what it opened; stdin stays open.
class InputFd {
 public:
  explicit InputFd(int fd) : fd_(fd) {}
  InputFd(const InputFd&) = delete;
  InputFd& operator=(const InputFd&) = delete;
  ~InputFd() {
    if (fd_ > STDIN_FILENO) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Up to `max_bytes` + 1 bytes of `fd` into `text`; false (errno set) on a read error.
bool ReadUpTo(int fd, std::size_t max_bytes, std::string& text) {
  char chunk[65536];
  while (text.size() <= max_bytes) {
    const std::size_t want = std::min(sizeof chunk, max_bytes + 1 - text.size());
    if (text.capacity() - text.size() < want) {
      // Doubling, but libstdc++ rounds any growth short of double up to double: asking for
      // limit + 1 bytes as soon as the next doubling would pass it keeps an input over the
      // limit at limit + 1 bytes, rather than twice the limit.
      std::size_t target = std::max(2 * text.capacity(), text.size() + want);
      if (target > (max_bytes + 1) / 2) target = max_bytes + 1;
      text.reserve(target);
    }
    const ssize_t got = ::read(fd, chunk, want);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return false;
    if (got == 0) break;
    text.append(chunk, static_cast<std::size_t>(got));
  }
  return true;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimBlank(std::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return text;
}

// Where a problem is: 0 means "not known" for either part.
struct Location {
  std::size_t line = 0;
  std::size_t column = 0;
};

struct DocumentError {
  Location where;
  std::string message;
};

Location LocationOf(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  Location where{1, 1};
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++where.line;
      where.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) {
      ++where.column;
    }
  }
  return where;
}

// Validates JSON without building a tree and notes what the document's top level is, so that
// malformed input is reported with its own line and column (not those of a wrapped copy).
class JsonScanner final : public nlohmann::json_sax<nlohmann::json> {
 public:
  enum class Top { kNone, kObject, kArray, kScalar };

  bool null() override { return Scalar("null"); }
  bool boolean(bool /*value*/) override { return Scalar("boolean"); }
  bool number_integer(number_integer_t /*value*/) override { return Scalar("number"); }
  bool number_unsigned(number_unsigned_t /*value*/) override { return Scalar("number"); }
  bool number_float(number_float_t /*value*/, const string_t& /*text*/) override {
    return Scalar("number");
  }
  bool string(string_t& /*value*/) override { return Scalar("string"); }
  bool binary(binary_t& /*value*/) override { return Scalar("binary"); }
  bool start_object(std::size_t /*elements*/) override {
    if (depth_++ == 0) top_ = Top::kObject;
    return true;
  }
  bool key(string_t& name) override {
    if (depth_ == 1 && name == "alerts") has_alerts_ = true;
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t /*elements*/) override {
    if (depth_++ == 0) top_ = Top::kArray;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) override {
    error_position_ = position;
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 9: <reason>;
    // last read: '<input>'": keep the reason, never the raw input.
    std::string_view what = error.what();
    if (const auto colon = what.find(": "); colon != std::string_view::npos) {
      what.remove_prefix(colon + 2);
    }
    if (const auto last = what.find("; last read"); last != std::string_view::npos) {
      what = what.substr(0, last);
    }
    reason_ = ClipToWidth(what, 160);
    return false;
  }

  Top top() const { return top_; }
  bool has_alerts() const { return has_alerts_; }
  const char* scalar_type() const { return scalar_type_; }
  std::size_t error_position() const { return error_position_; }
  const std::string& reason() const { return reason_; }

 private:
  bool Scalar(const char* type) {
    if (depth_ == 0) {
      top_ = Top::kScalar;
      scalar_type_ = type;
    }
    return true;
  }

  Top top_ = Top::kNone;
  int depth_ = 0;
  bool has_alerts_ = false;
  const char* scalar_type_ = "";
  std::size_t error_position_ = 0;
  std::string reason_;
};

// `message` without a leading `prefix`, and with `replacement` in its place.
std::string Replace(std::string message, std::string_view prefix, std::string_view replacement) {
  if (message.starts_with(prefix)) message.replace(0, prefix.size(), replacement);
  return message;
}

// One JSON document: a webhook body, one alert or an array of alerts. Appends its alerts to
// `out`; the problem, or no value.
std::optional<DocumentError> ParseDocument(std::string_view text, std::vector<Alert>& out) {
  JsonScanner scanner;
  const bool valid = nlohmann::json::sax_parse(text.begin(), text.end(), &scanner);
  if (!valid) {
    // nlohmann counts the bytes read, the offending one included.
    const std::size_t offset = scanner.error_position() == 0 ? 0 : scanner.error_position() - 1;
    return DocumentError{LocationOf(text, offset), "malformed JSON: " + scanner.reason()};
  }
  if (scanner.top() != JsonScanner::Top::kObject && scanner.top() != JsonScanner::Top::kArray) {
    return DocumentError{{}, std::string("expected a JSON object or array, got ") +
                                 scanner.scalar_type()};
  }
  Result<std::vector<Alert>> alerts = std::vector<Alert>{};
  if (scanner.top() == JsonScanner::Top::kObject && scanner.has_alerts()) {
    alerts = ParseAlertmanagerWebhook(text, kMaxInputBytes);
    if (!alerts) return DocumentError{{}, alerts.error().message};
  } else if (scanner.top() == JsonScanner::Top::kObject) {
    // The library reads alerts only inside an envelope; its paths then start "alerts[0]".
    std::string body = R"({"version":"4","alerts":[)";
    body.append(text);
    body += "]}";
    alerts = ParseAlertmanagerWebhook(body, kMaxInputBytes + body.size() - text.size());
    if (!alerts) {
      std::string message = Replace(alerts.error().message, "alerts[0].", "");
      return DocumentError{{}, Replace(std::move(message), "alerts[0]", "alert")};
    }
  } else {
    std::string body = R"({"version":"4","alerts":)";
    body.append(text);
    body += "}";
    alerts = ParseAlertmanagerWebhook(body, kMaxInputBytes + body.size() - text.size());
    if (!alerts) return DocumentError{{}, Replace(alerts.error().message, "alerts[", "[")};
  }
  std::move(alerts->begin(), alerts->end(), std::back_inserter(out));
  return std::nullopt;
}

std::string Located(std::string_view name, Location where, const std::string& message) {
  std::string out(name);
  if (where.line != 0) out += ':' + std::to_string(where.line);
  if (where.column != 0) out += ':' + std::to_string(where.column);
  out += ": ";
  out += message;
  return out;
}

}  // namespace

Result<std::string> ReadInput(std::string_view name, std::size_t max_bytes) {
  const std::string shown = Shown(name);
  int fd = STDIN_FILENO;
  if (name != "-") {
    const std::string path(name);
    // open() fails on a socket with ENXIO, "No such device or address": say what it is.
    struct stat named {};
    if (::stat(path.c_str(), &named) == 0 && S_ISSOCK(named.st_mode)) {
      return InputError(shown + " is a socket, not a file");
    }
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return InputError(shown + ": cannot read: " + std::strerror(errno));
  }
  const InputFd input(fd);
  struct stat opened {};
  if (::fstat(input.get(), &opened) != 0) {
    return InputError(shown + ": cannot read: " + std::strerror(errno));
  }
  // A directory opens, and read() fails with EISDIR; stdin redirected from one would read as
  // "empty input" through stdio.
  if (S_ISDIR(opened.st_mode)) return InputError(shown + " is a directory");
  std::string text;
  if (S_ISREG(opened.st_mode) && opened.st_size > 0) {
    text.reserve(std::min(static_cast<std::size_t>(opened.st_size), max_bytes) + 1);
  }
  if (!ReadUpTo(input.get(), max_bytes, text)) {
    return InputError(shown + ": cannot read: " + std::strerror(errno));
  }
  if (text.size() > max_bytes) {
    return InputError(shown + ": over the limit of " + std::to_string(max_bytes) + " bytes");
  }
  return text;
}

std::string_view ToString(InputFormat format) noexcept {
  switch (format) {
    case InputFormat::kObject: return "object";
    case InputFormat::kArray: return "array";
    case InputFormat::kNdjson: return "ndjson";
    case InputFormat::kEmpty: return "empty";
    case InputFormat::kUnknown: return "unknown";
  }
  return "unknown";
}

InputFormat DetectInputFormat(std::string_view text) noexcept {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::size_t start = 0;
  while (start < text.size() && IsBlank(text[start])) ++start;
  if (start == text.size()) return InputFormat::kEmpty;
  if (text[start] == '[') return InputFormat::kArray;
  if (text[start] != '{') return InputFormat::kUnknown;
  const std::size_t end = text.find('\n', start);
  if (end == std::string_view::npos) return InputFormat::kObject;
  const std::string_view first_line = TrimBlank(text.substr(start, end - start));
  const bool more_lines = !TrimBlank(text.substr(end)).empty();
  return first_line.ends_with('}') && more_lines ? InputFormat::kNdjson : InputFormat::kObject;
}

Result<std::vector<Alert>> ParseInput(std::string_view name, std::string_view text) {
  const std::string shown = Shown(name);
  if (text.size() > kMaxInputBytes) {
    return Error{ErrorCode::kInvalidRequest,
                 shown + ": " + std::to_string(text.size()) + " bytes, over the limit of " +
                     std::to_string(kMaxInputBytes)};
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  switch (DetectInputFormat(text)) {
    case InputFormat::kEmpty:
      return Error{ErrorCode::kInvalidRequest, shown + ": empty input"};
    case InputFormat::kUnknown: {
      std::size_t start = 0;
      while (start < text.size() && IsBlank(text[start])) ++start;
      return Error{ErrorCode::kInvalidRequest,
                   Located(shown, LocationOf(text, start),
                           "not JSON: expected '{' (an object or NDJSON) or '[' (an array)")};
    }
    case InputFormat::kObject:
    case InputFormat::kArray: {
      std::vector<Alert> alerts;
      if (auto error = ParseDocument(text, alerts)) {
        return Error{ErrorCode::kInvalidRequest, Located(shown, error->where, error->message)};
      }
      return alerts;
    }
    case InputFormat::kNdjson:
      break;
  }
  std::vector<Alert> all;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (TrimBlank(line).empty()) continue;
    if (auto error = ParseDocument(line, all)) {
      const Location where{line_number, error->where.column};
      return Error{ErrorCode::kInvalidRequest, Located(shown, where, error->message)};
    }
  }
  return all;
}

}  // namespace alertllm::cli
