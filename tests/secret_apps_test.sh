#!/usr/bin/env bash
# ctest secrets.Apps: issue 11 items 3 and 4 end to end. alertllm-classify (with --stats and
# --metrics-out) and alertllm-webhook (POST /alerts, GET /metrics) run against an LLM that
# echoes every request header and the URL into its answers, down every failure it has, with the
# key from LLM_API_KEY_FILE, an extra header and credentials in base_url; every byte they print,
# log, answer or write is searched for each secret and each 8-byte piece of one. Then the key
# file's config errors (exit 2 for both apps, the key never shown) and --help.
#
# Usage: secret_apps_test.sh ECHO_SERVER CLASSIFY WEBHOOK CLASSIFY_INPUT WEBHOOK_PAYLOAD
set -euo pipefail
echo_server=$1 classify=$2 webhook=$3 input=$4 payload=$5
work=$(mktemp -d)
server_pid= webhook_pid=
cleanup() {
  [[ -n $webhook_pid ]] && kill -KILL "$webhook_pid" 2>/dev/null
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

key=sk-TESTSECRET-12345 extra=xk-EXTRASECRET-999 password=PASSSECRET-555 query=QUERYSECRET-777
# Every 8-byte piece of every secret, one per line, for grep -F -f.
for secret in "$key" "$extra" "$password" "$query"; do
  for ((i = 0; i + 8 <= ${#secret}; i++)); do echo "${secret:i:8}"; done
done >"$work/pieces"
# no_leak FILE...: fails naming the first secret piece found in any FILE.
no_leak() {
  local found
  if found=$(grep -F -o -f "$work/pieces" "$@" | head -n 1) && [[ -n $found ]]; then
    fail "secret piece '${found##*:}' in ${found%%:*}"
  fi
}

"$echo_server" >"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do grep -q '^listening on ' "$work/server.log" && break; sleep 0.05; done
origin=$(sed -n 's|^listening on http://||p' "$work/server.log")
[[ -n $origin ]] || fail "the echo server did not start"

printf '%s\n' "$key" >"$work/key"
export LLM_API_KEY_FILE=$work/key LLM_EXTRA_HEADERS="X-Api-Key=$extra" LLM_MAX_RETRIES=0
base() { echo "http://tester:$password@$origin/$1?key=$query"; }

# shellcheck source=support/e2e.sh
source "$(dirname "$0")/support/e2e.sh"
request() { e2e_http "$@"; }  # PORT METHOD PATH [BODY_FILE]

run_classify() {  # MODE FALLBACK
  local rc=0
  LLM_BASE_URL=$(base "$1") "$classify" --format jsonl --fallback "$2" --stats \
    --metrics-out "$work/c.prom" "$input" >"$work/c.out" 2>"$work/c.err" || rc=$?
  [[ $rc -le 1 ]] || fail "classify ($1, $2): exit $rc: $(cat "$work/c.err")"
  grep -q '\*\*\*' "$work/c.out" || fail "classify ($1, $2): no masked echo in: $(cat "$work/c.out")"
  no_leak "$work/c.out" "$work/c.err" "$work/c.prom"
}

run_webhook() {  # MODE FALLBACK
  : >"$work/w.out"  # the last run's "listening on" line must not be read for this one's
  LLM_BASE_URL=$(base "$1") "$webhook" --listen 127.0.0.1:0 --fallback "$2" \
    >"$work/w.out" 2>"$work/w.err" &
  webhook_pid=$!
  local port
  port=$(e2e_port "$webhook_pid" "$work/w.out") ||
    fail "webhook ($1): no 'listening on' line: $(cat "$work/w.err")"
  request "$port" POST /alerts "$payload" >"$work/w.alerts"
  request "$port" GET /metrics >"$work/w.metrics"
  kill -TERM "$webhook_pid"
  wait "$webhook_pid" || fail "webhook ($1): exit status $? after SIGTERM"
  webhook_pid=
  grep -q '\*\*\*' "$work/w.alerts" || fail "webhook ($1, $2): no masked echo: $(cat "$work/w.alerts")"
  no_leak "$work/w.out" "$work/w.err" "$work/w.alerts" "$work/w.metrics"
}

for mode in 401 503 html502 429 html badjson invalid servererror; do
  for fallback in none rules; do
    run_classify "$mode" "$fallback"
    run_webhook "$mode" "$fallback"
  done
done
grep -q 'base_url=http://\*\*\*:\*\*\*@127.0.0.1:[0-9]*/servererror?key=\*\*\*' "$work/w.err" ||
  fail "the webhook did not log base_url masked: $(cat "$work/w.err")"

# expect_config_error NAME: both apps exit 2, name LLM_API_KEY_FILE, never show the key.
expect_config_error() {
  local rc=0
  "$classify" "$input" >"$work/e.out" 2>"$work/e.err" || rc=$?
  [[ $rc -eq 2 ]] || fail "$1: classify exit $rc, want 2"
  rc=0
  timeout 10 "$webhook" --listen 127.0.0.1:0 >>"$work/e.out" 2>>"$work/e.err" || rc=$?
  [[ $rc -eq 2 ]] || fail "$1: webhook exit $rc, want 2"
  [[ $(grep -c LLM_API_KEY_FILE "$work/e.err") -eq 2 ]] || fail "$1: $(cat "$work/e.err")"
  no_leak "$work/e.out" "$work/e.err"
}
export LLM_BASE_URL=$(base 503)
LLM_API_KEY_FILE=$work/missing expect_config_error "missing file"
: >"$work/empty"
LLM_API_KEY_FILE=$work/empty expect_config_error "empty file"
LLM_API_KEY_FILE=$work expect_config_error "directory"
LLM_API_KEY=$key expect_config_error "both LLM_API_KEY and LLM_API_KEY_FILE"

"$classify" --help >"$work/h.out" 2>&1
"$webhook" --help >>"$work/h.out" 2>&1
no_leak "$work/h.out"
echo "ok: classify and webhook against the echo, 8 failures x 2 fallbacks; key file errors exit 2"
