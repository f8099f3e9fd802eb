// SPDX-License-Identifier: Apache-2.0
// alertllm-mock-proxy: a local stand-in for the LLM proxy, with fault injection. See --help.
#include <pthread.h>

#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "mock_proxy.hpp"

namespace {

constexpr std::string_view kHelp = R"(Usage: alertllm-mock-proxy [flags]

A local stand-in for the LLM proxy alertllm talks to, answering both wire protocols with
RuleBasedClassifier's verdict dressed as an LLM's (confidence 0.70..0.95 per alert), with
faults to inject. Listens on 127.0.0.1 only. Prints one line, "listening on
http://127.0.0.1:PORT", to stdout once it serves; logs one line per request to stderr.
SIGINT or SIGTERM stops it (exit 0). Bad flags: exit 2.

Flags:
  --port N               port to listen on (default 8080; 0 picks a free port)
  --failure-rate F       share of classify requests that fail, 0..1 (default 0; 1 when
                         --malformed, --truncated or --drop is given without it)
  --status N             HTTP status of a failure, 400..599 (default 503)
  --latency-ms N         added before answering classify and health requests (default 0)
  --max-in-flight N      provider-style quota: at most N classify requests being answered
                         at once (latency included); one more gets 429 at once, with
                         Retry-After: 1 and {"error":{"type":"rate_limit_exceeded",...}}
                         (0..1024; default 0: no quota)
  --retry-after S        Retry-After header sent with every status failure, e.g. 2
  --malformed            a failure is answered 200 with invalid JSON
  --truncated            a failure declares the full Content-Length, sends half the body
                         and closes the connection
  --drop                 a failure closes the connection without answering
                         (drop wins over truncated, truncated over malformed)
  --down-for-seconds N   every classify and health request fails with --status for N
                         seconds from start, then the proxy heals by itself
  --seed N               seed of the deterministic failure draws (default 1)
  --obey-injection       answer severity noise when an annotation says "ignore previous
                         instructions" and "severity noise", as a model fooled by a prompt
                         injection would (to try LLM_SEVERITY_FLOOR=label against)
  --quiet                no request log on stderr
  --help                 this text

Endpoints:
  POST /classify              proxy protocol: {"alert":{...}} -> {"classification":{"severity",
                              "category","summary","confidence","reasoning","suggestions"},
                              "request_id":"mock-N","processing_time":"Nms"}
  POST /v1/chat/completions   OpenAI protocol: the alert is the JSON text of the user message
                              (between <alert> and </alert> markers, or bare);
                              answers a chat.completion, choices[0].message.content = the
                              classification JSON, finish_reason "stop", id "mock-N"
  GET  /health                200 {"status":"ok"}; the --status failure, {"status":"down"},
                              while down
  GET  /v1/models             the model list ("alertllm-mock"); fails while down
  GET  /admin/faults          the fault set as JSON (down_for_seconds: the time left)
  POST /admin/faults          replaces the whole fault set, e.g. {"failure_rate":0.5,
                              "status":429,"retry_after":"2"}; {} clears; restarts the draws.
                              Fields: failure_rate, status, latency_ms, retry_after, malformed,
                              truncated, drop, down_for_seconds. A bad field: 400
                              {"error":"<field>: ...","field":"<field>"}
  GET  /admin/stats           {"requests","failures","answered","rate_limited","by_path":
                              {PATH:{"requests","failures"}}}, counting every request but
                              /admin/* ones; answered: classifications sent, rate_limited:
                              429s of the --max-in-flight quota (not failures)
Only classify requests draw failures; health requests fail only while down; /admin/* never
fails. Bodies that are not the protocol's JSON get 400, bodies over 1 MiB get 413, both with a
JSON "error".
)";

[[noreturn]] void BadFlag(const std::string& message) {
  std::cerr << "alertllm-mock-proxy: " << message << "\nTry 'alertllm-mock-proxy --help'.\n";
  std::exit(2);
}

template <typename T>
T Number(std::string_view flag, std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    BadFlag(std::string(flag) + ": '" + std::string(text) + "' is not a valid number");
  }
  return value;
}

// One command-line argument being parsed: its name, a value given after '=', and the rest of
// argv for a value given as the next argument.
class Arg {
 public:
  Arg(int argc, char** argv, int& i) : argc_(argc), argv_(argv), i_(i), raw_(argv[i]) {
    name_ = raw_;
    if (const auto eq = name_.find('='); name_.starts_with("--") && eq != std::string_view::npos) {
      inline_value_ = name_.substr(eq + 1);
      name_ = name_.substr(0, eq);
    }
  }

  std::string_view name() const { return name_; }
  std::string_view raw() const { return raw_; }

  std::string_view Value() {
    if (inline_value_) return *inline_value_;
    if (i_ + 1 >= argc_) BadFlag(std::string(name_) + " needs a value");
    return argv_[++i_];
  }

  void NoValue() const {
    if (inline_value_) BadFlag(std::string(name_) + " takes no value");
  }

 private:
  int argc_;
  char** argv_;
  int& i_;
  std::string_view raw_;
  std::string_view name_;
  std::optional<std::string_view> inline_value_;
};

struct Flags {
  alertllm::mock::MockProxyOptions options;
  bool quiet = false;
  bool rate_given = false;
  bool help = false;
};

// Sets what `arg` names; exits 2 when the flag or its value is bad.
void ApplyFlag(Arg& arg, Flags& flags) {
  const std::string_view name = arg.name();
  auto& options = flags.options;
  auto& faults = options.faults;
  if (name == "--help" || name == "-h") {
    flags.help = true;
  } else if (name == "--port") {
    options.port = Number<int>(name, arg.Value());
    if (options.port < 0 || options.port > 65535) BadFlag("--port must be in 0..65535");
  } else if (name == "--failure-rate") {
    faults.failure_rate = Number<double>(name, arg.Value());
    flags.rate_given = true;
  } else if (name == "--status") {
    faults.status = Number<int>(name, arg.Value());
  } else if (name == "--latency-ms") {
    faults.latency_ms = Number<int>(name, arg.Value());
  } else if (name == "--max-in-flight") {
    options.max_in_flight = Number<int>(name, arg.Value());
    if (options.max_in_flight < 0 || options.max_in_flight > 1024) {
      BadFlag("--max-in-flight must be in 0..1024");
    }
  } else if (name == "--retry-after") {
    faults.retry_after = std::string(arg.Value());
  } else if (name == "--malformed") {
    arg.NoValue();
    faults.malformed = true;
  } else if (name == "--truncated") {
    arg.NoValue();
    faults.truncated = true;
  } else if (name == "--drop") {
    arg.NoValue();
    faults.drop = true;
  } else if (name == "--down-for-seconds") {
    faults.down_for_seconds = Number<double>(name, arg.Value());
  } else if (name == "--obey-injection") {
    arg.NoValue();
    options.obey_injection = true;
  } else if (name == "--seed") {
    options.seed = Number<std::uint64_t>(name, arg.Value());
  } else if (name == "--quiet") {
    arg.NoValue();
    flags.quiet = true;
  } else {
    BadFlag("unknown flag '" + std::string(arg.raw()) + "'");
  }
}

// The flags of argv, fault ranges checked; exits 2 when one is bad. Stops at --help, so the
// flags after it are not looked at.
Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  flags.options.port = 8080;
  for (int i = 1; i < argc && !flags.help; ++i) {
    Arg arg(argc, argv, i);
    ApplyFlag(arg, flags);
  }
  if (flags.help) return flags;
  if (auto error = alertllm::mock::NormalizeFaults(flags.options.faults, flags.rate_given)) {
    std::string flag = "--" + error->field;
    for (char& c : flag) {
      if (c == '_') c = '-';
    }
    BadFlag(flag + " " + error->message);
  }
  return flags;
}

// Serves until SIGINT or SIGTERM; the exit code.
int Serve(alertllm::mock::MockProxyOptions options, bool quiet) {
  static std::mutex log_mutex;
  if (!quiet) {
    options.log = [](std::string_view line) {
      const std::lock_guard lock(log_mutex);
      std::cerr << line << '\n';
    };
  }

  // Blocked before any thread starts, so every thread inherits the mask and only sigwait()
  // below sees these signals; a closed client socket must not kill the process either.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  alertllm::mock::MockProxy proxy(options);
  const auto port = proxy.Start();
  if (!port) {
    std::cerr << "alertllm-mock-proxy: " << port.error().message << '\n';
    return 1;
  }
  std::cout << "listening on " << proxy.url() << std::endl;

  int signal = 0;
  sigwait(&stop_signals, &signal);
  if (!quiet) {
    const std::lock_guard lock(log_mutex);
    std::cerr << "stopping on signal " << signal << '\n';
  }
  proxy.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  if (flags.help) {
    std::cout << kHelp;
    return 0;
  }
  return Serve(flags.options, flags.quiet);
}
