#!/usr/bin/env bash
# End to end: starts alertllm-webhook on 127.0.0.1 port 0 (LLM unreachable, fallback rules),
# reads the port from its "listening on" line, POSTs a notification and a bad body with bash's
# /dev/tcp, checks /healthz, then SIGTERM must end it with exit status 0.
# Usage: webhook_e2e.sh ALERTLLM_WEBHOOK_BINARY PAYLOAD_JSON
set -euo pipefail
bin=$1
payload=$2
dir=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- service stderr:" >&2; cat "$dir/err" >&2 || true; exit 1; }

# shellcheck source=../../tests/support/e2e.sh
source "$(dirname "$0")/../../tests/support/e2e.sh"
# request METHOD PATH [BODY_FILE]: prints the whole HTTP response.
request() { e2e_http "$port" "$@"; }

LLM_BASE_URL=http://127.0.0.1:1 LLM_MAX_RETRIES=0 LLM_API_KEY=sk-e2e-secret \
  "$bin" --listen 127.0.0.1:0 --fallback rules > "$dir/out" 2> "$dir/err" &
pid=$!

port=$(e2e_port "$pid" "$dir/out") || fail "no 'listening on' line"

answer=$(request POST /alerts "$payload")
[[ $answer == "HTTP/1.1 200 OK"* ]] || fail "POST /alerts: $answer"
[[ $answer == *'"classifications":[{'* ]] || fail "no classifications: $answer"
[[ $answer == *'"source":"fallback"'* ]] || fail "not answered by the fallback: $answer"

printf 'not json' > "$dir/bad"
answer=$(request POST /alerts "$dir/bad")
[[ $answer == "HTTP/1.1 400 Bad Request"* ]] || fail "bad body: $answer"
[[ $answer == *'{"error":'* ]] || fail "bad body without error: $answer"

answer=$(request GET /healthz)
[[ $answer == "HTTP/1.1 200 OK"* && $answer == *'"status":"healthy"'* ]] || fail "healthz: $answer"

answer=$(request GET /metrics)
[[ $answer == *'alertllm_webhook_requests_total{code="400"} 1'* ]] || fail "metrics: $answer"

[[ $(wc -l < "$dir/out") -eq 1 ]] || fail "stdout has more than the listening line"
grep -q 'classified fingerprint=' "$dir/err" || fail "no classification log line"
if grep -q 'sk-e2e-secret' "$dir/err"; then fail "the API key was logged"; fi

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[[ $status -eq 0 ]] || fail "exit status $status after SIGTERM"
echo "ok: port $port, SIGTERM -> exit 0"
