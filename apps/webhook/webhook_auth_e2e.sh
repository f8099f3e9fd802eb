#!/usr/bin/env bash
# alertllm-webhook's bearer token, end to end: a token file that is missing, empty or holds
# more than one token, and --auth-all without a token, are config errors (exit 2) that never
# print the file's content; ALERTLLM_WEBHOOK_TOKEN_FILE is read and the flag wins over it; a
# running service answers 401 without the token and classifies with it.
# Usage: webhook_auth_e2e.sh ALERTLLM_WEBHOOK_BINARY PAYLOAD_JSON
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
fail() { echo "FAIL: $*" >&2; echo "--- stderr:" >&2; cat "$dir/err" >&2 || true; exit 1; }
# shellcheck source=../../tests/support/e2e.sh
source "$(dirname "$0")/../../tests/support/e2e.sh"

# expect_exit_2 WHAT COMMAND...: the command must exit 2 without the secret on stdout or stderr.
expect_exit_2() {
  local what=$1 status=0
  shift
  "$@" > "$dir/out" 2> "$dir/err" || status=$?
  [[ $status -eq 2 ]] || fail "$what: exit $status, not 2"
  ! grep -q 'tok-e2e-secret' "$dir/out" "$dir/err" || fail "$what: the token file's content was printed"
}

printf 'tok-e2e-secret\n' > "$dir/token"
: > "$dir/empty"
printf 'tok-e2e-secret second\n' > "$dir/two"

expect_exit_2 "missing file" "$bin" --auth-token-file "$dir/nope"
grep -q -- '--auth-token-file' "$dir/err" || fail "missing file: the flag is not named"
expect_exit_2 "empty file" "$bin" --auth-token-file "$dir/empty"
expect_exit_2 "two tokens" "$bin" --auth-token-file "$dir/two"
expect_exit_2 "--auth-all alone" "$bin" --auth-all
expect_exit_2 "variable, missing file" env ALERTLLM_WEBHOOK_TOKEN_FILE="$dir/nope" "$bin"
grep -q 'ALERTLLM_WEBHOOK_TOKEN_FILE' "$dir/err" || fail "variable: it is not named"

# The flag wins over the variable, which points nowhere.
ALERTLLM_WEBHOOK_TOKEN_FILE="$dir/nope" LLM_BASE_URL=http://127.0.0.1:1 LLM_MAX_RETRIES=0 \
  "$bin" --listen 127.0.0.1:0 --fallback rules --auth-token-file "$dir/token" \
  > "$dir/out" 2> "$dir/err" &
pid=$!
port=$(e2e_port "$pid" "$dir/out") || fail "no 'listening on' line"

# request PATH [AUTHORIZATION]: POST the payload, print the whole HTTP response.
request() { e2e_http "$port" POST "$1" "$payload" "${2:+Authorization: $2}"; }

answer=$(request /alerts)
[[ $answer == "HTTP/1.1 401 Unauthorized"* ]] || fail "no token: $answer"
[[ $answer == *$'WWW-Authenticate: Bearer\r'* ]] || fail "no WWW-Authenticate: $answer"
answer=$(request /alerts "Bearer wrong")
[[ $answer == "HTTP/1.1 401 Unauthorized"* ]] || fail "wrong token: $answer"
answer=$(request /alerts "Bearer tok-e2e-secret")
[[ $answer == "HTTP/1.1 200 OK"* && $answer == *'"classifications":[{'* ]] || fail "token: $answer"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[[ $status -eq 0 ]] || fail "exit $status after SIGTERM"
! grep -q 'tok-e2e-secret' "$dir/out" "$dir/err" || fail "the token was logged"
echo "ok"
