#!/usr/bin/env bash
# The README's test command: installs what is missing, then configures, builds and runs every
# test (all ctest labels) in the dev preset with -Werror, repeats the unit and integration
# tests under AddressSanitizer + UndefinedBehaviorSanitizer and under ThreadSanitizer, and
# fuzzes the webhook parser for 30 s, each classify-response decoder and alertllm-classify's
# input reader for 20 s.
# Exits non-zero on the first failure.
#
# Environment: ALERTLLM_FUZZ_SECONDS (webhook, default 30), ALERTLLM_DECODER_FUZZ_SECONDS (each
# response decoder and the CLI's input reader, default 20), ALERTLLM_JOBS (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${ALERTLLM_JOBS:-$(nproc)}
fuzz_seconds=${ALERTLLM_FUZZ_SECONDS:-30}
export ALERTLLM_WERROR=ON
export CTEST_OUTPUT_ON_FAILURE=1

# Everything the ctest labels `unit` and `integration` run (the sanitizer presets run both).
unit_targets=(alertllm_unit_tests alertllm_alloc_tests alertllm_stress_tests alertllm_core_only_test
              alertllm_integration_tests alertllm_metrics_dump alertllm_client_metrics_dump
              alertllm_mock_proxy_tests alertllm_mock_proxy alertllm_classify_cli_tests
              alertllm_classify alertllm_webhook_tests alertllm_webhook_metrics_dump
              alertllm_webhook alertllm_apps_common_tests alertllm_secret_unit_tests
              alertllm_secret_tests alertllm_echo_llm_server)

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
scripts/deps.sh

step "dev: configure, build, test (all labels)"
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
ctest --preset dev -j "$jobs"

step "asan: unit and integration tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs" --target "${unit_targets[@]}"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --preset asan -j "$jobs"

step "tsan: unit, stress and integration tests under ThreadSanitizer"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs" --target "${unit_targets[@]}"
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp" \
  ctest --preset tsan -j "$jobs"

step "fuzz: webhook parser for ${fuzz_seconds}s (clang-16 libFuzzer + ASan/UBSan)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
corpus=build/fuzz/corpus/webhook
mkdir -p "$corpus"
cp testdata/alertmanager/*.json "$corpus/"
build/fuzz/fuzz/alertllm_webhook_fuzz -max_total_time="$fuzz_seconds" -timeout=10 \
  -rss_limit_mb=2048 -dict=fuzz/webhook.dict -print_final_stats=1 "$corpus" \
  > build/fuzz/webhook_fuzz.log 2>&1 || { tail -n 60 build/fuzz/webhook_fuzz.log; exit 1; }
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' build/fuzz/webhook_fuzz.log || true
echo "fuzz: no crash in ${fuzz_seconds}s"

# The classify-response decoders, seeded with the committed answers of fuzz/corpus/.
decoder_seconds=${ALERTLLM_DECODER_FUZZ_SECONDS:-20}
for protocol in proxy openai; do
  step "fuzz: ${protocol} response decoder for ${decoder_seconds}s"
  corpus=build/fuzz/corpus/$protocol
  log=build/fuzz/${protocol}_response_fuzz.log
  mkdir -p "$corpus"
  cp fuzz/corpus/"$protocol"/* "$corpus/"
  build/fuzz/fuzz/alertllm_${protocol}_response_fuzz -max_total_time="$decoder_seconds" -timeout=10 \
    -rss_limit_mb=2048 -dict=fuzz/protocol.dict -print_final_stats=1 "$corpus" \
    > "$log" 2>&1 || { tail -n 60 "$log"; exit 1; }
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  echo "fuzz: no crash in ${decoder_seconds}s"
done

step "fuzz: alertllm-classify's input reader for ${decoder_seconds}s"
corpus=build/fuzz/corpus/classify_input
log=build/fuzz/classify_input_fuzz.log
mkdir -p "$corpus"
cp testdata/alertmanager/*.json testdata/classify/* "$corpus/"
build/fuzz/fuzz/alertllm_classify_input_fuzz -max_total_time="$decoder_seconds" -timeout=10 \
  -rss_limit_mb=2048 -dict=fuzz/webhook.dict -print_final_stats=1 "$corpus" \
  > "$log" 2>&1 || { tail -n 60 "$log"; exit 1; }
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
echo "fuzz: no crash in ${decoder_seconds}s"

step "all tests passed"
