#!/usr/bin/env bash
# Runs PROGRAM with LLM_BASE_URL pointing at a fresh alertllm-mock-proxy on 127.0.0.1 port 0,
# then stops the proxy. Exits with PROGRAM's status.
# Usage: with_mock_proxy.sh MOCK_PROXY PROGRAM [ARGS...]
set -euo pipefail
proxy=$1
shift
log=$(mktemp)
"$proxy" --port 0 --quiet >"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q '^listening on ' "$log" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$log")
[[ -n $url ]] || { echo "alertllm-mock-proxy did not start" >&2; exit 1; }
LLM_BASE_URL=$url "$@"
