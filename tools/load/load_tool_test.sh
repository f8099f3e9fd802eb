#!/usr/bin/env bash
# ctest benchmark.LoadTool.<protocol>: starts alertllm-bench-server on a free port, runs
# alertllm-bench against it and checks the one line it prints (format, counts, no error).
# Usage: load_tool_test.sh SERVER TOOL PROTOCOL
set -euo pipefail
server=$1 tool=$2 protocol=$3
out=$(mktemp)
trap 'kill "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
"$server" --port 0 >"$out" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on ' "$out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$out")
[[ -n $url ]] || { echo "server did not start"; exit 1; }
line=$("$tool" --url "$url" --protocol "$protocol" --requests 300 --threads 2)
echo "$line"
[[ $line =~ ^requests=300\ seconds=[0-9]+\.[0-9]{3}\ req/s=[0-9]+\ cpu_us_per_req=[0-9]+\.[0-9]\ errors=0$ ]] ||
  { echo "unexpected output"; exit 1; }
kill -TERM "$pid"
wait "$pid"
grep -q '^answered 300 requests$' "$out" || { echo "server did not answer 300 requests:"; cat "$out"; exit 1; }
