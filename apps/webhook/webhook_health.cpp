// SPDX-License-Identifier: Apache-2.0
#include "webhook_health.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <utility>

#include "webhook_service.hpp"

namespace alertllm::webhook {

namespace {

using Json = nlohmann::json;

std::string FormatUtc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{ms - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

// The breaker keeps steady-clock time; the health JSON shows wall time, so the point is moved
// by its distance from steady now.
Json WallTime(std::chrono::steady_clock::time_point t) {
  if (t == CircuitBreakerStats::kNever || t == std::chrono::steady_clock::time_point::max()) {
    return nullptr;
  }
  const auto offset = t - std::chrono::steady_clock::now();
  return FormatUtc(std::chrono::system_clock::now() +
                   std::chrono::duration_cast<std::chrono::system_clock::duration>(offset));
}

}  // namespace

std::string_view HealthStateName(CircuitState state) noexcept {
  // The seed spells half-open with a hyphen; the metric labels (ToString) with an underscore.
  return state == CircuitState::kHalfOpen ? "half-open" : ToString(state);
}

std::string HealthBody(const CircuitBreakerStats& stats) {
  Json llm = {{"circuit_breaker_state", std::string(HealthStateName(stats.state))},
              {"failure_count", stats.failure_count},
              {"success_count", stats.success_count},
              {"last_failure", WallTime(stats.last_failure)},
              {"next_retry_at", stats.state == CircuitState::kOpen ? WallTime(stats.next_retry_at)
                                                                   : Json(nullptr)}};
  return Json{{"status", "healthy"}, {"llm", std::move(llm)}}.dump();
}

}  // namespace alertllm::webhook
