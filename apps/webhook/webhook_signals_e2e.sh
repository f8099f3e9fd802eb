#!/usr/bin/env bash
# End to end, the signals (issue 12): alertllm-webhook in front of alertllm-mock-proxy
# answering in 5 s. A notification is in flight when SIGTERM comes: with --shutdown-grace 1s
# the service must stop accepting at once, answer the notification 503 with Retry-After (so
# Alertmanager sends it again) after the grace, and exit 0 within grace + 1 s. Then, with a
# grace long enough, a notification in flight at SIGTERM is answered 200.
# Usage: webhook_signals_e2e.sh ALERTLLM_WEBHOOK_BINARY ALERTLLM_MOCK_PROXY_BINARY PAYLOAD_JSON
set -euo pipefail
webhook=$1
proxy=$2
payload=$3
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do { kill -KILL "$p" && wait "$p"; } 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- webhook stderr:" >&2; cat "$dir"/err* >&2 || true; exit 1; }

# shellcheck source=../../tests/support/e2e.sh
source "$(dirname "$0")/../../tests/support/e2e.sh"

now_ms() { date +%s%3N; }

"$proxy" --port 0 --latency-ms 5000 --quiet > "$dir/proxy.out" 2>/dev/null &
pids+=($!)
proxy_port=$(e2e_port "${pids[-1]}" "$dir/proxy.out") || fail "the mock proxy did not start"

# start_webhook GRACE NAME: starts the service; sets pid and port.
start_webhook() {
  LLM_BASE_URL=http://127.0.0.1:$proxy_port LLM_MAX_RETRIES=0 LLM_TIMEOUT=30s \
    LLM_CALL_TIMEOUT=60s "$webhook" --listen 127.0.0.1:0 --shutdown-grace "$1" \
    > "$dir/out.$2" 2> "$dir/err.$2" &
  pid=$!
  pids+=("$pid")
  port=$(e2e_port "$pid" "$dir/out.$2") || fail "$2: no 'listening on' line"
}

# The mock proxy counts a request once answered, 5 s later: the notification is taken to be
# waiting on it half a second after it was sent (parsing and sending take milliseconds).
wait_in_flight() { sleep 0.5; }

# --- grace 1s, the LLM needs 5 s: 503 after the grace, exit within grace + 1 s.
start_webhook 1s short
e2e_http "$port" POST /alerts "$payload" > "$dir/answer.short" &
answering=$!
wait_in_flight
begin=$(now_ms)
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
took=$(( $(now_ms) - begin ))
[[ $status -eq 0 ]] || fail "exit status $status after SIGTERM"
(( took >= 900 && took <= 2000 )) || fail "exited ${took} ms after SIGTERM (grace 1s: 1000..2000)"
wait "$answering" 2>/dev/null || true
answer=$(cat "$dir/answer.short")
[[ $answer == "HTTP/1.1 503"* ]] || fail "the unfinished notification got: ${answer:0:200}"
[[ $answer == *$'\r\nRetry-After: '* ]] || fail "no Retry-After: ${answer:0:300}"
[[ $answer == *'--shutdown-grace'* ]] || fail "the 503 does not name --shutdown-grace: $answer"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "a connection was accepted after exit"; fi
echo "ok: SIGTERM with a notification in flight -> 503 + Retry-After, exit 0 after ${took} ms"

# --- grace 20s, the LLM needs 5 s: the notification finishes and is answered 200.
start_webhook 20s long
e2e_http "$port" POST /alerts "$payload" > "$dir/answer.long" &
answering=$!
wait_in_flight
begin=$(now_ms)
kill -TERM "$pid"
wait "$pid" || fail "exit status $? after SIGTERM"
took=$(( $(now_ms) - begin ))
wait "$answering" 2>/dev/null || true
answer=$(cat "$dir/answer.long")
[[ $answer == "HTTP/1.1 200 OK"* ]] || fail "the notification finishing in the grace got: ${answer:0:200}"
[[ $answer == *'"classifications":[{'* ]] || fail "no classifications: ${answer:0:300}"
(( took < 20000 )) || fail "waited the whole grace (${took} ms) for a finished notification"
echo "ok: SIGTERM, the notification finished within the grace -> 200, exit 0 after ${took} ms"
