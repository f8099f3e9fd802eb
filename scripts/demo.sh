#!/usr/bin/env bash
# The README's first command: alertllm doing its job on this machine, with no LLM account and no
# network beyond Debian's archive.
#
#  1. installs what is missing (scripts/deps.sh, with curl and jq for this script's requests)
#     and builds the three programs (release flags) in build/demo;
#  2. starts alertllm-mock-proxy, a local stand-in LLM proxy, on a free port of 127.0.0.1;
#  3. classifies the sample Alertmanager payloads of testdata/alertmanager with alertllm-classify
#     (table), then a storm: 2,000 alerts of 200 distinct against a second stand-in that answers
#     in 200 ms and allows 32 requests in flight (429 + Retry-After beyond) — 200 LLM requests,
#     every alert classified, the quota absorbed without opening the breaker;
#  4. starts alertllm-webhook (the Alertmanager receiver) in front of the same proxy, posts a
#     payload twice (the second answered from the cache), then injects an outage into the proxy
#     and posts new alerts: calls fail, the circuit breaker opens, calls fail fast with
#     circuit_breaker_open and the rule-based fallback answers;
#  5. heals the proxy: after the breaker's reset timeout a half-open probe succeeds and closes it;
#  6. prints the breaker stats (/healthz) and an excerpt of the metrics (/metrics);
#  7. stops everything it started and exits 0 (it stops them too when it fails or is
#     interrupted: ctest example.DemoLeavesNoProcess checks).
#
# Environment: ALERTLLM_JOBS (build parallelism, default nproc); ALERTLLM_DEMO_BUILD_DIR: an
# existing build tree with the three programs (ctest's example.DemoStory uses the dev tree) — then
# nothing is installed or built.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${ALERTLLM_JOBS:-$(nproc)}
build=${ALERTLLM_DEMO_BUILD_DIR:-build/demo}
bin=$build/bin
pids=()
logs=$(mktemp -d)
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap cleanup EXIT
# Ctrl-C or a kill ends the script through the EXIT trap, which stops the servers.
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# Starts "$@" in the background and sets $url to the URL of its "listening on URL" line. Not
# called in a $(...) subshell, so that its pid stays in $pids for the exit trap to stop.
start() {
  local log
  log=$logs/$(basename "$1").log
  "$@" >"$log" 2>"$log.err" &
  pids+=($!)
  for _ in $(seq 200); do
    if grep -q '^listening on ' "$log"; then
      url=$(sed -n 's/^listening on //p' "$log" | head -n 1)
      return 0
    fi
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  echo "demo: $1 did not start:" >&2
  cat "$log.err" >&2
  return 1
}

if [[ -z ${ALERTLLM_DEMO_BUILD_DIR:-} ]]; then
  say "dependencies and build (release)"
  scripts/deps.sh
  # Its own build directory (release flags, no tests or benchmarks), so that it leaves the
  # presets' build trees as they are.
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DALERTLLM_BUILD_TESTS=OFF \
    -DALERTLLM_BUILD_BENCHMARKS=OFF -DALERTLLM_BUILD_EXAMPLES=OFF \
    -DALERTLLM_BUILD_FUZZERS=OFF >/dev/null
  cmake --build "$build" -j "$jobs" --target alertllm_mock_proxy alertllm_classify alertllm_webhook
fi

say "start the stand-in LLM proxy"
start "$bin/alertllm-mock-proxy" --port 0 --quiet
proxy=$url
echo "alertllm-mock-proxy on $proxy"

# Short timings so that the demo's outage and recovery take seconds, not minutes.
export LLM_BASE_URL=$proxy
export LLM_MAX_RETRIES=1 LLM_RETRY_DELAY=100ms LLM_TIMEOUT=2s
export LLM_CIRCUIT_BREAKER_MAX_FAILURES=3 LLM_CIRCUIT_BREAKER_RESET_TIMEOUT=3s
export LLM_FALLBACK=rules

say "classify the sample Alertmanager payloads (testdata/alertmanager) with alertllm-classify"
"$bin/alertllm-classify" --format table testdata/alertmanager/alertmanager_webhook_*.json

say "a storm: 2,000 alerts of 200 distinct, a model answering in 200 ms with a quota of 32 in flight"
start "$bin/alertllm-mock-proxy" --port 0 --quiet --latency-ms 200 --max-in-flight 32
storm_proxy=$url
# Alertmanager re-sends every firing alert of a group with each notification: 10 copies of each.
for i in $(seq 0 1999); do
  printf '{"status":"firing","labels":{"alertname":"HighCPUUsage","instance":"node-%d:9100"},"startsAt":"2026-12-01T10:00:00Z"}\n' $((i % 200))
done >"$logs/storm.ndjson"
started=$(date +%s%N)
LLM_BASE_URL=$storm_proxy "$bin/alertllm-classify" --format jsonl --concurrency 64 --stats \
  "$logs/storm.ndjson" >"$logs/storm.out" 2>"$logs/storm.err"
ended=$(date +%s%N)
classified=$(grep -c '"ok":true' "$logs/storm.out" || true)
state=$(tail -n 1 "$logs/storm.err" | jq -r .state)
stats=$(curl -sS "$storm_proxy/admin/stats")
echo "  $classified of 2000 alerts classified in $(((ended - started) / 1000000)) ms;" \
  "the model answered $(jq .answered <<<"$stats") requests (one per distinct alert) and" \
  "refused $(jq .rate_limited <<<"$stats") over its quota; the breaker stayed $state"
grep -o '"source":"[a-z]*"' "$logs/storm.out" | sort | uniq -c | sed 's/^/  /'
[[ $classified -eq 2000 && $state == closed && $(jq .answered <<<"$stats") -eq 200 ]] ||
  { echo "demo: the storm was not absorbed" >&2; exit 1; }

say "start the Alertmanager webhook receiver"
start "$bin/alertllm-webhook" --listen 127.0.0.1:0
webhook=$url
echo "alertllm-webhook on $webhook (POST /alerts, GET /healthz, GET /metrics)"

post_alerts() {
  local file=$1 started ended
  started=$(date +%s%N)
  local answer
  answer=$(curl -sS -X POST -H 'Content-Type: application/json' --data-binary "@$file" \
    "$webhook/alerts")
  ended=$(date +%s%N)
  jq -r --arg ms "$(((ended - started) / 1000000))" '.classifications[] |
      "  \(.alertname)  \(if .ok then "\(.severity) from \(.source)" else "error \(.error.category)" end)"
      + (if .fallback_reason then "  (fallback because \(.fallback_reason))" else "" end)
      + "  [\($ms) ms for the batch]"' <<<"$answer"
}
breaker() { curl -sS "$webhook/healthz" | jq -c '.llm | {circuit_breaker_state, failure_count, success_count}'; }
# The demo checks its own story: it fails if the breaker is not in the state it should be.
expect_state() {
  local state
  state=$(curl -sS "$webhook/healthz" | jq -r .llm.circuit_breaker_state)
  [[ $state == "$1" ]] || { echo "demo: the breaker is $state, expected $1" >&2; exit 1; }
}

payload=testdata/alertmanager/alertmanager_webhook_02_NodeDown_firing.json
# The payload's alert made new to the client's cache: a `demo_round` label, and no fingerprint
# (the receiver computes it from the labels), so that the LLM is asked again.
round() {
  jq -c --arg r "$1" '.alerts |= map(.labels.demo_round = $r | del(.fingerprint))' "$payload" \
    >"$logs/round-$1.json"
  post_alerts "$logs/round-$1.json"
}
echo "healthy; the same notification again is answered from the client's cache, no request:"
post_alerts "$payload"
post_alerts "$payload"
breaker
expect_state closed

say "outage: the proxy now answers every classify request with 503"
curl -sS -X POST -H 'Content-Type: application/json' \
  --data '{"failure_rate":1,"status":503}' "$proxy/admin/faults" >/dev/null
for i in 1 2 3; do round "$i"; done
breaker
expect_state open
echo "the breaker is open: calls fail fast, without a request, and the fallback answers:"
for i in 4 5; do round "$i"; done

say "heal the proxy; after the 3 s reset timeout a half-open probe closes the breaker"
curl -sS -X POST -H 'Content-Type: application/json' --data '{}' "$proxy/admin/faults" >/dev/null
sleep 3.2
round 6
breaker
expect_state closed

say "breaker stats (GET /healthz)"
curl -sS "$webhook/healthz" | jq .

say "metrics excerpt (GET /metrics)"
curl -sS "$webhook/metrics" | grep -E '^llm_circuit_breaker_(state|state_changes_total|requests_blocked_total)|^llm_client_(requests_total|fallbacks_total|cache_lookups_total)' |
  grep -v ' 0$'

say "done: stopping the proxy and the webhook receiver"
